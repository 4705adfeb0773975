"""`azprov audit` end to end: the bundled plan, state, snapshots and the other environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from tests.conftest import EXAMPLES
from tests.factories import FAKE_API_KEY, FAKE_PASSWORD, dumps, example_prod_plan

runner = CliRunner()

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


def audit(*args: str, plan: Path = EXAMPLES / "prod.tfplan.json") -> tuple[int, str, str]:
    result = runner.invoke(app, ["audit", "--env", "prod", "--plan", str(plan), *args])
    return result.exit_code, result.stdout, result.stderr


def test_markdown_report_puts_the_verdict_and_destructive_changes_first() -> None:
    code, out, _ = audit(*BOTH_ENVIRONMENTS)
    assert code == 2
    verdict = out.index("REVIEW: 2 destructive changes (1 delete, 1 replace)")
    destructive = out.index("### :warning: Destructive changes (2)")
    updates = out.index("### Updates in place")
    creates = out.index("### Creates (1)")
    assert verdict < destructive < updates < creates
    # deletes before replaces, and the attribute that forces the replacement is named
    section = out[destructive:updates]
    assert section.index("**delete**") < section.index("**replace**")
    assert "forced by collation" in section


def test_report_joins_drift_to_the_plan_and_shows_isolation_and_images() -> None:
    code, out, _ = audit(*BOTH_ENVIRONMENTS)
    assert code == 2
    overwritten = out[out.index("### Live drift this apply overwrites (2)") :]
    assert "reset to 'GP\\_Standard\\_D2ds\\_v5' by this apply" in overwritten
    assert "created again by this apply" in overwritten
    isolation = out[out.index("### Isolation (1)") :]
    assert "points at test's outbound IP 20.50.1.10" in isolation
    comparison = out[out.index("### What test runs vs what prod will run") :]
    assert comparison.count("same build") == 2
    assert "stockapp-backend:9b1d7aa" in comparison


def test_the_bundled_stack_is_policy_clean_so_no_policy_section_fires() -> None:
    # The example plan deploys what terraform/ would: secrets by secret_name, GP server,
    # 30 days of geo-redundant backups. A plain env value marked sensitive would fire.
    code, out, _ = audit(*BOTH_ENVIRONMENTS)
    assert code == 2  # for the destructive changes, drift and isolation, not policy
    assert "### Policy (0)\n\nNone.\n" in out


def test_a_policy_violation_in_the_plan_is_reported_before_it_is_deployed(tmp_path: Path) -> None:
    doc = example_prod_plan()
    server = next(c for c in doc["resource_changes"] if c["address"].endswith("flexible_server.db"))
    server["change"]["after"]["sku_name"] = "B_Standard_B2s"
    server["change"]["after"]["backup_retention_days"] = 7
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    code, out, _ = audit(*BOTH_ENVIRONMENTS, "--format", "json", plan=plan)
    assert code == 2
    policy = {f["rule"]: f for f in json.loads(out)["findings"] if f["kind"] == "policy"}
    assert set(policy) == {"pg-not-burstable", "pg-backup-retention"}
    assert policy["pg-backup-retention"]["actual"] == 7
    assert policy["pg-not-burstable"]["message"].startswith("planned (what this apply deploys)")


@pytest.mark.parametrize("fmt", ["markdown", "html", "json", "sarif"])
def test_no_format_ever_shows_a_secret(fmt: str) -> None:
    code, out, _ = audit(*BOTH_ENVIRONMENTS, "--format", fmt)
    assert code == 2
    assert FAKE_PASSWORD not in out
    assert FAKE_API_KEY not in out
    # the plan JSON itself carries them (before values of sensitive outputs and secrets)
    raw = (EXAMPLES / "prod.tfplan.json").read_text()
    assert FAKE_PASSWORD in raw


def test_json_report_has_verify_schema_findings_and_plan_counts() -> None:
    code, out, _ = audit(*BOTH_ENVIRONMENTS, "--format", "json")
    doc = json.loads(out)
    assert doc["exit_code"] == code == 2
    counts = {k: n for k, n in doc["plan"]["counts"].items() if n}
    assert counts == {"create": 1, "update": 2, "replace": 1, "delete": 1}
    kinds = sorted(f["kind"] for f in doc["findings"])
    assert kinds == ["changed", "isolation", "missing", "unmanaged", "unmanaged", "unmanaged"]
    for finding in doc["findings"]:
        assert {"kind", "address", "type", "resource_id", "attribute", "severity"} <= set(finding)


def test_html_is_one_self_contained_page(tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    code, _, err = audit(*BOTH_ENVIRONMENTS, "--format", "html", "-o", str(out))
    assert code == 2
    assert f"wrote {out}" in err
    page = out.read_text()
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "<script" not in page and "<link" not in page


def test_a_long_report_is_cut_to_the_limit_with_a_pointer_to_the_artifact() -> None:
    code, out, _ = audit(*BOTH_ENVIRONMENTS, "--max-bytes", "2500", "--artifact", "prod-audit")
    assert code == 2
    assert len(out.encode()) <= 2500
    assert "prod-audit" in out
    assert "REVIEW:" in out  # the verdict survives any cut


def test_without_the_other_environment_the_report_says_isolation_was_not_checked() -> None:
    code, out, _ = audit(*BOTH_ENVIRONMENTS[:4])
    assert code == 2
    section = out[out.index("### Isolation (0)") :]
    assert section.split("\n")[2].startswith("Isolation not checked against test")


def test_a_plan_made_for_another_environment_is_refused(tmp_path: Path) -> None:
    doc = example_prod_plan()
    doc["variables"] = {"environment": {"value": "test"}}
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    code, out, err = audit(*BOTH_ENVIRONMENTS, plan=plan)
    assert code == 1
    assert out == ""
    assert "is a plan for environment 'test', not 'prod'" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "plan not found"),
        ("{not json", "is not valid JSON (line 1"),
        ('{"format_version": "1.2", "values": {}}', "is not a Terraform plan"),
        ('{"format_version": "2.0", "resource_changes": []}', "format 2.0 is not supported"),
    ],
)
def test_bad_plan_files_get_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    plan = tmp_path / "tfplan.json"
    if content is not None:
        plan.write_text(content)
    code, _, err = audit(*BOTH_ENVIRONMENTS, plan=plan)
    assert code == 1
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_compare_must_name_another_environment() -> None:
    code, _, err = audit(*BOTH_ENVIRONMENTS, "--compare", "staging")
    assert code == 1
    assert "--compare staging: not another environment (others: test)" in err


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address", 5, "tfplan.json: resource_changes[0].address must be a string, not a number"),
        ("type", ["x"], "tfplan.json: resource_changes[0].type must be a string, not an array"),
    ],
)
def test_malformed_resource_changes_get_one_line(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    doc = example_prod_plan()
    doc["resource_changes"][0][field] = value
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    code, _, err = audit(*BOTH_ENVIRONMENTS, plan=plan)
    assert code == 1
    assert message in err and "Traceback" not in err


def test_tags_of_the_wrong_shape_do_not_crash_the_report(tmp_path: Path) -> None:
    doc = example_prod_plan()
    backend = next(c for c in doc["resource_changes"] if c["address"].endswith(".backend"))
    backend["change"]["after"]["tags"] = ["environment=prod"]
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    code, out, err = audit(*BOTH_ENVIRONMENTS, "--format", "json", plan=plan)
    assert code == 2, err
    rules = {f.get("rule") for f in json.loads(out)["findings"]}
    assert "required-tags" in rules  # a list is not a tag map: every required tag is missing


def test_the_ignore_list_also_silences_policy_on_the_plan(tmp_path: Path) -> None:
    doc = example_prod_plan()
    backend = next(c for c in doc["resource_changes"] if c["address"].endswith(".backend"))
    backend["change"]["after"]["template"][0]["min_replicas"] = 0
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    code, out, _ = audit(*BOTH_ENVIRONMENTS, "--format", "json", plan=plan)
    assert {f.get("rule") for f in json.loads(out)["findings"]} >= {"app-min-replicas"}
    (tmp_path / "azprov.toml").write_text(
        '[environments.prod]\nignore = ["azurerm_container_app.backend"]\n[environments.test]\n'
    )
    code, out, err = audit(*BOTH_ENVIRONMENTS, "--format", "json", plan=plan)
    assert code == 2, err
    assert "app-min-replicas" not in {f.get("rule") for f in json.loads(out)["findings"]}


def test_a_partial_plan_is_flagged_for_the_reviewer(tmp_path: Path) -> None:
    """`complete: false` (-target, deferred changes): the apply is not the whole story."""
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps({**example_prod_plan(), "complete": False}))
    code, out, _ = audit(*BOTH_ENVIRONMENTS, plan=plan)
    assert code == 2
    assert out.splitlines()[2].startswith("**REVIEW: a partial plan (-target or deferred changes)")
    code, out, _ = audit(*BOTH_ENVIRONMENTS, "--format", "json", plan=plan)
    assert json.loads(out)["plan"]["partial"] is True
