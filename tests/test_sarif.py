"""SARIF from `verify` and `audit`: valid 2.1.0, one rule per kind or policy rule, one
result per finding, located on the real Terraform blocks of this repository."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.cli.outputs import terraform_locator
from provisioner.model import Finding, FindingKind, Severity
from provisioner.reporters.sarif import SourceLocation, fingerprint, render_findings
from tests.conftest import EXAMPLES, FIXTURES
from tests.factories import dumps, example_prod_plan

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
MAIN_TF = REPO / "terraform" / "main.tf"
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
BOTH_ENVIRONMENTS = [
    "--state",
    str(EXAMPLES / "prod.tfstate.json"),
    "--live",
    str(EXAMPLES / "prod.live.json"),
    "--state",
    f"test={EXAMPLES / 'test.tfstate.json'}",
    "--live",
    f"test={EXAMPLES / 'test.live.json'}",
]


def valid_sarif(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    errors = [e.message for e in jsonschema.Draft4Validator(SCHEMA).iter_errors(doc)]
    assert errors == []
    return doc


def block_lines(path: Path) -> dict[str, int]:
    """`TYPE.NAME` -> the line of `resource "TYPE" "NAME" {`, read independently of azprov."""
    pattern = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')
    lines = path.read_text().splitlines()
    return {
        f"{m[1]}.{m[2]}": number
        for number, line in enumerate(lines, start=1)
        if (m := pattern.match(line))
    }


def use_repository_terraform(tmp_path: Path) -> None:
    (tmp_path / "azprov.toml").write_text(f'[terraform]\ndir = "{REPO / "terraform"}"\n')


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def finding(**overrides: Any) -> Finding:
    base: dict[str, Any] = {
        "kind": FindingKind.CHANGED,
        "severity": Severity.HIGH,
        "resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/a",
        "message": "something changed",
        "address": "azurerm_container_app.backend",
        "type": "azurerm_container_app",
        "attribute": "template.min_replicas",
    }
    return Finding(**{**base, **overrides})


def test_every_resource_block_of_the_repository_is_located_on_its_line() -> None:
    expected = block_lines(MAIN_TF)
    assert len(expected) >= 10
    locate = terraform_locator(REPO / "terraform")
    for address, line in expected.items():
        assert locate(address) == SourceLocation("terraform/main.tf", line), address
        # count and for_each instances are declared by the same block
        assert locate(f"{address}[0]") == SourceLocation("terraform/main.tf", line)
        assert locate(f'{address}["a.b]"]') == SourceLocation("terraform/main.tf", line)
    assert locate("azurerm_container_app.nowhere") is None


def test_modules_heredocs_and_data_sources_are_located(tmp_path: Path) -> None:
    (tmp_path / "infra" / "modules" / "app").mkdir(parents=True)
    (tmp_path / "infra" / "main.tf").write_text(
        'locals {\n  doc = <<EOT\nresource "azurerm_fake" "inside_heredoc" {\nEOT\n}\n\n'
        '/* resource "azurerm_fake" "in_a_comment" { */\n\n'
        'module "app" {\n  source = "./modules/app"\n}\n\n'
        'module "registry" {\n  source  = "Azure/avm-res-app-containerapp/azurerm"\n}\n\n'
        'data "azurerm_client_config" "current" {}\n'
    )
    (tmp_path / "infra" / "modules" / "app" / "apps.tf").write_text(
        '\n\nresource "azurerm_container_app" "this" {\n  name = "x"\n}\n'
    )
    locate = terraform_locator(tmp_path / "infra")
    assert locate("azurerm_fake.inside_heredoc") is None
    assert locate("azurerm_fake.in_a_comment") is None
    assert locate('module.app["blue"].azurerm_container_app.this[0]') == SourceLocation(
        "infra/modules/app/apps.tf", 3
    )
    # a module whose source is not here: its call is the closest block
    assert locate("module.registry.azurerm_container_app.this") == SourceLocation(
        "infra/main.tf", 13
    )
    assert locate("data.azurerm_client_config.current") == SourceLocation("infra/main.tf", 17)


def test_verify_sarif_is_valid_and_points_at_the_terraform_lines(tmp_path: Path) -> None:
    use_repository_terraform(tmp_path)
    code, out, err = run("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "sarif")
    assert code == 2, err
    doc = valid_sarif(out)
    sarif_run = doc["runs"][0]
    driver = sarif_run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("azprov", "0.1.0")
    code, out, _ = run("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "json")
    findings = json.loads(out)["findings"]
    results = sarif_run["results"]
    assert len(results) == len(findings) == 6
    rule_ids = [r["id"] for r in driver["rules"]]
    assert sorted(rule_ids) == ["drift/changed", "drift/missing", "drift/unmanaged", "isolation"]
    for result, found in zip(results, findings, strict=True):
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        level = {"high": "error", "medium": "warning", "low": "note"}[found["severity"]]
        assert result["level"] == level
    # the deleted frontend app annotates its block in this repository's terraform/main.tf
    missing = next(r for r in results if r["ruleId"] == "drift/missing")
    where = missing["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "terraform/main.tf"
    assert where["region"]["startLine"] == block_lines(MAIN_TF)["azurerm_container_app.frontend"]
    # an unmanaged resource has no block: its ARM ID is a logical location
    unmanaged = [r for r in results if r["ruleId"] == "drift/unmanaged"]
    assert len(unmanaged) == 3
    for result in unmanaged:
        (location,) = result["locations"]
        assert "physicalLocation" not in location
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("/subscriptions/")
    assert "stdebugexport01" in unmanaged[-1]["locations"][0]["logicalLocations"][0]["name"]
    storage = next(r for r in unmanaged if r["level"] == "warning")  # a medium finding
    assert storage["properties"]["severity"] == "medium"


def test_fingerprints_are_stable_across_runs_and_distinct_per_finding(tmp_path: Path) -> None:
    args = ("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "sarif")
    first = json.loads(run(*args)[1])["runs"][0]["results"]
    use_repository_terraform(tmp_path)  # other line numbers, other locations
    second = json.loads(run(*args)[1])["runs"][0]["results"]
    prints = [r["partialFingerprints"]["azprovFinding/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["azprovFinding/v1"] for r in second]
    assert len(set(prints)) == len(prints)
    # the message and the case of the ARM ID do not change a finding's identity
    one = finding()
    assert fingerprint(one) == fingerprint(
        finding(message="worded differently", resource_id=one.resource_id.upper())
    )
    assert fingerprint(one) != fingerprint(finding(attribute="template.max_replicas"))
    assert fingerprint(finding(kind=FindingKind.POLICY, rule="a")) != fingerprint(
        finding(kind=FindingKind.POLICY, rule="b")
    )


def test_audit_sarif_has_one_rule_per_policy_rule_and_drift_fates(tmp_path: Path) -> None:
    doc = example_prod_plan()
    backend = next(c for c in doc["resource_changes"] if c["address"].endswith(".backend"))
    backend["change"]["after"]["template"][0]["min_replicas"] = 0
    backend["change"]["after"]["tags"] = {}
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    use_repository_terraform(tmp_path)
    args = ("audit", "--env", "prod", "--plan", str(plan), *BOTH_ENVIRONMENTS)
    code, out, err = run(*args, "-f", "sarif")
    assert code == 2, err
    sarif_run = valid_sarif(out)["runs"][0]
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    assert {"app-min-replicas", "required-tags", "isolation", "drift/changed"} <= set(rules)
    assert rules["app-min-replicas"]["defaultConfiguration"]["level"] == "warning"
    assert "cold start" in rules["app-min-replicas"]["fullDescription"]["text"]
    results = sarif_run["results"]
    assert len(results) == len(json.loads(run(*args, "-f", "json")[1])["findings"])
    replicas = next(r for r in results if r["ruleId"] == "app-min-replicas")
    where = replicas["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "terraform/main.tf"
    assert where["region"]["startLine"] == block_lines(MAIN_TF)["azurerm_container_app.backend"]
    changed = next(r for r in results if r["ruleId"] == "drift/changed")
    assert "this apply: reset to 'GP_Standard_D2ds_v5'" in changed["message"]["text"]
    assert sarif_run["automationDetails"]["id"] == "azprov/audit/prod/"


@pytest.mark.parametrize(
    ("severity", "level"), [("high", "error"), ("medium", "warning"), ("low", "note")]
)
def test_level_follows_severity(severity: str, level: str) -> None:
    text = render_findings(
        [finding(severity=Severity(severity))],
        command="verify",
        environment="prod",
        locate=lambda address: None,
    )
    assert valid_sarif(text)["runs"][0]["results"][0]["level"] == level


def test_an_incomplete_read_is_an_unsuccessful_invocation(tmp_path: Path) -> None:
    from provisioner.model import Unread

    text = render_findings(
        [],
        command="verify",
        environment="prod",
        locate=lambda address: None,
        unread=[Unread("/subscriptions/s/resourceGroups/rg", "container apps", "HTTP 403")],
        information_uri="https://github.example/org/repo#readme",
    )
    sarif_run = valid_sarif(text)["runs"][0]
    (invocation,) = sarif_run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "HTTP 403" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert sarif_run["tool"]["driver"]["informationUri"] == "https://github.example/org/repo#readme"
    assert sarif_run["results"] == []
