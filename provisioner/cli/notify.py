"""`azprov notify github`: put a report where the team works, from its JSON alone."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli.common import EnvOption, reports_errors, working
from provisioner.errors import ConfigError
from provisioner.notify import (
    DEFAULT_API_URL,
    GitHub,
    load_report,
    sync_drift_issue,
    sync_pr_comment,
)

app = typer.Typer(
    help="Post a verify or audit report to where the team works.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)*$")

ReportOption = Annotated[
    Path,
    typer.Option(
        "--report",
        help="The JSON report: `azprov verify --format json -o REPORT` (or `azprov audit`).",
        dir_okay=False,
    ),
]
PullRequestOption = Annotated[
    int | None,
    typer.Option(
        "--pr",
        help="Post one comment on this pull request (edited in place on later runs) "
        "instead of the environment's drift issue.",
        min=1,
    ),
]
RepositoryOption = Annotated[
    str,
    typer.Option(
        "--repository",
        envvar="GITHUB_REPOSITORY",
        help="OWNER/NAME of the repository (GitHub Actions sets it).",
        show_default=False,
    ),
]
ApiUrlOption = Annotated[
    str,
    typer.Option("--api-url", envvar="GITHUB_API_URL", help="GitHub's REST API."),
]


def run_url(repository: str) -> str | None:
    """The workflow run that posts, from the variables GitHub Actions sets."""
    run_id = os.environ.get("GITHUB_RUN_ID", "")
    if not (repository and run_id.isdigit()):
        return None
    server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"


@app.command("github")
@reports_errors
def github(
    env: EnvOption,
    report: ReportOption,
    pr: PullRequestOption = None,
    repository: RepositoryOption = "",
    api_url: ApiUrlOption = DEFAULT_API_URL,
) -> None:
    """Keep one drift issue per environment, or one comment on a pull request, up to date.

    Without --pr: the environment's issue (hidden marker `<!-- azprov:drift:ENV -->`,
    labels `azprov` and `drift:ENV`) is created when the report has findings, edited in
    place while they last, reopened with a comment when they come back, and closed with a
    comment by a clean report. A report with anything unread never closes it.

    With --pr N: one comment on pull request N (marker `<!-- azprov:audit:ENV -->`),
    created once and edited in place after.

    Needs GITHUB_TOKEN (sent as a bearer token, never printed) with `issues: write`
    (`pull-requests: write` for --pr); GITHUB_REPOSITORY; GITHUB_SERVER_URL and
    GITHUB_RUN_ID link the run. Exit codes: 0 posted, 1 error.

    Examples:

    \b
      azprov notify github --env prod --report drift-prod.json
      azprov notify github --env prod --report audit-prod.json --pr 42
    """
    if not _ENVIRONMENT.match(env):
        raise ConfigError(f"--env {env!r}: an environment name is letters, digits, _ . and -")
    loaded = load_report(report, env)
    client = GitHub(os.environ.get("GITHUB_TOKEN", ""), repository, api_url or DEFAULT_API_URL)
    link = run_url(repository)
    with working(f"posting to GitHub ({repository})"):
        if pr is None:
            outcome = sync_drift_issue(client, loaded, link)
        else:
            outcome = sync_pr_comment(client, loaded, pr, link)
    typer.echo(f"azprov notify: {outcome.line()}")
