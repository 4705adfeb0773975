"""Build one environment's Terraform state and the ARM bodies Azure would return for it.

Both sides come from one description, so they agree by construction; tests, the bundled
example and the benchmark then change the live side to create drift. Body shapes follow
the Azure REST API specification's examples (ContainerApps_Get, Servers_Get, ...).
No value here is a real secret.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

SUBSCRIPTION = "3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70"
TENANT = "a1b2c3d4-0000-4000-8000-00000000beef"
FAKE_PASSWORD = "example-password-not-real"
FAKE_API_KEY = "example-api-key-not-real"
ARM = "https://management.azure.com"
# The built-in AcrPull role's definition GUID (the same in every tenant).
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


@dataclass
class Environment:
    """Everything one environment holds, as both Terraform and Azure would show it."""

    name: str = "prod"
    app: str = "stockapp"
    subscription: str = SUBSCRIPTION
    location: str = "westeurope"
    pg_sku: tuple[str, str] = ("Standard_D2ds_v5", "GeneralPurpose")
    backup_days: int = 30
    geo_backup: bool = True
    min_replicas: int = 1
    apps: tuple[str, ...] = ("backend", "frontend")
    # ARM bodies by ID key; tests mutate them to create drift.
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    state_resources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rg(self) -> str:
        return f"rg-{self.app}-{self.name}"

    @property
    def tags(self) -> dict[str, str]:
        return {"environment": self.name, "app": self.app, "managed-by": "terraform"}

    @property
    def identity_ids(self) -> dict[str, str]:
        """The apps' managed identity's principal and client IDs, distinct per environment."""
        digit = "1" if self.name == "prod" else "2"
        return {
            "principalId": f"{digit * 8}-2222-3333-4444-555555555555",
            "clientId": f"{digit * 8}-7777-8888-9999-000000000000",
        }

    @property
    def assignment_guid(self) -> str:
        return (
            "0f8b6c1e-3a2d-4e5f-8a9b-1c2d3e4f5a6b"
            if self.name == "prod"
            else ("1f8b6c1e-3a2d-4e5f-8a9b-1c2d3e4f5a6c")
        )

    def provider_id(self, namespace_type: str, name: str) -> str:
        return f"{rg_id(self.subscription, self.rg)}/providers/{namespace_type}/{name}"

    # -- building ----------------------------------------------------------------------

    def build(self) -> Environment:
        sub, rg, tags, loc = self.subscription, self.rg, self.tags, self.location
        self._add(
            "azurerm_resource_group", "rg",
            {"id": rg_id(sub, rg), "name": rg, "location": loc, "tags": tags, "managed_by": ""},
            {"id": rg_id(sub, rg), "name": rg, "type": "Microsoft.Resources/resourceGroups",
             "location": loc, "tags": tags, "properties": {"provisioningState": "Succeeded"}},
        )  # fmt: skip
        workspace_id = self.provider_id("Microsoft.OperationalInsights/workspaces",
                                        f"log-{self.app}-{self.name}")  # fmt: skip
        customer_id = f"6a1e{self.name[:4]:0<4}-2f3b-4c1d-9e8f-0a1b2c3d4e5f".replace(" ", "0")
        self._add(
            "azurerm_log_analytics_workspace", "logs",
            {"id": workspace_id, "name": f"log-{self.app}-{self.name}", "location": loc,
             "resource_group_name": rg, "sku": "PerGB2018", "retention_in_days": 30,
             "daily_quota_gb": -1, "workspace_id": customer_id,
             "primary_shared_key": FAKE_API_KEY, "tags": tags},
            # ARM returns workspace IDs in lower case (azurerm-mapping.md 3.6)
            {"id": workspace_id.lower(), "name": f"log-{self.app}-{self.name}",
             "type": "Microsoft.OperationalInsights/workspaces", "location": "West Europe",
             "tags": tags,
             "properties": {"customerId": customer_id, "provisioningState": "Succeeded",
                            "sku": {"name": "PerGB2018"}, "retentionInDays": 30,
                            "workspaceCapping": {"dailyQuotaGb": -1.0},
                            "publicNetworkAccessForIngestion": "Enabled",
                            "publicNetworkAccessForQuery": "Enabled"}},
            sensitive=["primary_shared_key"],
        )  # fmt: skip
        env_id = self.provider_id(
            "Microsoft.App/managedEnvironments", f"cae-{self.app}-{self.name}"
        )
        self._add(
            "azurerm_container_app_environment", "env",
            {"id": env_id, "name": f"cae-{self.app}-{self.name}", "location": loc,
             "resource_group_name": rg, "log_analytics_workspace_id": workspace_id,
             "infrastructure_subnet_id": "", "zone_redundancy_enabled": False,
             "default_domain": f"nicebeach-{self.name}.westeurope.azurecontainerapps.io",
             "static_ip_address": "20.23.45.67" if self.name == "prod" else "20.23.45.89",
             "tags": tags},
            {"id": env_id, "name": f"cae-{self.app}-{self.name}",
             "type": "Microsoft.App/managedEnvironments", "location": "West Europe", "tags": tags,
             "properties": {
                 "provisioningState": "Succeeded",
                 "defaultDomain": f"nicebeach-{self.name}.westeurope.azurecontainerapps.io",
                 "staticIp": "20.23.45.67" if self.name == "prod" else "20.23.45.89",
                 "zoneRedundant": False,
                 "appLogsConfiguration": {"destination": "log-analytics",
                                          "logAnalyticsConfiguration": {"customerId": customer_id}},
                 "infrastructureResourceGroup": f"ME_cae-{self.app}-{self.name}_{rg}_westeurope"}},
        )  # fmt: skip
        acr = f"acr{self.app}{self.name}"
        acr_id = self.provider_id("Microsoft.ContainerRegistry/registries", acr)
        self._add(
            "azurerm_container_registry", "acr",
            {"id": acr_id, "name": acr, "location": loc, "resource_group_name": rg,
             "sku": "Standard", "admin_enabled": False, "admin_username": "",
             "admin_password": "", "login_server": f"{acr}.azurecr.io",
             "public_network_access_enabled": True, "anonymous_pull_enabled": False,
             "zone_redundancy_enabled": False, "tags": tags},
            {"id": acr_id, "name": acr, "type": "Microsoft.ContainerRegistry/registries",
             "location": loc, "tags": tags, "sku": {"name": "Standard", "tier": "Standard"},
             "properties": {"loginServer": f"{acr}.azurecr.io", "adminUserEnabled": False,
                            "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
                            "anonymousPullEnabled": False, "zoneRedundancy": "Disabled",
                            "networkRuleSet": {"defaultAction": "Allow", "ipRules": []}}},
            sensitive=["admin_password"],
        )  # fmt: skip
        identity_id = self.provider_id("Microsoft.ManagedIdentity/userAssignedIdentities",
                                       f"id-{self.app}-{self.name}-apps")  # fmt: skip
        ids = self.identity_ids
        self._add(
            "azurerm_user_assigned_identity", "apps",
            {"id": identity_id, "name": f"id-{self.app}-{self.name}-apps", "location": loc,
             "resource_group_name": rg, "principal_id": ids["principalId"],
             "client_id": ids["clientId"], "tenant_id": TENANT, "tags": tags},
            {"id": identity_id, "name": f"id-{self.app}-{self.name}-apps",
             "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "location": loc,
             "tags": tags,
             "properties": {"tenantId": TENANT, "principalId": ids["principalId"],
                            "clientId": ids["clientId"]}},
        )  # fmt: skip
        assignment_id = (f"{acr_id}/providers/Microsoft.Authorization/roleAssignments/"
                         f"{self.assignment_guid}")  # fmt: skip
        role_definition = (f"/subscriptions/{sub}/providers/Microsoft.Authorization/"
                           f"roleDefinitions/{ACR_PULL}")  # fmt: skip
        self._add(
            "azurerm_role_assignment", "apps_acr_pull",
            {"id": assignment_id, "name": self.assignment_guid, "scope": acr_id,
             "role_definition_name": "AcrPull", "role_definition_id": role_definition,
             "principal_id": ids["principalId"], "principal_type": "ServicePrincipal",
             "condition": "", "condition_version": "", "description": "",
             "skip_service_principal_aad_check": False},
            {"id": assignment_id, "name": self.assignment_guid,
             "type": "Microsoft.Authorization/roleAssignments",
             "properties": {"roleDefinitionId": role_definition,
                            "principalId": ids["principalId"], "principalType": "ServicePrincipal",
                            "scope": acr_id, "createdOn": "2026-03-02T10:15:00Z",
                            "updatedOn": "2026-03-02T10:15:00Z"}},
        )  # fmt: skip
        server = f"psql-{self.app}-{self.name}"
        server_id = self.provider_id("Microsoft.DBforPostgreSQL/flexibleServers", server)
        fqdn = f"{server}.postgres.database.azure.com"
        prefix = {"Burstable": "B", "GeneralPurpose": "GP", "MemoryOptimized": "MO"}[self.pg_sku[1]]
        self._add(
            "azurerm_postgresql_flexible_server", "db",
            {"id": server_id, "name": server, "location": loc, "resource_group_name": rg,
             "sku_name": f"{prefix}_{self.pg_sku[0]}", "version": "16", "storage_mb": 65536,
             "storage_tier": "P6", "auto_grow_enabled": False,
             "backup_retention_days": self.backup_days,
             "geo_redundant_backup_enabled": self.geo_backup,
             "public_network_access_enabled": True, "delegated_subnet_id": "",
             "high_availability": [], "zone": "1", "administrator_login": "stockadmin",
             "administrator_password": FAKE_PASSWORD, "fqdn": fqdn, "tags": tags},
            {"id": server_id, "name": server, "type": "Microsoft.DBforPostgreSQL/flexibleServers",
             "location": "West Europe", "tags": tags,
             "sku": {"name": self.pg_sku[0], "tier": self.pg_sku[1]},
             "systemData": {"createdAt": "2026-03-02T10:11:12Z"},
             "properties": {
                 "administratorLogin": "stockadmin", "version": "16", "minorVersion": "4",
                 "state": "Ready", "fullyQualifiedDomainName": fqdn,
                 "storage": {"storageSizeGB": 64, "autoGrow": "Disabled", "tier": "P6"},
                 "authConfig": {"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled"},
                 "backup": {"backupRetentionDays": self.backup_days,
                            "geoRedundantBackup": "Enabled" if self.geo_backup else "Disabled",
                            "earliestRestoreDate": "2026-10-26T00:00:00Z"},
                 "network": {"publicNetworkAccess": "Enabled"},
                 "highAvailability": {"mode": "Disabled", "state": "NotEnabled"},
                 "maintenanceWindow": {"customWindow": "Disabled", "dayOfWeek": 0,
                                       "startHour": 0, "startMinute": 0},
                 "availabilityZone": "1", "replicationRole": "Primary"}},
            sensitive=["administrator_password"],
        )  # fmt: skip
        self.add_firewall_rule(
            "AllowAzureServices", "0.0.0.0", "0.0.0.0", managed=True, address="azure_services"
        )
        db_id = f"{server_id}/databases/{self.app}"
        self._add(
            "azurerm_postgresql_flexible_server_database", "app",
            {"id": db_id, "name": self.app, "server_id": server_id, "charset": "UTF8",
             "collation": "en_US.utf8"},
            {"id": db_id, "name": self.app,
             "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
             "properties": {"charset": "UTF8", "collation": "en_US.utf8"}},
        )  # fmt: skip
        for builtin in ("postgres", "azure_maintenance", "azure_sys"):
            self.bodies[f"{server_id}/databases/{builtin}".lower()] = {
                "id": f"{server_id}/databases/{builtin}", "name": builtin,
                "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
                "properties": {"charset": "UTF8", "collation": "en_US.utf8"}}  # fmt: skip
        for app in self.apps:
            self.add_container_app(app, env_id, acr, identity_id, fqdn)
        return self

    def add_firewall_rule(
        self, name: str, start: str, end: str, managed: bool, address: str | None = None
    ) -> str:
        server = f"psql-{self.app}-{self.name}"
        rule_id = self.provider_id(
            "Microsoft.DBforPostgreSQL/flexibleServers", f"{server}/firewallRules/{name}"
        )
        body = {"id": rule_id, "name": name,
                "type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
                "properties": {"startIpAddress": start, "endIpAddress": end}}  # fmt: skip
        if managed:
            server_id = self.provider_id("Microsoft.DBforPostgreSQL/flexibleServers", server)
            self._add(
                "azurerm_postgresql_flexible_server_firewall_rule",
                address or name.lower().replace("-", "_"),
                {"id": rule_id, "name": name, "server_id": server_id,
                 "start_ip_address": start, "end_ip_address": end},
                body,
            )  # fmt: skip
        else:
            self.bodies[rule_id.lower()] = body
        return rule_id

    def add_container_app(
        self, app: str, env_id: str, acr: str, identity_id: str, db_fqdn: str
    ) -> None:
        name = f"ca-{self.app}-{app}-{self.name}"
        app_id = self.provider_id("Microsoft.App/containerApps", name)
        port = 8000 if app == "backend" else 80
        image = f"{acr}.azurecr.io/{self.app}-{app}:4f9c2e1"
        app_fqdn = f"{name}.nicebeach-{self.name}.westeurope.azurecontainerapps.io"
        if app == "backend":
            env_state = [
                {"name": "DATABASE_URL", "secret_name": "database-url", "value": ""},
                {"name": "GEMINI_API_KEY", "secret_name": "gemini-api-key", "value": ""},
                {"name": "LOG_LEVEL", "secret_name": "", "value": "info"},
            ]
            env_arm = [
                {"name": "DATABASE_URL", "secretRef": "database-url"},
                {"name": "GEMINI_API_KEY", "secretRef": "gemini-api-key"},
                {"name": "LOG_LEVEL", "value": "info"},
            ]
            secrets = [
                {"name": "database-url", "value": f"postgresql://stockadmin:{FAKE_PASSWORD}@"
                                                  f"{db_fqdn}:5432/{self.app}?sslmode=require",
                 "identity": "", "key_vault_secret_id": ""},
                {"name": "gemini-api-key", "value": FAKE_API_KEY, "identity": "",
                 "key_vault_secret_id": ""},
            ]  # fmt: skip
        else:
            backend_fqdn = f"ca-{self.app}-backend-{self.name}.nicebeach-{self.name}" \
                           ".westeurope.azurecontainerapps.io"  # fmt: skip
            env_state = [{"name": "VITE_API_URL", "secret_name": "",
                          "value": f"https://{backend_fqdn}"}]  # fmt: skip
            env_arm = [{"name": "VITE_API_URL", "value": f"https://{backend_fqdn}"}]
            secrets = []
        # ARM spells the identity's resource group in lower case here (azurerm-mapping.md 3.8)
        identity_key = identity_id.replace("resourceGroups", "resourcegroups")
        outbound = ["20.23.45.100", "20.23.45.101"] if self.name == "prod" else ["20.50.1.10"]
        self._add(
            "azurerm_container_app", app,
            {"id": app_id, "name": name, "location": self.location,
             "resource_group_name": self.rg, "container_app_environment_id": env_id,
             "revision_mode": "Single", "workload_profile_name": "",
             "ingress": [{"external_enabled": True, "target_port": port, "transport": "auto",
                          "allow_insecure_connections": False, "fqdn": app_fqdn,
                          "traffic_weight": [{"latest_revision": True, "percentage": 100,
                                              "label": "", "revision_suffix": ""}]}],
             "registry": [{"server": f"{acr}.azurecr.io", "identity": identity_id,
                           "username": "", "password_secret_name": ""}],
             "secret": secrets,
             "template": [{"min_replicas": self.min_replicas, "max_replicas": 5,
                           "revision_suffix": "",
                           "container": [{"name": app, "image": image, "cpu": 0.5,
                                          "memory": "1Gi", "env": env_state}]}],
             "identity": [{"type": "UserAssigned", "identity_ids": [identity_id],
                           "principal_id": "", "tenant_id": ""}],
             "outbound_ip_addresses": outbound,
             "latest_revision_name": f"{name}--r7x2k",
             "latest_revision_fqdn": f"{name}--r7x2k.nicebeach.westeurope.azurecontainerapps.io",
             "custom_domain_verification_id": "0F1E2D3C4B5A69788796A5B4C3D2E1F0",
             "tags": self.tags},
            {"id": app_id, "name": name, "type": "Microsoft.App/containerApps",
             "location": "West Europe", "tags": self.tags,
             "identity": {"type": "UserAssigned",
                          "userAssignedIdentities": {identity_key: self.identity_ids}},
             "properties": {
                 "provisioningState": "Succeeded", "runningStatus": "Running",
                 "managedEnvironmentId": env_id, "environmentId": env_id,
                 "workloadProfileName": "Consumption",
                 "outboundIpAddresses": outbound,
                 "latestRevisionName": f"{name}--r7x2k",
                 "latestReadyRevisionName": f"{name}--r7x2k",
                 "latestRevisionFqdn": f"{name}--r7x2k.nicebeach.westeurope.azurecontainerapps.io",
                 "customDomainVerificationId": "0F1E2D3C4B5A69788796A5B4C3D2E1F0",
                 "configuration": {
                     "activeRevisionsMode": "Single",
                     "ingress": {"fqdn": app_fqdn, "external": True, "targetPort": port,
                                 "transport": "Auto", "allowInsecure": False,
                                 "traffic": [{"weight": 100, "latestRevision": True}]},
                     "registries": [{"server": f"{acr}.azurecr.io", "identity": identity_id}]},
                 "template": {
                     "containers": [{"name": app, "image": image, "env": env_arm,
                                     "resources": {"cpu": 0.5, "memory": "1Gi",
                                                   "ephemeralStorage": "2Gi"}}],
                     "scale": {"minReplicas": self.min_replicas, "maxReplicas": 5}}}},
            sensitive=["secret", "custom_domain_verification_id"],
        )  # fmt: skip

    def _add(
        self,
        tf_type: str,
        name: str,
        attributes: dict[str, Any],
        body: dict[str, Any],
        sensitive: list[str] | None = None,
    ) -> None:
        self.state_resources.append(_state_entry(tf_type, name, attributes, sensitive or []))
        self.bodies[str(body["id"]).lower()] = body

    # -- views ---------------------------------------------------------------------------

    def state_v4(self) -> dict[str, Any]:
        return {
            "version": 4, "terraform_version": "1.9.8", "serial": 42,
            "lineage": "5b8e0c3a-9d1f-4e2b-8c7a-6f5e4d3c2b1a", "outputs": {},
            "resources": copy.deepcopy(self.state_resources),
        }  # fmt: skip

    def find(self, suffix: str) -> dict[str, Any]:
        """The body whose ID ends with `suffix` (case-insensitive)."""
        matches = [b for k, b in self.bodies.items() if k.endswith(suffix.lower())]
        assert len(matches) == 1, f"{suffix}: {len(matches)} matches"
        return matches[0]

    def bodies_of(self, arm_type: str, parent: str) -> list[dict[str, Any]]:
        """Bodies of `arm_type` directly under `parent` (an ID), as a list call returns them."""
        prefix = parent.lower() + "/"
        return [
            b for b in self.bodies.values()
            if str(b["type"]).lower() == arm_type.lower()
            and str(b["id"]).lower().startswith(prefix)
            and str(b["id"]).lower() != parent.lower()
        ]  # fmt: skip


def _state_entry(
    tf_type: str, name: str, attributes: dict[str, Any], sensitive: list[str]
) -> dict[str, Any]:
    return {
        "mode": "managed", "type": tf_type, "name": name,
        "provider": 'provider["registry.terraform.io/hashicorp/azurerm"]',
        "instances": [{
            "schema_version": 0, "attributes": attributes,
            "sensitive_attributes": [[{"type": "get_attr", "value": s}] for s in sensitive],
        }],
    }  # fmt: skip


def storage_account_properties(name: str) -> dict[str, Any]:
    """A StorageV2 account's `properties` with the portal's defaults (TLS 1.2, no public
    blobs), shaped like the REST specification's StorageAccounts_GetProperties example."""
    endpoints = {s: f"https://{name}.{s}.core.windows.net/"
                 for s in ("blob", "dfs", "file", "queue", "table", "web")}  # fmt: skip
    created = "2026-11-20T16:02:11.4310000Z"
    return {
        "accessTier": "Hot", "allowBlobPublicAccess": False, "allowCrossTenantReplication": False,
        "allowSharedKeyAccess": True, "creationTime": created, "dnsEndpointType": "Standard",
        "encryption": {"keySource": "Microsoft.Storage", "requireInfrastructureEncryption": False,
                       "services": {s: {"enabled": True, "keyType": "Account",
                                        "lastEnabledTime": created} for s in ("blob", "file")}},
        "isHnsEnabled": False, "keyCreationTime": {"key1": created, "key2": created},
        "minimumTlsVersion": "TLS1_2",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [],
                        "virtualNetworkRules": []},
        "primaryEndpoints": endpoints, "primaryLocation": "westeurope",
        "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
        "statusOfPrimary": "available", "supportsHttpsTrafficOnly": True,
    }  # fmt: skip


