"""A benchmark world: N Terraform-managed resources in Azure, their state, and planted drift.

The world is made of stacks, each one team's service, cloned from the registry's type
fixtures (`bench.templates`: one resource of every registered type, with the copies a
service holds) and enriched the way real estates are (`bench.enrich`). Stacks share
resource groups of about 100 resources; each group also holds two role assignments made
at its scope. Children sit under their parents: firewall rules and databases (and the
databases Azure makes on its own) under each server, subnets under each network.

Planted in the target environment (`prod`), which both runners must report exactly:
fixture drift on resources of several types (each fixture says what it changes and which
attribute then differs), a container app and a database deleted out of band, and
resources made by hand: a firewall rule, a role assignment at a resource group, a copy of
a registered top-level resource, and a resource of a type azprov does not read. One more
change must NOT be reported: a resource changed by a recent apply that Resource Graph
still shows with its old value (its index lags writes).

With another environment (`test`, generated alike), two references across environments
are planted for the isolation check: the hand-made firewall rule admits test's outbound IP,
and one app's env var names test's database server.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from bench.enrich import ENRICHMENTS, enrich
from bench.fake_arm import World
from bench.templates import (
    FILLER,
    Drift,
    FixtureSet,
    Member,
    Stack,
    Template,
    build_template,
    load_fixtures,
    renamed,
    stable_guid,
)
from provisioner.registry import Placement, by_tf_type, children_of, listed_at

Body = dict[str, Any]

SUBSCRIPTION = "5e1f0c2a-7b3d-4e8f-9a6b-0c1d2e3f4a5b"
TARGET, OTHER = "prod", "test"
GROUP_SIZE = 100  # resources per resource group, about
PROVIDER = 'provider["registry.terraform.io/hashicorp/azurerm"]'
# Built-in role definitions (the same GUIDs in every tenant).
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6210-49e3-bb19-0c4c3c9ab8c9"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
# Role assignments Terraform makes at each resource group: (key, role, role name, principal).
GROUP_ROLES = (("reader", READER, "Reader", "monitoring"),
               ("contributor", CONTRIBUTOR, "Contributor", "deployer"))  # fmt: skip
# Types whose fixture drift is planted first (others follow, by name), and how many.
CHANGED_FIRST = (
    "azurerm_postgresql_flexible_server",
    "azurerm_postgresql_flexible_server_firewall_rule",
    "azurerm_role_assignment",
    "azurerm_container_app_environment",
)
CHANGED_TYPES = 4
LAGGING_TYPE = FILLER  # the resource Resource Graph shows before its last apply
UNREAD_TYPE = "Microsoft.Web/staticSites"  # a type azprov does not read, made by hand


@dataclass(frozen=True)
class Expected:
    """One finding the runners must report, in the terms of azprov's JSON report."""

    kind: str  # changed | missing | unmanaged | isolation
    resource_id: str
    attribute: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        # Isolation findings name the attribute the way the analyser walks documents;
        # what is planted is which resource points across.
        attribute = None if self.kind == "isolation" else self.attribute
        return (self.kind, self.resource_id.lower(), attribute)


@dataclass(frozen=True)
class Layout:
    """How N state resources divide into resource groups, stacks and extra resources."""

    size: int
    stack_size: int
    groups: int
    stacks: int
    extra: int  # copies of the filler type beyond whole stacks

    @staticmethod
    def per_group() -> int:
        """State resources a group holds besides its stacks: itself and its assignments."""
        return 1 + len(GROUP_ROLES)

    @classmethod
    def minimum(cls, stack_size: int) -> int:
        return cls.per_group() + stack_size

    @classmethod
    def for_size(cls, size: int, stack_size: int) -> Layout:
        least = cls.minimum(stack_size)
        if size < least:
            raise ValueError(f"the benchmark needs at least {least} resources, not {size}")
        per_group = max(1, round((GROUP_SIZE - cls.per_group()) / stack_size))
        groups = max(1, math.ceil(size / (per_group * stack_size + cls.per_group())))
        stacks = (size - groups * cls.per_group()) // stack_size
        groups = min(groups, stacks)
        stacks = (size - groups * cls.per_group()) // stack_size
        extra = size - groups * cls.per_group() - stacks * stack_size
        return cls(size, stack_size, groups, stacks, extra)

    def group_of(self, stack: int) -> int:
        return stack * self.groups // self.stacks


