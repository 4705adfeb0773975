"""pr.yml: plan and audit test and prod on every pull request, one comment per environment;
and ci.yml's SARIF for code scanning.

The structure is checked (triggers, job graph, permissions, where the plan may go), and the
steps that decide something run for real with a stand-in `azprov` (and `checkov`): whether a
pull request has Azure access (a fork has none: the job summary says why nothing ran), the
audit falling back to `--plan-only` when live Azure cannot be read, and the comment step.
"""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pytest

from .test_workflows import (
    Workflow,
    calls,
    fake_azprov,
    github_files,
    load,
    outputs,
    run_step,
    runs,
    step_named,
    steps,
    summary,
    uses,
)

REPOSITORY = "contoso/stockapp"


@pytest.fixture(scope="module")
def pr() -> Workflow:
    return load("pr.yml")


@pytest.fixture(scope="module")
def ci() -> Workflow:
    return load("ci.yml")


# --- trigger, job graph, permissions -----------------------------------------------------


def test_pr_runs_on_pull_requests_with_the_forks_restrictions(pr: Workflow) -> None:
    # `pull_request`, never `pull_request_target`: a fork's code must never run with this
    # repository's secrets or a writing token.
    assert list(pr["on"]) == ["pull_request"]
    assert pr["permissions"] == {"contents": "read"}
    assert pr["concurrency"]["group"] == "pr-${{ github.event.pull_request.number }}"


def test_pr_job_graph_checks_access_then_plans_then_comments(pr: Workflow) -> None:
    jobs = pr["jobs"]
    assert list(jobs) == ["access", "plan", "comment"]
    assert jobs["plan"]["needs"] == "access"
    assert jobs["plan"]["if"] == "needs.access.outputs.azure == 'true'"
    assert set(jobs["comment"]["needs"]) == {"access", "plan"}
    # The comment also reports a plan job that failed for one environment.
    assert "!cancelled()" in jobs["comment"]["if"]
    assert "needs.access.outputs.azure == 'true'" in jobs["comment"]["if"]
    for job_id in ("plan", "comment"):
        assert jobs[job_id]["strategy"]["matrix"]["env"] == ["test", "prod"], job_id
        assert jobs[job_id]["strategy"]["fail-fast"] is False, job_id
    assert jobs["access"]["outputs"]["azure"] == "${{ steps.check.outputs.azure }}"


def test_only_the_plan_holds_an_azure_token_and_only_the_comment_writes(pr: Workflow) -> None:
    jobs = pr["jobs"]
    assert "permissions" not in jobs["access"]  # the workflow's contents: read
    assert jobs["plan"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["comment"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }
    assert not uses(jobs["comment"], "azure/login")


# --- the fork path, executed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_id", "head", "azure", "why"),
    [
        ("00000000-0000-0000-0000-000000000001", REPOSITORY, "true", None),
        ("00000000-0000-0000-0000-000000000001", "someone/stockapp", "false", "from a fork"),
        ("", "someone/stockapp", "false", "from a fork"),
        ("", REPOSITORY, "false", "AZURE_CLIENT_ID is not set"),
    ],
)
def test_without_azure_access_the_summary_says_why_nothing_ran(
    pr: Workflow, tmp_path: Path, client_id: str, head: str, azure: str, why: str | None
) -> None:
    check = step_named(pr["jobs"]["access"], "azure credentials")
    # The fork's name reaches the script only as a variable, never spliced into it.
    assert "${{" not in check["run"]
    assert check["env"]["HEAD_REPOSITORY"] == "${{ github.event.pull_request.head.repo.full_name }}"
    env = {"AZURE_CLIENT_ID": client_id, "HEAD_REPOSITORY": head, "GITHUB_REPOSITORY": REPOSITORY}
    assert run_step(check, tmp_path, {**env, **github_files(tmp_path)}) == 0
    assert outputs(tmp_path / "github_output") == {"azure": azure}
    if why is None:
        assert summary(tmp_path) == ""
    else:
        text = summary(tmp_path)
        assert "Nothing was planned or audited for this pull request because" in text
        assert why in text
        assert "azprov audit --env prod --plan tfplan.json --plan-only" in text


# --- plan and audit ----------------------------------------------------------------------


def test_both_environments_are_planned_without_taking_the_state_lock(pr: Workflow) -> None:
    job = pr["jobs"]["plan"]
    script = runs(job)
    assert '-backend-config="key=$ENV_NAME.tfstate"' in script
    assert re.search(
        r'terraform plan -input=false -lock=false .*-var-file="\$ENV_NAME\.tfvars"', script
    )
    assert "-out=tfplan" in script and "terraform show -json tfplan > tfplan.json" in script
    assert "terraform apply" not in script
    assert job["env"]["IMAGE_TAG"] == "${{ github.event.pull_request.head.sha }}"
    # One audit command, every format from one read (run again with --plan-only only
    # when Azure cannot be read: see below).
    audit = " ".join(step_named(job, "audit the plan")["run"].replace("\\\n", " ").split())
    assert audit.count("azprov audit --env") == 1
    assert (
        'azprov audit --env "$ENV_NAME" --plan terraform/tfplan.json "$@" '
        '-f markdown,html,json,sarif --output-dir audit --artifact "pr-audit-$ENV_NAME"'
    ) in audit


