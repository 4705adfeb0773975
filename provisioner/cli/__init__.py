"""The azprov command line: the only layer that picks concrete readers and writes files."""

import typer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)


@app.callback()
def root() -> None:
    """Audit Azure environments against their Terraform state."""


def main() -> None:
    app()
