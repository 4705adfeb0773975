"""The README stays true: its policy table and its command list come from the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import tasks
from provisioner.analysers.policy import catalogue_markdown
from provisioner.cli import app, build_app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_policy_table_is_the_rule_catalogue() -> None:
    assert catalogue_markdown().strip() in README


def test_every_command_has_a_section() -> None:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert len(names) >= 7
    for name in names:
        assert (
            f"### `azprov {name} --env ENV" in README or f"`azprov {name} --env ENV`" in README
        ), name


# --- the examples, as written ------------------------------------------------------------

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    """Every `azprov` command in the README's console blocks, continuations joined."""
    found: list[str] = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        found += [line for line in joined.splitlines() if line.startswith("azprov ")]
    return found


def argv_of(line: str) -> list[str]:
    """The command's own words: comments and shell redirections or pipes dropped."""
    words = shlex.split(line, comments=True)
    for end in (">", ">>", "|"):
        if end in words:
            words = words[: words.index(end)]
    return words


def command_for(argv: list[str]) -> tuple[Any, list[str]]:
    command: Any = typer.main.get_command(build_app())
    rest = argv[1:]
    while hasattr(command, "commands"):
        command, rest = command.commands[rest[0]], rest[1:]
    return command, rest


def test_the_readme_shows_how_to_put_azprov_on_path_right_after_the_set_up() -> None:
    setup = README[README.index("## Set-up: two commands") : README.index("The demo verifies")]
    assert "python3 tasks.py demo" in setup and "python3 tasks.py test" in setup
    assert ". .venv/bin/activate" in setup and "pipx install ." in setup
    assert tasks.BIN == tasks.ROOT / ".venv" / "bin"  # where the activate script lives
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^azprov = "provisioner', pyproject, re.M)  # what pipx puts on PATH


@pytest.mark.parametrize("line", readme_commands())
def test_every_readme_example_parses_with_its_commands_options(line: str) -> None:
    argv = argv_of(line)
    command, rest = command_for(argv)
    command.make_context(" ".join(argv[:2]), rest)


RUNNABLE = [
    line
    for line in readme_commands()
    if any(word.split("=")[-1].startswith("examples/") for word in argv_of(line))
]


@pytest.mark.parametrize("line", RUNNABLE)
def test_readme_examples_on_the_bundled_files_run_as_written(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, argv_of(line)[1:])
    assert result.exit_code in (0, 2), result.stderr
    assert result.stdout.strip()


def test_some_readme_examples_run() -> None:
    assert len(RUNNABLE) >= 3
