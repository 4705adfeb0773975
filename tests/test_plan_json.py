"""Plan JSON -> `Plan`: real plans from other projects and plans with every kind of change."""

from __future__ import annotations

import json

import pytest

from provisioner.state.plan import (
    UNKNOWN,
    Action,
    PlanError,
    action_of,
    parse_plan,
)
from tests.conftest import FIXTURES

TF = FIXTURES / "terraform"


def load(name: str) -> str:
    return (TF / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["create"], Action.CREATE),
        (["delete", "create"], Action.REPLACE),
        (["create", "delete"], Action.REPLACE),
        (["no-op"], Action.NO_OP),
        ([], Action.NO_OP),
        (["delete"], Action.DELETE),
        (["forget"], Action.FORGET),
    ],
)
def test_actions(actions: list[str], expected: Action) -> None:
    assert action_of(actions) is expected


def test_real_plan_with_modules_counts_creates() -> None:
    plan = parse_plan(load("zodiacae_privatecontainers-master.plan.json"))
    assert plan.format_version == "1.2"
    assert plan.count(Action.CREATE) == 15
    assert plan.destructive == ()
    app = next(
        c
        for c in plan.changes
        if c.address.endswith("allure_docker_service.azurerm_container_app.app")
    )
    assert app.module_address == "module.sampleapp.module.managed_app_allure_docker_service"
    assert any(ch.path == "id" and ch.after == UNKNOWN for ch in app.changes)


def test_real_plan_output_changes_are_unknown_until_apply() -> None:
    plan = parse_plan(load("zodiacae_az-terra-main.plan.json"))
    acr = next(o for o in plan.output_changes if o.name == "acr_id")
    assert acr.action is Action.CREATE
    assert acr.after == UNKNOWN
    assert plan.has_changes


def test_plaintext_password_in_a_real_plan_is_not_shown() -> None:
    plan = parse_plan(load("zodiacae_terraform-aks-demo-main.plan.json"))
    shown = json.dumps([[vars(ch) for ch in c.changes] for c in plan.changes], default=str)
    assert "P@ssword1234!" not in shown
    assert '"administrator_password"' not in shown or "***" in shown


def test_updates_replacements_deletions_and_drift() -> None:
    plan = parse_plan(load("azprov_prod_changes.plan.json"))
    counts = {a: plan.count(a) for a in (Action.CREATE, Action.UPDATE, Action.REPLACE)}
    assert counts == {Action.CREATE: 1, Action.UPDATE: 1, Action.REPLACE: 2}
    assert plan.count(Action.DELETE) == 1
    # Destructive first: the deletion, then replacements by address.
    assert [c.address for c in plan.destructive] == [
        "azurerm_postgresql_flexible_server_firewall_rule.office",
        "azurerm_postgresql_flexible_server.db",
        "module.monitoring.azurerm_log_analytics_workspace.logs",
    ]
    server = plan.destructive[1]
    assert server.replace_reasons == ("zone",)
    assert server.action_reason == "replace_because_cannot_update"
    assert [c.address for c in plan.imports] == [
        "azurerm_postgresql_flexible_server_firewall_rule.vpn"
    ]
    assert "data.azurerm_client_config.current" not in [c.address for c in plan.changes]
    drift = {c.address: c for c in plan.resource_drift}
    assert drift["azurerm_container_app.frontend"].action is Action.DELETE
    [sku] = drift["azurerm_postgresql_flexible_server.db"].changes
    assert (sku.path, sku.before, sku.after) == (
        "sku_name",
        "GP_Standard_D2ds_v5",
        "GP_Standard_D4ds_v5",
    )


def test_changed_attributes_hide_secrets_and_show_unknowns() -> None:
    plan = parse_plan(load("azprov_prod_changes.plan.json"))
    backend = next(c for c in plan.changes if c.address == "azurerm_container_app.backend")
    by_path = {ch.path: ch for ch in backend.changes}
    image = by_path["template.0.container.0.image"]
    assert image.before.endswith(":4f9c2e1")
    assert image.after.endswith(":9b1d7aa")
    assert by_path["latest_revision_name"].after == UNKNOWN
    assert "example-password-not-real" not in repr(plan)
    outputs = {o.name: o for o in plan.output_changes}
    assert outputs["database_url"].after == "***"
    assert outputs["postgres_fqdn"].after == UNKNOWN


def test_format_01_plan_from_terraform_012() -> None:
    plan = parse_plan(load("azprov_terraform012_format01.plan.json"))
    assert plan.terraform_version == "0.12.31"
    assert plan.resource_drift == ()
    [replace] = plan.destructive
    assert replace.address == "azurerm_container_registry.acr"
    assert replace.replace_reasons == ()
    tags = next(c for c in plan.changes if c.action is Action.UPDATE).changes
    assert [(t.path, t.before, t.after) for t in tags] == [("tags.env", "test", "prod")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"version": 4, "resources": []}', "not a Terraform plan"),
        ('{"format_version": "2.0", "resource_changes": []}', "format 2.0 is not supported"),
    ],
)
def test_bad_plan_json_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(text, source="tfplan.json")


