"""Environment isolation: test and prod built by the factories, then made to leak into each other.

Every rule has a case that must be reported and one that must not: the two environments as
built share a subscription, a tenant, database and container names, identity GUIDs inside
the apps' bodies and the `AllowAzureServices` rule, and none of that is a reference.
"""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.model import REDACTED, Finding, FindingKind, Severity
from provisioner.state import parse_state
from provisioner.state.plan import plan_from_document
from tests.factories import FAKE_API_KEY, FAKE_PASSWORD, SUBSCRIPTION, Environment, dumps

PROD_PG = "psql-stockapp-prod.postgres.database.azure.com"
PROD_ACR = "acrstockappprod.azurecr.io"
PROD_DOMAIN = "nicebeach-prod.westeurope.azurecontainerapps.io"
PROD_BACKEND_FQDN = f"ca-stockapp-backend-prod.{PROD_DOMAIN}"
PROD_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-stockapp-prod"


@pytest.fixture
def test_env() -> Environment:
    return Environment(name="test").build()


def attrs(env: Environment, address: str) -> dict[str, Any]:
    """The state attributes of one resource, by address, for a test to edit."""
    tf_type, name = address.split(".")
    record = next(r for r in env.state_resources if (r["type"], r["name"]) == (tf_type, name))
    attributes: dict[str, Any] = record["instances"][0]["attributes"]
    return attributes


def data(
    env: Environment,
    *,
    state: bool = True,
    live: bool = True,
    state_key: str | None = None,
    plan: dict[str, Any] | None = None,
) -> EnvironmentData:
    return EnvironmentData(
        name=env.name,
        state_key=state_key or f"{env.name}.tfstate",
        state=parse_state(dumps(env.state_v4()), f"{env.name}.tfstate") if state else None,
        live=tuple(env.bodies.values()) if live else None,
        planned=plan_from_document(plan) if plan is not None else None,
    )


def check(
    target: Environment | EnvironmentData,
    other: Environment | EnvironmentData,
    shared: tuple[str, ...] = (),
) -> list[Finding]:
    t = target if isinstance(target, EnvironmentData) else data(target)
    o = other if isinstance(other, EnvironmentData) else data(other)
    found = isolation_findings(t, [o], shared)
    assert all(f.kind is FindingKind.ISOLATION for f in found)
    return found


def where(findings: list[Finding]) -> list[tuple[str | None, str | None]]:
    return [(f.address, f.attribute) for f in findings]


def backend(env: Environment) -> dict[str, Any]:
    return attrs(env, "azurerm_container_app.backend")


def backend_body(env: Environment) -> dict[str, Any]:
    return env.find(f"/containerApps/ca-stockapp-backend-{env.name}")


# -- the environments as built -------------------------------------------------------------


def test_separate_environments_are_isolated_both_ways(
    test_env: Environment, prod: Environment
) -> None:
    assert check(test_env, prod) == []
    assert check(prod, test_env) == []


def test_names_subscription_and_locations_are_not_references(
    test_env: Environment, prod: Environment
) -> None:
    env = backend(test_env)["template"][0]["container"][0]["env"]
    env += [
        {"name": "DB_SERVER_NAME", "secret_name": "", "value": "psql-stockapp-prod"},
        {"name": "STAGE", "secret_name": "", "value": "prod"},
        {"name": "SUBSCRIPTION", "secret_name": "", "value": SUBSCRIPTION},
        {"name": "SUBSCRIPTION_ID", "secret_name": "", "value": f"/subscriptions/{SUBSCRIPTION}"},
        {"name": "REGION", "secret_name": "", "value": "westeurope"},
        # a look-alike host: the prod server's name inside someone else's domain
        {"name": "MIRROR", "secret_name": "", "value": "https://psql-stockapp-prod.example.com"},
        {"name": "SIBLING", "secret_name": "",
         "value": "psql-stockapp-prod2.postgres.database.azure.com"},
    ]  # fmt: skip
    assert check(test_env, prod) == []


