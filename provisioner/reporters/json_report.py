"""Machine-readable output; the keys documented in the README stay stable."""

from __future__ import annotations

import json
from typing import Any

from provisioner.model import Analysis, Finding, redact_value


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
