"""A large world of environments for the isolation analyser: its pinning test and its benchmark.

`build_world(size)` makes `prod` and `test` with about `size` Terraform-managed resources
each, plus a small `staging`. Each environment is made of service stacks: a Log Analytics
workspace, a user-assigned identity, a Container Apps environment, a container registry, a
Key Vault, a virtual network, a network security group, a storage account, a PostgreSQL
flexible server with firewall rules and databases, three container apps and two role
assignments. State attributes follow azurerm's schema; ARM bodies follow the shapes of the
x-ms-examples in the Azure REST API specification (specification/<service>/resource-manager):
ContainerApps_Get and ManagedEnvironments_Get (app), Workspaces_Get (operationalinsights),
UserAssignedIdentities_Get (msi), Registries_Get (containerregistry), Vaults_Get (keyvault),
VirtualNetworks_Get and NetworkSecurityGroups_Get (network), StorageAccounts_GetProperties
(storage), Servers_Get, FirewallRules_Get and Databases_Get (postgresql flexible servers),
RoleAssignments_Get (authorization). Bodies carry many tags, environment variable lists
with URLs, connection strings, host names, IPs, GUIDs and IDs, network blocks with IP
ranges, and user-assigned identity maps keyed by ID.

Planted on top, from one seeded RNG: references from one environment into another of every
kind the analyser reports (IDs exact and under a resource, IDs as map keys, FQDNs, hosts
under a default domain, login servers, Key Vault URLs, IPs and networks, firewall ranges in
the state and in Azure only, workspace and principal GUIDs, a resource in two states, tags,
a shared state key, a plan) and near misses it must not report (bare names, subscription
IDs, locations, version strings, long base64 and dotted runs, look-alike hosts, adjacent
IPs, wide ranges, GUIDs inside longer words, deliberately shared resources). Values that
look like secrets are placeholders.
"""

from __future__ import annotations

import ipaddress
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from provisioner.analysers.isolation import EnvironmentData
from provisioner.state import parse_state
from provisioner.state.plan import plan_from_document

Body = dict[str, Any]

SUBSCRIPTION = "0c7d2e4f-5a6b-4c8d-9e0f-1a2b3c4d5e6f"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PROVIDER = 'provider["registry.terraform.io/hashicorp/azurerm"]'
FAKE_PASSWORD = "world-password-not-real"  # noqa: S105 - placeholders, asserted absent
FAKE_KEY = "d29ybGQta2V5LW5vdC1yZWFs"
SECRETS = (FAKE_PASSWORD, FAKE_KEY)
SERVICES = ("orders", "billing", "catalog", "search", "auth", "notify", "ledger", "reports",
            "ingest", "pricing", "stock", "ship")  # fmt: skip
APPS = ("api", "worker", "web")
STACKS_PER_GROUP = 4
STACK_SIZE = 19  # state resources per stack (and one resource group per STACKS_PER_GROUP)
PUBLIC_POOLS = {"prod": "20.23.0.0", "test": "51.104.0.0", "staging": "52.174.0.0"}
WHEN = "2026-10-14T08:21:33.1234567Z"
ANY_AZURE_IP = "0.0.0.0"  # noqa: S104 - a firewall rule's "Azure services" marker, not a bind
JOIN_SUBNET = "Microsoft.Network/virtualNetworks/subnets/join/action"
DELEGATED_TO = "Microsoft.App/environments"
ROLE_DEFINITIONS = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
}
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjNiN2E0YjNkIn0.eyJpc3MiOiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGl"
    "uZS5jb20iLCJhdWQiOiJhcGk6Ly9zdG9ja2FwcCJ9.c2lnbmF0dXJlLW5vdC1yZWFsLXNpZ25hdHVyZS1ub3QtcmVh"
    "bC1zaWduYXR1cmU"
)


def rg_id(rg: str, subscription: str = SUBSCRIPTION) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{rg}"


@dataclass
class Stack:
    """One service's resources in one environment: the identifiers other stacks point at."""

    env: str
    service: str
    rg: str
    workspace_id: str = ""
    customer_id: str = ""
    identity_id: str = ""
    principal_id: str = ""
    client_id: str = ""
    cae_id: str = ""
    default_domain: str = ""
    static_ip: str = ""
    outbound: tuple[str, ...] = ()
    acr_id: str = ""
    login_server: str = ""
    data_endpoint: str = ""
    vault_id: str = ""
    vault_uri: str = ""
    vnet_id: str = ""
    subnets: tuple[str, ...] = ()
    nsg_id: str = ""
    storage_id: str = ""
    server_id: str = ""
    pg_fqdn: str = ""
    app_ids: tuple[str, ...] = ()
    app_fqdns: tuple[str, ...] = ()


@dataclass
class Resource:
    """One resource as both sides hold it; either side may be missing."""

    address: str
    attributes: dict[str, Any] | None
    body: Body | None


@dataclass
class EnvironmentDocs:
    """One environment as documents: its state, what Azure returns, and maybe a plan."""

    name: str
    state_key: str
    records: list[dict[str, Any]] = field(default_factory=list)
    bodies: dict[str, Body] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    stacks: list[Stack] = field(default_factory=list)
    resources: dict[str, Resource] = field(default_factory=dict)
    with_state: bool = True
    with_live: bool = True

    def state(self) -> dict[str, Any]:
        return {
            "version": 4, "terraform_version": "1.9.8", "serial": 311,
            "lineage": str(uuid.uuid5(uuid.NAMESPACE_URL, self.name)), "outputs": {},
            "resources": self.records,
        }  # fmt: skip

    def data(self) -> EnvironmentData:
        """The environment as the analyser receives it, parsed by azprov's own readers."""
        state = parse_state(json.dumps(self.state()), self.state_key) if self.with_state else None
        return EnvironmentData(
            name=self.name,
            state_key=self.state_key,
            state=state,
            live=tuple(self.bodies.values()) if self.with_live else None,
            planned=plan_from_document(self.plan) if self.plan is not None else None,
        )


@dataclass
class World:
    """The environments and the names of deliberately shared resources."""

    envs: dict[str, EnvironmentDocs]
    shared: tuple[str, ...]

    def scenarios(self) -> Iterator[tuple[str, EnvironmentData, list[EnvironmentData]]]:
        """(name, target, others): test against prod, prod against test, staging against both."""
        data = {name: env.data() for name, env in self.envs.items()}
        yield "test", data["test"], [data["prod"]]
        yield "prod", data["prod"], [data["test"]]
        # staging is known from its state only; prod, for staging's check, from Azure only
        prod_live = EnvironmentData("prod", "prod.tfstate", None, data["prod"].live)
        yield "staging", data["staging"], [prod_live, data["test"]]


