"""Options, error handling and I/O shared by the commands."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from provisioner.analysers.policy import RuleSet, rules_for
from provisioner.cli.sources import Sources, other_environments, snapshot_reader
from provisioner.config import CONFIG_FILE, Environment, Settings, load_settings
from provisioner.errors import AzprovError, ConfigError
from provisioner.live import (
    DEFAULT_TIMEOUT_S,
    ArmClient,
    Connection,
    Deadline,
    Inventory,
    Scope,
    Throttle,
    credential_from_environment,
    read_inventory,
)
from provisioner.model import Gate, Severity, clean_text, sanitize_text
from provisioner.pipeline import Explain
from provisioner.pipeline.checks import Checks
from provisioner.pipeline.filter import FindingFilter
from provisioner.reporters.terminal import Terminal
from provisioner.state import StateDocument, load_state, parse_state
from provisioner.state.plan import Plan
from provisioner.terraform.configuration import lifecycle_ignores
from provisioner.terraform.runner import Terraform

stderr = Console(stderr=True, highlight=False)
# `-o -`: stdout, for every command that writes a file.
STDOUT = "-"

P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


_ENV_HELP = "Environment to work on, as named in azprov.toml."
_ENV_OPTION = typer.Option("--env", "-e", help=_ENV_HELP)
EnvOption = Annotated[str, _ENV_OPTION]


def describe_environments(root: Path = Path()) -> None:
    """Name the environments in `--env`'s help: those `azprov.toml` in `root` declares, or
    the defaults. Called when the app is built; a settings file that cannot be read keeps
    the generic help (the command itself then reports the file's error)."""
    try:
        names = list(load_settings(None, root).environments)
    except AzprovError:
        _ENV_OPTION.help = _ENV_HELP
        return
    source = CONFIG_FILE if (root / CONFIG_FILE).is_file() else "the defaults; no azprov.toml here"
    _ENV_OPTION.help = f"Environment to work on: {', '.join(names)} ({source})."


# What the commands that read Azure or run terraform take from the environment besides
# their options (shown under their help; `\b` keeps Click from rewrapping it).
ENVIRONMENT_HELP = """Environment variables:

\b
  AZPROV_ACCESS_TOKEN    a bearer token for ARM; without it, sign-in is
                         DefaultAzureCredential's: az login, AZURE_CLIENT_ID
                         with AZURE_TENANT_ID and AZURE_CLIENT_SECRET or
                         AZURE_FEDERATED_TOKEN_FILE, or a managed identity
  AZPROV_BACKEND_<NAME>  a -backend-config setting for terraform init
  COLUMNS                the terminal views' width (default: the terminal's)
  NO_COLOR, FORCE_COLOR  no colour; colour even when stdout is not a terminal
  CI                     when set, no progress display"""
StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="Read the state from this file (terraform.tfstate or `terraform show -json` "
        "output) instead of asking terraform.",
        dir_okay=False,
    ),
]
SubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        envvar="AZURE_SUBSCRIPTION_ID",
        help="Subscription ID; by default the one the state's resource IDs name.",
    ),
]
ArmEndpointOption = Annotated[
    str,
    typer.Option(
        "--arm-endpoint",
        envvar="AZPROV_ARM_ENDPOINT",
        help="Azure Resource Manager endpoint (sovereign clouds, local fakes).",
    ),
]
ResourceGraphOption = Annotated[
    bool,
    typer.Option(
        "--resource-graph/--no-resource-graph",
        help="Read Azure through one Resource Graph query (drift confirmed by direct reads), "
        "or with one list call per resource group and type.",
    ),
]
LiveOption = Annotated[
    Path | None,
    typer.Option(
        "--live",
        help="Replay a snapshot written by `azprov snapshot` instead of reading Azure.",
        dir_okay=False,
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        envvar="AZPROV_TIMEOUT",
        min=1,
        help="Seconds the whole run may take reading Azure; past it azprov stops, says what "
        "it did not read, and exits 1.",
    ),
]
ActivityLogOption = Annotated[
    bool,
    typer.Option(
        "--activity-log",
        help="Also read the Activity Log for drift Resource Graph's change records do not "
        "explain (one list per resource group concerned; needs Reader).",
    ),
]
AttributionOption = Annotated[
    bool,
    typer.Option(
        "--attribution/--no-attribution",
        help="Ask Resource Graph's change records who made each drift (one more query per "
        "environment read from Azure); --no-attribution skips it and leaves attribution empty.",
    ),
]
LookBackOption = Annotated[
    int,
    typer.Option(
        "--look-back",
        min=1,
        max=90,
        help="Days of Activity Log --activity-log reads (the Activity Log keeps 90).",
    ),
]
BaselineOption = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        dir_okay=False,
        help="The previous run's JSON report (`verify --format json`): each finding is marked "
        "new or not, and keeps when it was first seen.",
    ),
]


