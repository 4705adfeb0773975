"""The checks beside drift: policy on the live side, isolation against the other environments.

`pipeline.verify` reads the target environment; this module reads the others (state, and
live where there is a way to) and runs the two analysers. An environment that cannot be
read makes the result incomplete (exit 1), because an isolation check that did not run
must never read as a clean one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.analysers.policy import RuleSet, policy_findings
from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.model import Finding, Resource, Unread
from provisioner.pipeline.scope import Scope, scope_for, state_ids, subscription_of
from provisioner.state import StateDocument
from provisioner.state.plan import Plan


@dataclass(frozen=True)
class OtherEnvironment:
    """How to read one environment besides the target, or why it is left out."""

    env: Environment
    read_state: Callable[[], StateDocument] | None = None
    read_live: Callable[[Scope], Inventory] | None = None
    # Why the environment is left out entirely, or (`note`) read only in part.
    skipped: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Checks:
    """What to check besides drift. The default checks nothing more."""

    policy: RuleSet | None = None
    others: Sequence[OtherEnvironment] = ()
    shared: Sequence[str] = ()
    # `azprov audit`: the plan's planned values are scanned for references too.
    plan: Plan | None = None


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    others: list[EnvironmentData] = field(default_factory=list)


def run_checks(
    env: Environment,
    state: StateDocument,
    expected: Sequence[Resource],
    live: Sequence[Resource] | None,
    inventory: Inventory | None,
    checks: Checks,
) -> Outcome:
    """Policy on the live resources, and isolation of `env` from every other environment."""
    outcome = Outcome()
    if checks.policy is not None:
        outcome.notes += [override.line for override in checks.policy.overrides]
        if live is not None:
            addresses = {r.id.key: r.address for r in expected if r.address}
            outcome.findings += policy_findings(live, checks.policy, "live", addresses)
    if checks.others:
        target = EnvironmentData(
            env.name,
            env.state_key,
            state,
            inventory.bodies if inventory is not None else None,
            checks.plan,
        )
        outcome.others = [_read_other(other, outcome) for other in checks.others]
        role_names = inventory.role_names if inventory is not None else None
        outcome.findings += isolation_findings(target, outcome.others, checks.shared, role_names)
    return outcome


def _read_other(other: OtherEnvironment, outcome: Outcome) -> EnvironmentData:
    name, key = other.env.name, other.env.state_key
    if other.skipped or other.read_state is None:
        outcome.notes.append(other.skipped or f"isolation not checked against {name}")
        return EnvironmentData(name, key)
    if other.note:
        outcome.notes.append(other.note)
    try:
        state = other.read_state()
        ids = state_ids(state)
        if other.read_live is None or not ids:
            return EnvironmentData(name, key, state)
        scope = scope_for(other.env, ids, subscription_of(ids, None))
        inventory = other.read_live(scope)
    except AzprovError as exc:
        outcome.unread.append(Unread(f"environment {name}", "isolation check", str(exc)))
        return EnvironmentData(name, key)
    outcome.unread += inventory.unread
    return EnvironmentData(name, key, state, inventory.bodies)
