"""`azprov verify` beyond drift: policy on live Azure, isolation against the other environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.conftest import serve, write_state
from tests.factories import FAKE_PASSWORD, Environment

runner = CliRunner()


def verify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", "--env", "prod", *args])
    return result.exit_code, result.stdout, result.stderr


def findings(out: str, kind: str) -> list[dict[str, object]]:
    return [f for f in json.loads(out)["findings"] if f["kind"] == kind]


@pytest.fixture
def test_env() -> Environment:
    return Environment(
        name="test", pg_sku=("Standard_B1ms", "Burstable"), backup_days=7, geo_backup=False
    ).build()


def leak_frontend_to_test_backend(prod: Environment) -> str:
    """Point prod's frontend at test's backend, in the state and in Azure alike."""
    url = "https://ca-stockapp-backend-test.nicebeach-test.westeurope.azurecontainerapps.io"
    body = prod.find("/containerApps/ca-stockapp-frontend-prod")
    body["properties"]["template"]["containers"][0]["env"][0]["value"] = url
    record = next(r for r in prod.state_resources if r["name"] == "frontend")
    record["instances"][0]["attributes"]["template"][0]["container"][0]["env"][0]["value"] = url
    return url


def both_served(rsps: responses.RequestsMock, prod: Environment, test: Environment) -> None:
    """One subscription holding both environments' resource groups."""
    prod.bodies.update(test.bodies)
    serve(rsps, prod)


def test_other_environment_read_from_azure_reveals_a_reference_to_it(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, test_env: Environment
) -> None:
    url = leak_frontend_to_test_backend(prod)
    state = write_state(tmp_path, prod, "prod.json")
    other = write_state(tmp_path, test_env, "test.json")
    both_served(rsps, prod, test_env)
    code, out, _ = verify("--state", str(state), "--state", f"test={other}", "-f", "json")
    assert code == 2
    (leak,) = findings(out, "isolation")
    assert leak["address"] == "azurerm_container_app.frontend"
    assert leak["actual"] == url
    assert "test" in str(leak["message"]) and "ca-stockapp-backend-test" in str(leak["message"])
    assert findings(out, "changed") == []  # both sides agree: this is not drift


def test_a_deliberately_shared_resource_is_not_reported(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, test_env: Environment
) -> None:
    leak_frontend_to_test_backend(prod)
    shared = "ca-stockapp-backend-test.nicebeach-test.westeurope.azurecontainerapps.io"
    (tmp_path / "azprov.toml").write_text(f'[isolation]\nshared = ["{shared}"]\n')
    state = write_state(tmp_path, prod, "prod.json")
    other = write_state(tmp_path, test_env, "test.json")
    both_served(rsps, prod, test_env)
    code, out, _ = verify("--state", str(state), "--state", f"test={other}", "-f", "json")
    assert code == 0, out
    assert findings(out, "isolation") == []


def test_a_shared_state_key_is_an_isolation_finding(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, test_env: Environment
) -> None:
    (tmp_path / "azprov.toml").write_text(
        '[environments.prod]\nstate_key = "app.tfstate"\n'
        '[environments.test]\nstate_key = "app.tfstate"\n'
    )
    state = write_state(tmp_path, prod, "prod.json")
    other = write_state(tmp_path, test_env, "test.json")
    both_served(rsps, prod, test_env)
    code, out, _ = verify("--state", str(state), "--state", f"test={other}", "-f", "json")
    assert code == 2
    (shared,) = findings(out, "isolation")
    assert shared["attribute"] == "state_key" and "app.tfstate" in str(shared["message"])


