"""The default terminal view: a Rich table, grouped by severity."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from provisioner.model import Analysis, clean_text
from provisioner.reporters.common import (
    explained,
    headline,
    not_checked_line,
    resource_label,
    state_and_azure,
    suppressed_line,
    verdict,
)

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def render(analysis: Analysis, color: bool = False, width: int = 120) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, width=width)
    console.print(_text(headline(analysis)))
    if analysis.findings:
        table = Table(show_lines=False, header_style="bold")
        table.add_column("severity")
        table.add_column("kind")
        table.add_column("resource", ratio=3, overflow="fold")
        table.add_column("attribute", ratio=2, overflow="fold")
        table.add_column("state", ratio=2, overflow="fold")
        table.add_column("Azure", ratio=2, overflow="fold")
        attributed = any(f.attribution for f in analysis.findings)
        if attributed:
            table.add_column("changed by", ratio=3, overflow="fold")
        for f in analysis.findings:
            sev = f.severity.value
            cells = [f.kind.value, resource_label(f), f.attribute or "", *state_and_azure(f)]
            if attributed:
                cells.append(f.attribution.who() if f.attribution else "")
            table.add_row(Text(sev, style=SEVERITY_STYLE[sev]), *map(_text, cells))
        console.print(table)
    for f in explained(analysis):
        console.print(_text(f"{f.kind.value}: {resource_label(f)}: {f.message}"))
    for note in analysis.notes:
        console.print(_text(f"note: {note}"))
    for u in analysis.unread:
        line = _text(f" {u.what} under {u.scope}: {u.reason}")
        console.print(Text("could not read", style="red") + line)
    if analysis.not_checked:
        console.print(_text(not_checked_line(analysis)))
    if held := suppressed_line(analysis):
        console.print(_text(held))
    console.print(Text(verdict(analysis), style="bold"))
    return out.getvalue()


def _text(raw: str, style: str = "") -> Text:
    """Text from Azure or a file for the terminal: no markup, no control characters."""
    return Text(clean_text(raw), style=style)
