"""`azprov reconcile`: revert or adopt per finding; changes only with --apply and consent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from tests import fake_terraform as fake
from tests.conftest import write_state
from tests.factories import Environment, example_prod
from tests.test_import_cli import snapshot

runner = CliRunner()

MAIN_TF = """\
terraform {
  backend "azurerm" {}
}

resource "azurerm_postgresql_flexible_server" "db" {
  name     = "psql-stockapp-prod"
  sku_name = var.postgres_sku_name
}

resource "azurerm_container_app" "backend" {
  name = "ca-stockapp-backend-prod"

  template {
    min_replicas = var.backend_min_replicas

    container {
      name  = "backend"
      image = "acrstockappprod.azurecr.io/stockapp-backend:${var.backend_image_tag}"
    }
  }
}
"""
PROD_TFVARS = """\
# Production environment.
environment = "prod"

postgres_sku_name    = "GP_Standard_D2ds_v5"
backend_min_replicas = 1
"""
SKU = "azurerm_postgresql_flexible_server.db"


@pytest.fixture
def drifted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bundled example's drift plus a scaled and re-imaged backend; CLI args to read it."""
    tf_dir = tmp_path / "terraform"
    tf_dir.mkdir()
    (tf_dir / "main.tf").write_text(MAIN_TF)
    (tf_dir / "prod.tfvars").write_text(PROD_TFVARS)
    env: Environment = example_prod()
    backend = env.find("/containerApps/ca-stockapp-backend-prod")["properties"]["template"]
    backend["scale"]["minReplicas"] = 3
    backend["containers"][0]["image"] = "acrstockappprod.azurecr.io/stockapp-backend:hotfix1"
    return [
        "--env", "prod", "--state", str(write_state(tmp_path, env)),
        "--live", str(snapshot(tmp_path, env)),
    ]  # fmt: skip


def proposals(args: list[str]) -> dict[tuple[str, str | None], dict[str, Any]]:
    result = runner.invoke(app, ["reconcile", *args, "--format", "json"])
    assert result.exit_code == 2, result.stderr
    doc = json.loads(result.stdout)
    return {(p["target"], p["attribute"]): p for p in doc["proposals"]}


def test_changed_attribute_from_a_variable_names_the_tfvars_line(drifted: list[str]) -> None:
    found = proposals(drifted)
    sku = found[(SKU, "sku_name")]
    assert sku["revert"]["step"] == (
        f"terraform -chdir=terraform plan -target={SKU} -var-file=prod.tfvars -out=tfplan"
    )
    assert sku["adopt"]["step"] == (
        'prod.tfvars:4: change `postgres_sku_name    = "GP_Standard_D2ds_v5"` '
        'to `postgres_sku_name = "GP_Standard_D4ds_v5"`'
    )
    replicas = found[("azurerm_container_app.backend", "template.min_replicas")]
    assert replicas["adopt"]["step"].endswith("to `backend_min_replicas = 3`")


def test_changed_attribute_not_from_a_variable_shows_the_hcl_path(drifted: list[str]) -> None:
    image = proposals(drifted)[
        ("azurerm_container_app.backend", "template.container[backend].image")
    ]
    assert image["adopt"]["step"].startswith(
        "azurerm_container_app.backend: set template.container[backend].image = "
        '"acrstockappprod.azurecr.io/stockapp-backend:hotfix1"'
    )
    assert image["adopt"]["automatic"] is False


def test_missing_and_unmanaged_resources(drifted: list[str]) -> None:
    found = proposals(drifted)
    frontend = found[("azurerm_container_app.frontend", None)]
    assert frontend["adopt"]["step"] == (
        "terraform -chdir=terraform state rm azurerm_container_app.frontend"
    )
    assert "-target=azurerm_container_app.frontend" in frontend["revert"]["step"]
    rule = found[("azurerm_postgresql_flexible_server_firewall_rule.office_vpn", None)]
    assert "remove it by hand" in rule["revert"]["summary"]
    assert rule["revert"]["automatic"] is False
    assert rule["adopt"]["step"].startswith(
        "import { to = azurerm_postgresql_flexible_server_firewall_rule.office_vpn, "
        'id = "/subscriptions/'
    )


def test_table_and_markdown_output(drifted: list[str]) -> None:
    table = runner.invoke(app, ["reconcile", *drifted])
    assert table.exit_code == 2
    assert "Reconcile prod" in table.stdout and "postgres_sku_name" in table.stdout
    markdown = runner.invoke(app, ["reconcile", *drifted, "--format", "markdown"])
    assert markdown.stdout.startswith("## Reconcile prod\n\n| target | finding | revert | adopt |")


def test_apply_adopt_rewrites_only_the_chosen_tfvars_line(
    drifted: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["reconcile", *drifted, "--apply", "adopt", "--only", SKU, "--yes"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "terraform" / "prod.tfvars").read_text() == PROD_TFVARS.replace(
        'postgres_sku_name    = "GP_Standard_D2ds_v5"', 'postgres_sku_name = "GP_Standard_D4ds_v5"'
    )


def test_nothing_changes_without_consent(drifted: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["reconcile", *drifted, "--apply", "adopt", "--only", SKU])
    assert result.exit_code == 1
    assert "refusing without --yes" in result.stderr
    assert (tmp_path / "terraform" / "prod.tfvars").read_text() == PROD_TFVARS


def test_apply_revert_runs_a_targeted_saved_plan(
    drifted: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = fake.install(tmp_path, monkeypatch)
    result = runner.invoke(
        app, ["reconcile", *drifted, "--apply", "revert", "--only", SKU, "--yes"]
    )
    assert result.exit_code == 0, result.stderr
    planfile = tmp_path / ".azprov" / "prod" / "reconcile.tfplan"
    assert tf.argvs()[1:] == [
        [
            "-chdir=terraform", "plan", "-no-color", "-input=false", "-detailed-exitcode",
            "-var-file=prod.tfvars", f"-target={SKU}", f"-out={planfile}",
        ],
        ["-chdir=terraform", "apply", "-no-color", "-input=false", str(planfile)],
    ]  # fmt: skip


def test_apply_adopt_of_a_deleted_resource_forgets_it_in_the_state(
    drifted: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = fake.install(tmp_path, monkeypatch)
    result = runner.invoke(
        app,
        ["reconcile", *drifted, "--apply", "adopt", "--only", "azurerm_container_app.frontend",
         "--yes"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert tf.argvs()[-1] == [
        "-chdir=terraform", "state", "rm", "-no-color", "azurerm_container_app.frontend",
    ]  # fmt: skip


def test_apply_revert_never_deletes_an_unmanaged_resource(
    drifted: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = fake.install(tmp_path, monkeypatch)
    rule = "azurerm_postgresql_flexible_server_firewall_rule.office_vpn"
    result = runner.invoke(
        app, ["reconcile", *drifted, "--apply", "revert", "--only", rule, "--yes"]
    )
    assert result.exit_code == 0
    assert "not done for" in result.stderr and "remove it by hand" in result.stderr
    assert tf.calls() == []


def test_unknown_only_target_is_one_line(drifted: list[str]) -> None:
    result = runner.invoke(
        app, ["reconcile", *drifted, "--apply", "adopt", "--only", "azurerm_x.y", "--yes"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("azprov: error: --only 'azurerm_x.y' matches no finding")
