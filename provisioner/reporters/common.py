"""Wording and value formatting shared by the human-readable formats."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from provisioner.model import Analysis, Finding, FindingKind, Severity, redact_value


def shown(value: Any) -> str:
    """A finding's value as one short, redacted string ("" for none)."""
    if value is None:
        return ""
    value = redact_value(value)
    return value if isinstance(value, str) else json.dumps(value)


def state_and_azure(finding: Finding) -> tuple[str, str]:
    """The two value columns; presence words for whole resources."""
    if finding.kind is FindingKind.MISSING:
        return "present", "absent"
    if finding.kind is FindingKind.UNMANAGED:
        return "absent", "present"
    return shown(finding.expected), shown(finding.actual)


def resource_label(finding: Finding) -> str:
    return (
        finding.address or f"{finding.type or 'resource'} {finding.resource_id.rsplit('/', 1)[-1]}"
    )


def headline(analysis: Analysis) -> str:
    source = (
        f"snapshot taken {analysis.live_taken_at}"
        if analysis.live_source != "azure"
        else f"Azure, read {analysis.live_taken_at}"
    )
    return (
        f"azprov verify: environment {analysis.environment}, subscription "
        f"{analysis.subscription_id}, {analysis.resources_checked} resources checked "
        f"against {source}"
    )


def verdict(analysis: Analysis) -> str:
    if analysis.unread:
        return "INCOMPLETE: parts of the environment could not be read (exit 1)"
    if not analysis.findings:
        return "CLEAN: Azure matches the Terraform state (exit 0)"
    counts = Counter(f.kind for f in analysis.findings)
    parts = ", ".join(f"{counts[kind]} {kind.value}" for kind in FindingKind if counts[kind])
    label = "DRIFT" if all(kind.is_drift for kind in counts) else "FINDINGS"
    if any(f.new is not None for f in analysis.findings):
        parts += f", {sum(1 for f in analysis.findings if f.new)} new since the baseline"
    gate, failing = analysis.gate, len(analysis.failing)
    if failing < len(analysis.findings):
        what = "new " if gate.new_only else ""
        at = "" if gate.min_severity is Severity.LOW else f" {gate.min_severity.value} or above"
        parts += f"; {failing} {what}findings{at} fail the run"
    return f"{label}: {len(analysis.findings)} findings ({parts}) (exit {analysis.exit_code})"


def suppressed_line(analysis: Analysis) -> str | None:
    """`3 findings suppressed (lifecycle 1, ignore 1, suppress 1); the JSON report lists them`."""
    if not analysis.suppressed:
        return None
    counts = Counter(s.by for s in analysis.suppressed)
    parts = ", ".join(f"{by} {count}" for by, count in sorted(counts.items()))
    return (
        f"{len(analysis.suppressed)} findings suppressed ({parts}); "
        "the JSON report lists each with its reason"
    )


def explained(analysis: Analysis) -> list[Finding]:
    """Findings whose message carries what a table cell cannot: isolation and policy."""
    return [f for f in analysis.findings if not f.kind.is_drift]


def not_checked_line(analysis: Analysis) -> str:
    names = ", ".join(analysis.not_checked)
    return f"not checked (azprov has no reader for their type): {names}"