def test_whole_objects_keep_their_shape_with_secrets_masked_and_unknowns_marked() -> None:
    doc = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "azurerm_container_app.api",
                "type": "azurerm_container_app",
                "name": "api",
                "change": {
                    "actions": ["update"],
                    "before": {"secret": [{"name": "db", "value": "hunter2"}], "fqdn": "a.io"},
                    "after": {
                        "secret": [{"name": "db", "value": "hunter3"}],
                        "registry": [{"password_secret_name": "acr-pw"}],
                        "env": [
                            {"name": "DB", "secret_name": "db", "value": "plain"},
                            {"name": "DB_PASSWORD", "value": "hunter4"},
                        ],
                        "app_settings": {"SMTP_PASSWORD": "hunter5"},
                    },
                    "after_unknown": {"fqdn": True},
                    "after_sensitive": {"env": [{"value": True}]},
                },
            }
        ],
    }
    change = parse_plan(json.dumps(doc)).resource_changes[0]
    assert change.before == {"secret": "***", "fqdn": "a.io"}
    assert change.after["secret"] == "***"  # the whole block is secret-named
    assert change.after["registry"] == [{"password_secret_name": "acr-pw"}]  # names a secret
    assert change.after["env"] == [
        {"name": "DB", "secret_name": "db", "value": "***"},  # marked sensitive
        {"name": "DB_PASSWORD", "value": "***"},  # its name says it is a secret
    ]
    assert change.after["app_settings"] == {"SMTP_PASSWORD": "***"}
    assert change.after["fqdn"] == UNKNOWN
    by_path = {c.path: c for c in change.changes}
    assert by_path["secret"].sensitive  # hunter2 -> hunter3 is a change, shown as *** -> ***
    assert (by_path["secret"].before, by_path["secret"].after) == ("***", "***")
    assert by_path["env.1.value"].after == "***"
    assert "hunter" not in repr(change)


@pytest.mark.parametrize("format_version", ["0.1", "1.2"])
def test_secrets_without_sensitive_marks_are_masked_by_name(format_version: str) -> None:
    """Old plans carry no `*_sensitive` marks; names and query strings still give them away."""
    after = {
        "primary_key": "COSMOS-KEY-NEW",
        "kube_config_raw": "client-key-data: KUBE-KEY-NEW",
        "app_settings": {
            "STRIPE_KEY": "sk-live-NEW",
            "JWT_SIGNING_KEY": "jwt-NEW",
            "WEBHOOK_URL": "https://hooks.example.com/x?token=TOK-NEW&code=FN-NEW",
            "LOG_LEVEL": "info",
        },
    }
    doc = {
        "format_version": format_version,
        "resource_changes": [
            {
                "address": "azurerm_linux_web_app.api",
                "type": "azurerm_linux_web_app",
                "name": "api",
                "change": {"actions": ["update"], "before": {}, "after": after},
            }
        ],
    }
    change = parse_plan(json.dumps(doc)).resource_changes[0]
    for leaked in ("COSMOS", "KUBE-KEY", "sk-live", "jwt-NEW", "TOK-NEW", "FN-NEW"):
        assert leaked not in repr(change), leaked
    assert change.after["app_settings"]["LOG_LEVEL"] == "info"
    assert change.after["app_settings"]["WEBHOOK_URL"].startswith("https://hooks.example.com/x?")


# Keys the plan reader and the audit renderer each caught with their own list before the
# one vocabulary (model/redaction.py) replaced both: each must still read as a secret.
FORMERLY_SECRET = [
    "administrator_password", "admin_password", "client_secret", "sas_token", "private_key",
    "primary_access_key", "shared_key", "api_key", "client_key", "kube_config",
    "kube_admin_config", "kube_config_raw", "primary_connection_string",
    "instrumentation_key", "certificate", "ssl_certificate_data", "certificate_password",
    "credentials", "db_pwd", "passwd", "STRIPE_KEY", "JWT_TOKEN", "accessKey", "sharedKey",
]  # fmt: skip
NAMES_A_SECRET = ["secret_name", "key_vault_secret_id", "password_secret_name", "secretRef"]


@pytest.mark.parametrize("key", FORMERLY_SECRET)
def test_every_key_the_old_lists_hid_is_still_hidden(key: str) -> None:
    from provisioner.model import is_secret_key

    assert is_secret_key(key)


@pytest.mark.parametrize("key", NAMES_A_SECRET)
def test_keys_that_only_name_a_secret_stay_shown(key: str) -> None:
    from provisioner.model import is_secret_key

    assert not is_secret_key(key)
