"""One drift issue per environment, and one sticky comment per pull request.

The drift issue is found by its hidden marker in a full listing of the repository's
issues (never the search API, whose index lags writes and would let two runs create two
issues). With findings: none yet → create it (labels `azprov` and `drift:ENV`, created if
missing); one open → edit it in place (and comment when the report marks new findings,
since an edit notifies nobody); only closed ones → reopen the latest with a comment. A
clean, complete report closes every open one with a comment; an incomplete report never
closes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from provisioner.notify.github import Comment, Issue
from provisioner.notify.report import (
    NotifyReport,
    audit_marker,
    body,
    close_comment,
    drift_marker,
    new_findings_comment,
    reopen_comment,
    title,
)

LABEL = ("azprov", "5319e7", "Opened and closed by azprov")
DRIFT_LABEL_COLOR = "d93f0b"


class Tracker(Protocol):
    """The GitHub calls this module needs (`provisioner.notify.github.GitHub`)."""

    def issues(self) -> Iterator[Issue]: ...
    def create_issue(self, title: str, body: str, labels: list[str]) -> Issue: ...
    def update_issue(self, number: int, **fields: str) -> Issue: ...
    def comments(self, number: int) -> Iterator[Comment]: ...
    def create_comment(self, number: int, body: str) -> Comment: ...
    def update_comment(self, comment_id: int, body: str) -> Comment: ...
    def ensure_label(self, name: str, color: str, description: str) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """What was done, as the one line `azprov notify` prints."""

    action: str
    subject: str
    url: str = ""

    def line(self) -> str:
        return f"{self.action} {self.subject}" + (f": {self.url}" if self.url else "")


def sync_drift_issue(github: Tracker, report: NotifyReport, run_url: str | None) -> Outcome:
    """Create, edit, reopen or close the environment's drift issue to match the report."""
    env = report.environment
    marker = drift_marker(env)
    marked = [i for i in github.issues() if marker in i.body]
    still_open = [i for i in marked if i.state == "open"]
    if report.findings:
        text, heading = body(report, marker, run_url), title(report)
        if still_open:
            issue = github.update_issue(still_open[0].number, title=heading, body=text)
            if comment := new_findings_comment(report, run_url):
                github.create_comment(issue.number, comment)
            return Outcome("updated", f"drift issue #{issue.number}", issue.url)
        if marked:
            latest = max(marked, key=lambda i: i.number)
            issue = github.update_issue(
                latest.number, state="open", state_reason="reopened", title=heading, body=text
            )
            github.create_comment(issue.number, reopen_comment(report, run_url))
            return Outcome("reopened", f"drift issue #{issue.number}", issue.url)
        labels = [LABEL[0], f"drift:{env}"]
        github.ensure_label(*LABEL)
        github.ensure_label(labels[1], DRIFT_LABEL_COLOR, f"Drift and findings in {env}")
        issue = github.create_issue(heading, text, labels)
        return Outcome("created", f"drift issue #{issue.number}", issue.url)
    if not report.complete:
        left = ", ".join(f"#{i.number}" for i in still_open) or "none open"
        return Outcome(
            "left alone",
            f"the drift issue ({left}): the report is incomplete, so it cannot say {env} is clean",
        )
    if not still_open:
        return Outcome("nothing to do:", f"{env} is clean and no drift issue is open")
    for issue in still_open:
        github.create_comment(issue.number, close_comment(report, run_url))
        github.update_issue(issue.number, state="closed", state_reason="completed")
    numbers = ", ".join(f"#{i.number}" for i in still_open)
    return Outcome("closed", f"drift issue {numbers}: {env} is clean", still_open[0].url)


def sync_pr_comment(
    github: Tracker, report: NotifyReport, pull_request: int, run_url: str | None
) -> Outcome:
    """The pull request's one azprov comment for the environment: created once, then edited."""
    marker = audit_marker(report.environment)
    text = body(report, marker, run_url)
    subject = f"comment on pull request #{pull_request}"
    for comment in github.comments(pull_request):
        if marker in comment.body:
            edited = github.update_comment(comment.id, text)
            return Outcome("updated", subject, edited.url)
    created = github.create_comment(pull_request, text)
    return Outcome("created", subject, created.url)
