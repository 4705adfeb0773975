"""The audit for machines: verify's findings schema, plus the plan, images and drift fates.

`findings` holds every finding (drift, isolation, policy) exactly as `verify --format json`
writes them; drift findings carry one extra key, `apply_effect` (`overwritten`, `adopted`
or `stays`), with `apply_effect_reason`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provisioner.audit.images import ImageChange
from provisioner.audit.report import (
    AttributeRow,
    AuditReport,
    ChangeItem,
    ComparisonResult,
    ComparisonRow,
    DriftFate,
    DriftItem,
    LiveSide,
)
from provisioner.model import redact_text, redact_value
from provisioner.reporters.json_report import finding_dict, finding_from_dict, unread_from_dict
from provisioner.state.plan import Action, OutputChange


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
        "plan_only": report.plan_only,
        "plan": {
            "source": report.plan_source,
            "format_version": report.plan_format,
            "terraform_version": report.terraform_version,
            "errored": report.plan_errored,
            "partial": report.plan_partial,
            "timestamp": report.plan_made_at,
            "commit": report.commit,
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


# --- back from JSON: `azprov notify` renders a report it has only as JSON -------------


def _change_from(doc: Mapping[str, Any]) -> ChangeItem:
    return ChangeItem(
        address=doc["address"],
        type=doc["type"],
        action=Action(doc["action"]),
        name=doc.get("name"),
        reason=doc.get("reason"),
        replace_paths=tuple(doc.get("replace_paths") or ()),
        attributes=tuple(
            AttributeRow(
                path=a["path"],
                before=a.get("before"),
                after=a.get("after"),
                forces_replacement=bool(a.get("forces_replacement")),
                sensitive=bool(a.get("sensitive")),
                unknown_after=bool(a.get("known_after_apply")),
            )
            for a in doc.get("attributes") or ()
        ),
        import_id=doc.get("import_id"),
        previous_address=doc.get("previous_address"),
        deposed=doc.get("deposed"),
    )


def report_from_dict(doc: Mapping[str, Any]) -> AuditReport:
    """The report an audit JSON document was written from (`KeyError`/`ValueError` if not one).

    Every value in the document is already redacted, so nothing here needs redacting again.
    """
    plan = doc["plan"]
    live = doc.get("live")
    compared = doc.get("comparison")
    findings = [finding_from_dict(f) for f in doc["findings"]]
    drift = [
        DriftItem(found, DriftFate(raw["apply_effect"]), str(raw.get("apply_effect_reason", "")))
        for found, raw in zip(findings, doc["findings"], strict=True)
        if found.kind.is_drift and "apply_effect" in raw
    ]
    return AuditReport(
        environment=doc["environment"],
        generated_at=doc["generated_at"],
        plan_source=plan["source"],
        plan_format=plan["format_version"],
        terraform_version=plan.get("terraform_version"),
        plan_errored=bool(plan.get("errored")),
        plan_partial=bool(plan.get("partial")),
        counts=tuple((str(k), int(v)) for k, v in plan["counts"].items()),
        destructive=tuple(_change_from(c) for c in plan["destructive"]),
        updates=tuple(_change_from(c) for c in plan["updates"]),
        creates=tuple(_change_from(c) for c in plan["creates"]),
        other=tuple(_change_from(c) for c in plan.get("other") or ()),
        images=tuple(
            ImageChange(i["slot"], i["address"], i["container"], i.get("before"), i.get("after"))
            for i in doc.get("images") or ()
        ),
        drift=tuple(drift),
        terraform_drift=tuple(_change_from(c) for c in plan.get("resource_drift") or ()),
        findings=tuple(f for f in findings if not f.kind.is_drift),
        comparison=None
        if compared is None
        else ComparisonResult(
            compared["environment"],
            compared["source"],
            tuple(
                ComparisonRow(r["slot"], r.get("current"), r.get("planned"), r.get("same_build"))
                for r in compared["images"]
            ),
        ),
        outputs=tuple(
            OutputChange(
                o["name"],
                Action(o["action"]),
                bool(o["sensitive"]),
                o.get("before"),
                o.get("after"),
            )
            for o in plan.get("outputs") or ()
        ),
        notes=tuple(doc.get("notes") or ()),
        live=None
        if live is None
        else LiveSide(
            source=live["source"],
            taken_at=live.get("taken_at"),
            subscription_id=live["subscription_id"],
            resources_checked=int(live["resources_checked"]),
            unread=tuple(unread_from_dict(u) for u in doc.get("unread") or ()),
            not_checked=tuple(doc.get("not_checked") or ()),
        ),
        plan_made_at=plan.get("timestamp"),
        commit=plan.get("commit"),
        plan_only=bool(doc.get("plan_only")),
    )
