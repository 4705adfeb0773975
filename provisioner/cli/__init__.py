"""The azprov command line: the only layer that picks concrete readers and writes files.

Commands are imported when they are registered, and `main` registers only the one being
run: a plain `azprov verify` never imports the audit renderers or the HCL tooling, which
is a fair share of a sub-second run.
"""

from __future__ import annotations

import errno
import gc
import importlib
import io
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from provisioner import __version__
from provisioner.cli.common import ENVIRONMENT_HELP, describe_environments

# name -> (module, function), in the order `--help` lists them.
COMMANDS = {
    "verify": ("provisioner.cli.verify", "verify"),
    "audit": ("provisioner.cli.audit", "audit"),
    "snapshot": ("provisioner.cli.snapshot", "snapshot"),
    "plan": ("provisioner.cli.plan", "plan"),
    "apply": ("provisioner.cli.plan", "apply"),
    "import": ("provisioner.cli.adopt", "import_"),
    "reconcile": ("provisioner.cli.adopt", "reconcile"),
    # a command group: an app of subcommands (`azprov notify github`)
    "notify": ("provisioner.cli.notify", "app"),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"azprov {__version__}")
        raise typer.Exit()


def configure_logging(debug: bool) -> None:
    """The Azure SDK's log lines stay off the terminal unless `--debug` asks for all of them.

    Without this, azure-identity prints a warning for every credential it tries before
    azprov's one line says what to do.
    """
    azure = logging.getLogger("azure")
    azure.propagate = False
    for handler in [h for h in azure.handlers if getattr(h, "azprov", False)]:
        azure.removeHandler(handler)
    if not debug:
        azure.setLevel(logging.CRITICAL + 1)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.azprov = True  # type: ignore[attr-defined]
    azure.addHandler(handler)
    azure.setLevel(logging.DEBUG)


def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        envvar="AZPROV_DEBUG",
        help="Show the Azure SDK's and azprov's log lines (requests, retries, sign-in attempts) "
        "on stderr. Tokens are never logged.",
    ),
) -> None:
    """Audit Azure environments against their Terraform state.

    Exit codes, like `terraform plan -detailed-exitcode`: 0 clean, 2 findings, 1 error.
    """
    configure_logging(debug)
    if ctx.invoked_subcommand is None:  # bare `azprov`: the help, as a usage error
        typer.echo(ctx.get_help(), err=True)
        raise typer.Exit(1)


# Click's exception classes, found through Typer's public `BadParameter`: Typer vendors
# Click and keeps those modules private.
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


class AzprovGroup(TyperGroup):
    """The command group, with azprov's usage errors: one line and exit code 1.

    Click exits 2 on a usage error (an unknown option, a missing `--env`, `--format xml`),
    which CI reads as "findings" under the `terraform plan -detailed-exitcode`
    convention. Here every such error is `azprov: error: ...` with a pointer to `--help`.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        def run(standalone: bool) -> Any:
            return super(AzprovGroup, self).main(
                args, prog_name, complete_var, standalone, windows_expand_args, **extra
            )

        if not standalone_mode:
            return run(False)
        try:
            code = run(False)
        except _USAGE_ERROR as exc:
            _error_line(f"{_message(exc)} (try '{self._command_path(exc, args)} --help')")
        except _CLICK_EXCEPTION as exc:
            _error_line(_message(exc))
        except typer.Abort:
            _error_line("aborted")
        except OSError as exc:  # the help or version text to a closed stdout
            if exc.errno not in (errno.EBADF, errno.EPIPE):
                raise
            _error_line(f"cannot write to stdout: {exc.strerror}")
        sys.exit(code if isinstance(code, int) else 0)

    def _command_path(self, exc: Exception, args: Sequence[str] | None) -> str:
        """`azprov verify`: the command the error is about (Click's parser leaves some
        errors, `--state` without its value, without a context)."""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            return str(ctx.command_path)
        words = sys.argv[1:] if args is None else args
        command = next((w for w in words if w in self.commands), None)
        return f"azprov {command}" if command else "azprov"


def _message(exc: Exception) -> str:
    """Click's message on one line, in azprov's voice: `missing option '--env' / '-e'`."""
    format_message = getattr(exc, "format_message", None)
    text = " ".join(str(format_message() if format_message else exc).split()).rstrip(".")
    text = text.replace("Value error, ", "")  # Typer's wording for a bad choice
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _error_line(text: str) -> None:
    typer.echo(f"azprov: error: {text}", err=True)
    sys.exit(1)


def build_app(names: Iterable[str] = COMMANDS) -> typer.Typer:
    """The Typer app with the named commands (all of them by default)."""
    cli = typer.Typer(
        cls=AzprovGroup,
        invoke_without_command=True,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    cli.callback()(root)
    for name in names:
        module, attribute = COMMANDS[name]
        command = getattr(importlib.import_module(module), attribute)
        if isinstance(command, typer.Typer):
            cli.add_typer(command, name=name)
        else:
            cli.command(name=name, epilog=ENVIRONMENT_HELP)(command)
    # The environments of the azprov.toml where azprov runs, for `--help`.
    describe_environments()
    return cli


def __getattr__(name: str) -> Any:
    """`provisioner.cli.app`: every command, built on first use (tests, `python -m`)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


class _ClosedStdout(io.TextIOBase):
    """Stands in for a stdout the shell closed (`azprov ... >&-`): writing the report to it
    is an error azprov reports in one line, where `None` would be a crash."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


def main() -> None:
    """The `azprov` command."""
    # azprov builds large trees of decoded JSON (states, ARM bodies) that hold no reference
    # cycles. At the default thresholds the cycle collector walks them again and again as
    # they grow, a fifth of the CPU at 5,000 resources (bench/RESULTS.md), freeing nothing.
    gc.set_threshold(100_000, 50, 100)
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    # `prog_name`: the name usage lines and hints show, however azprov was started
    # (`python -m provisioner`, the console script).
    build_app([command] if command in COMMANDS else COMMANDS)(prog_name="azprov")
