"""`azprov import`: import blocks for unmanaged resources, parsed back with python-hcl2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.live import Inventory, snapshot_to_json
from provisioner.model import Coverage
from tests import fake_terraform as fake
from tests.conftest import serve, write_state
from tests.factories import Environment, example_prod

runner = CliRunner()
ADDRESS = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]*$")
# The import ID form per azurerm type (azurerm-mapping.md section 2).
ID_FORMS = {
    "azurerm_postgresql_flexible_server_firewall_rule": re.compile(
        r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/"
        r"Microsoft\.DBforPostgreSQL/flexibleServers/[^/]+/firewallRules/[^/]+$"
    ),
    "azurerm_container_registry": re.compile(
        r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/"
        r"Microsoft\.ContainerRegistry/registries/[^/]+$"
    ),
    "azurerm_storage_account": re.compile(
        r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/"
        r"Microsoft\.Storage/storageAccounts/[^/]+$"
    ),
    "azurerm_container_app": re.compile(
        r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/"
        r"Microsoft\.App/containerApps/[^/]+$"
    ),
}


def snapshot(tmp_path: Path, env: Environment) -> Path:
    """The live side as `azprov snapshot` would save it (everything listed, so complete)."""
    rg = f"/subscriptions/{env.subscription}/resourcegroups/{env.rg}".lower()
    inventory = Inventory(
        subscription_id=env.subscription,
        taken_at="2026-11-24T10:00:00+00:00",
        resource_groups=(env.rg,),
        bodies=tuple(env.bodies.values()),
        coverage=Coverage(frozenset({(rg, "*")}), frozenset(env.bodies)),
    )
    path = tmp_path / "live.json"
    path.write_text(snapshot_to_json(inventory, env.name))
    return path


def blocks(text: str) -> list[dict[str, Any]]:
    parsed = hcl2.loads(text)
    out = []
    for block in parsed.get("import", []):
        out.append(
            {
                k: str(v).strip('"').removeprefix("${").removesuffix("}")
                for k, v in block.items()
                if not k.startswith("__")
            }
        )
    return out


def check_blocks(found: list[dict[str, Any]]) -> None:
    addresses = [b["to"] for b in found]
    assert len(set(addresses)) == len(addresses)
    for block in found:
        tf_type, name = block["to"].split(".")
        assert ADDRESS.match(tf_type) and ADDRESS.match(name), block
        assert ID_FORMS[tf_type].match(block["id"]), block


def test_import_writes_blocks_for_the_bundled_example(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    (tmp_path / "terraform").mkdir()
    serve(rsps, example)
    result = runner.invoke(
        app, ["import", "--env", "prod", "--state", str(write_state(tmp_path, example))]
    )
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "terraform" / "imports.prod.tf").read_text()
    found = blocks(text)
    check_blocks(found)
    assert {b["to"] for b in found} == {
        "azurerm_postgresql_flexible_server_firewall_rule.office_vpn",
        "azurerm_storage_account.stdebugexport01",
    }
    rule = next(b for b in found if "firewall" in b["to"])
    assert rule["id"].endswith(
        "/resourceGroups/rg-stockapp-prod/providers/Microsoft.DBforPostgreSQL/"
        "flexibleServers/psql-stockapp-prod/firewallRules/office-vpn"
    )
    assert "wrote terraform/imports.prod.tf" in result.stderr


def test_import_offline_from_a_snapshot_to_stdout(tmp_path: Path, example: Environment) -> None:
    result = runner.invoke(
        app,
        [
            "import", "--env", "prod", "--state", str(write_state(tmp_path, example)),
            "--live", str(snapshot(tmp_path, example)), "-o", "-",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    check_blocks(blocks(result.stdout))
    assert not (tmp_path / "terraform" / "imports.prod.tf").exists()


def test_addresses_stay_unique_and_valid_and_ids_canonical(tmp_path: Path) -> None:
    env = example_prod()
    # A second rule whose name makes the same Terraform name, one with odd characters,
    # and one that collides with an address the state already has.
    env.add_firewall_rule("office_vpn", "198.51.100.1", "198.51.100.1", managed=False)
    env.add_firewall_rule("9 Home.Office", "198.51.100.9", "198.51.100.9", managed=False)
    env.add_firewall_rule("AllowAzureServices2", "0.0.0.0", "0.0.0.0", managed=False)
    rule = env.find("/firewallRules/AllowAzureServices2")
    # ARM answers this one with the type segments in lower case; the importer needs canonical.
    head, tail = rule["id"].split("/providers/")
    rule["id"] = f"{head}/providers/{tail.lower()}"
    managed = next(
        r for r in env.state_resources
        if r["type"] == "azurerm_postgresql_flexible_server_firewall_rule"
    )  # fmt: skip
    managed["name"] = "allowazureservices2"  # the state already uses the natural name
    result = runner.invoke(
        app,
        [
            "import", "--env", "prod", "--state", str(write_state(tmp_path, env)),
            "--live", str(snapshot(tmp_path, env)), "-o", "-",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    found = blocks(result.stdout)
    check_blocks(found)
    names = sorted(b["to"].split(".")[1] for b in found if "firewall" in b["to"])
    assert names == ["allowazureservices2_2", "office_vpn", "office_vpn_2", "r_9_home_office"]


def test_unmapped_types_are_skipped_with_a_note(tmp_path: Path) -> None:
    env = example_prod()
    odd = env.provider_id("Microsoft.Contoso/widgets", "w1")
    env.bodies[odd.lower()] = {"id": odd, "name": "w1", "type": "Microsoft.Contoso/widgets"}
    result = runner.invoke(
        app,
        [
            "import", "--env", "prod", "--state", str(write_state(tmp_path, env)),
            "--live", str(snapshot(tmp_path, env)), "-o", "-",
        ],
    )  # fmt: skip
    assert result.exit_code == 0
    assert f"azprov: skipped {odd}: no azurerm resource type is known" in result.stderr
    assert "Contoso" not in "".join(b["id"] for b in blocks(result.stdout))
    assert f"# skipped {odd}" in result.stdout


def test_refuses_to_overwrite_without_force(tmp_path: Path, example: Environment) -> None:
    (tmp_path / "terraform").mkdir()
    existing = tmp_path / "terraform" / "imports.prod.tf"
    existing.write_text("# mine\n")
    args = [
        "import", "--env", "prod", "--state", str(write_state(tmp_path, example)),
        "--live", str(snapshot(tmp_path, example)),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        "azprov: error: terraform/imports.prod.tf already exists: review and remove it, "
        "or pass --force\n"
    )
    assert existing.read_text() == "# mine\n"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    check_blocks(blocks(existing.read_text()))


def test_generate_config_runs_terraform_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: Environment
) -> None:
    fake.write_stack(tmp_path)
    tf = fake.install(tmp_path, monkeypatch)
    result = runner.invoke(
        app,
        [
            "import", "--env", "prod", "--state", str(write_state(tmp_path, example)),
            "--live", str(snapshot(tmp_path, example)), "--generate-config",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert tf.argvs()[1] == [
        "-chdir=terraform",
        "plan",
        "-no-color",
        "-input=false",
        "-detailed-exitcode",
        "-var-file=prod.tfvars",
        "-generate-config-out=generated.prod.tf",
    ]
    assert (tmp_path / "terraform" / "generated.prod.tf").exists()
    assert "review it" in result.stderr


def test_a_resource_that_is_itself_an_isolation_breach_is_never_imported() -> None:
    """Importing prod's firewall rule that admits test's IP would codify the breach."""
    examples = Path(__file__).parent.parent / "examples"
    argv = ["import", "--env", "prod", "-o", "-",
            "--state", str(examples / "prod.tfstate.json"),
            "--live", str(examples / "prod.live.json"),
            "--state", f"test={examples / 'test.tfstate.json'}",
            "--live", f"test={examples / 'test.live.json'}"]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.stderr
    assert "firewallRules/office-vpn" in result.stdout  # made by hand, harmless: adoptable
    skipped = [line for line in result.stderr.splitlines() if "allow-test-apps" in line]
    assert len(skipped) == 1
    assert "it is itself a finding (isolation" in skipped[0]
    assert "remove it in Azure instead" in skipped[0]
    blocks = [line for line in result.stdout.splitlines() if line.startswith("  id = ")]
    assert not [b for b in blocks if "allow-test-apps" in b]


def test_reconcile_shows_who_made_each_change_and_never_adopts_a_breach() -> None:
    examples = Path(__file__).parent.parent / "examples"
    argv = ["reconcile", "--env", "prod", "--format", "json",
            "--state", str(examples / "prod.tfstate.json"),
            "--live", str(examples / "prod.live.json"),
            "--state", f"test={examples / 'test.tfstate.json'}",
            "--live", f"test={examples / 'test.live.json'}"]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    doc = json.loads(result.stdout)
    by_name = {p["resource_id"].rsplit("/", 1)[1]: p for p in doc["proposals"]}
    breach = by_name["allow-test-apps"]
    assert breach["adopt"]["summary"].startswith("not offered: it is itself a finding")
    assert breach["adopt"]["automatic"] is False
    assert breach["revert"]["summary"].startswith("remove it:")
    assert by_name["office-vpn"]["adopt"]["automatic"] is True
    assert "changed_by" in breach  # the snapshot holds no change records: null here
