"""The azprov command line: the only layer that picks concrete readers and writes files.

Commands are imported when they are registered, and `main` registers only the one being
run: a plain `azprov verify` never imports the audit renderers or the HCL tooling, which
is a fair share of a sub-second run.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable
from typing import Any

import typer

from provisioner import __version__

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


def build_app(names: Iterable[str] = COMMANDS) -> typer.Typer:
    """The Typer app with the named commands (all of them by default)."""
    cli = typer.Typer(
        no_args_is_help=True,
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
            cli.command(name=name)(command)
    return cli


def __getattr__(name: str) -> Any:
    """`provisioner.cli.app`: every command, built on first use (tests, `python -m`)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    build_app([command] if command in COMMANDS else COMMANDS)()
