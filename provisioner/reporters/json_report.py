"""Machine-readable output; the keys documented in the README stay stable."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provisioner.model import (
    Analysis,
    Attribution,
    Finding,
    FindingKind,
    Severity,
    Suppressed,
    Unread,
    redact_value,
)


def finding_dict(finding: Finding) -> dict[str, Any]:
    extra = {"rule": finding.rule} if finding.rule else {}
    who = finding.attribution
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
        "attribution": attribution_dict(who) if who else None,
        "origin": who.origin if who else None,
        "new": finding.new,
        "first_seen": finding.first_seen,
    }


def suppressed_dict(held: Suppressed) -> dict[str, Any]:
    """A finding kept out of the report: its fields, and what kept it out (`by`) and why."""
    return {
        **finding_dict(held.finding),
        "by": held.by,
        "reason": held.reason,
        "owner": held.owner,
        "expires": held.expires,
    }


def attribution_dict(who: Attribution) -> dict[str, Any]:
    return {
        "changed_by": who.changed_by,
        "changed_by_type": who.changed_by_type,
        "client_type": who.client_type,
        "operation": who.operation,
        "changed_at": who.changed_at,
        "correlation_id": who.correlation_id,
        "source": who.source,
    }


def render(analysis: Analysis) -> str:
    doc = {
        "environment": analysis.environment,
        "subscription_id": analysis.subscription_id,
        "resources_checked": analysis.resources_checked,
        "findings": [finding_dict(f) for f in analysis.findings],
        "suppressed": [suppressed_dict(s) for s in analysis.suppressed],
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
        attribution=_attribution(doc.get("attribution"), doc.get("origin")),
        new=doc["new"] if isinstance(doc.get("new"), bool) else None,
        first_seen=str(doc["first_seen"]) if doc.get("first_seen") else None,
    )


def _attribution(doc: Any, origin: Any) -> Attribution | None:
    if not isinstance(doc, Mapping):
        return None
    fields = ("changed_by", "changed_by_type", "client_type", "operation", "changed_at")
    values = {k: (str(doc[k]) if doc.get(k) is not None else None) for k in fields}
    correlation = doc.get("correlation_id")
    return Attribution(
        **values,
        correlation_id=str(correlation) if correlation is not None else None,
        origin=str(origin or "user"),
        source=str(doc.get("source") or "Azure Resource Graph"),
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
        suppressed=tuple(
            Suppressed(
                finding_from_dict(held),
                str(held["by"]),
                str(held["reason"]),
                held.get("owner"),
                held.get("expires"),
            )
            for held in doc.get("suppressed") or ()
        ),
    )
