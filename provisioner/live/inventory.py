"""Read an environment's resource groups from Azure, concurrently, into an `Inventory`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
)

from provisioner.errors import AzureAccessError
from provisioner.live.clients import AzureClients
from provisioner.live.readers import (
    PARENT_OF_CHILDREN,
    PER_RESOURCE_GROUP,
    PER_SERVER,
    Body,
    list_all_resources,
    read_resource_group,
)
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


@dataclass(frozen=True)
class Inventory:
    """The live side of one environment: ARM bodies (secrets redacted) and what was covered."""

    subscription_id: str
    taken_at: str
    resource_groups: tuple[str, ...]
    bodies: tuple[Body, ...]
    coverage: Coverage
    unread: tuple[Unread, ...] = ()


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
        return redact_text(value)
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


def _one_line(exc: HttpResponseError) -> str:
    code = _error_code(exc)
    message = getattr(getattr(exc, "error", None), "message", None) or exc.reason or ""
    message = " ".join(str(message).split())
    status = exc.status_code or "error"
    return f"HTTP {status} {code}: {message}".strip().rstrip(":")[:300]


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
) -> Inventory:
    """List every resource type azprov reads in `resource_groups`, concurrently.

    PostgreSQL children (firewall rules, databases) are listed per server: the servers
    in the state start at once, servers found only in Azure as soon as they are listed.
    """
    progress = progress or _Quiet()
    subscription = clients.connection.subscription_id
    groups = tuple(dict.fromkeys(resource_groups))
    taken_at = clock().isoformat(timespec="seconds").replace("+00:00", "Z")
    tasks: list[_Task] = []
    for rg in groups:
        rg_id = f"/subscriptions/{subscription}/resourceGroups/{rg}"
        rg_type = "Microsoft.Resources/resourceGroups"
        tasks.append(_Task(rg_id, rg_type, partial(read_resource_group, clients, rg), fetch=True))
        tasks.append(_Task(rg_id, ANY_TOP_LEVEL, partial(list_all_resources, clients, rg)))
        for arm_type, reader in PER_RESOURCE_GROUP.items():
            tasks.append(_Task(rg_id, arm_type, partial(reader, clients, rg)))

    bodies: list[Body] = []
    listed: set[tuple[str, str]] = set()
    fetched: set[str] = set()
    unread: list[Unread] = []
    servers_seen: set[ResourceId] = set()

    def server_tasks(server: ResourceId) -> list[_Task]:
        if server in servers_seen or server.resource_group is None:
            return []
        servers_seen.add(server)
        rg, name = server.resource_group, server.name
        return [
            _Task(str(server), child_type, partial(reader, clients, rg, name))
            for child_type, reader in PER_SERVER.items()
        ]

    for server in known_servers:
        tasks += server_tasks(server)

    with ThreadPoolExecutor(max_workers=clients.connection.workers) as pool:
        pending: dict[Future[list[Body]], _Task] = {}

        def submit(new: list[_Task]) -> None:
            progress.add(len(new))
            for task in new:
                pending[pool.submit(task.call)] = task

        submit(tasks)
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                task = pending.pop(future)
                progress.done(task.what)
                found = _settle(task, future, unread)
                if found is None:
                    continue
                key = (task.scope.lower(), task.what.lower())
                fetched.add(task.scope.lower()) if task.fetch else listed.add(key)
                found = [redact_body(body) for body in found]
                bodies += found
                if task.what == PARENT_OF_CHILDREN:
                    submit([t for b in found for t in server_tasks(ResourceId.parse(b["id"]))])

    return Inventory(
        subscription_id=subscription,
        taken_at=taken_at,
        resource_groups=groups,
        bodies=_one_per_id(bodies),
        coverage=Coverage(frozenset(listed), frozenset(fetched)),
        unread=tuple(unread),
    )


def _one_per_id(bodies: list[Body]) -> tuple[Body, ...]:
    """Keep the typed read of a resource over the generic list's thinner copy; sort by ID."""
    by_id: dict[str, Body] = {}
    for body in sorted(bodies, key=lambda b: "properties" in b):
        by_id[str(body["id"]).lower()] = body
    return tuple(by_id[key] for key in sorted(by_id))


def _settle(task: _Task, future: Future[list[Body]], unread: list[Unread]) -> list[Body] | None:
    """The task's bodies; [] when its parent is gone; None (and an `Unread`) on failure."""
    try:
        return future.result()
    except ClientAuthenticationError as exc:
        raise AzureAccessError(_auth_message(exc)) from None
    except ServiceRequestError as exc:
        raise AzureAccessError(f"cannot reach Azure Resource Manager: {exc.message}") from None
    except HttpResponseError as exc:
        code = _error_code(exc)
        if code in FATAL_CODES:
            raise AzureAccessError(
                f"subscription not usable ({_one_line(exc)}); check --subscription "
                "and that these credentials can read it"
            ) from None
        if exc.status_code == 404 and (code in GONE_CODES or task.fetch or not code):
            return []
        unread.append(Unread(task.scope, task.what, _one_line(exc)))
        return None


def _auth_message(exc: ClientAuthenticationError) -> str:
    status = getattr(exc, "status_code", None)
    if status == 401:
        return "Azure rejected the credentials (HTTP 401): the token is invalid or expired"
    return (
        "no usable Azure credentials: run `az login`, set AZURE_CLIENT_ID/AZURE_TENANT_ID "
        "(workload identity or a service principal), or set AZPROV_ACCESS_TOKEN"
    )
