"""The structure of terraform/: resources, variables, outputs, tfvars, tags and secrets."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ._support import TERRAFORM, TerraformConfig, one, refs, required_version

EXPECTED_RESOURCES = {
    ("azurerm_resource_group", "rg"),
    ("azurerm_container_registry", "acr"),
    ("azurerm_user_assigned_identity", "apps"),
    ("azurerm_role_assignment", "apps_acr_pull"),
    ("azurerm_postgresql_flexible_server", "db"),
    ("azurerm_postgresql_flexible_server_database", "app"),
    ("azurerm_postgresql_flexible_server_firewall_rule", "azure_services"),
    ("azurerm_log_analytics_workspace", "logs"),
    ("azurerm_container_app_environment", "env"),
    ("azurerm_container_app", "backend"),
    ("azurerm_container_app", "frontend"),
}
# Azure has no tags on these: they are sub-resources or role assignments.
UNTAGGABLE = {
    "azurerm_role_assignment",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_postgresql_flexible_server_firewall_rule",
}
REQUIRED_TAGS = {"environment": "var.environment", "app": "var.app_name", "managed-by": "terraform"}
SECRET_NAME = re.compile(r"password|secret|key|token", re.IGNORECASE)
UAI_ID = "${azurerm_user_assigned_identity.apps.id}"


def env_entries(app: dict[str, Any]) -> dict[str, dict[str, Any]]:
    template = one(app["template"], "template")
    container = one(template["container"], "container")
    return {entry["name"]: entry for entry in container.get("env", [])}


def sensitive_names(tf: TerraformConfig) -> set[str]:
    """`var.x` marked sensitive, and every local computed from one (transitively)."""
    tainted = {f"var.{name}" for name, body in tf.variables.items() if body.get("sensitive")}
    changed = True
    while changed:
        changed = False
        for name, value in tf.locals.items():
            if f"local.{name}" not in tainted and refs(value) & tainted:
                tainted.add(f"local.{name}")
                changed = True
    return tainted


# --- terraform block and resources ---------------------------------------------------------


# ARM registers these namespaces in every subscription; nobody needs to register them.
ALWAYS_REGISTERED = {"Microsoft.Resources", "Microsoft.Authorization"}
# Arguments azurerm 5.0 removed from the resource types and the provider block used here
# (5.0 upgrade guide). Any of them in terraform/ would fail `terraform validate`.
REMOVED_IN_AZURERM_5 = {
    "skip_provider_registration",  # provider: resource_provider_registrations instead
    "trust_policy_enabled",  # azurerm_container_registry
    "regional_endpoint_enabled",  # azurerm_container_registry georeplications
    "local_authentication_disabled",  # azurerm_log_analytics_workspace
    "internet_ingestion_enabled",  # azurerm_log_analytics_workspace
    "internet_query_enabled",  # azurerm_log_analytics_workspace
    "termination_grace_period_seconds",  # azurerm_container_app probes
}


def test_terraform_block_pins_terraform_and_azurerm_5(tf: TerraformConfig) -> None:
    block = one(tf.terraform, "terraform")
    versions = required_version(tf)
    # 1.9 for the cross-variable validations; 1.11 is what the local tests run; 1.x only.
    assert "1.8.9" not in versions and "1.11.0" in versions and "2.0.0" not in versions
    azurerm = one(block["required_providers"], "required_providers")["azurerm"]
    assert azurerm["source"] == "hashicorp/azurerm"
    # 4.x gets no more releases; ~> 5.N allows every later 5.x and no 6.0.
    assert re.fullmatch(r"~> ?5\.\d+", azurerm["version"]), azurerm["version"]


def test_no_argument_removed_in_azurerm_5_is_used() -> None:
    for path in sorted(TERRAFORM.glob("*.tf")):
        used = set(re.findall(r"^\s*(\w+)\s*=", path.read_text(encoding="utf-8"), re.M))
        assert not used & REMOVED_IN_AZURERM_5, f"{path.name}: {used & REMOVED_IN_AZURERM_5}"


def resource_provider_namespaces(types: set[str]) -> set[str]:
    """The ARM namespace (Microsoft.X) of each azurerm type, from azprov's registry."""
    from provisioner.registry import by_tf_type

    specs = {t: by_tf_type(t) for t in types}
    unknown = {t for t, spec in specs.items() if spec is None}
    assert not unknown, f"no registry entry for {unknown}: azprov would not check them"
    return {spec.arm_type.split("/")[0] for spec in specs.values() if spec is not None}