class FailOn(StrEnum):
    any = "any"
    new = "new"


FailOnOption = Annotated[
    FailOn,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        help="Which findings exit 2: `any` (default), or only `new` ones (needs --baseline).",
    ),
]
FailOnSeverityOption = Annotated[
    Severity,
    typer.Option(
        "--fail-on-severity",
        case_sensitive=False,
        help="Exit 2 only for findings of this severity or higher (default: low, i.e. all).",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file (default: ./azprov.toml if present)."),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
]


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an `AzprovError` into one line on stderr and exit code 1.

    A report that cannot be written (`| head -0`, a closed stdout, a full disk) is such an
    error too, even when found only at the final flush: a verdict nobody could read is
    not a clean exit, nor a "findings" one.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            try:
                return command(*args, **kwargs)
            finally:
                _flush_stdout()
        except AzprovError as exc:
            say(f"azprov: error: {exc}")
            raise typer.Exit(1) from None
        except BrokenPipeError as exc:  # typer.echo of a report, before the final flush
            _stdout_gone()
            say(f"azprov: error: cannot write to stdout: {exc.strerror}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            say("azprov: interrupted")
            raise typer.Exit(130) from None

    return wrapper


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except OSError as exc:
        _stdout_gone()
        raise AzprovError(f"cannot write to stdout: {exc.strerror or exc}") from None


def _stdout_gone() -> None:
    """Point stdout at /dev/null, so Python's own flush at exit finds nothing to fail on."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (tests' capture, closed stdout)
        pass


def finding_filter(settings: Settings, env: Environment) -> FindingFilter:
    """The environment's ignore list and suppressions, and Terraform's `ignore_changes`."""
    return FindingFilter.of(env, lifecycle_ignores(settings.terraform_dir))


def gate(fail_on: FailOn, severity: Severity, baseline: Path | None) -> Gate:
    if fail_on is FailOn.new and baseline is None:
        raise ConfigError("--fail-on new needs --baseline PREVIOUS.json to tell what is new")
    return Gate(new_only=fail_on is FailOn.new, min_severity=severity)


def settings_and_env(config: Path | None, env_name: str) -> tuple[Settings, Environment]:
    settings = load_settings(config)
    return settings, settings.environment(env_name)


def state_reader(
    settings: Settings, env: Environment, path: Path | None
) -> Callable[[], StateDocument]:
    """From `--state PATH`, or from terraform in the environment's backend."""
    if path is not None:
        return lambda: load_state(path)

    def from_terraform() -> StateDocument:
        terraform = Terraform(settings.terraform_dir, backend=settings.backend)
        terraform.init(env.state_key)  # streams terraform's own output: progress enough
        return shown_state(terraform, env)

    return from_terraform


def shown_state(terraform: Terraform, env: Environment) -> StateDocument:
    """The environment's state from `terraform show -json` (after `init`), with a spinner:
    terraform prints nothing while it reads a large state."""
    with working(f"reading {env.name}'s state (terraform show)"):
        text = terraform.show_state_json()
    return parse_state(text, source=f"terraform show ({env.state_key})")


class _TerminalProgress:
    """Progress on stderr while lists run; only used when stderr is a terminal."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("reading Azure", total=0)

    def add(self, count: int) -> None:
        total = self._progress.tasks[0].total or 0
        self._progress.update(self._task, total=total + count)

    def done(self, label: str) -> None:
        self._progress.update(self._task, advance=1, description=clean_text(f"read {label}"))


def shows_progress() -> bool:
    """Progress is drawn on a terminal's stderr only: never into a log or a CI run."""
    return stderr.is_terminal and not stderr.is_dumb_terminal and not os.environ.get("CI")


@contextmanager
def progress_for() -> Iterator[_TerminalProgress | None]:
    """A bar counting Azure's lists and reads, on a terminal's stderr (else nothing)."""
    if not shows_progress():
        yield None
        return
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr, transient=True) as progress:
        yield _TerminalProgress(progress)


@contextmanager
def working(label: str) -> Iterator[None]:
    """A spinner with `label` on a terminal's stderr while silent work runs (terraform
    show, a GitHub post); it leaves no trace in the output."""
    if not shows_progress():
        yield
        return
    with stderr.status(clean_text(label)):
        yield


@dataclass(frozen=True)
class AzureAccess:
    """How this run reads Azure: endpoint, path, and the one deadline every read shares.

    The deadline starts when the command does, so terraform's time counts too.
    """

    arm_endpoint: str
    resource_graph: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    # No table on the terminal to list the read's notes: they go to stderr instead.
    quiet: bool = False
    attribution: bool = True  # read Resource Graph's change records with the inventory
    deadline: Deadline = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "deadline", Deadline(self.timeout_s))


