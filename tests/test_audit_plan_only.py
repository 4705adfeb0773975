"""`azprov audit --plan-only`: a plan audited with nothing else (no terraform, no Azure).

Every plan the project holds is audited in every format: ours, the format 0.1 plan of
Terraform 0.12, and the third-party plans of other projects (with and without a
`prior_state`). Terraform is taken off PATH and every HTTP request fails, so a run that
reached for either would exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.state.plan import Action, parse_plan
from tests.conftest import EXAMPLES, FIXTURES
from tests.factories import FAKE_API_KEY, FAKE_PASSWORD, dumps, example_prod_plan
from tests.test_sarif import valid_sarif

runner = CliRunner()
EVERY_PLAN = sorted(
    [
        *(FIXTURES / "plans").glob("*.plan.json"),
        *(FIXTURES / "terraform").glob("*.plan.json"),
        EXAMPLES / "prod.tfplan.json",
    ]
)
SCOPE = "plan only: live drift and live isolation were not checked"
# Secrets some of these plans carry in clear (the AKS demo's PostgreSQL password, ours).
SECRETS = ("P@ssword1234!", FAKE_PASSWORD, FAKE_API_KEY)


@pytest.fixture(autouse=True)
def nothing_but_the_plan(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[responses.RequestsMock]:
    """No terraform on PATH, and any HTTP request (Azure, GitHub) fails the run."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
        assert not mock.calls, "--plan-only sent a request"


def audit(plan: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["audit", "--env", "prod", "--plan", str(plan), "--plan-only", *args]
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["markdown", "html", "json", "sarif", "table"])
@pytest.mark.parametrize("path", EVERY_PLAN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_plan_is_audited_alone_in_every_format(path: Path, fmt: str) -> None:
    code, out, err = audit(path, "-f", fmt)
    plan = parse_plan(path.read_text(encoding="utf-8"), path.name)
    assert code in (0, 2), err
    if plan.destructive:
        assert code == 2, "destructive changes always need a reviewer"
    assert not any(secret in out for secret in SECRETS)
    if fmt == "json":
        doc = json.loads(out)
        assert doc["plan_only"] is True and doc["live"] is None
        assert SCOPE in doc["verdict"]
        assert doc["plan"]["counts"]["create"] == plan.count(Action.CREATE)
        assert doc["exit_code"] == code
    elif fmt == "sarif":
        valid_sarif(out)
    elif fmt == "table":
        assert SCOPE in " ".join(out.split())  # the terminal view wraps the verdict
        assert "Drift: not checked (--plan-only reads no Azure)" in out
    else:
        assert SCOPE in out
        assert "Drift: not checked (--plan-only reads no Azure)" in out


def test_a_plan_without_prior_state_is_all_creates_and_fine() -> None:
    path = FIXTURES / "plans" / "zodiacae_IaC-master_azure.plan.json"
    assert "prior_state" not in json.loads(path.read_text(encoding="utf-8"))
    code, out, _ = audit(path, "-f", "json")
    doc = json.loads(out)
    assert doc["plan"]["counts"] == {**dict.fromkeys(doc["plan"]["counts"], 0), "create": 7}
    # another project's resources lack our required tags: policy on what the plan deploys
    assert {(f["kind"], f["rule"]) for f in doc["findings"]} == {("policy", "required-tags")}
    assert code == 2 and doc["verdict"] == f"REVIEW: 3 policy findings; {SCOPE} " + (
        "(isolation was checked within the plan) (exit 2)"
    )


def test_the_markdown_says_what_was_not_checked_and_where_terraform_saw_drift() -> None:
    code, out, _ = audit(EXAMPLES / "prod.tfplan.json")
    assert code == 2  # the bundled plan deletes and replaces
    assert f"**REVIEW: 2 destructive changes (1 delete, 1 replace); {SCOPE}" in out
    drift = out[out.index("### Live drift") :]
    assert drift.split("\n")[2].startswith("Not checked: --plan-only reads no Azure.")
    assert "### Changes Terraform found outside Terraform (2)" in out
    isolation = out[out.index("### Isolation (0)") :]
    assert isolation.split("\n")[2].startswith(
        "Isolation not checked against live Azure or the other environments (--plan-only)"
    )


def test_isolation_is_checked_within_the_plan(tmp_path: Path) -> None:
    doc = example_prod_plan()
    frontend = next(c for c in doc["resource_changes"] if c["address"].endswith(".frontend"))
    frontend["change"]["after"]["tags"] = {"environment": "test"}
    plan = tmp_path / "tfplan.json"
    plan.write_text(dumps(doc))
    code, out, _ = audit(plan, "-f", "json")
    assert code == 2
    (found,) = [f for f in json.loads(out)["findings"] if f["kind"] == "isolation"]
    assert found["address"] == "azurerm_container_app.frontend"
    assert (
        "tag environment='test' names test, but the resource belongs to prod" in (found["message"])
    )


@pytest.mark.parametrize(
    "extra",
    [
        ["--state", "prod.tfstate.json"],
        ["--live", "test=test.live.json"],
        ["--compare", "test"],
    ],
)
def test_options_that_would_read_more_are_refused_in_one_line(extra: list[str]) -> None:
    code, out, err = audit(EXAMPLES / "prod.tfplan.json", *extra)
    assert code == 1 and out == ""
    assert err.startswith(f"azprov: error: --plan-only reads nothing but the plan; drop {extra[0]}")
    assert len(err.strip().splitlines()) == 1


def test_the_commit_comes_from_azprov_plans_record_or_github_sha(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / ".azprov" / "prod"
    saved.mkdir(parents=True)
    plan = saved / "tfplan.json"
    plan.write_text((EXAMPLES / "prod.tfplan.json").read_text(encoding="utf-8"))
    _, out, _ = audit(plan, "-f", "json")
    assert json.loads(out)["plan"]["commit"] is None
    _, out, _ = audit(plan)
    assert "commit unknown" in out

    monkeypatch.setenv("GITHUB_SHA", "a" * 40)
    _, out, _ = audit(plan, "-f", "json")
    assert json.loads(out)["plan"]["commit"] == "a" * 40

    meta = {
        "environment": "prod", "state_key": "prod.tfstate", "git_commit": "b" * 40,
        "var_file": "prod.tfvars", "var_file_sha256": "0", "config_sha256": "0",
        "created_at": "2026-11-25T08:00:00Z", "has_changes": True,
        "format": "azprov-plan-meta/1",
    }  # fmt: skip
    (saved / "plan-meta.json").write_text(json.dumps(meta))
    _, out, _ = audit(plan)
    assert f"commit {'b' * 40}" in out
    # the plan JSON's own timestamp wins over the record's time
    assert "made 2026-11-25T08:12:44Z (" in out