def test_provider_registers_exactly_the_resource_providers_the_stack_uses(
    tf: TerraformConfig,
) -> None:
    # azurerm 5 registers nothing by default, so a new subscription would fail at apply
    # for any namespace missing here; an extra one widens what the identity must do.
    provider = one(tf.providers, "provider")["azurerm"]
    assert "resource_provider_registrations" not in provider, "a preset registers far more"
    registered = provider["resource_providers_to_register"]
    assert registered == sorted(set(registered)), "keep the list sorted and unique"
    used = resource_provider_namespaces({type_ for type_, _ in tf.resources})
    assert set(registered) == used - ALWAYS_REGISTERED


def test_backend_is_azurerm_and_partial_so_each_env_passes_its_key(tf: TerraformConfig) -> None:
    backend = one(one(tf.terraform, "terraform")["backend"], "backend")
    assert list(backend) == ["azurerm"]
    # Empty on purpose: key=test.tfstate / prod.tfstate comes from -backend-config.
    assert backend["azurerm"] == {}


def test_azurerm_provider_is_configured(tf: TerraformConfig) -> None:
    provider = one(tf.providers, "provider")
    assert "features" in provider["azurerm"]


def test_every_expected_resource_is_declared(tf: TerraformConfig) -> None:
    assert set(tf.resources) == EXPECTED_RESOURCES


def test_resource_group_name_is_rg_app_env(tf: TerraformConfig) -> None:
    rg = tf.resource("azurerm_resource_group", "rg")
    assert rg["name"] == "rg-${var.app_name}-${var.environment}"
    assert rg["location"] == "${var.location}"


def test_every_other_resource_lives_in_the_resource_group(tf: TerraformConfig) -> None:
    for (type_, name), body in tf.resources.items():
        if "resource_group_name" in body:
            assert body["resource_group_name"] == "${azurerm_resource_group.rg.name}", (
                f"{type_}.{name}"
            )


def test_names_derive_from_app_and_environment(tf: TerraformConfig) -> None:
    assert "var.app_name" in refs(tf.locals["name"])
    assert "var.environment" in refs(tf.locals["name"])
    for type_, name in EXPECTED_RESOURCES - {("azurerm_resource_group", "rg")}:
        body = tf.resources[(type_, name)]
        # Databases and firewall rules are named within their server.
        if "name" in body and type_ not in UNTAGGABLE:
            assert refs(body["name"]) & {"local.name", "local.acr_name", "local.postgres_name"}, (
                f"{type_}.{name} name {body['name']!r} is not derived from app and environment"
            )


def test_registry_name_is_alphanumeric_by_construction(tf: TerraformConfig) -> None:
    acr_name = tf.locals["acr_name"]
    # Hyphens are stripped; app_name's validation leaves only [a-z0-9-].
    assert acr_name.startswith("${replace(") and '"-", ""' in acr_name
    assert {"var.app_name", "var.environment"} <= refs(acr_name)
    assert tf.resource("azurerm_container_registry", "acr")["name"] == "${local.acr_name}"


def test_registry_admin_user_is_behind_a_variable_that_defaults_to_false(
    tf: TerraformConfig,
) -> None:
    acr = tf.resource("azurerm_container_registry", "acr")
    assert acr["admin_enabled"] == "${var.acr_admin_enabled}"
    variable = tf.variables["acr_admin_enabled"]
    assert variable["type"] == "bool"
    assert variable["default"] is False


def test_apps_pull_with_a_user_assigned_identity_holding_acr_pull(tf: TerraformConfig) -> None:
    assignment = tf.resource("azurerm_role_assignment", "apps_acr_pull")
    assert assignment["role_definition_name"] == "AcrPull"
    assert assignment["scope"] == "${azurerm_container_registry.acr.id}"
    assert assignment["principal_id"] == "${azurerm_user_assigned_identity.apps.principal_id}"
    for name, app in tf.of_type("azurerm_container_app").items():
        registry = one(app["registry"], f"{name} registry")
        assert registry["server"] == "${azurerm_container_registry.acr.login_server}"
        assert registry["identity"] == UAI_ID, name
        assert "username" not in registry and "password_secret_name" not in registry, name
        identity = one(app["identity"], f"{name} identity")
        assert identity["type"] == "UserAssigned"
        assert UAI_ID in identity["identity_ids"]
        # The role must exist before the first revision pulls its image.
        assert "${azurerm_role_assignment.apps_acr_pull}" in app.get("depends_on", []), name


