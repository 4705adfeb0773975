"""rollback.yml: redeploy earlier images through deploy.yml's plan -> audit -> approval path.

The structure is compared with deploy.yml's (the same environments, concurrency groups and
artifact handling); the steps that decide something (the input check, the registry check,
the audit's exit codes) are run for real with stand-ins for `az` and `azprov`.
"""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from .test_workflows import (
    AUDIT_ALL_FORMATS,
    Workflow,
    calls,
    environment_name,
    fake_azprov,
    index_of,
    load,
    run_step,
    runs,
    step_named,
    steps,
    uses,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
# The only expression shape rollback.yml uses to pick a value per environment.
PER_ENVIRONMENT = re.compile(
    r"\$\{\{ inputs\.environment == 'prod' && (?P<prod>'[\w-]+'|vars\.\w+)"
    r" \|\| (?P<test>'[\w-]+'|vars\.\w+) \}\}"
)


@pytest.fixture(scope="module")
def rollback() -> Workflow:
    return load("rollback.yml")


@pytest.fixture(scope="module")
def deploy() -> Workflow:
    return load("deploy.yml")


def for_environment(expression: str, env: str) -> str:
    """What a `prod ? A : B` expression of rollback.yml evaluates to for `env`."""
    if "${{" not in expression:
        return expression
    match = PER_ENVIRONMENT.fullmatch(expression)
    assert match, f"unexpected expression {expression!r}"
    return match["prod" if env == "prod" else "test"].strip("'")


def concurrency_group(job: dict[str, Any], env: str) -> str:
    return str(job["concurrency"]["group"]).replace("${{ inputs.environment }}", env)


# --- trigger and inputs --------------------------------------------------------------------


def test_rollback_runs_only_by_hand_with_an_environment_and_an_image_tag(
    rollback: Workflow,
) -> None:
    assert list(rollback["on"]) == ["workflow_dispatch"]
    inputs = rollback["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["type"] == "choice"
    assert inputs["environment"]["options"] == ["test", "prod"]
    assert inputs["environment"]["required"] is True
    assert inputs["image_tag"]["type"] == "string"
    assert inputs["image_tag"]["required"] is True
    assert rollback["env"]["ENV_NAME"] == "${{ inputs.environment }}"
    assert rollback["env"]["IMAGE_TAG"] == "${{ inputs.image_tag }}"


def test_inputs_reach_scripts_only_through_the_environment(rollback: Workflow) -> None:
    # `${{ inputs.x }}` inside `run:` would splice user text into the shell code.
    for job_id, job in rollback["jobs"].items():
        for step in steps(job):
            assert "${{" not in str(step.get("run", "")), f"{job_id}: {step.get('name')}"


# --- the job graph -------------------------------------------------------------------------


def test_job_graph_is_plan_then_apply(rollback: Workflow) -> None:
    jobs = rollback["jobs"]
    assert set(jobs) == {"plan", "apply"}
    assert "needs" not in jobs["plan"]
    assert jobs["apply"]["needs"] == "plan"
    assert jobs["plan"]["if"] == "vars.AZURE_CLIENT_ID != ''"


@pytest.mark.parametrize("env", ["test", "prod"])
def test_environments_are_deploys_so_prod_applies_only_after_approval(
    rollback: Workflow, deploy: Workflow, env: str
) -> None:
    jobs, deploy_jobs = rollback["jobs"], deploy["jobs"]
    plan_env = for_environment(str(environment_name(jobs["plan"])), env)
    apply_env = for_environment(str(environment_name(jobs["apply"])), env)
    if env == "prod":
        # The plan runs where deploy's plan runs (prod secrets, no reviewers); the apply
        # waits where deploy-prod waits (the required reviewers).
        assert plan_env == environment_name(deploy_jobs["plan-prod"])
        assert apply_env == environment_name(deploy_jobs["deploy-prod"])
        assert plan_env != apply_env
    else:
        assert plan_env == apply_env == environment_name(deploy_jobs["deploy-test"])


def test_the_plan_is_audited_before_the_approval_and_applied_after_it(
    rollback: Workflow,
) -> None:
    plan, apply = rollback["jobs"]["plan"], rollback["jobs"]["apply"]
    plan_script, apply_script = runs(plan), runs(apply)
    assert "azprov audit" in plan_script and "terraform apply" not in plan_script
    assert "azprov audit" not in apply_script and "terraform plan" not in apply_script

    def at(fragment: str) -> int:
        return index_of(plan, lambda s: fragment in str(s.get("run", "")))

    order = [
        at("az acr repository show"),
        at("terraform plan"),
        at("azprov audit"),
        at("openssl enc"),
    ]
    assert order == sorted(order), "check images -> plan -> audit -> encrypt"


@pytest.mark.parametrize("env", ["test", "prod"])
def test_rollback_and_deploy_share_one_concurrency_group_per_environment(
    rollback: Workflow, deploy: Workflow, env: str
) -> None:
    deploy_jobs = ["deploy-test"] if env == "test" else ["plan-prod", "deploy-prod"]
    deploy_groups = {deploy["jobs"][j]["concurrency"]["group"] for j in deploy_jobs}
    for job_id, job in rollback["jobs"].items():
        assert {concurrency_group(job, env)} == deploy_groups, job_id
        # Never cancel a running apply, whichever workflow started it.
        assert job["concurrency"]["cancel-in-progress"] is False, job_id
    assert "concurrency" not in rollback, "a workflow-level group would not bind deploy's jobs"


# --- what the jobs do ----------------------------------------------------------------------


def test_rollback_builds_and_pushes_nothing(rollback: Workflow) -> None:
    for job_id, job in rollback["jobs"].items():
        script = runs(job)
        for command in ("docker build", "docker push", "az acr build", "az acr import"):
            assert command not in script, f"{job_id}: {command}"
        assert not uses(job, "docker/build-push-action"), job_id


def test_plan_uses_the_chosen_environment_and_the_given_tag(rollback: Workflow) -> None:
    script = runs(rollback["jobs"]["plan"])
    assert '-backend-config="key=$ENV_NAME.tfstate"' in script
    assert re.search(r'terraform plan .*-var-file="\$ENV_NAME\.tfvars"', script)
    assert '-var "backend_image_tag=$IMAGE_TAG"' in script
    assert '-var "frontend_image_tag=$IMAGE_TAG"' in script
    assert "-out=tfplan" in script
    assert "terraform show -json tfplan > tfplan.json" in script
    # One read of Azure for the audit, every format from it, as deploy.yml's plan-prod.
    assert len(re.findall(r"^\s*azprov audit ", script, re.M)) == 1
    assert AUDIT_ALL_FORMATS.search(script), script
    assert 'cat "audit/audit-$ENV_NAME.md" >> "$GITHUB_STEP_SUMMARY"' in script


@pytest.mark.parametrize("env", ["test", "prod"])
def test_the_registry_checked_is_the_environments_own(rollback: Workflow, env: str) -> None:
    registry = for_environment(rollback["jobs"]["plan"]["env"]["ACR_NAME"], env)
    assert registry == f"vars.ACR_NAME_{env.upper()}"


def test_apply_applies_exactly_the_encrypted_reviewed_plan(rollback: Workflow) -> None:
    plan, apply = rollback["jobs"]["plan"], rollback["jobs"]["apply"]
    uploads = {s["with"]["name"]: s["with"]["path"] for s in uses(plan, "actions/upload-artifact")}
    (plan_artifact,) = [name for name, path in uploads.items() if "tfplan" in path]
    # The saved plan holds the database password: it leaves the plan job only encrypted.
    assert uploads[plan_artifact].endswith(".enc")
    assert not [p for p in uploads.values() if p.endswith(("tfplan", "tfplan.json"))]
    encrypt = step_named(plan, "encrypt")["run"]
    assert "-pass env:TFPLAN_PASSPHRASE" in encrypt and ".terraform.lock.hcl" in encrypt
    (download,) = uses(apply, "actions/download-artifact")
    assert download["with"]["name"] == plan_artifact
    command = step_named(apply, "terraform apply")["run"].splitlines()[0].strip()
    assert re.fullmatch(r"terraform apply [-=\w ]*tfplan", command), command
    assert '-backend-config="key=$ENV_NAME.tfstate"' in runs(apply)
    assert not [k for k in apply["env"] if k.startswith("TF_VAR_")]
    verify = step_named(apply, "verify")["run"]
    assert 'azprov verify --env "$ENV_NAME"' in verify


# --- the deciding steps, executed ----------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "tag", "accepted"),
    [
        ("prod", SHA, True),
        ("test", "v1.4.2", True),
        ("prod", "latest", False),
        ("prod", "", False),
        ("prod", "a b", False),
        ("prod", "$(touch pwned)", False),
        ("prod", "x" * 129, False),
        ("staging", SHA, False),
    ],
)
def test_inputs_are_checked_before_anything_signs_in(
    rollback: Workflow, tmp_path: Path, env: str, tag: str, accepted: bool
) -> None:
    plan = rollback["jobs"]["plan"]
    check = step_named(plan, "check the inputs")
    assert steps(plan).index(check) < index_of(plan, lambda s: "azure/login" in s.get("uses", ""))
    code = run_step(check, tmp_path, {"ENV_NAME": env, "IMAGE_TAG": tag})
    assert (code == 0) == accepted
    assert not (tmp_path / "pwned").exists()


def fake_az(bin_dir: Path, present: set[str]) -> Path:
    """An `az` that knows the `image:tag` names in `present` and logs every call."""
    bin_dir.mkdir(exist_ok=True)
    log = bin_dir.parent / "az-calls.jsonl"
    script = bin_dir / "az"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"present = {sorted(present)!r}\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "args = sys.argv[1:]\n"
        "image = args[args.index('--image') + 1]\n"
        "if image not in present:\n"
        '    print(f"ERROR: manifest unknown: {image}", file=sys.stderr)\n'
        "    sys.exit(1)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


@pytest.mark.parametrize(
    ("present", "passes"),
    [
        ({f"backend:{SHA}", f"frontend:{SHA}"}, True),
        ({f"backend:{SHA}"}, False),
        ({f"frontend:{SHA}", f"backend:{SHA[:7]}"}, False),
        (set(), False),
    ],
)
def test_planning_stops_unless_both_images_are_in_the_registry(
    rollback: Workflow, tmp_path: Path, present: set[str], passes: bool
) -> None:
    log = fake_az(tmp_path / "bin", present)
    env = {**{k: str(v) for k, v in rollback["env"].items()}, "IMAGE_TAG": SHA}
    env.update(ENV_NAME="prod", ACR_NAME="acrstockappprod")
    step = step_named(rollback["jobs"]["plan"], "images are in the registry")
    assert (run_step(step, tmp_path, env) == 0) == passes
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    # Both images are looked up, each in the environment's own registry, even after a miss.
    assert [c[c.index("--image") + 1] for c in calls] == [f"backend:{SHA}", f"frontend:{SHA}"]
    assert all(c[:3] == ["acr", "repository", "show"] for c in calls)
    assert all(c[c.index("--name") + 1] == "acrstockappprod" for c in calls)


def test_planning_stops_when_the_registry_variable_is_missing(
    rollback: Workflow, tmp_path: Path
) -> None:
    fake_az(tmp_path / "bin", set())
    step = step_named(rollback["jobs"]["plan"], "images are in the registry")
    env = {"ENV_NAME": "test", "IMAGE_TAG": SHA, "ACR_NAME": ""}
    env.update(BACKEND_IMAGE="backend", FRONTEND_IMAGE="frontend")
    assert run_step(step, tmp_path, env) != 0
    assert not (tmp_path / "az-calls.jsonl").exists(), "az was called without a registry"


@pytest.mark.parametrize(("azprov_exit", "step_fails"), [(0, False), (2, False), (1, True)])
def test_audit_passes_findings_to_the_reviewers_and_fails_on_errors(
    rollback: Workflow, tmp_path: Path, azprov_exit: int, step_fails: bool
) -> None:
    plan = rollback["jobs"]["plan"]
    log = fake_azprov(tmp_path / "bin", azprov_exit)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "ENV_NAME": "prod"}
    code = run_step(step_named(plan, "audit the plan"), tmp_path, env)
    assert (code != 0) == step_fails
    assert len(calls(log)) == 1  # one read of Azure
    assert "audit --env prod" in summary.read_text(encoding="utf-8")
    assert (tmp_path / "audit" / "audit-prod.html").exists()
    uploads = {s["with"]["name"]: s["with"]["path"] for s in uses(plan, "actions/upload-artifact")}
    assert uploads["rollback-audit"] == "audit/"