# -- 1. a resource in two states -------------------------------------------------------------


def test_a_resource_in_both_states_is_reported_once(
    test_env: Environment, prod: Environment
) -> None:
    prod_rule = attrs(prod, "azurerm_postgresql_flexible_server_firewall_rule.azure_services")
    # test's state adopted prod's registry (say by a wrong `terraform import`), in another case
    acr = attrs(test_env, "azurerm_container_registry.acr")
    acr["id"] = (
        attrs(prod, "azurerm_container_registry.acr")["id"]
        .upper()
        .replace("/SUBSCRIPTIONS/", "/subscriptions/")
    )
    found = [f for f in check(test_env, prod) if f.attribute == "id"]
    assert where(found) == [("azurerm_container_registry.acr", "id")]
    assert found[0].severity is Severity.HIGH
    assert "also in prod's state (as azurerm_container_registry.acr)" in found[0].message
    assert prod_rule["id"] not in found[0].message


def test_a_resource_inside_a_group_another_state_owns(
    test_env: Environment, prod: Environment
) -> None:
    rule = attrs(test_env, "azurerm_postgresql_flexible_server_firewall_rule.azure_services")
    rule["id"] = f"{PROD_RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-test"
    found = [f for f in check(test_env, prod) if f.attribute == "id"]
    assert len(found) == 1
    assert "lies under prod's azurerm_resource_group.rg" in found[0].message


def test_a_shared_resource_in_both_states_is_not_reported(
    test_env: Environment, prod: Environment
) -> None:
    prod_acr = attrs(prod, "azurerm_container_registry.acr")
    attrs(test_env, "azurerm_container_registry.acr")["id"] = prod_acr["id"]
    assert check(test_env, prod, shared=(prod_acr["id"],)) == []


# -- 2. references to the other environment --------------------------------------------------


def test_database_url_pointing_at_prod_is_reported_with_the_password_masked(
    test_env: Environment, prod: Environment
) -> None:
    url = f"postgresql://stockadmin:{FAKE_PASSWORD}@{PROD_PG}:5432/stockapp?sslmode=require"
    backend(test_env)["secret"][0]["value"] = url
    found = check(test_env, prod)
    assert where(found) == [("azurerm_container_app.backend", "secret.0.value")]
    finding = found[0]
    assert finding.severity is Severity.HIGH
    assert finding.actual == (
        f"postgresql://stockadmin:{REDACTED}@{PROD_PG}:5432/stockapp?sslmode=require"
    )
    assert f"prod's FQDN {PROD_PG} (azurerm_postgresql_flexible_server.db)" in finding.message
    assert finding.resource_id == backend(test_env)["id"]
    assert FAKE_PASSWORD not in repr(found)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (
            f"Server={PROD_PG};Database=stockapp;User Id=stockadmin;Password={FAKE_PASSWORD};",
            f"Server={PROD_PG};Database=stockapp;User Id=stockadmin;Password={REDACTED};",
        ),
        (
            f"host={PROD_PG} port=5432 dbname=stockapp password={FAKE_PASSWORD}",
            f"host={PROD_PG} port=5432 dbname=stockapp password={REDACTED}",
        ),
        (f"{FAKE_PASSWORD} {PROD_PG}", REDACTED),  # nothing says where the secret ends
        (
            f"https://{PROD_PG}/hooks/{FAKE_PASSWORD}?sig={FAKE_PASSWORD}&sslmode=require",
            f"https://{PROD_PG}/{REDACTED}?sig={REDACTED}&sslmode=require",
        ),
    ],
)
def test_secret_values_show_where_they_point_but_never_the_secret(
    test_env: Environment, prod: Environment, secret: str, shown: str
) -> None:
    backend(test_env)["secret"][1]["value"] = secret
    found = check(test_env, prod)
    assert [f.actual for f in found] == [shown]
    assert FAKE_PASSWORD not in repr(found)