def test_postgres_server_takes_sku_storage_and_backups_from_variables(
    tf: TerraformConfig,
) -> None:
    db = tf.resource("azurerm_postgresql_flexible_server", "db")
    assert db["sku_name"] == "${var.postgres_sku_name}"
    assert db["storage_mb"] == "${var.postgres_storage_mb}"
    assert db["backup_retention_days"] == "${var.postgres_backup_retention_days}"
    assert db["geo_redundant_backup_enabled"] == "${var.postgres_geo_redundant_backup}"
    assert db["administrator_login"] == "${var.db_username}"
    assert db["administrator_password"] == "${var.db_password}"


def test_database_belongs_to_the_server(tf: TerraformConfig) -> None:
    database = tf.resource("azurerm_postgresql_flexible_server_database", "app")
    assert database["server_id"] == "${azurerm_postgresql_flexible_server.db.id}"
    assert database["name"] == "${var.db_name}"


def test_firewall_allows_azure_services_only(tf: TerraformConfig) -> None:
    rules = tf.of_type("azurerm_postgresql_flexible_server_firewall_rule")
    assert rules, "no firewall rule for Azure services"
    for name, rule in rules.items():
        assert rule["server_id"] == "${azurerm_postgresql_flexible_server.db.id}"
        assert (rule["start_ip_address"], rule["end_ip_address"]) == ("0.0.0.0", "0.0.0.0"), name


def test_container_apps_environment_sends_logs_to_the_workspace(tf: TerraformConfig) -> None:
    cae = tf.resource("azurerm_container_app_environment", "env")
    assert cae["log_analytics_workspace_id"] == "${azurerm_log_analytics_workspace.logs.id}"
    assert cae["logs_destination"] == "log-analytics"
    for name, app in tf.of_type("azurerm_container_app").items():
        assert app["container_app_environment_id"] == (
            "${azurerm_container_app_environment.env.id}"
        ), name


@pytest.mark.parametrize(
    ("app_name", "port", "tag_var"),
    [("backend", 8000, "var.backend_image_tag"), ("frontend", 80, "var.frontend_image_tag")],
)
def test_apps_have_external_ingress_on_their_port_and_the_registry_image(
    tf: TerraformConfig, app_name: str, port: int, tag_var: str
) -> None:
    app = tf.resource("azurerm_container_app", app_name)
    ingress = one(app["ingress"], "ingress")
    assert ingress["external_enabled"] is True
    assert ingress["target_port"] == port
    container = one(one(app["template"], "template")["container"], "container")
    image_local = container["image"]
    assert image_local == f"${{local.{app_name}_image}}"
    image = tf.locals[f"{app_name}_image"]
    assert image.startswith("${azurerm_container_registry.acr.login_server}/")
    assert tag_var in refs(image)


def test_replica_bounds_come_from_variables(tf: TerraformConfig) -> None:
    for name in ("backend", "frontend"):
        template = one(tf.resource("azurerm_container_app", name)["template"], "template")
        assert template["min_replicas"] == f"${{var.{name}_min_replicas}}"
        assert template["max_replicas"] == f"${{var.{name}_max_replicas}}"


def test_backend_reads_database_url_and_gemini_key_from_container_app_secrets(
    tf: TerraformConfig,
) -> None:
    backend = tf.resource("azurerm_container_app", "backend")
    secrets = {s["name"]: s["value"] for s in backend["secret"]}
    env = env_entries(backend)
    for variable in ("DATABASE_URL", "GEMINI_API_KEY"):
        entry = env[variable]
        assert "value" not in entry, f"{variable} is a plain value"
        assert entry["secret_name"] in secrets, f"{variable} names an undeclared secret"
    assert secrets[env["DATABASE_URL"]["secret_name"]] == "${local.database_url}"
    assert secrets[env["GEMINI_API_KEY"]["secret_name"]] == "${var.gemini_api_key}"


def test_database_url_is_built_from_the_server_and_the_password(tf: TerraformConfig) -> None:
    url = tf.locals["database_url"]
    assert {
        "var.db_username",
        "var.db_password",
        "azurerm_postgresql_flexible_server.db",
        "azurerm_postgresql_flexible_server_database.app",
    } <= refs(url)
    assert "urlencode(var.db_password)" in url