@dataclass(frozen=True)
class Generated:
    """One environment: what Azure holds (`world`), what Terraform holds, what differs."""

    environment: str
    layout: Layout
    world: World
    state: dict[str, Any]
    expected: tuple[Expected, ...]
    resource_groups: tuple[str, ...]
    parents: tuple[str, ...]  # IDs in the state with child types: listed per parent
    # Resources planted with something to report, and the lagging one (nothing to report).
    planted: frozenset[str] = frozenset()
    lagging: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    # Enrichments applied, per type, and any left out because they drifted.
    enrichments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return self.layout.size

    def state_json(self, indent: int | None = None) -> str:
        return json.dumps(self.state, indent=indent) + "\n"

    def expected_keys(
        self, kinds: Iterable[str] | None = None
    ) -> frozenset[tuple[str, str, str | None]]:
        wanted = set(kinds) if kinds is not None else None
        return frozenset(e.key for e in self.expected if wanted is None or e.kind in wanted)

    def first(self, tf_type: str) -> Body | None:
        """The body of the first resource of `tf_type` Azure holds (for planting)."""
        spec = by_tf_type(tf_type)
        wanted = spec.arm_type.lower() if spec else ""
        return next((b for b in self.world.bodies.values()
                     if str(b.get("type", "")).lower() == wanted), None)  # fmt: skip


@cache
def template(only: frozenset[str] | None = None) -> Template:
    """The stack every instance clones (the fixtures of `only`, or of every registered type)."""
    return build_template(load_fixtures(only=only))


def minimum_size(only: frozenset[str] | None = None) -> int:
    return Layout.minimum(template(only).stack_size)


# -- building -------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Collects state instances (grouped by resource block) and ARM bodies."""

    subscription: str
    blocks: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    bodies: dict[str, Body] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # ID key -> member, in the state

    def add(self, member: Member, key: str, in_state: bool = True) -> None:
        if in_state:
            self.blocks.setdefault((member.tf_type, member.block), []).append({
                "index_key": key, "schema_version": 0, "attributes": member.attributes,
                "sensitive_attributes": [_sensitive_path(s) for s in member.sensitive],
            })  # fmt: skip
            self.members[member.key] = member
        self.bodies[member.key] = member.body

    def state(self, lineage: str) -> dict[str, Any]:
        return {
            "version": 4, "terraform_version": "1.11.4", "serial": 42, "lineage": lineage,
            "outputs": {},
            "resources": [
                {"mode": "managed", "type": tf_type, "name": block, "provider": PROVIDER,
                 "instances": instances}
                for (tf_type, block), instances in self.blocks.items()
            ],
        }  # fmt: skip


def _sensitive_path(path: str) -> list[dict[str, Any]]:
    steps = path.split(".")
    return [{"type": "index", "value": {"value": int(s), "type": "number"}} if s.isdigit()
            else {"type": "get_attr", "value": s} for s in steps]  # fmt: skip


def generate(
    size: int,
    environment: str = TARGET,
    *,
    other: Generated | None = None,
    subscription: str = SUBSCRIPTION,
    seed: int = 0,
    plant: bool = True,
    only: frozenset[str] | None = None,
) -> Generated:
    """The environment of `size` state resources, with the planted drift applied to Azure.

    `other` is another environment generated before: references to it are planted for the
    isolation check. `only` limits the fixtures to those types (a world that must not
    change when types are added, as the golden redaction test needs).
    """
    tmpl = template(only)
    layout = Layout.for_size(size, tmpl.stack_size)
    groups = tuple(f"rg-bench{g:03d}-{environment}" for g in range(layout.groups))
    stacks = [Stack(tmpl, environment, subscription, groups[layout.group_of(i)], i, seed)
              for i in range(layout.stacks)]  # fmt: skip
    left_out, notes = _calibrate(tmpl, stacks[0])
    b = _Builder(subscription)
    applied: dict[str, set[str]] = {}
    for g, group in enumerate(groups):
        _group(b, tmpl, Stack(tmpl, environment, subscription, group, g, seed, kind="g"))
    for stack in stacks:
        extra = layout.extra // layout.stacks + (stack.index < layout.extra % layout.stacks)
        members = _stack(tmpl, stack, extra, left_out, applied)
        for member in members:
            b.add(member, f"{stack.token}-{member.name}")
        _builtins(b, tmpl, members)
    generated = Generated(
        environment=environment,
        layout=layout,
        world=World(subscription, _tenant(tmpl), b.bodies),
        state={},
        expected=(),
        resource_groups=groups,
        parents=tuple(m.id for m in b.members.values() if children_of(m.arm_type)),
        sources=dict(tmpl.fixtures.sources),
        enrichments={
            t: tuple(n for n in ENRICHMENTS if n in names) for t, names in applied.items()
        },
        notes=notes,
    )
    if plant:
        generated = _plant(generated, b, tmpl, stacks, other)
    lineage = stable_guid("lineage", seed, environment)
    return replace(generated, state=b.state(lineage))


