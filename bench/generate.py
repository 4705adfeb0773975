"""A benchmark environment: N Terraform-managed resources, their state, and planted drift.

The environment is made of stacks, each what one team's service needs: a Log Analytics
workspace, a Container Apps environment, a container registry, four container apps and a
PostgreSQL flexible server with two firewall rules and two databases (12 resources). Eight
stacks share a resource group. State attributes and ARM bodies follow the shapes of
`tests/factories.py` (which follow the Azure REST specification's examples); instances use
`for_each` keys, as large states do.

Planted drift that both runners must report: a scaled-up server, a widened firewall rule, a
deleted container app, a deleted database, a firewall rule and a storage account added by
hand. One more change must NOT be reported: a container app updated by a recent apply,
which Resource Graph still shows with its old image (its index lags writes).
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.fake_arm import World

Body = dict[str, Any]

SUBSCRIPTION = "5e1f0c2a-7b3d-4e8f-9a6b-0c1d2e3f4a5b"
TENANT = "9d8c7b6a-0000-4000-8000-00000000be4c"
ENVIRONMENT = "bench"
LOCATION = "westeurope"
STACK_SIZE = 12  # state resources per stack
STACKS_PER_GROUP = 8
MIN_SIZE = 1 + STACK_SIZE
APPS_PER_STACK = 4
OLD_IMAGE_TAG, NEW_IMAGE_TAG = "4f9c2e1", "5d0e3f2"
BUILTIN_DATABASES = ("postgres", "azure_maintenance", "azure_sys")
PROVIDER = 'provider["registry.terraform.io/hashicorp/azurerm"]'
NOT_A_SECRET = "bench-value-not-a-secret"  # noqa: S105 - state secrets are placeholders
ANY_AZURE_IP = "0.0.0.0"  # noqa: S104 - a firewall rule's "Azure services" marker, not a bind


@dataclass(frozen=True)
class Drift:
    """One finding the runners must report, in the terms of azprov's JSON report."""

    kind: str  # changed | missing | unmanaged
    resource_id: str
    attribute: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.kind, self.resource_id.lower(), self.attribute)


@dataclass(frozen=True)
class Layout:
    """How N state resources divide into resource groups, stacks and extra apps."""

    size: int
    groups: int
    stacks: int
    extra_apps: int

    @classmethod
    def for_size(cls, size: int) -> Layout:
        if size < MIN_SIZE:
            raise ValueError(f"the benchmark needs at least {MIN_SIZE} resources, not {size}")
        groups = max(1, math.ceil(size / (STACKS_PER_GROUP * STACK_SIZE + 1)))
        stacks = max(1, (size - groups) // STACK_SIZE)
        groups = min(groups, stacks)
        return cls(size, groups, stacks, size - groups - stacks * STACK_SIZE)


@dataclass(frozen=True)
class Generated:
    """The environment: what Azure holds (`world`), what Terraform holds, what differs."""

    layout: Layout
    world: World
    state: dict[str, Any]
    drift: tuple[Drift, ...]
    resource_groups: tuple[str, ...]
    servers: tuple[str, ...]  # server IDs in the state: their children are listed per server

    @property
    def size(self) -> int:
        return self.layout.size

    def state_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.state, indent=indent) + "\n"

    def expected(self) -> frozenset[tuple[str, str, str | None]]:
        return frozenset(d.key for d in self.drift)


