"""The Markdown summary: isolation findings beside the destructive changes, and `--max-bytes`
cutting the least important lists first, so destructive rows and isolation findings are
the last to go.

Every limit from GitHub's floor (1 KiB) up to the whole report is tried, 100 bytes at a
time, on the audit of the bundled deploy plan (4 destructive changes, 1 isolation finding,
drift, policy, updates, creates, images, outputs, notes).
"""

from __future__ import annotations

import pytest

from provisioner.audit import AuditReport, render_markdown
from provisioner.audit.markdown import MIN_LIMIT
from provisioner.reporters.markdown_text import code, size
from tests.test_audit_report import report_for

# Section headings by how much they matter, as the summary cuts them (last to first).
CRITICAL = (":warning: Destructive changes", "Isolation")
FINDINGS = ("Live drift this apply overwrites", "Live drift that stays", "Policy")
CONTEXT = ("What test runs", "Notes")
BULK = ("Updates in place", "Creates", "Imports, moves", "Images deployed", "Changes Terraform",
        "Outputs changing")  # fmt: skip


@pytest.fixture(scope="module")
def report() -> AuditReport:
    return report_for()


def headings(md: str) -> list[str]:
    return [line.removeprefix("### ") for line in md.splitlines() if line.startswith("### ")]


def present(md: str, group: tuple[str, ...]) -> bool:
    return any(h.startswith(group) for h in headings(md))


def rows_of(report: AuditReport) -> tuple[list[str], list[str]]:
    """The Markdown cells naming each destructive change and each isolation finding."""
    destructive = [code(c.address) for c in report.destructive]
    isolation = [code(f.attribute or "") for f in report.findings if f.kind.value == "isolation"]
    return destructive, isolation


def test_isolation_findings_sit_with_the_destructive_changes(report: AuditReport) -> None:
    order = headings(render_markdown(report))
    titles = (":warning: Destructive", "Isolation", "Live drift this apply", "Policy", "Updates")
    at = [next(i for i, h in enumerate(order) if h.startswith(title)) for title in titles]
    assert at == sorted(at) and at[1] == at[0] + 1


def test_every_limit_cuts_the_least_important_lists_first(report: AuditReport) -> None:
    destructive, isolation = rows_of(report)
    assert len(destructive) == 4 and len(isolation) == 1
    full = render_markdown(report)
    whole_critical_seen = False
    for limit in range(MIN_LIMIT, size(full) + 100, 100):
        md = render_markdown(report, limit=limit)
        assert size(md) <= limit
        assert md.count("<details>") == md.count("</details>")
        assert "**REVIEW: 4 destructive changes" in md, "the verdict survives every cut"
        kept_rows = [row for row in destructive + isolation if row in md]
        if present(md, BULK):
            assert present(md, CONTEXT) or "Notes" not in headings(full), limit
        if present(md, CONTEXT) or present(md, BULK):
            assert present(md, FINDINGS), f"{limit}: a finding was cut before the bulk"
        if present(md, FINDINGS):
            assert kept_rows == destructive + isolation, f"{limit}: critical rows cut first"
        if kept_rows != destructive + isolation:
            # Only when nothing else is left: whole rows, in order, from the top.
            assert not present(md, FINDINGS + CONTEXT + BULK), limit
            assert kept_rows == (destructive + isolation)[: len(kept_rows)], limit
        if kept_rows == destructive + isolation and not present(md, FINDINGS + CONTEXT + BULK):
            whole_critical_seen = True
            assert "sections left out" in md
    assert whole_critical_seen, "a limit keeps exactly the destructive changes and isolation"


def test_the_tightest_limit_keeps_the_first_destructive_rows(report: AuditReport) -> None:
    md = render_markdown(report, limit=MIN_LIMIT)
    destructive, _ = rows_of(report)
    assert size(md) <= MIN_LIMIT
    assert destructive[0] in md
    assert md.rstrip().endswith("the full report is in the `audit.html` artifact._")
    assert "| action | resource |" in md  # a row is never left without its table head
