"""Options and checks shared by the commands that run terraform (plan, apply, import, reconcile)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli.common import say, shown_state
from provisioner.config import Environment, Settings
from provisioner.errors import ConfigError
from provisioner.state import StateDocument
from provisioner.terraform.runner import Terraform

VarOption = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        help="Pass `-var NAME=VALUE` to terraform (repeatable), e.g. --var backend_image_tag=abc.",
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for CI).")
]


def terraform_for(settings: Settings) -> Terraform:
    """The runner for the project's terraform directory and `[backend]` settings."""
    return Terraform(settings.terraform_dir, backend=settings.backend)


def require_var_file(settings: Settings, env: Environment) -> Path:
    """The environment's var-file; checked before terraform runs, as terraform's error is vague."""
    path = settings.terraform_dir / env.var_file
    if not path.is_file():
        raise ConfigError(f"var-file not found: {path} (environment {env.name!r})")
    return path


def check_variables(variables: list[str] | None) -> list[str]:
    out = list(variables or ())
    for item in out:
        name = item.split("=", 1)[0]
        if "=" not in item or not name.strip():
            raise ConfigError(f"--var {item!r} is not NAME=VALUE")
    return out


def refuse_other_environments_files(settings: Settings, env: Environment) -> None:
    """`imports.<env>.tf` / `generated.<env>.tf` apply to every environment terraform plans.

    They live in the shared configuration directory, so planning another environment with
    them present would adopt one environment's resources into another's state.
    """
    for pattern in ("imports.*.tf", "generated.*.tf"):
        for path in sorted(settings.terraform_dir.glob(pattern)):
            owner = path.name.split(".")[1]
            if owner != env.name:
                raise ConfigError(
                    f"{path} adopts resources of environment {owner!r}, but this run is for "
                    f"{env.name!r}: apply it on {owner} and delete it, or move it away first"
                )


def terraform_state_reader(
    terraform: Terraform, env: Environment, initialized: bool = False
) -> Callable[[], StateDocument]:
    """Read the environment's state through terraform (after `init` unless done already)."""

    def read() -> StateDocument:
        if not initialized:
            terraform.init(env.state_key)
        return shown_state(terraform, env)

    return read


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def confirm(question: str, yes: bool) -> None:
    """Go on when `--yes` was given or the user says yes; refuse without a terminal."""
    if yes:
        return
    if not stdin_is_terminal():
        raise ConfigError(
            f"{question.rstrip('?')}: refusing without --yes (stdin is not a terminal)"
        )
    if not typer.confirm(question, default=False, err=True):
        say("azprov: nothing done")
        raise typer.Exit(1)
