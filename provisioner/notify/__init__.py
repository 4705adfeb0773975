"""`azprov notify`: drift issues and pull-request comments on GitHub, from a JSON report."""

from provisioner.notify.github import DEFAULT_API_URL, GitHub
from provisioner.notify.report import GITHUB_BODY_LIMIT, NotifyReport, load_report
from provisioner.notify.sync import Outcome, sync_drift_issue, sync_pr_comment

__all__ = [
    "DEFAULT_API_URL",
    "GITHUB_BODY_LIMIT",
    "GitHub",
    "NotifyReport",
    "Outcome",
    "load_report",
    "sync_drift_issue",
    "sync_pr_comment",
]