def _tenant(tmpl: Template) -> str:
    """The tenant the fixtures name (an identity carries it), for the fake's subscription."""
    for member in tmpl.members:
        tenant = (member.body.get("properties") or {}).get("tenantId")
        if isinstance(tenant, str) and tenant:
            return tenant
    return "00000000-0000-0000-0000-000000000000"


def _stack(
    tmpl: Template,
    stack: Stack,
    extra: int,
    left_out: dict[str, set[str]],
    applied: dict[str, set[str]] | None = None,
) -> list[Member]:
    filler = [tmpl.filler(n) for n in _filler_copies(tmpl, extra)]
    members = tmpl.clone([*tmpl.members, *filler], stack)
    rng = random.Random(f"{stack.seed}/{stack.environment}/{stack.index}")  # noqa: S311
    for tf_type, name in enrich(members, stack, rng, left_out):
        if applied is not None:
            applied.setdefault(tf_type, set()).add(name)
    return members


def _filler_copies(tmpl: Template, extra: int) -> range:
    held = sum(1 for m in tmpl.members if m.tf_type == FILLER) or 1
    return range(held, held + extra)


def _group(b: _Builder, tmpl: Template, stack: Stack) -> None:
    """A resource group and the role assignments Terraform makes at its scope."""
    [group] = tmpl.clone([tmpl.group], stack)
    rng = random.Random(f"{stack.seed}/{stack.environment}/{stack.group}")  # noqa: S311
    list(enrich([group], stack, rng, {}))
    b.add(group, stack.group)
    if tmpl.assignment is None:
        return
    for key, role, role_name, principal in GROUP_ROLES:
        member = _assignment(tmpl, stack, group.id, role, role_name,
                             stable_guid(stack.environment, principal), key)  # fmt: skip
        b.add(member, f"{stack.group}-{key}")


def _assignment(
    tmpl: Template, stack: Stack, scope: str, role: str, role_name: str, principal: str, key: str
) -> Member:
    """The fixture's role assignment made at `scope` instead: another role, principal, name."""
    assert tmpl.assignment is not None
    [base] = tmpl.clone([tmpl.assignment], stack)
    old_scope = str(base.attributes["scope"])
    old_role = str(base.attributes["role_definition_id"])
    name = stable_guid(stack.environment, scope.lower(), key)
    authorization = "providers/Microsoft.Authorization"
    new_role = f"/subscriptions/{stack.subscription}/{authorization}/roleDefinitions/{role}"
    new_id = f"{scope}/{authorization}/roleAssignments/{name}"
    old_principal = str(base.attributes["principal_id"])
    swap = {base.id.lower(): new_id, old_scope.lower(): scope, old_role.lower(): new_role,
            base.name.lower(): name, old_principal.lower(): principal}  # fmt: skip

    def change(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: change(v) for k, v in value.items()}
        if isinstance(value, list):
            return [change(v) for v in value]
        return swap.get(value.lower(), value) if isinstance(value, str) else value

    out = replace(base, block=f"{base.block}_{key}", attributes=change(base.attributes),
                  body=change(base.body))  # fmt: skip
    if "role_definition_name" in out.attributes:
        out.attributes["role_definition_name"] = role_name
    return out


