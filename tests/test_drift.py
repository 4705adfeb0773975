"""The drift engine through the library: both sides built from one environment."""

from __future__ import annotations

from provisioner.config import Environment as EnvConfig
from provisioner.live import Inventory
from provisioner.model import ANY_TOP_LEVEL, Coverage, FindingKind, Severity
from provisioner.pipeline import verify
from provisioner.state import parse_state
from tests.factories import Environment, dumps

PROD = EnvConfig("prod", "prod.tfstate", "prod.tfvars")


def full_coverage(env: Environment) -> Coverage:
    """Everything listed, as a successful live read would report it."""
    listed = set()
    for key in env.bodies:
        parts = key.strip("/").split("/")
        cut = 4 if len(parts) >= 4 and parts[-4] == "providers" else 2
        parent = "/" + "/".join(parts[:-cut])
        arm_type = (
            "/".join(
                [parts[parts.index("providers") + 1], *parts[parts.index("providers") + 2 :: 2]]
            )
            if "providers" in parts
            else ""
        )
        listed.add((parent, arm_type))
        listed.add((parent, ANY_TOP_LEVEL))
    rg = f"/subscriptions/{env.subscription}/resourcegroups/{env.rg}".lower()
    return Coverage(frozenset(listed), frozenset({rg}))


def run(env: Environment, coverage: Coverage | None = None) -> list[tuple[str, str, str | None]]:
    state = parse_state(dumps(env.state_v4()), "state")
    inventory = Inventory(
        env.subscription,
        "2026-11-25T00:00:00Z",
        (env.rg,),
        tuple(env.bodies.values()),
        coverage or full_coverage(env),
    )
    analysis = verify(PROD, lambda: state, lambda _: inventory)
    return [(f.kind.value, f.address or f.resource_id, f.attribute) for f in analysis.findings]


def test_an_environment_that_matches_its_state_is_clean(prod: Environment) -> None:
    # ARM's own spellings must not count: "West Europe", lower-case workspace IDs,
    # "Auto" transport, GB vs MB storage, identity keys in another case, built-in databases.
    assert run(prod) == []


def test_scaled_database_is_a_high_severity_change(prod: Environment) -> None:
    prod.find("/flexibleServers/psql-stockapp-prod")["sku"] = {
        "name": "Standard_D4ds_v5",
        "tier": "GeneralPurpose",
    }
    prod.find("/flexibleServers/psql-stockapp-prod")["properties"]["storage"]["storageSizeGB"] = 128
    assert run(prod) == [
        ("changed", "azurerm_postgresql_flexible_server.db", "sku_name"),
        ("changed", "azurerm_postgresql_flexible_server.db", "storage_mb"),
    ]


def test_changed_values_are_reported_in_azurerm_terms(prod: Environment) -> None:
    prod.find("/flexibleServers/psql-stockapp-prod")["properties"]["backup"].update(
        backupRetentionDays=7, geoRedundantBackup="Disabled"
    )
    state = parse_state(dumps(prod.state_v4()), "state")
    inventory = Inventory(
        prod.subscription, "t", (prod.rg,), tuple(prod.bodies.values()), full_coverage(prod)
    )
    findings = verify(PROD, lambda: state, lambda _: inventory).findings
    by_attr = {f.attribute: f for f in findings}
    assert by_attr["backup_retention_days"].expected == 30
    assert by_attr["backup_retention_days"].actual == 7
    assert by_attr["geo_redundant_backup_enabled"].actual is False
    assert all(f.severity is Severity.HIGH for f in findings)


def test_container_app_changes_by_hand_are_found(prod: Environment) -> None:
    app = prod.find("/containerApps/ca-stockapp-backend-prod")["properties"]
    app["template"]["scale"]["minReplicas"] = 0
    app["template"]["containers"][0]["image"] = "docker.io/someone/debug:latest"
    app["template"]["containers"][0]["env"].append({"name": "DEBUG", "value": "1"})
    app["configuration"]["ingress"]["targetPort"] = 8080
    attrs = {a for _, _, a in run(prod)}
    assert attrs == {
        "template.min_replicas",
        "template.container[backend].image",
        "template.container[backend].env",
        "ingress.target_port",
    }


def test_computed_values_are_not_drift(prod: Environment) -> None:
    app = prod.find("/containerApps/ca-stockapp-backend-prod")["properties"]
    app["latestRevisionName"] = "ca-stockapp-backend-prod--new1"
    app["outboundIpAddresses"] = ["1.2.3.4"]
    app["configuration"]["ingress"]["fqdn"] = "elsewhere.example"
    prod.find("/registries/acrstockappprod")["properties"]["loginServer"] = "other.azurecr.io"
    assert run(prod) == []


def test_deleted_and_hand_made_resources(prod: Environment) -> None:
    del prod.bodies[prod.find("/containerApps/ca-stockapp-frontend-prod")["id"].lower()]
    prod.add_firewall_rule("office-vpn", "203.0.113.0", "203.0.113.255", managed=False)
    assert run(prod) == [
        ("missing", "azurerm_container_app.frontend", None),
        ("unmanaged", prod.find("/firewallRules/office-vpn")["id"], None),
    ]


def test_built_in_databases_are_not_unmanaged_but_a_new_one_is(prod: Environment) -> None:
    server = prod.find("/flexibleServers/psql-stockapp-prod")["id"]
    prod.bodies[f"{server}/databases/scratch".lower()] = {
        "id": f"{server}/databases/scratch",
        "name": "scratch",
        "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
        "properties": {},
    }
    assert run(prod) == [("unmanaged", f"{server}/databases/scratch", None)]


def test_tags_changed_by_hand_are_low_severity(prod: Environment) -> None:
    prod.find("/registries/acrstockappprod")["tags"] = {**prod.tags, "owner": "bob"}
    state = parse_state(dumps(prod.state_v4()), "state")
    inventory = Inventory(
        prod.subscription, "t", (prod.rg,), tuple(prod.bodies.values()), full_coverage(prod)
    )
    [finding] = verify(PROD, lambda: state, lambda _: inventory).findings
    assert (finding.attribute, finding.expected, finding.actual) == ("tags[owner]", None, "bob")
    assert finding.severity is Severity.LOW


def test_unread_scope_makes_its_resources_unknown_not_missing(prod: Environment) -> None:
    for key in [k for k in prod.bodies if "/containerapps/" in k]:
        del prod.bodies[key]
    coverage = full_coverage(Environment(name="prod").build())
    rg = f"/subscriptions/{prod.subscription}/resourcegroups/{prod.rg}".lower()
    coverage = Coverage(
        frozenset(
            c
            for c in coverage.listed
            if c[1] not in ("microsoft.app/containerapps", "*") or c[0] != rg
        ),
        coverage.fetched,
    )
    state = parse_state(dumps(prod.state_v4()), "state")
    inventory = Inventory(prod.subscription, "t", (prod.rg,), tuple(prod.bodies.values()), coverage)
    analysis = verify(PROD, lambda: state, lambda _: inventory)
    assert not [f for f in analysis.findings if f.kind is FindingKind.MISSING]
    assert analysis.exit_code == 1
    assert "azurerm_container_app.backend" in analysis.unread[0].reason
