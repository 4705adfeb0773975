"""Keeping known findings out of the report, with a reason: never silently.

Terraform's own `lifecycle { ignore_changes }`, the `ignore` list, and suppressions with a
reason, owner and expiry; then `--baseline` (what is new) and the exit gate
(`--fail-on`, `--fail-on-severity`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.config import Environment as ConfigEnvironment
from provisioner.config import Suppression
from provisioner.model import Finding, FindingKind, Severity
from provisioner.pipeline.filter import FindingFilter
from provisioner.terraform.configuration import lifecycle_ignores
from tests.conftest import serve, write_state
from tests.factories import Environment, example_prod

runner = CliRunner()
SERVER = "azurerm_postgresql_flexible_server.db"
MAIN_TF = """
resource "azurerm_postgresql_flexible_server" "db" {
  name = "psql-stockapp-prod"
  lifecycle {
    ignore_changes = [sku_name, tags["owner"]]
  }
}

resource "azurerm_container_app" "backend" {
  name = "ca-stockapp-backend-prod"
  lifecycle {
    ignore_changes = [template[0].container[0].image]
  }
}

resource "azurerm_container_app" "frontend" {
  count = 1
  lifecycle {
    ignore_changes = all
  }
}
"""


def verify(tmp_path: Path, live: Environment, *args: str, config: str = "") -> Any:
    (tmp_path / "azprov.toml").write_text(config)
    state = write_state(tmp_path, Environment(name="prod").build())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, live)
        result = runner.invoke(
            app, ["verify", "--env", "prod", "--state", str(state), "-f", "json", *args]
        )
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}, result.stderr


def test_lifecycle_ignore_changes_is_read_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    found = lifecycle_ignores(tmp_path)
    assert found[SERVER].paths == ("sku_name", "tags.owner")
    assert found["azurerm_container_app.backend"].paths == ("template.*.container.*.image",)
    assert found["azurerm_container_app.frontend"].everything


def test_drift_terraform_ignores_is_suppressed_not_reported(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text(MAIN_TF)
    live = example_prod()  # the server scaled by hand: sku_name drift
    server = live.find("/flexibleServers/psql-stockapp-prod")
    server["tags"] = {**server["tags"], "owner": "dba", "team": "data"}
    code, doc, _ = verify(tmp_path, live)
    kept = {(f["address"], f["attribute"]) for f in doc["findings"]}
    assert (SERVER, "sku_name") not in kept and (SERVER, "tags[owner]") not in kept
    assert (SERVER, "tags[team]") in kept  # only what the block names
    held = {(s["address"], s["attribute"]): s for s in doc["suppressed"]}
    assert held[(SERVER, "sku_name")]["by"] == "lifecycle"
    assert "ignore_changes = sku_name" in held[(SERVER, "sku_name")]["reason"]
    assert held[(SERVER, "sku_name")]["actual"] == "GP_Standard_D4ds_v5"  # all its fields
    assert (SERVER, "tags[owner]") in held
    # a missing resource is not an attribute change: ignore_changes = all does not hide it
    assert ("azurerm_container_app.frontend", None) in kept
    assert code == 2


def test_the_table_counts_what_was_suppressed(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text(MAIN_TF)
    state = write_state(tmp_path, Environment(name="prod").build())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, example_prod())
        result = runner.invoke(app, ["verify", "--env", "prod", "--state", str(state)])
    assert "1 findings suppressed (lifecycle 1)" in result.stdout


SUPPRESSIONS = """
[environments.prod]
ignore = ["azurerm_container_app.frontend"]

[[environments.prod.suppress]]
match = "azurerm_postgresql_flexible_server.db"
attribute = "sku_name"
reason = "scaled up for the sale, until it ends"
owner = "platform-team"
expires = 2099-01-31

[[environments.prod.suppress]]
match = "/subscriptions/3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70/resourceGroups/rg-stockapp-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-stockapp-prod/firewallRules/office-vpn"
reason = "office VPN range, accepted until the migration"
expires = 2020-01-31