def test_a_secret_pointing_at_its_own_database_is_fine(
    test_env: Environment, prod: Environment
) -> None:
    # The factory's DATABASE_URL holds a password and the test server's FQDN.
    assert FAKE_PASSWORD in backend(test_env)["secret"][0]["value"]
    assert check(test_env, prod) == []


def test_image_from_prod_registry_is_one_finding_seen_in_state_and_azure(
    test_env: Environment, prod: Environment
) -> None:
    image = f"{PROD_ACR}/stockapp-backend:4f9c2e1"
    backend(test_env)["template"][0]["container"][0]["image"] = image
    backend_body(test_env)["properties"]["template"]["containers"][0]["image"] = image
    found = check(test_env, prod)
    assert where(found) == [("azurerm_container_app.backend", "template.0.container.0.image")]
    assert found[0].actual == image
    assert found[0].message.endswith("found in the state and Azure")
    assert f"prod's login server {PROD_ACR} (azurerm_container_registry.acr)" in found[0].message


def test_registry_server_drifted_to_prod_only_in_azure_is_reported_with_the_arm_path(
    test_env: Environment, prod: Environment
) -> None:
    backend_body(test_env)["properties"]["configuration"]["registries"][0]["server"] = PROD_ACR
    found = check(test_env, prod)
    assert where(found) == [
        ("azurerm_container_app.backend", "properties.configuration.registries.0.server")
    ]
    assert found[0].message.endswith("found in Azure only, not in the state")


@pytest.mark.parametrize("registry", [PROD_ACR, "acrstockappprod", "ACRSTOCKAPPPROD.azurecr.io"])
def test_a_registry_declared_shared_is_not_reported(
    test_env: Environment, prod: Environment, registry: str
) -> None:
    prod_acr_id = attrs(prod, "azurerm_container_registry.acr")["id"]
    backend(test_env)["template"][0]["container"][0]["image"] = f"{PROD_ACR}/stockapp-backend:1"
    backend(test_env)["registry"][0]["server"] = PROD_ACR
    # the role assignment's scope names the registry by ID: shared by login server covers it
    attrs(test_env, "azurerm_role_assignment.apps_acr_pull")["scope"] = prod_acr_id
    assert len(check(test_env, prod)) == 3
    assert check(test_env, prod, shared=(registry,)) == []


def test_container_app_environment_in_state_and_azure_is_deduplicated(
    test_env: Environment, prod: Environment
) -> None:
    prod_env_id = attrs(prod, "azurerm_container_app_environment.env")["id"]
    backend(test_env)["container_app_environment_id"] = prod_env_id
    props = backend_body(test_env)["properties"]
    props["managedEnvironmentId"] = props["environmentId"] = prod_env_id.lower()
    found = check(test_env, prod)
    assert where(found) == [("azurerm_container_app.backend", "container_app_environment_id")]
    assert "prod's azurerm_container_app_environment.env" in found[0].message
    assert found[0].message.endswith("found in the state and Azure")


def test_identity_ids_point_at_prods_identity_in_state_and_in_arm_map_keys(
    test_env: Environment, prod: Environment
) -> None:
    prod_identity = attrs(prod, "azurerm_user_assigned_identity.apps")["id"]
    backend(test_env)["identity"][0]["identity_ids"] = [prod_identity]
    frontend = test_env.find("/containerApps/ca-stockapp-frontend-test")
    frontend["identity"]["userAssignedIdentities"] = {prod_identity.lower(): {}}
    found = check(test_env, prod)
    assert where(found) == [
        ("azurerm_container_app.backend", "identity.0.identity_ids.0"),
        ("azurerm_container_app.frontend", "identity.userAssignedIdentities"),
    ]
    assert found[1].actual == prod_identity.lower()
    assert all("prod's azurerm_user_assigned_identity.apps" in f.message for f in found)


