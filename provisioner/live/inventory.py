"""Read an environment from Azure, concurrently, into an `Inventory`.

Two paths share one scheduler. The Resource Graph path makes one query for everything
top-level; the list path makes one list call per resource group and type. Both list each
PostgreSQL server's firewall rules and databases (which Resource Graph does not index):
the state's servers start at once, servers found only in Azure as soon as they are seen.
When Resource Graph is denied, not registered or unavailable, the list path takes over
and `Inventory.notes` says so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
)

from provisioner.errors import AzureAccessError
from provisioner.live.clients import AzureClients
from provisioner.live.readers import (
    GET_ONE,
    PARENT_OF_CHILDREN,
    PER_RESOURCE_GROUP,
    PER_SERVER,
    ApiVersions,
    Body,
    get_any,
    list_all_resources,
    read_resource_group,
)
from provisioner.live.resource_graph import IncompleteResult, query_environment
from provisioner.live.throttle import RetryBudgetExhausted
from provisioner.model import ANY_TOP_LEVEL, REDACTED, Coverage, ResourceId, Unread, redact_text

# Keys whose values are secrets wherever they appear in an ARM body.
SECRET_KEYS = frozenset(
    {
        "password",
        "administratorloginpassword",
        "sharedkey",
        "primarysharedkey",
        "secondarysharedkey",
        "daprAIConnectionString".lower(),
        "daprAIInstrumentationKey".lower(),
        "customdomainverificationid",
    }
)
# Error codes that mean the whole subscription is out of reach, not one resource type.
FATAL_CODES = frozenset({"SubscriptionNotFound", "InvalidSubscriptionId", "DisabledSubscription"})
GONE_CODES = frozenset({"ResourceGroupNotFound", "ResourceNotFound", "ParentResourceNotFound"})
RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"
GRAPH = "Azure Resource Graph"
RESOURCE_GRAPH, LISTS = "resource-graph", "lists"


@dataclass(frozen=True)
class Confirmation:
    """What direct reads said about resources the Resource Graph screen flagged."""

    found: Mapping[str, Body]  # ID key -> body, secrets redacted
    gone: frozenset[str] = frozenset()  # ID keys that answered 404
    unread: tuple[Unread, ...] = ()  # reads that failed: those resources stay unknown


Confirm = Callable[[Collection[ResourceId]], Confirmation]


@dataclass(frozen=True)
class Inventory:
    """The live side of one environment: ARM bodies (secrets redacted) and what was covered."""

    subscription_id: str
    taken_at: str
    resource_groups: tuple[str, ...]
    bodies: tuple[Body, ...]
    coverage: Coverage
    unread: tuple[Unread, ...] = ()
    # One line each for the user (a fallback from Resource Graph to lists).
    notes: tuple[str, ...] = ()
    method: str = LISTS
    # Set when `bodies` came from a screen that can lag and strip fields (Resource Graph):
    # re-reads flagged resources directly. Used once, through `confirmed`.
    confirm: Confirm | None = field(default=None, compare=False, repr=False)
    # ID keys azprov could not read in full (a forbidden typed list, a failed confirming
    # read): reported neither clean nor drifted; `unread` says why.
    unknown: frozenset[str] = frozenset()

    def confirmed(self, flagged: Iterable[ResourceId]) -> Inventory:
        """This inventory with every flagged resource read again, directly.

        A direct read is a GET, or the group's lists when those cost fewer calls. A body
        found replaces the screen's row; a 404 proves absence (the ID counts as covered);
        a failed read leaves the resource unknown (`unknown`, `unread`).
        """
        if self.confirm is None:
            return self
        wanted = list(dict.fromkeys(flagged))
        result = self.confirm(wanted) if wanted else Confirmation({})
        settled = result.found.keys() | result.gone
        kept = [b for b in self.bodies if str(b["id"]).lower() not in settled]
        return replace(
            self,
            bodies=_one_per_id([*kept, *result.found.values()]),
            coverage=Coverage(self.coverage.listed, self.coverage.fetched | settled),
            unread=(*self.unread, *result.unread),
            unknown=self.unknown | {u.scope.lower() for u in result.unread},
            confirm=None,
        )


class Progress(Protocol):
    def add(self, count: int) -> None: ...

    def done(self, label: str) -> None: ...


class _Quiet:
    def add(self, count: int) -> None:
        pass

    def done(self, label: str) -> None:
        pass


def redact_body(value: Any) -> Any:
    """Copy an ARM body with secret fields and passwords in connection strings replaced."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            secret = key.lower() in SECRET_KEYS
            out[key] = REDACTED if secret and sub not in (None, "") else redact_body(sub)
        if "secretRef" in value or "keyVaultUrl" in value:  # a secret's value never leaves
            out.pop("value", None)
        return out
    if isinstance(value, list):
        return [redact_body(v) for v in value]
    if isinstance(value, str):
        # A password hides only behind `user:...@` or `password=`: most strings have neither.
        return redact_text(value) if "=" in value or "@" in value else value
    return value


