"""The one pipeline: state -> live -> normalize -> filter -> analyse. Collaborators injected."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from provisioner.analysers.drift import DriftResult, drift_findings
from provisioner.analysers.isolation import EnvironmentData
from provisioner.checks import Checks, run_checks, unmatched_ignores
from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.model import Analysis, Resource, ResourceId, Unread
from provisioner.scope import (
    Scope,
    live_resources,
    scope_for,
    state_resources,
    subscription_of,
)
from provisioner.state import StateDocument

__all__ = [
    "Confirmed",
    "Examination",
    "Scope",
    "confirmed_drift",
    "examine",
    "live_resources",
    "scope_for",
    "state_resources",
    "subscription_of",
    "verify",
]

# Other resources' normalization reads these (a managed environment names its workspace by
# customerId), so re-reading one means comparing everything again.
LOOKUP_TYPES = frozenset({"microsoft.operationalinsights/workspaces"})


@dataclass(frozen=True)
class Confirmed:
    """Drift after confirmation, with the inventory and live resources it was judged on."""

    inventory: Inventory
    drift: DriftResult
    live: list[Resource]


def confirmed_drift(
    expected: list[Resource], inventory: Inventory, ignore: Collection[str] = ()
) -> Confirmed:
    """Drift between state and live, every finding confirmed when the live side is a screen.

    Resource Graph can lag writes and strip fields, so what it flags as changed, missing or
    unmanaged is re-read with a direct GET (once) and compared again; a resource whose
    re-read failed is left out, and the inventory's `unread` says why. Each body is
    normalized once (the re-read ones twice), because at scale that is most of the CPU time.
    """
    live = live_resources(inventory)
    drift = _drift(expected, live, inventory, ignore)
    if inventory.confirm is None:
        return Confirmed(inventory, drift, live)
    flagged = {ResourceId.parse(f.resource_id) for f in drift.findings if f.kind.is_drift}
    screened, inventory = inventory, inventory.confirmed(flagged)
    if not flagged:
        return Confirmed(inventory, drift, live)
    if any(rid.arm_type.lower() in LOOKUP_TYPES for rid in flagged):
        live = live_resources(inventory)
        return Confirmed(inventory, _drift(expected, live, inventory, ignore), live)
    # Only the flagged resources' bodies, coverage and status changed: compare them again
    # rather than the whole environment.
    keys = {rid.key for rid in flagged}
    fresh = live_resources(inventory, only=keys)
    before = _drift(expected, live, screened, ignore, only=keys)
    after = _drift(expected, fresh, inventory, ignore, only=keys)
    drift = DriftResult(
        findings=(
            *(f for f in drift.findings if f.resource_id.lower() not in keys),
            *after.findings,
        ),
        checked=drift.checked - before.checked + after.checked,
        not_checked=tuple(dict.fromkeys((*drift.not_checked, *after.not_checked))),
        unknown=tuple(dict.fromkeys((*drift.unknown, *after.unknown))),
    )
    return Confirmed(inventory, drift, [*(r for r in live if r.id.key not in keys), *fresh])


def _drift(
    expected: list[Resource],
    live: list[Resource],
    inventory: Inventory,
    ignore: Collection[str],
    only: Collection[str] | None = None,
) -> DriftResult:
    """`drift_findings`, leaving out what could not be read in full (and, with `only`,
    every resource whose ID key is not in it)."""

    def wanted(key: str) -> bool:
        return key not in inventory.unknown and (only is None or key in only)

    return drift_findings(
        [r for r in expected if wanted(r.id.key)],
        [r for r in live if wanted(r.id.key)],
        inventory.coverage,
        ignore,
    )


@dataclass(frozen=True)
class Examination:
    """`verify`'s analysis, and what was read of the other environments (for `audit`)."""

    analysis: Analysis
    others: tuple[EnvironmentData, ...] = ()


def verify(
    env: Environment,
    read_state: Callable[[], StateDocument],
    read_live: Callable[[Scope], Inventory],
    subscription_override: str | None = None,
    live_source: str = "azure",
    checks: Checks | None = None,
) -> Analysis:
    """Read both sides and report drift (and policy and isolation) for one environment."""
    return examine(env, read_state, read_live, subscription_override, live_source, checks).analysis


def examine(
    env: Environment,
    read_state: Callable[[], StateDocument],
    read_live: Callable[[Scope], Inventory],
    subscription_override: str | None = None,
    live_source: str = "azure",
    checks: Checks | None = None,
) -> Examination:
    """`verify`, keeping the other environments' data for reports that show it."""
    state = read_state()
    expected = state_resources(state)
    subscription = subscription_of(expected, subscription_override)
    inventory = read_live(scope_for(env, expected, subscription))
    if expected and inventory.subscription_id.lower() != subscription.lower():
        raise AzprovError(
            f"the live data is from subscription {inventory.subscription_id}, "
            f"but the state's resources are in {subscription}"
        )
    confirmed = confirmed_drift(expected, inventory, env.ignore)
    inventory, drift = confirmed.inventory, confirmed.drift
    # A resource read only in part (its typed read failed) is judged by no rule.
    live = [r for r in confirmed.live if r.id.key not in inventory.unknown]
    outcome = run_checks(env, state, expected, live, inventory, checks or Checks())
    unread = [*inventory.unread, *outcome.unread]
    if drift.unknown and not inventory.unread:
        unread.append(Unread("state", "resources", "not covered: " + ", ".join(drift.unknown)))
    findings = [*drift.findings, *outcome.findings]
    unmatched = unmatched_ignores(env, state, confirmed.live, checks.plan if checks else None)
    analysis = Analysis(
        environment=env.name,
        subscription_id=inventory.subscription_id,
        resources_checked=drift.checked,
        findings=tuple(sorted(findings, key=lambda f: f.sort_key)),
        unread=tuple(unread),
        not_checked=drift.not_checked,
        live_source=live_source,
        live_taken_at=inventory.taken_at,
        notes=(*outcome.notes, *unmatched),
    )
    return Examination(analysis, tuple(outcome.others))