class _Builder:
    """Builds one environment's stacks into an `EnvironmentDocs`."""

    def __init__(self, name: str, rng: random.Random) -> None:
        self.docs = EnvironmentDocs(name, f"{name}.tfstate")
        self.rng = rng
        self.name = name
        self.pool = int(ipaddress.IPv4Address(PUBLIC_POOLS[name]))
        self.blocks: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.planted = 0

    # -- bookkeeping ----------------------------------------------------------------------

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def public_ip(self) -> str:
        self.pool += self.rng.randint(2, 9)  # gaps, so neighbours belong to nobody
        return str(ipaddress.IPv4Address(self.pool))

    def tags(self, stack: Stack, extra: dict[str, str] | None = None) -> dict[str, str]:
        tags = {
            "environment": self.name, "service": stack.service, "team": f"team-{stack.rg[3:]}",
            "cost-center": f"CC-{4100 + SERVICES.index(stack.service.rstrip('0123456789'))}",
            "owner": f"{stack.service}-owners@contoso.com", "managed-by": "terraform",
            "repository": f"https://github.com/contoso/{stack.service}-infra",
            "data-classification": "confidential" if self.name == "prod" else "internal",
            "created-by": "azure-pipelines", "last-deployed": "2026-10-14",
        }  # fmt: skip
        return {**tags, **(extra or {})}

    def add(
        self,
        tf_type: str,
        block: str,
        key: str,
        attributes: dict[str, Any] | None,
        body: Body | None,
        sensitive: tuple[str, ...] = (),
    ) -> Resource:
        address = f'{tf_type}.{block}["{key}"]'
        if attributes is not None:
            self.blocks.setdefault((tf_type, block), []).append({
                "index_key": key, "schema_version": 0, "attributes": attributes,
                "sensitive_attributes": [[{"type": "get_attr", "value": s}] for s in sensitive],
            })  # fmt: skip
        if body is not None:
            self.docs.bodies[str(body["id"]).lower()] = body
        resource = Resource(address, attributes, body)
        self.docs.resources[address] = resource
        return resource

    def finish(self) -> EnvironmentDocs:
        self.docs.records = [
            {"mode": "managed", "type": tf_type, "name": block, "provider": PROVIDER,
             "instances": instances}
            for (tf_type, block), instances in self.blocks.items()
        ]  # fmt: skip
        return self.docs

    # -- one stack ------------------------------------------------------------------------

    def resource_group(self, rg: str, stack: Stack) -> None:
        tags = self.tags(stack)
        self.add(
            "azurerm_resource_group", "main", rg,
            {"id": rg_id(rg), "name": rg, "location": "westeurope", "tags": tags,
             "managed_by": ""},
            {"id": rg_id(rg), "name": rg, "type": "Microsoft.Resources/resourceGroups",
             "location": "westeurope", "tags": tags,
             "properties": {"provisioningState": "Succeeded"}},
        )  # fmt: skip

    def stack(self, service: str, rg: str) -> Stack:
        s = Stack(self.name, service, rg)
        prefix = f"{rg_id(rg)}/providers"
        tags = self.tags(s)
        env = self.name
        # Log Analytics workspace
        s.workspace_id = f"{prefix}/Microsoft.OperationalInsights/workspaces/log-{service}-{env}"
        s.customer_id = self.guid()
        self.add(
            "azurerm_log_analytics_workspace", "main", service,
            {"id": s.workspace_id, "name": f"log-{service}-{env}", "location": "westeurope",
             "resource_group_name": rg, "sku": "PerGB2018", "retention_in_days": 30,
             "daily_quota_gb": -1, "workspace_id": s.customer_id,
             "primary_shared_key": FAKE_KEY, "secondary_shared_key": FAKE_KEY,
             "internet_ingestion_enabled": True, "internet_query_enabled": True,
             "local_authentication_disabled": False, "tags": tags},
            {"id": s.workspace_id.lower(), "name": f"log-{service}-{env}",
             "type": "Microsoft.OperationalInsights/workspaces", "location": "westeurope",
             "tags": tags, "etag": f"\"{self.guid()[:8]}-0000-0d00-0000-6526a1b40000\"",
             "properties": {
                 "customerId": s.customer_id, "provisioningState": "Succeeded",
                 "sku": {"name": "PerGB2018", "lastSkuUpdate": WHEN}, "retentionInDays": 30,
                 "features": {"legacy": 0, "searchVersion": 1,
                              "enableLogAccessUsingOnlyResourcePermissions": True},
                 "workspaceCapping": {"dailyQuotaGb": -1.0, "quotaNextResetTime": WHEN,
                                      "dataIngestionStatus": "RespectQuota"},
                 "publicNetworkAccessForIngestion": "Enabled",
                 "publicNetworkAccessForQuery": "Enabled",
                 "createdDate": WHEN, "modifiedDate": WHEN}},
            sensitive=("primary_shared_key", "secondary_shared_key"),
        )  # fmt: skip
        # user-assigned identity
        s.identity_id = (
            f"{prefix}/Microsoft.ManagedIdentity/userAssignedIdentities/id-{service}-{env}"
        )
        s.principal_id, s.client_id = self.guid(), self.guid()
        self.add(
            "azurerm_user_assigned_identity", "apps", service,
            {"id": s.identity_id, "name": f"id-{service}-{env}", "location": "westeurope",
             "resource_group_name": rg, "principal_id": s.principal_id,
             "client_id": s.client_id, "tenant_id": TENANT, "tags": tags},
            {"id": s.identity_id, "name": f"id-{service}-{env}",
             "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
             "location": "westeurope", "tags": tags,
             "properties": {"tenantId": TENANT, "principalId": s.principal_id,
                            "clientId": s.client_id}},
        )  # fmt: skip
        self.network(s, prefix, tags)
        self.registry_and_vault(s, prefix, tags)
        self.storage(s, prefix, tags)
        self.database(s, prefix, tags)
        self.container_apps(s, prefix, tags)
        for role, scope in (("AcrPull", s.acr_id), ("Key Vault Secrets User", s.vault_id)):
            self.role_assignment(s, role, scope)
        return s

    def network(self, s: Stack, prefix: str, tags: dict[str, str]) -> None:
        env, service, rg = self.name, s.service, s.rg
        octet = self.rng.randint(16, 250)
        s.vnet_id = f"{prefix}/Microsoft.Network/virtualNetworks/vnet-{service}-{env}"
        s.nsg_id = f"{prefix}/Microsoft.Network/networkSecurityGroups/nsg-{service}-{env}"
        names = ("apps", "data", "endpoints")
        s.subnets = tuple(f"{s.vnet_id}/subnets/snet-{n}" for n in names)
        etag = f'W/"{self.guid()}"'
        self.add(
            "azurerm_virtual_network", "main", service,
            {"id": s.vnet_id, "name": f"vnet-{service}-{env}", "location": "westeurope",
             "resource_group_name": rg, "address_space": [f"10.{octet}.0.0/16"],
             "dns_servers": [], "guid": self.guid(),
             "subnet": [{"name": f"snet-{n}", "address_prefixes": [f"10.{octet}.{i * 2}.0/23"],
                         "id": sid, "security_group": s.nsg_id}
                        for i, (n, sid) in enumerate(zip(names, s.subnets, strict=True))],
             "tags": tags},
            {"id": s.vnet_id, "name": f"vnet-{service}-{env}", "etag": etag,
             "type": "Microsoft.Network/virtualNetworks", "location": "westeurope", "tags": tags,
             "properties": {
                 "provisioningState": "Succeeded", "resourceGuid": self.guid(),
                 "addressSpace": {"addressPrefixes": [f"10.{octet}.0.0/16"]},
                 "subnets": [
                     {"name": f"snet-{n}", "id": sid, "etag": etag,
                      "type": "Microsoft.Network/virtualNetworks/subnets",
                      "properties": {
                          "provisioningState": "Succeeded",
                          "addressPrefix": f"10.{octet}.{i * 2}.0/23",
                          "networkSecurityGroup": {"id": s.nsg_id},
                          "serviceEndpoints": [{"service": "Microsoft.Storage",
                                                "locations": ["westeurope", "northeurope"],
                                                "provisioningState": "Succeeded"}],
                          "delegations": [{"name": "aca", "id": f"{sid}/delegations/aca",
                                           "properties": {"serviceName": DELEGATED_TO,
                                                          "actions": [JOIN_SUBNET]}}]
                          if n == "apps" else [],
                          "privateEndpointNetworkPolicies": "Disabled",
                          "privateLinkServiceNetworkPolicies": "Enabled"}}
                     for i, (n, sid) in enumerate(zip(names, s.subnets, strict=True))],
                 "virtualNetworkPeerings": [], "enableDdosProtection": False}},
        )  # fmt: skip
        rules = [
            ("AllowHttpsInbound", 100, "Inbound", "Internet", "*", "443"),
            ("AllowVnetInbound", 110, "Inbound", "VirtualNetwork", f"10.{octet}.0.0/16", "*"),
            ("AllowLoadBalancer", 120, "Inbound", "AzureLoadBalancer", "*", "*"),
            ("AllowOffice", 130, "Inbound", "203.0.113.0/24", "*", "22"),
            ("DenyAllInbound", 4096, "Inbound", "*", "*", "*"),
        ]
        self.add(
            "azurerm_network_security_group", "main", service,
            {"id": s.nsg_id, "name": f"nsg-{service}-{env}", "location": "westeurope",
             "resource_group_name": rg, "tags": tags,
             "security_rule": [
                 {"name": n, "priority": p, "direction": d,
                  "access": "Deny" if "Deny" in n else "Allow",
                  "protocol": "Tcp", "source_port_range": "*", "destination_port_range": port,
                  "source_address_prefix": src, "destination_address_prefix": dst,
                  "source_address_prefixes": [], "destination_address_prefixes": [],
                  "source_port_ranges": [], "destination_port_ranges": [], "description": ""}
                 for n, p, d, src, dst, port in rules]},
            {"id": s.nsg_id, "name": f"nsg-{service}-{env}", "etag": etag,
             "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
             "tags": tags,
             "properties": {
                 "provisioningState": "Succeeded", "resourceGuid": self.guid(),
                 "securityRules": [
                     {"name": n, "id": f"{s.nsg_id}/securityRules/{n}", "etag": etag,
                      "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                      "properties": {"provisioningState": "Succeeded", "protocol": "Tcp",
                                     "sourcePortRange": "*", "destinationPortRange": port,
                                     "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                                     "access": "Deny" if "Deny" in n else "Allow",
                                     "priority": p, "direction": d,
                                     "sourcePortRanges": [], "destinationPortRanges": [],
                                     "sourceAddressPrefixes": [],
                                     "destinationAddressPrefixes": []}}
                     for n, p, d, src, dst, port in rules],
                 "subnets": [{"id": sid} for sid in s.subnets]}},
        )  # fmt: skip

    def registry_and_vault(self, s: Stack, prefix: str, tags: dict[str, str]) -> None:
        env, service, rg = self.name, s.service, s.rg
        acr = f"acr{service}{env}"
        s.acr_id = f"{prefix}/Microsoft.ContainerRegistry/registries/{acr}"
        s.login_server = f"{acr}.azurecr.io"
        s.data_endpoint = f"{acr}.westeurope.data.azurecr.io"
        self.add(
            "azurerm_container_registry", "main", service,
            {"id": s.acr_id, "name": acr, "location": "westeurope", "resource_group_name": rg,
             "sku": "Premium", "admin_enabled": False, "admin_username": "",
             "admin_password": "", "login_server": s.login_server,
             "data_endpoint_enabled": True, "data_endpoint_host_names": [s.data_endpoint],
             "public_network_access_enabled": True, "anonymous_pull_enabled": False,
             "network_rule_set": [{"default_action": "Deny", "ip_rule": [
                 {"action": "Allow", "ip_range": "203.0.113.0/24"}]}],
             "georeplications": [{"location": "northeurope", "zone_redundancy_enabled": True,
                                  "regional_endpoint_enabled": True, "tags": {}}],
             "identity": [], "tags": tags},
            {"id": s.acr_id, "name": acr, "type": "Microsoft.ContainerRegistry/registries",
             "location": "westeurope", "tags": tags, "sku": {"name": "Premium", "tier": "Premium"},
             "systemData": {"createdBy": "azure-pipelines@contoso.com", "createdByType": "User",
                            "createdAt": WHEN, "lastModifiedBy": self.guid(),
                            "lastModifiedByType": "Application", "lastModifiedAt": WHEN},
             "properties": {
                 "loginServer": s.login_server, "creationDate": WHEN,
                 "provisioningState": "Succeeded", "adminUserEnabled": False,
                 "dataEndpointEnabled": True, "dataEndpointHostNames": [s.data_endpoint],
                 "networkRuleSet": {"defaultAction": "Deny", "ipRules": [
                     {"action": "Allow", "value": "203.0.113.0/24"}]},
                 "policies": {"quarantinePolicy": {"status": "disabled"},
                              "trustPolicy": {"type": "Notary", "status": "disabled"},
                              "retentionPolicy": {"days": 7, "status": "disabled"},
                              "exportPolicy": {"status": "enabled"}},
                 "encryption": {"status": "disabled"}, "privateEndpointConnections": [],
                 "publicNetworkAccess": "Enabled", "networkRuleBypassOptions": "AzureServices",
                 "zoneRedundancy": "Disabled", "anonymousPullEnabled": False}},
        )  # fmt: skip
        vault = f"kv-{service}-{env}"
        s.vault_id = f"{prefix}/Microsoft.KeyVault/vaults/{vault}"
        s.vault_uri = f"https://{vault}.vault.azure.net/"
        self.add(
            "azurerm_key_vault", "main", service,
            {"id": s.vault_id, "name": vault, "location": "westeurope", "resource_group_name": rg,
             "tenant_id": TENANT, "sku_name": "standard", "vault_uri": s.vault_uri,
             "soft_delete_retention_days": 90, "purge_protection_enabled": env == "prod",
             "enable_rbac_authorization": False,
             "access_policy": [{"tenant_id": TENANT, "object_id": s.principal_id,
                                "application_id": "", "key_permissions": [],
                                "secret_permissions": ["Get", "List"],
                                "certificate_permissions": [], "storage_permissions": []}],
             "network_acls": [{"bypass": "AzureServices", "default_action": "Deny",
                               "ip_rules": ["203.0.113.0/24"],
                               "virtual_network_subnet_ids": [s.subnets[0]]}],
             "tags": tags},
            {"id": s.vault_id, "name": vault, "type": "Microsoft.KeyVault/vaults",
             "location": "westeurope", "tags": tags,
             "properties": {
                 "tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
                 "vaultUri": s.vault_uri, "provisioningState": "Succeeded",
                 "enabledForDeployment": False, "enableSoftDelete": True,
                 "softDeleteRetentionInDays": 90, "enableRbacAuthorization": False,
                 "accessPolicies": [{"tenantId": TENANT, "objectId": s.principal_id,
                                     "permissions": {"keys": [], "secrets": ["get", "list"],
                                                     "certificates": []}}],
                 "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny",
                                 "ipRules": [{"value": "203.0.113.0/24"}],
                                 "virtualNetworkRules": [
                                     {"id": s.subnets[0].lower(),
                                      "ignoreMissingVnetServiceEndpoint": False}]},
                 "publicNetworkAccess": "Enabled"}},
        )  # fmt: skip

    def storage(self, s: Stack, prefix: str, tags: dict[str, str]) -> None:
        env, service, rg = self.name, s.service, s.rg
        account = f"st{service}{env}"[:24]
        s.storage_id = f"{prefix}/Microsoft.Storage/storageAccounts/{account}"
        endpoints = {kind: f"https://{account}.{kind}.core.windows.net/"
                     for kind in ("blob", "queue", "table", "file", "dfs", "web")}  # fmt: skip
        self.add(
            "azurerm_storage_account", "main", service,
            {"id": s.storage_id, "name": account, "location": "westeurope",
             "resource_group_name": rg, "account_kind": "StorageV2", "account_tier": "Standard",
             "account_replication_type": "ZRS", "min_tls_version": "TLS1_2",
             "primary_access_key": FAKE_KEY,
             "primary_connection_string": f"DefaultEndpointsProtocol=https;AccountName={account};"
                                          f"AccountKey={FAKE_KEY};EndpointSuffix=core.windows.net",
             "primary_blob_endpoint": endpoints["blob"],
             "primary_blob_host": f"{account}.blob.core.windows.net",
             "network_rules": [{"default_action": "Deny", "bypass": ["AzureServices"],
                                "ip_rules": ["203.0.113.0/24"],
                                "virtual_network_subnet_ids": list(s.subnets[:2])}],
             "tags": tags},
            {"id": s.storage_id, "name": account, "type": "Microsoft.Storage/storageAccounts",
             "location": "westeurope", "tags": tags, "kind": "StorageV2",
             "sku": {"name": "Standard_ZRS", "tier": "Standard"},
             "properties": {
                 "keyCreationTime": {"key1": WHEN, "key2": WHEN},
                 "privateEndpointConnections": [], "minimumTlsVersion": "TLS1_2",
                 "allowBlobPublicAccess": False, "allowSharedKeyAccess": True,
                 "networkAcls": {
                     "bypass": "AzureServices", "defaultAction": "Deny",
                     "ipRules": [{"value": "203.0.113.0/24", "action": "Allow"}],
                     "virtualNetworkRules": [{"id": sid, "action": "Allow", "state": "Succeeded"}
                                             for sid in s.subnets[:2]]},
                 "supportsHttpsTrafficOnly": True,
                 "encryption": {"services": {"file": {"keyType": "Account", "enabled": True,
                                                      "lastEnabledTime": WHEN},
                                             "blob": {"keyType": "Account", "enabled": True,
                                                      "lastEnabledTime": WHEN}},
                                "keySource": "Microsoft.Storage"},
                 "accessTier": "Hot", "provisioningState": "Succeeded", "creationTime": WHEN,
                 "primaryEndpoints": endpoints, "primaryLocation": "westeurope",
                 "statusOfPrimary": "available"}},
            sensitive=("primary_access_key", "primary_connection_string"),
        )  # fmt: skip

    def database(self, s: Stack, prefix: str, tags: dict[str, str]) -> None:
        env, service, rg = self.name, s.service, s.rg
        server = f"psql-{service}-{env}"
        s.server_id = f"{prefix}/Microsoft.DBforPostgreSQL/flexibleServers/{server}"
        s.pg_fqdn = f"{server}.postgres.database.azure.com"
        self.add(
            "azurerm_postgresql_flexible_server", "main", service,
            {"id": s.server_id, "name": server, "location": "westeurope",
             "resource_group_name": rg, "sku_name": "GP_Standard_D2ds_v5", "version": "16",
             "storage_mb": 131072, "storage_tier": "P10", "auto_grow_enabled": True,
             "backup_retention_days": 35 if env == "prod" else 7,
             "geo_redundant_backup_enabled": env == "prod",
             "public_network_access_enabled": True, "delegated_subnet_id": "",
             "private_dns_zone_id": "", "zone": "1", "administrator_login": "pgadmin",
             "administrator_password": FAKE_PASSWORD, "fqdn": s.pg_fqdn,
             "high_availability": [{"mode": "ZoneRedundant", "standby_availability_zone": "2"}],
             "maintenance_window": [{"day_of_week": 0, "start_hour": 2, "start_minute": 0}],
             "authentication": [{"active_directory_auth_enabled": True,
                                 "password_auth_enabled": True, "tenant_id": TENANT}],
             "tags": tags},
            {"id": s.server_id, "name": server,
             "type": "Microsoft.DBforPostgreSQL/flexibleServers", "location": "West Europe",
             "tags": tags, "sku": {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
             "systemData": {"createdAt": WHEN},
             "properties": {
                 "administratorLogin": "pgadmin", "version": "16", "minorVersion": "4",
                 "state": "Ready", "fullyQualifiedDomainName": s.pg_fqdn,
                 "storage": {"storageSizeGB": 128, "autoGrow": "Enabled", "tier": "P10",
                             "iops": 500},
                 "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Enabled",
                                "tenantId": TENANT},
                 "backup": {"backupRetentionDays": 35 if env == "prod" else 7,
                            "geoRedundantBackup": "Enabled" if env == "prod" else "Disabled",
                            "earliestRestoreDate": WHEN},
                 "network": {"publicNetworkAccess": "Enabled"},
                 "highAvailability": {"mode": "ZoneRedundant", "state": "Healthy",
                                      "standbyAvailabilityZone": "2"},
                 "maintenanceWindow": {"customWindow": "Enabled", "dayOfWeek": 0,
                                       "startHour": 2, "startMinute": 0},
                 "availabilityZone": "1", "replicationRole": "Primary",
                 "replicaCapacity": 5}},
            sensitive=("administrator_password",),
        )  # fmt: skip
        self.firewall_rule(s, "AllowAllAzureServicesAndResourcesWithinAzureIps", ANY_AZURE_IP,
                           ANY_AZURE_IP)  # fmt: skip
        self.firewall_rule(s, "office", "203.0.113.0", "203.0.113.255")
        for db in (service, f"{service}_audit"):
            db_id = f"{s.server_id}/databases/{db}"
            self.add(
                "azurerm_postgresql_flexible_server_database", "main", f"{service}/{db}",
                {"id": db_id, "name": db, "server_id": s.server_id, "charset": "UTF8",
                 "collation": "en_US.utf8"},
                {"id": db_id, "name": db,
                 "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
                 "properties": {"charset": "UTF8", "collation": "en_US.utf8"}},
            )  # fmt: skip
        for builtin in ("postgres", "azure_maintenance", "azure_sys"):
            self.docs.bodies[f"{s.server_id}/databases/{builtin}".lower()] = {
                "id": f"{s.server_id}/databases/{builtin}", "name": builtin,
                "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
                "properties": {"charset": "UTF8", "collation": "en_US.utf8"}}  # fmt: skip

    def firewall_rule(
        self, s: Stack, name: str, start: str, end: str, managed: bool = True
    ) -> Resource:
        rule_id = f"{s.server_id}/firewallRules/{name}"
        body = {"id": rule_id, "name": name,
                "type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
                "properties": {"startIpAddress": start, "endIpAddress": end}}  # fmt: skip
        attributes = {"id": rule_id, "name": name, "server_id": s.server_id,
                      "start_ip_address": start, "end_ip_address": end}  # fmt: skip
        return self.add(
            "azurerm_postgresql_flexible_server_firewall_rule", "rules", f"{s.service}/{name}",
            attributes if managed else None, body,
        )  # fmt: skip

    def container_apps(self, s: Stack, prefix: str, tags: dict[str, str]) -> None:
        env, service, rg = self.name, s.service, s.rg
        s.cae_id = f"{prefix}/Microsoft.App/managedEnvironments/cae-{service}-{env}"
        word = self.rng.choice(("nicebeach", "happysand", "calmriver", "bluestone", "wittyhill"))
        s.default_domain = f"{word}-{self.rng.getrandbits(32):08x}.westeurope.azurecontainerapps.io"
        s.static_ip = self.public_ip()
        s.outbound = (self.public_ip(), self.public_ip())
        if len(self.docs.stacks) == 1:  # one stack's apps also leave by IPv6
            s.outbound += (f"2603:1020:{PUBLIC_POOLS[env].split('.')[0]}:10::1f4",)
        self.add(
            "azurerm_container_app_environment", "main", service,
            {"id": s.cae_id, "name": f"cae-{service}-{env}", "location": "westeurope",
             "resource_group_name": rg, "log_analytics_workspace_id": s.workspace_id,
             "infrastructure_subnet_id": s.subnets[0], "internal_load_balancer_enabled": False,
             "zone_redundancy_enabled": True, "default_domain": s.default_domain,
             "static_ip_address": s.static_ip, "docker_bridge_cidr": "",
             "platform_reserved_cidr": "", "platform_reserved_dns_ip_address": "",
             "workload_profile": [{"name": "Consumption", "workload_profile_type": "Consumption",
                                   "minimum_count": 0, "maximum_count": 0}],
             "tags": tags},
            {"id": s.cae_id, "name": f"cae-{service}-{env}",
             "type": "Microsoft.App/managedEnvironments", "location": "West Europe", "tags": tags,
             "properties": {
                 "provisioningState": "Succeeded", "defaultDomain": s.default_domain,
                 "staticIp": s.static_ip, "zoneRedundant": True,
                 "deploymentErrors": None, "eventStreamEndpoint":
                     f"https://westeurope.azurecontainerapps.dev/subscriptions/{SUBSCRIPTION}"
                     f"/resourceGroups/{rg}/managedEnvironments/cae-{service}-{env}/eventstream",
                 "vnetConfiguration": {"internal": False,
                                       "infrastructureSubnetId": s.subnets[0]},
                 "appLogsConfiguration": {"destination": "log-analytics",
                                          "logAnalyticsConfiguration": {
                                              "customerId": s.customer_id}},
                 "workloadProfiles": [{"workloadProfileType": "Consumption",
                                       "name": "Consumption"}],
                 "peerAuthentication": {"mtls": {"enabled": False}},
                 "infrastructureResourceGroup": f"ME_cae-{service}-{env}_{rg}_westeurope"}},
        )  # fmt: skip
        ids, fqdns = [], []
        for app in APPS:
            name = f"ca-{service}-{app}-{env}"
            ids.append(f"{prefix}/Microsoft.App/containerApps/{name}")
            fqdns.append(f"{name}.{s.default_domain}")
        s.app_ids, s.app_fqdns = tuple(ids), tuple(fqdns)
        for app in APPS:
            self.container_app(s, app, tags)

    def app_settings(self, s: Stack, app: str) -> list[tuple[str, str, str]]:
        """(name, value, secret name) of one app's environment variables."""
        env = self.name
        upstream = s.app_fqdns[(APPS.index(app) + 1) % len(APPS)]
        return [
            ("ASPNETCORE_ENVIRONMENT", "Production" if env == "prod" else "Staging", ""),
            ("APP_VERSION", f"{self.rng.randint(1, 4)}.{self.rng.randint(0, 30)}.3.4.5", ""),
            ("REGION", "westeurope", ""),
            ("AZURE_TENANT_ID", TENANT, ""),
            ("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION, ""),
            ("AZURE_CLIENT_ID", s.client_id, ""),
            ("DATABASE_HOST", s.pg_fqdn, ""),
            ("DATABASE_NAME", s.service, ""),
            ("DATABASE_URL", "", "database-url"),
            ("KEYVAULT_URI", s.vault_uri, ""),
            ("STORAGE_BLOB_URL", f"https://st{s.service}{env}.blob.core.windows.net/exports", ""),
            ("REDIS_HOST", f"redis-{s.service}-{env}.redis.cache.windows.net:6380", ""),
            ("UPSTREAM_URL", f"https://{upstream}/api/v2", ""),
            ("ALLOWED_HOSTS", f"localhost,127.0.0.1,.contoso.com,{s.app_fqdns[0]}", ""),
            ("LOG_ANALYTICS_WORKSPACE_ID", s.customer_id, ""),
            ("APPLICATIONINSIGHTS_CONNECTION_STRING",
             f"InstrumentationKey={self.guid()};IngestionEndpoint=https://westeurope-5.in."
             "applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics."
             f"monitor.azure.com/;ApplicationId={self.guid()}", ""),
            ("OIDC_ISSUER", f"https://login.microsoftonline.com/{TENANT}/v2.0", ""),
            ("FEATURE_FLAGS", "checkout-v2=on;search-beta=off", ""),
            ("VNET_RANGE", "10.0.0.0/8", ""),
            ("SERVICE_BUS", "", "service-bus"),
            ("PUBLIC_JWKS_SAMPLE", JWT, ""),
            ("GREETING", "Grüße aus Köln – café ☕", ""),
        ]  # fmt: skip

    def container_app(self, s: Stack, app: str, tags: dict[str, str]) -> Resource:
        env = self.name
        name = f"ca-{s.service}-{app}-{env}"
        app_id, fqdn = s.app_ids[APPS.index(app)], s.app_fqdns[APPS.index(app)]
        revision = f"{name}--{self.rng.getrandbits(24):06x}"
        image = f"{s.login_server}/{s.service}-{app}:{self.rng.getrandbits(28):07x}"
        port = 8080 if app != "web" else 80
        settings = self.app_settings(s, app)
        secrets = [
            ("database-url", f"postgresql://{s.service}:{FAKE_PASSWORD}@{s.pg_fqdn}:5432/"
                             f"{s.service}?sslmode=require"),
            ("service-bus", f"Endpoint=sb://sb-{s.service}-{env}.servicebus.windows.net/;"
                            f"SharedAccessKeyName=send;SharedAccessKey={FAKE_KEY}"),
        ]  # fmt: skip
        restrictions = [("office", "203.0.113.0/24", "Contoso office"),
                        ("vnet", "10.0.0.0/8", "Private traffic")]  # fmt: skip
        system_principal = self.guid()
        identity_key = s.identity_id.replace("/resourceGroups/", "/resourcegroups/")
        attributes = {
            "id": app_id, "name": name, "location": "westeurope", "resource_group_name": s.rg,
            "container_app_environment_id": s.cae_id, "revision_mode": "Single",
            "workload_profile_name": "Consumption", "max_inactive_revisions": 10,
            "ingress": [{"external_enabled": app != "worker", "target_port": port,
                         "exposed_port": 0, "transport": "auto",
                         "allow_insecure_connections": False, "fqdn": fqdn,
                         "client_certificate_mode": "ignore",
                         "custom_domain": [],
                         "ip_security_restriction": [
                             {"name": n, "ip_address_range": r, "action": "Allow",
                              "description": d} for n, r, d in restrictions],
                         "traffic_weight": [{"latest_revision": True, "percentage": 100,
                                             "label": "", "revision_suffix": ""}]}],
            "registry": [{"server": s.login_server, "identity": s.identity_id,
                          "username": "", "password_secret_name": ""}],
            "secret": [{"name": n, "value": v, "identity": "", "key_vault_secret_id": ""}
                       for n, v in secrets],
            "dapr": [{"app_id": name, "app_port": port, "app_protocol": "http"}],
            "template": [{
                "min_replicas": 1, "max_replicas": 10, "revision_suffix": "",
                "termination_grace_period_seconds": 30,
                "init_container": [{"name": "migrate", "image": f"{s.login_server}/migrate:1.4.2",
                                    "command": ["/bin/sh"], "args": ["-c", "alembic upgrade head"],
                                    "cpu": 0.25, "memory": "0.5Gi", "env": []}],
                "container": [{
                    "name": app, "image": image, "cpu": 0.5, "memory": "1Gi",
                    "ephemeral_storage": "2Gi", "command": [], "args": [],
                    "env": [{"name": k, "secret_name": ref, "value": v}
                            for k, v, ref in settings],
                    "liveness_probe": [{"transport": "HTTP", "port": port, "path": "/healthz",
                                        "initial_delay": 3, "interval_seconds": 10,
                                        "failure_count_threshold": 3, "host": "",
                                        "header": [{"name": "X-Probe", "value": "liveness"}]}],
                    "startup_probe": [{"transport": "TCP", "port": port, "initial_delay": 1,
                                       "interval_seconds": 5, "failure_count_threshold": 30}],
                    "volume_mounts": [{"name": "files", "path": "/mnt/files", "sub_path": ""}]}],
                "http_scale_rule": [{"name": "http", "concurrent_requests": "50",
                                     "authentication": []}],
                "volume": [{"name": "files", "storage_type": "AzureFile",
                            "storage_name": "files", "mount_options": ""}],
            }],
            "identity": [{"type": "SystemAssigned, UserAssigned",
                          "identity_ids": [s.identity_id], "principal_id": system_principal,
                          "tenant_id": TENANT}],
            "outbound_ip_addresses": list(s.outbound),
            "latest_revision_name": revision,
            "latest_revision_fqdn": f"{revision}.{s.default_domain}",
            "custom_domain_verification_id": f"{self.rng.getrandbits(256):064X}",
            "tags": tags,
        }  # fmt: skip
        body = {
            "id": app_id, "name": name, "type": "Microsoft.App/containerApps",
            "location": "West Europe", "tags": tags,
            "systemData": {"createdBy": "azure-pipelines@contoso.com", "createdByType": "User",
                           "createdAt": WHEN, "lastModifiedBy": self.guid(),
                           "lastModifiedByType": "Application", "lastModifiedAt": WHEN},
            "identity": {"type": "SystemAssigned,UserAssigned", "principalId": system_principal,
                         "tenantId": TENANT, "userAssignedIdentities": {
                             identity_key: {"principalId": s.principal_id,
                                            "clientId": s.client_id}}},
            "properties": {
                "provisioningState": "Succeeded", "runningStatus": "Running",
                "managedEnvironmentId": s.cae_id, "environmentId": s.cae_id,
                "workloadProfileName": "Consumption", "outboundIpAddresses": list(s.outbound),
                "latestRevisionName": revision, "latestReadyRevisionName": revision,
                "latestRevisionFqdn": f"{revision}.{s.default_domain}",
                "customDomainVerificationId": attributes["custom_domain_verification_id"],
                "eventStreamEndpoint":
                    f"https://westeurope.azurecontainerapps.dev/subscriptions/{SUBSCRIPTION}"
                    f"/resourceGroups/{s.rg}/containerApps/{name}/eventstream",
                "configuration": {
                    "secrets": [{"name": n} for n, _ in secrets],
                    "activeRevisionsMode": "Single", "maxInactiveRevisions": 10,
                    "ingress": {
                        "fqdn": fqdn, "external": app != "worker", "targetPort": port,
                        "exposedPort": 0, "transport": "Auto", "allowInsecure": False,
                        "traffic": [{"weight": 100, "latestRevision": True}],
                        "customDomains": None, "clientCertificateMode": "Ignore",
                        "stickySessions": {"affinity": "none"},
                        "ipSecurityRestrictions": [
                            {"name": n, "description": d, "ipAddressRange": r, "action": "Allow"}
                            for n, r, d in restrictions],
                        "corsPolicy": {"allowedOrigins": ["https://www.contoso.com",
                                                          f"https://{s.app_fqdns[2]}"],
                                       "allowedMethods": ["GET", "POST", "PUT"],
                                       "allowedHeaders": ["*"], "exposeHeaders": [],
                                       "maxAge": 3600, "allowCredentials": True}},
                    "registries": [{"server": s.login_server, "identity": s.identity_id}],
                    "dapr": {"enabled": True, "appId": name, "appProtocol": "http",
                             "appPort": port, "httpReadBufferSize": 30,
                             "httpMaxRequestSize": 10, "logLevel": "info",
                             "enableApiLogging": True},
                    "service": None},
                "template": {
                    "revisionSuffix": "", "terminationGracePeriodSeconds": 30,
                    "initContainers": [{"image": f"{s.login_server}/migrate:1.4.2",
                                        "name": "migrate", "command": ["/bin/sh"],
                                        "args": ["-c", "alembic upgrade head"],
                                        "resources": {"cpu": 0.25, "memory": "0.5Gi",
                                                      "ephemeralStorage": "1Gi"}}],
                    "containers": [{
                        "image": image, "name": app,
                        "env": [{"name": k, "secretRef": ref} if ref else
                                {"name": k, "value": v} for k, v, ref in settings],
                        "resources": {"cpu": 0.5, "memory": "1Gi", "ephemeralStorage": "2Gi"},
                        "probes": [
                            {"type": "Liveness",
                             "httpGet": {"path": "/healthz", "port": port,
                                         "httpHeaders": [{"name": "X-Probe",
                                                          "value": "liveness"}]},
                             "initialDelaySeconds": 3, "periodSeconds": 10,
                             "failureThreshold": 3},
                            {"type": "Startup", "tcpSocket": {"port": port},
                             "initialDelaySeconds": 1, "periodSeconds": 5,
                             "failureThreshold": 30}],
                        "volumeMounts": [{"volumeName": "files", "mountPath": "/mnt/files"}]}],
                    "scale": {"minReplicas": 1, "maxReplicas": 10, "rules": [
                        {"name": "http", "http": {"metadata": {"concurrentRequests": "50"}}}]},
                    "volumes": [{"name": "files", "storageType": "AzureFile",
                                 "storageName": "files"}]}}}  # fmt: skip
        return self.add(
            "azurerm_container_app",
            app,
            s.service,
            attributes,
            body,
            sensitive=("secret", "custom_domain_verification_id"),
        )

    def role_assignment(self, s: Stack, role: str, scope: str, key: str = "") -> Resource:
        name = self.guid()
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        definition = (
            f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{ROLE_DEFINITIONS[role]}"
        )
        block = role.lower().replace(" ", "_")
        return self.add(
            "azurerm_role_assignment", block, key or s.service,
            {"id": assignment_id, "name": name, "scope": scope,
             "role_definition_name": role, "role_definition_id": definition,
             "principal_id": s.principal_id, "principal_type": "ServicePrincipal",
             "condition": "", "condition_version": "", "description": "",
             "skip_service_principal_aad_check": False},
            {"id": assignment_id, "name": name,
             "type": "Microsoft.Authorization/roleAssignments",
             "properties": {"roleDefinitionId": definition, "principalId": s.principal_id,
                            "principalType": "ServicePrincipal", "scope": scope,
                            "createdOn": WHEN, "updatedOn": WHEN,
                            "createdBy": self.guid(), "updatedBy": self.guid()}},
        )  # fmt: skip


def _environment(name: str, size: int, rng: random.Random) -> tuple[_Builder, EnvironmentDocs]:
    builder = _Builder(name, rng)
    stacks = max(1, round(size / (STACK_SIZE + 1 / STACKS_PER_GROUP)))
    for i in range(stacks):
        service = f"{SERVICES[i % len(SERVICES)]}{i // len(SERVICES):02d}"
        group = i // STACKS_PER_GROUP
        rg = f"rg-{SERVICES[group % len(SERVICES)]}{group:02d}-{name}"
        stack = Stack(name, service, rg)
        if i % STACKS_PER_GROUP == 0:
            builder.resource_group(rg, stack)
        builder.docs.stacks.append(builder.stack(service, rg))
    return builder, builder.docs


# -- what one environment does wrong ------------------------------------------------------


def _app(docs: EnvironmentDocs, stack: Stack, app: str) -> Resource:
    return docs.resources[f'azurerm_container_app.{app}["{stack.service}"]']


def _env_list(resource: Resource) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assert resource.attributes is not None and resource.body is not None
    state = resource.attributes["template"][0]["container"][0]["env"]
    arm = resource.body["properties"]["template"]["containers"][0]["env"]
    return state, arm


def _set_env(
    resource: Resource, name: str, value: str, state: bool = True, arm: bool = True
) -> None:
    state_env, arm_env = _env_list(resource)
    if state:
        state_env.append({"name": name, "secret_name": "", "value": value})
    if arm:
        arm_env.append({"name": name, "value": value})


def _own_tags(resource: Resource, **changes: str) -> None:
    """Give one resource its own tags dict (stacks share one), with `changes` applied."""
    if resource.attributes is not None:
        resource.attributes["tags"] = {**resource.attributes["tags"], **changes}
    if resource.body is not None:
        resource.body["tags"] = {**resource.body["tags"], **changes}


class _Planter:
    """Plants leaks from `target` into `other`, and near misses, on random stacks."""

    def __init__(self, builder: _Builder, other: EnvironmentDocs, rng: random.Random) -> None:
        self.builder, self.docs, self.other, self.rng = builder, builder.docs, other, rng

    def unique(self, stack: Stack, name: str = "") -> str:
        """A name no other planted resource of this environment uses."""
        self.builder.planted += 1
        return f"{name or stack.service}-{self.builder.planted}"

    def pick(self) -> tuple[Stack, Stack]:
        """A stack of the target and one of the other environment (never the first, the
        platform everyone may use), at random."""
        return self.rng.choice(self.docs.stacks[1:]), self.rng.choice(self.other.stacks[1:])

    def leaks(self) -> None:
        """References into the other environment, of every kind the analyser reports."""
        self._hosts()
        self._ids_and_guids()
        self._ips()
        self._states_and_tags()

    def _hosts(self) -> None:
        # an app's exact FQDN, a host under a default domain, a registry's data endpoint
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "web"), "API_URL", f"https://{theirs.app_fqdns[0]}/api")
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "api"), "ADMIN_URL", f"https://admin.{theirs.default_domain}",
                 arm=False)  # fmt: skip
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "worker"),
            "MIRROR",
            f"{theirs.data_endpoint}/v2/{theirs.service}/manifests/latest",
        )
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "api"), "DB_FALLBACK", f"{theirs.pg_fqdn.upper()}.", state=False
        )  # upper case, trailing dot
        # secrets pointing at the other environment's database: masked when shown
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "api")
        assert app.attributes is not None
        app.attributes["secret"][0]["value"] = (
            f"postgresql://{mine.service}:{FAKE_PASSWORD}@{theirs.pg_fqdn}:5432/x?sslmode=require"
        )
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "worker"), "REPORTING_DB",
                 f"Server=tcp:{theirs.pg_fqdn},5432;Database=reports;User Id=reader;"
                 f"Password={FAKE_PASSWORD};Ssl Mode=Require;")  # fmt: skip
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "web"),
            "WEBHOOK",
            f"https://{theirs.app_fqdns[1]}/hooks/{FAKE_KEY}?sig={FAKE_KEY}&api-version=2",
        )
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "api"), "CACHE_AUTH", f"{FAKE_KEY}@{theirs.login_server}")
        # Key Vault secret reference (an address, shown whole) and a secret-named variable
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "worker")
        assert app.attributes is not None
        app.attributes["secret"][1].update(
            value="",
            key_vault_secret_id=f"{theirs.vault_uri}secrets/service-bus",
            identity=mine.identity_id,
        )
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "web"),
            "PARTNER_API_TOKEN",
            f"https://{FAKE_KEY}@{theirs.app_fqdns[0]}/",
        )
        # strings that JSON escapes: backslashes, newlines, quotes
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "worker"), "SHARE", f"\\\\{theirs.pg_fqdn}\\backups")
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "web"), "NGINX_CONF",
                 f"server {{\n  listen 80;\n  location /api {{\n    proxy_pass "
                 f"https://{theirs.app_fqdns[0]};\n  }}\n}}\n")  # fmt: skip
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "api"),
            "DOWNSTREAM_JSON",
            json.dumps({"endpoint": f"https://{theirs.app_fqdns[2]}", "timeout": 5}),
        )
        # images and registries
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "api")
        assert app.attributes is not None and app.body is not None
        image = f"{theirs.login_server}/{theirs.service}-api:hotfix"
        app.attributes["template"][0]["container"][0]["image"] = image
        app.body["properties"]["template"]["containers"][0]["image"] = image
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "worker")
        assert app.body is not None
        app.body["properties"]["configuration"]["registries"][0]["server"] = theirs.login_server

    def _ids_and_guids(self) -> None:
        # IDs: exact, under a resource, as a map key, in free text, in a hidden-link tag
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "web")
        assert app.attributes is not None and app.body is not None
        app.attributes["container_app_environment_id"] = theirs.cae_id
        app.body["properties"]["managedEnvironmentId"] = theirs.cae_id.lower()
        app.body["properties"]["environmentId"] = theirs.cae_id.lower()
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "api")
        assert app.attributes is not None and app.body is not None
        app.attributes["identity"][0]["identity_ids"].append(theirs.identity_id)
        app.body["identity"]["userAssignedIdentities"][theirs.identity_id.lower()] = {
            "principalId": theirs.principal_id,
            "clientId": theirs.client_id,
        }
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "worker")
        assert app.body is not None
        app.body["identity"]["userAssignedIdentities"] = {theirs.identity_id: {}}
        mine, theirs = self.pick()
        storage = self.docs.resources[f'azurerm_storage_account.main["{mine.service}"]']
        assert storage.attributes is not None and storage.body is not None
        storage.attributes["network_rules"][0]["virtual_network_subnet_ids"].append(
            theirs.subnets[2]
        )
        storage.body["properties"]["networkAcls"]["virtualNetworkRules"].append(
            {"id": theirs.subnets[2], "action": "Allow", "state": "Succeeded"}
        )
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "worker"),
            "EXPORT_ACCOUNT",
            f"{rg_id(theirs.rg)}/providers/Microsoft.Storage/storageAccounts/stexports01",
        )
        mine, theirs = self.pick()
        _set_env(
            _app(self.docs, mine, "api"),
            "RUNBOOK",
            f"restore from {theirs.vault_id}; then ping ops",
            state=False,
        )
        mine, theirs = self.pick()
        vault = self.docs.resources[f'azurerm_key_vault.main["{mine.service}"]']
        _own_tags(vault, **{f"hidden-link:{theirs.app_ids[0]}": "Resource"})
        mine, theirs = self.pick()
        cae = self.docs.resources[f'azurerm_container_app_environment.main["{mine.service}"]']
        assert cae.attributes is not None and cae.body is not None
        cae.attributes["log_analytics_workspace_id"] = theirs.workspace_id
        cae.body["properties"]["appLogsConfiguration"]["logAnalyticsConfiguration"][
            "customerId"
        ] = theirs.customer_id
        mine, theirs = self.pick()
        cae = self.docs.resources[f'azurerm_container_app_environment.main["{mine.service}"]']
        assert cae.body is not None
        cae.body["properties"]["appLogsConfiguration"]["logAnalyticsConfiguration"][
            "customerId"
        ] = theirs.customer_id
        # role assignments: the other environment's scope, principal
        mine, theirs = self.pick()
        self.builder.role_assignment(mine, "AcrPull", theirs.acr_id, self.unique(mine))
        mine, theirs = self.pick()
        grant = self.docs.resources[f'azurerm_role_assignment.acrpull["{mine.service}"]']
        assert grant.attributes is not None and grant.body is not None
        grant.attributes["principal_id"] = theirs.principal_id
        grant.body["properties"]["principalId"] = theirs.principal_id
        mine, theirs = self.pick()
        _set_env(_app(self.docs, mine, "api"), "AZURE_CLIENT_ID_PARTNER", theirs.client_id)

    def _ips(self) -> None:
        # firewall ranges in the state and by hand, networks, NSG prefixes, ACLs
        other_name = self.other.name
        mine, theirs = self.pick()
        low = ipaddress.IPv4Address(theirs.outbound[0])
        self.builder.firewall_rule(
            mine, self.unique(mine, f"from-{other_name}-apps"), str(low - 2), str(low + 10)
        )
        mine, theirs = self.pick()
        self.builder.firewall_rule(
            mine, self.unique(mine, "copy-data"), theirs.static_ip, theirs.static_ip, managed=False
        )
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "web")
        assert app.attributes is not None and app.body is not None
        rule = {
            "name": "partner",
            "ip_address_range": f"{theirs.outbound[1]}/32",
            "action": "Allow",
            "description": "partner apps",
        }
        app.attributes["ingress"][0]["ip_security_restriction"].append(rule)
        app.body["properties"]["configuration"]["ingress"]["ipSecurityRestrictions"].append(
            {
                "name": "partner",
                "description": "partner apps",
                "ipAddressRange": f"{theirs.outbound[1]}/32",
                "action": "Allow",
            }
        )
        mine, theirs = self.pick()
        nsg = self.docs.resources[f'azurerm_network_security_group.main["{mine.service}"]']
        assert nsg.attributes is not None and nsg.body is not None
        nsg.attributes["security_rule"][3]["source_address_prefixes"] = list(theirs.outbound)
        nsg.body["properties"]["securityRules"][3]["properties"]["sourceAddressPrefix"] = (
            theirs.static_ip
        )
        mine, dual = self.pick()[0], self.other.stacks[1]
        nsg = self.docs.resources[f'azurerm_network_security_group.main["{mine.service}"]']
        assert nsg.body is not None
        nsg.body["properties"]["securityRules"][1]["properties"]["sourceAddressPrefix"] = (
            dual.outbound[2].upper()
        )
        _set_env(
            _app(self.docs, mine, "api"), "EGRESS_V6", f" {dual.outbound[2]}%eth0 ", state=False
        )
        _set_env(_app(self.docs, mine, "web"), "NEIGHBOUR_V6", dual.outbound[2][:-1] + "5")
        mine, theirs = self.pick()
        vault = self.docs.resources[f'azurerm_key_vault.main["{mine.service}"]']
        assert vault.body is not None
        vault.body["properties"]["networkAcls"]["ipRules"].append(
            {"value": f"{ipaddress.IPv4Address(theirs.static_ip)}/30"}
        )

    def _states_and_tags(self) -> None:
        # a resource in two states, and one inside the other environment's resource group
        other_name = self.other.name
        mine, theirs = self.pick()
        registry = self.docs.resources[f'azurerm_container_registry.main["{mine.service}"]']
        assert registry.attributes is not None
        registry.attributes["id"] = theirs.acr_id
        mine, theirs = self.pick()
        rule = self.docs.resources[
            f'azurerm_postgresql_flexible_server_firewall_rule.rules["{mine.service}/office"]'
        ]
        assert rule.attributes is not None
        rule.attributes["id"] = (
            f"{rg_id(theirs.rg)}/providers/Microsoft.Network/networkSecurityGroups/nsg-moved"
        )
        # tags naming the other environment, no environment, or this one in another case
        for value in (other_name, "staging-2", self.docs.name.title()):
            mine, _ = self.pick()
            _own_tags(self.docs.resources[f'azurerm_storage_account.main["{mine.service}"]'],
                      environment=value)  # fmt: skip
        mine, _ = self.pick()
        workspace = self.docs.resources[f'azurerm_log_analytics_workspace.main["{mine.service}"]']
        assert workspace.body is not None
        workspace.body["tags"] = {**workspace.body["tags"], "env": other_name}

    def near_misses(self) -> None:
        """Values that look like the other environment's but are not references."""
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "api")
        far = ipaddress.IPv4Address(theirs.outbound[1]) + 1
        while str(far) in {*theirs.outbound, theirs.static_ip}:
            far += 1
        for name, value in [
            ("PARTNER_DB_NAME", f"psql-{theirs.service}-{theirs.env}"),
            ("PARTNER_ACR", f"acr{theirs.service}{theirs.env}"),
            ("PARTNER_STAGE", theirs.env),
            ("PARTNER_SUBSCRIPTION", f"/subscriptions/{SUBSCRIPTION}"),
            ("PARTNER_LOOKALIKE", f"https://psql-{theirs.service}-{theirs.env}.example.com"),
            ("PARTNER_SIBLING", f"psql-{theirs.service}-{theirs.env}2.postgres.database.azure.com"),
            ("PARTNER_NEIGHBOUR_IP", str(far)),
            ("PARTNER_VERSION", f"{theirs.outbound[0]}.7"),
            ("PARTNER_PREFIXED", f"v{theirs.outbound[0]}"),
            ("PARTNER_GUID_WORD", f"x{theirs.principal_id}"),
            ("PARTNER_GUID_SUFFIX", f"{theirs.client_id}-old"),
            ("PARTNER_LONG_HOST", "a." * 130 + theirs.default_domain),
            ("PARTNER_IPV6", "2001:db8::20:23"),
            ("PARTNER_BASE64", "QUJD" * 200 + "." + "RUZH" * 50 + ".c2ln"),
        ]:
            _set_env(app, name, value)
        mine, _ = self.pick()
        self.builder.firewall_rule(
            mine, self.unique(mine, "everyone"), ANY_AZURE_IP, "255.255.255.255"
        )
        mine, theirs = self.pick()
        self.builder.firewall_rule(mine, self.unique(mine, "wide"), "16.0.0.0", "63.255.255.255")

    def shared(self, shared: Stack) -> None:
        """References to the deliberately shared stack: none is reported."""
        mine, _ = self.pick()
        _set_env(_app(self.docs, mine, "web"), "BASE_IMAGE_REGISTRY", shared.login_server)
        mine, _ = self.pick()
        app = _app(self.docs, mine, "api")
        assert app.attributes is not None and app.body is not None
        image = f"{shared.login_server}/platform/base:2026.10"
        app.attributes["template"][0]["container"][0]["image"] = image
        app.body["properties"]["template"]["containers"][0]["image"] = image
        mine, _ = self.pick()
        cae = self.docs.resources[f'azurerm_container_app_environment.main["{mine.service}"]']
        assert cae.attributes is not None
        cae.attributes["log_analytics_workspace_id"] = shared.workspace_id
        mine, _ = self.pick()
        _set_env(
            _app(self.docs, mine, "worker"),
            "PLATFORM_SECRETS",
            f"{shared.vault_uri}secrets/platform-token",
        )
        self.builder.role_assignment(mine, "AcrPull", shared.acr_id, self.unique(mine))

    def plan(self) -> None:
        """The target's plan: updates and creates that reach into the other environment."""
        changes = []
        for i, (address, resource) in enumerate(self.docs.resources.items()):
            if resource.attributes is None or i % 7:
                continue
            changes.append(_change(address, ["no-op"], resource.attributes, resource.attributes))
        mine, theirs = self.pick()
        app = _app(self.docs, mine, "web")
        assert app.attributes is not None
        after = json.loads(json.dumps(app.attributes))
        after["template"][0]["container"][0]["image"] = f"{theirs.login_server}/web:rc1"
        changes.append(_change(app.address, ["update"], app.attributes, after))
        low = theirs.outbound[0]
        rule = {"name": "plan-rule", "server_id": mine.server_id, "start_ip_address": low,
                "end_ip_address": low, "id": None}  # fmt: skip
        changes.append(_change(
            f'azurerm_postgresql_flexible_server_firewall_rule.rules["{mine.service}/plan"]',
            ["create"], None, rule))  # fmt: skip
        self.docs.plan = {
            "format_version": "1.2", "terraform_version": "1.9.8",
            "resource_changes": changes, "applyable": True, "complete": True, "errored": False,
        }  # fmt: skip


