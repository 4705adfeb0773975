"""The only module that starts subprocesses (terraform, git). Failures become one line.

Every terraform call runs as `terraform -chdir=<terraform dir> COMMAND -no-color ...` with
TF_IN_AUTOMATION=1 and TF_INPUT=0. Commands whose output the user should watch (init, plan,
apply) stream it live to stderr, so that azprov's own stdout stays clean for its summary;
`show -json` is captured. When a command fails, terraform's diagnostics are turned into one
`TerraformError` line: the error's summary and the first sentence of its detail.

`init` gives each environment its own state in whatever backend the configuration declares
(`terraform { backend "TYPE" {} }`): it sets that backend's own state-location setting
(`key` for azurerm, `path` for local, ...) to the environment's `state_key`.
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

from provisioner.errors import AzprovError, ConfigError
from provisioner.terraform.configuration import declared_backends

BACKEND_ENV_PREFIX = "AZPROV_BACKEND_"
# `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes present.
PLAN_NO_CHANGES, PLAN_CHANGES = 0, 2
# The setting by which each backend names one state: azprov sets it per environment.
STATE_LOCATION = {
    "azurerm": "key",
    "consul": "path",
    "gcs": "prefix",
    "local": "path",
    "s3": "key",
}
# Commands of two words (`terraform state rm`): `-no-color` goes after both.
_TWO_WORD_COMMANDS = frozenset({"state", "workspace", "providers"})


class TerraformError(AzprovError):
    """terraform is missing, or a terraform command failed."""


def backend_config(
    environ: Mapping[str, str], configured: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Backend settings: the `[backend]` table, overridden by `AZPROV_BACKEND_*` variables.

    `AZPROV_BACKEND_STORAGE_ACCOUNT_NAME=st1` becomes `storage_account_name=st1`. A state
    location (`key`, `path`, `prefix`) is never taken from here: it belongs to the
    environment, so that two environments can never share one state by accident.
    """
    merged = {k: str(v) for k, v in (configured or {}).items()}
    for name, value in sorted(environ.items()):
        if name.startswith(BACKEND_ENV_PREFIX) and value:
            merged[name.removeprefix(BACKEND_ENV_PREFIX).lower()] = value
    for setting in STATE_LOCATION.values():
        merged.pop(setting, None)
    return merged


def state_location_setting(terraform_dir: Path) -> tuple[str, str]:
    """The configuration's backend type and the setting that names one state in it.

    Refuses, in one line, a configuration without a backend (terraform would keep every
    environment in one `terraform.tfstate`), with several, or with one azprov cannot give a
    per-environment state (HCP Terraform's `cloud` block, `remote`, `http`, ...).
    """
    if not terraform_dir.is_dir():
        raise ConfigError(
            f"terraform directory not found: {terraform_dir} (set `dir` under [terraform] "
            "in azprov.toml)"
        )
    backends = declared_backends(terraform_dir)
    supported = ", ".join(sorted(STATE_LOCATION))
    if not backends:
        raise ConfigError(
            f"the configuration in {terraform_dir} declares no backend, so every environment "
            'would share one state: add `backend "azurerm" {}` (or `backend "local" {}` for '
            "state files next to the configuration) to its `terraform {}` block"
        )
    if len(backends) > 1:
        where = ", ".join(f"{b.type} in {b.path.name}" for b in backends)
        raise ConfigError(
            f"the configuration in {terraform_dir} declares several backends ({where}): keep one"
        )
    backend = backends[0]
    setting = STATE_LOCATION.get(backend.type)
    if setting is None:
        what = "a `cloud` block" if backend.type == "cloud" else f'backend "{backend.type}"'
        raise ConfigError(
            f"{backend.path} declares {what}, where azprov cannot give each environment its "
            f"own state; use one of the backends {supported}"
        )
    return backend.type, setting


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
        # azprov never lets terraform ask (it would wait on a closed stdin), and in CI this
        # stops terraform suggesting commands to type next.
        self.environ["TF_IN_AUTOMATION"] = "1"
        self.environ["TF_INPUT"] = "0"
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

        `-no-color` is added after the command's name. With `capture`, return stdout.
        Without, stream stdout and stderr live to stderr and return what was printed.
        """
        code, out, everything = self._call(args, capture)
        if code != 0:
            raise TerraformError(describe_failure(args, code, everything, self.workdir))
        return out

    def _call(self, args: Sequence[str], capture: bool) -> tuple[int, str, str]:
        """Exit code, stdout, and stdout plus stderr (for the error message)."""
        words = 2 if args[:1] and args[0] in _TWO_WORD_COMMANDS else 1
        argv = [
            self._binary(),
            f"-chdir={self.workdir}",
            *args[:words],
            "-no-color",
            *args[words:],
        ]
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
            errors="replace",
            bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                # Plan output quotes values read from Azure; a wrapper may add colour.
                echo.write(plain_text(line.rstrip("\n")) + "\n")
                echo.flush()
                seen.append(line)
        return proc.returncode, "".join(seen)

    def init(self, state_key: str) -> None:
        """`init` with the environment's own state in the configuration's backend.

        The backend's state-location setting (`key`, `path`, ...) is the environment's
        `state_key`; the `[backend]` settings and `AZPROV_BACKEND_*` variables add the rest.
        """
        self._binary()  # "terraform not found" says more than a missing directory would
        _, location = state_location_setting(self.workdir)
        settings = [f"-backend-config={k}={v}" for k, v in self.backend.items()]
        self.run(
            [
                "init",
                "-input=false",
                "-reconfigure",
                f"-backend-config={location}={state_key}",
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
            raise TerraformError(describe_failure(args, code, out, self.workdir))
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

# CSI (colours, cursor), OSC (titles, hyperlinks) and other escape sequences, then any C0/C1
# control character left (tabs and newlines aside).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DIAGNOSTIC = re.compile(r"^(Error|Warning): *(.*)$")
_LOCATION = re.compile(r"^\s+on (.+?) line (\d+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(`])")
_LOCK_FIELD = re.compile(r"^\s*(ID|Who|Created|Operation|Error message):\s*(.*?)\s*$")
_REQUIRED_VERSION = re.compile(r'required_version\s*=\s*"([^"]+)"')
_MAX_QUOTE = 400
_NOT_INITIALIZED = (
    "Required plugins are not installed",
    "Inconsistent dependency lock file",
    "Could not load plugin",
    "Missing required provider",
    "Backend initialization required",
    "Module not installed",
)


def plain_text(text: str) -> str:
    """`text` without terminal escape sequences or control characters (tabs and newlines kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


@dataclass(frozen=True)
class Diagnostic:
    """One `Error:` or `Warning:` terraform printed, without its box and colours."""

    severity: str
    summary: str
    body: tuple[str, ...]

    def _paragraphs(self) -> list[list[str]]:
        paragraphs: list[list[str]] = [[]]
        for line in self.body:
            if line.strip():
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        return [p for p in paragraphs if p]

    @property
    def location(self) -> str | None:
        """`main.tf line 2`, from terraform's `on main.tf line 2, in terraform:`."""
        for paragraph in self._paragraphs():
            found = _LOCATION.match(paragraph[0])
            if found:
                return f"{found[1]} line {found[2]}"
        return None

    @property
    def detail(self) -> str:
        """The first sentence of the explanation (the quoted source lines skipped)."""
        for paragraph in self._paragraphs():
            if not _LOCATION.match(paragraph[0]):
                text = " ".join(line.strip() for line in paragraph)
                # azprov's line goes on after it, so its full stop goes.
                return _SENTENCE_END.split(text, maxsplit=1)[0].removesuffix(".")
        return ""

    def field(self, name: str) -> str | None:
        """A `Name: value` line of the body, such as the lock's `ID:`."""
        for line in self.body:
            found = _LOCK_FIELD.match(line)
            if found and found[1] == name:
                return found[2] or None
        return None


def _unboxed(line: str) -> str:
    """A line without the `│ ` border terraform draws around diagnostics when colour is on."""
    line = plain_text(line).rstrip()
    if line in ("╷", "╵", "│"):
        return ""
    return line.removeprefix("│ ")


def diagnostics(output: str) -> list[Diagnostic]:
    """The diagnostics in terraform's output, boxed (colour on) or not (`-no-color`)."""
    found: list[tuple[str, str, list[str]]] = []
    for line in map(_unboxed, output.splitlines()):
        start = _DIAGNOSTIC.match(line)
        if start:
            found.append((start[1], start[2].strip(), []))
        elif found:
            found[-1][2].append(line)
    return [Diagnostic(severity, summary, tuple(body)) for severity, summary, body in found]


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1].rstrip() + "…"