def test_no_container_env_value_carries_a_secret(tf: TerraformConfig) -> None:
    tainted = sensitive_names(tf)
    assert {"var.db_password", "var.gemini_api_key", "local.database_url"} <= tainted
    for name, app in tf.of_type("azurerm_container_app").items():
        for variable, entry in env_entries(app).items():
            leaked = refs(entry.get("value", "")) & tainted
            assert not leaked, f"{name} env {variable} has a plain secret value: {leaked}"


def test_frontend_gets_the_backend_url_as_vite_api_url(tf: TerraformConfig) -> None:
    env = env_entries(tf.resource("azurerm_container_app", "frontend"))
    assert env["VITE_API_URL"]["value"] == (
        "https://${azurerm_container_app.backend.ingress[0].fqdn}"
    )


# --- tags --------------------------------------------------------------------------------


def test_tags_local_merges_var_tags_first_then_the_required_keys(tf: TerraformConfig) -> None:
    expression = tf.locals["tags"]
    match = re.fullmatch(r"\$\{merge\(var\.tags,\s*\{(?P<body>.*)\}\)\}", expression, re.S)
    assert match, f"local.tags is not merge(var.tags, {{...}}): {expression}"
    pairs = {
        key.strip().strip('"'): value.strip().strip('"')
        for key, value in re.findall(r'("?[\w-]+"?)\s*=\s*([^,}\n]+)', match["body"])
    }
    assert pairs == REQUIRED_TAGS


def test_every_taggable_resource_is_tagged_with_local_tags(tf: TerraformConfig) -> None:
    for (type_, name), body in tf.resources.items():
        if type_ in UNTAGGABLE:
            assert "tags" not in body
            continue
        tags = body.get("tags")
        assert tags is not None, f"{type_}.{name} has no tags"
        assert "local.tags" in refs(tags), f"{type_}.{name} tags do not include local.tags"


# --- variables ---------------------------------------------------------------------------

REQUIRED_VARIABLES = {
    "environment",
    "location",
    "app_name",
    "db_username",
    "db_password",
    "gemini_api_key",
    "backend_image_tag",
    "frontend_image_tag",
    "postgres_sku_name",
    "postgres_storage_mb",
    "postgres_backup_retention_days",
    "postgres_geo_redundant_backup",
    "backend_min_replicas",
    "backend_max_replicas",
    "frontend_min_replicas",
    "frontend_max_replicas",
    "acr_admin_enabled",
    "tags",
}
VALIDATED_VARIABLES = {
    "environment",
    "app_name",
    "db_username",
    "db_password",
    "gemini_api_key",
    "backend_image_tag",
    "frontend_image_tag",
    "postgres_sku_name",
    "postgres_storage_mb",
    "postgres_backup_retention_days",
    "postgres_geo_redundant_backup",
    "backend_min_replicas",
    "backend_max_replicas",
    "frontend_min_replicas",
    "frontend_max_replicas",
}


def test_required_variables_are_declared(tf: TerraformConfig) -> None:
    assert set(tf.variables) >= REQUIRED_VARIABLES


def test_every_variable_has_a_type_and_a_description(tf: TerraformConfig) -> None:
    for name, body in tf.variables.items():
        assert body.get("type"), f"variable {name} has no type"
        assert len(body.get("description", "")) >= 10, f"variable {name} has no description"


def test_secret_variables_are_sensitive_and_have_no_default(tf: TerraformConfig) -> None:
    secrets = {name for name in tf.variables if SECRET_NAME.search(name)}
    assert {"db_password", "gemini_api_key"} <= secrets
    for name in secrets:
        assert tf.variables[name].get("sensitive") is True, f"{name} is not sensitive"
        assert "default" not in tf.variables[name], f"{name} has a default value"


def test_variables_that_can_be_wrong_are_validated(tf: TerraformConfig) -> None:
    for name in VALIDATED_VARIABLES:
        validations = tf.variables[name].get("validation", [])
        assert validations, f"variable {name} has no validation"
        for rule in validations:
            assert f"var.{name}" in rule["condition"], f"{name}: condition ignores the value"
            assert rule["error_message"].endswith("."), f"{name}: error message"


def test_environment_validation_allows_exactly_test_and_prod(tf: TerraformConfig) -> None:
    (rule,) = tf.variables["environment"]["validation"]
    listed = re.search(r"contains\(\[(.*?)\],\s*var\.environment\)", rule["condition"])
    assert listed
    assert re.findall(r'"([^"]+)"', listed.group(1)) == ["test", "prod"]


