"""The only module that starts terraform. Every failure becomes one `TerraformError` line."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from provisioner.errors import AzprovError


class TerraformError(AzprovError):
    """terraform is missing, or a terraform command failed."""


class Terraform:
    """A typed wrapper around the terraform binary for one working directory."""

    def __init__(self, workdir: Path, environ: Mapping[str, str] | None = None) -> None:
        self.workdir = workdir
        self.environ = dict(os.environ if environ is None else environ)
        self.environ.setdefault("TF_IN_AUTOMATION", "1")

    def _binary(self) -> str:
        found = shutil.which("terraform", path=self.environ.get("PATH"))
        if not found:
            raise TerraformError(
                "terraform not found on PATH: install Terraform, or pass --state FILE "
                "(a terraform.tfstate or `terraform show -json` output)"
            )
        return found

    def run(self, args: Sequence[str], capture: bool = True) -> str:
        """Run `terraform -chdir=<workdir> ARGS`; return stdout; raise on failure."""
        argv = [self._binary(), f"-chdir={self.workdir}", *args]
        proc = subprocess.run(
            argv, env=self.environ, capture_output=capture, text=True, check=False
        )
        if proc.returncode != 0:
            detail = _first_error_line(proc.stderr or "") or f"exit code {proc.returncode}"
            raise TerraformError(f"terraform {args[0]} failed: {detail}")
        return proc.stdout or ""

    def init(self, state_key: str) -> None:
        self.run(["init", "-input=false", "-reconfigure", f"-backend-config=key={state_key}"])

    def show_state_json(self) -> str:
        return self.run(["show", "-json"])


def _first_error_line(stderr: str) -> str:
    """Terraform prints boxed diagnostics; the line after `Error:` is the useful one."""
    for line in stderr.splitlines():
        text = line.strip().lstrip("│╷╵").strip()
        if text.startswith("Error:"):
            return text.removeprefix("Error:").strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""