def describe_failure(args: Sequence[str], code: int, output: str, workdir: Path) -> str:
    """One line saying what went wrong and what to do: terraform's error and its first sentence."""
    words = 2 if args[:1] and args[0] in _TWO_WORD_COMMANDS else 1
    command = " ".join(["terraform", *args[:words]])
    rerun = f"terraform -chdir={workdir}"
    errors = [d for d in diagnostics(output) if d.severity == "Error"]
    if not errors:
        rest = [line for line in map(_unboxed, output.splitlines()) if line.strip()]
        return f"{command} failed: " + _clip(rest[-1] if rest else f"exit code {code}")
    error = errors[0]
    others = len(errors) - 1
    more = f" (and {others} more error{'s' if others > 1 else ''})" if others else ""
    quoted = _clip(f"{error.summary}: {error.detail}" if error.detail else error.summary)
    if error.summary.startswith("Error acquiring the state lock"):
        lock_id = error.field("ID")
        reason = error.field("Error message")
        held = f"held by {error.field('Who') or 'someone'}"
        held += f" since {error.field('Created')}" if error.field("Created") else ""
        held += f" ({error.field('Operation')})" if error.field("Operation") else ""
        unlock = f"{rerun} force-unlock {lock_id}" if lock_id else f"{rerun} force-unlock LOCK_ID"
        return (
            f"{command}: the state is locked ({error.summary}"
            + (f": {_clip(reason)}" if reason else "")
            + f"); lock ID {lock_id or 'unknown'}, {held}: wait for that run to finish, "
            f"or if it died, run `{unlock}`"
        )
    if error.summary.startswith(_NOT_INITIALIZED):
        return (
            f"{command}: {quoted}{more}; terraform is not initialized for this "
            f"configuration: run `{rerun} init -upgrade` and commit .terraform.lock.hcl"
        )
    if error.summary.startswith("Unsupported Terraform Core version"):
        wanted = _REQUIRED_VERSION.search("\n".join(error.body))
        where = ", ".join(
            part
            for part in (f'required_version "{wanted[1]}"' if wanted else "", error.location)
            if part
        )
        return (
            f"{command}: {quoted}" + (f" ({where})" if where else "") + f"{more}: "
            "install a Terraform that satisfies it"
        )
    if error.summary.startswith("Failed to read variables file"):
        return f"{command}: {quoted}{more} (var-files are read relative to {workdir})"
    where = f" ({error.location})" if error.location else ""
    detail = f": {_clip(error.detail)}" if error.detail else ""
    return f"{command} failed: {_clip(error.summary)}{where}{detail}{more}"