def _change(
    address: str, actions: list[str], before: dict[str, Any] | None, after: dict[str, Any]
) -> dict[str, Any]:
    tf_type, rest = address.split(".", 1)
    return {
        "address": address, "mode": "managed", "type": tf_type,
        "name": rest.split("[", 1)[0], "provider_name": "registry.terraform.io/hashicorp/azurerm",
        "change": {"actions": actions, "before": before, "after": after,
                   "after_unknown": {"id": True} if before is None else {},
                   "before_sensitive": {} if before is not None else False,
                   "after_sensitive": {"secret": True}},
    }  # fmt: skip


def build_world(size: int, seed: int = 15) -> World:
    """`prod` and `test` with about `size` state resources each, and a small `staging`."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible world, not a secret
    prod_builder, prod = _environment("prod", size, rng)
    test_builder, test = _environment("test", size, rng)
    staging_builder, staging = _environment("staging", max(3 * STACK_SIZE, size // 10), rng)
    staging.state_key = test.state_key  # copied from test's backend block by mistake
    staging.with_live = False
    # prod's first stack is the platform everyone may use: registry, workspace, vault
    platform = prod.stacks[0]
    shared = (platform.login_server, platform.workspace_id.upper(), f"kv-{platform.service}-prod")
    for builder, other in ((test_builder, prod), (prod_builder, test), (staging_builder, prod),
                           (staging_builder, test)):  # fmt: skip
        planter = _Planter(builder, other, rng)
        planter.leaks()
        planter.near_misses()
        if builder is not prod_builder:
            planter.shared(platform)
    _Planter(test_builder, prod, rng).plan()
    for builder in (prod_builder, test_builder, staging_builder):
        builder.finish()
    return World({"prod": prod, "test": test, "staging": staging}, shared)