def test_the_plan_never_leaves_its_job(pr: Workflow) -> None:
    job = pr["jobs"]["plan"]
    remove = step_named(job, "remove the plan")
    assert remove["if"] == "always()" and remove["run"].strip() == "rm -f tfplan tfplan.json"
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["with"]["path"] == "audit/" and upload["if"] == "always()"
    assert upload["with"]["name"] == "pr-audit-${{ matrix.env }}"
    assert steps(job).index(remove) < steps(job).index(upload)


@pytest.mark.parametrize(
    ("exits", "step_code", "plan_only", "recorded"),
    [
        ([0], 0, False, "0"),
        ([2], 0, False, "2"),  # destructive changes or findings: for the reviewers
        ([1, 2], 0, True, "2"),  # live Azure unreadable: the plan alone
        ([1, 0], 0, True, "0"),
        ([1, 1], 1, True, "1"),  # not even the plan could be audited
    ],
)
def test_the_audit_falls_back_to_the_plan_alone_when_azure_cannot_be_read(
    pr: Workflow,
    tmp_path: Path,
    exits: list[int],
    step_code: int,
    plan_only: bool,
    recorded: str,
) -> None:
    audit = step_named(pr["jobs"]["plan"], "audit the plan")
    log = fake_azprov(tmp_path / "bin", 0, {"audit": exits})
    env = {"ENV_NAME": "test", **github_files(tmp_path)}
    assert run_step(audit, tmp_path, env) == step_code
    made = calls(log)
    assert len(made) == (2 if plan_only else 1)
    assert all(a[:5] == ["audit", "--env", "test", "--plan", "terraform/tfplan.json"] for a in made)
    assert "--plan-only" not in made[0]
    assert ("--plan-only" in made[-1]) == plan_only
    assert made[0][made[0].index("-f") + 1] == "markdown,html,json,sarif"
    assert outputs(tmp_path / "github_output")["exit-code"] == recorded
    assert summary(tmp_path).startswith("report audit --env test")
    assert (tmp_path / "audit" / "audit-test.json").exists()


# --- the comment and code scanning -------------------------------------------------------


def test_the_comment_is_posted_from_the_report_and_missing_reports_are_said(
    pr: Workflow, tmp_path: Path
) -> None:
    job = pr["jobs"]["comment"]
    (download,) = uses(job, "actions/download-artifact")
    assert download["with"] == {"name": "pr-audit-${{ matrix.env }}", "path": "audit"}
    post = step_named(job, "post the audit")
    assert post["env"] == {
        "GITHUB_TOKEN": "${{ github.token }}",
        "PR_NUMBER": "${{ github.event.pull_request.number }}",
    }
    log = fake_azprov(tmp_path / "bin", 0)
    env = {"ENV_NAME": "prod", "PR_NUMBER": "42", **github_files(tmp_path)}
    assert run_step(post, tmp_path, env) == 1
    assert "No audit report for prod" in summary(tmp_path) and not calls(log)
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "audit-prod.json").write_text("{}", encoding="utf-8")
    assert run_step(post, tmp_path, env) == 0
    assert calls(log) == [
        ["notify", "github", "--env", "prod", "--report", "audit/audit-prod.json", "--pr", "42"]
    ]


def test_audit_findings_go_to_code_scanning(pr: Workflow) -> None:
    (upload,) = uses(pr["jobs"]["comment"], "github/codeql-action/upload-sarif")
    assert upload["with"] == {
        "sarif_file": "audit/audit-${{ matrix.env }}.sarif",
        "category": "azprov-audit-${{ matrix.env }}",
    }
    assert upload["if"].startswith("always() && hashFiles(")


# --- ci.yml: checkov's findings as SARIF ---------------------------------------------------


def fake_checkov(home: Path, exit_code: int) -> None:
    """A `checkov` where tasks.py installs it, writing a SARIF file where it is told."""
    binary = home / ".cache" / "azprov" / "checkov-3.3.30" / "bin" / "checkov"
    binary.parent.mkdir(parents=True)
    binary.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "args = sys.argv[1:]\n"
        "out = args[args.index('--output-file-path') + 1]\n"
        "os.makedirs(out, exist_ok=True)\n"
        "open(os.path.join(out, 'results_sarif.sarif'), 'w').write('{}')\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize(("checkov_exit", "step_fails"), [(0, False), (1, False), (2, True)])
def test_ci_scans_terraform_with_checkov_into_sarif(
    ci: Workflow, tmp_path: Path, checkov_exit: int, step_fails: bool
) -> None:
    job = ci["jobs"]["test"]
    scan = step_named(job, "checkov")
    assert scan["if"] == "always()"
    fake_checkov(tmp_path, checkov_exit)
    assert (run_step(scan, tmp_path, {"HOME": str(tmp_path)}) != 0) == step_fails
    assert (tmp_path / "sarif" / "results_sarif.sarif").exists()


def test_ci_without_checkov_uploads_nothing_and_passes(ci: Workflow, tmp_path: Path) -> None:
    scan = step_named(ci["jobs"]["test"], "checkov")
    assert run_step(scan, tmp_path, {"HOME": str(tmp_path)}) == 0
    assert not (tmp_path / "sarif").exists()


def test_ci_uploads_the_sarif_from_this_repository_only(ci: Workflow) -> None:
    job = ci["jobs"]["test"]
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    (upload,) = uses(job, "github/codeql-action/upload-sarif")
    assert upload["with"] == {
        "sarif_file": "sarif/results_sarif.sarif",
        "category": "checkov-terraform",
    }
    condition = " ".join(upload["if"].split())
    assert "hashFiles('sarif/results_sarif.sarif') != ''" in condition
    # A fork's token cannot write security events: its pull requests skip the upload.
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
