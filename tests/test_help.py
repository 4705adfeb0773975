"""Every command's `--help`: it fits 80 columns, names the environments of the azprov.toml
where it runs and the variables each option reads, and every example in it can be pasted
into a shell as it is shown (each one is parsed with that command's own options).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from provisioner.cli import COMMANDS, build_app
from provisioner.cli.common import ENVIRONMENT_HELP

runner = CliRunner()
# Shell syntax that ends the command's own words in an example.
SHELL_ENDS = (">", ">>", "|", "&&", ";")


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command with its words: ("verify",), ("notify", "github"), ..."""
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


@pytest.fixture(scope="module")
def cli() -> Any:
    return typer.main.get_command(build_app())


def all_commands() -> list[tuple[str, ...]]:
    return [words for words, _ in commands(typer.main.get_command(build_app()))]


def help_text(words: tuple[str, ...]) -> str:
    result = runner.invoke(build_app(), [*words, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def examples(text: str) -> list[str]:
    """The example commands of a help page, each on one line (continuations joined)."""
    lines = text.split("Examples:", 1)[1].split("\nOptions:")[0].splitlines()
    found: list[str] = []
    pending = ""
    for line in (line.strip() for line in lines):
        if pending:
            pending += " " + line
        elif line.startswith("azprov "):
            pending = line
        if pending and not pending.endswith("\\"):
            found.append(pending)
            pending = ""
        pending = pending.removesuffix("\\").rstrip()
    assert not pending, f"an example ends with a continuation: {pending}"
    return found


def test_every_command_has_help_with_examples() -> None:
    names = {words[0] for words in all_commands()}
    assert names == set(COMMANDS)


@pytest.mark.parametrize("words", all_commands(), ids=" ".join)
def test_help_fits_80_columns_and_every_example_parses(cli: Any, words: tuple[str, ...]) -> None:
    text = help_text(words)
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    shown = examples(text)
    assert shown, "no examples"
    command = cli
    for word in words:
        command = command.commands[word]
    for example in shown:
        argv = shlex.split(example)
        for end in SHELL_ENDS:
            if end in argv:
                argv = argv[: argv.index(end)]
        assert argv[: 1 + len(words)] == ["azprov", *words], example
        # Click parses the options exactly as the command would: unknown options, missing
        # values and bad choices raise here.
        command.make_context(" ".join(argv[:2]), argv[1 + len(words) :])


@pytest.mark.parametrize("words", all_commands(), ids=" ".join)
def test_every_variable_an_option_reads_is_named(cli: Any, words: tuple[str, ...]) -> None:
    text = " ".join(help_text(words).split())
    command = cli
    for word in words:
        command = command.commands[word]
    for param in command.params:
        for name in [param.envvar] if isinstance(param.envvar, str) else param.envvar or []:
            assert f"[env var: {name}" in text or f"env var: {name}" in text, (param.name, name)
    if words[0] != "notify":  # those read Azure or run terraform
        assert "AZPROV_ACCESS_TOKEN" in text and "AZPROV_BACKEND_<NAME>" in text
        assert "NO_COLOR, FORCE_COLOR" in text
    else:
        assert "GITHUB_TOKEN" in text and "[env var: GITHUB_REPOSITORY" in text


def test_env_help_lists_the_environments_of_the_azprov_toml_here(tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path  # conftest runs every test in its own directory
    plain = " ".join(help_text(("verify",)).split())
    assert "Environment to work on: test, prod (the defaults; no azprov.toml here)" in plain
    (tmp_path / "azprov.toml").write_text(
        '[environments.staging]\nstate_key = "staging.tfstate"\n[environments.test]\n'
        "enabled = false\n"
    )
    listed = " ".join(help_text(("audit",)).split())
    assert "Environment to work on: prod, staging (azprov.toml)" in listed
    (tmp_path / "azprov.toml").write_text("[isolaton]\n")  # broken: the generic help stays
    assert "Environment to work on, as named in azprov.toml" in " ".join(
        help_text(("verify",)).split()
    )


def test_the_environment_help_is_a_block_click_leaves_alone() -> None:
    assert "\b" in ENVIRONMENT_HELP  # without it Click would rewrap the table
