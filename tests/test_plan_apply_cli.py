"""`azprov plan` / `azprov apply` end to end against a fake terraform on PATH."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app, tf_common
from tests import fake_terraform as fake
from tests.conftest import FIXTURES, serve, write_state
from tests.factories import Environment

runner = CliRunner()
CHANGES = FIXTURES / "terraform" / "azprov_prod_changes.plan.json"


@pytest.fixture
def tf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> fake.FakeTerraform:
    fake.write_stack(tmp_path)
    terraform = fake.install(tmp_path, monkeypatch)
    terraform.answer("plan", exit=2, stdout="Plan: 1 to add, 1 to change, 3 to destroy.\n")
    terraform.answer("show-plan", stdout_file=str(CHANGES))
    return terraform


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_plan_runs_init_plan_show_with_the_environments_files(
    tf: fake.FakeTerraform, tmp_path: Path
) -> None:
    code, out, err = run("plan", "--env", "prod", "--var", "backend_image_tag=9b1d7aa")
    assert code == 2, err
    planfile = tmp_path / ".azprov" / "prod" / "tfplan"
    assert tf.argvs() == [
        [
            "-chdir=terraform",
            "init",
            "-no-color",
            "-input=false",
            "-reconfigure",
            "-backend-config=key=prod.tfstate",
        ],
        [
            "-chdir=terraform",
            "plan",
            "-no-color",
            "-input=false",
            "-detailed-exitcode",
            "-var-file=prod.tfvars",
            "-var=backend_image_tag=9b1d7aa",
            f"-out={planfile}",
        ],
        ["-chdir=terraform", "show", "-no-color", "-json", str(planfile)],
    ]
    assert planfile.read_bytes() == b"fake binary plan"
    saved = json.loads((tmp_path / ".azprov/prod/tfplan.json").read_text())
    assert saved["format_version"] == "1.2"
    meta = json.loads((tmp_path / ".azprov/prod/plan-meta.json").read_text())
    assert meta["environment"] == "prod"
    assert meta["var_file"] == "terraform/prod.tfvars"
    assert len(meta["var_file_sha256"]) == 64
    assert "Plan: 1 to add" in err  # terraform's own output streamed through
    assert out.startswith("Plan for prod: 1 to create, 1 to update, 2 to replace, 1 to destroy")
    destructive = out.index("Destructive changes:")
    assert destructive < out.index("Other changes:")
    assert "azurerm_postgresql_flexible_server.db (forced by zone)" in out
    assert "azurerm_container_app.frontend deleted" in out  # drift terraform saw
    assert "sku_name" in out


def test_plan_for_test_uses_the_test_state_and_var_file(tf: fake.FakeTerraform) -> None:
    run("plan", "--env", "test")
    argvs = tf.argvs()
    assert "-backend-config=key=test.tfstate" in argvs[0]
    assert "-var-file=test.tfvars" in argvs[1]


def test_plan_without_changes_exits_0(tf: fake.FakeTerraform) -> None:
    tf.answer("plan", exit=0)
    tf.answer(
        "show-plan",
        stdout=json.dumps({"format_version": "1.2", "resource_changes": []}),
    )
    code, out, _ = run("plan", "--env", "prod")
    assert code == 0
    assert "No changes" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--env", "staging"], "unknown environment 'staging'"),
        (["plan", "--env", "prod", "--var", "oops"], "--var 'oops' is not NAME=VALUE"),
        (["apply", "--env", "prod", "--yes"], "no saved plan for prod"),
    ],
)
def test_bad_input_is_one_line(tf: fake.FakeTerraform, args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert err.startswith("azprov: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert tf.calls() == []


def test_missing_var_file_is_caught_before_terraform_runs(
    tf: fake.FakeTerraform, tmp_path: Path
) -> None:
    (tmp_path / "terraform" / "prod.tfvars").unlink()
    code, _, err = run("plan", "--env", "prod")
    assert code == 1
    assert err == "azprov: error: var-file not found: terraform/prod.tfvars (environment 'prod')\n"
    assert tf.calls() == []


def test_no_terraform_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.write_stack(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run("plan", "--env", "prod")
    assert code == 1
    assert "azprov: error: terraform not found on PATH" in err
    assert "Traceback" not in err


def test_lock_held_is_one_line_with_the_lock_id(tf: fake.FakeTerraform) -> None:
    tf.answer("plan", stderr=fake.LOCK_HELD, exit=1)
    code, _, err = run("plan", "--env", "prod")
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("azprov: error: terraform plan: the state is locked")
    assert "5c1f6f7a-3b2e-9d41-0c8e-2a7b4d9e1f36" in last and "runner@fv-az512-331" in last


def test_plan_refuses_another_environments_import_file(
    tf: fake.FakeTerraform, tmp_path: Path
) -> None:
    (tmp_path / "terraform" / "imports.prod.tf").write_text("")
    code, _, err = run("plan", "--env", "test")
    assert code == 1
    assert "imports.prod.tf adopts resources of environment 'prod'" in err
    assert tf.calls() == []


# -- apply --------------------------------------------------------------------------------


@pytest.fixture
def planned(tf: fake.FakeTerraform, tmp_path: Path, prod: Environment) -> fake.FakeTerraform:
    assert run("plan", "--env", "prod")[0] == 2
    tf.answer("show-state", stdout_file=str(write_state(tmp_path, prod)))
    return tf


def applies(tf: fake.FakeTerraform) -> list[list[str]]:
    return [a for a in tf.argvs() if a[1] == "apply"]


def test_apply_applies_the_saved_plan_and_verifies(
    planned: fake.FakeTerraform, tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    serve(rsps, prod)
    code, out, err = run("apply", "--env", "prod", "--yes")
    assert code == 0, err
    planfile = tmp_path / ".azprov" / "prod" / "tfplan"
    assert applies(planned) == [
        ["-chdir=terraform", "apply", "-no-color", "-input=false", str(planfile)]
    ]
    assert "CLEAN" in out
    assert not planfile.exists()  # applied once; a second apply needs a new plan
    assert run("apply", "--env", "prod", "--yes")[0] == 1


def test_apply_fails_with_2_when_verify_finds_drift(
    planned: fake.FakeTerraform, rsps: responses.RequestsMock, prod: Environment
) -> None:
    prod.find("/flexibleServers/psql-stockapp-prod")["sku"]["name"] = "Standard_D4ds_v5"
    serve(rsps, prod)
    code, out, _ = run("apply", "--env", "prod", "--yes")
    assert code == 2
    assert "sku_name" in out


def test_apply_refuses_a_plan_of_another_environment(
    planned: fake.FakeTerraform, tmp_path: Path
) -> None:
    (tmp_path / ".azprov" / "prod").rename(tmp_path / ".azprov" / "test")
    code, _, err = run("apply", "--env", "test", "--yes")
    assert code == 1
    assert "the saved plan is for environment 'prod', not 'test'" in err
    assert applies(planned) == []


def test_apply_refuses_when_the_var_file_changed(
    planned: fake.FakeTerraform, tmp_path: Path
) -> None:
    (tmp_path / "terraform" / "prod.tfvars").write_text('environment = "prod"\nx = 1\n')
    code, _, err = run("apply", "--env", "prod", "--yes")
    assert code == 1
    assert "terraform/prod.tfvars changed since the plan was made" in err
    assert applies(planned) == []


def test_apply_refuses_a_plan_from_another_commit(tf: fake.FakeTerraform, tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "one"], check=True)
    assert run("plan", "--env", "prod")[0] == 2
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "two"], check=True)
    code, _, err = run("apply", "--env", "prod", "--yes")
    assert code == 1
    assert "the saved plan was made at commit" in err and "but the checkout is at" in err
    assert applies(tf) == []


def test_apply_without_yes_and_without_a_terminal_refuses(
    planned: fake.FakeTerraform,
) -> None:
    code, _, err = run("apply", "--env", "prod")
    assert code == 1
    assert "refusing without --yes (stdin is not a terminal)" in err
    assert applies(planned) == []


def test_apply_asks_on_a_terminal_and_no_means_nothing_happens(
    planned: fake.FakeTerraform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tf_common, "stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["apply", "--env", "prod"], input="n\n")
    assert result.exit_code == 1
    assert "Apply .azprov/prod/tfplan to prod?" in result.stderr
    assert applies(planned) == []
