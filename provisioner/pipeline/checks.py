"""The checks beside drift: policy on the live side, isolation against the other environments.

`pipeline.verify` reads the target environment; this module reads the others (state, and
live where there is a way to) and runs the two analysers. An environment that cannot be
read makes the result incomplete (exit 1), because an isolation check that did not run
must never read as a clean one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    # Read from files alone (no terraform, no Azure, nothing shown while reading): it can
    # be read while the target's reads are in flight.
    offline: bool = False


@dataclass(frozen=True)
class OtherRead:
    """What was read of one other environment, and what to say about it."""

    data: EnvironmentData
    notes: tuple[str, ...] = ()
    unread: tuple[Unread, ...] = ()


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
    read_already: Mapping[str, OtherRead] | None = None,
) -> Outcome:
    """Policy on the live resources, and isolation of `env` from every other environment
    (those in `read_already`, by name, are not read again)."""
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
        for other in checks.others:
            read = (read_already or {}).get(other.env.name) or read_other(other)
            outcome.others.append(read.data)
            outcome.notes += read.notes
            outcome.unread += read.unread
        role_names = inventory.role_names if inventory is not None else None
        outcome.findings += isolation_findings(target, outcome.others, checks.shared, role_names)
    return outcome


def read_other(other: OtherEnvironment) -> OtherRead:
    """Its state and, where there is a way to, its live side; or why it was not read."""
    name, key = other.env.name, other.env.state_key
    if other.skipped or other.read_state is None:
        why = other.skipped or f"isolation not checked against {name}"
        return OtherRead(EnvironmentData(name, key), (why,))
    notes = (other.note,) if other.note else ()
    try:
        state = other.read_state()
        ids = state_ids(state)
        if other.read_live is None or not ids:
            return OtherRead(EnvironmentData(name, key, state), notes)
        scope = scope_for(other.env, ids, subscription_of(ids, None))
        inventory = other.read_live(scope)
    except AzprovError as exc:
        unread = Unread(f"environment {name}", "isolation check", str(exc))
        return OtherRead(EnvironmentData(name, key), notes, (unread,))
    return OtherRead(EnvironmentData(name, key, state, inventory.bodies), notes, inventory.unread)
