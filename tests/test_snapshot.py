"""`azprov snapshot` and `verify --live`: the live side saved once, replayed offline."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tasks import DEMO
from tests.arm_fake import error_body
from tests.conftest import EXAMPLES, serve, write_state
from tests.factories import (
    FAKE_API_KEY,
    FAKE_PASSWORD,
    Environment,
    bundled_prod,
    dumps,
    example_prod_plan,
    example_test,
)

runner = CliRunner()


def take_snapshot(tmp_path: Path, rsps: responses.RequestsMock, env: Environment) -> Path:
    serve(rsps, env)
    out = tmp_path / f"{env.name}.live.json"
    state = write_state(tmp_path, env, f"{env.name}.state.json")
    result = runner.invoke(
        app, ["snapshot", "--env", env.name, "--state", str(state), "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600  # evidence, but readable by its owner only
    return out


def test_replaying_a_snapshot_finds_what_azure_would(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    live = take_snapshot(tmp_path, rsps, example)
    state = str(write_state(tmp_path, example))
    online = runner.invoke(app, ["verify", "--env", "prod", "--state", state, "-f", "json"])
    rsps.reset()  # from here on, any request to Azure would fail
    offline = runner.invoke(
        app, ["verify", "--env", "prod", "--state", state, "--live", str(live), "-f", "json"]
    )
    assert offline.exit_code == online.exit_code == 2
    assert json.loads(offline.stdout)["findings"] == json.loads(online.stdout)["findings"]
    assert json.loads(offline.stdout)["live"]["source"] == str(live)


def doc_env(doc: dict[str, Any], app: str) -> dict[str, Any]:
    """An app's container env in a snapshot document, by name."""
    [body] = [b for b in doc["resources"] if b["name"] == app]
    return {e["name"]: e.get("value", e.get("secretRef")) for e in
            body["properties"]["template"]["containers"][0]["env"]}  # fmt: skip


def test_snapshot_records_when_and_where_and_keeps_no_secrets(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    backend = example.find("/containerApps/ca-stockapp-backend-prod")["properties"]
    backend["template"]["containers"][0]["env"].append(
        {"name": "LEGACY_DSN", "value": f"Host=db;Username=app;Password={FAKE_PASSWORD};"}
    )
    text = take_snapshot(tmp_path, rsps, example).read_text()
    doc = json.loads(text)
    assert doc["format"] == "azprov-snapshot/1"
    assert doc["subscription_id"] == example.subscription
    assert doc["taken_at"].endswith("Z")
    assert FAKE_PASSWORD not in text and FAKE_API_KEY not in text
    # a secret-named value is dropped whole: snapshots travel as evidence
    env = doc_env(doc, "ca-stockapp-backend-prod")
    assert env["LEGACY_DSN"] == "***"
    assert '"customDomainVerificationId": "***"' in text


def test_a_snapshot_of_a_forbidden_type_replays_as_unknown(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    denied = error_body("AuthorizationFailed", "no 'Microsoft.App/containerApps/read'")
    serve(rsps, prod, failures={"/providers/microsoft.app/containerapps": (403, denied)})
    state, live = str(write_state(tmp_path, prod)), tmp_path / "live.json"
    taken = runner.invoke(app, ["snapshot", "--env", "prod", "--state", state, "-o", str(live)])
    assert taken.exit_code == 1 and "snapshot is incomplete" in taken.stderr
    rsps.reset()
    args = ["verify", "--env", "prod", "--state", state, "--live", str(live), "-f", "json"]
    replay = runner.invoke(app, args)
    assert replay.exit_code == 1
    assert json.loads(replay.stdout)["findings"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            json.dumps({"format": "azprov-snapshot/1", "environment": "test"}),
            "is a snapshot of environment 'test', not 'prod'",
        ),
        ("[]", "is not an azprov snapshot"),
        ("{", "is not valid JSON"),
        (
            json.dumps({"format": "azprov-snapshot/1", "environment": "prod"}),
            "is not a complete azprov snapshot",
        ),
    ],
)
def test_a_wrong_snapshot_is_refused(
    tmp_path: Path, example: Environment, content: str, message: str
) -> None:
    snap = tmp_path / "live.json"
    snap.write_text(content)
    state = str(write_state(tmp_path, example))
    result = runner.invoke(app, ["verify", "--env", "prod", "--state", state, "--live", str(snap)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("build", [bundled_prod, example_test], ids=["prod", "test"])
def test_bundled_example_is_real_snapshot_output(
    tmp_path: Path, rsps: responses.RequestsMock, build: Callable[[], Environment]
) -> None:
    """examples/ is what `azprov snapshot` writes for `bundled_prod()` and `example_test()`.

    Regenerate with `AZPROV_REGENERATE_EXAMPLES=1 python3 tasks.py test -k bundled_example`.
    """
    env = build()
    fresh = json.loads(take_snapshot(tmp_path, rsps, env).read_text())
    state_file = EXAMPLES / f"{env.name}.tfstate.json"
    live_file = EXAMPLES / f"{env.name}.live.json"
    if os.environ.get("AZPROV_REGENERATE_EXAMPLES"):
        state_file.write_text(dumps(env.state_v4()))
        live_file.write_text(dumps({**fresh, "taken_at": "2026-11-24T09:30:00Z"}))
    bundled = json.loads(live_file.read_text())
    assert {**bundled, "taken_at": None} == {**fresh, "taken_at": None}
    assert json.loads(state_file.read_text()) == env.state_v4()


def test_bundled_plan_is_the_factory_plan() -> None:
    plan_file = EXAMPLES / "prod.tfplan.json"
    if os.environ.get("AZPROV_REGENERATE_EXAMPLES"):
        plan_file.write_text(dumps(example_prod_plan()))
    assert json.loads(plan_file.read_text()) == example_prod_plan()


def test_demo_command_reports_drift_and_the_isolation_leak() -> None:
    # The command `python3 tasks.py demo` runs, with the paths made absolute.
    argv = [arg.replace("examples/", f"{EXAMPLES}/") for arg in DEMO]
    result = runner.invoke(app, argv, terminal_width=200)
    assert result.exit_code == 2
    verdict = "FINDINGS: 6 findings (1 changed, 1 missing, 3 unmanaged, 1 isolation)"
    assert verdict in result.stdout
    assert "GP_Standard_D4ds_v5" in result.stdout
    assert "points at test's outbound IP 20.50.1.10" in result.stdout


def test_without_the_other_environment_the_isolation_check_says_it_did_not_run() -> None:
    argv = ["verify", "--env", "prod", "--state", str(EXAMPLES / "prod.tfstate.json")]
    result = runner.invoke(app, [*argv, "--live", str(EXAMPLES / "prod.live.json")])
    assert result.exit_code == 2
    assert "DRIFT: 5 findings (1 changed, 1 missing, 3 unmanaged)" in result.stdout
    assert "isolation not checked against test: pass --state test=FILE" in result.stdout