def test_log_analytics_workspace_by_id_and_by_customer_id_is_one_finding(
    test_env: Environment, prod: Environment
) -> None:
    workspace = attrs(prod, "azurerm_log_analytics_workspace.logs")
    attrs(test_env, "azurerm_container_app_environment.env")["log_analytics_workspace_id"] = (
        workspace["id"]
    )
    cae = test_env.find("/managedEnvironments/cae-stockapp-test")["properties"]
    cae["appLogsConfiguration"]["logAnalyticsConfiguration"]["customerId"] = workspace[
        "workspace_id"
    ]
    found = check(test_env, prod)
    assert where(found) == [("azurerm_container_app_environment.env", "log_analytics_workspace_id")]
    assert found[0].message.endswith("found in the state and Azure")


def test_customer_id_alone_in_azure_names_the_workspace(
    test_env: Environment, prod: Environment
) -> None:
    customer_id = attrs(prod, "azurerm_log_analytics_workspace.logs")["workspace_id"]
    cae = test_env.find("/managedEnvironments/cae-stockapp-test")["properties"]
    cae["appLogsConfiguration"]["logAnalyticsConfiguration"]["customerId"] = customer_id
    found = check(test_env, prod)
    assert len(found) == 1
    assert found[0].attribute == (
        "properties.appLogsConfiguration.logAnalyticsConfiguration.customerId"
    )
    assert f"prod's workspace ID {customer_id} (azurerm_log_analytics_workspace.logs)" in (
        found[0].message
    )


def test_hosts_under_prods_default_domain_are_prods(
    test_env: Environment, prod: Environment
) -> None:
    frontend = attrs(test_env, "azurerm_container_app.frontend")
    env = frontend["template"][0]["container"][0]["env"]
    env[0]["value"] = f"https://{PROD_BACKEND_FQDN}/api"
    env.append({"name": "ADMIN_URL", "secret_name": "", "value": f"https://admin.{PROD_DOMAIN}"})
    found = check(test_env, prod)
    assert where(found) == [
        ("azurerm_container_app.frontend", "template.0.container.0.env.0.value"),
        ("azurerm_container_app.frontend", "template.0.container.0.env.1.value"),
    ]
    # the exact ingress FQDN names the app; any other host falls back to the domain's owner
    assert "prod's ingress FQDN" in found[0].message
    assert "azurerm_container_app.backend" in found[0].message
    assert f"prod's default domain {PROD_DOMAIN}" in found[1].message


def test_an_id_under_prods_resource_group_is_a_reference(
    test_env: Environment, prod: Environment
) -> None:
    storage = f"{PROD_RG}/providers/Microsoft.Storage/storageAccounts/stexports"
    env = backend(test_env)["template"][0]["container"][0]["env"]
    env.append({"name": "EXPORT_ACCOUNT", "secret_name": "", "value": storage})
    found = check(test_env, prod)
    assert len(found) == 1
    assert "a resource under prod's azurerm_resource_group.rg" in found[0].message


def test_role_assignment_for_prods_identity_principal(
    test_env: Environment, prod: Environment
) -> None:
    principal = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    attrs(prod, "azurerm_user_assigned_identity.apps")["principal_id"] = principal
    grant = attrs(test_env, "azurerm_role_assignment.apps_acr_pull")
    assert check(test_env, prod) == []
    grant["principal_id"] = principal
    found = check(test_env, prod)
    assert where(found) == [("azurerm_role_assignment.apps_acr_pull", "principal_id")]
    assert found[0].message.startswith(
        f"prod's identity azurerm_user_assigned_identity.apps (principal {principal}) holds "
        "AcrPull on test's azurerm_container_registry.acr ("
    )
    assert found[0].message.endswith("; found in test's state")


