"""azurerm_application_insights: the keys it carries never show, its workspace link is an ID."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.live.snapshot import snapshot_to_json
from tests.arm_fake import ArmFake, run_verify
from tests.factories import Environment
from tests.test_registry import FIXTURES_BY_TYPE, PATHS, TypeFixture, _verify

INSIGHTS = FIXTURES_BY_TYPE["azurerm_application_insights"]


def _secrets(fixture: TypeFixture) -> tuple[str, str]:
    """The component's instrumentation key and the connection string that embeds it."""
    attributes = fixture.doc["resource"]["attributes"]
    return attributes["instrumentation_key"], attributes["connection_string"]


def _twin(environment: str, key: str) -> TypeFixture:
    """The fixture's component and workspace as another environment's, with its own key."""
    text = json.dumps(INSIGHTS.doc).replace("prod", environment)
    return TypeFixture(INSIGHTS.tf_type, json.loads(text.replace(_secrets(INSIGHTS)[0], key)))


def _save(tmp_path: Path, env: Environment) -> tuple[str, str]:
    """The environment's state file and `azprov snapshot`'s file of its live side."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(env).install(rsps)
        inventory = run_verify(env).inventory
    state, live = tmp_path / f"{env.name}.tfstate.json", tmp_path / f"{env.name}.live.json"
    state.write_text(json.dumps(env.state_v4()))
    live.write_text(snapshot_to_json(inventory, env.name))
    return str(state), str(live)


@pytest.mark.parametrize("output", ["table", "json", "markdown"])
def test_instrumentation_key_and_connection_string_never_show(tmp_path: Path, output: str) -> None:
    """prod's component relinked by hand to test's workspace, with less retention."""
    twin = _twin("test", "e1d2c3b4-a5f6-4a7b-8c9d-0e1f2a3b4c5d")
    secrets = (*_secrets(INSIGHTS), *_secrets(twin))
    prod, test = INSIGHTS.world(), twin.world()
    test.name = "test"
    test_workspace = str(twin.doc["with"][0]["attributes"]["id"])
    props = prod.bodies[INSIGHTS.arm_id.lower()]["properties"]
    props.update(WorkspaceResourceId=test_workspace.lower(), RetentionInDays=30)
    prod_state, prod_live = _save(tmp_path, prod)
    test_state, test_live = _save(tmp_path, test)
    for saved in (prod_live, test_live):
        assert [s for s in secrets if s in Path(saved).read_text()] == []

    argv = ["verify", "--env", "prod", "-f", output, "--state", prod_state, "--live", prod_live,
            "--state", f"test={test_state}", "--live", f"test={test_live}"]  # fmt: skip
    result = CliRunner().invoke(app, argv, terminal_width=200)

    assert result.exit_code == 2, result.stderr
    report = result.stdout
    shown = report.replace("\\", "")  # Markdown escapes `_`
    for seen in ("workspace_id", "retention_in_days", "isolation", "log-stockapp-test"):
        assert seen in shown, seen
    assert [s for s in secrets if s in report] == []
    if output == "json":
        doc: dict[str, Any] = json.loads(report)
        kinds = sorted((f["kind"], f["attribute"]) for f in doc["findings"])
        assert ("changed", "workspace_id") in kinds and ("changed", "retention_in_days") in kinds
        assert any(kind == "isolation" for kind, _ in kinds)


@pytest.mark.parametrize("path", PATHS)
def test_the_workspace_link_is_an_arm_id_compared_without_case(path: str) -> None:
    env = INSIGHTS.world()
    props = env.bodies[INSIGHTS.arm_id.lower()]["properties"]
    props["WorkspaceResourceId"] = str(props["WorkspaceResourceId"]).upper()
    analysis = _verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize(("disabled", "enabled"), [(True, False), (False, True), (None, True)])
def test_local_authentication_is_disable_local_auth_turned_around(
    disabled: bool | None, enabled: bool
) -> None:
    """azurerm reads an absent `DisableLocalAuth` as local authentication enabled."""
    env = INSIGHTS.world()
    props = env.bodies[INSIGHTS.arm_id.lower()]["properties"]
    if disabled is None:
        del props["DisableLocalAuth"]
    else:
        props["DisableLocalAuth"] = disabled
    findings = _verify(env, True).findings
    if enabled:  # the state has it off (DisableLocalAuth: true)
        assert [(f.attribute, f.expected, f.actual) for f in findings] == [
            ("local_authentication_enabled", False, True)
        ]
    else:
        assert findings == ()