def example_prod() -> Environment:
    """Prod with four kinds of drift: scaled, opened, deleted and created by hand."""
    env = Environment(name="prod").build()
    server = env.find("/flexibleServers/psql-stockapp-prod")
    server["sku"] = {"name": "Standard_D4ds_v5", "tier": "GeneralPurpose"}  # scaled up by hand
    env.add_firewall_rule("office-vpn", "203.0.113.0", "203.0.113.255", managed=False)
    del env.bodies[env.find("/containerApps/ca-stockapp-frontend-prod")["id"].lower()]
    storage_id = env.provider_id("Microsoft.Storage/storageAccounts", "stdebugexport01")
    env.bodies[storage_id.lower()] = {
        "id": storage_id, "name": "stdebugexport01", "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope", "kind": "StorageV2",
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "tags": {"environment": "prod", "app": "stockapp", "managed-by": "portal"},
        "properties": storage_account_properties("stdebugexport01"),
    }  # fmt: skip
    return env


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2) + "\n"


def bundled_prod() -> Environment:
    """examples/prod: `example_prod()` plus the isolation leak the README walks through."""
    env = example_prod()
    # Opened by hand to copy data from test: prod's database now admits test's apps.
    env.add_firewall_rule("allow-test-apps", "20.50.1.10", "20.50.1.10", managed=False)
    return env