def _error_code(exc: HttpResponseError) -> str:
    code = getattr(getattr(exc, "error", None), "code", None)
    if code:
        return str(code)
    try:
        body = json.loads(exc.response.text()) if exc.response is not None else {}
        return str((body.get("error") or {}).get("code") or "")
    except (ValueError, AttributeError):
        return ""


def _one_line(exc: BaseException) -> str:
    if not isinstance(exc, HttpResponseError):
        return " ".join(str(getattr(exc, "message", None) or exc).split())[:300]
    code = _error_code(exc)
    message = getattr(getattr(exc, "error", None), "message", None) or exc.reason or ""
    message = " ".join(str(message).split())
    status = exc.status_code or "error"
    return f"HTTP {status} {code}: {message}".strip().rstrip(":")[:300]


def _raise_if_fatal(exc: BaseException) -> None:
    """Failures that stop the whole run: no credentials, no network, no subscription."""
    if isinstance(exc, ClientAuthenticationError):
        raise AzureAccessError(_auth_message(exc)) from None
    if isinstance(exc, ServiceRequestError):
        raise AzureAccessError(f"cannot reach Azure Resource Manager: {exc.message}") from None
    if isinstance(exc, HttpResponseError) and _error_code(exc) in FATAL_CODES:
        raise AzureAccessError(
            f"subscription not usable ({_one_line(exc)}); check --subscription "
            "and that these credentials can read it"
        ) from None


def _is_gone(exc: BaseException, direct_read: bool) -> bool:
    """A 404 that means "does not exist" rather than "wrong URL"."""
    if not isinstance(exc, HttpResponseError) or exc.status_code != 404:
        return False
    code = _error_code(exc)
    return code in GONE_CODES or direct_read or not code


@dataclass(frozen=True)
class _Task:
    scope: str  # the parent ID the call lists under (or the ID it reads)
    what: str  # ARM type, for coverage and for messages
    call: Callable[[], list[Body]]
    fetch: bool = False  # a direct read of `scope` rather than a list under it


def read_inventory(
    clients: AzureClients,
    resource_groups: Iterable[str],
    known_servers: Iterable[ResourceId] = (),
    progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    environment: str = "",
    resource_graph: bool = False,
) -> Inventory:
    """Read `resource_groups` (and, through Resource Graph, resources tagged `environment`).

    With `resource_graph`, top-level resources come from one paged query and the result
    carries `confirm`; without it (or when Resource Graph is unusable), from one list call
    per resource group and type.
    """
    groups = tuple(dict.fromkeys(resource_groups))
    taken_at = clock().isoformat(timespec="seconds").replace("+00:00", "Z")
    reader = _Reader(clients, groups, environment, progress or _Quiet())
    method = reader.run(known_servers, resource_graph)
    bodies = _one_per_id(reader.bodies)
    return Inventory(
        subscription_id=clients.connection.subscription_id,
        taken_at=taken_at,
        resource_groups=groups,
        bodies=bodies,
        coverage=Coverage(frozenset(reader.listed), frozenset(reader.fetched)),
        unread=tuple(reader.unread),
        notes=tuple(reader.notes),
        method=method,
        confirm=partial(confirm_by_get, clients) if method == RESOURCE_GRAPH else None,
        unknown=thinly_read(bodies, reader.unread),
    )


def thinly_read(bodies: Iterable[Body], unread: Iterable[Unread]) -> frozenset[str]:
    """ID keys of resources whose typed list failed while the generic list showed them.

    That copy lacks `properties`; comparing it would report every attribute as changed.
    """
    failed = {(u.scope.lower(), u.what.lower()) for u in unread}
    if not failed:
        return frozenset()
    return frozenset(key for key in map(_key, bodies) if _list_of(key) in failed)


def _key(body: Body) -> str:
    return str(body["id"]).lower()


def _list_of(key: str) -> tuple[str, str]:
    """The (parent, type) list call that returns the resource with ID key `key`."""
    rid = ResourceId.parse(key)
    return ((rid.parent.key if rid.parent else ""), rid.arm_type.lower())


