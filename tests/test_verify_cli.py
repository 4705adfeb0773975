"""`azprov verify` end to end: real SDK clients, ARM replayed with `responses`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.arm_fake import error_body, graph_path_requests, list_path_requests
from tests.conftest import serve, write_state
from tests.factories import FAKE_API_KEY, FAKE_PASSWORD, Environment

runner = CliRunner()


def verify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", "--env", "prod", *args])
    return result.exit_code, result.stdout, result.stderr


def test_clean_environment_exits_0(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    serve(rsps, prod)
    code, out, _ = verify("--state", str(write_state(tmp_path, prod)))
    assert code == 0, out
    assert "CLEAN" in out
    assert "11 resources checked" in out


def test_drift_json_has_the_documented_schema(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    serve(rsps, example, page_size=2)  # lists come back in pages joined by nextLink
    code, out, _ = verify("--state", str(write_state(tmp_path, example)), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["environment"] == "prod"
    assert doc["subscription_id"] == example.subscription
    assert doc["resources_checked"] == 11
    kinds = [(f["kind"], f["address"], f["attribute"]) for f in doc["findings"]]
    assert kinds == [
        ("changed", "azurerm_postgresql_flexible_server.db", "sku_name"),
        ("missing", "azurerm_container_app.frontend", None),
        ("unmanaged", None, None),
        ("unmanaged", None, None),
    ]
    first = doc["findings"][0]
    assert set(first) == {
        "kind",
        "address",
        "type",
        "resource_id",
        "attribute",
        "expected",
        "actual",
        "severity",
        "message",
        "attribution",
        "origin",
        "new",
        "first_seen",
    }
    assert (first["expected"], first["actual"], first["severity"]) == (
        "GP_Standard_D2ds_v5",
        "GP_Standard_D4ds_v5",
        "high",
    )
    rule = doc["findings"][2]
    assert rule["type"] == "azurerm_postgresql_flexible_server_firewall_rule"
    assert "203.0.113.0" in rule["message"]
    assert doc["not_checked"] == []  # every type of the governed stack is read


def test_markdown_report_to_a_file(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    serve(rsps, example)
    report = tmp_path / "drift.md"
    code, out, err = verify(
        "--state", str(write_state(tmp_path, example)), "-f", "markdown", "-o", str(report)
    )
    assert code == 2 and out == ""
    text = report.read_text()
    assert text.startswith("## azprov verify: <code>prod</code>")
    assert "| high | missing | <code>azurerm\\_container\\_app.frontend</code> |" in text
    assert "wrote" in err


def test_secrets_never_appear_in_any_format(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    backend = example.find("/containerApps/ca-stockapp-backend-prod")["properties"]
    backend["template"]["containers"][0]["env"].append(
        {"name": "LEGACY_DSN", "value": f"postgres://admin:{FAKE_PASSWORD}@db.example:5432/app"}
    )
    serve(rsps, example)
    state = write_state(tmp_path, example)
    for fmt in ("table", "json", "markdown", "sarif"):
        code, out, err = verify("--state", str(state), "-f", fmt)
        assert code == 2
        for secret in (FAKE_PASSWORD, FAKE_API_KEY, "test-token-not-real"):
            assert secret not in out + err


def test_reads_go_to_the_configured_endpoint(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    fake = serve(rsps, prod, endpoint="https://arm.sovereign.test")
    code, _, _ = verify(
        "--state", str(write_state(tmp_path, prod)), "--arm-endpoint", "https://arm.sovereign.test"
    )
    assert code == 0
    assert fake.requests  # every call went to the sovereign endpoint; others are unmatched


@pytest.mark.parametrize("inventory", ["--resource-graph", "--no-resource-graph"])
def test_a_forbidden_resource_type_is_unknown_not_clean(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, inventory: str
) -> None:
    denied = (
        403,
        error_body(
            "AuthorizationFailed",
            "The client does not have authorization to perform action "
            "'Microsoft.App/containerApps/read'.",
        ),
    )
    apps = [k for k, b in prod.bodies.items() if b["type"] == "Microsoft.App/containerApps"]
    # Resource Graph silently leaves out what the caller may not read; lists and GETs say 403.
    failures = {"/providers/microsoft.app/containerapps": denied}
    failures |= {"/containerapps/" + key.rsplit("/", 1)[1]: denied for key in apps}
    serve(rsps, prod, failures=failures, graph_view=dict.fromkeys(apps))
    code, out, _ = verify("--state", str(write_state(tmp_path, prod)), "-f", "json", inventory)
    assert code == 1
    doc = json.loads(out)
    assert {u["what"] for u in doc["unread"]} == {"Microsoft.App/containerApps"}
    assert all("403 AuthorizationFailed" in u["reason"] for u in doc["unread"])
    # unknown: not missing, and not "changed" from the generic list's copy without properties
    assert doc["findings"] == []


def test_a_deleted_resource_group_makes_everything_missing(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    state = write_state(tmp_path, prod)
    serve(rsps, Environment(name="prod"))  # nothing exists
    code, out, _ = verify("--state", str(state), "-f", "json")
    assert code == 2
    doc = json.loads(out)
    assert {f["kind"] for f in doc["findings"]} == {"missing"}
    assert len(doc["findings"]) == 11


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (404, "SubscriptionNotFound", "subscription not usable"),
        (401, "InvalidAuthenticationToken", "Azure rejected the credentials"),
    ],
)
def test_access_failures_are_one_line(
    tmp_path: Path,
    rsps: responses.RequestsMock,
    prod: Environment,
    status: int,
    code: str,
    message: str,
) -> None:
    serve(rsps, prod, failures={"": (status, error_body(code, "nope"))})
    exit_code, out, err = verify("--state", str(write_state(tmp_path, prod)))
    assert exit_code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_no_credentials_is_one_line(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZPROV_ACCESS_TOKEN")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az`, `azd` or `pwsh` to ask
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    serve(rsps, prod)
    code, _, err = verify("--state", str(write_state(tmp_path, prod)))
    assert code == 1
    assert err.startswith("azprov: error: no usable Azure credentials")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--env", "staging", "--state", "s.json"],
            "unknown environment 'staging' (known: prod, test)",
        ),
        (["--env", "prod", "--state", "missing.json"], "state file not found: missing.json"),
        (["--env", "prod", "--state", "bad.json"], "bad.json is not valid JSON"),
        (["--env", "prod", "--state", "empty.json"], "empty.json is empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "empty.json").write_text("")
    result = runner.invoke(app, ["verify", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"azprov: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_state_and_without_terraform_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(app, ["verify", "--env", "prod"])
    assert result.exit_code == 1
    assert "terraform not found on PATH" in result.stderr


def test_subscription_override_must_agree_with_the_state(tmp_path: Path, prod: Environment) -> None:
    code, _, err = verify(
        "--state",
        str(write_state(tmp_path, prod)),
        "--subscription",
        "00000000-0000-0000-0000-000000000000",
    )
    assert code == 1
    assert "but --subscription/AZURE_SUBSCRIPTION_ID is 00000000" in err


def test_ignore_list_in_config_silences_a_deliberate_exception(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    rule = example.find("/firewallRules/office-vpn")["id"]
    (tmp_path / "azprov.toml").write_text(
        f'[environments.prod]\nignore = ["{rule.upper()}", "azurerm_container_app.frontend"]\n'
    )
    serve(rsps, example)
    code, out, _ = verify("--state", str(write_state(tmp_path, example)), "-f", "json")
    assert code == 2
    kinds = [(f["kind"], f["type"]) for f in json.loads(out)["findings"]]
    assert kinds == [
        ("changed", "azurerm_postgresql_flexible_server"),
        ("unmanaged", "azurerm_storage_account"),
    ]


@pytest.mark.parametrize("inventory", ["--resource-graph", "--no-resource-graph"])
def test_one_query_or_one_list_per_type_never_one_get_per_resource(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, inventory: str
) -> None:
    # Resource Graph: one query, the group's role assignments, the server's two child lists.
    # Lists: the group, its generic list, one typed list per type it holds, its role
    # assignments, the tag read and the server's child lists. Derived from the registry.
    expected = (
        graph_path_requests(prod) if inventory == "--resource-graph" else list_path_requests(prod)
    )
    fake = serve(rsps, prod)
    code, _, err = verify("--state", str(write_state(tmp_path, prod)), inventory)
    assert code == 0
    assert err == ""  # no fallback note: Resource Graph answered, or was not asked
    assert len(fake.requests) == expected
    # every path once, but the Resource Graph endpoint (the inventory, then its changes)
    reads = [p for m, p in fake.calls if m == "GET"]
    assert len(set(reads)) == len(reads)