def example_test() -> Environment:
    """The bundled test environment: Burstable, short backups, scaled to zero, new images."""
    env = Environment(
        name="test", pg_sku=("Standard_B1ms", "Burstable"), backup_days=7, geo_backup=False,
        min_replicas=0,
    ).build()  # fmt: skip
    for app in env.apps:
        set_image_tag(env, app, DEPLOYED_TAG)
    return env


# The commit the pipeline deployed to test and now plans for prod.
DEPLOYED_TAG = "9b1d7aa"


def set_image_tag(env: Environment, app: str, tag: str) -> None:
    """Point one app's container at `tag` on both sides (state and Azure)."""
    name = f"ca-{env.app}-{app}-{env.name}"
    body = env.find(f"/containerApps/{name}")
    container = body["properties"]["template"]["containers"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + f":{tag}"
    record = next(
        r for r in env.state_resources if r["instances"][0]["attributes"]["id"] == body["id"]
    )
    record["instances"][0]["attributes"]["template"][0]["container"][0]["image"] = container[
        "image"
    ]


def _address(record: dict[str, Any]) -> str:
    return f"{record['type']}.{record['name']}"


def _sensitive_marks(record: dict[str, Any]) -> dict[str, Any]:
    """`sensitive_attributes` paths as plan JSON's `*_sensitive` object."""
    marks: dict[str, Any] = {}
    for path in record["instances"][0]["sensitive_attributes"]:
        marks[path[0]["value"]] = True
    return marks


def plan_change(
    record: dict[str, Any] | None,
    actions: list[str],
    after: dict[str, Any] | None,
    *,
    address: str | None = None,
    after_unknown: dict[str, Any] | None = None,
    replace_paths: list[list[Any]] | None = None,
    sensitive_like: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One `resource_changes` entry as `terraform show -json` writes it (format 1.2).

    A create has no `record`; `sensitive_like` lends it a record's sensitive paths.
    """
    attributes = record["instances"][0]["attributes"] if record else None
    address = address or _address(record or {})
    tf_type, name = address.split(".", 1)
    marks = _sensitive_marks(
        record or sensitive_like or {"instances": [{"sensitive_attributes": []}]}
    )
    change: dict[str, Any] = {
        "actions": actions, "before": copy.deepcopy(attributes), "after": after,
        "after_unknown": after_unknown or {}, "before_sensitive": marks if record else False,
        "after_sensitive": marks if after is not None else False,
    }  # fmt: skip
    if replace_paths:
        change["replace_paths"] = replace_paths
    entry = {
        "address": address, "mode": "managed", "type": tf_type, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/azurerm", "change": change,
    }  # fmt: skip
    if "delete" in actions and "create" in actions:
        entry["action_reason"] = "replace_because_cannot_update"
    elif actions == ["delete"]:
        entry["action_reason"] = "delete_because_no_resource_config"
    return entry


def example_prod_plan() -> dict[str, Any]:
    """The plan the pipeline makes for prod at DEPLOYED_TAG, against the example's state.

    It reverts the hand-scaled database, re-creates the deleted frontend, rolls both apps to
    the new image, replaces the app database (its collation changed in the code) and
    deletes the role assignment that a rename without a `moved` block orphaned.
    """
    prod = Environment(name="prod").build()
    records = {_address(r): r for r in prod.state_resources}

    def attrs(address: str) -> dict[str, Any]:
        return copy.deepcopy(records[address]["instances"][0]["attributes"])

    def with_image(address: str) -> dict[str, Any]:
        after = attrs(address)
        container = after["template"][0]["container"][0]
        container["image"] = container["image"].rsplit(":", 1)[0] + f":{DEPLOYED_TAG}"
        return after

    server = records["azurerm_postgresql_flexible_server.db"]
    refreshed_server = copy.deepcopy(server)
    refreshed_server["instances"][0]["attributes"]["sku_name"] = "GP_Standard_D4ds_v5"
    database_after = {**attrs("azurerm_postgresql_flexible_server_database.app"),
                      "collation": "C.UTF-8", "id": None}  # fmt: skip
    changes = [
        plan_change(refreshed_server, ["update"], attrs("azurerm_postgresql_flexible_server.db")),
        plan_change(records["azurerm_container_app.backend"], ["update"],
                    with_image("azurerm_container_app.backend")),
        plan_change(None, ["create"], {**with_image("azurerm_container_app.frontend"), "id": None,
                                       "outbound_ip_addresses": None, "latest_revision_name": None},
                    address="azurerm_container_app.frontend",
                    sensitive_like=records["azurerm_container_app.frontend"],
                    after_unknown={"id": True, "outbound_ip_addresses": True,
                                   "latest_revision_name": True,
                                   "ingress": [{"fqdn": True}]}),
        plan_change(records["azurerm_postgresql_flexible_server_database.app"],
                    ["delete", "create"], database_after, after_unknown={"id": True},
                    replace_paths=[["collation"]]),
        plan_change(records["azurerm_role_assignment.apps_acr_pull"], ["delete"], None),
    ]  # fmt: skip
    changed = {c["address"] for c in changes}
    changes += [
        plan_change(record, ["no-op"], attrs(address))
        for address, record in records.items()
        if address not in changed
    ]
    drift = [
        plan_change(server, ["update"], refreshed_server["instances"][0]["attributes"]),
        plan_change(records["azurerm_container_app.frontend"], ["delete"], None),
    ]
    for entry in drift:
        entry.pop("action_reason", None)
    return {
        "format_version": "1.2", "terraform_version": "1.9.8",
        "resource_drift": drift,
        "resource_changes": sorted(changes, key=lambda c: c["address"]),
        "output_changes": {
            "backend_url": {"actions": ["no-op"], "before": "https://ca-stockapp-backend-prod."
                            "nicebeach-prod.westeurope.azurecontainerapps.io",
                            "after": "https://ca-stockapp-backend-prod.nicebeach-prod."
                            "westeurope.azurecontainerapps.io",
                            "after_unknown": False, "before_sensitive": False,
                            "after_sensitive": False},
            "database_url": {"actions": ["update"], "before": f"postgresql://stockadmin:"
                             f"{FAKE_PASSWORD}@psql-stockapp-prod.postgres.database.azure.com/x",
                             "after": None, "after_unknown": True, "before_sensitive": True,
                             "after_sensitive": True},
        },
        "prior_state": {"format_version": "1.0", "terraform_version": "1.9.8"},
        "applyable": True, "complete": True, "errored": False,
        "timestamp": "2026-11-25T08:12:44Z",
    }  # fmt: skip
