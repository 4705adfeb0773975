"""Findings and the analysis that carries them to the reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FindingKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    ISOLATION = "isolation"
    POLICY = "policy"

    @property
    def is_drift(self) -> bool:
        return self in (FindingKind.CHANGED, FindingKind.MISSING, FindingKind.UNMANAGED)


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return ["high", "medium", "low"].index(self.value)


@dataclass(frozen=True)
class Attribution:
    """Who made the change behind a finding, as Azure recorded it."""

    changed_by: str | None
    changed_by_type: str | None
    client_type: str | None
    operation: str | None
    changed_at: str | None  # ISO 8601, UTC
    correlation_id: str | None
    # "system" when the platform or Azure Policy made it, else "user" (see attribution.py).
    origin: str = "user"
    source: str = "Azure Resource Graph"  # or "Activity Log"

    def who(self) -> str:
        """`ops-admin@contoso.com via Azure Portal, 2026-11-30 14:02 UTC`."""
        who = self.changed_by or "an unnamed principal"
        via = f" via {self.client_type}" if self.client_type else ""
        when = f", {_minute(self.changed_at)}" if self.changed_at else ""
        system = " (a system change)" if self.origin == "system" else ""
        return f"{who}{via}{when}{system}"

    def line(self) -> str:
        """`changed by ops-admin@contoso.com via Azure Portal, 2026-11-30 14:02 UTC`."""
        return f"changed by {self.who()}"


def _minute(stamp: str) -> str:
    """`2026-11-30T14:02:11.123Z` -> `2026-11-30 14:02 UTC`."""
    day, _, clock = stamp.replace("Z", "").partition("T")
    return f"{day} {clock[:5]} UTC" if clock else stamp


@dataclass(frozen=True)
class Finding:
    """One thing a reviewer should look at. Values are redacted before they get here."""

    kind: FindingKind
    severity: Severity
    resource_id: str
    message: str
    address: str | None = None
    type: str | None = None
    attribute: str | None = None
    expected: Any = None
    actual: Any = None
    # The policy rule that produced a `policy` finding (`pg-backup-retention`), else None.
    rule: str | None = None
    # Drift only: the newest recorded change that explains it, when Azure recorded one.
    attribution: Attribution | None = None
    # With `--baseline`: whether the previous report lacked this finding, and since when
    # (ISO 8601) it has been reported. None: no baseline was given.
    new: bool | None = None
    first_seen: str | None = None

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.severity.rank, self.kind.value, self.resource_id.lower(), self.attribute or "")

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two runs' findings the same finding: kind, resource, attribute."""
        return (self.kind.value, self.resource_id.lower(), self.attribute or "")


@dataclass(frozen=True)
class Suppressed:
    """A finding kept out of `findings` on purpose, and why: never silently dropped."""

    finding: Finding
    by: str  # "lifecycle" (Terraform's ignore_changes), "ignore" or "suppress" (azprov.toml)
    reason: str
    owner: str | None = None
    expires: str | None = None  # ISO date


@dataclass(frozen=True)
class Gate:
    """Which findings make the exit code 2 (`--fail-on`, `--fail-on-severity`)."""

    new_only: bool = False
    min_severity: Severity = Severity.LOW

    def fails_on(self, finding: Finding) -> bool:
        if finding.severity.rank > self.min_severity.rank:
            return False
        return not self.new_only or finding.new is not False


@dataclass(frozen=True)
class Unread:
    """A part of the environment azprov could not read, so it cannot vouch for it."""

    scope: str
    what: str
    reason: str


@dataclass(frozen=True)
class Analysis:
    """Everything one `verify` run learned about an environment."""

    environment: str
    subscription_id: str
    resources_checked: int
    findings: tuple[Finding, ...] = ()
    unread: tuple[Unread, ...] = ()
    not_checked: tuple[str, ...] = field(default=())
    live_source: str = "azure"
    live_taken_at: str | None = None
    # Lines a reader needs besides the findings: policy overrides and their reasons,
    # environments the isolation check could not compare against.
    notes: tuple[str, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    gate: Gate = field(default_factory=Gate)

    @property
    def failing(self) -> tuple[Finding, ...]:
        """The findings the gate counts (all of them by default)."""
        return tuple(f for f in self.findings if self.gate.fails_on(f))

    @property
    def exit_code(self) -> int:
        """0 clean, 2 findings the gate counts, 1 when part of the environment was not read."""
        if self.unread:
            return 1
        return 2 if self.failing else 0
