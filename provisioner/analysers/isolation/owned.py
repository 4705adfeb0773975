"""What each environment owns: the identifiers a reference can point at, indexed for lookup.

An environment owns the IDs of the resources in its state and live inventory (and so every
ID under them), and the computed names Azure gives them, listed in `OWNED` by attribute path.
The index answers, for one token, which environment's resource it names, most specific
owner first; a token counts only when that owner is another environment and not shared.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from provisioner.analysers.isolation.sources import Source
from provisioner.analysers.isolation.tokens import (
    GUID,
    Address,
    host_of,
    id_key,
    ip_number,
    ip_of,
    ipv4_number,
)


class Kind(StrEnum):
    ID = "resource ID"
    HOST = "host"
    DOMAIN = "domain"
    IP = "IP"
    GUID = "GUID"


# Computed identifiers a resource owns, by attribute path (list indices as `*`), on either
# side: azurerm's state names and ARM's property paths. An optional type set limits an
# entry to the types where the value is the resource's own rather than a reference.
_IDENTITY_TYPES = frozenset(
    {"azurerm_user_assigned_identity", "microsoft.managedidentity/userassignedidentities"}
)
_WORKSPACE_TYPES = frozenset(
    {"azurerm_log_analytics_workspace", "microsoft.operationalinsights/workspaces"}
)
_REDIS_TYPES = frozenset({"azurerm_redis_cache", "microsoft.cache/redis"})
_APP_INSIGHTS_TYPES = frozenset({"azurerm_application_insights", "microsoft.insights/components"})
_STORAGE_SERVICES = ("blob", "dfs", "file", "queue", "table", "web")
# Labels of the GUIDs that name an identity a role can be granted to (a user-assigned
# identity's, or a resource's own system-assigned one).
PRINCIPAL_ID = "principal ID"
SYSTEM_PRINCIPAL_ID = "managed identity principal ID"
OWNED: Mapping[str, tuple[Kind, str, frozenset[str] | None]] = {
    # Terraform state / planned values
    "fqdn": (Kind.HOST, "FQDN", None),
    "ingress.*.fqdn": (Kind.HOST, "ingress FQDN", None),
    "latest_revision_fqdn": (Kind.HOST, "revision FQDN", None),
    "login_server": (Kind.HOST, "login server", None),
    "data_endpoint_host_names.*": (Kind.HOST, "registry data endpoint", None),
    "vault_uri": (Kind.HOST, "Key Vault", None),
    "default_domain": (Kind.DOMAIN, "default domain", None),
    "static_ip_address": (Kind.IP, "static IP", None),
    "outbound_ip_addresses.*": (Kind.IP, "outbound IP", None),
    "workspace_id": (Kind.GUID, "workspace ID", _WORKSPACE_TYPES),
    "principal_id": (Kind.GUID, PRINCIPAL_ID, _IDENTITY_TYPES),
    "client_id": (Kind.GUID, "client ID", _IDENTITY_TYPES),
    "identity.*.principal_id": (Kind.GUID, SYSTEM_PRINCIPAL_ID, None),
    # web apps: IPs as one comma-separated string and as a list
    "default_hostname": (Kind.HOST, "default host name", None),
    "outbound_ip_addresses": (Kind.IP, "outbound IP", None),
    "outbound_ip_address_list.*": (Kind.IP, "outbound IP", None),
    "possible_outbound_ip_addresses": (Kind.IP, "possible outbound IP", None),
    "possible_outbound_ip_address_list.*": (Kind.IP, "possible outbound IP", None),
    **{
        f"{tier}_{service}_{what}": (Kind.HOST, f"storage {service} endpoint", None)
        for tier in ("primary", "secondary")
        for service in _STORAGE_SERVICES
        for what in ("endpoint", "host")
    },
    "hostname": (Kind.HOST, "Redis host", _REDIS_TYPES),
    # The connection string's ApplicationId names the component; its instrumentation key
    # would too, but a finding would have to show it.
    "app_id": (Kind.GUID, "Application Insights app ID", _APP_INSIGHTS_TYPES),
    # ARM bodies
    "properties.fullyQualifiedDomainName": (Kind.HOST, "FQDN", None),
    "properties.configuration.ingress.fqdn": (Kind.HOST, "ingress FQDN", None),
    "properties.latestRevisionFqdn": (Kind.HOST, "revision FQDN", None),
    "properties.loginServer": (Kind.HOST, "login server", None),
    "properties.dataEndpointHostNames.*": (Kind.HOST, "registry data endpoint", None),
    "properties.vaultUri": (Kind.HOST, "Key Vault", None),
    "properties.defaultDomain": (Kind.DOMAIN, "default domain", None),
    "properties.staticIp": (Kind.IP, "static IP", None),
    "properties.outboundIpAddresses.*": (Kind.IP, "outbound IP", None),
    "properties.customerId": (Kind.GUID, "workspace ID", _WORKSPACE_TYPES),
    "properties.principalId": (Kind.GUID, PRINCIPAL_ID, _IDENTITY_TYPES),
    "properties.clientId": (Kind.GUID, "client ID", _IDENTITY_TYPES),
    "identity.principalId": (Kind.GUID, SYSTEM_PRINCIPAL_ID, None),
    "properties.defaultHostName": (Kind.HOST, "default host name", None),
    "properties.outboundIpAddresses": (Kind.IP, "outbound IP", None),
    "properties.possibleOutboundIpAddresses": (Kind.IP, "possible outbound IP", None),
    **{
        f"properties.{tier}Endpoints.{service}": (Kind.HOST, f"storage {service} endpoint", None)
        for tier in ("primary", "secondary")
        for service in _STORAGE_SERVICES
    },
    "properties.hostName": (Kind.HOST, "Redis host", _REDIS_TYPES),
    "properties.AppId": (Kind.GUID, "Application Insights app ID", _APP_INSIGHTS_TYPES),
}


def _paths_ahead() -> dict[str, dict[str, str]]:
    """For each path that leads to an OWNED entry ("" for the document), the keys that lead
    on from it and the paths they make: the walk for owned values goes down these only.

    A key may hold several steps (`properties.loginServer` at the top of a document): every
    dotted rest of a path ahead is a key of its own here, so one lookup tells every key that
    matters from the rest.
    """
    ahead: dict[str, dict[str, str]] = {}
    for steps in (path.split(".") for path in OWNED):
        for n in range(len(steps)):
            ahead.setdefault(".".join(steps[:n]), {})[steps[n]] = ".".join(steps[: n + 1])
    for path, keys in ahead.items():
        for later in [*ahead, *OWNED]:
            rest = later if not path else later.removeprefix(path + ".")
            if rest != later or (not path and later):
                keys.setdefault(rest, later)
    return ahead


_NEXT = _paths_ahead()

# Leaves of JSON, told apart by exact type first: an `isinstance` test of an ABC is slow.
_SCALARS = frozenset({str, int, float, bool, type(None)})

# A firewall range or network wider than a /8 is not aimed at an environment; the policy
# rule pg-firewall-open-range reports those, so the two checks meet with no gap.
MAX_RANGE = 2**24
MAX_HOST = 253  # DNS's limit; longer dotted runs (base64, version lists) are not hosts


class Owned(NamedTuple):
    """One identifier one environment owns, and the resource it belongs to."""

    env: str
    kind: Kind
    value: str  # normalized: lower case, canonical IP text
    shown: str  # as messages show it: an ID as the owner spells it, else normalized
    label: str  # "FQDN", "outbound IP", "resource"
    owner_key: str  # the owning resource's ID, lower case
    owner: str  # the owning resource as a reviewer knows it: address, or type and name
    shared: bool = False

    def describe(self, exact: bool = True) -> str:
        env = f"{self.env}'s"
        if self.kind is Kind.ID:
            where = "" if exact else "a resource under "
            return f"{where}{env} {self.owner} ({self.shown})"
        return f"{env} {self.label} {self.shown} ({self.owner})"


def owned_by(source: Source) -> list[Owned]:
    """The identifiers `source` owns: its ID (unless planned) and its OWNED computed names."""
    return [_record(source, kind, value, label) for kind, value, label in _identifiers(source)]


def _identifiers(source: Source, normal: Normalizer | None = None) -> list[tuple[Kind, str, str]]:
    """(kind, normalized value, label) of each identifier `source` owns, in document order;
    `normal` remembers normal forms between documents."""
    found = []
    if source.key.startswith("/subscriptions/") and source.origin != "plan":
        found.append((Kind.ID, source.key, ""))  # an ID's label follows from its depth
    leaves: list[tuple[str, Any]] = []
    _owned_leaves(source.doc, "", leaves)
    if not leaves:
        return found
    normal = normal or Normalizer()
    for pattern, raw in leaves:
        if not isinstance(raw, str) or not raw.strip():
            continue
        kind, label, types = OWNED[pattern]
        if types is not None and types.isdisjoint(source.type_names):
            continue
        # App Service writes its outbound IPs as one comma-separated string
        for part in raw.split(",") if kind is Kind.IP else (raw,):
            value = normal(kind, part)
            if value is not None:
                found.append((kind, value, label))
    return found


def _record(source: Source, kind: Kind, value: str, label: str, shared: bool = False) -> Owned:
    """The record of identifier `value` that `source` owns."""
    if kind is Kind.ID:
        group = value.count("/") == 4 and "/resourcegroups/" in value
        label, shown = ("resource group" if group else "resource"), source.resource_id
    else:
        shown = value
    return Owned(source.env, kind, value, shown, label, source.key, source.owner, shared)


def _owned_leaves(node: Any, path: str, out: list[tuple[str, Any]]) -> None:
    """Add (path, leaf) of each leaf of `node` at an OWNED path to `out`, in document order.

    A path joins keys with `.` and writes every all-digit step (a list index) as `*`.
    """
    ahead = _NEXT[path]
    kind = type(node)
    if kind is dict or (kind is not list and isinstance(node, Mapping)):
        if "*" not in ahead:  # the keys that lead on, picked out in C: most keys lead nowhere
            for key in filter(ahead.__contains__, node):
                _owned_at(node[key], ahead[key], out)
            return
        for key, sub in node.items():  # an all-digit key stands for a list index
            step = key if type(key) is str else str(key)
            here = ahead.get(step)
            if here is None and step.isdigit():
                here = ahead["*"]
            if here is not None:
                _owned_at(sub, here, out)
    elif isinstance(node, list | tuple) and "*" in ahead:
        for sub in node:
            _owned_at(sub, ahead["*"], out)


def _owned_at(node: Any, path: str, out: list[tuple[str, Any]]) -> None:
    kind = type(node)
    if kind is dict or kind is list:  # JSON's containers, known without an ABC's test
        if path in _NEXT:
            _owned_leaves(node, path, out)
    elif kind in _SCALARS or not isinstance(node, Mapping | list | tuple):
        if path in OWNED:
            out.append((path, node))
    elif path in _NEXT:
        _owned_leaves(node, path, out)


class Normalizer:
    """Owned values in normal form (lower case, canonical IP text), each raw value worked
    out once: a state record and its Azure body name the same hosts and GUIDs, and the
    resources of an environment share its outbound IPs."""

    def __init__(self) -> None:
        self._known: dict[Kind, dict[str, str | None]] = {kind: {} for kind in Kind}

    def __call__(self, kind: Kind, value: str) -> str | None:
        known = self._known[kind]
        if value in known:
            return known[value]
        known[value] = normal = _normal(kind, value)
        return normal


def _normal(kind: Kind, value: str) -> str | None:
    if kind in (Kind.HOST, Kind.DOMAIN):
        return host_of(value)
    if kind is Kind.IP:
        text = value.strip()
        if ipv4_number(text) is not None:
            return text  # a valid dotted quad is already canonical
        ip = ip_of(text)
        return str(ip) if ip is not None else None
    if kind is Kind.GUID:
        text = value.strip().lower()
        return text if GUID.fullmatch(text) else None
    return id_key(value)


@dataclass
class Index:
    """Owned identifiers of every environment, by kind and normalized value.

    The index keeps, for each value, the document that owns it (and the label it has
    there), not a record: one is made (`Owned`) only when a lookup returns it. A lookup
    mostly answers "the target's own" or "nobody's", and the index adds no object per
    identifier for the garbage collector to walk.
    """

    target: str
    # Kind -> normalized value -> the document of the first environment that owns it, and
    # the label the value has there (IDs have none: theirs follows from their depth)
    _first: dict[Kind, dict[str, Source]] = field(
        default_factory=lambda: {kind: {} for kind in Kind}, init=False, repr=False
    )
    _labels: dict[Kind, dict[str, str]] = field(
        default_factory=lambda: {kind: {} for kind in Kind}, init=False, repr=False
    )
    # Kind -> value -> (document, label) of each other environment that owns it too (rare)
    _more: dict[Kind, dict[str, list[tuple[Source, str]]]] = field(
        default_factory=lambda: {kind: {} for kind in Kind}, init=False, repr=False
    )
    _normal: Normalizer = field(default_factory=Normalizer, init=False, repr=False)
    # Owned IPs by IP version: sorted integers and, beside each, its value's rank in
    # `_first[Kind.IP]`, so a range query returns owners in the order they were added.
    _ips: dict[int, tuple[list[int], list[int], list[str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # Resources shared on purpose (ID keys), and the same with "/" for what lies under them.
    _shared_keys: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _shared_parents: tuple[str, ...] = field(default=(), init=False, repr=False)

    def add(self, source: Source) -> None:
        """Add what `source` owns. Of a value one environment owns twice, the first counts
        (the state's spelling: its documents come first)."""
        env = source.env
        for kind, value, label in _identifiers(source, self._normal):
            first = self._first[kind]
            known = first.get(value)
            if known is None:
                first[value] = source
                if label:
                    self._labels[kind][value] = label
            elif known.env != env:
                more = self._more[kind].setdefault(value, [])
                if all(other.env != env for other, _ in more):
                    more.append((source, label))
        self._ips = None

    def owners(self, kind: Kind, value: str) -> list[Owned]:
        """Every environment's owners of normalized `value`, in the order they were added."""
        first = self._first[kind].get(value)
        if first is None:
            return []
        found = [self._owned(first, kind, value, self._labels[kind].get(value, ""))]
        for source, label in self._more[kind].get(value, ()):
            found.append(self._owned(source, kind, value, label))
        return found

    def _owned(self, source: Source, kind: Kind, value: str, label: str) -> Owned:
        return _record(source, kind, value, label, self._under_shared(source.key))

    def _under_shared(self, key: str) -> bool:
        return bool(self._shared_keys) and (
            key in self._shared_keys or key.startswith(self._shared_parents)
        )

    def foreign(self, kind: Kind) -> Iterator[str]:
        """The values of `kind` that an environment other than the target owns."""
        more = self._more[kind]
        for value, source in self._first[kind].items():
            if source.env != self.target or value in more:
                yield value

    def _holders(self) -> Iterator[tuple[Kind, str, Source]]:
        """(kind, value, document) of every value each environment owns."""
        for kind, values in self._first.items():
            more = self._more[kind]
            for value, source in values.items():
                yield kind, value, source
                for other, _ in more.get(value, ()):
                    yield kind, value, other

    def mark_shared(self, shared: Sequence[str]) -> None:
        """Mark deliberately shared resources: what they own, and all under them, is shared.
        `shared` names them by ID, name or an identifier they own (FQDN, login server…)."""
        wanted = {s.strip().rstrip("/.").lower() for s in shared if s.strip()}
        owners = {k for k in (id_key(s) for s in wanted) if k}
        for kind, value, source in self._holders() if wanted else ():
            shown = source.resource_id.lower() if kind is Kind.ID else value
            if value in wanted or shown in wanted or source.key.rsplit("/", 1)[-1] in wanted:
                owners.add(source.key)
        self._shared_keys = frozenset(owners)
        self._shared_parents = tuple(f"{owner}/" for owner in owners)

    def is_shared(self, key: str) -> bool:
        """Whether `key` (an ID key) is, or lies under, a shared resource."""
        if not self._shared_keys:
            return False
        ids, parts = self._first[Kind.ID], key.strip("/").split("/")
        prefixes = ("/" + "/".join(parts[:n]) for n in range(len(parts), 3, -1))
        return any(p in ids and self._under_shared(p) for p in prefixes)

    def _verdict(self, kind: Kind, value: str) -> list[Owned]:
        """The owners of `value` (owned): another environment's, unless the target or a
        shared resource owns it too. No record is made for the target's own."""
        first = self._first[kind][value]
        if first.env == self.target or self._under_shared(first.key):
            return []
        more = self._more[kind].get(value, ())
        for source, _ in more:
            if source.env == self.target or self._under_shared(source.key):
                return []
        return self.owners(kind, value)

    def resolve_id(self, token: str) -> tuple[list[Owned], bool]:
        """Owners of the most specific owned ID `token` is or lies under, and if it is that ID."""
        key, exact = self._owned_id(token)
        return (self._verdict(Kind.ID, key) if key else []), exact

    def id_owners(self, token: str) -> tuple[list[Owned], bool]:
        """Every environment's owners of the most specific owned ID `token` is or lies under
        (the target's and shared ones included), and if it is that ID."""
        key, exact = self._owned_id(token)
        return (self.owners(Kind.ID, key) if key else []), exact

    def _owned_id(self, token: str) -> tuple[str | None, bool]:
        """The most specific owned ID key `token` is or lies under, and if it is that ID."""
        ids = self._first[Kind.ID]
        key = token.lower()
        if not key.startswith("/") or "//" in key or key.endswith("/"):
            key = "/" + "/".join(p for p in key.split("/") if p)
        depth = steps = key.count("/")
        while steps > 3:  # the most specific owner decides
            if key in ids:
                return key, steps == depth
            key, steps = key[: key.rfind("/")], steps - 1
        return None, True

    def resolve_host(self, token: str) -> list[Owned]:
        """Owners of host `token`: its exact owner, else the owner of a domain it lies in."""
        host = token.rstrip(".").lower()
        if len(host) > MAX_HOST:
            return []
        if host in self._first[Kind.HOST]:
            return self._verdict(Kind.HOST, host)
        domains = self._first[Kind.DOMAIN]
        while "." in host:  # the host itself, then each domain it lies in
            if host in domains:
                return self._verdict(Kind.DOMAIN, host)
            host = host[host.index(".") + 1 :]
        return []

    def resolve_guid(self, token: str) -> list[Owned]:
        guid = token.lower()
        return self._verdict(Kind.GUID, guid) if guid in self._first[Kind.GUID] else []

    def resolve_network(self, first: Address, last: Address) -> list[Owned]:
        """Owners of the owned IPs from `first` to `last`, unless the range is too wide."""
        if first.version != last.version:
            return []
        return self.resolve_span(first.version, int(first), int(last))

    def resolve_span(self, version: int, first: int, last: int) -> list[Owned]:
        """Owners of the owned IPs of `version` from integer `first` to `last`, unless the
        range is too wide (the scanner reads IPv4 networks as integers: no objects made)."""
        if last - first + 1 > MAX_RANGE:
            return []
        numbers, ranks, values = self._ip_table().get(version, ([], [], []))
        inside = sorted(
            ranks[bisect.bisect_left(numbers, first) : bisect.bisect_right(numbers, last)]
        )
        found: list[Owned] = []
        for rank in inside:
            found += self._verdict(Kind.IP, values[rank])
        return found

    def _ip_table(self) -> dict[int, tuple[list[int], list[int], list[str]]]:
        if self._ips is None:
            values = list(self._first[Kind.IP])
            by_version: dict[int, list[tuple[int, int]]] = {}
            for rank, value in enumerate(values):
                parsed = ip_number(value)
                if parsed is not None:  # always: owned IPs are normalized ones
                    by_version.setdefault(parsed[0], []).append((parsed[1], rank))
            self._ips = {}
            for version, pairs in by_version.items():
                pairs.sort()
                self._ips[version] = ([n for n, _ in pairs], [r for _, r in pairs], values)
        return self._ips


def index_of(target: str, documents: Sequence[Sequence[Source]], shared: Sequence[str]) -> Index:
    """The index of what the environments own, from their documents (the target's first)."""
    index = Index(target)
    for docs in documents:
        for source in docs:
            index.add(source)
    index.mark_shared(shared)
    return index
