"""azprov's commands driving the REAL terraform binary (skipped, with the reason, without one).

Each test copies tests/fixtures/terraform/real/ (built-in `terraform_data` resources, the
`local` backend, one var-file per environment) into its tmp directory and runs `azprov plan`,
`azprov apply` and `azprov verify` through the CLI, asserting the lines the user reads.
Nothing reaches the network: terraform's version check is off (CHECKPOINT_DISABLE), its CLI
configuration installs providers only from an empty local mirror (a configuration that needs
one fails at once instead of downloading it), and `responses` refuses any request azprov
itself would make.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.terraform.runner import Terraform, TerraformError

pytestmark = pytest.mark.real_terraform

CONFIGURATION = Path(__file__).parent / "fixtures" / "terraform" / "real"
runner = CliRunner()


@dataclass(frozen=True)
class Workspace:
    """A copy of the configuration in tmp_path, the terraform binary and its version."""

    root: Path
    binary: str
    version: str

    @property
    def terraform_dir(self) -> Path:
        return self.root / "terraform"

    def state(self, environment: str) -> dict[str, Any] | None:
        path = self.terraform_dir / f"{environment}.tfstate"
        if not path.is_file() or not path.read_text():
            return None
        state: dict[str, Any] = json.loads(path.read_text())
        return state

    def resources(self, environment: str) -> dict[str, Any]:
        """`address: input` of every resource in the environment's state file."""
        state = self.state(environment) or {}
        return {
            f"{r['type']}.{r['name']}": r["instances"][0]["attributes"]["input"]["value"]
            for r in state.get("resources", [])
        }


@pytest.fixture
def real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsps: responses.RequestsMock
) -> Workspace:
    """The workspace, with terraform kept offline and every HTTP request of azprov refused."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform not found on PATH (the real-terraform tests need Terraform >= 1.4)")
    shutil.copytree(CONFIGURATION, tmp_path / "terraform")
    mirror, cache = tmp_path / "no-providers", tmp_path / "plugin-cache"
    mirror.mkdir()
    cache.mkdir()
    rc = tmp_path / "terraformrc"
    rc.write_text(
        f"provider_installation {{\n  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}"
        f"\n  }}\n}}\nplugin_cache_dir = {json.dumps(str(cache))}\n"
    )
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(cache))
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    for name in list(os.environ):
        if name.startswith(("TF_CLI_ARGS", "TF_LOG")) or name in ("TF_WORKSPACE", "TF_DATA_DIR"):
            monkeypatch.delenv(name)
    version = subprocess.run(
        [binary, "version", "-json"], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(version.stdout)["terraform_version"]
    if tuple(int(n) for n in re.findall(r"\d+", found)[:2]) < (1, 4):
        pytest.skip(f"terraform {found} on PATH has no terraform_data (the tests need >= 1.4)")
    return Workspace(tmp_path, binary, found)


def azprov(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "\x1b" not in result.stderr, "terraform's output reached the user with escapes"
    return result.exit_code, result.stdout, result.stderr


def error_line(stderr: str) -> str:
    """The last line on stderr, which must be azprov's only error line."""
    lines = stderr.strip().splitlines()
    assert sum(line.startswith("azprov: error:") for line in lines) == 1, stderr
    assert lines[-1].startswith("azprov: error: "), stderr
    return lines[-1]


def test_plan_apply_show_verify_keep_each_environment_in_its_own_state(real: Workspace) -> None:
    code, out, err = azprov("plan", "--env", "test")
    assert code == 2, err
    assert out.startswith("Plan for test: 2 to create, 0 to update, 0 to replace, 0 to destroy")
    assert "+ create   terraform_data.app" in out
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in err  # terraform's own, streamed
    meta = json.loads((real.root / ".azprov" / "test" / "plan-meta.json").read_text())
    assert (meta["environment"], meta["state_key"], meta["has_changes"]) == (
        "test",
        "test.tfstate",
        True,
    )

    code, out, err = azprov("apply", "--env", "test", "--yes")
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." in err
    assert real.resources("test") == {"terraform_data.app": "app-test", "terraform_data.scale": 1}
    assert real.state("prod") is None  # test's apply never touches prod's state
    assert not (real.root / ".azprov" / "test" / "tfplan").exists()
    # The apply went through; the verify after it has nothing in Azure to compare.
    assert code == 1
    assert "no Azure resources" in error_line(err)

    # `show -json` of the applied state, through azprov's runner.
    shown = json.loads(Terraform(Path("terraform")).show_state_json())
    addresses = {r["address"] for r in shown["values"]["root_module"]["resources"]}
    assert addresses == {"terraform_data.app", "terraform_data.scale"}

    # verify without --state: init with test's state, then show -json.
    code, _, err = azprov("verify", "--env", "test")
    assert code == 1
    assert "no Azure resources" in error_line(err)

    assert azprov("plan", "--env", "test")[:2] == (
        0,
        "Plan for test: 0 to create, 0 to update, 0 to replace, 0 to destroy\n"
        "No changes: the infrastructure matches the configuration.\n",
    )
    code, out, _ = azprov("plan", "--env", "prod")  # its own, still empty, state
    assert code == 2
    assert out.startswith("Plan for prod: 2 to create")


