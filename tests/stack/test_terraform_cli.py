"""Checks that run the real terraform binary when it is on PATH (optional: skipped without).

The variable validations are evaluated by Terraform itself: variables.tf is copied alone
into a scratch directory (no provider, so `init` works offline) and planned with each
tfvars file and with values that must be refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._support import TERRAFORM, TerraformConfig, optional_tool, required_version

GOOD_SECRETS = {
    "db_password": "Corr3ct-Horse-Battery",
    "gemini_api_key": "not-a-real-key",
    "backend_image_tag": "0123456789abcdef0123456789abcdef01234567",
    "frontend_image_tag": "0123456789abcdef0123456789abcdef01234567",
}


def terraform_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CHECKPOINT_DISABLE="1",  # no version check over the network
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        TF_DATA_DIR=str(tmp / ".terraform"),
        TF_CLI_CONFIG_FILE=str(tmp / "terraformrc"),
    )
    env.pop("TF_LOG", None)
    return env


class VariablesOnly:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.env = terraform_env(workdir)

    def plan(self, var_file: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        values = {**GOOD_SECRETS, **overrides}
        argv = [
            self.binary,
            "plan",
            "-no-color",
            "-input=false",
            "-lock=false",
            f"-var-file={TERRAFORM / var_file}",
            *[f"-var={name}={value}" for name, value in values.items()],
        ]
        return subprocess.run(
            argv,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="module")
def variables_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VariablesOnly]:
    binary = optional_tool("terraform")
    workdir = tmp_path_factory.mktemp("tf-variables")
    shutil.copy(TERRAFORM / "variables.tf", workdir / "variables.tf")
    (workdir / "terraformrc").write_text("", encoding="utf-8")
    init = subprocess.run(
        [binary, "init", "-no-color", "-input=false", "-backend=false"],
        cwd=workdir,
        env=terraform_env(workdir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    yield VariablesOnly(binary, workdir)


def test_the_local_terraform_satisfies_required_version(
    tmp_path: Path, tf: TerraformConfig
) -> None:
    binary = optional_tool("terraform")
    result = subprocess.run(
        [binary, "version", "-json"],
        env=terraform_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    version = json.loads(result.stdout)["terraform_version"]
    assert version in required_version(tf), f"terraform {version} outside {required_version(tf)}"


def test_terraform_fmt_is_clean(tmp_path: Path) -> None:
    binary = optional_tool("terraform")
    result = subprocess.run(
        [binary, "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM)],
        env=terraform_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("env", ["test", "prod"])
def test_each_tfvars_file_passes_every_validation(variables_only: VariablesOnly, env: str) -> None:
    result = variables_only.plan(f"{env}.tfvars")
    assert result.returncode == 0, result.stdout + result.stderr


REFUSED = [
    # (tfvars, overrides, words of the expected error message)
    ("test.tfvars", {"environment": "staging"}, 'must be "test" or "prod"'),
    ("prod.tfvars", {"postgres_sku_name": "B_Standard_B1ms"}, "Burstable"),
    ("test.tfvars", {"postgres_sku_name": "Standard_B1ms"}, "must start with B_Standard_"),
    ("prod.tfvars", {"postgres_backup_retention_days": "7"}, "at least 30 days"),
    ("test.tfvars", {"postgres_backup_retention_days": "6"}, "from 7 to 35"),
    ("test.tfvars", {"postgres_backup_retention_days": "36"}, "from 7 to 35"),
    ("prod.tfvars", {"postgres_geo_redundant_backup": "false"}, "geo-redundant"),
    ("prod.tfvars", {"backend_min_replicas": "0"}, "at least one backend replica"),
    ("prod.tfvars", {"frontend_min_replicas": "0"}, "at least one frontend replica"),
    ("test.tfvars", {"backend_max_replicas": "0"}, "not below backend_min_replicas"),
    ("prod.tfvars", {"backend_min_replicas": "4", "backend_max_replicas": "3"}, "not below"),
    ("test.tfvars", {"backend_image_tag": "latest"}, "other than latest"),
    ("test.tfvars", {"frontend_image_tag": "has space"}, "valid image tag"),
    ("test.tfvars", {"db_password": "short1!A"}, "12-128 characters"),
    ("test.tfvars", {"db_password": "alllowercaseletters"}, "at least three of"),
    ("test.tfvars", {"db_username": "azure_superuser"}, "Azure reserves"),
    ("test.tfvars", {"gemini_api_key": "  "}, "must not be empty"),
    ("test.tfvars", {"app_name": "Stock_App"}, "2-12 characters"),
    ("test.tfvars", {"name_suffix": "TOO-LONG-SUFFIX"}, "at most 6"),
    ("test.tfvars", {"postgres_storage_mb": "1000"}, "sizes Azure offers"),
    ("test.tfvars", {"acr_sku": "Classic"}, "Basic, Standard or Premium"),
]


@pytest.mark.parametrize(
    ("var_file", "overrides", "message"),
    REFUSED,
    ids=[f"{f.split('.')[0]}-{'-'.join(o)}" for f, o, _ in REFUSED],
)
def test_validations_refuse_bad_values(
    variables_only: VariablesOnly, var_file: str, overrides: dict[str, str], message: str
) -> None:
    result = variables_only.plan(var_file, **overrides)
    assert result.returncode != 0, f"terraform accepted {overrides}"
    errors = " ".join((result.stdout + result.stderr).split())
    assert "Invalid value for variable" in errors
    assert message in errors, errors


def test_a_strong_password_with_symbols_is_accepted(variables_only: VariablesOnly) -> None:
    result = variables_only.plan("prod.tfvars", db_password="x7%Y/z@Q:w-9kL")
    assert result.returncode == 0, result.stdout + result.stderr
