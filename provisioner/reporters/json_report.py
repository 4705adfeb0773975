"""Machine-readable output; the keys documented in the README stay stable."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provisioner.model import Analysis, Finding, FindingKind, Severity, Unread, redact_value


def finding_dict(finding: Finding) -> dict[str, Any]:
    extra = {"rule": finding.rule} if finding.rule else {}
    return {
        "kind": finding.kind.value,
        "address": finding.address,
        "type": finding.type,
        "resource_id": finding.resource_id,
        "attribute": finding.attribute,
        "expected": redact_value(finding.expected),
        "actual": redact_value(finding.actual),
        "severity": finding.severity.value,
        "message": finding.message,
        **extra,
    }


def render(analysis: Analysis) -> str:
    doc = {
        "environment": analysis.environment,
        "subscription_id": analysis.subscription_id,
        "resources_checked": analysis.resources_checked,
        "findings": [finding_dict(f) for f in analysis.findings],
        "unread": [vars(u) for u in analysis.unread],
        "not_checked": list(analysis.not_checked),
        "notes": list(analysis.notes),
        "live": {"source": analysis.live_source, "taken_at": analysis.live_taken_at},
        "exit_code": analysis.exit_code,
    }
    return json.dumps(doc, indent=2) + "\n"


def finding_from_dict(doc: Mapping[str, Any]) -> Finding:
    """A finding back from its JSON form (`KeyError`/`ValueError` on another shape)."""
    return Finding(
        kind=FindingKind(doc["kind"]),
        severity=Severity(doc["severity"]),
        resource_id=str(doc["resource_id"]),
        message=str(doc["message"]),
        address=doc.get("address"),
        type=doc.get("type"),
        attribute=doc.get("attribute"),
        expected=doc.get("expected"),
        actual=doc.get("actual"),
        rule=doc.get("rule"),
    )


def unread_from_dict(doc: Mapping[str, Any]) -> Unread:
    return Unread(scope=str(doc["scope"]), what=str(doc["what"]), reason=str(doc["reason"]))


def analysis_from_dict(doc: Mapping[str, Any]) -> Analysis:
    """The analysis a verify report was written from, for renderers without Azure access."""
    live = doc.get("live") or {}
    return Analysis(
        environment=str(doc["environment"]),
        subscription_id=str(doc["subscription_id"]),
        resources_checked=int(doc["resources_checked"]),
        findings=tuple(finding_from_dict(f) for f in doc["findings"]),
        unread=tuple(unread_from_dict(u) for u in doc.get("unread") or ()),
        not_checked=tuple(str(n) for n in doc.get("not_checked") or ()),
        live_source=str(live.get("source", "azure")),
        live_taken_at=live.get("taken_at"),
        notes=tuple(str(n) for n in doc.get("notes") or ()),
    )
