"""The default terminal view: a Rich table, grouped by severity."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from provisioner.model import Analysis
from provisioner.reporters.common import (
    explained,
    headline,
    not_checked_line,
    resource_label,
    state_and_azure,
    suppressed_line,
    verdict,
)
from provisioner.reporters.terminal import Cell, Column, Kind, Terminal, draw, plain, table

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def render(analysis: Analysis, terminal: Terminal | None = None) -> str:
    """The findings as a table that fits `terminal`'s width (80 columns, plain, by default).

    Addresses and attribute paths fold only between their parts, values too where they
    can (see `provisioner.reporters.terminal`).
    """
    terminal = terminal or Terminal()
    shown: list[object] = [plain(headline(analysis))]
    if analysis.findings:
        shown.append(_findings_table(analysis, terminal))
    shown += [
        plain(f"{f.kind.value}: {resource_label(f)}: {f.message}") for f in explained(analysis)
    ]
    shown += [plain(f"note: {note}") for note in analysis.notes]
    shown += [
        Text("could not read", style="red") + plain(f" {u.what} under {u.scope}: {u.reason}")
        for u in analysis.unread
    ]
    if analysis.not_checked:
        shown.append(plain(not_checked_line(analysis)))
    if held := suppressed_line(analysis):
        shown.append(plain(held))
    shown.append(Text(verdict(analysis), style="bold"))
    return draw(terminal, *shown)


def _findings_table(analysis: Analysis, terminal: Terminal) -> Table:
    attributed = any(f.attribution for f in analysis.findings)
    columns = [
        Column("severity", Kind.WORD),
        Column("kind", Kind.WORD),
        Column("resource", Kind.IDENTIFIER),
        Column("attribute", Kind.IDENTIFIER),
        Column("state"),
        Column("Azure"),
        *([Column("changed by")] if attributed else []),
    ]
    rows = []
    for f in analysis.findings:
        sev = f.severity.value
        row: list[Cell] = [
            Text(sev, style=SEVERITY_STYLE[sev]),
            f.kind.value,
            resource_label(f),
            f.attribute or "",
            *state_and_azure(f),
        ]
        if attributed:
            row.append(f.attribution.who() if f.attribution else "")
        rows.append(row)
    return table(terminal, columns, rows)
