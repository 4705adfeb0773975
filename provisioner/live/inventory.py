"""Read an environment from Azure, concurrently, into an `Inventory`.

Two paths share one scheduler and read the same scope (`provisioner.live.reads`). The list
path reads each resource group with its generic list, typed lists and scope lists, plus
the resources tagged for the environment elsewhere; the Resource Graph path replaces the
groups' top-level reads and the tag read with one query. Both list every parent's children
(PostgreSQL firewall rules and databases, which Resource Graph does not index) and the
groups' role assignments. Parents the state knows start at once; others when they are
seen. When Resource Graph is denied, not registered or unavailable, the list path takes
over and `Inventory.notes` says so.

A body of a registered type without the `properties` its table reads (the generic list's,
or `properties: null`) is never compared: it is read again in full, or left unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from queue import SimpleQueue
from typing import Any, Protocol

from azure.core.exceptions import AzureError, ClientAuthenticationError, ServiceRequestError

from provisioner.errors import AzureAccessError
from provisioner.live.arm import ArmClient, ArmError, Body
from provisioner.live.credentials import no_credentials_message
from provisioner.live.reads import (
    TAGGED,
    Read,
    child_reads,
    get_read,
    group_id,
    group_reads,
    has_children,
    needs_typed_read,
    scope_reads,
    tagged_for,
    tagged_read,
    typed_list,
)
from provisioner.live.resource_graph import IncompleteResult, query_changes, query_environment
from provisioner.live.roles import RoleNames
from provisioner.live.throttle import OutOfTime
from provisioner.model import (
    ANY_TOP_LEVEL,
    Coverage,
    ResourceId,
    Unread,
    redact_body,
    sanitize_text,
)
from provisioner.registry import by_arm_type, for_body

# Error codes that mean the whole subscription is out of reach, not one resource type.
FATAL_CODES = frozenset({"SubscriptionNotFound", "InvalidSubscriptionId", "DisabledSubscription"})
GONE_CODES = frozenset({"ResourceGroupNotFound", "ResourceNotFound", "ParentResourceNotFound"})
RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"
GRAPH = "Azure Resource Graph"
RESOURCE_GRAPH, LISTS = "resource-graph", "lists"
GRAPH_TASK = ("", GRAPH, False)


@dataclass(frozen=True)
class Scope:
    """What the live side must read for one environment."""

    subscription_id: str
    resource_groups: tuple[str, ...]
    # Resources the state knows that have children (servers): their child lists start
    # before any list returns.
    known_parents: tuple[ResourceId, ...] = ()
    # The environment's name: resources tagged with it elsewhere are read too.
    environment: str = ""
    # ARM types the state holds per resource group (lower case): typed lists start at once.
    known_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Confirmation:
    """What direct reads said about resources the Resource Graph screen flagged."""

    found: Mapping[str, Body]  # ID key -> body, secrets redacted
    gone: frozenset[str] = frozenset()  # ID keys proven absent
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
    # ID keys azprov could not read in full (a body without its properties whose full read
    # failed): reported neither clean nor drifted; `unread` says why.
    unknown: frozenset[str] = frozenset()
    # Resource Graph's change records (`resourcechanges` rows' properties, as stored) for
    # the environment's groups, or None when they could not be read (`notes` says why).
    changes: tuple[dict[str, Any], ...] | None = None
    # Names a custom role from its definition ID, reading it from the Azure this inventory
    # came from (`RoleNames`); None for a snapshot, which cannot be asked more.
    role_names: Callable[[str], str] | None = field(default=None, compare=False, repr=False)

    def confirmed(self, flagged: Iterable[ResourceId]) -> Inventory:
        """This inventory with every flagged resource read again, directly.

        A body found replaces the screen's row; an absence a direct read proves counts as
        covered; a failed read leaves the resource unknown (`unknown`, `unread`).
        """
        if self.confirm is None:
            return self
        wanted = list(dict.fromkeys(flagged))
        result = self.confirm(wanted) if wanted else Confirmation({})
        settled = result.found.keys() | result.gone
        kept = [b for b in self.bodies if _key(b) not in settled]
        return replace(
            self,
            bodies=_sorted([*kept, *result.found.values()]),
            coverage=self.coverage.union(Coverage(fetched=frozenset(settled))),
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


def read_inventory(
    arm: ArmClient,
    scope: Scope,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    resource_graph: bool = False,
    attribution: bool = True,
) -> Inventory:
    """Read `scope` from Azure: through one Resource Graph query, or with lists.

    With `resource_graph`, the result carries `confirm` (the screen's flags are re-read
    directly before they are reported); without it, or when Resource Graph is unusable,
    every read is direct. With `attribution`, one more Resource Graph query (plus its
    pages) reads the last 14 days of recorded changes in the environment's groups.
    """
    taken_at = clock().isoformat(timespec="seconds").replace("+00:00", "Z")
    reader = _Reader(arm, scope, progress or _Quiet())
    with ThreadPoolExecutor(max_workers=1) as side:
        # Who made each change is asked beside the inventory, for the groups known now;
        # after it, when requests go one at a time (the inventory comes first).
        beside = attribution and arm.connection.workers > 1
        early = side.submit(query_changes, arm, reader.groups) if beside else None
        method = reader.run(resource_graph)
        unknown = reader.unknown()  # adds an `unread` line for each
        changes = reader.read_changes(early) if attribution else None
    return Inventory(
        subscription_id=scope.subscription_id,
        taken_at=taken_at,
        resource_groups=reader.groups,
        bodies=_sorted(reader.bodies.values()),
        coverage=reader.coverage(),
        unread=tuple(reader.unread),
        notes=tuple(reader.notes),
        method=method,
        confirm=partial(confirm_by_reads, arm) if method == RESOURCE_GRAPH else None,
        unknown=unknown,
        changes=changes,
        role_names=RoleNames(arm),
    )


def thin_keys(bodies: Iterable[Body]) -> frozenset[str]:
    """ID keys of registered-type bodies that lack the properties their table reads."""
    return frozenset(_key(b) for b in bodies if _is_thin(b))


def _is_thin(body: Body) -> bool:
    spec = for_body(body)
    return spec is not None and spec.is_thin(body)


def _key(body: Body) -> str:
    return str(body["id"]).lower()


def _sorted(bodies: Iterable[Body]) -> tuple[Body, ...]:
    return tuple(sorted(bodies, key=_key))


class _Reader:
    """One run of the scheduler: reads in a pool, follow-up reads as results come in."""

    def __init__(
        self, arm: ArmClient, scope: Scope, progress: Progress, follow: bool = True
    ) -> None:
        self.arm = arm
        self.scope = scope
        self.follow = follow  # add child, typed and full reads for what results reveal
        self.progress = progress
        self.subscription = scope.subscription_id
        self.groups = tuple(dict.fromkeys(scope.resource_groups))
        self._group_keys = {group_id(self.subscription, g).lower() for g in self.groups}
        self.bodies: dict[str, Body] = {}
        self.listed: set[tuple[str, str]] = set()
        self.subtree: set[tuple[str, str]] = set()
        self.fetched: set[str] = set()
        self.unread: list[Unread] = []
        self.notes: list[str] = []
        self.method = LISTS
        # Why Resource Graph could not be used, when it could not.
        self.graph_refused: str | None = None
        self._submitted: set[tuple[str, str, bool]] = set()
        self._pending: dict[Future[list[Body]], Read | None] = {}
        self._pool: ThreadPoolExecutor | None = None
        # Each read's future once it is done, in the order they finish: taking them from a
        # queue costs the same however many are pending (`wait` would look at all of them
        # for every one that finishes, quadratic in the reads of a large environment).
        self._finished: SimpleQueue[Future[list[Body]]] = SimpleQueue()

    # -- what to read ------------------------------------------------------------------

    def run(self, resource_graph: bool) -> str:
        """Read everything; returns the method that produced the top-level bodies."""
        self.method = RESOURCE_GRAPH if resource_graph else LISTS
        first: list[Read | None] = [None] if resource_graph else [*self._list_path()]
        if resource_graph:
            first += [r for g in self.groups for r in scope_reads(self.subscription, g)]
        first += [r for p in self.scope.known_parents for r in child_reads(p)]
        self.run_reads(first)
        return self.method

    def _list_path(self) -> list[Read]:
        reads = []
        for group in self.groups:
            known = self.scope.known_types.get(group.lower(), ())
            types = [s for s in map(by_arm_type, known) if s is not None]
            reads += group_reads(self.subscription, group, types)
        if self.scope.environment:
            reads.append(tagged_read(self.subscription, self.scope.environment))
        return reads

    def run_reads(self, reads: list[Read | None]) -> None:
        with ThreadPoolExecutor(max_workers=self.arm.connection.workers) as pool:
            self._pool = pool
            self._submit(reads)
            while self._pending:
                future = self._finished.get()
                read = self._pending.pop(future)
                self.progress.done(read.what if read else GRAPH)
                if read is None:
                    self._graph_done(future)
                else:
                    self._read_done(read, future)

    def _submit(self, reads: Iterable[Read | None]) -> None:
        assert self._pool is not None
        fresh: list[Read | None] = []
        for read in reads:
            marker = (
                (read.scope.lower(), read.what.lower(), read.fetch) if read else ("", "", False)
            )
            if marker not in self._submitted:
                self._submitted.add(marker)
                fresh.append(read)
        self.progress.add(len(fresh))
        for read in fresh:
            call = self._graph_call() if read is None else partial(self._call, read)
            future = self._pool.submit(call)
            self._pending[future] = read
            future.add_done_callback(self._finished.put)

    def _call(self, read: Read) -> list[Body]:
        if read.fetch:
            return [self.arm.get(read.path, read.api_version)]
        return self.arm.list(read.path, read.api_version, dict(read.params))

    def _graph_call(self) -> Callable[[], list[Body]]:
        return partial(query_environment, self.arm, self.groups, self.scope.environment)

    # -- what came back ----------------------------------------------------------------

    def _read_done(self, read: Read, future: Future[list[Body]]) -> None:
        try:
            found = _checked(future.result())
        except (AzureError, LookupError, ValueError) as exc:
            _raise_if_fatal(exc)
            if not _is_gone(exc, read.fetch):
                self.unread.append(Unread(read.scope, read.what, _one_line(exc)))
                return
            found = []
        scope_key = read.scope.lower()
        if read.fetch:
            self.fetched.add(scope_key)
        elif read.subtree:
            self.subtree.add((scope_key, read.what.lower()))
            # The list at a group also returns what was assigned above it: not the group's.
            found = [b for b in found if _key(b).startswith(scope_key + "/")]
        elif read.what.startswith(TAGGED):
            found = [b for b in found if tagged_for(b, self.scope.environment)]
        else:
            self.listed.add((scope_key, read.what.lower()))
        self._take(found, read)

    def _graph_done(self, future: Future[list[Body]]) -> None:
        """Take the query's result, or fall back to the list path when ARG is unusable."""
        scope = f"/subscriptions/{self.subscription}"
        try:
            found = _checked(future.result())
        except (AzureError, IncompleteResult, ValueError) as exc:
            _raise_if_fatal(exc)
            reason = _one_line(exc)
            if _throttled_out(exc):
                # The list path would draw on the same spent time: say what is unknown.
                self.unread.append(Unread(scope, GRAPH, reason))
                return
            self.graph_refused = reason
            self.notes.append(
                f"{GRAPH} is not usable here ({reason}); reading with one list call per "
                "resource group and type instead, which is slower, and without who made "
                "each change"
            )
            self.method = LISTS
            self._submit(self._list_path())
            return
        for group in self._group_keys:
            self.listed.add((group, ANY_TOP_LEVEL))
            self.fetched.add(group)
        self._take(found, None)

    def _take(self, bodies: list[Body], read: Read | None) -> None:
        follow: list[Read | None] = []
        for raw in bodies:
            body = redact_body(raw)
            key = _key(body)
            held = self.bodies.get(key)
            if held is None or not _is_thin(body) or _is_thin(held):
                self.bodies[key] = body
            if self.follow:
                follow += self._follow_up(body, read)
        self._submit(follow)

    def _follow_up(self, body: Body, read: Read | None) -> list[Read]:
        """Reads a body calls for: its children, or its full body when it came thin."""
        rid = ResourceId.parse(str(body["id"]))
        reads = child_reads(rid) if has_children(rid.arm_type) else []
        spec = for_body(body)
        if spec is None or not spec.is_thin(body):
            return reads
        in_group = rid.parent is not None and rid.parent.key in self._group_keys
        if read is not None and read.what == ANY_TOP_LEVEL and needs_typed_read(spec):
            reads.append(typed_list(self.subscription, rid.resource_group or "", spec))
        elif not (in_group and self.method == LISTS):
            reads.append(get_read(rid))  # Resource Graph's stripped row, or tagged elsewhere
        return reads

    # -- the result ----------------------------------------------------------------------

    def read_changes(
        self, early: Future[list[dict[str, Any]]] | None
    ) -> tuple[dict[str, Any], ...] | None:
        """The change records of every group read: `early`'s, for the groups known before
        reading (without it, read now), and those of groups only tagged resources revealed."""
        if self.graph_refused is not None:
            return None  # the note that says so is the fallback's
        asked = {g.lower() for g in self.groups} if early is not None else set()
        revealed: dict[str, str] = {}
        for group in [*self.groups, *(ResourceId.parse(k).resource_group for k in self.bodies)]:
            if group and group.lower() not in asked:
                revealed.setdefault(group.lower(), group)
        try:
            records = early.result() if early is not None else []
            if revealed:
                records = [*records, *query_changes(self.arm, sorted(revealed.values()))]
            return tuple(records)
        except (AzureError, IncompleteResult, ValueError) as exc:
            _raise_if_fatal(exc)
            why = "changes are not attributed (who made them is not shown)"
            reason = _one_line(exc)
            self.notes.append(f"{why}: {GRAPH}'s resourcechanges table was not read ({reason})")
            return None

    def coverage(self) -> Coverage:
        return Coverage(frozenset(self.listed), frozenset(self.fetched), frozenset(self.subtree))

    def unknown(self) -> frozenset[str]:
        """Bodies still thin after every read: unknown, each with an `unread` line."""
        thin = thin_keys(self.bodies.values())
        explained = {u.scope.lower() for u in self.unread}
        for key in sorted(thin):
            rid = ResourceId.parse(key)
            parent = rid.parent.key if rid.parent else ""
            if key not in explained and parent not in explained:
                self.unread.append(
                    Unread(str(self.bodies[key]["id"]), rid.arm_type, "Azure returned it "
                           "without its properties, so its attributes could not be compared")
                )  # fmt: skip
        return thin


