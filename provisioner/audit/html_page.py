"""The audit as one self-contained HTML page: inline CSS, no scripts, no external assets.

It is the full report (nothing folded or cut), kept as a CI artifact and printable:
white background, dark text, colour only in thin borders and small labels. Jinja2
autoescapes every value; a Content-Security-Policy forbids loading anything, so the page
cannot reach the network even if a value slipped through.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2

from provisioner.audit.report import AuditReport, DriftFate
from provisioner.audit.wording import (
    action_word,
    comparison_summary,
    comparison_word,
    drift_not_checked,
    finding_expected,
    finding_value,
    image_status,
    images_summary,
    live_line,
    plan_line,
    replace_word,
    resource_of,
    show,
)
from provisioner.model import FindingKind, clean_text, redact_text

TEMPLATE = "report.html.j2"


@cache
def _template() -> jinja2.Template:
    source = resources.files(__package__).joinpath("templates", TEMPLATE).read_text("utf-8")
    # Every value printed passes `finalize` before autoescaping: no control characters.
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_clean)
    env.filters["show"] = show
    env.filters["redact"] = redact_text
    return env.from_string(source)


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def render_html(report: AuditReport) -> str:
    """The whole report as one HTML document."""
    return _template().render(**_view(report))


def _view(report: AuditReport) -> dict[str, Any]:
    live = report.live
    kinds = (FindingKind.ISOLATION, FindingKind.POLICY)
    return {
        "r": report,
        "outcome": report.verdict.split(":", 1)[0].lower(),
        "summary": [
            report.plan_summary,
            report.drift_summary,
            report.findings_summary,
            images_summary(report),
            *filter(None, [comparison_summary(report)]),
        ],
        "plan_line": plan_line(report),
        "live_line": live_line(report),
        "drift_not_checked": drift_not_checked(report),
        "destructive": [
            {"c": c, "action": action_word(c), "why": replace_word(c)} for c in report.destructive
        ],
        "replaces": [c for c in report.replaces if c.attributes],
        "images": [
            {"i": i, "status": image_status(i)}
            for i in sorted(report.images, key=lambda i: (i.status.value == "unchanged", i.slot))
        ],
        "drift_sections": [
            ("Live drift this apply overwrites", report.drift_with(DriftFate.OVERWRITTEN)),
            (
                "Live drift that stays or is adopted",
                tuple(d for d in report.drift if d.fate is not DriftFate.OVERWRITTEN),
            ),
        ],
        "finding_sections": [
            (kind.value.capitalize(), report.findings_of(kind), report.none_found(kind))
            for kind in kinds
        ]
        + (
            [("Other findings", [f for f in report.findings if f.kind not in kinds], "None.")]
            if any(f.kind not in kinds for f in report.findings)
            else []
        ),
        "unread": live.unread if live else (),
        "not_checked": live.not_checked if live else (),
        "resource_of": resource_of,
        "expected_of": finding_expected,
        "value_of": finding_value,
        "comparison_word": comparison_word,
    }
