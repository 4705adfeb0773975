"""One stack of the benchmark's world, cloned from the registry's type fixtures.

Every registered azurerm type has a fixture, `tests/fixtures/types/<tf_type>.json`: its
state attributes and an ARM GET body shaped like the REST API specification's example for
the type, in azprov's example world (subscription `3f2c8a9e-…`, resource group
`rg-stockapp-prod`, names like `psql-stockapp-prod`). A `Template` gathers one resource of
each (and the companions the fixtures need, such as a firewall rule's server), makes the
copies one team's service realistically holds (four container apps, three firewall rules,
two databases, two identities), and renames the whole stack per instance in one pass over
its JSON text: subscription, resource group, the example world's words (`stockapp`,
`nicebeach`), every GUID but tenants and built-in role definitions, public IPs, and the
environment's name. So a type joins the benchmark as soon as its fixture lands.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from provisioner.model import ResourceId
from provisioner.registry import by_tf_type

Body = dict[str, Any]

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "types"
RESOURCE_GROUP_TYPE = "azurerm_resource_group"
ROLE_ASSIGNMENT_TYPE = "azurerm_role_assignment"
# Words of the example world that name one team's service; each stack gets its own.
EXAMPLE_WORDS = ("stockapp", "nicebeach")
EXAMPLE_ENVIRONMENT = "prod"
# How many of a type one stack holds (one when not named): the copies differ by name.
COPIES = {
    "azurerm_container_app": 4,
    "azurerm_postgresql_flexible_server_firewall_rule": 3,
    "azurerm_postgresql_flexible_server_database": 2,
    "azurerm_user_assigned_identity": 2,
    "azurerm_subnet": 3,
}
# The type extra copies are made of when N is not a whole number of stacks.
FILLER = "azurerm_container_app"
# Each environment's public IPs (outbound, static) come from its own block, so that no
# range of one environment's firewall can hold another's addresses by accident.
PUBLIC_BLOCKS = {"prod": "20.40.0.0", "test": "20.96.0.0"}
IPS_PER_STACK = 64
GROUP_SLOTS = 3000  # a group's own IPs come after those of this many stacks
_GUID_TEXT = r"[0-9a-zA-Z]{8}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{12}"
_GUID = re.compile(rf"(?<![\w-]){_GUID_TEXT}(?![\w-])")
_ROLE_DEFINITION = re.compile(rf"roleDefinitions/({_GUID_TEXT})", re.IGNORECASE)
_IPV4 = r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)"
NAMESPACE = uuid.UUID("6f0c3a52-8d1e-4b7a-9c2f-0e5d4b3a2f10")


def stable_guid(*parts: object) -> str:
    """A GUID derived from `parts`: every run generates the same world."""
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


@dataclass(frozen=True)
class Member:
    """One resource of a stack: its state instance and the body Azure's GET returns."""

    tf_type: str
    block: (
        str  # the resource block's name in the state (`backend` of azurerm_container_app.backend)
    )
    attributes: Body
    sensitive: tuple[str, ...]
    body: Body

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def key(self) -> str:
        return self.id.lower()

    @property
    def arm_type(self) -> str:
        return str(self.body.get("type", ""))

    @property
    def name(self) -> str:
        return self.id.rstrip("/").rsplit("/", 1)[-1]

    def to_json(self) -> list[Any]:
        return [self.tf_type, self.block, self.attributes, list(self.sensitive), self.body]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Member:
        tf_type, block, attributes, sensitive, body = raw
        return cls(tf_type, block, attributes, tuple(sensitive), body)


@dataclass(frozen=True)
class Drift:
    """A fixture's planted change: set `path` of the body to `to`; `attribute` then differs."""

    tf_type: str
    path: str
    to: Any
    attribute: str


@dataclass(frozen=True)
class FixtureSet:
    """The registered types' fixtures, one member per resource they hold."""

    members: tuple[Member, ...]
    sources: Mapping[str, str]  # tf_type -> the fixture's `source`
    drifts: Mapping[str, tuple[Drift, ...]]
    subscription: str
    groups: tuple[str, ...]  # the example world's resource group names


