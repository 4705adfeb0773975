"""How report values read, shared by the Markdown and HTML renderers (no markup here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from provisioner.audit.images import ImageChange, ImageStatus
from provisioner.audit.report import AuditReport, ChangeItem, ComparisonRow, DriftItem
from provisioner.model import Finding, FindingKind, redact_value
from provisioner.reporters.common import resource_label
from provisioner.state.plan import Action

NONE = "(none)"


def show(value: Any) -> str:
    """One value as a reviewer reads it: strings bare, the rest as compact JSON."""
    if value is None:
        return NONE
    value = redact_value(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 time as Terraform and azprov write it (`2026-11-25T08:12:44Z`)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age(earlier: str | None, now: str) -> str | None:
    """How long before `now` `earlier` was, in the largest whole unit: `3 hours old`."""
    start, end = _moment(earlier), _moment(now)
    if start is None or end is None:
        return None
    seconds = int((end - start).total_seconds())
    if seconds < 0:
        return "from after this report"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' * (n != 1)} old"
    return "under a minute old"


def _dated(moment: str | None, now: str) -> str:
    if not moment:
        return ""
    old = age(moment, now)
    return f" {moment} ({old})" if old else f" {moment}"


def live_line(report: AuditReport) -> str:
    live = report.live
    if live is None:
        if report.plan_only:
            return (
                "live Azure and the other environments: not read (--plan-only); "
                "the state is the plan's own prior_state"
            )
        return "live Azure: not read, so drift is not checked"
    where = "a snapshot" if live.source != "azure" else "Azure"
    when = f" taken{_dated(live.taken_at, report.generated_at)}" if live.taken_at else ""
    return (
        f"live: {where}{when}, subscription {live.subscription_id}, "
        f"{live.resources_checked} resources checked"
    )


def plan_made(report: AuditReport) -> str:
    """When the plan was made and how old it is, for the report's header."""
    if not report.plan_made_at:
        return "unknown (the plan JSON has no timestamp)"
    return _dated(report.plan_made_at, report.generated_at).strip()


def live_read(report: AuditReport) -> str:
    """Where the live side came from and how old it is, for the report's header."""
    live = report.live
    if live is None:
        return "not read (--plan-only)" if report.plan_only else "not read"
    where = "snapshot" if live.source != "azure" else "Azure, read"
    when = _dated(live.taken_at, report.generated_at) if live.taken_at else ""
    return f"{where}{when}"


def drift_not_checked(report: AuditReport) -> str:
    """What the live drift section says when live Azure was not read."""
    why = "--plan-only reads no Azure" if report.plan_only else "live Azure was not read"
    seen = (
        " The changes Terraform itself saw outside Terraform when it planned are listed below."
        if report.terraform_drift
        else ""
    )
    return f"Not checked: {why}.{seen}"


def plan_file(report: AuditReport) -> str:
    """Which plan: its file, plan JSON format and Terraform version."""
    version = f", Terraform {report.terraform_version}" if report.terraform_version else ""
    return f"{report.plan_source} (format {report.plan_format}{version})"


def plan_line(report: AuditReport) -> str:
    """Which plan: its file and format, when it was made and from which commit."""
    made = f", made {plan_made(report)}" if report.plan_made_at else ""
    commit = f", commit {report.commit}" if report.commit else ", commit unknown"
    return f"plan: {plan_file(report)}{made}{commit}"


def action_word(item: ChangeItem) -> str:
    if item.action is Action.DELETE and item.deposed:
        return "delete (deposed)"
    if item.action is Action.REPLACE and item.reason is None:
        return "replace"
    return item.action.value


def replace_word(item: ChangeItem) -> str:
    """Why a destructive change happens: the forcing attributes, else Terraform's reason."""
    if item.replace_paths:
        return "forced by " + ", ".join(item.replace_paths)
    return item.reason or ""


def image_status(change: ImageChange) -> str:
    return {
        ImageStatus.NEW: "new",
        ImageStatus.CHANGED: "changed",
        ImageStatus.UNCHANGED: "unchanged",
        ImageStatus.REMOVED: "removed",
    }[change.status]


def images_summary(report: AuditReport) -> str:
    counts = dict.fromkeys(ImageStatus, 0)
    for image in report.images:
        counts[image.status] += 1
    if not report.images:
        return "Images: none in this plan"
    parts = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    return f"Images: {len(report.images)} containers ({parts})"


def comparison_summary(report: AuditReport) -> str | None:
    result = report.comparison
    if result is None:
        return None
    return (
        f"{result.environment} vs {report.environment}: {result.differing} of "
        f"{len(result.rows)} containers differ"
    )


def comparison_word(row: ComparisonRow) -> str:
    if row.other is None:
        return "not deployed there"
    if row.planned is None:
        return "not in this plan"
    if row.same is None:
        return "unknown"
    return "same build" if row.same else "different"


def finding_value(finding: Finding) -> str:
    """What a finding found: the live value, or presence words for whole resources."""
    if finding.kind is FindingKind.MISSING:
        return "absent"
    if finding.kind is FindingKind.UNMANAGED:
        return "present"
    return "" if finding.actual is None else show(finding.actual)


def finding_expected(finding: Finding) -> str:
    if finding.kind is FindingKind.MISSING:
        return "present"
    if finding.kind is FindingKind.UNMANAGED:
        return "absent"
    return "" if finding.expected is None else show(finding.expected)


def resource_of(finding: Finding) -> str:
    """The address, or `type name` for a resource the state does not hold."""
    return resource_label(finding)


def drift_title(item: DriftItem) -> str:
    return f"{item.finding.kind.value}: {resource_of(item.finding)}"
