"""The one pipeline: state -> live -> normalize -> analyse -> filter. Collaborators injected."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from provisioner.analysers.attribution import attribute, changes_from_activity, parse_changes
from provisioner.analysers.drift import DriftResult, drift_findings
from provisioner.analysers.isolation import EnvironmentData
from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.model import Analysis, Finding, Resource, ResourceId, Severity, Unread
from provisioner.pipeline.checks import Checks, read_other, run_checks
from provisioner.pipeline.filter import FindingFilter, unmatched_ignores
from provisioner.pipeline.scope import (
    Scope,
    live_resources,
    scope_for,
    state_ids,
    state_resources,
    subscription_of,
)
from provisioner.registry import by_tf_type
from provisioner.state import StateDocument

__all__ = [
    "Confirmed",
    "Examination",
    "Scope",
    "confirmed_drift",
    "examine",
    "live_resources",
    "scope_for",
    "state_ids",
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


def confirmed_drift(expected: list[Resource], inventory: Inventory) -> Confirmed:
    """Drift between state and live, every finding confirmed when the live side is a screen.

    Resource Graph can lag writes and strip fields, so what it flags as changed, missing or
    unmanaged is re-read with a direct GET (once) and compared again; a resource whose
    re-read failed is left out, and the inventory's `unread` says why. Each body is
    normalized once (the re-read ones twice), because at scale that is most of the CPU time.
    """
    live = live_resources(inventory)
    drift = _drift(expected, live, inventory)
    if inventory.confirm is None:
        return Confirmed(inventory, drift, live)
    flagged = {ResourceId.parse(f.resource_id) for f in drift.findings if f.kind.is_drift}
    screened, inventory = inventory, inventory.confirmed(flagged)
    if not flagged:
        return Confirmed(inventory, drift, live)
    if any(rid.arm_type.lower() in LOOKUP_TYPES for rid in flagged):
        live = live_resources(inventory)
        return Confirmed(inventory, _drift(expected, live, inventory), live)
    # Only the flagged resources' bodies, coverage and status changed: compare them again
    # rather than the whole environment.
    keys = {rid.key for rid in flagged}
    fresh = live_resources(inventory, only=keys)
    before = _drift(expected, live, screened, only=keys)
    after = _drift(expected, fresh, inventory, only=keys)
    drift = DriftResult(
        findings=(
            *(f for f in drift.findings if f.resource_id.lower() not in keys),
            *after.findings,
        ),
        checked=drift.checked - before.checked + after.checked,
        not_checked=tuple(dict.fromkeys((*drift.not_checked, *after.not_checked))),
        unknown=tuple(dict.fromkeys((*drift.unknown, *after.unknown))),
        unreadable=(
            *(u for u in drift.unreadable if u.resource_id.lower() not in keys),
            *after.unreadable,
        ),
    )
    return Confirmed(inventory, drift, [*(r for r in live if r.id.key not in keys), *fresh])


def _drift(
    expected: list[Resource],
    live: list[Resource],
    inventory: Inventory,
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
    )


@dataclass(frozen=True)
class Examination:
    """`verify`'s analysis, and what was read of the other environments (for `audit`)."""

    analysis: Analysis
    others: tuple[EnvironmentData, ...] = ()
    # What kept findings out of `analysis`: the audit keeps the plan's out the same way.
    finding_filter: FindingFilter = field(default_factory=FindingFilter)


def verify(
    env: Environment,
    read_state: Callable[[], StateDocument],
    read_live: Callable[[Scope], Inventory],
    subscription_override: str | None = None,
    live_source: str = "azure",
    checks: Checks | None = None,
    finding_filter: FindingFilter | None = None,
    system_severity: Severity = Severity.LOW,
    explain: Explain | None = None,
) -> Analysis:
    """Read both sides and report drift (and policy and isolation) for one environment."""
    return examine(
        env, read_state, read_live, subscription_override, live_source, checks,
        finding_filter, system_severity, explain,
    ).analysis  # fmt: skip


