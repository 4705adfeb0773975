"""The audit as one self-contained HTML page: inline CSS, no scripts, no external assets.

It is the full report (nothing folded or cut), kept as a CI artifact and printable:
white background, dark text, colour only in thin borders and small labels. Jinja2
autoescapes every value; a Content-Security-Policy forbids loading anything, so the page
cannot reach the network even if a value slipped through.

Nothing may run off the page, at 1,280 px or on A4: every cell offers the browser line
breaks after `.`, `_`, `-`, `/`, `:` and `,` (and inside any run of 24 characters without
one), and an ARM ID shows as `…/rg-name/…/type/name` with the full ID on hover (its
`title`) and in print.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup, escape

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
    live_read,
    plan_file,
    plan_made,
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
    env.filters["cell"] = cell
    return env.from_string(source)


def _clean(value: Any) -> Any:
    if isinstance(value, Markup):  # made by `cell` from text it cleaned itself
        return value
    return clean_text(value) if isinstance(value, str) else value


# Where a line may break inside a token (after these), and the longest run without one.
_BREAK_AFTER = frozenset("._-/:,=&?;")
_LONGEST_RUN = 24
ARM_ID = re.compile(r"/subscriptions/[0-9A-Fa-f-]{36}(?:/[^\s/\"'<>,;()\[\]{}]+)*")


def breakable(text: str) -> Markup:
    """`text` escaped, with a `<wbr>` wherever a reader would accept a line break."""
    out: list[str] = []
    run = 0
    for char in text:
        if char == "[" and run:
            out.append("<wbr>")
            run = 0
        out.append(str(escape(char)))
        run = 0 if char.isspace() else run + 1
        if char in _BREAK_AFTER or run >= _LONGEST_RUN:
            out.append("<wbr>")
            run = 0
    return Markup("".join(out))  # noqa: S704 - every character went through escape()


def short_id(arm_id: str) -> str:
    """`/subscriptions/…/resourceGroups/rg/providers/NS/type/name` -> `…/rg/…/type/name`."""
    parts = arm_id.strip("/").split("/")
    if len(parts) < 6 or parts[2].lower() != "resourcegroups":
        return arm_id
    return f"…/{parts[3]}/…/{parts[-2]}/{parts[-1]}"


def cell(value: Any) -> Markup:
    """Any text for a table cell: cleaned, escaped, breakable, ARM IDs shortened."""
    text = clean_text(str(value))
    out: list[str] = []
    at = 0
    for found in ARM_ID.finditer(text):
        out.append(breakable(text[at : found.start()]))
        full = found.group(0)
        short = short_id(full)
        if short == full:
            out.append(breakable(full))
        else:
            out.append(
                f'<span class="arm-id" title="{escape(full)}">'
                f'<span class="id-short">{escape(short)}</span>'
                f'<span class="id-full">{breakable(full)}</span></span>'
            )
        at = found.end()
    out.append(breakable(text[at:]))
    return Markup("".join(out))  # noqa: S704 - built from escape() and breakable() only


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
        "facts": [
            ("Plan", plan_file(report)),
            ("Plan made", plan_made(report)),
            ("Commit", report.commit or "unknown"),
            ("Live", live_read(report)),
            ("Generated", report.generated_at),
        ],
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
