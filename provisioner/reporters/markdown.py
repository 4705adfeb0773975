"""GitHub-flavoured Markdown, for job summaries and pull-request comments."""

from __future__ import annotations

from provisioner.model import Analysis
from provisioner.reporters.common import (
    explained,
    headline,
    not_checked_line,
    resource_label,
    state_and_azure,
    verdict,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def render(analysis: Analysis) -> str:
    lines = [f"## azprov verify: `{analysis.environment}`", "", f"**{verdict(analysis)}**", ""]
    lines += [f"_{headline(analysis)}_", ""]
    if analysis.findings:
        lines += [
            "| severity | kind | resource | attribute | state | Azure |",
            "|---|---|---|---|---|---|",
        ]
        for f in analysis.findings:
            cells = [
                f.severity.value,
                f.kind.value,
                f"`{resource_label(f)}`",
                f.attribute or "",
                *state_and_azure(f),
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    for f in explained(analysis):
        lines.append(f"- **{f.kind.value}** `{resource_label(f)}`: {f.message}")
    for note in analysis.notes:
        lines.append(f"- {note}")
    for u in analysis.unread:
        lines.append(f"- :warning: could not read {u.what} under `{u.scope}`: {u.reason}")
    if analysis.not_checked:
        lines.append(f"- {not_checked_line(analysis)}")
    return "\n".join(lines).rstrip() + "\n"
