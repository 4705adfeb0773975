"""GitHub-flavoured Markdown, for job summaries, drift issues and pull-request comments.

GitHub renders inline HTML, links and images in all three, so every value from Azure or
the state goes through `markdown_text`, the one escaper all of azprov's Markdown shares.
With a size limit the findings table is cut (the rows after the first N, with a line
saying how many are left out and where they are); the verdict, unread parts and notes
always stay.
"""

from __future__ import annotations

from dataclasses import replace

from provisioner.model import Analysis, FindingKind
from provisioner.reporters.common import (
    explained,
    headline,
    not_checked_line,
    resource_label,
    state_and_azure,
    verdict,
)
from provisioner.reporters.markdown_text import code, largest_fitting, size, text


def render(analysis: Analysis, limit: int | None = None, where: str = "the JSON report") -> str:
    """The report as Markdown; with `limit`, at most that many bytes (UTF-8).

    `where` names the full report in the line that says rows were left out.
    """

    def document(shown: int) -> str:
        found = analysis.findings[:shown]
        lines = [f"## azprov verify: {code(analysis.environment)}", ""]
        lines += [f"**{text(verdict(analysis), 10_000)}**", "", f"_{text(headline(analysis))}_", ""]
        attributed = any(f.attribution for f in found)
        if found:
            extra = " changed by |" if attributed else ""
            lines += [
                "| severity | kind | resource | attribute | state | Azure |" + extra,
                "|---|---|---|---|---|---|" + ("---|" if attributed else ""),
            ]
            for f in found:
                # presence words ("present", "absent") are ours; values are Azure's
                value = text if f.kind in (FindingKind.MISSING, FindingKind.UNMANAGED) else code
                cells = [
                    text(f.severity.value),
                    text(f.kind.value),
                    code(resource_label(f)),
                    code(f.attribute or ""),
                    *(value(v) for v in state_and_azure(f)),
                ]
                if attributed:
                    cells.append(text(f.attribution.who()) if f.attribution else "")
                lines.append("| " + " | ".join(c or " " for c in cells) + " |")
            lines.append("")
        left = len(analysis.findings) - len(found)
        if left:
            lines += [f"_… and {left} more findings: see {where}._", ""]
        for f in explained(replace(analysis, findings=found)):
            label = code(resource_label(f))
            lines.append(f"- **{text(f.kind.value)}** {label}: {text(f.message, 400)}")
        for note in analysis.notes:
            lines.append(f"- {text(note, 2000)}")
        for u in analysis.unread:
            lines.append(
                f"- :warning: could not read {text(u.what)} under {code(u.scope)}: {text(u.reason)}"
            )
        if analysis.not_checked:
            lines.append(f"- {text(not_checked_line(analysis), 2000)}")
        for held in analysis.suppressed:
            label = code(resource_label(held.finding))
            attribute = f" {code(held.finding.attribute)}" if held.finding.attribute else ""
            lines.append(
                f"- suppressed ({text(held.by)}): {label}{attribute}: {text(held.reason, 400)}"
            )
        return "\n".join(lines).rstrip() + "\n"

    full = document(len(analysis.findings))
    if limit is None or size(full) <= limit:
        return full
    fitted = largest_fitting(document, len(analysis.findings), limit)
    return fitted if fitted is not None else _cut_lines(document(0), limit, where)


def _cut_lines(doc: str, limit: int, where: str) -> str:
    """Last resort (thousands of unread parts): whole lines up to the limit, then a pointer."""
    tail = f"\n_… cut to fit: the full report is {where}._\n"
    kept: list[str] = []
    used = size(tail)
    for line in doc.splitlines():
        if used + size(line) + 1 > limit:
            break
        kept.append(line)
        used += size(line) + 1
    return "\n".join(kept) + tail
