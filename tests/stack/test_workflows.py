"""The GitHub workflows: actionlint, the deploy job graph, drift detection and CI.

Besides the structure, the shell of the steps that interpret azprov's exit codes is run
for real with a stand-in `azprov`, so exit 0/1/2 are shown to lead where they should.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ._support import ROOT, WORKFLOWS, TerraformConfig, require_tool, required_version

Workflow = dict[str, Any]
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})$")


def load(name: str) -> Workflow:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="module")
def deploy() -> Workflow:
    return load("deploy.yml")


@pytest.fixture(scope="module")
def drift() -> Workflow:
    return load("drift.yml")


@pytest.fixture(scope="module")
def ci() -> Workflow:
    return load("ci.yml")


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def step_named(job: dict[str, Any], fragment: str) -> dict[str, Any]:
    """The one `run:` step whose name contains `fragment`."""
    matches = [
        s for s in steps(job) if "run" in s and fragment.lower() in str(s.get("name", "")).lower()
    ]
    assert len(matches) == 1, f"expected one step named like {fragment!r}, got {len(matches)}"
    return matches[0]


def runs(job: dict[str, Any]) -> str:
    """All `run:` scripts of a job, with line continuations joined."""
    text = "\n".join(str(s["run"]) for s in steps(job) if "run" in s)
    return re.sub(r"\\\n\s*", " ", text)


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).split("@")[0] == action]


def index_of(job: dict[str, Any], predicate: Any) -> int:
    for i, step in enumerate(steps(job)):
        if predicate(step):
            return i
    raise AssertionError("step not found")


def all_workflows() -> list[tuple[str, Workflow]]:
    return [(p.name, load(p.name)) for p in sorted(WORKFLOWS.glob("*.yml"))]


# --- actionlint --------------------------------------------------------------------------


def test_actionlint_reports_nothing() -> None:
    actionlint = require_tool("actionlint")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.y*ml"))
    assert len(files) >= 3
    result = subprocess.run(
        [actionlint, "-no-color", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# --- rules for every workflow -------------------------------------------------------------


def test_top_level_permissions_are_read_only_everywhere() -> None:
    for name, workflow in all_workflows():
        assert workflow["permissions"] == {"contents": "read"}, name


def test_id_token_is_granted_exactly_to_jobs_that_log_in_to_azure() -> None:
    for name, workflow in all_workflows():
        for job_id, job in workflow["jobs"].items():
            logs_in = bool(uses(job, "azure/login"))
            granted = job.get("permissions", {}).get("id-token") == "write"
            assert logs_in == granted, f"{name}:{job_id} login={logs_in} id-token={granted}"
            assert set(job.get("permissions", {}).values()) <= {"read", "write", "none"}
            if logs_in:
                assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_actions_are_pinned_to_a_major_version_or_a_commit() -> None:
    for name, workflow in all_workflows():
        for job_id, job in workflow["jobs"].items():
            for step in steps(job):
                if "uses" in step:
                    assert PINNED_ACTION.match(step["uses"]), f"{name}:{job_id} {step['uses']}"


def test_azure_login_uses_oidc_ids_from_variables_not_a_stored_secret() -> None:
    for name, workflow in all_workflows():
        for job in workflow["jobs"].values():
            for step in uses(job, "azure/login"):
                assert set(step["with"]) == {"client-id", "tenant-id", "subscription-id"}, name
                for value in step["with"].values():
                    assert re.fullmatch(r"\$\{\{ (vars|secrets)\.AZURE_[A-Z_]+ \}\}", value)


def test_secrets_reach_steps_only_through_env() -> None:
    for name, workflow in all_workflows():
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        for job_id, job in workflow["jobs"].items():
            for step in steps(job):
                assert "secrets." not in str(step.get("run", "")), f"{name}:{job_id}"
        for match in re.finditer(r"^\s*(\w+):\s*\$\{\{\s*secrets\.(\w+)\s*\}\}", text, re.M):
            assert match[1].startswith(("TF_VAR_", "TFPLAN_")), match[0]


def test_terraform_runs_in_automation_mode() -> None:
    for name in ("deploy.yml", "drift.yml", "rollback.yml"):
        assert load(name)["env"]["TF_IN_AUTOMATION"] == "true", name


def test_every_workflow_runs_one_exact_terraform_release_that_main_tf_accepts(
    tf: TerraformConfig,
) -> None:
    versions = {
        name: workflow["env"]["TERRAFORM_VERSION"]
        for name, workflow in all_workflows()
        if "TERRAFORM_VERSION" in workflow.get("env", {})
    }
    assert {"ci.yml", "deploy.yml", "drift.yml", "rollback.yml"} <= set(versions)
    # One release everywhere: a plan is applied by the Terraform that made it, and CI
    # validates with the same one.
    (version,) = set(versions.values())
    assert re.fullmatch(r"1\.\d+\.\d+", version), version
    assert version in required_version(tf), f"{version} outside {required_version(tf)}"


# --- deploy.yml --------------------------------------------------------------------------


def test_deploy_runs_on_push_to_main_and_by_hand(deploy: Workflow) -> None:
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in deploy["on"]
    assert "pull_request" not in deploy["on"]


def test_deploy_job_graph(deploy: Workflow) -> None:
    jobs = deploy["jobs"]
    assert set(jobs) == {"build-and-push", "deploy-test", "plan-prod", "deploy-prod"}
    assert "needs" not in jobs["build-and-push"]
    assert jobs["deploy-test"]["needs"] == "build-and-push"
    assert jobs["plan-prod"]["needs"] == "deploy-test"
    assert jobs["deploy-prod"]["needs"] == "plan-prod"


def environment_name(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def test_deploy_environments_put_the_approval_on_prod_only(deploy: Workflow) -> None:
    jobs = deploy["jobs"]
    assert environment_name(jobs["deploy-test"]) == "Test"
    assert environment_name(jobs["deploy-prod"]) == "Prod"
    # plan-prod must not wait for the reviewers: they need its report to decide.
    assert environment_name(jobs["plan-prod"]) not in ("Prod", "Test")
    assert environment_name(jobs["build-and-push"]) is None


def test_one_deployment_per_environment_at_a_time(deploy: Workflow) -> None:
    jobs = deploy["jobs"]
    groups = {}
    for job_id in ("deploy-test", "plan-prod", "deploy-prod"):
        concurrency = jobs[job_id]["concurrency"]
        assert concurrency["cancel-in-progress"] is False, job_id
        groups[job_id] = concurrency["group"]
    assert groups["plan-prod"] == groups["deploy-prod"]
    assert groups["deploy-test"] != groups["deploy-prod"]
    assert "concurrency" not in deploy, "a workflow-level group would serialise test and prod"


def test_build_and_push_tags_both_images_with_the_commit_sha(deploy: Workflow) -> None:
    assert deploy["env"]["IMAGE_TAG"] == "${{ github.sha }}"
    script = runs(deploy["jobs"]["build-and-push"])
    assert "az acr login" in script
    for component in ("backend", "frontend"):
        dockerfile = f"--file dockerfiles/{component}/Dockerfile.prod"
        assert dockerfile in script
        image = f"${component.upper()}_IMAGE:$IMAGE_TAG"
        assert script.count("docker push") >= 4
        assert f'--tag "$TEST_REGISTRY/{image}"' in script
        assert f'docker push "$PROD_REGISTRY/{image}"' in script
        assert deploy["env"][f"{component.upper()}_IMAGE"] == component


def test_deploy_test_applies_test_tfvars_with_the_new_image_tags(deploy: Workflow) -> None:
    job = deploy["jobs"]["deploy-test"]
    script = runs(job)
    assert "-backend-config=key=test.tfstate" in script
    assert "prod.tfstate" not in script and "prod.tfvars" not in script
    apply = step_named(job, "terraform apply")
    command = re.sub(r"\\\n\s*", " ", apply["run"])
    assert "-auto-approve" in command and "-var-file=test.tfvars" in command
    assert '-var "backend_image_tag=$IMAGE_TAG"' in command
    assert '-var "frontend_image_tag=$IMAGE_TAG"' in command
    assert job["env"]["TF_VAR_db_password"] == "${{ secrets.DB_PASSWORD }}"
    assert job["env"]["TF_VAR_gemini_api_key"] == "${{ secrets.GEMINI_API_KEY }}"
    verify = step_named(job, "verify")
    assert verify["run"].strip() == (
        'azprov verify --env test --format markdown >> "$GITHUB_STEP_SUMMARY"'
    )
    assert index_of(job, lambda s: s is apply) < index_of(job, lambda s: s is verify)
    assert re.search(r"pip install (--\S+ )*\.$", script, re.M), "azprov is not installed"


def test_plan_prod_audits_the_saved_plan_into_the_job_summary(deploy: Workflow) -> None:
    job = deploy["jobs"]["plan-prod"]
    script = runs(job)
    assert "-backend-config=key=prod.tfstate" in script
    assert re.search(r"terraform plan .*-var-file=prod\.tfvars.*-out=tfplan", script)
    assert "terraform show -json tfplan > tfplan.json" in script
    assert "terraform apply" not in script
    audit_md = step_named(job, "job summary")["run"]
    assert re.search(
        r"azprov audit --env prod --plan \S*tfplan\.json --format markdown"
        r' >> "\$GITHUB_STEP_SUMMARY"',
        audit_md,
    )
    audit_html = step_named(job, "html")["run"]
    assert re.search(
        r"azprov audit --env prod --plan \S*tfplan.json --format html -o audit.html", audit_html
    )
    plan_at = index_of(job, lambda s: "terraform plan" in str(s.get("run", "")))
    audit_at = index_of(job, lambda s: "--format markdown" in str(s.get("run", "")))
    assert plan_at < audit_at


def test_plan_prod_uploads_the_plan_encrypted_and_the_html_report(deploy: Workflow) -> None:
    job = deploy["jobs"]["plan-prod"]
    uploads = {s["with"]["name"]: s["with"] for s in uses(job, "actions/upload-artifact")}
    paths = {name: spec["path"] for name, spec in uploads.items()}
    assert "audit.html" in paths.values()
    (plan_artifact,) = [n for n, p in paths.items() if "tfplan" in p]
    # The saved plan holds the database password: never upload it (or its JSON) in clear.
    assert paths[plan_artifact].endswith(".enc")
    assert not [p for p in paths.values() if p.endswith(("tfplan", "tfplan.json"))]
    encrypt = step_named(job, "encrypt")["run"]
    assert (
        "openssl enc -aes-256-cbc -pbkdf2" in encrypt and "-pass env:TFPLAN_PASSPHRASE" in encrypt
    )
    assert ".terraform.lock.hcl" in encrypt


def test_deploy_prod_applies_exactly_the_reviewed_plan(deploy: Workflow) -> None:
    jobs = deploy["jobs"]
    job = jobs["deploy-prod"]
    (download,) = uses(job, "actions/download-artifact")
    plan_uploads = [
        s["with"]["name"]
        for s in uses(jobs["plan-prod"], "actions/upload-artifact")
        if "tfplan" in s["with"]["path"]
    ]
    assert download["with"]["name"] in plan_uploads
    script = runs(job)
    assert "-backend-config=key=prod.tfstate" in script
    assert "terraform plan" not in script
    apply = step_named(job, "terraform apply")["run"]
    command = apply.splitlines()[0]
    assert re.fullmatch(r"terraform apply [-=\w ]*tfplan", command.strip()), command
    assert "-var" not in command, "a saved plan is applied without variables"
    verify = step_named(job, "verify")["run"]
    assert "azprov verify --env prod" in verify
    # No secret values are needed to apply a saved plan.
    assert not [k for k in job["env"] if k.startswith("TF_VAR_")]


def test_audit_report_exists_before_the_approval(deploy: Workflow) -> None:
    jobs = deploy["jobs"]
    # The job that writes the report is an ancestor of the approval job and needs no
    # approval itself.
    chain, job_id = [], "deploy-prod"
    while "needs" in jobs[job_id]:
        job_id = jobs[job_id]["needs"]
        chain.append(job_id)
    auditing = [j for j in chain if "azprov audit" in runs(jobs[j])]
    assert auditing == ["plan-prod"]
    assert environment_name(jobs["plan-prod"]) != environment_name(jobs["deploy-prod"])


# --- drift.yml ---------------------------------------------------------------------------


def test_drift_runs_on_a_schedule_and_by_hand(drift: Workflow) -> None:
    (schedule,) = drift["on"]["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5
    assert "workflow_dispatch" in drift["on"]


def test_drift_covers_both_environments_independently(drift: Workflow) -> None:
    (job,) = drift["jobs"].values()
    assert job["strategy"]["matrix"]["env"] == ["test", "prod"]
    assert job["strategy"]["fail-fast"] is False
    assert job["env"]["ENV_NAME"] == "${{ matrix.env }}"
    assert '-backend-config="key=$ENV_NAME.tfstate"' in runs(job)
    assert "matrix.env" in job["concurrency"]["group"]
    deploy_groups = {
        j["concurrency"]["group"] for j in load("deploy.yml")["jobs"].values() if "concurrency" in j
    }
    assert job["concurrency"]["group"] not in deploy_groups, "drift would cancel a pending deploy"


def test_drift_keeps_the_json_report_even_when_drift_is_found(drift: Workflow) -> None:
    (job,) = drift["jobs"].values()
    verify = step_named(job, "json report")
    assert '--format json -o "drift-$ENV_NAME.json"' in verify["run"]
    summary = step_named(job, "job summary")
    assert '--format markdown >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert "always()" in summary["if"]
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "drift-${{ matrix.env }}.json"
    fail = step_named(job, "fail on drift")
    order = [index_of(job, lambda s, x=x: s is x) for x in (verify, upload, fail)]
    assert order == sorted(order), "the failing step must come after the upload"


# --- the exit-code handling, executed -----------------------------------------------------


def fake_azprov(bin_dir: Path, exit_code: int) -> None:
    """An `azprov` that writes its arguments to the -o file or stdout, then exits."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "azprov"
    script.write_text(
        "#!/bin/sh\n"
        'out=""\n'
        'prev=""\n'
        'for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done\n'
        'if [ -n "$out" ]; then echo "report $*" > "$out"; else echo "report $*"; fi\n'
        f"exit {exit_code}\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def run_step(step: dict[str, Any], workdir: Path, env: dict[str, str]) -> int:
    """Run a step's script the way GitHub does for `shell: bash` defaults (bash -e)."""
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash not available")
    script = workdir / "step.sh"
    script.write_text(str(step["run"]), encoding="utf-8")
    result = subprocess.run(
        [bash, "--noprofile", "--norc", "-e", str(script)],
        cwd=workdir,
        env={**os.environ, "PATH": f"{workdir / 'bin'}{os.pathsep}{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode


def outputs(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.mark.parametrize(("azprov_exit", "job_fails"), [(0, False), (2, True), (1, True)])
def test_drift_job_fails_on_findings_and_errors_after_keeping_the_report(
    drift: Workflow, tmp_path: Path, azprov_exit: int, job_fails: bool
) -> None:
    (job,) = drift["jobs"].values()
    fake_azprov(tmp_path / "bin", azprov_exit)
    github_output = tmp_path / "github_output"
    env = {"ENV_NAME": "prod", "GITHUB_OUTPUT": str(github_output)}
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")

    assert run_step(step_named(job, "json report"), tmp_path, env) == 0
    code = outputs(github_output)["exit-code"]
    assert code == str(azprov_exit)
    assert (tmp_path / "drift-prod.json").exists(), "the report is written whatever the result"
    assert run_step(step_named(job, "job summary"), tmp_path, env) == 0
    assert "--format markdown" in (tmp_path / "summary.md").read_text(encoding="utf-8")

    fail = step_named(job, "fail on drift")
    runs_fail_step = code != "0"  # its `if:` condition
    assert fail["if"] == "steps.verify.outputs.exit-code != '0'"
    failed = runs_fail_step and run_step(fail, tmp_path, {**env, "VERIFY_EXIT": code}) != 0
    assert failed == job_fails


@pytest.mark.parametrize(("azprov_exit", "step_fails"), [(0, False), (2, False), (1, True)])
def test_plan_audit_step_passes_findings_to_reviewers_and_fails_on_errors(
    deploy: Workflow, tmp_path: Path, azprov_exit: int, step_fails: bool
) -> None:
    job = deploy["jobs"]["plan-prod"]
    fake_azprov(tmp_path / "bin", azprov_exit)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    for fragment in ("job summary", "html"):
        code = run_step(step_named(job, fragment), tmp_path, env)
        assert (code != 0) == step_fails, fragment
    assert "audit --env prod" in summary.read_text(encoding="utf-8")
    assert (tmp_path / "audit.html").exists()


# --- ci.yml ------------------------------------------------------------------------------


def test_ci_runs_the_project_test_command_on_pull_requests(ci: Workflow) -> None:
    assert "pull_request" in ci["on"]
    assert ci["on"]["push"]["branches"] == ["main"]
    commands = [runs(job) for job in ci["jobs"].values()]
    assert any("python3 tasks.py test" in c for c in commands)


def test_ci_checks_terraform_formatting_and_validity(ci: Workflow) -> None:
    (job,) = [j for j in ci["jobs"].values() if "terraform validate" in runs(j)]
    assert uses(job, "hashicorp/setup-terraform")
    script = runs(job)
    assert "terraform fmt -check -recursive" in script
    assert "terraform init -backend=false" in script
    assert job["defaults"]["run"]["working-directory"] == "terraform"
    order = [script.index(c) for c in ("fmt -check", "init -backend=false", "validate")]
    assert order == sorted(order)