def load_fixtures(directory: Path = FIXTURES, only: Collection[str] | None = None) -> FixtureSet:
    """Every fixture of a registered type (or of the `only` types), deduplicated by ID.

    A type's own fixture wins over another fixture's companion copy of the same resource.
    """
    own: dict[str, Member] = {}
    companions: dict[str, Member] = {}
    sources: dict[str, str] = {}
    drifts: dict[str, tuple[Drift, ...]] = {}
    for path in sorted(directory.glob("*.json")):
        tf_type = path.stem
        if by_tf_type(tf_type) is None or (only is not None and tf_type not in only):
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        sources[tf_type] = str(doc.get("source", ""))
        drifts[tf_type] = tuple(
            Drift(tf_type, str(d["set"]), d["to"], str(d["attribute"]))
            for d in doc.get("drift", ())
        )
        main = _member(doc["resource"], doc["azure"])
        own[main.key] = main
        for extra in doc.get("with", ()):
            companion = _member(extra, extra["azure"])
            if by_tf_type(companion.tf_type) is not None:
                companions.setdefault(companion.key, companion)
    if not own:
        raise ValueError(f"no fixture of a registered type in {directory}")
    members = {**companions, **own}
    ids = [ResourceId.parse(m.id) for m in members.values()]
    subscriptions = {rid.subscription_id.lower() for rid in ids}
    if len(subscriptions) != 1:
        raise ValueError(f"the fixtures span several subscriptions: {sorted(subscriptions)}")
    groups = tuple(sorted({rid.resource_group for rid in ids if rid.resource_group}))
    ordered = sorted(members.values(), key=lambda m: (m.key.count("/"), m.tf_type, m.key))
    return FixtureSet(tuple(ordered), sources, drifts, subscriptions.pop(), groups)


def _member(resource: Mapping[str, Any], body: Body) -> Member:
    tf_type, block = str(resource["address"]).split(".", 1)
    return Member(
        tf_type,
        block,
        copy.deepcopy(dict(resource["attributes"])),
        tuple(resource.get("sensitive", ())),
        copy.deepcopy(body),
    )


# -- copies of one resource within a stack ---------------------------------------------------


def _walk_strings(value: Any, change: Callable[[str], str]) -> Any:
    """`value` with `change` applied to every string, map keys included."""
    if isinstance(value, dict):
        return {change(k): _walk_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk_strings(v, change) for v in value]
    return change(value) if isinstance(value, str) else value


def renamed(member: Member, new_name: str) -> Member:
    """`member` under another name: its ID (and everything under it) and `name` fields."""
    old_id = member.id
    new_id = old_id[: len(old_id) - len(member.name)] + new_name
    lower = old_id.lower()

    def change(text: str) -> str:
        low = text.lower()
        if low == lower or low.startswith(lower + "/"):
            return new_id + text[len(old_id) :]
        return new_name if text == member.name else text

    return replace(
        member,
        attributes=_walk_strings(member.attributes, change),
        body=_walk_strings(member.body, change),
    )


def _suffixed(member: Member, n: int) -> Member:
    return renamed(member, f"{member.name}-{n + 1}")


def _text_swap(member: Member, old: str, new: str) -> Member:
    """Every occurrence of the word `old` in the member's documents becomes `new`."""
    return Member.from_json(json.loads(json.dumps(member.to_json()).replace(old, new)))


_APP_ROLES = ("backend", "worker", "api", "frontend", "scheduler", "notifier", "exporter", "search")


