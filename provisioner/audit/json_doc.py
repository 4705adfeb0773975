"""The audit for machines: verify's findings schema, plus the plan, images and drift fates.

`findings` holds every finding (drift, isolation, policy) exactly as `verify --format json`
writes them; drift findings carry one extra key, `apply_effect` (`overwritten`, `adopted`
or `stays`), with `apply_effect_reason`.
"""

from __future__ import annotations

import json
from typing import Any

from provisioner.audit.report import AttributeRow, AuditReport, ChangeItem
from provisioner.model import redact_text, redact_value
from provisioner.reporters.json_report import finding_dict


def _attribute(row: AttributeRow) -> dict[str, Any]:
    return {
        "path": row.path,
        "before": redact_value(row.before),
        "after": redact_value(row.after),
        "forces_replacement": row.forces_replacement,
        "sensitive": row.sensitive,
        "known_after_apply": row.unknown_after,
    }


def _change(item: ChangeItem) -> dict[str, Any]:
    return {
        "address": item.address,
        "type": item.type,
        "action": item.action.value,
        "name": item.name,
        "reason": item.reason,
        "replace_paths": list(item.replace_paths),
        "import_id": item.import_id,
        "previous_address": item.previous_address,
        "deposed": item.deposed,
        "attributes": [_attribute(a) for a in item.attributes],
    }


def _finding(found: dict[str, Any]) -> dict[str, Any]:
    return {**found, "message": redact_text(found["message"])}


def report_dict(report: AuditReport) -> dict[str, Any]:
    """The JSON document as plain data."""
    live = report.live
    drift = [
        _finding(
            {**finding_dict(d.finding), "apply_effect": d.fate.value, "apply_effect_reason": d.why}
        )
        for d in report.drift
    ]
    comparison = report.comparison
    return {
        "environment": report.environment,
        "generated_at": report.generated_at,
        "verdict": report.verdict,
        "plan": {
            "source": report.plan_source,
            "format_version": report.plan_format,
            "terraform_version": report.terraform_version,
            "errored": report.plan_errored,
            "partial": report.plan_partial,
            "counts": dict(report.counts),
            "destructive": [_change(c) for c in report.destructive],
            "updates": [_change(c) for c in report.updates],
            "creates": [_change(c) for c in report.creates],
            "other": [_change(c) for c in report.other],
            "outputs": [
                {
                    "name": o.name,
                    "action": o.action.value,
                    "sensitive": o.sensitive,
                    "before": redact_value(o.before),
                    "after": redact_value(o.after),
                }
                for o in report.outputs
            ],
            "resource_drift": [_change(c) for c in report.terraform_drift],
        },
        "images": [
            {
                "slot": i.slot,
                "address": i.address,
                "container": i.container,
                "before": i.before,
                "after": i.after,
                "status": i.status.value,
            }
            for i in report.images
        ],
        "findings": [*drift, *(_finding(finding_dict(f)) for f in report.findings)],
        "comparison": None
        if comparison is None
        else {
            "environment": comparison.environment,
            "source": comparison.source,
            "images": [
                {"slot": r.slot, "current": r.other, "planned": r.planned, "same_build": r.same}
                for r in comparison.rows
            ],
        },
        "notes": list(report.notes),
        "unread": [vars(u) for u in live.unread] if live else [],
        "not_checked": list(live.not_checked) if live else [],
        "live": None
        if live is None
        else {
            "source": live.source,
            "taken_at": live.taken_at,
            "subscription_id": live.subscription_id,
            "resources_checked": live.resources_checked,
        },
        "exit_code": report.exit_code,
    }


def render_json(report: AuditReport) -> str:
    return json.dumps(report_dict(report), indent=2, default=str) + "\n"
