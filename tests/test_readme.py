"""The README stays true: its policy table and its command list come from the code."""

from __future__ import annotations

from pathlib import Path

from provisioner.analysers.policy import catalogue_markdown
from provisioner.cli import app

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