def _checked(bodies: Any) -> list[Body]:
    """The bodies of a read, each an object with a valid resource ID, or ValueError."""
    if not isinstance(bodies, list):
        raise ValueError("Azure returned something other than a list of resources")
    for body in bodies:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ValueError("Azure returned a resource without an ID")
        ResourceId.parse(body["id"])  # ValueError names the bad ID
    return bodies


# -- confirming what the Resource Graph screen flagged -------------------------------------


def confirm_by_reads(arm: ArmClient, ids: Collection[ResourceId]) -> Confirmation:
    """Read each resource the screen flagged directly: the body Azure has now, or gone.

    Several flagged resources of one type in one group are read with that group's typed
    list, a single one with a GET; resources of types azprov does not read in full are
    confirmed by their group's generic list. Children and role assignments come from
    direct lists already and need no confirmation.
    """
    wanted = [rid for rid in dict.fromkeys(ids) if _screened(rid)]
    if not wanted:
        return Confirmation({})
    by_list: dict[tuple[str, str], list[ResourceId]] = defaultdict(list)
    for rid in wanted:
        by_list[(_group_of(rid), rid.arm_type.lower())].append(rid)
    reads: list[Read | None] = []
    for (group, _), members in by_list.items():
        spec = by_arm_type(members[0].arm_type)
        subscription = members[0].subscription_id
        if spec is None:
            reads.append(group_reads(subscription, group)[1])  # the generic list
        elif len(members) > 1 and needs_typed_read(spec):
            reads.append(typed_list(subscription, group, spec))
        else:
            reads += [get_read(rid) for rid in members]
    scope = Scope(wanted[0].subscription_id, ())
    reader = _Reader(arm, scope, _Quiet(), follow=False)
    reader.run_reads(reads)
    coverage = reader.coverage()
    failed = {(u.scope.lower(), u.what.lower()): u.reason for u in reader.unread}
    found: dict[str, Body] = {}
    gone: set[str] = set()
    unread: list[Unread] = []
    for rid in wanted:
        group = group_id(rid.subscription_id, _group_of(rid)).lower()
        reason = (
            failed.get((rid.key, rid.arm_type.lower()))  # its GET
            or failed.get((group, rid.arm_type.lower()))  # its typed list
            or failed.get((group, ANY_TOP_LEVEL))  # the generic list
        )
        body = reader.bodies.get(rid.key)
        if reason is None and body is not None and _is_thin(body):
            reason = "Azure returned it without its properties"
        if reason is None and body is None and not coverage.covers(rid):
            reason = "not read"
        if reason is not None:
            unread.append(_unconfirmed(rid, reason))
        elif body is not None:
            found[rid.key] = body
        else:
            gone.add(rid.key)
    return Confirmation(found, frozenset(gone), tuple(unread))


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