def azure_reader(access: AzureAccess, changes: bool = True) -> Callable[[Scope], Inventory]:
    """Read a scope from Azure: through Resource Graph, or one list call per type.

    With `changes` (and `access.attribution`), the change records come too: who made each
    drift. Only the target's drift is attributed, so the other environments go without.
    """

    def read(scope: Scope) -> Inventory:
        connection = Connection(
            subscription_id=scope.subscription_id,
            credential=credential_from_environment(),
            arm_endpoint=access.arm_endpoint,
        )
        throttle = Throttle(workers=connection.workers, deadline=access.deadline)
        with progress_for() as progress:
            inventory = read_inventory(
                ArmClient(connection, throttle),
                scope,
                progress,
                resource_graph=access.resource_graph,
                attribution=access.attribution and changes,
            )
        if access.quiet:  # the table shows them with the findings
            for note in inventory.notes:
                say(f"azprov: note: {note}")
        return inventory

    return read


def activity_explainer(access: AzureAccess, days: int) -> Explain:
    """Reads the Activity Log of some resource groups; a failure is an `AzprovError`."""

    def explain(subscription: str, groups: Sequence[str]) -> list[dict[str, Any]]:
        from azure.core.exceptions import AzureError

        from provisioner.live.activity_log import read_activity

        connection = Connection(subscription, credential_from_environment(), access.arm_endpoint)
        arm = ArmClient(connection, Throttle(workers=connection.workers, deadline=access.deadline))
        try:
            return read_activity(arm, groups, datetime.now(UTC), days)
        except AzureError as exc:
            raise AzprovError(sanitize_text(" ".join(str(exc).split()))[:300]) from None

    return explain


def live_reader(
    live: Path | None, environment: str, access: AzureAccess
) -> tuple[Callable[[Scope], Inventory], str]:
    """The live side and its name for reports: a snapshot file (`--live`) or Azure."""
    if live is None:
        return azure_reader(access), "azure"
    return snapshot_reader(live, environment), str(live)


def stdout_is_terminal() -> bool:
    """Whether a person is reading stdout (not a pipe, a file or a job summary)."""
    try:
        return sys.stdout.isatty()
    except (ValueError, AttributeError):  # closed, or replaced by something without one
        return False


def to_file(output: Path | None) -> Path | None:
    """`-o FILE` as the file, `-o -` (or no -o) as None: stdout."""
    return None if output is None or str(output) == STDOUT else output


def terminal_for(to_stdout: bool) -> Terminal:
    """How a terminal view is drawn: for stdout, as Rich sees the stream (a TTY or
    FORCE_COLOR gets styles, NO_COLOR drops their colours, the width is COLUMNS, else the
    terminal's, else 80); for a file, the same width without styles."""
    console = Console(file=sys.stdout)
    if not to_stdout:
        return Terminal(width=console.width)
    styled = console.is_terminal and not console.is_dumb_terminal
    return Terminal(width=console.width, styled=styled, no_color=console.no_color)


def say(line: str) -> None:
    """One line on stderr, as plain text: no markup, no control characters."""
    stderr.print(clean_text(line), markup=False, highlight=False, soft_wrap=True)


def emit(text: str, output: Path | None, private: bool = False) -> None:
    """Write a report to `output` (readable by its owner alone when `private`), or stdout.

    Failing to is one `AzprovError` line. Characters the destination cannot encode (a
    lone surrogate from a hostile name, a non-UTF-8 terminal) become `?`, not a crash.
    """
    if output is None:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        try:
            sys.stdout.write(text.encode(encoding, "replace").decode(encoding))
            sys.stdout.flush()
        except OSError as exc:  # BrokenPipeError (`| head -0`), EBADF (`>&-`), ENOSPC
            _stdout_gone()
            raise AzprovError(f"cannot write the report to stdout: {exc.strerror or exc}") from None
        return
    try:
        if private:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_CREAT
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as handle:
                handle.write(text)
        else:
            output.write_text(text, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise AzprovError(f"cannot write {output}: {exc.strerror or exc}") from None
    say(f"wrote {output}")


def cli_checks(
    settings: Settings,
    sources: Sources,
    access: AzureAccess,
    ruleset: RuleSet | None = None,
    plan: Plan | None = None,
) -> Checks:
    """Policy and isolation checks, the other environments read the way the target is."""
    return Checks(
        policy=ruleset or rules_for(settings, sources.target),
        others=other_environments(
            settings,
            sources,
            lambda env, path: state_reader(settings, env, path),
            lambda: azure_reader(access, changes=False),
        ),
        shared=settings.shared,
        plan=plan,
    )
