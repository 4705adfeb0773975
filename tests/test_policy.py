"""Policy rules on the plan side (planned values) and the live side (ARM bodies)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.analysers.policy import (
    RULES,
    catalogue_markdown,
    planned_resources,
    policy_findings,
    rules_for,
)
from provisioner.config import Settings, load_settings
from provisioner.errors import ConfigError
from provisioner.live import Inventory
from provisioner.model import (
    REDACTED,
    Coverage,
    Finding,
    FindingKind,
    Resource,
    Sensitive,
    carries_credentials,
    secret_like_name,
)
from provisioner.pipeline import live_resources, state_resources
from provisioner.state import parse_state
from provisioner.state.plan import UNKNOWN, plan_from_document
from tests.factories import FAKE_PASSWORD, Environment, dumps
from tests.stack._support import TERRAFORM, load_hcl, load_terraform

# Copies of ../shared/corpus/terraform-json/plan/ (source note in that folder's README).
CORPUS = Path(__file__).parent / "fixtures" / "plans"
FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
DEFAULTS = Settings(terraform_dir=Path("terraform"))
SUB = "3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-stockapp-prod"
SERVER_ID = f"{RG_ID}/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-stockapp-prod"
TAGS = {"environment": "prod", "app": "stockapp", "managed-by": "terraform"}
# Not real secrets: distinctive strings that must never reach a finding.
PLAIN_PASSWORD = "plain-password-not-real-7Qx"
URL_PASSWORD = "url-password-not-real-3Zk"


# -- plan documents ---------------------------------------------------------------------


def change(
    address: str,
    after: dict[str, Any] | None,
    actions: tuple[str, ...] = ("create",),
    unknown: dict[str, Any] | None = None,
    sensitive: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    tf_type, name = address.split(".")[-2:]
    return {
        "address": address, "mode": "managed", "type": tf_type, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/azurerm",
        "change": {"actions": list(actions), "before": None, "after": after,
                   "after_unknown": unknown or {}, "after_sensitive": sensitive or {}},
        **extra,
    }  # fmt: skip


def plan_of(*changes: dict[str, Any]) -> list[Resource]:
    doc = {"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": [*changes]}
    return planned_resources(plan_from_document(doc))


def pg_server(**values: Any) -> dict[str, Any]:
    return {"name": "psql-stockapp-prod", "sku_name": "GP_Standard_D2ds_v5",
            "backup_retention_days": 30, "geo_redundant_backup_enabled": True,
            "public_network_access_enabled": True, "administrator_login": "stockadmin",
            "administrator_password": "***", "tags": dict(TAGS), **values}  # fmt: skip


def firewall(start: str, end: str) -> dict[str, Any]:
    return {"name": "rule", "start_ip_address": start, "end_ip_address": end}


def registry(**values: Any) -> dict[str, Any]:
    return {"name": "acrstockappprod", "sku": "Standard", "admin_enabled": False,
            "tags": dict(TAGS), **values}  # fmt: skip


def app(env: list[dict[str, Any]] | None = None, min_replicas: Any = 1) -> dict[str, Any]:
    env = env if env is not None else [{"name": "LOG_LEVEL", "value": "info", "secret_name": None}]
    return {"name": "ca-stockapp-backend-prod", "revision_mode": "Single", "tags": dict(TAGS),
            "template": [{"min_replicas": min_replicas, "max_replicas": 5,
                          "container": [{"name": "backend", "image": "acr/backend:1",
                                         "cpu": 0.5, "memory": "1Gi", "env": env}]}]}  # fmt: skip


def env_var(name: str, value: str | None = None, secret: str | None = None) -> dict[str, Any]:
    return {"name": name, "value": value, "secret_name": secret}


def run(
    resources: list[Resource],
    env: str = "prod",
    settings: Settings = DEFAULTS,
    source: Any = "plan",
) -> list[Finding]:
    return policy_findings(resources, rules_for(settings, env), source)


def hits(findings: list[Finding]) -> list[tuple[str | None, str | None]]:
    return [(f.rule, f.attribute) for f in findings]


# -- plan side: each rule, positive and negative --------------------------------------

ENV_ATTR = "template.container[backend].env[{}].value"
PLAN_CASES: list[tuple[str, str, dict[str, Any], list[tuple[str, str]]]] = [
    # (id, environment, {address: after}, expected (rule, attribute) hits)
    ("burstable-prod", "prod", {"azurerm_postgresql_flexible_server.db": pg_server(
        sku_name="B_Standard_B1ms")}, [("pg-not-burstable", "sku_name")]),
    ("general-purpose-prod", "prod", {"azurerm_postgresql_flexible_server.db": pg_server()}, []),
    ("burstable-test", "test", {"azurerm_postgresql_flexible_server.db": pg_server(
        sku_name="B_Standard_B1ms", backup_retention_days=7,
        geo_redundant_backup_enabled=False, tags={**TAGS, "environment": "test"})}, []),
    ("retention-29-prod", "prod", {"azurerm_postgresql_flexible_server.db": pg_server(
        backup_retention_days=29)}, [("pg-backup-retention", "backup_retention_days")]),
    ("retention-6-test", "test", {"azurerm_postgresql_flexible_server.db": pg_server(
        backup_retention_days=6)}, [("pg-backup-retention", "backup_retention_days")]),
    ("no-geo-prod", "prod", {"azurerm_postgresql_flexible_server.db": pg_server(
        geo_redundant_backup_enabled=False)}, [("pg-geo-redundant-backup",
                                                "geo_redundant_backup_enabled")]),
    ("open-to-internet", "test", {"azurerm_postgresql_flexible_server_firewall_rule.all":
        firewall("0.0.0.0", "255.255.255.255")}, [("pg-firewall-open-range", "start_ip_address")]),
    ("wider-than-slash-8", "prod", {"azurerm_postgresql_flexible_server_firewall_rule.wide":
        firewall("10.0.0.0", "11.0.0.0")}, [("pg-firewall-open-range", "start_ip_address")]),
    ("exactly-slash-8", "prod", {"azurerm_postgresql_flexible_server_firewall_rule.a8":
        firewall("10.0.0.0", "10.255.255.255")}, []),
    ("office-range", "prod", {"azurerm_postgresql_flexible_server_firewall_rule.office":
        firewall("203.0.113.0", "203.0.113.255")}, []),
    ("azure-services", "prod", {"azurerm_postgresql_flexible_server_firewall_rule.azure":
        firewall("0.0.0.0", "0.0.0.0")}, []),
    ("acr-admin-on", "test", {"azurerm_container_registry.acr": registry(
        admin_enabled=True, tags={**TAGS, "environment": "test"})},
     [("acr-admin-user-disabled", "admin_enabled")]),
    ("acr-admin-off", "prod", {"azurerm_container_registry.acr": registry()}, []),
    ("plain-password", "test", {"azurerm_container_app.backend": app([
        env_var("DB_PASSWORD", PLAIN_PASSWORD)])},
     [("app-no-plain-secrets", ENV_ATTR.format("DB_PASSWORD"))]),
    ("url-with-credentials", "prod", {"azurerm_container_app.backend": app([
        env_var("REDIS", f"redis://:{URL_PASSWORD}@cache:6380/0")])},
     [("app-no-plain-secrets", ENV_ATTR.format("REDIS"))]),
    ("secret-references", "prod", {"azurerm_container_app.backend": app([
        env_var("DATABASE_URL", secret="database-url"), env_var("GEMINI_API_KEY", secret="k"),
        env_var("VITE_API_URL", "https://ca-backend.example.io"),
        env_var("KEY_VAULT_URL", "https://kv.vault.azure.net/")])}, []),
    ("scaled-to-zero-prod", "prod", {"azurerm_container_app.backend": app(min_replicas=0)},
     [("app-min-replicas", "template.min_replicas")]),
    ("scaled-to-zero-test", "test", {"azurerm_container_app.backend": app(min_replicas=0)}, []),
    ("tag-missing", "prod", {"azurerm_container_registry.acr": registry(
        tags={"environment": "prod", "app": "stockapp"})}, [("required-tags", "tags")]),
    ("tags-any-case", "prod", {"azurerm_container_registry.acr": registry(
        tags={"Environment": "prod", "APP": "stockapp", "Managed-By": "terraform"})}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("environment", "afters", "expected"),
    [case[1:] for case in PLAN_CASES],
    ids=[case[0] for case in PLAN_CASES],
)
def test_each_rule_on_planned_values(
    environment: str, afters: dict[str, dict[str, Any]], expected: list[tuple[str, str]]
) -> None:
    resources = plan_of(*(change(address, after) for address, after in afters.items()))
    findings = run(resources, environment)
    assert hits(findings) == expected
    for finding in findings:
        assert finding.kind is FindingKind.POLICY
        # A create has no ARM ID yet: the finding names the resource by its address.
        assert finding.resource_id == finding.address == next(iter(afters))
        assert finding.message.startswith("planned (what this apply deploys): ")


def test_finding_carries_the_requirement_the_value_and_the_rationale() -> None:
    [finding] = run(plan_of(change("azurerm_postgresql_flexible_server.db",
                                   pg_server(backup_retention_days=14))))  # fmt: skip
    assert (finding.severity.value, finding.expected, finding.actual) == ("high", ">= 30", 14)
    assert finding.type == "azurerm_postgresql_flexible_server"
    assert "kept 14 days, fewer than 30" in finding.message
    assert "Point-in-time restore" in finding.message
    assert "\n" not in finding.message


def test_whole_internet_and_wide_ranges_say_which() -> None:
    whole, wide = run(plan_of(
        change("azurerm_postgresql_flexible_server_firewall_rule.a",
               firewall("0.0.0.0", "255.255.255.255")),
        change("azurerm_postgresql_flexible_server_firewall_rule.b",
               firewall("1.0.0.0", "3.0.0.0")),
    ))  # fmt: skip
    assert "whole internet" in whole.message
    assert whole.actual == "0.0.0.0-255.255.255.255"
    assert "33,554,433 addresses, more than a /8" in wide.message


def test_update_keeps_the_arm_id_and_live_findings_say_live() -> None:
    after = pg_server(sku_name="B_Standard_B2s", id=SERVER_ID.lower())
    [resource] = plan_of(change("azurerm_postgresql_flexible_server.db", after, ("update",)))
    assert resource.id.text.startswith("/subscriptions/")
    assert resource.arm_type == "Microsoft.DBforPostgreSQL/flexibleServers"
    [planned] = run([resource])
    assert planned.resource_id.lower() == SERVER_ID.lower()
    [live] = run([resource], source="live")
    assert live.message.startswith("live (what runs now): ")
    with pytest.raises(ValueError, match="source must be one of"):
        run([resource], source="tomorrow")


# -- plan side: what exists after apply, unknowns and sensitive values --------------------


def test_only_resources_that_exist_after_apply_are_planned() -> None:
    resources = plan_of(
        change("azurerm_container_registry.gone", registry(admin_enabled=True), ("delete",)),
        change("azurerm_container_registry.kept", registry(admin_enabled=True), ("no-op",)),
        change("azurerm_container_registry.swap", registry(admin_enabled=True),
               ("delete", "create")),
        change("azurerm_container_registry.old", registry(admin_enabled=True), ("delete",),
               deposed="00000001"),
        {**change("azurerm_container_registry.data", registry(), ("read",)), "mode": "data"},
    )  # fmt: skip
    assert [r.address for r in resources] == [
        "azurerm_container_registry.kept",
        "azurerm_container_registry.swap",
    ]
    assert [f.address for f in run(resources)] == [r.address for r in resources]


def test_unknown_values_never_fail_a_rule() -> None:
    unknown_settings = settings_from(
        """
        [policy.pg-public-network-access]
        allowed = false
        reason = "private networking"
        [policy.pg-firewall-azure-services]
        allowed = false
        reason = "private networking"
        [policy.app-min-replicas]
        enabled = true
        reason = "always warm"
        """
    )
    resources = plan_of(
        change("azurerm_postgresql_flexible_server.db", pg_server(
            sku_name=None, backup_retention_days=None, geo_redundant_backup_enabled=None,
            public_network_access_enabled=None, tags=None),
            unknown={"sku_name": True, "backup_retention_days": True, "tags": True,
                     "geo_redundant_backup_enabled": True, "public_network_access_enabled": True}),
        change("azurerm_postgresql_flexible_server_firewall_rule.r", firewall("1.1.1.1", "x"),
               unknown={"start_ip_address": True, "end_ip_address": True}),
        change("azurerm_container_registry.acr", registry(admin_enabled=None),
               unknown={"admin_enabled": True}),
        # The whole template is unknown: min_replicas must not read as azurerm's default 0.
        change("azurerm_container_app.a", {"name": "a", "tags": dict(TAGS)},
               unknown={"template": True}),
        change("azurerm_container_app.b", app(min_replicas=None),
               unknown={"template": [{"min_replicas": True}]}),
        change("azurerm_container_app.c", app([env_var("REDIS")]),
               unknown={"template": [{"container": [{"env": [{"value": True}]}]}]}),
    )  # fmt: skip
    attributes = {r.address: r.attributes for r in resources}
    assert attributes["azurerm_container_app.a"]["template.min_replicas"] == UNKNOWN
    assert attributes["azurerm_postgresql_flexible_server.db"]["tags"] == UNKNOWN
    assert run(resources, "prod", unknown_settings) == []
    assert run(resources, "test", unknown_settings) == []


def test_a_secret_named_env_var_with_a_plain_value_fires_even_when_unknown() -> None:
    # The value's content is unknown, but that a plain value is set is known now.
    resources = plan_of(change(
        "azurerm_container_app.backend", app([env_var("DATABASE_URL")]),
        unknown={"template": [{"container": [{"env": [{"value": True}]}]}]},
    ))  # fmt: skip
    [finding] = run(resources)
    assert finding.attribute == ENV_ATTR.format("DATABASE_URL")
    assert finding.actual == REDACTED


def test_sensitive_values_are_not_judged_but_a_sensitive_env_value_is_a_plain_secret() -> None:
    resources = plan_of(change(
        "azurerm_container_app.backend",
        {**app([env_var("SETTINGS_BLOB", "opaque")], min_replicas=0)},
        sensitive={"template": [{"min_replicas": True,
                                 "container": [{"env": [{"value": True}]}]}]},
    ))  # fmt: skip
    [resource] = resources
    assert isinstance(resource.attributes["template.min_replicas"], Sensitive)
    assert hits(run(resources)) == [("app-no-plain-secrets", ENV_ATTR.format("SETTINGS_BLOB"))]


# -- the corpus of real plans -------------------------------------------------------------


def corpus_plans() -> list[Path]:
    found = sorted(CORPUS.glob("zodiacae_*.plan.json"))
    return [*found, *sorted(FIXTURES.glob("azprov_*.plan.json"))]


@pytest.mark.parametrize("path", corpus_plans(), ids=lambda p: p.name)
@pytest.mark.parametrize("environment", ["prod", "test"])
def test_corpus_plans_normalize_and_unknowns_never_fire(path: Path, environment: str) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    resources = planned_resources(plan_from_document(doc, path.name))
    managed = [
        c
        for c in doc.get("resource_changes") or ()
        if c.get("mode", "managed") == "managed"
        and not c.get("deposed")
        and c["change"]["actions"] not in (["delete"], ["read"])
    ]
    assert len(resources) == len(managed)
    by_address = {r.address: r for r in resources}
    for finding in run(resources, environment):
        judged = by_address[finding.address].attributes.get(finding.attribute or "")
        if finding.rule != "app-no-plain-secrets":
            assert judged != UNKNOWN, finding
            assert not isinstance(judged, Sensitive), finding
        assert finding.actual != UNKNOWN


def test_corpus_plans_findings_are_the_real_ones() -> None:
    aks = CORPUS / "zodiacae_terraform-aks-demo-main.plan.json"
    apps = CORPUS / "zodiacae_privatecontainers-master.plan.json"
    if not aks.exists():
        aks, apps = FIXTURES / aks.name, FIXTURES / apps.name
    aks_hits = hits(run(planned_resources(plan_from_document(json.loads(aks.read_text())))))
    # backup_retention_days is unknown there (azurerm computes it), the firewall rule is a
    # /24-sized private range, public access is off: only geo backup and the tags remain
    # (the resource group, the server and the virtual network carry none).
    assert sorted(aks_hits) == [
        ("pg-geo-redundant-backup", "geo_redundant_backup_enabled"),
        ("required-tags", "tags"),
        ("required-tags", "tags"),
        ("required-tags", "tags"),
    ]
    app_findings = run(planned_resources(plan_from_document(json.loads(apps.read_text()))))
    secrets = [f for f in app_findings if f.rule == "app-no-plain-secrets"]
    assert [f.attribute for f in secrets] == ["template.container[None].env[SECURITY_PASS].value"]
    assert "container (name known after apply)" in secrets[0].message
    assert all(f.actual == REDACTED for f in secrets)


# -- the bundled stack: the defaults must pass it ----------------------------------------

_UNKNOWN_MARK = object()


def _evaluate(value: Any, variables: dict[str, Any], tags: dict[str, str]) -> Any:
    """A literal as planned, `${var.x}` from the var-file or default, the rest unknown."""
    if isinstance(value, dict):
        return {k: _evaluate(v, variables, tags) for k, v in value.items()}
    if isinstance(value, list):
        return [_evaluate(v, variables, tags) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    if value == "${local.tags}":
        return dict(tags)
    match = re.fullmatch(r"\$\{var\.([a-z_]+)\}", value)
    if match and match[1] in variables:
        return variables[match[1]]
    return _UNKNOWN_MARK


def _split(value: Any) -> tuple[Any, Any]:
    """Evaluated values -> (after, after_unknown) as `terraform show -json` writes them."""
    if value is _UNKNOWN_MARK:
        return None, True
    if isinstance(value, dict):
        pairs = {k: _split(v) for k, v in value.items()}
        return {k: a for k, (a, _) in pairs.items()}, {k: u for k, (_, u) in pairs.items() if u}
    if isinstance(value, list):
        pairs_list = [_split(v) for v in value]
        return [a for a, _ in pairs_list], [u or {} for _, u in pairs_list]
    return value, False


def bundled_stack_plan(environment: str) -> list[Resource]:
    """The bundled terraform/ stack planned with `<environment>.tfvars`, as creates."""
    config = load_terraform()
    tfvars = load_hcl(TERRAFORM / f"{environment}.tfvars")
    variables = {
        name: body["default"] for name, body in config.variables.items() if "default" in body
    }
    variables.update(tfvars)
    # main.tf's local.tags: var.tags with the three required keys set last.
    local_tags = str(config.locals["tags"])
    for key in (
        "environment = var.environment",
        "app = var.app_name",
        '"managed-by" = "terraform"',
    ):
        assert key in local_tags
    tags = {**variables["tags"], "environment": variables["environment"],
            "app": variables["app_name"], "managed-by": "terraform"}  # fmt: skip
    changes = []
    for (tf_type, name), body in config.resources.items():
        plain = {k: v for k, v in body.items() if k not in ("depends_on", "lifecycle")}
        after, unknown = _split(_evaluate(plain, variables, tags))
        changes.append(change(f"{tf_type}.{name}", after, unknown=unknown | {"id": True}))
    return plan_of(*changes)


@pytest.mark.parametrize("environment", ["prod", "test"])
def test_the_bundled_stack_complies_with_the_default_rules(environment: str) -> None:
    resources = bundled_stack_plan(environment)
    assert {r.tf_type for r in resources} >= {
        "azurerm_postgresql_flexible_server", "azurerm_container_app",
        "azurerm_container_registry", "azurerm_postgresql_flexible_server_firewall_rule",
    }  # fmt: skip
    assert run(resources, environment) == []


def test_the_bundled_test_environment_would_break_the_prod_rules() -> None:
    # The same stack with test.tfvars, judged by prod's rules: shows the values get through.
    assert sorted({f.rule or "" for f in run(bundled_stack_plan("test"), "prod")}) == [
        "app-min-replicas",
        "pg-backup-retention",
        "pg-geo-redundant-backup",
        "pg-not-burstable",
    ]


# -- live side: ARM bodies ----------------------------------------------------------------


def live_of(env: Environment) -> list[Resource]:
    inventory = Inventory(
        env.subscription, "2026-11-25T09:30:00Z", (env.rg,), tuple(env.bodies.values()), Coverage()
    )
    return live_resources(inventory)


def _server(env: Environment) -> dict[str, Any]:
    return env.find(f"/flexibleServers/psql-stockapp-{env.name}")


def _backend(env: Environment) -> dict[str, Any]:
    return env.find(f"/containerApps/ca-stockapp-backend-{env.name}")


def _burstable(env: Environment) -> None:
    _server(env)["sku"] = {"name": "Standard_B1ms", "tier": "Burstable"}


def _short_backups(env: Environment) -> None:
    _server(env)["properties"]["backup"]["backupRetentionDays"] = 7


def _no_geo(env: Environment) -> None:
    _server(env)["properties"]["backup"]["geoRedundantBackup"] = "Disabled"


def _open_rule(env: Environment) -> None:
    env.add_firewall_rule("everyone", "0.0.0.0", "255.255.255.255", managed=False)


def _acr_admin(env: Environment) -> None:
    env.find(f"/registries/acrstockapp{env.name}")["properties"]["adminUserEnabled"] = True


def _plain_password(env: Environment) -> None:
    containers = _backend(env)["properties"]["template"]["containers"]
    containers[0]["env"].append({"name": "DB_PASSWORD", "value": FAKE_PASSWORD})


def _scaled_to_zero(env: Environment) -> None:
    _backend(env)["properties"]["template"]["scale"]["minReplicas"] = 0


def _untagged(env: Environment) -> None:
    del _backend(env)["tags"]["managed-by"]


LIVE_CASES: list[tuple[Callable[[Environment], None], str, str, str]] = [
    # (change made in Azure, environment, rule, attribute)
    (_burstable, "prod", "pg-not-burstable", "sku_name"),
    (_short_backups, "prod", "pg-backup-retention", "backup_retention_days"),
    (_no_geo, "prod", "pg-geo-redundant-backup", "geo_redundant_backup_enabled"),
    (_open_rule, "test", "pg-firewall-open-range", "start_ip_address"),
    (_acr_admin, "test", "acr-admin-user-disabled", "admin_enabled"),
    (_plain_password, "test", "app-no-plain-secrets", ENV_ATTR.format("DB_PASSWORD")),
    (_scaled_to_zero, "prod", "app-min-replicas", "template.min_replicas"),
    (_untagged, "test", "required-tags", "tags"),
]  # fmt: skip


def built(name: str) -> Environment:
    if name == "prod":
        return Environment(name="prod").build()
    return Environment(name="test", pg_sku=("Standard_B1ms", "Burstable"), backup_days=7,
                       geo_backup=False, min_replicas=0).build()  # fmt: skip


@pytest.mark.parametrize("environment", ["prod", "test"])
def test_environments_built_like_the_stack_are_compliant_live_and_in_state(
    environment: str,
) -> None:
    env = built(environment)
    assert run(live_of(env), environment, source="live") == []
    state = state_resources(parse_state(dumps(env.state_v4()), "state"))
    assert run(state, environment, source="state") == []


@pytest.mark.parametrize(
    ("mutate", "environment", "rule", "attribute"),
    LIVE_CASES,
    ids=[case[2] for case in LIVE_CASES],
)
def test_each_rule_on_live_resources(
    mutate: Callable[[Environment], None], environment: str, rule: str, attribute: str
) -> None:
    env = built(environment)
    mutate(env)
    findings = run(live_of(env), environment, source="live")
    assert hits(findings) == [(rule, attribute)]
    assert findings[0].resource_id.startswith(f"/subscriptions/{env.subscription}/")
    assert findings[0].message.startswith("live (what runs now): ")


def test_live_test_environment_may_be_burstable_short_and_scaled_to_zero() -> None:
    env = built("test")
    assert run(live_of(env), "test", source="live") == []
    # Judged by prod's rules, the same resources break the four prod-only requirements.
    assert {f.rule for f in run(live_of(env), "prod", source="live")} == {
        "pg-not-burstable",
        "pg-backup-retention",
        "pg-geo-redundant-backup",
        "app-min-replicas",
    }


def test_live_findings_take_the_address_the_state_knows() -> None:
    env = built("prod")
    _burstable(env)
    state = state_resources(parse_state(dumps(env.state_v4()), "state"))
    addresses = {r.id.key: r.address or "" for r in state}
    [finding] = policy_findings(live_of(env), rules_for(DEFAULTS, "prod"), "live", addresses)
    assert finding.address == "azurerm_postgresql_flexible_server.db"


# -- secrets ------------------------------------------------------------------------------


def test_plain_secrets_never_reach_a_finding() -> None:
    env = built("prod")
    _plain_password(env)
    _backend(env)["properties"]["template"]["containers"][0]["env"].append(
        {"name": "CACHE", "value": f"rediss://app:{URL_PASSWORD}@cache.example:6380"}
    )
    live = run(live_of(env), source="live")
    planned = run(plan_of(change("azurerm_container_app.backend", app([
        env_var("DB_PASSWORD", PLAIN_PASSWORD),
        env_var("DSN", f"Host=db;Username=app;Password={URL_PASSWORD};"),
        env_var("CACHE", f"rediss://app:{URL_PASSWORD}@cache.example:6380"),
    ]))))  # fmt: skip
    assert {f.attribute for f in planned} == {
        ENV_ATTR.format(n) for n in ("DB_PASSWORD", "DSN", "CACHE")
    }
    assert len(live) == 2
    text = repr(live + planned)
    for secret in (FAKE_PASSWORD, PLAIN_PASSWORD, URL_PASSWORD):
        assert secret not in text


@pytest.mark.parametrize(
    ("name", "secret"),
    [("DB_PASSWORD", True), ("DATABASE_URL", True), ("GEMINI_API_KEY", True),
     ("dbPassword", True), ("SERVICEBUS_CONNECTION_STRING", True), ("AUTH_TOKEN", True),
     ("SECURITY_PASS", True), ("ACCESS_KEY", True), ("VITE_API_URL", False),
     ("PUBLIC_KEY", False), ("KEY_VAULT_URL", False), ("LOG_LEVEL", False),
     ("MONKEY_COUNT", False), ("ENVIRONMENT", False)],
)  # fmt: skip
def test_secret_like_names(name: str, secret: bool) -> None:
    assert secret_like_name(name) is secret


@pytest.mark.parametrize(
    ("value", "credentials"),
    [("postgres://user:pass@host/db", True), ("postgresql://u:***@h:5432/d", True),
     ("redis://:pw@cache:6379", True), ("Server=x;Password=abc;", True),
     ("https://acct.blob.core.windows.net/c?sv=2022&sig=abc", True),
     ("https://ca-backend.example.io", False), ("https://host:8443/path@x", False),
     ("info", False)],
)  # fmt: skip
def test_credentials_inside_values(value: str, credentials: bool) -> None:
    assert carries_credentials(value) is credentials


# -- configuration: overrides with reasons ------------------------------------------------


def settings_from(toml: str, tmp_path: Path | None = None) -> Settings:
    path = (tmp_path or Path()) / "azprov.toml"
    path.write_text(re.sub(r"(?m)^\s+", "", toml), encoding="utf-8")
    return load_settings(path)


def test_a_disabled_rule_is_not_reported_and_the_reason_is_kept(tmp_path: Path) -> None:
    settings = settings_from(
        """
        [environments.prod]
        [environments.prod.policy.pg-geo-redundant-backup]
        enabled = false
        reason = "geo backup is not offered in this region"
        [environments.test]
        """,
        tmp_path,
    )
    resources = plan_of(change("azurerm_postgresql_flexible_server.db",
                               pg_server(geo_redundant_backup_enabled=False)))  # fmt: skip
    assert run(resources, "prod", settings) == []
    assert hits(run(resources, "prod")) == [
        ("pg-geo-redundant-backup", "geo_redundant_backup_enabled")
    ]
    ruleset = rules_for(settings, "prod")
    assert [o.line for o in ruleset.overrides] == [
        "rule pg-geo-redundant-backup off in prod: geo backup is not offered in this region"
    ]
    assert rules_for(settings, "test").overrides == ()


def test_a_retuned_threshold_applies_and_the_environment_table_wins(tmp_path: Path) -> None:
    settings = settings_from(
        """
        [policy.pg-backup-retention]
        min_days = 14
        reason = "two weeks of restores are enough"
        [environments.prod.policy.pg-backup-retention]
        min_days = 35
        reason = "auditors ask for five weeks"
        [environments.test]
        """,
        tmp_path,
    )

    def server(days: int) -> list[Resource]:
        return plan_of(change("azurerm_postgresql_flexible_server.db",
                              pg_server(backup_retention_days=days)))  # fmt: skip

    assert [f.expected for f in run(server(13), "test", settings)] == [">= 14"]
    assert run(server(14), "test", settings) == []
    assert [f.expected for f in run(server(34), "prod", settings)] == [">= 35"]
    assert [o.line for o in rules_for(settings, "prod").overrides] == [
        "rule pg-backup-retention retuned (min_days=14) in prod: two weeks of restores are enough",
        "rule pg-backup-retention retuned (min_days=35) in prod: auditors ask for five weeks",
    ]
    assert rules_for(settings, "prod").get("pg-backup-retention").settings["min_days"] == 35


def test_a_rule_off_by_default_can_be_switched_on_and_tuned(tmp_path: Path) -> None:
    settings = settings_from(
        """
        [policy.pg-public-network-access]
        allowed = false
        reason = "both environments run inside the VNet"
        [policy.app-no-plain-secrets]
        allow_names = ["SESSION_KEY"]
        reason = "a per-deploy nonce, not a secret"
        [environments.test.policy.app-min-replicas]
        enabled = true
        min = 1
        reason = "demo week"
        [environments.prod]
        """,
        tmp_path,
    )
    resources = plan_of(
        change("azurerm_postgresql_flexible_server.db", pg_server()),
        change("azurerm_container_app.backend",
               app([env_var("SESSION_KEY", "abc")], min_replicas=0)),
    )  # fmt: skip
    assert sorted(hits(run(resources, "test", settings))) == [
        ("app-min-replicas", "template.min_replicas"),
        ("pg-public-network-access", "public_network_access_enabled"),
    ]
    assert sorted(hits(run(resources, "test"))) == [
        ("app-no-plain-secrets", ENV_ATTR.format("SESSION_KEY"))
    ]
    assert rules_for(settings, "test").overrides[-1].line == (
        "rule app-min-replicas on and retuned (min=1) in test: demo week"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[policy.pg-backups]\nmin_days = 14\nreason = "x"',
         "[policy.pg-backups]: unknown policy rule 'pg-backups' (known: acr-admin-user-disabled,"),
        ('[environments.prod.policy.pg-backup-retention]\nmin_day = 14\nreason = "x"',
         "[environments.prod.policy.pg-backup-retention]: unknown setting 'min_day' "
         "(known: enabled, min_days, reason)"),
        ("[policy.pg-backup-retention]\nmin_days = 14",
         '[policy.pg-backup-retention]: an override needs reason = "..."'),
        ('[policy.pg-backup-retention]\nmin_days = 14\nreason = "  "',
         '[policy.pg-backup-retention]: an override needs reason = "..."'),
        ('[policy.pg-backup-retention]\nmin_days = "30"\nreason = "x"',
         "[policy.pg-backup-retention]: min_days must be a whole number, not '30'"),
        ('[policy.pg-backup-retention]\nmin_days = true\nreason = "x"',
         "[policy.pg-backup-retention]: min_days must be a whole number, not True"),
        ('[policy.pg-backup-retention]\nmin_days = 90\nreason = "x"',
         "[policy.pg-backup-retention]: min_days must be from 1 to 35, not 90"),
        ('[policy.acr-admin-user-disabled]\nenabled = "no"\nreason = "x"',
         "[policy.acr-admin-user-disabled]: enabled must be true or false, not 'no'"),
        ('[policy.required-tags]\ntags = "environment"\nreason = "x"',
         "[policy.required-tags]: tags must be a list of non-empty strings"),
        ('[policy.required-tags]\nreason = "x"',
         "[policy.required-tags]: changes nothing"),
    ],
)  # fmt: skip
def test_bad_policy_tables_are_one_line_errors(tmp_path: Path, toml: str, message: str) -> None:
    settings = settings_from(toml + "\n[environments.prod]\n", tmp_path)
    with pytest.raises(ConfigError) as caught:
        rules_for(settings, "prod")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_mistake_in_another_environment_fails_early(tmp_path: Path) -> None:
    settings = settings_from(
        '[environments.prod]\n[environments.test.policy.app-min-replicas]\nmin = -1\nreason = "x"',
        tmp_path,
    )
    with pytest.raises(ConfigError, match=r"environments\.test\.policy\.app-min-replicas"):
        rules_for(settings, "prod")


# -- the catalogue ------------------------------------------------------------------------


def test_every_rule_is_documented_and_has_a_default_for_each_setting() -> None:
    table = catalogue_markdown()
    for rule in RULES:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule.id)
        assert rule.rationale.endswith(".") and "\n" not in rule.rationale
        assert table.count(f"`{rule.id}`") == 1
        names = {s.name for s in rule.settings}
        for env in ("prod", "test"):
            assert set(rule.defaults_for(env)) == names | {"enabled"}
    assert "| `pg-not-burstable` | high | on | off |" in table
    assert "| `pg-backup-retention` | high | `min_days=30` | `min_days=7` |" in table


def test_catalogue_defaults_do_not_leak_between_rulesets() -> None:
    prod = rules_for(DEFAULTS, "prod")
    assert prod.get("pg-backup-retention").settings["min_days"] == 30
    assert rules_for(DEFAULTS, "test").get("pg-backup-retention").settings["min_days"] == 7
    with pytest.raises(TypeError):
        prod.get("pg-backup-retention").settings["min_days"] = 1  # type: ignore[index]
