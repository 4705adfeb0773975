"""The audit for a terminal: the Markdown report's content as Rich tables that fit it.

`azprov audit` shows this when its report goes to a terminal (raw Markdown is for job
summaries). The order is the other formats': the verdict, destructive changes and
isolation findings (equally urgent), live drift and policy, then what the plan changes
in place or creates, images, Terraform's own drift, the other environment, outputs and
notes; the verdict is repeated last, where a long report leaves the reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from provisioner.audit.report import AuditReport, ChangeItem, DriftFate, DriftItem
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
from provisioner.model import Finding, FindingKind
from provisioner.reporters.terminal import Cell, Column, Kind, Terminal, draw, plain, table

OUTCOME_STYLE = {0: "bold green", 1: "bold red", 2: "bold yellow"}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
ID = Kind.IDENTIFIER


def render_terminal(report: AuditReport, terminal: Terminal | None = None) -> str:
    """The whole report for `terminal` (80 columns without styles by default)."""
    terminal = terminal or Terminal()
    verdict = Text(report.verdict, style=OUTCOME_STYLE[report.exit_code])
    parts: list[object] = [
        Text(f"azprov audit: {report.environment}", style="bold"),
        verdict,
        *(plain(f"• {line}") for line in _summary(report)),
        plain(plan_line(report), "dim"),
        plain(live_line(report), "dim"),
        plain(f"generated {report.generated_at}", "dim"),
    ]
    for section in (
        _destructive,
        _isolation,
        _drift,
        _policy,
        _updates,
        _creates,
        _other,
        _images,
        _terraform_drift,
        _comparison,
        _outputs,
        _notes,
    ):
        parts += section(report, terminal)
    parts += [Text(""), verdict]
    return draw(terminal, *parts)


def _summary(report: AuditReport) -> list[str]:
    lines = [report.plan_summary, report.drift_summary, report.findings_summary]
    lines.append(images_summary(report))
    return [*lines, *filter(None, [comparison_summary(report)])]


def _heading(title: str, style: str = "bold") -> Text:
    return Text("\n" + title, style=style)


def _attribute_rows(items: Sequence[ChangeItem]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for c in items:
        for a in c.attributes:
            name = a.path + (" (forces replacement)" if a.forces_replacement else "")
            rows.append([c.address, name, show(a.before), show(a.after)])
    return rows


_ATTRIBUTES = [Column("resource", ID), Column("attribute", ID), Column("before"), Column("after")]


def _destructive(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.destructive:
        return []
    columns = [Column("action", Kind.WORD), Column("resource", ID), Column("type", ID),
               Column("name"), Column("why")]  # fmt: skip
    rows: list[list[Cell]] = [
        [Text(action_word(c), style="bold red"), c.address, c.type, c.name or "", replace_word(c)]
        for c in report.destructive
    ]
    out: list[object] = [
        _heading(f"Destructive changes ({len(report.destructive)})", "bold red"),
        table(terminal, columns, rows),
    ]
    if attributes := _attribute_rows(report.replaces):
        out += [_heading("What the replacements change"), table(terminal, _ATTRIBUTES, attributes)]
    return out


def _finding_rows(found: Sequence[Finding]) -> list[list[Cell]]:
    return [
        [Text(f.severity.value, style=SEVERITY_STYLE[f.severity.value]), f.rule or "",
         resource_of(f), f.attribute or "", finding_value(f), f.message]
        for f in found
    ]  # fmt: skip


_FINDINGS = [Column("severity", Kind.WORD), Column("rule", ID), Column("resource", ID),
             Column("attribute", ID), Column("value"), Column("message")]  # fmt: skip


def _findings(title: str, found: Sequence[Finding], none: str, terminal: Terminal) -> list[object]:
    heading = _heading(f"{title} ({len(found)})")
    if not found:
        return [heading, plain(none, "dim")]
    return [heading, table(terminal, _FINDINGS, _finding_rows(found))]


def _isolation(report: AuditReport, terminal: Terminal) -> list[object]:
    kind = FindingKind.ISOLATION
    return _findings("Isolation", report.findings_of(kind), report.none_found(kind), terminal)


def _policy(report: AuditReport, terminal: Terminal) -> list[object]:
    kind = FindingKind.POLICY
    out = _findings("Policy", report.findings_of(kind), report.none_found(kind), terminal)
    rest = [f for f in report.findings if f.kind not in (FindingKind.ISOLATION, kind)]
    return out + (_findings("Other findings", rest, "None.", terminal) if rest else [])


_DRIFT = [Column("kind", Kind.WORD), Column("resource", ID), Column("attribute", ID),
          Column("state"), Column("live"), Column("after this apply")]  # fmt: skip


def _drift_rows(items: Sequence[DriftItem]) -> list[list[Cell]]:
    return [
        [d.finding.kind.value, resource_of(d.finding), d.finding.attribute or "",
         finding_expected(d.finding), finding_value(d.finding),
         d.why + (f"; {d.finding.attribution.line()}" if d.finding.attribution else "")]
        for d in items
    ]  # fmt: skip


def _drift(report: AuditReport, terminal: Terminal) -> list[object]:
    if report.live is None:
        return [_heading("Live drift"), plain(drift_not_checked(report), "dim")]
    lost = report.drift_with(DriftFate.OVERWRITTEN)
    out: list[object] = [_heading(f"Live drift this apply overwrites ({len(lost)})")]
    out.append(
        table(terminal, _DRIFT, _drift_rows(lost))
        if lost
        else plain("None: the apply keeps every live change azprov found.", "dim")
    )
    kept = [d for d in report.drift if d.fate is not DriftFate.OVERWRITTEN]
    if kept:
        out += [
            _heading(f"Live drift that stays or is adopted ({len(kept)})"),
            table(terminal, _DRIFT, _drift_rows(kept)),
        ]
    out += [
        Text("could not read ", style="red") + plain(f"{u.what} under {u.scope}: {u.reason}")
        for u in report.live.unread
    ]
    if report.live.not_checked:
        names = ", ".join(report.live.not_checked)
        out.append(plain(f"not checked (azprov has no reader for their type): {names}"))
    return out


def _updates(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.updates:
        return []
    rows = _attribute_rows(report.updates)
    title = f"Updates in place ({len(report.updates)} resources, {len(rows)} attributes)"
    return [_heading(title), table(terminal, _ATTRIBUTES, rows)] if rows else [_heading(title)]


def _creates(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.creates:
        return []
    rows: list[list[Cell]] = [[c.address, c.type, c.name or ""] for c in report.creates]
    columns = [Column("resource", ID), Column("type", ID), Column("name")]
    return [_heading(f"Creates ({len(rows)})"), table(terminal, columns, rows)]


def _other(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.other:
        return []
    rows: list[list[Cell]] = []
    for c in report.other:
        if c.import_id:
            what = f"import {c.import_id}"
        elif c.previous_address:
            what = f"moved from {c.previous_address}"
        else:
            what = "removed from the state only (forget)"
        rows.append([c.address, what])
    title = f"Imports, moves and forgets ({len(rows)})"
    return [_heading(title), table(terminal, [Column("resource", ID), Column("what")], rows)]


def _images(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.images:
        return []
    ordered = sorted(report.images, key=lambda i: (i.status.value == "unchanged", i.slot))
    rows: list[list[Cell]] = [
        [i.address, i.container, i.before or "", i.after or "", image_status(i)] for i in ordered
    ]
    columns = [Column("resource", ID), Column("container", ID), Column("now"),
               Column("after apply"), Column("", Kind.WORD)]  # fmt: skip
    return [_heading("Images deployed"), table(terminal, columns, rows)]


def _terraform_drift(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.terraform_drift:
        return []
    rows: list[list[Cell]] = []
    for c in report.terraform_drift:
        rows += _attribute_rows([c]) or [[c.address, c.action.value, "", ""]]
    columns = [Column("resource", ID), Column("attribute", ID), Column("recorded"),
               Column("now")]  # fmt: skip
    title = f"Changes Terraform found outside Terraform ({len(report.terraform_drift)})"
    return [_heading(title), table(terminal, columns, rows)]


def _comparison(report: AuditReport, terminal: Terminal) -> list[object]:
    result = report.comparison
    if result is None:
        return []
    rows: list[list[Cell]] = [
        [r.slot, r.other or "", r.planned or "", comparison_word(r)] for r in result.rows
    ]
    columns = [Column("container", ID), Column(f"{result.environment} now"),
               Column(f"{report.environment} after apply"), Column("")]  # fmt: skip
    title = f"What {result.environment} runs vs what {report.environment} will run"
    return [
        _heading(title),
        plain(f"{result.environment}: {result.source}", "dim"),
        table(terminal, columns, rows),
    ]


def _outputs(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.outputs:
        return []
    rows: list[list[Cell]] = [
        [o.name, o.action.value, show(o.before), show(o.after)] for o in report.outputs
    ]
    columns = [Column("output", ID), Column("action", Kind.WORD), Column("before"),
               Column("after")]  # fmt: skip
    return [_heading(f"Outputs changing ({len(rows)})"), table(terminal, columns, rows)]


def _notes(report: AuditReport, terminal: Terminal) -> list[object]:
    if not report.notes:
        return []
    return [_heading("Notes"), Group(*(plain(f"• {note}") for note in report.notes))]