def test_key_vault_reference_to_prods_vault_is_shown_and_sharing_it_silences_it(
    test_env: Environment, prod: Environment
) -> None:
    vault_id = f"{PROD_RG}/providers/Microsoft.KeyVault/vaults/kv-stockapp-prod"
    prod.state_resources.append(
        {
            "mode": "managed", "type": "azurerm_key_vault", "name": "main",
            "instances": [{"attributes": {
                "id": vault_id, "name": "kv-stockapp-prod",
                "vault_uri": "https://kv-stockapp-prod.vault.azure.net/",
            }, "sensitive_attributes": []}],
        }
    )  # fmt: skip
    secret_url = "https://kv-stockapp-prod.vault.azure.net/secrets/database-url"
    backend(test_env)["secret"][0].update(value="", key_vault_secret_id=secret_url)
    found = check(test_env, prod)
    assert where(found) == [("azurerm_container_app.backend", "secret.0.key_vault_secret_id")]
    assert found[0].actual == secret_url  # a Key Vault URL is an address, not the secret
    assert "prod's Key Vault kv-stockapp-prod.vault.azure.net (azurerm_key_vault.main)" in (
        found[0].message
    )
    assert check(test_env, prod, shared=("kv-stockapp-prod",)) == []


# -- firewall rules and IPs ------------------------------------------------------------------


def add_rule(env: Environment, start: str, end: str, managed: bool = True) -> None:
    env.add_firewall_rule("from-apps", start, end, managed=managed)


@pytest.mark.parametrize(
    ("start", "end", "ips"),
    [
        ("20.23.45.100", "20.23.45.100", ["20.23.45.100"]),
        ("20.23.45.96", "20.23.45.127", ["20.23.45.100", "20.23.45.101"]),
        ("20.23.45.0", "20.23.45.255", ["20.23.45.67", "20.23.45.100", "20.23.45.101"]),
    ],
)
def test_firewall_range_admitting_prods_outbound_or_static_ips(
    test_env: Environment, prod: Environment, start: str, end: str, ips: list[str]
) -> None:
    add_rule(test_env, start, end)
    found = check(test_env, prod)
    assert where(found) == [
        ("azurerm_postgresql_flexible_server_firewall_rule.from_apps", "start_ip_address")
    ]
    assert found[0].actual == f"{start}-{end}"
    assert found[0].severity is Severity.HIGH
    assert all(ip in found[0].message for ip in ips)
    assert ("static IP" in found[0].message) is ("20.23.45.67" in ips)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("20.23.45.102", "20.23.45.120"),  # next to prod's IPs, not over them
        ("20.50.1.10", "20.50.1.10"),  # test's own outbound IP
        ("0.0.0.0", "255.255.255.255"),  # open to all: a policy finding, not aimed at prod
        ("16.0.0.0", "31.255.255.255"),  # wider than a /8: the open-range policy rule's
    ],
)
def test_firewall_ranges_not_aimed_at_prod(
    test_env: Environment, prod: Environment, start: str, end: str
) -> None:
    add_rule(test_env, start, end)
    assert check(test_env, prod) == []


def test_hand_made_rule_for_prod_shows_in_azure_only(
    test_env: Environment, prod: Environment
) -> None:
    add_rule(test_env, "20.23.45.67", "20.23.45.67", managed=False)
    found = check(test_env, prod)
    assert where(found) == [(None, "properties.startIpAddress")]
    assert found[0].type == "azurerm_postgresql_flexible_server_firewall_rule"
    assert found[0].message.endswith("found in Azure only, not in the state")


def test_ip_networks_in_any_attribute_are_checked(test_env: Environment, prod: Environment) -> None:
    ingress = backend(test_env)["ingress"][0]
    ingress["ip_security_restriction"] = [
        {"name": "office", "action": "Allow", "ip_address_range": "203.0.113.0/24"}
    ]
    assert check(test_env, prod) == []
    ingress["ip_security_restriction"].append(
        {"name": "prod-apps", "action": "Allow", "ip_address_range": "20.23.45.100/31"}
    )
    found = check(test_env, prod)
    assert where(found) == [
        ("azurerm_container_app.backend", "ingress.0.ip_security_restriction.1.ip_address_range")
    ]
    assert "prod's outbound IP 20.23.45.100" in found[0].message