def guid(*parts: object) -> str:
    """A stable GUID for a name, so every run generates the same environment."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "azprov-bench/" + "/".join(map(str, parts))))


@dataclass
class _Builder:
    """Collects state instances (grouped by resource block) and ARM bodies while building."""

    subscription: str
    with_live: bool = True
    blocks: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    bodies: dict[str, Body] = field(default_factory=dict)

    def add(
        self,
        address: tuple[str, str, str],
        attributes: dict[str, Any],
        body: Body | None,
        sensitive: tuple[str, ...] = (),
    ) -> None:
        tf_type, block, key = address
        self.blocks.setdefault((tf_type, block), []).append({
            "index_key": key, "schema_version": 0, "attributes": attributes,
            "sensitive_attributes": [[{"type": "get_attr", "value": s}] for s in sensitive],
        })  # fmt: skip
        if body is not None:
            self.live(body)

    def live(self, body: Body) -> None:
        if self.with_live:
            self.bodies[str(body["id"]).lower()] = body

    def state(self) -> dict[str, Any]:
        return {
            "version": 4, "terraform_version": "1.9.8", "serial": 7,
            "lineage": guid("lineage", self.subscription), "outputs": {},
            "resources": [
                {"mode": "managed", "type": tf_type, "name": block, "provider": PROVIDER,
                 "instances": instances}
                for (tf_type, block), instances in self.blocks.items()
            ],
        }  # fmt: skip


def _tags(stack: str | None = None) -> dict[str, str]:
    tags = {"environment": ENVIRONMENT, "app": "bench", "managed-by": "terraform"}
    return {**tags, "stack": stack} if stack else tags


class _Stack:
    """IDs and names of one stack; the builders below use them."""

    def __init__(self, subscription: str, group: str, index: int) -> None:
        self.key = f"{index:04d}"
        self.group = group
        self.rg_id = f"/subscriptions/{subscription}/resourceGroups/{group}"
        self.workspace = f"log-bench-{self.key}"
        self.environment = f"cae-bench-{self.key}"
        self.registry = f"acrbench{self.key}"
        self.server = f"psql-bench-{self.key}"
        self.customer_id = guid("workspace", self.key)
        self.domain = f"bench{self.key}.westeurope.azurecontainerapps.io"
        self.identity_id = self.id("Microsoft.ManagedIdentity/userAssignedIdentities",
                                   f"id-bench-{self.key}")  # fmt: skip

    def id(self, arm_type: str, name: str) -> str:
        return f"{self.rg_id}/providers/{arm_type}/{name}"

    @property
    def server_id(self) -> str:
        return self.id("Microsoft.DBforPostgreSQL/flexibleServers", self.server)


def _resource_group(b: _Builder, group: str) -> None:
    rid = f"/subscriptions/{b.subscription}/resourceGroups/{group}"
    b.add(
        ("azurerm_resource_group", "group", group),
        {"id": rid, "name": group, "location": LOCATION, "tags": _tags(), "managed_by": ""},
        {"id": rid, "name": group, "type": "Microsoft.Resources/resourceGroups",
         "location": LOCATION, "tags": _tags(), "properties": {"provisioningState": "Succeeded"}},
    )  # fmt: skip


def _workspace(b: _Builder, s: _Stack) -> None:
    rid = s.id("Microsoft.OperationalInsights/workspaces", s.workspace)
    b.add(
        ("azurerm_log_analytics_workspace", "stack", s.key),
        {"id": rid, "name": s.workspace, "location": LOCATION, "resource_group_name": s.group,
         "sku": "PerGB2018", "retention_in_days": 30, "daily_quota_gb": -1,
         "workspace_id": s.customer_id, "primary_shared_key": NOT_A_SECRET,
         "secondary_shared_key": NOT_A_SECRET, "internet_ingestion_enabled": True,
         "internet_query_enabled": True, "tags": _tags(s.key)},
        # ARM returns workspace IDs in lower case (azurerm-mapping.md 3.6)
        {"id": rid.lower(), "name": s.workspace, "type": "Microsoft.OperationalInsights/workspaces",
         "location": "West Europe", "tags": _tags(s.key),
         "properties": {"customerId": s.customer_id, "provisioningState": "Succeeded",
                        "sku": {"name": "PerGB2018", "lastSkuUpdate": "2026-03-02T10:11:12Z"},
                        "retentionInDays": 30,
                        "workspaceCapping": {"dailyQuotaGb": -1.0, "dataIngestionStatus":
                                             "RespectQuota"},
                        "publicNetworkAccessForIngestion": "Enabled",
                        "publicNetworkAccessForQuery": "Enabled",
                        "createdDate": "2026-03-02T10:11:12Z"}},
        sensitive=("primary_shared_key", "secondary_shared_key"),
    )  # fmt: skip


def _managed_environment(b: _Builder, s: _Stack, index: int) -> None:
    rid = s.id("Microsoft.App/managedEnvironments", s.environment)
    workspace_id = s.id("Microsoft.OperationalInsights/workspaces", s.workspace)
    static_ip = f"20.23.{index // 250}.{index % 250 + 1}"
    b.add(
        ("azurerm_container_app_environment", "stack", s.key),
        {"id": rid, "name": s.environment, "location": LOCATION, "resource_group_name": s.group,
         "log_analytics_workspace_id": workspace_id, "infrastructure_subnet_id": "",
         "zone_redundancy_enabled": False, "default_domain": s.domain,
         "static_ip_address": static_ip, "tags": _tags(s.key)},
        {"id": rid, "name": s.environment, "type": "Microsoft.App/managedEnvironments",
         "location": "West Europe", "tags": _tags(s.key),
         "properties": {
             "provisioningState": "Succeeded", "defaultDomain": s.domain, "staticIp": static_ip,
             "zoneRedundant": False,
             "appLogsConfiguration": {"destination": "log-analytics",
                                      "logAnalyticsConfiguration": {"customerId": s.customer_id}},
             "infrastructureResourceGroup": f"ME_{s.environment}_{s.group}_westeurope",
             "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}]}},
    )  # fmt: skip


def _registry(b: _Builder, s: _Stack) -> None:
    rid = s.id("Microsoft.ContainerRegistry/registries", s.registry)
    login = f"{s.registry}.azurecr.io"
    b.add(
        ("azurerm_container_registry", "stack", s.key),
        {"id": rid, "name": s.registry, "location": LOCATION, "resource_group_name": s.group,
         "sku": "Standard", "admin_enabled": False, "admin_username": "", "admin_password": "",
         "login_server": login, "public_network_access_enabled": True,
         "anonymous_pull_enabled": False, "zone_redundancy_enabled": False,
         "tags": _tags(s.key)},
        {"id": rid, "name": s.registry, "type": "Microsoft.ContainerRegistry/registries",
         "location": LOCATION, "tags": _tags(s.key),
         "sku": {"name": "Standard", "tier": "Standard"},
         "systemData": {"createdAt": "2026-03-02T10:11:12Z", "createdByType": "User"},
         "properties": {"loginServer": login, "adminUserEnabled": False,
                        "creationDate": "2026-03-02T10:11:12Z", "provisioningState": "Succeeded",
                        "publicNetworkAccess": "Enabled", "anonymousPullEnabled": False,
                        "zoneRedundancy": "Disabled", "dataEndpointEnabled": False,
                        "networkRuleBypassOptions": "AzureServices",
                        "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
                        "policies": {"retentionPolicy": {"days": 7, "status": "disabled"}}}},
        sensitive=("admin_password",),
    )  # fmt: skip


def _server(b: _Builder, s: _Stack) -> None:
    fqdn = f"{s.server}.postgres.database.azure.com"
    b.add(
        ("azurerm_postgresql_flexible_server", "stack", s.key),
        {"id": s.server_id, "name": s.server, "location": LOCATION, "resource_group_name": s.group,
         "sku_name": "GP_Standard_D2ds_v5", "version": "16", "storage_mb": 65536,
         "storage_tier": "P6", "auto_grow_enabled": False, "backup_retention_days": 30,
         "geo_redundant_backup_enabled": True, "public_network_access_enabled": True,
         "delegated_subnet_id": "", "high_availability": [], "zone": "1",
         "administrator_login": "benchadmin", "administrator_password": NOT_A_SECRET,
         "fqdn": fqdn, "tags": _tags(s.key)},
        {"id": s.server_id, "name": s.server, "type": "Microsoft.DBforPostgreSQL/flexibleServers",
         "location": "West Europe", "tags": _tags(s.key),
         "sku": {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
         "systemData": {"createdAt": "2026-03-02T10:11:12Z"},
         "properties": {
             "administratorLogin": "benchadmin", "version": "16", "minorVersion": "4",
             "state": "Ready", "fullyQualifiedDomainName": fqdn,
             "storage": {"storageSizeGB": 64, "autoGrow": "Disabled", "tier": "P6", "iops": 240},
             "authConfig": {"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled"},
             "backup": {"backupRetentionDays": 30, "geoRedundantBackup": "Enabled",
                        "earliestRestoreDate": "2026-10-26T00:00:00Z"},
             "network": {"publicNetworkAccess": "Enabled"},
             "highAvailability": {"mode": "Disabled", "state": "NotEnabled"},
             "maintenanceWindow": {"customWindow": "Disabled", "dayOfWeek": 0, "startHour": 0,
                                   "startMinute": 0},
             "availabilityZone": "1", "replicationRole": "Primary", "replicaCapacity": 5}},
        sensitive=("administrator_password",),
    )  # fmt: skip


def _firewall_body(s: _Stack, name: str, start: str, end: str) -> Body:
    return {"id": f"{s.server_id}/firewallRules/{name}", "name": name,
            "type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
            "properties": {"startIpAddress": start, "endIpAddress": end}}  # fmt: skip


def _firewall_rule(b: _Builder, s: _Stack, name: str, start: str, end: str) -> None:
    body = _firewall_body(s, name, start, end)
    b.add(
        ("azurerm_postgresql_flexible_server_firewall_rule", "rule", f"{s.key}-{name}"),
        {"id": body["id"], "name": name, "server_id": s.server_id, "start_ip_address": start,
         "end_ip_address": end},
        body,
    )  # fmt: skip


def _database_body(s: _Stack, name: str) -> Body:
    return {"id": f"{s.server_id}/databases/{name}", "name": name,
            "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
            "properties": {"charset": "UTF8", "collation": "en_US.utf8"}}  # fmt: skip


def _database(b: _Builder, s: _Stack, name: str) -> None:
    body = _database_body(s, name)
    b.add(
        ("azurerm_postgresql_flexible_server_database", "db", f"{s.key}-{name}"),
        {"id": body["id"], "name": name, "server_id": s.server_id, "charset": "UTF8",
         "collation": "en_US.utf8"},
        body,
    )  # fmt: skip


def _app_body(s: _Stack, n: int, tag: str) -> tuple[dict[str, Any], Body]:
    """The state attributes and the ARM body of container app `n` of the stack."""
    name = f"ca-bench-{s.key}-{n}"
    rid = s.id("Microsoft.App/containerApps", name)
    env_id = s.id("Microsoft.App/managedEnvironments", s.environment)
    api = n % 2 == 0  # even apps are APIs holding secrets; odd ones are web front ends
    port = 8000 if api else 80
    image = f"{s.registry}.azurecr.io/bench-app{n}:{tag}"
    fqdn = f"{name}.{s.domain}"
    if api:
        env_state = [
            {"name": "DATABASE_URL", "secret_name": "database-url", "value": ""},
            {"name": "API_KEY", "secret_name": "api-key", "value": ""},
            {"name": "LOG_LEVEL", "secret_name": "", "value": "info"},
        ]
        env_arm: list[Body] = [
            {"name": "DATABASE_URL", "secretRef": "database-url"},
            {"name": "API_KEY", "secretRef": "api-key"},
            {"name": "LOG_LEVEL", "value": "info"},
        ]
        secrets = [{"name": key, "value": NOT_A_SECRET, "identity": "", "key_vault_secret_id": ""}
                   for key in ("database-url", "api-key")]  # fmt: skip
        arm_secrets = [{"name": "database-url"}, {"name": "api-key"}]
    else:
        api_url = f"https://ca-bench-{s.key}-0.{s.domain}"
        env_state = [{"name": "VITE_API_URL", "secret_name": "", "value": api_url}]
        env_arm = [{"name": "VITE_API_URL", "value": api_url}]
        secrets, arm_secrets = [], []
    # ARM spells the identity's resource group in lower case here (azurerm-mapping.md 3.8)
    identity_key = s.identity_id.replace("resourceGroups", "resourcegroups")
    revision = f"{name}--r{tag[:5]}"
    state = {
        "id": rid, "name": name, "location": LOCATION, "resource_group_name": s.group,
        "container_app_environment_id": env_id, "revision_mode": "Single",
        "workload_profile_name": "",
        "ingress": [{"external_enabled": True, "target_port": port, "transport": "auto",
                     "allow_insecure_connections": False, "fqdn": fqdn,
                     "traffic_weight": [{"latest_revision": True, "percentage": 100, "label": "",
                                         "revision_suffix": ""}]}],
        "registry": [{"server": f"{s.registry}.azurecr.io", "identity": s.identity_id,
                      "username": "", "password_secret_name": ""}],
        "secret": secrets,
        "template": [{"min_replicas": 1, "max_replicas": 5, "revision_suffix": "",
                      "container": [{"name": f"app{n}", "image": image, "cpu": 0.5,
                                     "memory": "1Gi", "env": env_state}]}],
        "identity": [{"type": "UserAssigned", "identity_ids": [s.identity_id],
                      "principal_id": "", "tenant_id": ""}],
        "outbound_ip_addresses": ["20.50.1.10"], "latest_revision_name": revision,
        "latest_revision_fqdn": f"{revision}.{s.domain}",
        "custom_domain_verification_id": guid("verification", name).upper().replace("-", ""),
        "tags": _tags(s.key),
    }  # fmt: skip
    body = {
        "id": rid, "name": name, "type": "Microsoft.App/containerApps", "location": "West Europe",
        "tags": _tags(s.key),
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity_key: {
            "principalId": guid("principal", s.key), "clientId": guid("client", s.key)}}},
        "systemData": {"createdAt": "2026-03-02T10:11:12Z",
                       "lastModifiedAt": "2026-11-20T08:00:00Z"},
        "properties": {
            "provisioningState": "Succeeded", "runningStatus": "Running",
            "managedEnvironmentId": env_id, "environmentId": env_id,
            "workloadProfileName": "Consumption", "outboundIpAddresses": ["20.50.1.10"],
            "latestRevisionName": revision, "latestReadyRevisionName": revision,
            "latestRevisionFqdn": f"{revision}.{s.domain}",
            "customDomainVerificationId": state["custom_domain_verification_id"],
            "configuration": {
                "activeRevisionsMode": "Single", "maxInactiveRevisions": 100,
                "secrets": arm_secrets,
                "ingress": {"fqdn": fqdn, "external": True, "targetPort": port,
                            "transport": "Auto", "allowInsecure": False,
                            "traffic": [{"weight": 100, "latestRevision": True}]},
                "registries": [{"server": f"{s.registry}.azurecr.io",
                                "identity": s.identity_id}]},
            "template": {
                "containers": [{"name": f"app{n}", "image": image, "env": env_arm,
                                "resources": {"cpu": 0.5, "memory": "1Gi",
                                              "ephemeralStorage": "2Gi"},
                                "probes": []}],
                "scale": {"minReplicas": 1, "maxReplicas": 5}}}}  # fmt: skip
    return state, body


def _app(b: _Builder, s: _Stack, n: int, tag: str = OLD_IMAGE_TAG) -> Body:
    state, body = _app_body(s, n, tag)
    b.add(("azurerm_container_app", "app", f"{s.key}-{n}"), state, body,
          sensitive=("secret", "custom_domain_verification_id"))  # fmt: skip
    return body


def generate(size: int, subscription: str = SUBSCRIPTION, with_live: bool = True) -> Generated:
    """The environment of `size` state resources with the planted drift applied to Azure.

    `with_live=False` builds the state alone (for the state-parsing measurement).
    """
    layout = Layout.for_size(size)
    b = _Builder(subscription, with_live)
    groups = tuple(f"rg-bench-{g:03d}" for g in range(layout.groups))
    for group in groups:
        _resource_group(b, group)
    stacks = [_Stack(subscription, groups[i % layout.groups], i) for i in range(layout.stacks)]
    first, middle, last = stacks[0], stacks[len(stacks) // 2], stacks[-1]
    graph_bodies: dict[str, Body] = {}
    for i, s in enumerate(stacks):
        _workspace(b, s)
        _managed_environment(b, s, i)
        _registry(b, s)
        for n in range(APPS_PER_STACK + (layout.extra_apps if s is first else 0)):
            applied = s is first and n == 0
            body = _app(b, s, n, NEW_IMAGE_TAG if applied else OLD_IMAGE_TAG)
            if applied:  # Resource Graph has not caught up with the apply yet
                graph_bodies[str(body["id"]).lower()] = _app_body(s, n, OLD_IMAGE_TAG)[1]
        _server(b, s)
        _firewall_rule(b, s, "AllowAzureServices", ANY_AZURE_IP, ANY_AZURE_IP)
        _firewall_rule(b, s, "office", "198.51.100.0", "198.51.100.255")
        _database(b, s, "app")
        _database(b, s, "reporting")
        for name in BUILTIN_DATABASES:
            b.live(_database_body(s, name))
    state = b.state()
    drift = _plant_drift(b, first, middle, last) if with_live else ()
    return Generated(
        layout=layout,
        world=World(subscription, TENANT, b.bodies, graph_bodies),
        state=state,
        drift=drift,
        resource_groups=groups,
        servers=tuple(s.server_id for s in stacks),
    )


def _plant_drift(b: _Builder, first: _Stack, middle: _Stack, last: _Stack) -> tuple[Drift, ...]:
    """Change Azure behind Terraform's back, the ways the README describes."""
    bodies = b.bodies
    bodies[first.server_id.lower()]["sku"] = {"name": "Standard_D4ds_v5", "tier": "GeneralPurpose"}
    widened = _firewall_body(middle, "office", "198.51.100.0", "198.51.255.255")
    bodies[str(widened["id"]).lower()] = widened
    deleted_app = last.id("Microsoft.App/containerApps", f"ca-bench-{last.key}-1")
    del bodies[deleted_app.lower()]
    deleted_db = f"{middle.server_id}/databases/reporting"
    del bodies[deleted_db.lower()]
    by_hand = _firewall_body(last, "hotfix-debug", "203.0.113.7", "203.0.113.7")
    b.live(by_hand)
    storage_id = last.id("Microsoft.Storage/storageAccounts", "stbenchexport01")
    b.live({"id": storage_id, "name": "stbenchexport01",
            "type": "Microsoft.Storage/storageAccounts", "location": LOCATION, "kind": "StorageV2",
            "tags": {**_tags(), "managed-by": "portal"},
            "sku": {"name": "Standard_LRS", "tier": "Standard"},
            "properties": {"provisioningState": "Succeeded", "accessTier": "Hot",
                           "minimumTlsVersion": "TLS1_2",
                           "allowBlobPublicAccess": False}})  # fmt: skip
    return (
        Drift("changed", first.server_id, "sku_name"),
        Drift("changed", str(widened["id"]), "end_ip_address"),
        Drift("missing", deleted_app),
        Drift("missing", deleted_db),
        Drift("unmanaged", str(by_hand["id"])),
        Drift("unmanaged", storage_id),
    )
