"""The only module that starts subprocesses (terraform, git). Failures become one line.

Every terraform call runs as `terraform -chdir=<terraform dir> ...`. Commands whose output
the user should watch (init, plan, apply) stream it live to stderr, so that azprov's own
stdout stays clean for its summary; `show -json` is captured. When a command fails, the
boxed diagnostics terraform printed are turned into one `TerraformError` line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from provisioner.errors import AzprovError

BACKEND_ENV_PREFIX = "AZPROV_BACKEND_"
# `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes present.
PLAN_NO_CHANGES, PLAN_CHANGES = 0, 2


class TerraformError(AzprovError):
    """terraform is missing, or a terraform command failed."""


@dataclass(frozen=True)
class PlanRun:
    """A saved plan: the binary plan file, its JSON rendering and terraform's exit status."""

    planfile: Path
    json_path: Path
    exit_status: int

    @property
    def has_changes(self) -> bool:
        return self.exit_status == PLAN_CHANGES


def backend_config(
    environ: Mapping[str, str], configured: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Backend settings: the `[backend]` table, overridden by `AZPROV_BACKEND_*` variables.

    `AZPROV_BACKEND_STORAGE_ACCOUNT_NAME=st1` becomes `storage_account_name=st1`. The state
    `key` is never taken from here: it belongs to the environment, so that two environments
    can never share one state by accident.
    """
    merged = {k: str(v) for k, v in (configured or {}).items()}
    for name, value in sorted(environ.items()):
        if name.startswith(BACKEND_ENV_PREFIX) and value:
            merged[name.removeprefix(BACKEND_ENV_PREFIX).lower()] = value
    merged.pop("key", None)
    return merged


class Terraform:
    """A typed wrapper around the terraform binary for one working directory."""

    def __init__(
        self,
        workdir: Path,
        environ: Mapping[str, str] | None = None,
        backend: Mapping[str, str] | None = None,
        echo: TextIO | None = None,
    ) -> None:
        self.workdir = workdir
        self.environ = dict(os.environ if environ is None else environ)
        # Harmless everywhere; in CI it stops terraform suggesting commands to type next.
        self.environ.setdefault("TF_IN_AUTOMATION", "1")
        self.environ.setdefault("TF_INPUT", "0")
        self.backend = backend_config(self.environ, backend)
        self._echo = echo

    def _binary(self) -> str:
        found = shutil.which("terraform", path=self.environ.get("PATH"))
        if not found:
            raise TerraformError(
                "terraform not found on PATH: install Terraform, or pass --state FILE "
                "(a terraform.tfstate or `terraform show -json` output)"
            )
        return found

    def run(self, args: Sequence[str], capture: bool = True) -> str:
        """Run `terraform -chdir=<workdir> ARGS`; raise `TerraformError` on failure.

        With `capture`, return stdout. Without, stream stdout and stderr live to stderr and
        return what was printed.
        """
        code, out, everything = self._call(args, capture)
        if code != 0:
            raise TerraformError(describe_failure(args, code, everything))
        return out

    def _call(self, args: Sequence[str], capture: bool) -> tuple[int, str, str]:
        """Exit code, stdout, and stdout plus stderr (for the error message)."""
        argv = [self._binary(), f"-chdir={self.workdir}", *args]
        if capture:
            proc = subprocess.run(
                argv, env=self.environ, capture_output=True, text=True, check=False
            )
            out = proc.stdout or ""
            return proc.returncode, out, out + (proc.stderr or "")
        code, printed = self._stream(argv)
        return code, printed, printed

    def _stream(self, argv: list[str]) -> tuple[int, str]:
        echo = self._echo or sys.stderr
        seen: list[str] = []
        with subprocess.Popen(
            argv,
            env=self.environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                echo.write(line)
                echo.flush()
                seen.append(line)
        return proc.returncode, "".join(seen)

    def init(self, state_key: str) -> None:
        """`init` against the environment's own state key (and the configured backend)."""
        settings = [f"-backend-config={k}={v}" for k, v in self.backend.items()]
        self.run(
            [
                "init",
                "-input=false",
                "-reconfigure",
                f"-backend-config=key={state_key}",
                *settings,
            ],
            capture=False,
        )

    def show_state_json(self) -> str:
        return self.run(["show", "-json"])

    def plan(
        self,
        var_file: str,
        planfile: Path | None,
        variables: Sequence[str] = (),
        targets: Sequence[str] = (),
        generate_config_out: str | None = None,
    ) -> int:
        """`plan -detailed-exitcode`; returns 0 (no changes) or 2 (changes), raises on 1.

        `var_file` is relative to the terraform directory, as terraform reads it there.
        """
        args = ["plan", "-input=false", "-detailed-exitcode", f"-var-file={var_file}"]
        args += [f"-var={v}" for v in variables]
        args += [f"-target={t}" for t in targets]
        if planfile is not None:
            args.append(f"-out={planfile.resolve()}")
        if generate_config_out is not None:
            args.append(f"-generate-config-out={generate_config_out}")
        code, _, out = self._call(args, capture=False)
        if code not in (PLAN_NO_CHANGES, PLAN_CHANGES):
            raise TerraformError(describe_failure(args, code, out))
        return code

    def show_plan_json(self, planfile: Path) -> str:
        return self.run(["show", "-json", str(planfile.resolve())])

    def apply(self, planfile: Path) -> None:
        """Apply a saved plan: terraform applies exactly what it shows, without asking."""
        self.run(["apply", "-input=false", str(planfile.resolve())], capture=False)

    def state_rm(self, addresses: Sequence[str]) -> None:
        self.run(["state", "rm", *addresses], capture=False)


def git_commit(cwd: Path = Path()) -> str | None:
    """The commit checked out in `cwd`, or None when there is no git or no repository."""
    git = shutil.which("git")
    if git is None:
        return None
    proc = subprocess.run(
        [git, "rev-parse", "--verify", "HEAD"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    commit = proc.stdout.strip()
    return commit if proc.returncode == 0 and commit else None


# -- error messages ---------------------------------------------------------------------------

_BOX = "│╷╵"
# Lines terraform prints to quote the configuration, not to explain the error.
_SOURCE_QUOTE = re.compile(r"^(on |with |\d+:|[├│─┬┴]|var\.)")
_NOT_INITIALIZED = (
    "Required plugins are not installed",
    "Inconsistent dependency lock file",
    "Could not load plugin",
    "Missing required provider",
    "Backend initialization required",
    "Module not installed",
)


def _plain_lines(output: str) -> list[str]:
    return [line.strip().lstrip(_BOX).strip() for line in output.splitlines()]


def _field(lines: Sequence[str], name: str) -> str | None:
    for line in lines:
        if line.startswith(f"{name}:"):
            return line.removeprefix(f"{name}:").strip() or None
    return None


def describe_failure(args: Sequence[str], code: int, output: str) -> str:
    """One line saying what went wrong and what to do, from terraform's diagnostics."""
    command = f"terraform {args[0]}" if args else "terraform"
    lines = _plain_lines(output)
    errors = [line.removeprefix("Error:").strip() for line in lines if line.startswith("Error:")]
    if any("Error acquiring the state lock" in e for e in errors):
        lock_id, who = _field(lines, "ID"), _field(lines, "Who")
        since, operation = _field(lines, "Created"), _field(lines, "Operation")
        held = f"held by {who or 'someone'}" + (f" since {since}" if since else "")
        held += f" ({operation})" if operation else ""
        unlock = f"terraform -chdir=terraform force-unlock {lock_id}" if lock_id else "force-unlock"
        return (
            f"{command}: the state is locked (lock ID {lock_id or 'unknown'}, {held}); "
            f"wait for that run to finish, or if it died, run `{unlock}`"
        )
    if any(e.startswith(_NOT_INITIALIZED) for e in errors):
        first = next(e for e in errors if e.startswith(_NOT_INITIALIZED))
        return (
            f"{command}: terraform is not initialized for this configuration ({first}); "
            "providers are missing or do not match .terraform.lock.hcl: run "
            "`terraform -chdir=terraform init -upgrade` and commit the lock file"
        )
    if any(e.startswith("Unsupported Terraform Core version") for e in errors):
        text = " ".join(lines)
        found = re.search(r"Terraform version (\d+\.\d+\.\d+\S*?)\.?\s", text + " ")
        wanted = re.search(r'required_version\s*=\s*"([^"]+)"', text)
        return (
            f"{command}: this terraform ({found[1] if found else 'installed version'}) does "
            f"not satisfy the configuration's required_version"
            + (f" ({wanted[1]})" if wanted else "")
            + ": install a matching Terraform"
        )
    if errors:
        detail = _first_detail(lines, errors[0])
        return f"{command} failed: {errors[0]}" + (f": {detail}" if detail else "")
    rest = [line for line in lines if line]
    return f"{command} failed: {rest[-1] if rest else f'exit code {code}'}"


def _first_detail(lines: Sequence[str], summary: str) -> str:
    """The first sentence after the `Error:` line, skipping the `on main.tf line ...` part."""
    at = next(i for i, line in enumerate(lines) if line.startswith("Error:"))
    for line in lines[at + 1 :]:
        if not line or _SOURCE_QUOTE.match(line):
            continue
        if line.startswith(("Error:", "Warning:")) or line == summary:
            return ""
        return line
    return ""
