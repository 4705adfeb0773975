"""scripts/bootstrap-state-backend.sh, run against a stand-in `az` that keeps state.

The fake records every call and answers `show` commands from a JSON file, so running the
script twice shows what it creates the first time and what it leaves alone the second.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ._support import SCRIPTS, require_tool

SCRIPT = SCRIPTS / "bootstrap-state-backend.sh"
SUBSCRIPTION = "0123abcd-4567-89ef-0123-456789abcdef"

FAKE_AZ = r"""
import json, os, sys
from pathlib import Path

state_file = Path(os.environ["FAKE_AZ_STATE"])
state = json.loads(state_file.read_text()) if state_file.exists() else {}
args = sys.argv[1:]
with open(os.environ["FAKE_AZ_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")

words = []
for a in args:
    if a.startswith("-"):
        break
    words.append(a)
command = " ".join(words)
opts = {}
i = len(words)
while i < len(args):
    if args[i].startswith("--"):
        value = args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else ""
        opts[args[i]] = value
        i += 2 if value else 1
    else:
        i += 1

def save():
    state_file.write_text(json.dumps(state))

def have(kind, name):
    return name in state.get(kind, [])

def add(kind, name):
    state.setdefault(kind, []).append(name)
    save()

if command == "account show":
    if state.get("logged_out"):
        print("Please run 'az login' to setup account.", file=sys.stderr)
        sys.exit(1)
    query = opts.get("--query")
    print({"id": os.environ["FAKE_AZ_SUBSCRIPTION"], "user.type": "user",
           "user.name": "ops@example.com"}[query])
elif command == "account set":
    pass
elif command == "group show":
    sys.exit(0 if have("groups", opts["--name"]) else 3)
elif command == "group create":
    add("groups", opts["--name"])
elif command == "storage account show":
    if not have("accounts", opts["--name"]):
        sys.exit(3)
    if opts.get("--query") == "id":
        print("/subscriptions/x/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s"
              % (opts["--resource-group"], opts["--name"]))
elif command == "storage account create":
    add("accounts", opts["--name"])
elif command == "storage account blob-service-properties update":
    pass
elif command == "ad signed-in-user show":
    print("11111111-2222-3333-4444-555555555555")
elif command == "role assignment list":
    key = opts["--assignee"] + " " + opts["--scope"]
    print(1 if have("roles", key) else 0)
elif command == "role assignment create":
    add("roles", opts["--assignee"] + " " + opts["--scope"])
elif command == "storage container show":
    sys.exit(0 if have("containers", opts["--name"]) else 3)
elif command == "storage container create":
    if state.get("container_denials", 0) > 0:
        state["container_denials"] -= 1
        save()
        print("AuthorizationPermissionMismatch", file=sys.stderr)
        sys.exit(1)
    add("containers", opts["--name"])
elif command == "lock create":
    pass
else:
    print("fake az: unexpected command " + command, file=sys.stderr)
    sys.exit(2)
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    calls: list[list[str]]

    def called(self, *words: str) -> list[list[str]]:
        return [c for c in self.calls if c[: len(words)] == list(words)]


class Azure:
    """A fake `az` on PATH whose resources persist across runs of the script."""

    def __init__(self, tmp_path: Path) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.state = tmp_path / "az-state.json"
        self.log = tmp_path / "az-calls.jsonl"
        az = self.bin / "az"
        az.write_text(f"#!{sys.executable}\n{FAKE_AZ}", encoding="utf-8")
        az.chmod(az.stat().st_mode | stat.S_IXUSR)

    def set(self, **values: object) -> None:
        state = json.loads(self.state.read_text()) if self.state.exists() else {}
        state.update(values)
        self.state.write_text(json.dumps(state))

    def run(self, *args: str, **env: str) -> Run:
        bash = shutil.which("bash")
        if not bash:
            pytest.skip("bash not available")
        self.log.write_text("", encoding="utf-8")
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TFSTATE_", "AZURE_", "BOOTSTRAP_"))
        }
        environ.update(
            PATH=f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            FAKE_AZ_STATE=str(self.state),
            FAKE_AZ_LOG=str(self.log),
            FAKE_AZ_SUBSCRIPTION=SUBSCRIPTION,
            BOOTSTRAP_RETRY_SECONDS="0",
            **env,
        )
        result = subprocess.run(
            [bash, str(SCRIPT), *args],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        calls = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return Run(result.returncode, result.stdout, result.stderr, calls)


@pytest.fixture
def azure(tmp_path: Path) -> Azure:
    return Azure(tmp_path)


def option(call: list[str], name: str) -> str:
    return call[call.index(name) + 1]


def test_first_run_creates_a_hardened_account_container_and_prints_backend_settings(
    azure: Azure,
) -> None:
    run = azure.run("--resource-group", "rg-state", "--location", "northeurope")
    assert run.code == 0, run.stderr

    # create only after show failed
    shows = run.called("storage", "account", "show")
    (create,) = run.called("storage", "account", "create")
    assert run.calls.index(shows[0]) < run.calls.index(create)
    assert option(create, "--min-tls-version") == "TLS1_2"
    assert option(create, "--allow-blob-public-access") == "false"
    assert option(create, "--https-only") == "true"
    assert option(create, "--location") == "northeurope"
    account = option(create, "--name")
    assert account == "sttfstate" + SUBSCRIPTION.replace("-", "")[:12]

    (blob,) = run.called("storage", "account", "blob-service-properties", "update")
    assert option(blob, "--enable-versioning") == "true"
    assert option(blob, "--enable-delete-retention") == "true"
    assert option(blob, "--delete-retention-days") == "30"
    assert option(blob, "--enable-container-delete-retention") == "true"

    (container,) = run.called("storage", "container", "create")
    assert option(container, "--auth-mode") == "login"
    assert option(container, "--name") == "tfstate"
    assert len(run.called("group", "create")) == 1
    assert len(run.called("role", "assignment", "create")) == 1

    assert 'resource_group_name  = "rg-state"' in run.stdout
    assert f'storage_account_name = "{account}"' in run.stdout
    assert 'container_name       = "tfstate"' in run.stdout
    assert "-backend-config=" in run.stdout


def test_second_run_changes_nothing_and_prints_the_same_settings(azure: Azure) -> None:
    first = azure.run()
    second = azure.run()
    assert second.code == 0, second.stderr
    for kind in (
        ("group", "create"),
        ("storage", "account", "create"),
        ("storage", "container", "create"),
        ("role", "assignment", "create"),
    ):
        assert not second.called(*kind), f"second run called az {' '.join(kind)}"
    settings = [line for line in first.stdout.splitlines() if " = " in line]
    assert settings and settings == [line for line in second.stdout.splitlines() if " = " in line]


def test_parameters_come_from_arguments_or_the_environment(azure: Azure) -> None:
    run = azure.run(
        "--storage-account",
        "stmystate01",
        "--retention-days",
        "14",
        "--grant",
        "99999999-0000-0000-0000-000000000000",
        TFSTATE_CONTAINER="states",
    )
    assert run.code == 0, run.stderr
    (create,) = run.called("storage", "account", "create")
    assert option(create, "--name") == "stmystate01"
    (blob,) = run.called("storage", "account", "blob-service-properties", "update")
    assert option(blob, "--delete-retention-days") == "14"
    (container,) = run.called("storage", "container", "create")
    assert option(container, "--name") == "states"
    grantees = {option(c, "--assignee") for c in run.called("role", "assignment", "create")}
    assert grantees == {
        "11111111-2222-3333-4444-555555555555",
        "99999999-0000-0000-0000-000000000000",
    }


def test_no_lock_skips_the_delete_lock(azure: Azure) -> None:
    assert azure.run().called("lock", "create")
    assert not azure.run("--no-lock").called("lock", "create")


def test_container_creation_is_retried_while_the_role_assignment_propagates(
    azure: Azure,
) -> None:
    azure.set(container_denials=2)
    run = azure.run()
    assert run.code == 0, run.stderr
    assert len(run.called("storage", "container", "create")) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--retention-days", "abc"], "--retention-days must be a whole number"),
        (["--retention-days", "0"], "--retention-days must be a whole number"),
        (["--storage-account", "Bad_Name"], "--storage-account must be 3-24"),
        (["--container", "X"], "--container must be 3-63"),
        (["--frobnicate"], "unknown argument: --frobnicate"),
        (["--location"], "--location needs a value"),
    ],
)
def test_bad_arguments_stop_before_anything_is_created(
    azure: Azure, args: list[str], message: str
) -> None:
    run = azure.run(*args)
    assert run.code != 0
    assert message in run.stderr
    assert not [c for c in run.calls if "create" in c]


def test_not_signed_in_is_one_clear_line(azure: Azure) -> None:
    azure.set(logged_out=True)
    run = azure.run()
    assert run.code != 0
    assert "run az login" in run.stderr
    assert not [c for c in run.calls if "create" in c]


def test_help_describes_the_options(azure: Azure) -> None:
    run = azure.run("--help")
    assert run.code == 0
    for flag in ("--resource-group", "--storage-account", "--container", "--retention-days"):
        assert flag in run.stdout
    assert not run.calls


def test_script_is_executable_and_strict() -> None:
    assert os.access(SCRIPT, os.X_OK)
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text


def test_shellcheck_is_clean() -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run(
        [shellcheck, "--severity=style", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