def _builtins(b: _Builder, tmpl: Template, members: list[Member]) -> None:
    """Children Azure makes on its own (a server's `postgres` database): in Azure only."""
    for parent in members:
        for spec in children_of(parent.arm_type):
            child = next((m for m in members if m.arm_type.lower() == spec.arm_type.lower()
                          and m.key.startswith(parent.key + "/")), None)  # fmt: skip
            for name in sorted(spec.builtin_names) if child else ():
                b.add(renamed(child, name), name, in_state=False)


# -- checking the clone is clean -----------------------------------------------------------


def _calibrate(tmpl: Template, stack: Stack) -> tuple[dict[str, set[str]], tuple[str, ...]]:
    """Enrichments to leave out per type, so that a clean stack compares clean in azprov.

    An enrichment written differently on the two sides (a new type whose azurerm block
    has another shape) would be drift on every resource; it is left out and noted.
    """
    left_out: dict[str, set[str]] = {}
    notes: list[str] = []
    for _ in range(2):
        applied: dict[str, set[str]] = {}
        drifted = changed_attributes(_stack(tmpl, stack, 0, left_out, applied))
        if not drifted:
            return left_out, tuple(notes)
        for tf_type, attributes in drifted.items():
            if left_out.get(tf_type):
                raise ValueError(f"{tf_type}: its cloned fixture drifts on {attributes}")
            left_out[tf_type] = set(ENRICHMENTS)
            notes.append(
                f"{tf_type}: enrichment ({', '.join(sorted(applied.get(tf_type, ())))}) left "
                f"out, azprov compared it as drift on {', '.join(attributes)}"
            )
    raise ValueError(f"the cloned fixtures drift: {drifted}")


def changed_attributes(members: list[Member]) -> dict[str, list[str]]:
    """Attributes azprov finds changed between members' state and bodies, by type."""
    b = _Builder(SUBSCRIPTION)
    for member in members:
        b.add(member, member.name)
    return drift_by_type(b.state("calibration"), b.bodies)


def drift_by_type(state_doc: Mapping[str, Any], bodies: Mapping[str, Body]) -> dict[str, list[str]]:
    """azprov's drift findings between a state and ARM bodies: attributes (or kinds), by type."""
    from provisioner.analysers.drift import drift_findings
    from provisioner.mapping.normalize import from_arm, from_state, lookups_for
    from provisioner.model import Coverage
    from provisioner.state import parse_state

    state = parse_state(json.dumps(state_doc), "bench")
    expected = [r for r in map(from_state, state.resources) if r is not None]
    lookups = lookups_for(bodies.values())
    live = [from_arm(body, lookups) for body in bodies.values()]
    drift = drift_findings(expected, live, Coverage(fetched=frozenset(bodies)))
    out: dict[str, list[str]] = {}
    for finding in drift.findings:
        out.setdefault(finding.type or "?", []).append(str(finding.attribute or finding.kind))
    return out


# -- planting --------------------------------------------------------------------------------


