"""The GitHub workflows: actionlint, the deploy job graph, drift detection and CI.

Besides the structure, the shell of the steps that interpret azprov's exit codes is run
for real with a stand-in `azprov`, so exit 0/1/2 are shown to lead where they should.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
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
    for name in ("deploy.yml", "drift.yml", "rollback.yml", "pr.yml"):
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


AUDIT_ALL_FORMATS = re.compile(
    r"azprov audit --env (prod|\"\$ENV_NAME\") --plan \S*tfplan\.json\s+"
    r"-f markdown,html,json,sarif --output-dir audit --artifact [\w-]+"
)


def test_plan_prod_audits_once_into_every_format_and_the_job_summary(deploy: Workflow) -> None:
    job = deploy["jobs"]["plan-prod"]
    script = runs(job)
    assert "-backend-config=key=prod.tfstate" in script
    assert re.search(r"terraform plan .*-var-file=prod\.tfvars.*-out=tfplan", script)
    assert "terraform show -json tfplan > tfplan.json" in script
    assert "terraform apply" not in script
    # Azure is read once: one audit, every format from it.
    assert len(re.findall(r"^\s*azprov audit ", script, re.M)) == 1
    assert AUDIT_ALL_FORMATS.search(script), script
    audit = step_named(job, "audit the plan")["run"]
    assert 'cat audit/audit-prod.md >> "$GITHUB_STEP_SUMMARY"' in audit
    plan_at = index_of(job, lambda s: "terraform plan" in str(s.get("run", "")))
    audit_at = index_of(job, lambda s: "azprov audit" in str(s.get("run", "")))
    assert plan_at < audit_at


def test_plan_prod_uploads_the_plan_encrypted_and_every_audit_report(deploy: Workflow) -> None:
    job = deploy["jobs"]["plan-prod"]
    uploads = {s["with"]["name"]: s for s in uses(job, "actions/upload-artifact")}
    paths = {name: step["with"]["path"] for name, step in uploads.items()}
    assert paths["prod-audit"] == "audit/" and uploads["prod-audit"]["if"] == "always()"
    (plan_artifact,) = [n for n, p in paths.items() if "tfplan" in p]
    # The saved plan holds the database password: never upload it (or its JSON) in clear.
    assert paths[plan_artifact].endswith(".enc")
    assert not [p for p in paths.values() if p.endswith(("tfplan", "tfplan.json"))]
    encrypt = step_named(job, "encrypt")["run"]
    assert (
        "openssl enc -aes-256-cbc -pbkdf2" in encrypt and "-pass env:TFPLAN_PASSPHRASE" in encrypt
    )
    assert ".terraform.lock.hcl" in encrypt
    assert "rm -f tfplan.json" in encrypt, "the plan JSON is gone before anything uploads"


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


# --- running the steps' shell with a stand-in azprov ----------------------------------------


def fake_azprov(
    bin_dir: Path, exit_code: int, exits: dict[str, int | list[int]] | None = None
) -> Path:
    """An `azprov` that logs its arguments and writes the reports it is asked for.

    Every call is one JSON line in `calls.jsonl` beside `bin_dir`. It writes a report to
    each `-o FILE` / `-o FORMAT=FILE`, and to `DIR/<command>-<env>.<ext>` for each `-f`
    format with `--output-dir DIR` (a JSON report is a small JSON document); with neither
    it prints one. It exits with `exits[command]` (a list: one code per call, in order),
    else `exit_code`.
    """
    bin_dir.mkdir(exist_ok=True)
    log = bin_dir.parent / "calls.jsonl"
    script = bin_dir / "azprov"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"log, default, exits = {str(log)!r}, {exit_code!r}, {exits or {}!r}\n"
        "args = sys.argv[1:]\n"
        "command = args[0] if args else ''\n"
        "with open(log, 'a') as handle:\n"
        "    handle.write(json.dumps(args) + '\\n')\n"
        "calls = sum(1 for line in open(log) if json.loads(line)[:1] == [command])\n"
        "code = exits.get(command, default)\n"
        "if isinstance(code, list):\n"
        "    code = code[min(calls, len(code)) - 1]\n"
        "def value(flag):\n"
        "    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]\n"
        "env = (value('--env') or ['?'])[0]\n"
        "formats = [f for v in value('-f') for f in v.split(',')]\n"
        "ext = {'json': 'json', 'markdown': 'md', 'html': 'html', 'sarif': 'sarif',\n"
        "       'table': 'txt'}\n"
        "def report(fmt):\n"
        "    if fmt == 'json':\n"
        "        return json.dumps({'environment': env, 'exit_code': code, 'args': args})\n"
        "    return 'report ' + ' '.join(args) + '\\n'\n"
        "targets = []\n"
        "for out in value('-o'):\n"
        "    if '=' in out:\n"
        "        fmt, _, path = out.partition('=')\n"
        "    else:\n"
        "        fmt, path = (formats[0] if formats else ''), out\n"
        "    targets.append((fmt, path))\n"
        "for directory in value('--output-dir'):\n"
        "    os.makedirs(directory, exist_ok=True)\n"
        "    targets += [(f, f'{directory}/{command}-{env}.{ext[f]}') for f in formats]\n"
        "for fmt, path in targets:\n"
        "    with open(path, 'w') as handle:\n"
        "        handle.write(report(fmt))\n"
        "if not targets:\n"
        "    print(report(''), end='')\n"
        "sys.exit(code)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def run_step(step: dict[str, Any], workdir: Path, env: dict[str, str]) -> int:
    """Run a step's script the way GitHub does for `shell: bash` defaults (bash -e -o pipefail)."""
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash not available")
    script = workdir / "step.sh"
    script.write_text(str(step["run"]), encoding="utf-8")
    result = subprocess.run(
        [bash, "--noprofile", "--norc", "-e", "-o", "pipefail", str(script)],
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


def github_files(tmp_path: Path) -> dict[str, str]:
    """The files GitHub gives a step for its outputs and its part of the job summary."""
    return {
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def summary(tmp_path: Path) -> str:
    path = tmp_path / "summary.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


# --- drift.yml ---------------------------------------------------------------------------


def test_drift_runs_on_a_schedule_and_by_hand(drift: Workflow) -> None:
    (schedule,) = drift["on"]["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5
    assert "workflow_dispatch" in drift["on"]


def test_drift_snapshots_then_verifies_then_reports_every_environment(drift: Workflow) -> None:
    jobs = drift["jobs"]
    assert list(jobs) == ["snapshot", "verify", "report"]
    assert "needs" not in jobs["snapshot"]
    assert jobs["verify"]["needs"] == "snapshot"
    assert jobs["report"]["needs"] == "verify"
    for job_id, job in jobs.items():
        assert job["strategy"]["matrix"]["env"] == ["test", "prod"], job_id
        assert job["strategy"]["fail-fast"] is False, job_id
        assert job["env"]["ENV_NAME"] == "${{ matrix.env }}", job_id
        assert "vars.AZURE_CLIENT_ID != ''" in job["if"], job_id
    # A failed snapshot (or verify) of one environment still lets the others' results, and
    # its own partial evidence, through.
    for job_id in ("verify", "report"):
        assert "!cancelled()" in jobs[job_id]["if"], job_id


def test_drift_runs_one_at_a_time_and_never_with_a_deploy(drift: Workflow) -> None:
    assert drift["concurrency"] == {"group": "drift", "cancel-in-progress": False}
    deploy_groups = {
        j["concurrency"]["group"] for j in load("deploy.yml")["jobs"].values() if "concurrency" in j
    }
    assert drift["concurrency"]["group"] not in deploy_groups, "drift would hold up a deploy"


def test_only_the_jobs_that_read_azure_hold_a_token_and_only_report_writes(
    drift: Workflow,
) -> None:
    jobs = drift["jobs"]
    for job_id in ("snapshot", "verify"):
        assert jobs[job_id]["permissions"] == {"contents": "read", "id-token": "write"}
        assert uses(jobs[job_id], "azure/login"), job_id
    report = jobs["report"]
    assert report["permissions"] == {
        "contents": "read",
        "issues": "write",
        "security-events": "write",
    }
    assert not uses(report, "azure/login")
    assert "ARM_CLIENT_ID" not in report["env"]


def test_every_snapshot_is_kept_even_when_its_read_fails(drift: Workflow, tmp_path: Path) -> None:
    job = drift["jobs"]["snapshot"]
    snapshot = step_named(job, "snapshot live azure")
    assert snapshot["run"].strip() == 'azprov snapshot --env "$ENV_NAME" -o "live-$ENV_NAME.json"'
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "live-${{ matrix.env }}.json"
    assert upload["with"]["name"] == "drift-live-${{ matrix.env }}"
    assert steps(job).index(snapshot) < steps(job).index(upload)
    # A failed read writes what it could and exits 1: the step fails, the upload still runs.
    fake_azprov(tmp_path / "bin", 1)
    assert run_step(snapshot, tmp_path, {"ENV_NAME": "prod"}) == 1
    assert (tmp_path / "live-prod.json").exists()


def test_verify_reads_both_snapshots_so_isolation_sees_both_sides_live(drift: Workflow) -> None:
    job = drift["jobs"]["verify"]
    (download,) = uses(job, "actions/download-artifact")
    assert download["with"] == {"pattern": "drift-live-*", "merge-multiple": True, "path": "live"}
    assert steps(job).index(download) < steps(job).index(step_named(job, "verify against"))


def verify_in(tmp_path: Path, drift: Workflow, code: int, baseline: bool) -> list[str]:
    """Run drift's verify step for prod in `tmp_path` with both snapshots; azprov's argv."""
    job = drift["jobs"]["verify"]
    log = fake_azprov(tmp_path / "bin", code)
    (tmp_path / "live").mkdir()
    for env in ("test", "prod"):
        (tmp_path / "live" / f"live-{env}.json").write_text("{}", encoding="utf-8")
    if baseline:
        (tmp_path / "baseline").mkdir()
        (tmp_path / "baseline" / "verify-prod.json").write_text("{}", encoding="utf-8")
    env = {"ENV_NAME": "prod", "FAIL_ON_SEVERITY": drift["env"]["FAIL_ON_SEVERITY"]}
    assert (
        run_step(step_named(job, "verify against"), tmp_path, {**env, **github_files(tmp_path)})
        == 0
    )
    (argv,) = calls(log)
    return argv


@pytest.mark.parametrize("azprov_exit", [0, 1, 2])
def test_verify_step_records_the_exit_code_and_writes_every_report(
    drift: Workflow, tmp_path: Path, azprov_exit: int
) -> None:
    argv = verify_in(tmp_path, drift, azprov_exit, baseline=False)
    assert argv[:3] == ["verify", "--env", "prod"]
    lives = [argv[i + 1] for i, a in enumerate(argv) if a == "--live"]
    assert sorted(lives) == ["live/live-prod.json", "test=live/live-test.json"]
    assert argv[argv.index("-f") + 1] == "json,markdown,sarif"
    assert argv[argv.index("--output-dir") + 1] == "reports"
    # The run fails by severity, not on any finding.
    assert argv[argv.index("--fail-on-severity") + 1] == "high"
    assert outputs(tmp_path / "github_output")["exit-code"] == str(azprov_exit)
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "verify-prod.json", "verify-prod.md", "verify-prod.sarif",
    ]  # fmt: skip
    assert summary(tmp_path).startswith("report verify --env prod")


def test_the_first_run_goes_without_a_baseline_and_later_runs_pass_it(
    drift: Workflow, tmp_path: Path
) -> None:
    for run in ("first", "later"):
        (tmp_path / run).mkdir()
    first = verify_in(tmp_path / "first", drift, 2, baseline=False)
    assert "--baseline" not in first
    later = verify_in(tmp_path / "later", drift, 2, baseline=True)
    assert later[later.index("--baseline") + 1] == "baseline/verify-prod.json"


def test_the_report_becomes_the_next_baseline_only_when_complete(
    drift: Workflow, tmp_path: Path
) -> None:
    job = drift["jobs"]["verify"]
    (restore,) = uses(job, "actions/cache/restore")
    (save,) = uses(job, "actions/cache/save")
    assert restore["with"]["path"] == save["with"]["path"] == "baseline"
    prefix = restore["with"]["restore-keys"]
    assert save["with"]["key"].startswith(prefix), "the next run must find what this one saves"
    assert restore["with"]["key"].startswith(prefix)
    keep = step_named(job, "next run's baseline")
    assert "exit-code == '0'" in keep["if"] and "exit-code == '2'" in keep["if"]
    assert "exit-code == '1'" not in keep["if"]
    assert save["if"] == "always() && steps.baseline.outcome == 'success'"
    order = [steps(job).index(s) for s in (restore, step_named(job, "verify against"), keep, save)]
    assert order == sorted(order)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "verify-prod.json").write_text('{"findings": []}', encoding="utf-8")
    assert run_step(keep, tmp_path, {"ENV_NAME": "prod"}) == 0
    assert (tmp_path / "baseline" / "verify-prod.json").read_text() == '{"findings": []}'


def test_drift_keeps_reports_and_snapshots_whatever_happens(drift: Workflow) -> None:
    job = drift["jobs"]["verify"]
    upload = next(s for s in uses(job, "actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "drift-${{ matrix.env }}"
    assert upload["with"]["path"].split() == ["reports/", "live/"]
    fail = step_named(job, "fail on")
    assert steps(job).index(upload) < steps(job).index(fail), "the failing step comes last"


@pytest.mark.parametrize(("verify_exit", "fails"), [("0", False), ("2", True), ("1", True)])
def test_the_run_fails_on_high_findings_and_incomplete_reads(
    drift: Workflow, tmp_path: Path, verify_exit: str, fails: bool
) -> None:
    fail = step_named(drift["jobs"]["verify"], "fail on")
    assert fail["if"] == "steps.verify.outputs.exit-code != '0'"
    runs_at_all = verify_exit != "0"  # its `if:`
    env = {"ENV_NAME": "prod", "VERIFY_EXIT": verify_exit, "FAIL_ON_SEVERITY": "high"}
    code = run_step(fail, tmp_path, env) if runs_at_all else 0
    assert (code != 0) == fails
    if fails:
        assert code == int(verify_exit)


def test_the_drift_issue_is_kept_from_the_report_alone(drift: Workflow, tmp_path: Path) -> None:
    job = drift["jobs"]["report"]
    (download,) = uses(job, "actions/download-artifact")
    assert download["with"] == {"name": "drift-${{ matrix.env }}", "path": "drift"}
    notify = step_named(job, "drift issue")
    assert notify["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    log = fake_azprov(tmp_path / "bin", 0)
    env = {"ENV_NAME": "prod", **github_files(tmp_path)}
    # No report (verify stopped early): nothing is posted, the step fails and says why.
    assert run_step(notify, tmp_path, env) == 1
    assert "No drift report for prod" in summary(tmp_path) and not calls(log)
    (tmp_path / "drift" / "reports").mkdir(parents=True)
    (tmp_path / "drift" / "reports" / "verify-prod.json").write_text("{}", encoding="utf-8")
    assert run_step(notify, tmp_path, env) == 0
    assert calls(log) == [
        ["notify", "github", "--env", "prod", "--report", "drift/reports/verify-prod.json"]
    ]


def test_drift_findings_go_to_code_scanning(drift: Workflow) -> None:
    (upload,) = uses(drift["jobs"]["report"], "github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == "drift/reports/verify-${{ matrix.env }}.sarif"
    assert upload["with"]["category"] == "azprov-verify-${{ matrix.env }}"
    assert upload["if"].startswith("always() && hashFiles(")


# --- deploy.yml and rollback.yml: the audit, executed ---------------------------------------


@pytest.mark.parametrize(("azprov_exit", "step_fails"), [(0, False), (2, False), (1, True)])
def test_plan_audit_step_passes_findings_to_reviewers_and_fails_on_errors(
    deploy: Workflow, tmp_path: Path, azprov_exit: int, step_fails: bool
) -> None:
    job = deploy["jobs"]["plan-prod"]
    log = fake_azprov(tmp_path / "bin", azprov_exit)
    code = run_step(step_named(job, "audit the plan"), tmp_path, github_files(tmp_path))
    assert (code != 0) == step_fails
    (argv,) = calls(log)  # one read of Azure
    assert argv[argv.index("-f") + 1] == "markdown,html,json,sarif"
    assert summary(tmp_path).startswith("report audit --env prod")
    assert sorted(p.name for p in (tmp_path / "audit").iterdir()) == [
        "audit-prod.html", "audit-prod.json", "audit-prod.md", "audit-prod.sarif",
    ]  # fmt: skip


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
