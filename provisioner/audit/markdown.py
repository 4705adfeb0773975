"""The audit as GitHub-flavoured Markdown, for a job summary.

The order puts what a reviewer must weigh first: the verdict, the destructive changes and
the isolation findings (as urgent as a deletion: one environment reaching into another),
then the live drift and policy findings, then what the plan updates and creates, images,
Terraform's own drift, the other environment, outputs and notes.

Long lists fold into `<details>`; the destructive changes never fold. GitHub refuses a
step summary over 1 MiB, so when the full text is larger the lists are cut least
important first: the plan's bulk (updates, creates, images, outputs, replacement
attributes), then the context (the other environment, notes), then the findings (drift,
policy), and the destructive changes and isolation findings last of all. Each cut says
how many rows are left out and where the full report is; a last resort cuts whole lines
from the end, so what comes first survives.
Every user-supplied string is escaped: GitHub renders inline HTML in summaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

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
from provisioner.errors import ConfigError
from provisioner.model import Finding, FindingKind
from provisioner.reporters.markdown_text import code, largest_fitting, size, text

# GitHub's limit for one step's summary ("supports content up to a size of 1024k").
GITHUB_SUMMARY_LIMIT = 1024 * 1024
MIN_LIMIT = 1024
# Lists longer than this fold into <details>.
FOLD_AFTER = 10


class Rank(IntEnum):
    """How much a list matters to the reviewer; the highest rank is cut first."""

    CRITICAL = 0  # destructive changes, isolation findings
    FINDINGS = 1  # live drift, policy, what could not be read
    CONTEXT = 2  # the other environment, notes
    BULK = 3  # updates, creates, imports, images, Terraform's drift, outputs


@dataclass(frozen=True)
class _Caps:
    """Rows shown per list, by rank (None: all of them)."""

    by_rank: tuple[int | None, ...] = (None,) * len(Rank)

    def of(self, rank: Rank) -> int | None:
        return self.by_rank[rank]

    @classmethod
    def cutting(cls, rank: Rank, rows: int) -> _Caps:
        """`rank`'s lists cut to `rows`, the less important ones cut away, the more
        important ones whole."""
        return cls(tuple(None if r < rank else rows if r == rank else 0 for r in Rank))


@dataclass(frozen=True)
class _Rows:
    """A list rendered once and cut at assembly: table rows, or bullets without a header."""

    lines: Sequence[str]
    rank: Rank
    header: Sequence[str] | None = None
    # Folds into <details> with this summary when longer than FOLD_AFTER.
    summary: str | None = None

    def render(self, caps: _Caps, where: str) -> list[str]:
        cap = caps.of(self.rank)
        if cap == 0:  # a lesser list inside a kept section: the notice at the top covers it
            return []
        shown = self.lines if cap is None else self.lines[:cap]
        left = len(self.lines) - len(shown)
        out: list[str] = []
        if self.header is None:
            out += shown
            if left:
                out.append(f"- _… and {left} more: see {where}._")
        else:
            if shown:
                out += ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
                out += shown
            if left:
                out += ["", f"_… and {left} more rows: see {where}._"]
        if len(self.lines) > FOLD_AFTER and self.summary:
            return [f"<details><summary>{self.summary}</summary>", "", *out, "", "</details>", ""]
        return [*out, ""]


class _ShortenedNotice:
    """Where the top says the summary was shortened (only when it was)."""


Block = str | _Rows | _ShortenedNotice


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], rank: Rank, summary: str | None = None
) -> list[Block]:
    lines = ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return [_Rows(lines, rank, header, summary)]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _heading(title: str) -> list[Block]:
    return [f"### {title}", ""]


# --- sections ------------------------------------------------------------------------


def _top(report: AuditReport) -> list[Block]:
    lines: list[Block] = [
        f"## azprov audit: {code(report.environment)}",
        "",
        f"**{text(report.verdict, 10_000)}**",
        "",
        f"- **{text(report.plan_summary)}**",
        f"- {text(report.drift_summary)}",
        f"- {text(report.findings_summary)}",
        f"- {text(images_summary(report))}",
    ]
    if compared := comparison_summary(report):
        lines.append(f"- {text(compared)}")
    meta = (
        f"_{text(plan_line(report), 1000)}; {text(live_line(report), 1000)}; "
        f"generated {report.generated_at}_"
    )
    # Which plan and which live read: context, given up before any finding is.
    return [*lines, "", _Rows([meta], Rank.CONTEXT), _ShortenedNotice()]


def _destructive(report: AuditReport) -> list[Block]:
    if not report.destructive:
        return []
    rows = [
        [
            f"**{text(action_word(c))}**",
            code(c.address),
            code(c.type),
            text(c.name or ""),
            text(replace_word(c)),
        ]
        for c in report.destructive
    ]
    blocks = [
        *_heading(f":warning: Destructive changes ({len(report.destructive)})"),
        *_table(["action", "resource", "type", "name", "why"], rows, Rank.CRITICAL),
    ]
    attrs = [
        [code(c.address), *_attribute_cells(a.path, a.before, a.after, a.forces_replacement)]
        for c in report.replaces
        for a in c.attributes
    ]
    if attrs:
        blocks += _table(
            ["replaced resource", "attribute", "before", "after"],
            attrs,
            Rank.BULK,
            summary=f"What the replacements change ({len(attrs)} attributes)",
        )
    return blocks


def _attribute_cells(path: str, before: object, after: object, forces: bool) -> list[str]:
    name = code(path) + (" **forces replacement**" if forces else "")
    return [name, code(show(before)), code(show(after))]


def _updates(report: AuditReport) -> list[Block]:
    if not report.updates:
        return []
    rows = [
        [code(c.address), *_attribute_cells(a.path, a.before, a.after, False)]
        for c in report.updates
        for a in c.attributes
    ]
    title = f"Updates in place ({len(report.updates)} resources, {len(rows)} attributes)"
    return [
        *_heading(title),
        *_table(["resource", "attribute", "before", "after"], rows, Rank.BULK, title),
    ]


def _creates(report: AuditReport) -> list[Block]:
    if not report.creates:
        return []
    rows = [[code(c.address), code(c.type), text(c.name or "")] for c in report.creates]
    title = f"Creates ({len(rows)})"
    return [*_heading(title), *_table(["resource", "type", "name"], rows, Rank.BULK, title)]


def _other_word(item: ChangeItem) -> str:
    if item.import_id:
        return "import " + item.import_id
    if item.previous_address:
        return f"moved from {item.previous_address}"
    return "removed from the state only (forget)"


def _other(report: AuditReport) -> list[Block]:
    if not report.other:
        return []
    rows = [[code(c.address), text(_other_word(c))] for c in report.other]
    title = f"Imports, moves and forgets ({len(rows)})"
    return [*_heading(title), *_table(["resource", "what"], rows, Rank.BULK, title)]


def _images(report: AuditReport) -> list[Block]:
    if not report.images:
        return []
    ordered = sorted(report.images, key=lambda i: (i.status.value == "unchanged", i.slot))
    rows = [
        [code(i.address), text(i.container), code(i.before or ""), code(i.after or ""),
         text(image_status(i))]
        for i in ordered
    ]  # fmt: skip
    header = ["resource", "container", "now", "after apply", ""]
    summary = f"{len(rows)} containers"
    return [*_heading("Images deployed"), *_table(header, rows, Rank.BULK, summary)]


def _drift_rows(items: Iterable[DriftItem]) -> list[list[str]]:
    return [
        [
            text(d.finding.kind.value),
            code(resource_of(d.finding)),
            code(d.finding.attribute or ""),
            code(finding_expected(d.finding)),
            code(finding_value(d.finding)),
            text(d.why + (f"; {d.finding.attribution.line()}" if d.finding.attribution else "")),
        ]
        for d in items
    ]


_DRIFT_HEADER = ["kind", "resource", "attribute", "state", "live", "after this apply"]


def _drift(report: AuditReport) -> list[Block]:
    if report.live is None:
        return [*_heading("Live drift"), text(drift_not_checked(report), 1000), ""]
    lost = report.drift_with(DriftFate.OVERWRITTEN)
    title = f"Live drift this apply overwrites ({len(lost)})"
    blocks = _heading(title)
    if lost:
        blocks += _table(_DRIFT_HEADER, _drift_rows(lost), Rank.FINDINGS, title)
    else:
        blocks += ["None: the apply keeps every live change azprov found.", ""]
    kept = [d for d in report.drift if d.fate is not DriftFate.OVERWRITTEN]
    if kept:
        title = f"Live drift that stays or is adopted ({len(kept)})"
        rows = _drift_rows(kept)
        blocks += [*_heading(title), *_table(_DRIFT_HEADER, rows, Rank.FINDINGS, title)]
    extra = [
        f"- :x: could not read {text(u.what)} under {code(u.scope)}: {text(u.reason)}"
        for u in report.live.unread
    ]
    if report.live.not_checked:
        names = ", ".join(code(n) for n in report.live.not_checked)
        extra.append(f"- not checked (azprov has no reader for their type): {names}")
    return [*blocks, *([_Rows(extra, Rank.FINDINGS)] if extra else [])]


def _terraform_drift(report: AuditReport) -> list[Block]:
    if not report.terraform_drift:
        return []
    rows: list[list[str]] = []
    for c in report.terraform_drift:
        attrs = [
            [code(c.address), *_attribute_cells(a.path, a.before, a.after, False)]
            for a in c.attributes
        ]
        rows += attrs or [[code(c.address), text(c.action.value), "", ""]]
    title = f"Changes Terraform found outside Terraform ({len(report.terraform_drift)})"
    return [
        *_heading(title),
        *_table(["resource", "attribute", "recorded", "now"], rows, Rank.BULK, title),
    ]


def _finding_rows(found: Sequence[Finding]) -> list[list[str]]:
    return [
        [
            text(f.severity.value),
            code(f.rule or ""),
            code(resource_of(f)),
            code(f.attribute or ""),
            code(finding_value(f)),
            text(f.message, 400),
        ]
        for f in found
    ]


_FINDING_HEADER = ["severity", "rule", "resource", "attribute", "value", "message"]


def _findings_of(title: str, found: Sequence[Finding], none: str, rank: Rank) -> list[Block]:
    heading = _heading(f"{title} ({len(found)})")
    if not found:
        return [*heading, text(none, width=1000), ""]
    return [*heading, *_table(_FINDING_HEADER, _finding_rows(found), rank, title)]


def _isolation(report: AuditReport) -> list[Block]:
    found = report.findings_of(FindingKind.ISOLATION)
    none = report.none_found(FindingKind.ISOLATION)
    return _findings_of("Isolation", found, none, Rank.CRITICAL)


def _policy(report: AuditReport) -> list[Block]:
    kind = FindingKind.POLICY
    blocks = _findings_of(
        "Policy", report.findings_of(kind), report.none_found(kind), Rank.FINDINGS
    )
    others = [f for f in report.findings if f.kind not in (FindingKind.ISOLATION, kind)]
    if others:
        blocks += _findings_of("Other findings", others, "None.", Rank.FINDINGS)
    return blocks


def _comparison(report: AuditReport) -> list[Block]:
    result = report.comparison
    if result is None:
        return []
    rows = [
        [code(r.slot), code(r.other or ""), code(r.planned or ""), text(comparison_word(r))]
        for r in result.rows
    ]
    title = f"What {result.environment} runs vs what {report.environment} will run"
    header = ["container", text(f"{result.environment} now"),
              text(f"{report.environment} after apply"), ""]  # fmt: skip
    return [
        *_heading(text(title)),
        f"_{text(result.environment)}: {text(result.source, 1000)}_",
        "",
        *_table(header, rows, Rank.CONTEXT, f"{len(rows)} containers, {result.differing} differ"),
    ]


def _outputs(report: AuditReport) -> list[Block]:
    if not report.outputs:
        return []
    rows = [
        [code(o.name), text(o.action.value), code(show(o.before)), code(show(o.after))]
        for o in report.outputs
    ]
    title = f"Outputs changing ({len(rows)})"
    header = ["output", "action", "before", "after"]
    return [*_heading(title), *_table(header, rows, Rank.BULK, title)]


def _notes(report: AuditReport) -> list[Block]:
    if not report.notes:
        return []
    return [*_heading("Notes"), _Rows([f"- {text(n, 2000)}" for n in report.notes], Rank.CONTEXT)]


# Each section with the rank of its list: a section whose rank is cut to nothing is left
# out whole (heading included) and counted in the notice at the top.
_SECTIONS: tuple[tuple[Rank | None, Callable[[AuditReport], list[Block]]], ...] = (
    (None, _top),
    (Rank.CRITICAL, _destructive),
    (Rank.CRITICAL, _isolation),
    (Rank.FINDINGS, _drift),
    (Rank.FINDINGS, _policy),
    (Rank.BULK, _updates),
    (Rank.BULK, _creates),
    (Rank.BULK, _other),
    (Rank.BULK, _images),
    (Rank.BULK, _terraform_drift),
    (Rank.CONTEXT, _comparison),
    (Rank.BULK, _outputs),
    (Rank.CONTEXT, _notes),
)


@dataclass(frozen=True)
class _Section:
    rank: Rank | None
    blocks: Sequence[Block]

    @property
    def has_rows(self) -> bool:
        return any(isinstance(b, _Rows) and b.lines for b in self.blocks)


# --- assembly and size -----------------------------------------------------------------


def _where(artifact: str | None) -> str:
    return f"the `{artifact}` artifact" if artifact else "the HTML or JSON report"


def _assemble(sections: Sequence[_Section], caps: _Caps, artifact: str | None) -> str:
    where = _where(artifact)
    kept = [s for s in sections if s.rank is None or caps.of(s.rank) != 0]
    left_out = [s for s in sections if s not in kept and s.has_rows]
    lines: list[str] = []
    for block in (block for section in kept for block in section.blocks):
        if isinstance(block, str):
            lines.append(block)
        elif isinstance(block, _Rows):
            lines += block.render(caps, where)
        elif caps != _Caps():
            omitted = f" {_plural(len(left_out), 'section')} left out." if left_out else ""
            lines += [
                f"> **Shortened to fit GitHub's summary limit.**{omitted} "
                f"The full report is in {where}.",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(
    report: AuditReport, limit: int = GITHUB_SUMMARY_LIMIT, artifact: str | None = "audit.html"
) -> str:
    """The report as Markdown of at most `limit` bytes (UTF-8).

    `artifact` names where the full report is kept (the HTML uploaded next to the
    summary); it is what a shortened summary points to.
    """
    if limit < MIN_LIMIT:
        raise ConfigError(f"a Markdown size limit of {limit} bytes is too small (min {MIN_LIMIT})")
    sections = [_Section(rank, make(report)) for rank, make in _SECTIONS]
    full = _assemble(sections, _Caps(), artifact)
    if size(full) <= limit:
        return full
    longest = max(
        (len(b.lines) for s in sections for b in s.blocks if isinstance(b, _Rows)), default=0
    )

    def cut_at(rank: Rank) -> Callable[[int], str]:
        return lambda rows: _assemble(sections, _Caps.cutting(rank, rows), artifact)

    for rank in (Rank.BULK, Rank.CONTEXT, Rank.FINDINGS):  # the least important first
        fitted = largest_fitting(cut_at(rank), longest, limit)
        if fitted is not None:
            return fitted
    # Only the destructive changes and isolation findings are left, and they do not all
    # fit: whole lines from the end, so every row kept is whole and they go in order.
    only_critical = _assemble(sections, _Caps.cutting(Rank.FINDINGS, 0), artifact)
    return _cut_lines(only_critical, limit, artifact)


def _cut_lines(doc: str, limit: int, artifact: str | None) -> str:
    """Last resort: whole lines up to the limit, open <details> closed, then the pointer."""
    tail = f"\n\n_… cut to fit GitHub's summary limit: the full report is in {_where(artifact)}._\n"
    budget = limit - size(tail) - size("\n</details>") * doc.count("<details>")
    kept: list[str] = []
    used = 0
    for line in doc.splitlines():
        cost = size(line) + 1
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    # No heading or table head left without a row under it.
    while kept and (not kept[-1] or kept[-1].startswith(("#", "|---")) or _is_table_head(kept)):
        kept.pop()
    opened = sum(line.startswith("<details>") for line in kept)
    closed = sum(line == "</details>" for line in kept)
    kept += ["</details>"] * (opened - closed)
    return "\n".join(kept) + tail


def _is_table_head(lines: list[str]) -> bool:
    """The last line starts a table: its row of column names, with no row after it."""
    last = lines[-1]
    before = lines[-2] if len(lines) > 1 else ""
    return last.startswith("| ") and not before.startswith("|")
