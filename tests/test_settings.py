"""`azprov.toml`: the README's examples work as pasted, environments add to the defaults,
and an `ignore` entry that matches nothing is said, not silently kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.analysers.policy import rules_for
from provisioner.cli import app
from provisioner.config import load_settings
from provisioner.errors import ConfigError

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
EXAMPLES = Path(__file__).parent.parent / "examples"
OFFLINE = [
    "verify", "--env", "prod", "--format", "json",
    "--state", str(EXAMPLES / "prod.tfstate.json"), "--live", str(EXAMPLES / "prod.live.json"),
    "--state", f"test={EXAMPLES / 'test.tfstate.json'}",
    "--live", f"test={EXAMPLES / 'test.live.json'}",
]  # fmt: skip


def _section(heading: str) -> str:
    return README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def _load(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "azprov.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    return {name: rules_for(settings, name) for name in settings.environments}


def test_the_readme_configuration_example_pasted_as_is_keeps_both_environments(
    tmp_path: Path,
) -> None:
    (example,) = _toml_blocks(_section("Configuration"))[:1]
    assert "[environments.prod]" in example and "[environments.test]" not in example
    path = tmp_path / "azprov.toml"
    path.write_text(example, encoding="utf-8")
    settings = load_settings(path)
    assert sorted(settings.environments) == ["prod", "test"]
    assert settings.environments["test"].state_key == "test.tfstate"
    assert settings.environments["prod"].ignore  # the example's ignore list is read
    assert [o.rule for o in rules_for(settings, "prod").overrides] == ["app-min-replicas"]


@pytest.mark.parametrize("block", _toml_blocks(README), ids=lambda b: b.splitlines()[0])
def test_every_toml_example_in_the_readme_loads(tmp_path: Path, block: str) -> None:
    assert set(_load(tmp_path, block)) >= {"test", "prod"} - _switched_off(block)


def _switched_off(block: str) -> set[str]:
    return set(re.findall(r"\[environments\.(\w+)\]\nenabled = false", block))


def test_an_environment_table_adds_one_and_a_default_can_be_switched_off(
    tmp_path: Path,
) -> None:
    text = '[environments.staging]\nstate_key = "stg.tfstate"\n'
    text += "[environments.test]\nenabled = false\n"
    path = tmp_path / "azprov.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    assert sorted(settings.environments) == ["prod", "staging"]
    assert settings.environments["staging"].state_key == "stg.tfstate"
    assert settings.environments["staging"].var_file == "staging.tfvars"


def test_switching_every_environment_off_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "azprov.toml"
    path.write_text("[environments.test]\nenabled = false\n[environments.prod]\nenabled = false\n")
    with pytest.raises(ConfigError, match="every environment is switched off"):
        load_settings(path)


def test_a_switched_off_environment_is_not_checked_for_isolation(tmp_path: Path) -> None:
    (tmp_path / "azprov.toml").write_text("[environments.test]\nenabled = false\n")
    result = CliRunner().invoke(app, OFFLINE[:9])
    assert result.exit_code == 2, result.output
    assert not [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "isolation"]
    assert "isolation" not in " ".join(json.loads(result.stdout)["notes"])


def test_an_ignore_entry_that_matches_nothing_is_a_note(tmp_path: Path) -> None:
    prod = json.loads((EXAMPLES / "prod.live.json").read_text(encoding="utf-8"))
    storage = next(b["id"] for b in prod["resources"] if "storageAccounts" in b["id"])
    (tmp_path / "azprov.toml").write_text(
        "[environments.prod]\nignore = [\n"
        f'  "{storage.upper()}",\n'  # an ARM ID, in another case: matches
        '  "AZURERM_CONTAINER_APP.frontend",\n'  # an address: matches
        '  "azurerm_storage_account.stlogs",\n'  # matches nothing
        "]\n"
    )
    result = CliRunner().invoke(app, OFFLINE)
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["notes"] == [
        "ignore entry 'azurerm_storage_account.stlogs' matches no resource in the state or "
        "in what was read of Azure"
    ]
    ignored = {storage.lower(), "azurerm_container_app.frontend"}
    assert not [f for f in report["findings"] if {f["resource_id"].lower(), f["address"]} & ignored]
