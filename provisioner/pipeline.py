"""The one pipeline: state -> live -> normalize -> filter -> analyse. Collaborators injected."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from provisioner.analysers.drift import DriftResult, drift_findings
from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import Analysis, FindingKind, Resource, ResourceId, Unread
from provisioner.state import StateDocument

POSTGRES_SERVER = "microsoft.dbforpostgresql/flexibleservers"


@dataclass(frozen=True)
class Scope:
    """What the live side must read for one environment."""

    subscription_id: str
    resource_groups: tuple[str, ...]
    # Servers the state knows: their child lists can start before any list returns.
    known_servers: tuple[ResourceId, ...] = ()
    # The environment's name: Resource Graph also reads resources tagged with it elsewhere.
    environment: str = ""


def state_resources(state: StateDocument) -> list[Resource]:
    return [r for r in map(from_state, state.resources) if r is not None]


def subscription_of(resources: Iterable[Resource], override: str | None) -> str:
    """The one subscription the state's resources live in; `override` must agree."""
    found = sorted({r.id.subscription_id.lower() for r in resources})
    if override:
        if found and found != [override.lower()]:
            raise AzprovError(
                f"the state's resources are in subscription {', '.join(found)}, "
                f"but --subscription/AZURE_SUBSCRIPTION_ID is {override}"
            )
        return override
    if len(found) != 1:
        raise AzprovError(
            "cannot tell the subscription from the state "
            + ("(it has no Azure resources)" if not found else f"(it spans {', '.join(found)})")
            + ": pass --subscription or set AZURE_SUBSCRIPTION_ID"
        )
    return found[0]


def scope_for(env: Environment, resources: list[Resource], subscription_id: str) -> Scope:
    groups = [r.id.resource_group for r in resources if r.id.resource_group]
    servers = [r.id for r in resources if r.arm_type.lower() == POSTGRES_SERVER]
    return Scope(
        subscription_id=subscription_id,
        resource_groups=tuple(dict.fromkeys([*(g for g in groups if g), *env.resource_groups])),
        known_servers=tuple(servers),
        environment=env.name,
    )


def live_resources(inventory: Inventory) -> list[Resource]:
    lookups = lookups_for(inventory.bodies)
    return [from_arm(body, lookups) for body in inventory.bodies]


DRIFT_KINDS = frozenset({FindingKind.CHANGED, FindingKind.MISSING, FindingKind.UNMANAGED})
# Other resources' normalization reads these (a managed environment names its workspace by
# customerId), so re-reading one means comparing everything again.
LOOKUP_TYPES = frozenset({"microsoft.operationalinsights/workspaces"})


def confirmed_drift(
    expected: list[Resource], inventory: Inventory, ignore: Collection[str] = ()
) -> tuple[Inventory, DriftResult]:
    """Drift between state and live, every finding confirmed when the live side is a screen.

    Resource Graph can lag writes and strip fields, so what it flags as changed, missing or
    unmanaged is re-read with a direct GET (once) and compared again; a resource whose
    re-read failed is left out, and the inventory's `unread` says why.
    """
    drift = _drift(expected, inventory, ignore)
    if inventory.confirm is None:
        return inventory, drift
    flagged = {ResourceId.parse(f.resource_id) for f in drift.findings if f.kind in DRIFT_KINDS}
    screened, inventory = inventory, inventory.confirmed(flagged)
    if not flagged:
        return inventory, drift
    if any(rid.arm_type.lower() in LOOKUP_TYPES for rid in flagged):
        return inventory, _drift(expected, inventory, ignore)
    # Only the flagged resources' bodies, coverage and status changed: compare them again
    # rather than the whole environment.
    keys = {rid.key for rid in flagged}
    before = _drift(expected, screened, ignore, only=keys)
    after = _drift(expected, inventory, ignore, only=keys)
    return inventory, DriftResult(
        findings=(
            *(f for f in drift.findings if f.resource_id.lower() not in keys),
            *after.findings,
        ),
        checked=drift.checked - before.checked + after.checked,
        not_checked=tuple(dict.fromkeys((*drift.not_checked, *after.not_checked))),
        unknown=tuple(dict.fromkeys((*drift.unknown, *after.unknown))),
    )


def _drift(
    expected: list[Resource],
    inventory: Inventory,
    ignore: Collection[str],
    only: Collection[str] | None = None,
) -> DriftResult:
    """`drift_findings`, leaving out what could not be read in full (and, with `only`,
    every resource whose ID key is not in it)."""

    def wanted(key: str) -> bool:
        return key not in inventory.unknown and (only is None or key in only)

    lookups = lookups_for(inventory.bodies)
    live = [from_arm(b, lookups) for b in inventory.bodies if wanted(str(b["id"]).lower())]
    return drift_findings(
        [r for r in expected if wanted(r.id.key)], live, inventory.coverage, ignore
    )


def verify(
    env: Environment,
    read_state: Callable[[], StateDocument],
    read_live: Callable[[Scope], Inventory],
    subscription_override: str | None = None,
    live_source: str = "azure",
) -> Analysis:
    """Read both sides and report drift for one environment."""
    expected = state_resources(read_state())
    subscription = subscription_of(expected, subscription_override)
    inventory = read_live(scope_for(env, expected, subscription))
    if expected and inventory.subscription_id.lower() != subscription.lower():
        raise AzprovError(
            f"the live data is from subscription {inventory.subscription_id}, "
            f"but the state's resources are in {subscription}"
        )
    inventory, drift = confirmed_drift(expected, inventory, env.ignore)
    unread = list(inventory.unread)
    if drift.unknown and not unread:
        unread.append(Unread("state", "resources", "not covered: " + ", ".join(drift.unknown)))
    return Analysis(
        environment=env.name,
        subscription_id=inventory.subscription_id,
        resources_checked=drift.checked,
        findings=tuple(sorted(drift.findings, key=lambda f: f.sort_key)),
        unread=tuple(unread),
        not_checked=drift.not_checked,
        live_source=live_source,
        live_taken_at=inventory.taken_at,
    )