def _app_copy(member: Member, n: int) -> Member:
    """Container apps of one service: a worker, an API, a front end, ... beside the backend."""
    role = next((r for r in _APP_ROLES if r in member.name), None)
    if role is None:
        return _suffixed(member, n)
    new = _APP_ROLES[n % len(_APP_ROLES)] + (str(n // len(_APP_ROLES) + 1) if n >= 8 else "")
    return _text_swap(member, role, new) if new != role else member


# A server's firewall rules beside Azure services: the office, the VPN, the CI runners.
_FIREWALL_RULES = (
    ("office", "198.51.100.0", "198.51.100.255"),
    ("vpn", "203.0.113.0", "203.0.113.31"),
    ("ci-runners", "192.0.2.0", "192.0.2.15"),
    ("partner-etl", "198.18.4.16", "198.18.4.31"),
)


def _firewall_rule_copy(member: Member, n: int) -> Member:
    name, start, end = _FIREWALL_RULES[(n - 1) % len(_FIREWALL_RULES)]
    if n > len(_FIREWALL_RULES):
        name = f"{name}-{n}"
    out = renamed(member, name)
    out.attributes.update(start_ip_address=start, end_ip_address=end)
    props = out.body.setdefault("properties", {})
    props.update(startIpAddress=start, endIpAddress=end)
    return out


_DATABASES = ("reporting", "audit", "jobs", "events")


def _database_copy(member: Member, n: int) -> Member:
    name = _DATABASES[(n - 1) % len(_DATABASES)]
    return renamed(member, name if n <= len(_DATABASES) else f"{name}{n}")


def _fresh_guids(member: Member, n: int, keep: Collection[str]) -> Member:
    """Another resource of the same kind owns other GUIDs (an identity's principal, an
    assignment's name); tenants and role definitions stay."""
    text = json.dumps(member.to_json())

    def swap(match: re.Match[str]) -> str:
        guid = match.group(0)
        return guid if guid.lower() in keep else stable_guid("copy", n, guid.lower())

    return Member.from_json(json.loads(_GUID.sub(swap, text)))


def _subnet_copy(member: Member, n: int) -> Member:
    """Subnets of one network: other names, and another part of its space."""
    out = _suffixed(member, n)
    text = json.dumps(out.to_json())

    def shift(match: re.Match[str]) -> str:
        a, b, c, d = (int(x) for x in match.group(1).split("."))
        return f"{a}.{b}.{(c + 16 * n) % 256}.{d}/{match.group(2)}"

    # Only private prefixes move: public addresses are the stack renaming's business.
    private = r"((?:10|172\.(?:1[6-9]|2\d|3[01])|192\.168)(?:\.\d{1,3}){2,3})/(\d{1,2})"
    return Member.from_json(json.loads(re.sub(private, shift, text)))


# -- the template -------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One stack of the example world, ready to clone: copies made, example names kept."""

    fixtures: FixtureSet
    members: tuple[Member, ...]
    group: Member  # the resource group (one per ~100 resources, not per stack)
    assignment: Member | None  # a role assignment, re-scoped to each resource group
    keep: frozenset[str]  # GUIDs that stay: tenants, built-in role definitions
    public_ips: tuple[str, ...]  # the example world's public IPs, in order of appearance
    _rename: re.Pattern[str] = field(repr=False)

    @property
    def stack_size(self) -> int:
        return len(self.members)

    def filler(self, n: int) -> Member:
        """Copy `n` of the filler type (extra resources when N is no whole number of stacks)."""
        base = next((m for m in self.members if m.tf_type == FILLER), self.members[-1])
        return self.copy_of(base, n)

    def copy_of(self, member: Member, n: int) -> Member:
        return copy_member(member, n, self.keep)

    def clone(self, members: list[Member], stack: Stack) -> list[Member]:
        """`members` renamed for `stack`, in one pass over their JSON text."""
        text = self.rename_text(json.dumps([m.to_json() for m in members]), stack)
        return [Member.from_json(m) for m in json.loads(text)]

    def rename_text(self, text: str, stack: Stack) -> str:
        """Example-world names in `text` as `stack` spells them."""
        return self._rename.sub(stack.rename, text)


def copy_member(member: Member, n: int, keep: Collection[str]) -> Member:
    """Copy `n` of `member` (0: itself): another resource of its kind in the same stack."""
    if n == 0:
        return member
    spec = by_tf_type(member.tf_type)
    arm_type = (spec.arm_type if spec else member.arm_type).lower()
    made = _COPY_MAKERS.get(arm_type, _suffixed)(member, n)
    if arm_type in _OWN_GUIDS:
        made = _fresh_guids(made, n, keep)
    if made.key == member.key:  # a maker that found nothing to vary
        made = _suffixed(made, n)
    return made


_COPY_MAKERS: dict[str, Callable[[Member, int], Member]] = {
    "microsoft.app/containerapps": _app_copy,
    "microsoft.dbforpostgresql/flexibleservers/firewallrules": _firewall_rule_copy,
    "microsoft.dbforpostgresql/flexibleservers/databases": _database_copy,
    "microsoft.network/virtualnetworks/subnets": _subnet_copy,
}
# Types whose copies own GUIDs of their own (principal and client IDs, assignment names).
_OWN_GUIDS = frozenset(
    {"microsoft.managedidentity/userassignedidentities", "microsoft.authorization/roleassignments"}
)


def build_template(fixtures: FixtureSet) -> Template:
    """The stack every instance clones, and the pattern that renames it."""
    group = next((m for m in fixtures.members if m.tf_type == RESOURCE_GROUP_TYPE), None)
    if group is None:
        raise ValueError("the benchmark needs the azurerm_resource_group fixture")
    assignment = next((m for m in fixtures.members if m.tf_type == ROLE_ASSIGNMENT_TYPE), None)
    keep = _kept_guids(fixtures)
    members: list[Member] = []
    for member in fixtures.members:
        if member.tf_type == RESOURCE_GROUP_TYPE:
            continue
        members += [copy_member(member, n, keep) for n in range(COPIES.get(member.tf_type, 1))]
    keys = [m.key for m in members]
    if len(set(keys)) != len(keys):
        raise ValueError("two resources of the stack share an ID after copying")
    text = json.dumps([m.to_json() for m in (*members, group)])
    public = tuple(dict.fromkeys(ip for ip in re.findall(_IPV4, text) if _is_public(ip)))
    if len(public) > IPS_PER_STACK // 2:
        raise ValueError(f"the fixtures hold {len(public)} public IPs; raise IPS_PER_STACK")
    pattern = "|".join(
        [
            rf"(?P<subscription>{re.escape(fixtures.subscription)})",
            *(rf"(?P<group{i}>{re.escape(g)})" for i, g in enumerate(fixtures.groups)),
            rf"(?P<guid>(?<![\w-]){_GUID_TEXT}(?![\w-]))",
            rf"(?P<word>{'|'.join(EXAMPLE_WORDS)})(?P<wordenv>{EXAMPLE_ENVIRONMENT})?",
            rf"(?P<env>(?<![a-z]){EXAMPLE_ENVIRONMENT}(?![a-z]))",
            rf"(?P<ip>{_IPV4})",
        ]
    )
    return Template(fixtures, tuple(members), group, assignment, keep, public,
                    re.compile(pattern, re.IGNORECASE))  # fmt: skip


def _kept_guids(fixtures: FixtureSet) -> frozenset[str]:
    drifts = [d.to for ds in fixtures.drifts.values() for d in ds]
    text = json.dumps([[m.to_json() for m in fixtures.members], drifts])
    kept = {g.lower() for g in _ROLE_DEFINITION.findall(text)} | {fixtures.subscription.lower()}
    for member in fixtures.members:
        for key, value in _pairs(member.attributes, member.body):
            if key in ("tenantId", "tenant_id") and isinstance(value, str) and value:
                kept.add(value.lower())
    return frozenset(kept)


def _pairs(*docs: Any) -> Iterator[tuple[str, Any]]:
    for doc in docs:
        if isinstance(doc, dict):
            for key, value in doc.items():
                yield key, value
                yield from _pairs(value)
        elif isinstance(doc, list):
            yield from _pairs(*doc)


def _is_public(ip: str) -> bool:
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    testing = ipaddress.IPv4Network("198.18.0.0/15")
    return address.is_global and address not in testing


# -- one instance of the stack --------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    """The names one clone of the template gets."""

    template: Template
    environment: str
    subscription: str
    group: str  # its resource group's name
    index: int  # across the environment
    seed: int = 0
    kind: str = "b"  # `b`: a stack of resources; `g`: a resource group's own resources

    @property
    def token(self) -> str:
        """Stands in for `stockapp`: short, so names stay within Azure's length limits."""
        return f"{self.kind}{self.index:04d}"

    def guid(self, original: str) -> str:
        return stable_guid(self.seed, self.environment, self.token, original.lower())

    def public_ip(self, n: int) -> str:
        base = ipaddress.IPv4Address(PUBLIC_BLOCKS.get(self.environment, "20.160.0.0"))
        slot = self.index if self.kind == "b" else GROUP_SLOTS + self.index
        return str(base + slot * IPS_PER_STACK + n + 1)

    def rename(self, match: re.Match[str]) -> str:
        kind = match.lastgroup or ""
        if kind == "wordenv":  # the group that closed last, inside `word`'s alternative
            kind = "word"
        text = match.group(0)
        if kind == "subscription":
            return self.subscription
        if kind.startswith("group"):
            return self.group
        if kind == "guid":
            return text if text.lower() in self.template.keep else self.guid(text)
        if kind == "word":
            word = match.group("word").lower()
            head = self.token if word == EXAMPLE_WORDS[0] else f"{word[:4]}{self.token}"
            return head + (self.environment if match.group("wordenv") else "")
        if kind == "env":
            return self.environment
        if kind == "ip":
            return self._ip(match)
        return text

    def _ip(self, match: re.Match[str]) -> str:
        ip = match.group(0)
        tail = match.string[match.end() : match.end() + 4]
        if not _is_public(ip) or (tail.startswith("/") and not tail.startswith("/32")):
            return ip
        try:
            return self.public_ip(self.template.public_ips.index(ip))
        except ValueError:
            return ip