class _Reader:
    """One run of the scheduler: tasks in a pool, new tasks as results reveal servers."""

    def __init__(
        self,
        clients: AzureClients,
        groups: tuple[str, ...],
        environment: str = "",
        progress: Progress | None = None,
        children: bool = True,
    ) -> None:
        self.clients = clients
        self.children = children
        self.groups = groups
        self.environment = environment
        self.progress = progress or _Quiet()
        self.subscription = clients.connection.subscription_id
        self.bodies: list[Body] = []
        self.listed: set[tuple[str, str]] = set()
        self.fetched: set[str] = set()
        self.unread: list[Unread] = []
        self.notes: list[str] = []
        self._servers: set[ResourceId] = set()
        self._pending: dict[Future[list[Body]], _Task] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.method = LISTS

    def run(self, known_servers: Iterable[ResourceId], resource_graph: bool) -> str:
        """Read everything; the method that produced the top-level bodies."""
        self.method = RESOURCE_GRAPH if resource_graph else LISTS
        first = [self._graph_task()] if resource_graph else self._list_tasks()
        # The state's servers need no list to be known: their children start at once.
        self.run_tasks([*first, *(t for s in known_servers for t in self._server_tasks(s))])
        return self.method

    def run_tasks(self, tasks: list[_Task]) -> None:
        with ThreadPoolExecutor(max_workers=self.clients.connection.workers) as pool:
            self._pool = pool
            self._submit(tasks)
            while self._pending:
                finished, _ = wait(self._pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = self._pending.pop(future)
                    self.progress.done(task.what)
                    if task.what == GRAPH:
                        self._graph_done(task, future)
                    else:
                        self._list_done(task, future)

    def _submit(self, tasks: list[_Task]) -> None:
        assert self._pool is not None
        self.progress.add(len(tasks))
        for task in tasks:
            self._pending[self._pool.submit(task.call)] = task

    def _graph_task(self) -> _Task:
        call = partial(query_environment, self.clients, self.groups, self.environment)
        return _Task(f"/subscriptions/{self.subscription}", GRAPH, call)

    def _list_tasks(self) -> list[_Task]:
        tasks = []
        for rg in self.groups:
            rg_id = f"/subscriptions/{self.subscription}/resourceGroups/{rg}"
            fetch_rg = partial(read_resource_group, self.clients, rg)
            tasks.append(_Task(rg_id, RESOURCE_GROUP, fetch_rg, fetch=True))
            tasks.append(_Task(rg_id, ANY_TOP_LEVEL, partial(list_all_resources, self.clients, rg)))
            for arm_type, reader in PER_RESOURCE_GROUP.items():
                tasks.append(_Task(rg_id, arm_type, partial(reader, self.clients, rg)))
        return tasks

    def _server_tasks(self, server: ResourceId) -> list[_Task]:
        if server in self._servers or server.resource_group is None:
            return []
        self._servers.add(server)
        rg, name = server.resource_group, server.name
        return [
            _Task(str(server), child_type, partial(reader, self.clients, rg, name))
            for child_type, reader in PER_SERVER.items()
        ]

    def _found(self, bodies: list[Body]) -> None:
        bodies = [redact_body(body) for body in bodies]
        self.bodies += bodies
        if not self.children:
            return
        servers = [
            ResourceId.parse(b["id"])
            for b in bodies
            if str(b.get("type", "")).lower() == PARENT_OF_CHILDREN.lower()
        ]
        self._submit([t for s in servers for t in self._server_tasks(s)])

    def _list_done(self, task: _Task, future: Future[list[Body]]) -> None:
        try:
            found = future.result()
        except (AzureError, LookupError) as exc:
            if isinstance(exc, AzureError):
                _raise_if_fatal(exc)
            if not _is_gone(exc, task.fetch):
                self.unread.append(Unread(task.scope, task.what, _one_line(exc)))
                return
            found = []
        if task.fetch:
            self.fetched.add(task.scope.lower())
        else:
            self.listed.add((task.scope.lower(), task.what.lower()))
        self._found(found)

    def _graph_done(self, task: _Task, future: Future[list[Body]]) -> None:
        """Take the query's result, or fall back to the list path when ARG is unusable."""
        try:
            found = future.result()
        except (AzureError, DeserializationError, IncompleteResult) as exc:
            if isinstance(exc, AzureError):
                _raise_if_fatal(exc)
            reason = _one_line(exc)
            if _throttled_out(exc):
                # The list path would draw on the same spent budget: say what is unknown.
                self.unread.append(Unread(task.scope, GRAPH, reason))
                return
            self.notes.append(
                f"{GRAPH} is not usable here ({reason}); reading with one list call per "
                "resource group and type instead, which is slower"
            )
            self.method = LISTS
            self._submit(self._list_tasks())
            return
        for rg in self.groups:
            rg_key = f"/subscriptions/{self.subscription}/resourceGroups/{rg}".lower()
            self.listed.add((rg_key, ANY_TOP_LEVEL))
            self.fetched.add(rg_key)
        self._found(found)


def _throttled_out(exc: BaseException) -> bool:
    if isinstance(exc, RetryBudgetExhausted):
        return True
    return isinstance(exc, HttpResponseError) and exc.status_code == 429


# A group's list path costs this many calls; more flagged resources than that in one group
# (Resource Graph has not caught up with a fresh `apply`) are confirmed by listing it.
LIST_CALLS_PER_GROUP = 2 + len(PER_RESOURCE_GROUP)


def confirm_by_get(clients: AzureClients, ids: Collection[ResourceId]) -> Confirmation:
    """Read each resource the screen flagged directly: the body Azure has now, or gone.

    One GET per resource, or the group's lists when they cost fewer calls. PostgreSQL
    children come from per-server lists, which are direct reads already.
    """
    wanted = [rid for rid in dict.fromkeys(ids) if _screened(rid)]
    per_group = Counter(_group_of(rid) for rid in wanted)
    relisted = tuple(g for g, count in per_group.items() if count > LIST_CALLS_PER_GROUP)
    reader = _Reader(clients, relisted, children=False)
    versions = ApiVersions(clients)
    gets = [
        _Task(str(rid), rid.arm_type, partial(_get_one, clients, rid, versions), fetch=True)
        for rid in wanted
        if _group_of(rid) not in relisted
    ]
    if wanted:
        reader.run_tasks([*reader._list_tasks(), *gets])
    bodies = {_key(b): b for b in _one_per_id(reader.bodies)}
    coverage = Coverage(frozenset(reader.listed), frozenset(reader.fetched))
    failed = {(u.scope.lower(), u.what.lower()): u.reason for u in reader.unread}
    found: dict[str, Body] = {}
    gone: set[str] = set()
    unread: list[Unread] = []
    for rid in wanted:
        group = f"/subscriptions/{rid.subscription_id}/resourcegroups/{_group_of(rid)}"
        reason = (
            failed.get((rid.key, rid.arm_type.lower()))  # its GET
            or failed.get(_list_of(rid.key))  # its typed list, when the group was relisted
            or (None if coverage.covers(rid) else failed.get((group, ANY_TOP_LEVEL), "not read"))
        )
        if reason is not None:
            unread.append(_unconfirmed(rid, reason))
        elif rid.key in bodies:
            found[rid.key] = bodies[rid.key]
        else:
            gone.add(rid.key)
    return Confirmation(found, frozenset(gone), tuple(unread))


def _get_one(clients: AzureClients, rid: ResourceId, versions: ApiVersions) -> list[Body]:
    getter = GET_ONE.get(rid.arm_type.lower())
    return [getter(clients, rid) if getter else get_any(clients, rid, versions)]


def _group_of(rid: ResourceId) -> str:
    return (rid.resource_group or rid.name).lower()


def _screened(rid: ResourceId) -> bool:
    """Whether Resource Graph, not a direct list, is where this ID's body came from."""
    parent = rid.parent
    if parent is None:
        return False
    return rid.arm_type == RESOURCE_GROUP or parent.arm_type == RESOURCE_GROUP


def _unconfirmed(rid: ResourceId, reason: str) -> Unread:
    return Unread(str(rid), rid.arm_type, f"could not confirm with a direct read: {reason}")


def _one_per_id(bodies: list[Body]) -> tuple[Body, ...]:
    """Keep the typed read of a resource over the generic list's thinner copy; sort by ID."""
    by_id: dict[str, Body] = {}
    for body in sorted(bodies, key=lambda b: "properties" in b):
        by_id[str(body["id"]).lower()] = body
    return tuple(by_id[key] for key in sorted(by_id))


def _auth_message(exc: ClientAuthenticationError) -> str:
    status = getattr(exc, "status_code", None)
    if status == 401:
        return "Azure rejected the credentials (HTTP 401): the token is invalid or expired"
    return (
        "no usable Azure credentials: run `az login`, set AZURE_CLIENT_ID/AZURE_TENANT_ID "
        "(workload identity or a service principal), or set AZPROV_ACCESS_TOKEN"
    )