def test_an_unreadable_other_environment_makes_the_run_incomplete(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    serve(rsps, prod)
    state = write_state(tmp_path, prod, "prod.json")
    code, out, _ = verify("--state", str(state), "--state", "test=missing.json", "-f", "json")
    assert code == 1  # an isolation check that did not run is not a clean one
    (unread,) = json.loads(out)["unread"]
    assert unread["scope"] == "environment test" and "missing.json" in unread["reason"]


def test_policy_runs_on_what_azure_has_now(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    registry = prod.find("/registries/acrstockappprod")
    registry["properties"]["adminUserEnabled"] = True  # turned on in the portal
    serve(rsps, prod)
    code, out, _ = verify("--state", str(write_state(tmp_path, prod)), "-f", "json")
    assert code == 2
    (policy,) = findings(out, "policy")
    assert policy["rule"] == "acr-admin-user-disabled"
    assert policy["address"] == "azurerm_container_registry.acr"
    assert str(policy["message"]).startswith("live (what runs now)")
    assert {f["kind"] for f in json.loads(out)["findings"]} == {"changed", "policy"}


def test_a_rule_switched_off_in_config_is_silent_and_its_reason_printed(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    prod.find("/registries/acrstockappprod")["properties"]["adminUserEnabled"] = True
    (tmp_path / "azprov.toml").write_text(
        "[environments.prod.policy.acr-admin-user-disabled]\n"
        'enabled = false\nreason = "the legacy deploy job still logs in with it"\n'
    )
    serve(rsps, prod)
    code, out, _ = verify("--state", str(write_state(tmp_path, prod)), "-f", "markdown")
    assert code == 2  # the drift (changed admin_enabled) is still reported
    assert "acr-admin-user-disabled" in out
    assert "the legacy deploy job still logs in with it" in out
    assert "**policy**" not in out


def test_plain_secret_env_values_in_azure_are_policy_findings_without_the_secret(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    backend = prod.find("/containerApps/ca-stockapp-backend-prod")
    env = backend["properties"]["template"]["containers"][0]["env"]
    env.append({"name": "DB_PASSWORD", "value": FAKE_PASSWORD})  # set by hand in the portal
    serve(rsps, prod)
    code, out, _ = verify("--state", str(write_state(tmp_path, prod)), "-f", "json")
    assert code == 2
    rules = {f["rule"] for f in findings(out, "policy")}
    assert rules == {"app-no-plain-secrets"}
    assert FAKE_PASSWORD not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "a.json", "--state", "b.json"], "--state is given twice for environment prod"),
        (["--state", "staging=s.json"], "unknown environment 'staging' (known: prod, test)"),
        (["--live", "test="], "--live test=: the file name is missing"),
    ],
)
def test_bad_source_options_get_one_line(args: list[str], message: str) -> None:
    code, out, err = verify(*args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and out == ""


def test_a_changed_plain_secret_env_value_is_drift_that_never_shows_the_value(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    backend = prod.find("/containerApps/ca-stockapp-backend-prod")
    record = next(r for r in prod.state_resources if r["name"] == "backend")
    container = record["instances"][0]["attributes"]["template"][0]["container"][0]
    container["env"].append({"name": "STRIPE_KEY", "secret_name": "", "value": "sk-state-1"})
    live_env = backend["properties"]["template"]["containers"][0]["env"]
    live_env.append({"name": "STRIPE_KEY", "value": "sk-live-2"})
    serve(rsps, prod)
    for fmt in ("json", "markdown", "table"):
        code, out, _ = verify("--state", str(write_state(tmp_path, prod)), "-f", fmt)
        assert code == 2
        assert "sk-state-1" not in out and "sk-live-2" not in out, fmt
    code, out, _ = verify("--state", str(write_state(tmp_path, prod)), "-f", "json")
    (changed,) = findings(out, "changed")
    assert changed["attribute"] == "template.container[backend].env[STRIPE_KEY].value"
    assert (changed["expected"], changed["actual"]) == ("***", "***")


def test_an_isolation_finding_shows_where_a_value_points_but_no_credential_in_it(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, test_env: Environment
) -> None:
    url = leak_frontend_to_test_backend(prod)
    hook = f"{url}/hook?token=TOKEN-NOT-REAL&sig=SIG-NOT-REAL"
    prod.find("/containerApps/ca-stockapp-frontend-prod")["properties"]["template"]["containers"][
        0
    ]["env"][0]["value"] = hook
    record = next(r for r in prod.state_resources if r["name"] == "frontend")
    record["instances"][0]["attributes"]["template"][0]["container"][0]["env"][0]["value"] = hook
    state = write_state(tmp_path, prod, "prod.json")
    other = write_state(tmp_path, test_env, "test.json")
    both_served(rsps, prod, test_env)
    code, out, _ = verify("--state", str(state), "--state", f"test={other}", "-f", "json")
    assert code == 2
    (leak,) = findings(out, "isolation")
    assert "ca-stockapp-backend-test" in str(leak["actual"])
    assert "NOT-REAL" not in out


def test_an_other_environment_read_from_its_state_only_is_said_so(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    argv = [
        "--state",
        str(EXAMPLES / "prod.tfstate.json"),
        "--live",
        str(EXAMPLES / "prod.live.json"),
    ]
    code, out, _ = verify(*argv, "--state", f"test={EXAMPLES / 'test.tfstate.json'}", "-f", "json")
    assert code == 2
    assert json.loads(out)["notes"] == [
        "isolation against test used its state only: pass --live test=FILE for what runs there"
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("isolation = 5", "azprov.toml: isolation must be a table ([isolation]), not a number"),
        (
            '[isolation]\nshare = ["acr"]',
            "azprov.toml: unknown setting 'share' in [isolation] (did you mean 'shared'?)",
        ),
    ],
)
def test_a_bad_isolation_table_is_one_line(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "azprov.toml").write_text(table + "\n")
    code, _, err = verify("--state", "x.json")
    assert code == 1
    assert err == f"azprov: error: {message}\n"