[[environments.prod.suppress]]
match = "azurerm_key_vault.gone"
reason = "typo'd or long gone"
"""  # noqa: E501


def test_suppressions_ignore_and_expiry(tmp_path: Path) -> None:
    code, doc, _ = verify(tmp_path, example_prod(), config=SUPPRESSIONS)
    held = {s["by"]: s for s in doc["suppressed"]}
    assert held["suppress"]["attribute"] == "sku_name"
    assert (held["suppress"]["owner"], held["suppress"]["expires"]) == (
        "platform-team", "2099-01-31",
    )  # fmt: skip
    assert held["ignore"]["address"] == "azurerm_container_app.frontend"
    # an expired suppression leaves its finding in, and says so
    kept = [f["resource_id"].rsplit("/", 1)[1] for f in doc["findings"]]
    assert "office-vpn" in kept
    assert any("expired on 2020-01-31: reported again" in n for n in doc["notes"])
    assert any("azurerm_key_vault.gone matches no finding" in n for n in doc["notes"])
    assert code == 2


def test_a_suppression_needs_a_reason_and_a_date(tmp_path: Path) -> None:
    (tmp_path / "azprov.toml").write_text('[[environments.prod.suppress]]\nmatch = "x"\n')
    result = runner.invoke(app, ["verify", "--env", "prod", "--state", "s.json"])
    assert result.exit_code == 1
    assert "needs reason" in result.stderr
    (tmp_path / "azprov.toml").write_text(
        '[[environments.prod.suppress]]\nmatch = "x"\nreason = "y"\nexpires = "soon"\n'
    )
    result = runner.invoke(app, ["verify", "--env", "prod", "--state", "s.json"])
    assert result.exit_code == 1 and "expires must be a TOML date" in result.stderr


def test_the_filter_is_one_stage_with_an_injected_clock() -> None:
    finding = Finding(FindingKind.CHANGED, Severity.HIGH, "/subscriptions/s/resourceGroups/g",
                      "m", address="azurerm_resource_group.rg", attribute="tags[a]")  # fmt: skip
    entry = Suppression("AZURERM_RESOURCE_GROUP.RG", "r", expires=date(2027, 1, 31))
    env = ConfigEnvironment("prod", "p", "p", suppress=(entry,))
    before = FindingFilter.of(env, today=lambda: date(2027, 1, 30)).apply([finding])
    on_the_day = FindingFilter.of(env, today=lambda: date(2027, 1, 31)).apply([finding])
    assert (before.kept, [s.by for s in before.suppressed]) == ((), ["suppress"])
    assert on_the_day.kept == (finding,) and "expired on 2027-01-31" in on_the_day.notes[0]


# -- baseline and the exit gate ------------------------------------------------------------


def test_baseline_marks_what_is_new_and_keeps_when_it_was_first_seen(tmp_path: Path) -> None:
    first_code, first, _ = verify(tmp_path, example_prod())
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(first))
    live = example_prod()
    server = live.find("/flexibleServers/psql-stockapp-prod")
    server["tags"] = {**server["tags"], "owner": "portal-user"}  # bodies share one tags dict
    code, doc, _ = verify(tmp_path, live, "--baseline", str(previous))
    new = [f for f in doc["findings"] if f["new"]]
    assert first_code == code == 2
    assert [(f["attribute"]) for f in new] == ["tags[owner]"]
    old = [f for f in doc["findings"] if f["new"] is False]
    assert len(old) == len(first["findings"])
    assert all(f["first_seen"] == first["live"]["taken_at"] for f in old)
    # the next run carries first_seen forward from this one
    previous.write_text(json.dumps(doc))
    _, again, _ = verify(tmp_path, live, "--baseline", str(previous))
    by_attr = {f["attribute"]: f["first_seen"] for f in again["findings"]}
    assert by_attr["tags[owner]"] == new[0]["first_seen"]
    assert all(f["new"] is False for f in again["findings"])


def test_fail_on_new_and_on_severity(tmp_path: Path) -> None:
    _, first, _ = verify(tmp_path, example_prod())
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(first))
    code, doc, _ = verify(tmp_path, example_prod(), "--baseline", str(previous), "--fail-on", "new")
    assert code == 0 and doc["exit_code"] == 0  # the same drift as yesterday: not a failure
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, example_prod())
        table = runner.invoke(app, ["verify", "--env", "prod", "--state", "state.json",
                                    "--baseline", str(previous), "--fail-on", "new"])  # fmt: skip
    assert "0 new since the baseline; 0 new findings fail the run) (exit 0)" in table.stdout
    live = example_prod()
    del live.bodies[live.find("/registries/acrstockappprod")["id"].lower()]  # high: missing
    code, _, _ = verify(tmp_path, live, "--baseline", str(previous), "--fail-on", "new")
    assert code == 2
    # only medium drift (a tag) and a threshold of high: exit 0
    quiet = Environment(name="prod").build()
    server = quiet.find("/flexibleServers/psql-stockapp-prod")
    server["tags"] = {**server["tags"], "owner": "portal-user"}
    code, doc, _ = verify(tmp_path, quiet, "--fail-on-severity", "high")
    assert (code, len(doc["findings"])) == (0, 1)
    code, _, _ = verify(tmp_path, quiet, "--fail-on-severity", "low")
    assert code == 2


@pytest.mark.parametrize(
    ("baseline", "said"),
    [
        ({"environment": "test", "findings": [], "exit_code": 0}, "not 'prod'"),
        ({"hello": "world"}, "is not an azprov verify report"),
        ([1, 2, 3], "is not an azprov verify report"),
    ],
)
def test_a_wrong_baseline_is_one_line_exit_1(tmp_path: Path, baseline: Any, said: str) -> None:
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(baseline))
    code, _, err = verify(tmp_path, example_prod(), "--baseline", str(path))
    assert code == 1 and said in err and len(err.strip().splitlines()) == 1


def test_fail_on_new_needs_a_baseline(tmp_path: Path) -> None:
    code, _, err = verify(tmp_path, example_prod(), "--fail-on", "new")
    assert code == 1 and "--fail-on new needs --baseline" in err
