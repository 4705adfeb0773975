"""Environment isolation: nothing of one environment may point at another's resources.

The check is generic. Each environment *owns* identifiers: the IDs of the resources in its
state and live inventory (and so every ID under them), and the computed names Azure gives
them (FQDNs, login servers, default domains, outbound and static IPs, workspace and identity
GUIDs; `OWNED` below). Every string leaf and map key of the target's state attributes, live
ARM bodies and planned values is then tokenized into ARM IDs, host names, IPv4 addresses or
networks and GUIDs, and each token is matched against the owned identifiers, most specific
owner first. Firewall-style `start…`/`end…` IP pairs are checked for containment. A new
resource type is covered without code as long as its references are IDs, hosts, IPs or
GUIDs; only a new kind of *owned* computed name needs one line in `OWNED`.

A token is reported only when its most specific owner is another environment: an ID under
prod's resource group that is also the target's own resource is the target's business (and
reported once, as a resource in two places). Bare names are never matched: `stockapp` in
both environments is not a reference, and neither is a subscription ID or a location.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from provisioner.model import REDACTED, Finding, FindingKind, Severity, redact_text
from provisioner.registry import tf_type_for_arm

if TYPE_CHECKING:  # types only: the analyser reads records, it never parses documents
    from provisioner.state.plan import Plan
    from provisioner.state.reader import StateDocument


@dataclass(frozen=True)
class EnvironmentData:
    """What azprov knows about one environment, from any source that was available."""

    name: str
    state_key: str
    state: StateDocument | None = None
    # ARM bodies (an `Inventory`'s or snapshot's), secrets already redacted.
    live: Sequence[Mapping[str, Any]] | None = None
    # The plan about to be applied; only the target environment of `azprov audit` has one.
    planned: Plan | None = None


class _Kind(StrEnum):
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
OWNED: Mapping[str, tuple[_Kind, str, frozenset[str] | None]] = {
    # Terraform state / planned values
    "fqdn": (_Kind.HOST, "FQDN", None),
    "ingress.*.fqdn": (_Kind.HOST, "ingress FQDN", None),
    "latest_revision_fqdn": (_Kind.HOST, "revision FQDN", None),
    "login_server": (_Kind.HOST, "login server", None),
    "data_endpoint_host_names.*": (_Kind.HOST, "registry data endpoint", None),
    "vault_uri": (_Kind.HOST, "Key Vault", None),
    "default_domain": (_Kind.DOMAIN, "default domain", None),
    "static_ip_address": (_Kind.IP, "static IP", None),
    "outbound_ip_addresses.*": (_Kind.IP, "outbound IP", None),
    "workspace_id": (_Kind.GUID, "workspace ID", _WORKSPACE_TYPES),
    "principal_id": (_Kind.GUID, "principal ID", _IDENTITY_TYPES),
    "client_id": (_Kind.GUID, "client ID", _IDENTITY_TYPES),
    "identity.*.principal_id": (_Kind.GUID, "managed identity principal ID", None),
    # ARM bodies
    "properties.fullyQualifiedDomainName": (_Kind.HOST, "FQDN", None),
    "properties.configuration.ingress.fqdn": (_Kind.HOST, "ingress FQDN", None),
    "properties.latestRevisionFqdn": (_Kind.HOST, "revision FQDN", None),
    "properties.loginServer": (_Kind.HOST, "login server", None),
    "properties.dataEndpointHostNames.*": (_Kind.HOST, "registry data endpoint", None),
    "properties.vaultUri": (_Kind.HOST, "Key Vault", None),
    "properties.defaultDomain": (_Kind.DOMAIN, "default domain", None),
    "properties.staticIp": (_Kind.IP, "static IP", None),
    "properties.outboundIpAddresses.*": (_Kind.IP, "outbound IP", None),
    "properties.customerId": (_Kind.GUID, "workspace ID", _WORKSPACE_TYPES),
    "properties.principalId": (_Kind.GUID, "principal ID", _IDENTITY_TYPES),
    "properties.clientId": (_Kind.GUID, "client ID", _IDENTITY_TYPES),
    "identity.principalId": (_Kind.GUID, "managed identity principal ID", None),
}

# A firewall range or network wider than a /8 is not aimed at an environment; the policy
# rule pg-firewall-open-range reports those, so the two checks meet with no gap.
MAX_RANGE = 2**24
ENV_TAGS = ("environment", "env")
MAX_HOST = 253  # DNS's limit; longer dotted runs (base64, version lists) are not hosts

_ARM_ID = re.compile(r"/subscriptions/[^/\s\"'<>;,?#&|]+(?:/[^/\s\"'<>;,?#&|]+)*", re.I)
_HOST = re.compile(
    r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62})(?![\w-])", re.I
)
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:/(\d{1,2}))?(?!\w|\.\d)")
_GUID = re.compile(
    r"(?<![\w-])[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}(?![\w-])", re.I
)
_SECRET_NAME = re.compile(
    r"password|secret|token|private_key|access_key|shared_key|sharedkey|api_key|connection_string",
    re.I,
)
# Connection-string keys and URL query keys whose values say where, not how to get in.
_SAFE_KEYS = frozenset(
    {
        "host", "hostname", "server", "datasource", "address", "addr", "port", "database",
        "dbname", "initialcatalog", "userid", "uid", "user", "username", "sslmode", "ssl",
        "encrypt", "endpoint", "accountname", "defaultendpointsprotocol", "endpointsuffix",
        "applicationname", "application_name", "connect_timeout", "target_session_attrs",
    }
)  # fmt: skip

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# -- what each environment owns ------------------------------------------------------------


@dataclass(frozen=True)
class _Owned:
    """One identifier one environment owns, and the resource it belongs to."""

    env: str
    kind: _Kind
    value: str  # normalized: lower case, canonical IP text
    shown: str  # as messages show it: an ID as the owner spells it, else normalized
    label: str  # "FQDN", "outbound IP", "resource"
    owner_key: str  # the owning resource's ID, lower case
    owner: str  # the owning resource as a reviewer knows it: address, or type and name
    shared: bool = False

    def describe(self, exact: bool = True) -> str:
        env = f"{self.env}'s"
        if self.kind is _Kind.ID:
            where = "" if exact else "a resource under "
            return f"{where}{env} {self.owner} ({self.shown})"
        return f"{env} {self.label} {self.shown} ({self.owner})"


@dataclass(frozen=True)
class _Source:
    """One document of one environment: a state record, an ARM body or a planned object."""

    env: str
    origin: str  # "state", "Azure" or "plan"
    key: str  # resource ID (lower case) or, without one, the address
    resource_id: str
    address: str | None
    tf_type: str | None
    type_names: frozenset[str]  # tf and ARM type, lower case, for OWNED's type limits
    doc: Mapping[str, Any]
    sensitive: frozenset[str] = frozenset()


def _id_key(raw: str) -> str | None:
    """`raw` as a lower-case ID key, or None when it is not a resource-group-deep ARM ID."""
    parts = [p for p in raw.strip().split("/") if p]
    if len(parts) < 4 or parts[0].lower() != "subscriptions":
        return None
    return "/" + "/".join(parts).lower()


def _host_of(raw: str) -> str | None:
    text = raw.strip()
    if "://" in text:
        try:
            text = urlsplit(text).hostname or ""
        except ValueError:
            return None
    text = text.rstrip(".").lower()
    return text if _HOST.fullmatch(text) else None


def _ip_of(raw: str) -> Address | None:
    try:
        return ipaddress.ip_address(raw.strip())
    except ValueError:
        return None


def _sources(env: EnvironmentData) -> list[_Source]:
    """Every document of `env`: state records first (they carry addresses), Azure, the plan."""
    out: list[_Source] = []
    addresses: dict[str, tuple[str, str]] = {}
    for record in env.state.resources if env.state else ():
        raw_id = record.id
        key = _id_key(raw_id) if raw_id else None
        if key:
            addresses[key] = (record.address, record.tf_type)
        out.append(
            _Source(
                env.name, "state", key or record.address, raw_id or record.address,
                record.address, record.tf_type, frozenset({record.tf_type.lower()}),
                record.attributes, record.sensitive_paths,
            )
        )  # fmt: skip
    for body in env.live or ():
        raw_id = str(body.get("id") or "")
        key = _id_key(raw_id)
        if key is None:
            continue
        arm_type = str(body.get("type") or "")
        address, tf_type = addresses.get(key, (None, tf_type_for_arm(arm_type)))
        names = {arm_type.lower(), (tf_type or "").lower()} - {""}
        out.append(
            _Source(env.name, "Azure", key, raw_id, address, tf_type, frozenset(names), body)
        )
    plan = env.planned
    by_address = {a: k for k, (a, _) in addresses.items()}
    for change in plan.resource_changes if plan else ():
        if change.mode != "managed" or not isinstance(change.after, Mapping):
            continue
        raw_id = change.after.get("id")
        key = _id_key(raw_id) if isinstance(raw_id, str) else None
        key = key or by_address.get(change.address)
        shown_id = raw_id if key and isinstance(raw_id, str) and _id_key(raw_id) else key
        out.append(
            _Source(
                env.name, "plan", key or change.address, shown_id or change.address,
                change.address, change.type, frozenset({change.type.lower()}), change.after,
            )
        )  # fmt: skip
    return out


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar leaf with its path; list indices become path segments `0`, `1`, ..."""
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _leaves(sub, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for i, sub in enumerate(value):
            yield from _leaves(sub, (*path, str(i)))
    else:
        yield path, value


def _pattern(path: tuple[str, ...]) -> str:
    return ".".join("*" if p.isdigit() else p for p in path)


def _owner_name(source: _Source) -> str:
    if source.address:
        return source.address
    name = source.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return f"{source.tf_type or next(iter(source.type_names), 'resource')} {name}"


def _owned_by(source: _Source) -> Iterator[_Owned]:
    if source.key.startswith("/subscriptions/") and source.origin != "plan":
        group = source.key.count("/") == 4 and "/resourcegroups/" in source.key
        yield _Owned(
            source.env, _Kind.ID, source.key, source.resource_id,
            "resource group" if group else "resource", source.key, _owner_name(source),
        )  # fmt: skip
    for path, value in _leaves(source.doc):
        entry = OWNED.get(_pattern(path))
        if entry is None or not isinstance(value, str) or not value.strip():
            continue
        kind, label, types = entry
        if types is not None and not types & source.type_names:
            continue
        normal = _normal(kind, value)
        if normal is not None:
            yield _Owned(source.env, kind, normal, normal, label, source.key, _owner_name(source))


def _normal(kind: _Kind, value: str) -> str | None:
    if kind in (_Kind.HOST, _Kind.DOMAIN):
        return _host_of(value)
    if kind is _Kind.IP:
        ip = _ip_of(value)
        return str(ip) if ip is not None else None
    if kind is _Kind.GUID:
        text = value.strip().lower()
        return text if _GUID.fullmatch(text) else None
    return _id_key(value)


@dataclass
class _Index:
    """Owned identifiers of every environment, by kind and normalized value."""

    target: str
    by_kind: dict[_Kind, dict[str, list[_Owned]]] = field(default_factory=dict)

    def add(self, owned: _Owned) -> None:
        entries = self.by_kind.setdefault(owned.kind, {}).setdefault(owned.value, [])
        if all(e.env != owned.env for e in entries):  # the state's spelling wins
            entries.append(owned)

    def entries(self) -> Iterator[_Owned]:
        for values in self.by_kind.values():
            for owners in values.values():
                yield from owners

    def mark_shared(self, shared: Sequence[str]) -> None:
        """Flag identifiers of deliberately shared resources, and all their resource owns."""
        wanted = {s.strip().rstrip("/.").lower() for s in shared if s.strip()}
        ids = {k for k in (_id_key(s) for s in wanted) if k}
        owners = set(ids)
        for owned in self.entries():
            name = owned.owner_key.rsplit("/", 1)[-1]
            if owned.value in wanted or name in wanted or owned.shown.lower() in wanted:
                owners.add(owned.owner_key)
        for values in self.by_kind.values():
            for key, entries in values.items():
                values[key] = [replace(e, shared=_under_any(e.owner_key, owners)) for e in entries]

    def _verdict(self, owners: list[_Owned]) -> list[_Owned]:
        """Another environment's owners, unless the target or a shared resource owns it too."""
        if any(o.env == self.target or o.shared for o in owners):
            return []
        return owners

    def resolve_id(self, token: str) -> tuple[list[_Owned], bool]:
        ids = self.by_kind.get(_Kind.ID, {})
        parts = [p for p in token.lower().split("/") if p]
        for n in range(len(parts), 3, -1):  # the most specific owner decides
            owners = ids.get("/" + "/".join(parts[:n]))
            if owners:
                return self._verdict(owners), n == len(parts)
        return [], True

    def resolve_host(self, token: str) -> list[_Owned]:
        host = token.rstrip(".").lower()
        if len(host) > MAX_HOST:
            return []
        exact = self.by_kind.get(_Kind.HOST, {}).get(host)
        if exact:
            return self._verdict(exact)
        labels = host.split(".")
        domains = self.by_kind.get(_Kind.DOMAIN, {})
        for i in range(len(labels) - 1):
            owners = domains.get(".".join(labels[i:]))
            if owners:
                return self._verdict(owners)
        return []

    def resolve_guid(self, token: str) -> list[_Owned]:
        return self._verdict(self.by_kind.get(_Kind.GUID, {}).get(token.lower(), []))

    def resolve_network(self, first: Address, last: Address) -> list[_Owned]:
        if first.version != last.version or int(last) - int(first) + 1 > MAX_RANGE:
            return []
        found: list[_Owned] = []
        for value, owners in self.by_kind.get(_Kind.IP, {}).items():
            ip = ipaddress.ip_address(value)
            if ip.version == first.version and int(first) <= int(ip) <= int(last):
                found += self._verdict(owners)
        return found


def _under_any(key: str, prefixes: set[str]) -> bool:
    return any(key == p or key.startswith(p + "/") for p in prefixes)


def _build_index(
    target: EnvironmentData, others: Sequence[EnvironmentData], shared: Sequence[str]
) -> tuple[_Index, list[_Source]]:
    index = _Index(target.name)
    target_sources = _sources(target)
    for source in target_sources:
        for owned in _owned_by(source):
            index.add(owned)
    for other in others:
        for source in _sources(other):
            for owned in _owned_by(source):
                index.add(owned)
    index.mark_shared(shared)
    return index, target_sources


# -- references in the target ------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """One attribute of the target that points at one other environment."""

    source: _Source
    attribute: str
    actual: str
    targets: tuple[tuple[_Owned, bool], ...]  # (owned identifier, exact match)
    verb: str = "points at"
    origins: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return self.targets[0][0].env

    @property
    def owner_keys(self) -> frozenset[str]:
        return frozenset(o.owner_key for o, _ in self.targets)


def _attribute(path: tuple[str, ...]) -> str:
    return ".".join(f"[{p}]" if "/" in p or "." in p else p for p in path).replace(".[", "[")


def _is_secret(source: _Source, path: tuple[str, ...]) -> bool:
    dotted = [".".join(path[:n]) for n in range(1, len(path) + 1)]
    if any(d in source.sensitive for d in dotted):
        return True
    return any(_SECRET_NAME.search(p) for p in path if not p.isdigit())


def _matches(text: str, index: _Index) -> list[tuple[_Owned, bool]]:
    found: list[tuple[_Owned, bool]] = []
    for token in _ARM_ID.findall(text):
        owners, exact = index.resolve_id(token)
        found += [(o, exact) for o in owners]
    scrubbed = _ARM_ID.sub(" ", text)  # an ID's `Microsoft.App` segment is no host
    for token in _HOST.findall(scrubbed):
        found += [(o, True) for o in index.resolve_host(token)]
    for ip_text, prefix in _IPV4.findall(scrubbed):
        try:
            net = ipaddress.ip_network(f"{ip_text}/{prefix or 32}", strict=False)
        except ValueError:
            continue
        found += [(o, True) for o in index.resolve_network(net[0], net[-1])]
    if ":" in text and (ip6 := _ip_of(text)) is not None and ip6.version == 6:
        found += [(o, True) for o in index.resolve_network(ip6, ip6)]
    for token in _GUID.findall(scrubbed):
        found += [(o, True) for o in index.resolve_guid(token)]
    return found


def _by_env(
    source: _Source, path: tuple[str, ...], shown: str, found: list[tuple[_Owned, bool]], verb: str
) -> Iterator[_Reference]:
    envs: dict[str, dict[tuple[str, str], tuple[_Owned, bool]]] = {}
    for owned, exact in found:  # one mention per identifier, however often it appears
        envs.setdefault(owned.env, {}).setdefault((owned.kind, owned.value), (owned, exact))
    for targets in envs.values():
        yield _Reference(
            source, _attribute(path), shown, tuple(targets.values()), verb, (source.origin,)
        )


def _ip_pairs(node: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Keys of `start…ip…`/`end…ip…` pairs in one object (firewall rules, IP rules)."""
    lowered = {str(k).lower().replace("_", ""): str(k) for k in node}
    for low, key in lowered.items():
        if "start" in low and "ip" in low:
            end = lowered.get(low.replace("start", "end"))
            if end is not None:
                yield key, end


def _references(source: _Source, index: _Index) -> Iterator[_Reference]:
    yield from _walk(source, source.doc, (), index)


def _walk(source: _Source, node: Any, path: tuple[str, ...], index: _Index) -> Iterator[_Reference]:
    if isinstance(node, Mapping):
        paired: set[str] = set()
        for start_key, end_key in _ip_pairs(node):
            first, last = _ip_of(str(node[start_key])), _ip_of(str(node[end_key]))
            if first is None or last is None:
                continue
            paired |= {start_key, end_key}
            found = [(o, True) for o in index.resolve_network(first, last)]
            shown = f"{node[start_key]}-{node[end_key]}"
            yield from _by_env(source, (*path, start_key), shown, found, "admits")
        for key, sub in node.items():
            key = str(key)
            if key in paired:
                continue
            if key_hits := _matches(key, index):  # ARM keys user-assigned identities by ID
                yield from _by_env(source, path, key, key_hits, "points at")
            yield from _walk(source, sub, (*path, key), index)
    elif isinstance(node, list | tuple):
        for i, sub in enumerate(node):
            yield from _walk(source, sub, (*path, str(i)), index)
    elif isinstance(node, str) and node.strip() and (found := _matches(node, index)):
        # Anything that can carry a credential (userinfo, key=value pairs, a query string)
        # is shown only as far as it says where it points.
        risky = _is_secret(source, path) or any(char in node for char in "@=?")
        shown = _masked(node) if risky else redact_text(node)
        yield from _by_env(source, path, shown, found, "points at")


def _merged(references: Iterable[_Reference]) -> list[_Reference]:
    """One finding per reference: state first; Azure and the plan add to what the state says."""
    kept: list[_Reference] = []
    by_resource: dict[tuple[str, str], list[int]] = {}
    for ref in references:
        group = by_resource.setdefault((ref.source.key, ref.env), [])
        same = [
            i
            for i in group
            if kept[i].source.origin != ref.source.origin and ref.owner_keys <= kept[i].owner_keys
        ]
        for i in same:
            if ref.source.origin not in kept[i].origins:
                kept[i] = replace(kept[i], origins=(*kept[i].origins, ref.source.origin))
        if not same:
            group.append(len(kept))
            kept.append(ref)
    return kept


def _reference_finding(ref: _Reference) -> Finding:
    targets = "; ".join(o.describe(exact) for o, exact in ref.targets)
    what = "range " + ref.actual + " " if ref.verb == "admits" else ""
    return Finding(
        kind=FindingKind.ISOLATION,
        severity=Severity.HIGH,
        resource_id=ref.source.resource_id,
        address=ref.source.address,
        type=ref.source.tf_type,
        attribute=ref.attribute,
        actual=ref.actual,
        message=f"{ref.attribute} {what}points at {targets}; {_where(ref.origins)}",
    )


# -- secrets in what is shown ------------------------------------------------------------


def _masked(text: str) -> str:
    """A secret value shown only as far as it says *where*: host, port, database, user.

    A password, key or token inside it becomes `***`; a value that cannot be taken apart
    safely is `***` as a whole.
    """
    value = text.strip()
    if _ARM_ID.fullmatch(value) or _HOST.fullmatch(value) or _ip_of(value):
        return value  # a bare ID, host or IP is an address, not a secret
    if "://" in value:
        return _masked_url(value)
    if "=" in value:
        return _masked_pairs(value)
    return REDACTED


def _masked_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError:
        return REDACTED
    if not host:
        return REDACTED
    user = ""
    if parts.password is not None:
        user = f"{parts.username}:{REDACTED}@"
    elif parts.username is not None:
        user = f"{REDACTED}@"  # a lone user part is often a token
    netloc = f"{user}{host}" + (f":{port}" if port else "")
    # The path names the database of a connection URL or the secret of a Key Vault reference;
    # elsewhere (webhooks) it can be the credential itself.
    keep_path = parts.password is not None or host.endswith(".vault.azure.net")
    path = parts.path if keep_path or parts.path in ("", "/") else f"/{REDACTED}"
    query = "&".join(
        f"{k}={v if _safe_key(k) else REDACTED}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _masked_pairs(value: str) -> str:
    separator = ";" if ";" in value else " "
    shown = []
    for part in value.split(separator):
        if not part.strip():
            shown.append(part)
            continue
        key, eq, sub = part.partition("=")
        shown.append(f"{key}={sub}" if eq and _safe_key(key) else f"{key}={REDACTED}")
    return separator.join(shown)


def _safe_key(key: str) -> bool:
    return key.strip().lower().replace(" ", "") in _SAFE_KEYS


# -- the other checks ----------------------------------------------------------------------


def _state_key_findings(
    target: EnvironmentData, others: Sequence[EnvironmentData]
) -> list[Finding]:
    key = target.state_key.strip()
    return [
        Finding(
            kind=FindingKind.ISOLATION,
            severity=Severity.HIGH,
            resource_id=key,
            attribute="state_key",
            actual=key,
            message=f"{target.name} and {other.name} use the same state key {key!r}: "
            f"one environment's apply would rewrite the other's state",
        )
        for other in others
        if key and other.state_key.strip() == key
    ]


def _two_states_findings(
    target: EnvironmentData, others: Sequence[EnvironmentData], index: _Index
) -> list[Finding]:
    owned: dict[str, tuple[str, str, str]] = {}  # key -> (env, address, ID as written)
    for other in others:
        for record in other.state.resources if other.state else ():
            key = _id_key(record.id or "")
            if key and key not in owned:
                owned[key] = (other.name, record.address, record.id or "")
    out = []
    for record in target.state.resources if target.state else ():
        key = _id_key(record.id or "")
        if key is None or _is_shared(key, index):
            continue
        parts = key.strip("/").split("/")
        for n in range(len(parts), 3, -1):
            hit = owned.get("/" + "/".join(parts[:n]))
            if hit is None:
                continue
            env, address, shown = hit
            if n == len(parts):
                message = (
                    f"{record.address} is also in {env}'s state (as {address}): two "
                    "environments manage the same resource"
                )
            else:
                message = (
                    f"{record.address} lies under {env}'s {address} ({shown}), which {env}'s "
                    "state manages"
                )
            out.append(
                Finding(
                    kind=FindingKind.ISOLATION,
                    severity=Severity.HIGH,
                    resource_id=record.id or key,
                    address=record.address,
                    type=record.tf_type,
                    attribute="id",
                    actual=record.id,
                    message=message,
                )
            )
            break
    return out


def _is_shared(key: str, index: _Index) -> bool:
    parts = key.strip("/").split("/")
    ids = index.by_kind.get(_Kind.ID, {})
    return any(
        o.shared for n in range(len(parts), 3, -1) for o in ids.get("/" + "/".join(parts[:n]), [])
    )


def _tag_findings(
    target: EnvironmentData,
    others: Sequence[EnvironmentData],
    sources: Sequence[_Source],
    index: _Index,
) -> list[Finding]:
    names = {o.name.lower(): o.name for o in others if o.name.lower() != target.name.lower()}
    seen: dict[tuple[str, str, str], int] = {}
    out: list[Finding] = []
    origins: list[list[str]] = []
    for source in sources:
        tags = source.doc.get("tags")
        if not isinstance(tags, Mapping) or _is_shared(source.key, index):
            continue
        for tag, raw in tags.items():
            if str(tag).lower() not in ENV_TAGS or not isinstance(raw, str):
                continue
            value = raw.strip()
            if value.lower() == target.name.lower():
                continue
            dedup = (source.key, str(tag).lower(), value.lower())
            if dedup in seen:
                origins[seen[dedup]].append(source.origin)
                continue
            seen[dedup] = len(out)
            origins.append([source.origin])
            other = names.get(value.lower())
            out.append(
                Finding(
                    kind=FindingKind.ISOLATION,
                    severity=Severity.MEDIUM if other else Severity.LOW,
                    resource_id=source.resource_id,
                    address=source.address,
                    type=source.tf_type,
                    attribute=f"tags.{tag}",
                    actual=value,
                    message=f"tag {tag}={value!r} names "
                    + (f"{other}, but the resource belongs to {target.name}" if other
                       else f"no environment; expected {target.name!r}"),
                )
            )  # fmt: skip
    return [
        replace(f, message=f"{f.message}; {_where(tuple(dict.fromkeys(o)))}")
        for f, o in zip(out, origins, strict=True)
    ]


def _where(origins: tuple[str, ...]) -> str:
    """Where the value was seen: a leak only in Azure is drift, one only in the plan is new."""
    if origins == ("Azure",):
        return "found in Azure only, not in the state"
    if origins == ("plan",):
        return "set by the plan"
    named = [o if o == "Azure" else f"the {o}" for o in origins]
    return "found in " + (
        named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    )


# -- entry point ---------------------------------------------------------------------------


def isolation_findings(
    target: EnvironmentData, others: Sequence[EnvironmentData], shared: Sequence[str] = ()
) -> list[Finding]:
    """Everything in `target` that ties it to one of `others`, as `isolation` findings.

    Reported: a resource in two environments' states (or inside a resource another state
    manages); any attribute, in the state, in Azure or in the plan, that points at another
    environment's resource IDs, FQDNs, login servers, domains, IPs or GUIDs (firewall ranges
    that admit its IPs included); a state key used by two environments; `environment`/`env`
    tags that do not name the target. `shared` lists ARM IDs, names, FQDNs or login servers
    of deliberately shared resources: nothing they own is reported. Values are redacted.
    """
    others = [o for o in others if o.name != target.name]
    index, sources = _build_index(target, others, shared)
    references = [ref for source in sources for ref in _references(source, index)]
    findings = [
        *_state_key_findings(target, others),
        *_two_states_findings(target, others, index),
        *(_reference_finding(ref) for ref in _merged(references)),
        *_tag_findings(target, others, sources, index),
    ]
    return sorted(findings, key=lambda f: (*f.sort_key, f.message))