def set_path(doc: Body, path: str, value: Any) -> None:
    """Set a dotted path (`properties.backup.backupRetentionDays`), making objects on the way."""
    *parents, last = path.split(".")
    node: Any = doc
    for step in parents:
        node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _plant(
    generated: Generated, b: _Builder, tmpl: Template, stacks: list[Stack], other: Generated | None
) -> Generated:
    """Change Azure behind Terraform's back, the ways the module docstring lists."""
    first, middle, last = stacks[0], stacks[len(stacks) // 2], stacks[-1]
    expected: list[Expected] = []
    used: set[str] = set()

    def pick(stack: Stack, tf_type: str, nth: int = 0) -> Member | None:
        prefix = f"/resourcegroups/{stack.group}/".lower()
        found = [m for m in b.members.values() if m.tf_type == tf_type and prefix in m.key
                 and stack.token in m.key and m.key not in used]  # fmt: skip
        if len(found) <= nth:
            return None
        used.add(found[nth].key)
        return found[nth]

    drifts = _changed_drifts(tmpl.fixtures)
    for i, drift in enumerate(drifts):
        member = pick((first, middle, last)[i % 3], drift.tf_type)
        if member is not None:
            set_path(b.bodies[member.key], drift.path, _renamed_value(tmpl, drift.to, first))
            expected.append(Expected("changed", member.id, drift.attribute))
    lagging = pick(middle, LAGGING_TYPE)
    graph: dict[str, Body] = {}
    lag = next(iter(tmpl.fixtures.drifts.get(LAGGING_TYPE, ())), None)
    if lagging is not None and lag is not None:
        stale = json.loads(json.dumps(b.bodies[lagging.key]))
        set_path(stale, lag.path, lag.to)  # the value before the apply
        graph[lagging.key] = stale
    gone = pick(last, FILLER, 1)
    if gone is not None:
        del b.bodies[gone.key]
        expected.append(Expected("missing", gone.id))
    child = _child_member(b, middle, used)
    if child is not None:
        del b.bodies[child.key]
        expected.append(Expected("missing", child.id))
    expected += _by_hand(b, tmpl, (first, middle, last), other, used)
    planted = frozenset(e.resource_id.lower() for e in expected)
    world = replace(generated.world, bodies=b.bodies, graph_bodies=graph)
    return replace(
        generated,
        world=world,
        expected=tuple(expected),
        planted=planted,
        lagging=lagging.id if lagging is not None and graph else None,
    )


def _changed_drifts(fixtures: FixtureSet) -> list[Drift]:
    """One fixture drift each of several types: the preferred ones first."""
    order = [*CHANGED_FIRST, *sorted(fixtures.drifts)]
    chosen: list[Drift] = []
    for tf_type in dict.fromkeys(order):
        drift = next(iter(fixtures.drifts.get(tf_type, ())), None)
        if drift is not None and tf_type != LAGGING_TYPE and len(chosen) < CHANGED_TYPES:
            chosen.append(drift)
    return chosen


def _renamed_value(tmpl: Template, value: Any, stack: Stack) -> Any:
    """A fixture's drift value in the benchmark's names (a role definition's subscription)."""
    if not isinstance(value, str):
        return value
    return tmpl.rename_text(value, stack)


def _child_member(b: _Builder, stack: Stack, used: set[str]) -> Member | None:
    """A child resource of the stack that carries nothing planted yet."""
    for member in b.members.values():
        if stack.token not in member.key or member.key in used:
            continue
        spec = by_tf_type(member.tf_type)
        if spec is not None and spec.listed.placement is Placement.PARENT:
            used.add(member.key)
            return member
    return None


def _by_hand(
    b: _Builder,
    tmpl: Template,
    stacks: tuple[Stack, Stack, Stack],
    other: Generated | None,
    used: set[str],
) -> list[Expected]:
    """Resources made in the portal, and references to the other environment."""
    first, middle, last = stacks
    expected: list[Expected] = []
    members = [m for m in b.members.values() if m.key not in used]
    # A firewall rule (or another child) added by hand; it admits the other environment's
    # outbound IP when there is one.
    rule = next((m for m in members if m.tf_type.endswith("_firewall_rule")
                 and last.token in m.key), None)  # fmt: skip
    if rule is not None:
        ip = _outbound_ip(other) or "203.0.113.7"
        made = renamed(rule, "hotfix-debug")
        made.body.setdefault("properties", {}).update(startIpAddress=ip, endIpAddress=ip)
        b.add(made, "", in_state=False)
        expected.append(Expected("unmanaged", made.id))
        if other is not None:
            expected.append(Expected("isolation", made.id))
    # A role assignment granted at a resource group in the portal.
    if tmpl.assignment is not None:
        group_id = f"/subscriptions/{middle.subscription}/resourceGroups/{middle.group}"
        grant = _assignment(tmpl, middle, group_id, OWNER, "Owner",
                            stable_guid("portal-user"), "by-hand")  # fmt: skip
        grant.body.setdefault("properties", {})["principalType"] = "User"
        b.add(grant, "", in_state=False)
        expected.append(Expected("unmanaged", grant.id))
    # A copy of a registered top-level resource, and a resource of a type azprov does not read.
    top = next((m for m in members if (s := by_tf_type(m.tf_type)) is not None and s.is_top_level
                and first.token in m.key and m.tf_type != FILLER), None)  # fmt: skip
    if top is not None:
        made = renamed(top, f"{top.name}-debug" if "-" in top.name else f"{top.name}debug")
        b.add(made, "", in_state=False)
        expected.append(Expected("unmanaged", made.id))
    group = f"/subscriptions/{last.subscription}/resourceGroups/{last.group}"
    site = f"{group}/providers/{UNREAD_TYPE}/stapp-{last.token}-preview"
    b.add(Member("", "", {}, (), {
        "id": site, "name": site.rsplit("/", 1)[-1], "type": UNREAD_TYPE,
        "location": "westeurope", "tags": {}, "sku": {"name": "Free", "tier": "Free"},
        "properties": {"defaultHostname": f"nice-sky-{last.token}.azurestaticapps.net",
                       "repositoryUrl": f"https://github.com/contoso/{last.token}-preview",
                       "branch": "main", "provider": "GitHub",
                       "stagingEnvironmentPolicy": "Enabled"},
    }), "", in_state=False)  # fmt: skip
    expected.append(Expected("unmanaged", site))
    # A prod app reading the other environment's database.
    if other is not None:
        app = next((m for m in members if m.tf_type == FILLER and first.token in m.key
                    and m.key in b.bodies), None)  # fmt: skip
        host = _server_host(other)
        if app is not None and host and _add_env(app, b.bodies[app.key], "REPORTING_DB_HOST", host):
            expected.append(Expected("isolation", app.id))
    return expected


def _outbound_ip(env: Generated | None) -> str | None:
    body = env.first(FILLER) if env else None
    ips = ((body or {}).get("properties") or {}).get("outboundIpAddresses") or []
    return str(ips[0]) if ips else None


def _server_host(env: Generated) -> str | None:
    body = env.first("azurerm_postgresql_flexible_server")
    host = ((body or {}).get("properties") or {}).get("fullyQualifiedDomainName")
    return str(host) if host else None


def _add_env(member: Member, body: Body, name: str, value: str) -> bool:
    """One more plain env var on the app's first container, in the state and in Azure."""
    try:
        arm = body["properties"]["template"]["containers"][0]["env"]
        state = member.attributes["template"][0]["container"][0]["env"]
    except (KeyError, IndexError, TypeError):
        return False
    arm.append({"name": name, "value": value})
    state.append({"name": name, "secret_name": "", "value": value})
    return True


# -- the other environment, as `azprov snapshot` would have saved it ---------------------------


def snapshot_json(generated: Generated) -> str:
    """`generated`'s live side as an `azprov snapshot` file (secrets redacted as azprov does)."""
    from provisioner.live import Inventory
    from provisioner.live.snapshot import snapshot_to_json
    from provisioner.model import ANY_TOP_LEVEL, Coverage, redact_body

    sub = generated.world.subscription
    groups = [f"/subscriptions/{sub}/resourcegroups/{g}".lower() for g in generated.resource_groups]
    scope_types = [s.arm_type.lower() for s in listed_at(Placement.SCOPE)]
    children = [(p.lower(), s.arm_type.lower()) for p in generated.parents
                for s in children_of(p.split("/providers/")[-1].rsplit("/", 1)[0])]  # fmt: skip
    bodies = tuple(redact_body(b) for _, b in sorted(generated.world.bodies.items()))
    inventory = Inventory(
        subscription_id=sub,
        taken_at="2026-12-01T06:00:00Z",
        resource_groups=generated.resource_groups,
        bodies=bodies,
        coverage=Coverage(
            listed=frozenset([*((g, ANY_TOP_LEVEL) for g in groups), *children]),
            fetched=frozenset(groups),
            subtree=frozenset((g, t) for g in groups for t in scope_types),
        ),
        method="resource-graph",
    )
    return snapshot_to_json(inventory, generated.environment)


def pair(size: int, other_size: int | None = None, seed: int = 0) -> tuple[Generated, Generated]:
    """The target environment of `size` and the other one (the same size unless given)."""
    other = generate(other_size or size, OTHER, seed=seed, plant=False)
    return generate(size, TARGET, other=other, seed=seed), other