# -- errors ------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ArmError):
        return exc.line
    text = str(getattr(exc, "message", None) or exc)
    return sanitize_text(" ".join(text.split()))[:300]


def _raise_if_fatal(exc: BaseException) -> None:
    """Failures that stop the whole run: no credentials, no network, no subscription."""
    if isinstance(exc, ClientAuthenticationError):
        raise AzureAccessError(no_credentials_message(exc.status_code)) from None
    if isinstance(exc, ArmError) and exc.status_code == 401:
        raise AzureAccessError(f"{no_credentials_message(401)} ({exc.line})") from None
    if isinstance(exc, ServiceRequestError):
        raise AzureAccessError(f"cannot reach Azure Resource Manager: {_one_line(exc)}") from None
    if isinstance(exc, ArmError) and exc.code in FATAL_CODES:
        raise AzureAccessError(
            f"subscription not usable ({exc.line}); check --subscription "
            "and that these credentials can read it"
        ) from None


def _is_gone(exc: BaseException, direct_read: bool) -> bool:
    """A 404 that means "does not exist" rather than "wrong URL"."""
    if not isinstance(exc, ArmError) or exc.status_code != 404:
        return False
    return exc.code in GONE_CODES or direct_read or not exc.code


def _throttled_out(exc: BaseException) -> bool:
    if isinstance(exc, OutOfTime):
        return True
    return isinstance(exc, ArmError) and exc.status_code == 429
