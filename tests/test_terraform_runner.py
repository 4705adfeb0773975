"""The terraform wrapper: exact argv, backend settings, streaming, one-line errors."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.config import load_settings
from provisioner.errors import ConfigError
from provisioner.terraform.runner import (
    Terraform,
    TerraformError,
    backend_config,
    git_commit,
    plain_text,
)
from tests import fake_terraform as fake


@pytest.fixture
def tf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> fake.FakeTerraform:
    fake.write_stack(tmp_path)
    return fake.install(tmp_path, monkeypatch)


def test_init_uses_the_environment_state_key_and_backend_variables(
    tf: fake.FakeTerraform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZPROV_BACKEND_STORAGE_ACCOUNT_NAME", "sttfstate01")
    monkeypatch.setenv("AZPROV_BACKEND_KEY", "someone-elses.tfstate")  # never wins
    monkeypatch.setenv("TF_INPUT", "1")  # azprov never lets terraform ask
    Terraform(Path("terraform"), echo=io.StringIO()).init("prod.tfstate")
    [call] = tf.calls()
    assert call["argv"] == [
        "-chdir=terraform",
        "init",
        "-no-color",
        "-input=false",
        "-reconfigure",
        "-backend-config=key=prod.tfstate",
        "-backend-config=storage_account_name=sttfstate01",
    ]
    assert call["env"]["TF_IN_AUTOMATION"] == "1"
    assert call["env"]["TF_INPUT"] == "0"


@pytest.mark.parametrize(
    ("backend", "setting"),
    [("local", "path"), ("s3", "key"), ("gcs", "prefix"), ("consul", "path")],
)
def test_init_sets_the_state_location_setting_of_the_declared_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, setting: str
) -> None:
    fake.write_stack(tmp_path, backend=backend)
    tf = fake.install(tmp_path, monkeypatch)
    monkeypatch.setenv(f"AZPROV_BACKEND_{setting.upper()}", "shared.tfstate")  # never wins
    Terraform(Path("terraform"), echo=io.StringIO()).init("test.tfstate")
    assert tf.argvs()[0][-1] == f"-backend-config={setting}=test.tfstate"
    assert not any("shared.tfstate" in arg for arg in tf.argvs()[0])


@pytest.mark.parametrize(
    ("main_tf", "message"),
    [
        (
            'terraform {\n  required_version = ">= 1.9.0"\n}\n',
            "declares no backend, so every environment would share one state: "
            'add `backend "azurerm" {}`',
        ),
        (
            'terraform {\n  backend "http" {}\n}\n',
            'terraform/main.tf declares backend "http", where azprov cannot give each '
            "environment its own state; use one of the backends azurerm, consul, gcs, local, s3",
        ),
        (
            'terraform {\n  cloud {\n    organization = "acme"\n  }\n}\n',
            "terraform/main.tf declares a `cloud` block, where azprov cannot",
        ),
        (
            'terraform {\n  backend "local" {}\n}\nterraform {\n  backend "azurerm" {}\n}\n',
            "declares several backends (local in main.tf, azurerm in main.tf): keep one",
        ),
    ],
    ids=["none", "unsupported", "cloud", "several"],
)
def test_a_backend_azprov_cannot_drive_is_refused_before_terraform_runs(
    tf: fake.FakeTerraform, tmp_path: Path, main_tf: str, message: str
) -> None:
    (tmp_path / "terraform" / "main.tf").write_text(main_tf)
    with pytest.raises(ConfigError) as err:
        Terraform(Path("terraform"), echo=io.StringIO()).init("prod.tfstate")
    assert message in str(err.value)
    assert tf.calls() == []


def test_only_files_that_can_declare_a_backend_are_parsed(
    tf: fake.FakeTerraform, tmp_path: Path
) -> None:
    (tmp_path / "terraform" / "other.tf").write_text("this { is not = HCL python-hcl2 reads\n")
    Terraform(Path("terraform"), echo=io.StringIO()).init("prod.tfstate")
    assert "-backend-config=key=prod.tfstate" in tf.argvs()[0]

    (tmp_path / "terraform" / "main.tf").write_text('terraform {\n  backend "local" {\n')
    with pytest.raises(ConfigError, match=r"^terraform/main.tf is not valid HCL: "):
        Terraform(Path("terraform"), echo=io.StringIO()).init("prod.tfstate")


def test_a_missing_terraform_directory_is_named(tf: fake.FakeTerraform) -> None:
    with pytest.raises(ConfigError, match=r"terraform directory not found: infra \(set `dir`"):
        Terraform(Path("infra")).init("prod.tfstate")


def test_backend_table_from_azprov_toml_is_overridden_by_variables(tmp_path: Path) -> None:
    (tmp_path / "azprov.toml").write_text(
        '[backend]\nresource_group_name = "rg-tfstate"\nstorage_account_name = "stfromfile"\n'
        'use_azuread_auth = true\nkey = "shared.tfstate"\npath = "shared.tfstate"\n'
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
    assert str(err.value) == (
        "terraform init: the state is locked (Error acquiring the state lock: state blob is "
        "already locked); lock ID 5c1f6f7a-3b2e-9d41-0c8e-2a7b4d9e1f36, held by "
        "runner@fv-az512-331 since 2026-11-24 21:14:03.118702 +0000 UTC (OperationTypeApply): "
        "wait for that run to finish, or if it died, run "
        "`terraform -chdir=terraform force-unlock 5c1f6f7a-3b2e-9d41-0c8e-2a7b4d9e1f36`"
    )


def test_a_long_lock_reason_is_clipped_but_the_unlock_command_kept(
    tf: fake.FakeTerraform,
) -> None:
    long_reason = "state blob is already locked " + "x" * 1000
    lock = fake.LOCK_HELD.replace("state blob is already locked", long_reason)
    tf.answer("plan", stderr=lock, exit=1)
    with pytest.raises(TerraformError) as err:
        Terraform(Path("terraform"), echo=io.StringIO()).plan("prod.tfvars", None)
    assert len(str(err.value)) < 800
    assert str(err.value).endswith("force-unlock 5c1f6f7a-3b2e-9d41-0c8e-2a7b4d9e1f36`")


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            fake.PROVIDER_MISSING,
            "terraform plan: Inconsistent dependency lock file: The following dependency "
            "selections recorded in the lock file are inconsistent with the current "
            "configuration: - provider registry.terraform.io/hashicorp/azurerm: required by "
            "this configuration but no version is selected; terraform is not initialized for "
            "this configuration: run `terraform -chdir=terraform init -upgrade` and commit "
            ".terraform.lock.hcl",
        ),
        (
            fake.PLUGINS_NOT_INSTALLED,
            "terraform plan: Required plugins are not installed: The installed provider "
            "plugins are not consistent with the packages selected in the dependency lock "
            "file: - registry.terraform.io/hashicorp/azurerm: there is no package for "
            "registry.terraform.io/hashicorp/azurerm 4.14.0 cached in .terraform/providers; "
            "terraform is not initialized",
        ),
        (
            fake.BACKEND_NOT_INITIALIZED,
            'terraform plan: Backend initialization required, please run "terraform init": '
            'Reason: Initial configuration of the requested backend "local"; terraform is not '
            "initialized",
        ),
        (
            fake.WRONG_VERSION,
            "terraform plan: Unsupported Terraform Core version: This configuration does not "
            'support Terraform version 1.5.7 (required_version ">= 1.9.0", main.tf line 2): '
            "install a Terraform that satisfies it",
        ),
        (
            fake.WRONG_VERSION_COLOURED,
            "terraform plan: Unsupported Terraform Core version: This configuration does not "
            'support Terraform version 1.11.4 (required_version ">= 99.0", main.tf line 2): '
            "install a Terraform that satisfies it",
        ),
        (
            fake.INVALID_VALUE,
            "terraform plan failed: Invalid value for variable (prod.tfvars line 8): "
            "Production must not run on a Burstable PostgreSQL SKU",
        ),
        (
            fake.MISSING_VAR_FILE,
            "terraform plan: Failed to read variables file: Given variables file nope.tfvars "
            "does not exist (var-files are read relative to terraform)",
        ),
    ],
    ids=[
        "lock-file",
        "plugins",
        "backend",
        "required-version",
        "required-version-coloured",
        "validation",
        "var-file",
    ],
)
def test_known_failures_get_terraforms_error_in_one_line(
    tf: fake.FakeTerraform, stderr: str, expected: str
) -> None:
    tf.answer("plan", stderr=stderr, exit=1)
    with pytest.raises(TerraformError) as err:
        Terraform(Path("terraform"), echo=io.StringIO()).plan("prod.tfvars", None)
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)


def test_several_errors_name_the_first_and_count_the_rest(tf: fake.FakeTerraform) -> None:
    tf.answer("plan", stderr=fake.INVALID_VALUE + fake.MISSING_VAR_FILE, exit=1)
    with pytest.raises(TerraformError, match=r"Burstable PostgreSQL SKU \(and 1 more error\)$"):
        Terraform(Path("terraform"), echo=io.StringIO()).plan("prod.tfvars", None)


def test_output_without_diagnostics_quotes_its_last_line_without_escapes(
    tf: fake.FakeTerraform,
) -> None:
    tf.answer(
        "show-state", stderr="\x1b]0;pwned\x07\x1b[31mwrapper: no such profile\x1b[0m\r\n", exit=3
    )
    with pytest.raises(TerraformError) as err:
        Terraform(Path("terraform")).show_state_json()
    assert str(err.value) == "terraform show failed: wrapper: no such profile"


def test_streamed_output_is_shown_without_escape_sequences(tf: fake.FakeTerraform) -> None:
    tf.answer("plan", stdout='  ~ tags = { "owner" = "\x1b[2J\x1b]8;;https://evil\x07x\x9b" }\n')
    echo = io.StringIO()
    Terraform(Path("terraform"), echo=echo).plan("prod.tfvars", None)
    assert echo.getvalue() == '  ~ tags = { "owner" = "x" }\n'


def test_plain_text_keeps_text_tabs_and_newlines() -> None:
    assert plain_text("a\tb\nc ✓ │") == "a\tb\nc ✓ │"
    assert plain_text("\x1b[1m\x1b[31mError: \x1b[0mboom\x07\x00") == "Error: boom"


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
        "-no-color",
        "-input=false",
        "-detailed-exitcode",
        "-var-file=prod.tfvars",
        "-var=image_tag=abc",
        f"-out={tmp_path / 'tfplan'}",
    ]


def test_state_rm_gets_no_color_after_both_words(tf: fake.FakeTerraform) -> None:
    Terraform(Path("terraform"), echo=io.StringIO()).state_rm(["terraform_data.a"])
    assert tf.argvs() == [["-chdir=terraform", "state", "rm", "-no-color", "terraform_data.a"]]


def test_show_json_is_captured_not_mixed_with_stderr(tf: fake.FakeTerraform) -> None:
    tf.answer("show-state", stdout='{"format_version": "1.0"}', stderr="a warning\n")
    assert Terraform(Path("terraform")).show_state_json() == '{"format_version": "1.0"}'
    assert tf.argvs() == [["-chdir=terraform", "show", "-no-color", "-json"]]


def test_no_terraform_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake.write_stack(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TerraformError, match="terraform not found on PATH"):
        Terraform(Path("terraform")).init("prod.tfstate")


def test_git_commit_outside_a_repository_is_none(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None


def test_the_suite_says_how_many_real_terraform_tests_ran_and_why_the_rest_skipped(
    tmp_path: Path,
) -> None:
    """What CI shows: without terraform on PATH the real-terraform tests skip, and say so."""
    root = Path(__file__).resolve().parent.parent
    real_tests = "tests/test_terraform_real.py"
    env = {**os.environ, "PATH": str(tmp_path)}  # no terraform there
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", real_tests],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(
        r"^real terraform: 0 tests ran \(0 failed\), \d+ skipped \(terraform not found on PATH",
        result.stdout,
        re.MULTILINE,
    ), result.stdout
