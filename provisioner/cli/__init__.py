"""The azprov command line: the only layer that picks concrete readers and writes files."""

from __future__ import annotations

import typer

from provisioner import __version__
from provisioner.cli.adopt import import_, reconcile
from provisioner.cli.audit import audit
from provisioner.cli.plan import apply, plan
from provisioner.cli.snapshot import snapshot
from provisioner.cli.verify import verify

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"azprov {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Audit Azure environments against their Terraform state.

    Exit codes, like `terraform plan -detailed-exitcode`: 0 clean, 2 findings, 1 error.
    """


app.command()(verify)
app.command()(audit)
app.command()(snapshot)
app.command()(plan)
app.command()(apply)
app.command(name="import")(import_)
app.command()(reconcile)


def main() -> None:
    app()