# -- the plan ----------------------------------------------------------------------------------


def plan_with_image(env: Environment, image: str) -> dict[str, Any]:
    before = attrs(env, "azurerm_container_app.backend")
    after = {**before, "template": [{**before["template"][0], "container": [
        {**before["template"][0]["container"][0], "image": image}]}]}  # fmt: skip
    new_rule = {"name": "prod-apps", "server_id": "x", "start_ip_address": "20.23.45.101",
                "end_ip_address": "20.23.45.101"}  # fmt: skip
    return {
        "format_version": "1.2",
        "resource_changes": [
            {"address": "azurerm_container_app.backend", "mode": "managed",
             "type": "azurerm_container_app", "name": "backend",
             "change": {"actions": ["update"], "before": before, "after": after,
                        "after_unknown": {}, "before_sensitive": {"secret": True},
                        "after_sensitive": {"secret": True}}},
            {"address": "azurerm_postgresql_flexible_server_firewall_rule.prod_apps",
             "mode": "managed", "type": "azurerm_postgresql_flexible_server_firewall_rule",
             "name": "prod_apps",
             "change": {"actions": ["create"], "before": None, "after": new_rule,
                        "after_unknown": {"id": True}}},
        ],
    }  # fmt: skip


def test_the_plan_introducing_a_prod_image_and_rule_is_reported(
    test_env: Environment, prod: Environment
) -> None:
    plan = plan_with_image(test_env, f"{PROD_ACR}/stockapp-backend:9b1d7aa")
    found = check(data(test_env, plan=plan), prod)
    assert where(found) == [
        ("azurerm_container_app.backend", "template.0.container.0.image"),
        ("azurerm_postgresql_flexible_server_firewall_rule.prod_apps", "start_ip_address"),
    ]
    assert all(f.message.endswith("set by the plan") for f in found)
    assert found[0].resource_id == backend(test_env)["id"]
    # a create has no ID yet: the address stands in
    assert found[1].resource_id == "azurerm_postgresql_flexible_server_firewall_rule.prod_apps"


def test_a_plan_that_stays_in_its_environment_is_clean(
    test_env: Environment, prod: Environment
) -> None:
    plan = plan_with_image(test_env, "acrstockapptest.azurecr.io/stockapp-backend:9b1d7aa")
    plan["resource_changes"].pop()
    assert check(data(test_env, plan=plan), prod) == []


# -- sources: snapshots only, states only ------------------------------------------------------


def test_prod_known_only_from_a_live_snapshot(test_env: Environment, prod: Environment) -> None:
    backend(test_env)["secret"][0]["value"] = f"postgresql://u:{FAKE_PASSWORD}@{PROD_PG}/db"
    found = check(test_env, data(prod, state=False))
    assert len(found) == 1
    assert f"prod's FQDN {PROD_PG} (azurerm_postgresql_flexible_server psql-stockapp-prod)" in (
        found[0].message
    )


def test_test_known_only_from_azure(test_env: Environment, prod: Environment) -> None:
    backend_body(test_env)["properties"]["template"]["containers"][0]["image"] = (
        f"{PROD_ACR}/stockapp-backend:1"
    )
    found = check(data(test_env, state=False), prod)
    assert [(f.type, f.attribute) for f in found] == [
        ("azurerm_container_app", "properties.template.containers.0.image")
    ]


# -- 3. state keys ---------------------------------------------------------------------------