def examine(
    env: Environment,
    read_state: Callable[[], StateDocument],
    read_live: Callable[[Scope], Inventory],
    subscription_override: str | None = None,
    live_source: str = "azure",
    checks: Checks | None = None,
    finding_filter: FindingFilter | None = None,
    system_severity: Severity = Severity.LOW,
    explain: Explain | None = None,
) -> Examination:
    """`verify`, keeping the other environments' data for reports that show it.

    `finding_filter` keeps findings out of the report with a reason (Terraform's
    `ignore_changes`, `ignore`, suppressions; by default the environment's own lists);
    drift the platform or Azure Policy made gets `system_severity`. `explain` (the
    Activity Log) is asked about drift Resource Graph's change records did not explain.
    """
    finding_filter = finding_filter or FindingFilter.of(env)
    checks = checks or Checks()
    state = read_state()
    ids = state_ids(state)
    subscription = subscription_of(ids, subscription_override)
    with ThreadPoolExecutor(max_workers=1) as side:
        reading = side.submit(read_live, scope_for(env, ids, subscription))
        # While Azure answers: the state normalized, the other environments' files read.
        expected = state_resources(state)
        read_already = {o.env.name: read_other(o) for o in checks.others if o.offline}
        inventory = reading.result()
    if expected and inventory.subscription_id.lower() != subscription.lower():
        raise AzprovError(
            f"the live data is from subscription {inventory.subscription_id}, "
            f"but the state's resources are in {subscription}"
        )
    confirmed = confirmed_drift(expected, inventory)
    inventory, drift = confirmed.inventory, confirmed.drift
    # A resource read only in part (its typed read failed) is judged by no rule.
    live = [r for r in confirmed.live if r.id.key not in inventory.unknown]
    outcome = run_checks(env, state, expected, live, inventory, checks, read_already)
    unread = [*inventory.unread, *outcome.unread]
    if drift.unknown and not inventory.unread:
        unread.append(Unread("state", "resources", "not covered: " + ", ".join(drift.unknown)))
    unread += [
        Unread(u.resource_id, u.attribute, "Azure returned a value azprov cannot read for it, "
               "so it was not compared")
        for u in drift.unreadable
    ]  # fmt: skip
    if drift.checked == 0 and not drift.unknown:
        unread.append(Unread("state", "resources", _nothing_checked(state, env)))
    not_checked = (*drift.not_checked, *without_id(state))
    notes = [*inventory.notes, *outcome.notes]
    drifted = attributed(drift.findings, inventory, notes, system_severity)
    if explain is not None:
        drifted = explained(drifted, subscription, explain, notes, system_severity)
    filtered = finding_filter.apply([*drifted, *outcome.findings])
    plan = checks.plan if checks else None
    seen = [
        *(r.address for r in state.resources),
        *(r.id for r in state.resources if r.id),
        *(str(r.id) for r in confirmed.live),
        *(c.address for c in (plan.resource_changes if plan else ())),
    ]
    notes += [*filtered.notes, *unmatched_ignores(finding_filter.ignore, seen)]
    analysis = Analysis(
        environment=env.name,
        subscription_id=inventory.subscription_id,
        resources_checked=drift.checked,
        findings=tuple(sorted(filtered.kept, key=lambda f: f.sort_key)),
        unread=tuple(unread),
        not_checked=not_checked,
        live_source=live_source,
        live_taken_at=inventory.taken_at,
        notes=tuple(notes),
        suppressed=tuple(sorted(filtered.suppressed, key=lambda s: s.finding.sort_key)),
    )
    return Examination(analysis, tuple(outcome.others), finding_filter)


def attributed(
    findings: Sequence[Finding],
    inventory: Inventory,
    notes: list[str],
    system_severity: Severity = Severity.LOW,
) -> list[Finding]:
    """Drift findings with who made each change, from the inventory's change records."""
    if inventory.changes is None:
        return list(findings)
    changes, bad = parse_changes(inventory.changes)
    if bad:
        notes.append(f"{bad} change records could not be read and were left out")
    return attribute(findings, changes, _arm_path, system_severity)


# Reads change records (Activity Log events) for the resource groups of some findings.
Explain = Callable[[str, Sequence[str]], Sequence[Mapping[str, Any]]]


def explained(
    findings: Sequence[Finding],
    subscription: str,
    explain: Explain,
    notes: list[str],
    system_severity: Severity = Severity.LOW,
) -> list[Finding]:
    """Drift findings Resource Graph left unexplained, explained from the Activity Log."""
    open_ = [f for f in findings if f.kind.is_drift and f.attribution is None]
    groups = sorted({g for f in open_ if (g := _group(f.resource_id))}, key=str.lower)
    if not groups:
        return list(findings)
    try:
        events = explain(subscription, groups)
    except AzprovError as exc:
        notes.append(f"the Activity Log was not read: {exc}")
        return list(findings)
    found = attribute(open_, changes_from_activity(events), _arm_path, system_severity)
    by_id = {id(f): g for f, g in zip(open_, found, strict=True)}
    return [by_id.get(id(f), f) for f in findings]


def _group(resource_id: str) -> str | None:
    try:
        return ResourceId.parse(resource_id).resource_group
    except ValueError:
        return None


def _arm_path(finding: Finding) -> str | None:
    spec = by_tf_type(finding.type or "")
    return spec.arm_path(finding.attribute) if spec and finding.attribute else None


def without_id(state: StateDocument) -> list[str]:
    """Addresses of Azure resources whose state has no usable ARM ID (never compared)."""
    return [
        f"{record.address} (no Azure resource ID in the state)"
        for record in state.resources
        if record.tf_type.startswith("azurerm_") and _arm_id(record.id) is None
    ]


def _arm_id(raw: str | None) -> ResourceId | None:
    try:
        return ResourceId.parse(raw) if raw else None
    except ValueError:
        return None


def _nothing_checked(state: StateDocument, env: Environment) -> str:
    count = len(state.resources)
    held = (
        f"it holds {count} resource{'s' * (count != 1)}, none of them" if count else "it is empty"
    )
    return (
        f"no resource of the state was checked: {held} an Azure resource azprov reads; "
        f"is this {env.name}'s state (state key {env.state_key}, or the --state file)?"
    )