def test_apply_refuses_a_plan_whose_var_file_or_configuration_changed(real: Workspace) -> None:
    assert azprov("plan", "--env", "test")[0] == 2
    var_file = real.terraform_dir / "test.tfvars"
    var_file.write_text(var_file.read_text().replace("replicas    = 1", "replicas    = 3"))
    code, _, err = azprov("apply", "--env", "test", "--yes")
    assert code == 1
    assert err == (
        "azprov: error: terraform/test.tfvars changed since the plan was made: "
        "run `azprov plan --env test` again\n"
    )

    assert azprov("plan", "--env", "test")[0] == 2
    with (real.terraform_dir / "main.tf").open("a") as main_tf:
        main_tf.write('\nresource "terraform_data" "extra" {}\n')
    code, _, err = azprov("apply", "--env", "test", "--yes")
    assert code == 1
    assert err == (
        "azprov: error: the Terraform configuration (*.tf) changed since the plan was made: "
        "run `azprov plan --env test` again\n"
    )
    assert real.resources("test") == {}  # nothing was applied


def test_terraform_refuses_a_plan_made_before_the_state_changed(real: Workspace) -> None:
    """Same files, but another run applied since: terraform's own check, in one line."""
    assert azprov("plan", "--env", "test")[0] == 2
    apply = ["apply", "-no-color", "-auto-approve", "-input=false", "-var-file=test.tfvars"]
    other = subprocess.run(
        [real.binary, "-chdir=terraform", *apply],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert other.returncode == 0, other.stdout + other.stderr
    code, _, err = azprov("apply", "--env", "test", "--yes")
    assert code == 1
    assert error_line(err) == (
        "azprov: error: terraform apply failed: Saved plan is stale: The given plan file can "
        "no longer be applied because the state was changed by another operation after the "
        "plan was created"
    )


class LockHolder:
    """A real `terraform apply` waiting at its confirmation prompt holds test's state lock."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None

    def hold(self, deadline_seconds: float = 60) -> None:
        """Start the apply and return once it asks (it has taken the lock by then)."""
        env = {k: v for k, v in os.environ.items() if k not in ("TF_INPUT", "TF_IN_AUTOMATION")}
        self.process = subprocess.Popen(
            [self.binary, "-chdir=terraform", "apply", "-no-color", "-var-file=test.tfvars"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        assert self.process.stdout is not None
        seen = b""
        deadline = time.monotonic() + deadline_seconds
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b"Enter a value:" not in seen:
                left = deadline - time.monotonic()
                assert left > 0, f"terraform apply never asked: {seen.decode(errors='replace')}"
                if selector.select(timeout=left):
                    chunk = os.read(self.process.stdout.fileno(), 4096)
                    assert chunk, f"terraform apply ended: {seen.decode(errors='replace')}"
                    seen += chunk

    def release(self) -> None:
        """Answer nothing (EOF): terraform cancels the apply and unlocks."""
        if self.process is None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def lock_holder(real: Workspace) -> Iterator[LockHolder]:
    holder = LockHolder(real.binary)
    try:
        yield holder
    finally:
        holder.release()


def test_a_held_state_lock_is_one_line_with_the_lock_id(
    real: Workspace, lock_holder: LockHolder
) -> None:
    assert azprov("plan", "--env", "test")[0] == 2  # saved before the lock is taken
    lock_holder.hold()
    info = json.loads((real.terraform_dir / ".test.tfstate.lock.info").read_text())
    held = (
        f"lock ID {info['ID']}, held by {info['Who']} since "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \+0000 UTC \(OperationTypeApply\): wait for "
        "that run to finish, or if it died, run "
        f"`terraform -chdir=terraform force-unlock {info['ID']}`"
    )
    for command, *extra in (["apply", "--yes"], ["plan"]):
        code, _, err = azprov(command, "--env", "test", *extra)
        assert code == 1
        line = error_line(err)
        assert re.fullmatch(
            rf"azprov: error: terraform {command}: the state is locked \(Error acquiring the "
            rf"state lock: [^)]+\); {held}",
            line,
        ), line
    assert real.resources("test") == {}


def test_a_missing_var_file_is_named_before_terraform_runs(real: Workspace) -> None:
    (real.terraform_dir / "prod.tfvars").unlink()
    code, _, err = azprov("plan", "--env", "prod")
    assert code == 1
    assert err == "azprov: error: var-file not found: terraform/prod.tfvars (environment 'prod')\n"
    assert not (real.terraform_dir / ".terraform").exists()  # terraform never started

    # Had it run, terraform's own words would say the same, in one line.
    terraform = Terraform(Path("terraform"))
    terraform.init("prod.tfstate")
    with pytest.raises(TerraformError) as failure:
        terraform.plan("prod.tfvars", None)
    assert str(failure.value) == (
        "terraform plan: Failed to read variables file: Given variables file prod.tfvars does "
        "not exist (var-files are read relative to terraform)"
    )


def test_a_required_version_the_binary_does_not_satisfy(real: Workspace) -> None:
    main_tf = real.terraform_dir / "main.tf"
    main_tf.write_text(main_tf.read_text().replace('">= 1.4.0"', '">= 99.0"'))
    code, _, err = azprov("plan", "--env", "test")
    assert code == 1
    assert error_line(err) == (
        "azprov: error: terraform init: Unsupported Terraform Core version: This configuration "
        f'does not support Terraform version {real.version} (required_version ">= 99.0", '
        "main.tf line 4): install a Terraform that satisfies it"
    )
    assert not (real.root / ".azprov" / "test" / "tfplan").exists()


def test_a_provider_to_download_fails_at_once_without_the_network(real: Workspace) -> None:
    (real.terraform_dir / "providers.tf").write_text(
        'terraform {\n  required_providers {\n    azurerm = {\n      source = "hashicorp/azurerm"'
        "\n    }\n  }\n}\n"
    )
    code, _, err = azprov("plan", "--env", "test")
    assert code == 1
    assert error_line(err) == (
        "azprov: error: terraform init failed: Failed to query available provider packages: "
        "Could not retrieve the list of available versions for provider hashicorp/azurerm: "
        "provider registry.terraform.io/hashicorp/azurerm was not found in any of the search "
        "locations"
    )