def test_two_environments_on_one_state_key(test_env: Environment, prod: Environment) -> None:
    found = check(data(test_env, state_key="prod.tfstate"), prod)
    assert [(f.attribute, f.actual, f.severity) for f in found] == [
        ("state_key", "prod.tfstate", Severity.HIGH)
    ]
    assert "test and prod use the same state key" in found[0].message
    assert check(data(test_env, state_key="test.tfstate"), prod) == []


# -- 4. tags -----------------------------------------------------------------------------------


def test_tags_naming_another_environment_or_none(test_env: Environment, prod: Environment) -> None:
    # (the factory shares one tags dict between resources: give each its own)
    wrong = {**test_env.tags, "environment": "prod"}
    attrs(test_env, "azurerm_container_registry.acr")["tags"] = wrong
    test_env.find("/registries/acrstockapptest")["tags"] = dict(wrong)
    attrs(test_env, "azurerm_postgresql_flexible_server.db")["tags"] = {"env": "staging"}
    found = check(test_env, prod)
    assert [(f.address, f.attribute, f.actual, f.severity) for f in found] == [
        ("azurerm_container_registry.acr", "tags.environment", "prod", Severity.MEDIUM),
        ("azurerm_postgresql_flexible_server.db", "tags.env", "staging", Severity.LOW),
    ]
    assert found[0].message == (
        "tag environment='prod' names prod, but the resource belongs to test; "
        "found in the state and Azure"
    )


def test_tags_that_name_the_environment_in_another_case_are_fine(
    test_env: Environment, prod: Environment
) -> None:
    tags = {**test_env.tags, "environment": "Test", "owner": "prod-team"}
    attrs(test_env, "azurerm_container_registry.acr")["tags"] = tags
    assert check(test_env, prod) == []


# -- everything at once -----------------------------------------------------------------------


def test_no_secret_in_any_finding_when_everything_leaks(
    test_env: Environment, prod: Environment
) -> None:
    app = backend(test_env)
    app["secret"][0]["value"] = f"postgresql://stockadmin:{FAKE_PASSWORD}@{PROD_PG}:5432/x"
    app["secret"][1]["value"] = f"{FAKE_API_KEY}@{PROD_ACR}"
    app["template"][0]["container"][0]["env"].append(
        {"name": "PLAIN_DB", "secret_name": "", "value": f"Host={PROD_PG};Password={FAKE_PASSWORD}"}
    )
    app["registry"][0]["server"] = PROD_ACR
    add_rule(test_env, "20.23.45.100", "20.23.45.101")
    found = check(test_env, prod)
    assert len(found) == 5
    text = repr(found)
    assert FAKE_PASSWORD not in text
    assert FAKE_API_KEY not in text


def test_the_targets_own_resource_in_prods_group_is_reported_once(
    test_env: Environment, prod: Environment
) -> None:
    # test's registry was created in prod's resource group; test's role assignment scopes to
    # it. The misplaced registry is the finding; the scope points at test's own registry.
    moved = f"{PROD_RG}/providers/Microsoft.ContainerRegistry/registries/acrstockapptest"
    attrs(test_env, "azurerm_container_registry.acr")["id"] = moved
    attrs(test_env, "azurerm_role_assignment.apps_acr_pull")["scope"] = moved
    found = check(test_env, prod)
    assert where(found) == [("azurerm_container_registry.acr", "id")]
    assert "lies under prod's azurerm_resource_group.rg" in found[0].message


def test_each_reference_names_the_environment_it_points_at(
    test_env: Environment, prod: Environment
) -> None:
    staging = Environment(name="staging").build()
    app = backend(test_env)
    app["registry"][0]["server"] = PROD_ACR
    app["secret"][0]["value"] = "postgresql://u@psql-stockapp-staging.postgres.database.azure.com/x"
    found = isolation_findings(data(test_env), [data(staging), data(prod)], ())
    assert sorted((f.attribute or "", f.message.split(" points at ")[1][:10]) for f in found) == [
        ("registry.0.server", "prod's log"),
        ("secret.0.value", "staging's "),
    ]
