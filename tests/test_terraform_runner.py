"""The terraform wrapper: exact argv, backend settings, streaming, one-line errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from provisioner.config import load_settings
from provisioner.terraform_runner import Terraform, TerraformError, backend_config, git_commit
from tests import fake_terraform as fake


@pytest.fixture
def tf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> fake.FakeTerraform:
    return fake.install(tmp_path, monkeypatch)


def test_init_uses_the_environment_state_key_and_backend_variables(
    tf: fake.FakeTerraform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZPROV_BACKEND_STORAGE_ACCOUNT_NAME", "sttfstate01")
    monkeypatch.setenv("AZPROV_BACKEND_KEY", "someone-elses.tfstate")  # never wins
    Terraform(Path("terraform"), echo=io.StringIO()).init("prod.tfstate")
    [call] = tf.calls()
    assert call["argv"] == [
        "-chdir=terraform",
        "init",
        "-input=false",
        "-reconfigure",
        "-backend-config=key=prod.tfstate",
        "-backend-config=storage_account_name=sttfstate01",
    ]
    assert call["env"]["TF_IN_AUTOMATION"] == "1"


def test_backend_table_from_azprov_toml_is_overridden_by_variables(tmp_path: Path) -> None:
    (tmp_path / "azprov.toml").write_text(
        '[backend]\nresource_group_name = "rg-tfstate"\nstorage_account_name = "stfromfile"\n'
        'use_azuread_auth = true\nkey = "shared.tfstate"\n'
    )
    settings = load_settings()
    merged = backend_config({"AZPROV_BACKEND_STORAGE_ACCOUNT_NAME": "stfromenv"}, settings.backend)
    assert merged == {
        "resource_group_name": "rg-tfstate",
        "storage_account_name": "stfromenv",
        "use_azuread_auth": "true",
    }


def test_streamed_output_reaches_the_user_and_errors_become_one_line(
    tf: fake.FakeTerraform,
) -> None:
    tf.answer("init", stdout="Initializing the backend...\n", stderr=fake.LOCK_HELD, exit=1)
    echo = io.StringIO()
    with pytest.raises(TerraformError) as err:
        Terraform(Path("terraform"), echo=echo).init("prod.tfstate")
    assert "Initializing the backend..." in echo.getvalue()
    message = str(err.value)
    assert "\n" not in message
    assert "5c1f6f7a-3b2e-9d41-0c8e-2a7b4d9e1f36" in message
    assert "runner@fv-az512-331" in message
    assert "force-unlock 5c1f6f7a-3b2e-9d41-0c8e-2a7b4d9e1f36" in message


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (fake.PROVIDER_MISSING, "not initialized"),
        (fake.PLUGINS_NOT_INSTALLED, "Required plugins are not installed"),
        (fake.WRONG_VERSION, "this terraform (1.5.7) does not satisfy"),
        (fake.INVALID_VALUE, "Invalid value for variable: Production must not run"),
    ],
)
def test_known_failures_get_a_clear_line(
    tf: fake.FakeTerraform, stderr: str, expected: str
) -> None:
    tf.answer("plan", stderr=stderr, exit=1)
    with pytest.raises(TerraformError) as err:
        Terraform(Path("terraform"), echo=io.StringIO()).plan("prod.tfvars", None)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)
    if stderr is fake.WRONG_VERSION:
        assert ">= 1.9.0" in str(err.value)


def test_plan_passes_var_file_extra_vars_and_returns_the_detailed_exit_code(
    tf: fake.FakeTerraform, tmp_path: Path
) -> None:
    tf.answer("plan", exit=2)
    code = Terraform(Path("terraform"), echo=io.StringIO()).plan(
        "prod.tfvars", tmp_path / "tfplan", variables=["image_tag=abc"]
    )
    assert code == 2
    assert tf.argvs()[0] == [
        "-chdir=terraform",
        "plan",
        "-input=false",
        "-detailed-exitcode",
        "-var-file=prod.tfvars",
        "-var=image_tag=abc",
        f"-out={tmp_path / 'tfplan'}",
    ]


def test_show_json_is_captured_not_mixed_with_stderr(tf: fake.FakeTerraform) -> None:
    tf.answer("show-state", stdout='{"format_version": "1.0"}', stderr="a warning\n")
    assert Terraform(Path("terraform")).show_state_json() == '{"format_version": "1.0"}'


def test_no_terraform_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TerraformError, match="terraform not found on PATH"):
        Terraform(Path("terraform")).init("prod.tfstate")


def test_git_commit_outside_a_repository_is_none(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
