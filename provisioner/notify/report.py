"""What `azprov notify` posts, made from a verify or audit JSON report alone (no Azure).

The body is the report's own Markdown (verify's or the audit's renderer, fed the report
read back from its JSON) behind a hidden marker, cut to GitHub's 65,536-character limit
with a note and a link to the workflow run. Findings the report marks `"new": true`
(against a baseline) come first and are named at the top; without the key, nothing is
said about what is new.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner import __version__
from provisioner.audit.json_doc import report_from_dict
from provisioner.audit.markdown import GITHUB_SUMMARY_LIMIT, render_markdown
from provisioner.errors import ConfigError
from provisioner.model import Finding
from provisioner.reporters import markdown
from provisioner.reporters.common import resource_label
from provisioner.reporters.json_report import analysis_from_dict, finding_from_dict
from provisioner.reporters.markdown_text import code

# GitHub refuses an issue or comment body longer than this many characters.
GITHUB_BODY_LIMIT = 65_536
NAMED_NEW = 10


def drift_marker(environment: str) -> str:
    return f"<!-- azprov:drift:{environment} -->"


def audit_marker(environment: str) -> str:
    return f"<!-- azprov:audit:{environment} -->"


def _size(doc: str) -> int:
    # UTF-8 bytes are never fewer than characters, however GitHub counts them.
    return len(doc.encode("utf-8"))


@dataclass(frozen=True)
class NotifyReport:
    """A verify or audit JSON report, checked, with its findings new-first."""

    doc: Mapping[str, Any]
    path: Path

    @property
    def environment(self) -> str:
        return str(self.doc["environment"])

    @property
    def is_audit(self) -> bool:
        return "plan" in self.doc

    @property
    def findings(self) -> list[Mapping[str, Any]]:
        return list(self.doc["findings"])

    @property
    def complete(self) -> bool:
        """False when anything went unread (the report then cannot say "clean")."""
        return not self.doc.get("unread") and self.doc.get("exit_code") != 1

    @property
    def new_known(self) -> bool:
        return any(isinstance(f.get("new"), bool) for f in self.findings)

    @property
    def new(self) -> list[Finding]:
        return [finding_from_dict(f) for f in self.findings if f.get("new") is True]


def load_report(path: Path, environment: str) -> NotifyReport:
    """Read REPORT.json for `environment`; anything else is one error line."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"report not found: {path} (write it with `azprov verify --format json -o {path}`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read report {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ConfigError(f"{path} is not a verify or audit JSON report (no findings list)")
    # New findings first, each group in the report's own order (severity first).
    doc["findings"] = sorted(
        doc["findings"], key=lambda f: not (isinstance(f, dict) and f.get("new") is True)
    )
    report = NotifyReport(doc, path)
    if doc.get("environment") != environment:
        raise ConfigError(
            f"{path} is a report for environment {doc.get('environment')!r}, not {environment!r}"
        )
    try:
        _report_markdown(report, None, "")
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        kind = "an audit" if report.is_audit else "a verify"
        raise ConfigError(
            f"{path} is not {kind} JSON report ({type(exc).__name__}: {exc})"
        ) from None
    return report


def _report_markdown(report: NotifyReport, limit: int | None, where: str) -> str:
    if report.is_audit:
        # Unlimited, an audit is still kept under GitHub's job-summary limit, which is far
        # above a body's; without an artifact its cut notes point at "the HTML or JSON report".
        cap = GITHUB_SUMMARY_LIMIT if limit is None else limit
        return render_markdown(report_from_dict(report.doc), limit=cap, artifact=None)
    return markdown.render(analysis_from_dict(report.doc), limit=limit, where=where)


def _names(found: Sequence[Finding]) -> str:
    shown = ", ".join(code(resource_label(f)) for f in found[:NAMED_NEW])
    left = len(found) - NAMED_NEW
    return shown + (f" and {left} more" if left > 0 else "")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _run(run_url: str | None, prefix: str = " (", suffix: str = ")") -> str:
    return f"{prefix}[workflow run]({run_url}){suffix}" if run_url else ""


def body(report: NotifyReport, marker: str, run_url: str | None) -> str:
    """The issue or comment body: marker, what is new, the report, a link to the run."""
    head = [marker]
    if report.new_known:
        new = report.new
        head.append(
            f"**{_plural(len(new), 'new finding')} since the baseline**, listed first: "
            f"{_names(new)}"
            if new
            else "**No new findings since the baseline.**"
        )
    top = "\n".join(head) + "\n\n"
    where = f"the [workflow run]({run_url})" if run_url else "the JSON report"
    foot = f"\n---\n<sub>Posted by azprov {__version__}{_run(run_url, ' from this ', '')}.</sub>\n"
    full = _report_markdown(report, None, where)
    if _size(top + full + foot) <= GITHUB_BODY_LIMIT:
        return top + full + foot
    note = (
        f"> **Cut to fit GitHub's {GITHUB_BODY_LIMIT:,}-character limit.** "
        f"The full report is in {where}.\n\n"
    )
    budget = GITHUB_BODY_LIMIT - _size(top + note + foot)
    return top + note + _report_markdown(report, budget, where) + foot


def title(report: NotifyReport) -> str:
    tail = "" if report.complete else " (incomplete read)"
    return f"azprov: {_plural(len(report.findings), 'finding')} in {report.environment}{tail}"


def reopen_comment(report: NotifyReport, run_url: str | None) -> str:
    return (
        f"azprov finds {_plural(len(report.findings), 'finding')} in "
        f"{code(report.environment)} again{_run(run_url)}, so this issue is open again. "
        "The description shows the current report."
    )


def close_comment(report: NotifyReport, run_url: str | None) -> str:
    return (
        f"azprov finds nothing in {code(report.environment)} any more{_run(run_url)}: Azure "
        "matches the Terraform state and no isolation or policy finding remains. Closing."
    )


def new_findings_comment(report: NotifyReport, run_url: str | None) -> str | None:
    """A comment that tells watchers about new findings (editing the body notifies nobody)."""
    new = report.new
    if not new:
        return None
    return (
        f"{_plural(len(new), 'new finding')} in {code(report.environment)} since the "
        f"baseline{_run(run_url)}: {_names(new)}. The description shows the current report."
    )