def test_prod_policy_is_encoded_in_validations(tf: TerraformConfig) -> None:
    conditions = {
        name: " ".join(rule["condition"] for rule in body.get("validation", []))
        for name, body in tf.variables.items()
    }
    assert 'startswith(var.postgres_sku_name, "B_")' in conditions["postgres_sku_name"]
    retention = conditions["postgres_backup_retention_days"]
    for bound in (">= 7", "<= 35", ">= 30"):
        assert f"var.postgres_backup_retention_days {bound}" in retention
    for name in ("postgres_sku_name", "postgres_geo_redundant_backup", "backend_min_replicas"):
        assert 'var.environment != "prod"' in conditions[name], name


# --- outputs -----------------------------------------------------------------------------


def test_required_outputs_exist(tf: TerraformConfig) -> None:
    assert {
        "acr_login_server",
        "database_fqdn",
        "database_connection_string",
        "backend_fqdn",
        "frontend_fqdn",
    } <= set(tf.outputs)
    assert tf.outputs["acr_login_server"]["value"] == (
        "${azurerm_container_registry.acr.login_server}"
    )
    assert tf.outputs["database_fqdn"]["value"] == "${azurerm_postgresql_flexible_server.db.fqdn}"


def test_outputs_that_carry_secrets_are_sensitive(tf: TerraformConfig) -> None:
    assert tf.outputs["database_connection_string"].get("sensitive") is True
    tainted = sensitive_names(tf)
    for name, body in tf.outputs.items():
        if refs(body["value"]) & tainted:
            assert body.get("sensitive") is True, f"output {name} leaks a secret"
        assert body.get("description"), f"output {name} has no description"


# --- tfvars ------------------------------------------------------------------------------


def test_tfvars_set_only_declared_variables(
    tf: TerraformConfig, tfvars: dict[str, dict[str, Any]]
) -> None:
    for env, values in tfvars.items():
        unknown = set(values) - set(tf.variables)
        assert not unknown, f"{env}.tfvars sets undeclared variables {unknown}"
        assert values["environment"] == env


def test_tfvars_contain_no_secrets_and_no_image_tags(
    tf: TerraformConfig, tfvars: dict[str, dict[str, Any]]
) -> None:
    sensitive = {name for name, body in tf.variables.items() if body.get("sensitive")}
    for env, values in tfvars.items():
        assert not set(values) & sensitive, f"{env}.tfvars sets a secret"
        assert not [k for k in values if SECRET_NAME.search(k)], f"{env}.tfvars: {values}"
        # CI passes the commit SHA; a tag in the file would pin an old image.
        assert not {"backend_image_tag", "frontend_image_tag"} & set(values)


@pytest.mark.parametrize("env", ["test", "prod"])
def test_tfvars_text_has_no_secret_looking_literal(env: str) -> None:
    text = (TERRAFORM / f"{env}.tfvars").read_text(encoding="utf-8")
    patterns = {
        "Google API key": r"AIza[0-9A-Za-z_-]{20,}",
        "URL with credentials": r"://[^/\s:@]+:[^/\s@]+@",
        "password assignment": r"(?im)^\s*\w*(password|secret|token|api_key)\w*\s*=",
        "long random string": r'"[A-Za-z0-9+/=_-]{32,}"',
    }
    for what, pattern in patterns.items():
        assert not re.search(pattern, text), f"{env}.tfvars contains a {what}"


def test_test_is_cheap_and_prod_is_production_grade(tfvars: dict[str, dict[str, Any]]) -> None:
    test, prod = tfvars["test"], tfvars["prod"]
    assert test["postgres_sku_name"].startswith("B_")
    assert prod["postgres_sku_name"].startswith(("GP_", "MO_"))
    assert test["postgres_backup_retention_days"] == 7
    assert prod["postgres_backup_retention_days"] >= 30
    assert test["postgres_geo_redundant_backup"] is False
    assert prod["postgres_geo_redundant_backup"] is True
    assert prod["backend_min_replicas"] >= 1
    assert prod["frontend_min_replicas"] >= 1


def test_tfvars_keep_the_registry_admin_user_off(tfvars: dict[str, dict[str, Any]]) -> None:
    for env, values in tfvars.items():
        assert values.get("acr_admin_enabled", False) is False, env
