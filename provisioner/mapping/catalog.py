"""One mapping table per azurerm resource type azprov reads.

Adding an attribute is one line in its table; adding a type is one `TypeSpec` here plus
one reader in `provisioner.live`. Paths on the left are azurerm's (blocks are lists, so
`template.0.container`), on the right ARM's (`properties.template.containers`).
"""

from __future__ import annotations

from provisioner.mapping import convert as c
from provisioner.mapping.spec import Attr, Each, MapOf, TypeSpec
from provisioner.model import Severity

HIGH, LOW = Severity.HIGH, Severity.LOW

LOCATION = Attr("location", "location", "location", canon=c.location, severity=HIGH)
TAGS = MapOf("tags", "tags", "tags")

RESOURCE_GROUP = TypeSpec(
    tf_type="azurerm_resource_group",
    arm_type="Microsoft.Resources/resourceGroups",
    attributes=(LOCATION, TAGS),
)

CONTAINER_REGISTRY = TypeSpec(
    tf_type="azurerm_container_registry",
    arm_type="Microsoft.ContainerRegistry/registries",
    attributes=(
        LOCATION,
        Attr("sku", "sku", "sku.tier", canon=c.caseless),
        Attr("admin_enabled", "admin_enabled", "properties.adminUserEnabled", severity=HIGH),
        Attr(
            "public_network_access_enabled",
            "public_network_access_enabled",
            "properties.publicNetworkAccess",
            convert=c.enabled,
            severity=HIGH,
        ),
        Attr("anonymous_pull_enabled", "anonymous_pull_enabled", "properties.anonymousPullEnabled"),
        Attr(
            "zone_redundancy_enabled",
            "zone_redundancy_enabled",
            "properties.zoneRedundancy",
            convert=c.enabled,
        ),
        Attr("login_server", "login_server", "properties.loginServer", compare=False),
        TAGS,
    ),
)

POSTGRESQL_FLEXIBLE_SERVER = TypeSpec(
    tf_type="azurerm_postgresql_flexible_server",
    arm_type="Microsoft.DBforPostgreSQL/flexibleServers",
    attributes=(
        LOCATION,
        Attr("sku_name", "sku_name", "sku", convert=c.pg_sku_name, severity=HIGH),
        Attr("version", "version", "properties.version", canon=str),
        Attr("storage_mb", "storage_mb", "properties.storage.storageSizeGB", convert=c.gb_to_mb),
        Attr("storage_tier", "storage_tier", "properties.storage.tier"),
        Attr(
            "auto_grow_enabled",
            "auto_grow_enabled",
            "properties.storage.autoGrow",
            convert=c.enabled,
        ),
        Attr(
            "backup_retention_days",
            "backup_retention_days",
            "properties.backup.backupRetentionDays",
            severity=HIGH,
        ),
        Attr(
            "geo_redundant_backup_enabled",
            "geo_redundant_backup_enabled",
            "properties.backup.geoRedundantBackup",
            convert=c.enabled,
            severity=HIGH,
        ),
        Attr(
            "public_network_access_enabled",
            "public_network_access_enabled",
            "properties.network.publicNetworkAccess",
            convert=c.enabled,
            severity=HIGH,
        ),
        Attr(
            "delegated_subnet_id",
            "delegated_subnet_id",
            "properties.network.delegatedSubnetResourceId",
            canon=c.caseless,
        ),
        Attr(
            "high_availability.mode",
            "high_availability.0.mode",
            "properties.highAvailability.mode",
            default="Disabled",
            severity=HIGH,
        ),
        Attr("zone", "zone", "properties.availabilityZone", canon=str),
        Attr("administrator_login", "administrator_login", "properties.administratorLogin"),
        Attr("fqdn", "fqdn", "properties.fullyQualifiedDomainName", compare=False),
        TAGS,
    ),
)

POSTGRESQL_FIREWALL_RULE = TypeSpec(
    tf_type="azurerm_postgresql_flexible_server_firewall_rule",
    arm_type="Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
    attributes=(
        Attr("start_ip_address", "start_ip_address", "properties.startIpAddress", severity=HIGH),
        Attr("end_ip_address", "end_ip_address", "properties.endIpAddress", severity=HIGH),
    ),
    summary=("start_ip_address", "end_ip_address"),
    unmanaged_severity=HIGH,
)

POSTGRESQL_DATABASE = TypeSpec(
    tf_type="azurerm_postgresql_flexible_server_database",
    arm_type="Microsoft.DBforPostgreSQL/flexibleServers/databases",
    attributes=(
        Attr("charset", "charset", "properties.charset", canon=c.caseless),
        Attr("collation", "collation", "properties.collation", canon=c.caseless),
    ),
    builtin_names=frozenset({"postgres", "azure_maintenance", "azure_sys"}),
)

LOG_ANALYTICS_WORKSPACE = TypeSpec(
    tf_type="azurerm_log_analytics_workspace",
    arm_type="Microsoft.OperationalInsights/workspaces",
    attributes=(
        LOCATION,
        Attr("sku", "sku", "properties.sku.name", canon=c.caseless),
        Attr("retention_in_days", "retention_in_days", "properties.retentionInDays"),
        Attr(
            "daily_quota_gb",
            "daily_quota_gb",
            "properties.workspaceCapping.dailyQuotaGb",
            canon=c.number,
            default=-1,
        ),
        Attr("workspace_id", "workspace_id", "properties.customerId", compare=False),
        TAGS,
    ),
)

CONTAINER_APP_ENVIRONMENT = TypeSpec(
    tf_type="azurerm_container_app_environment",
    arm_type="Microsoft.App/managedEnvironments",
    attributes=(
        LOCATION,
        Attr(
            "log_analytics_workspace_id",
            "log_analytics_workspace_id",
            "properties.appLogsConfiguration.logAnalyticsConfiguration.customerId",
            convert=c.workspace_from_customer_id,
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "infrastructure_subnet_id",
            "infrastructure_subnet_id",
            "properties.vnetConfiguration.infrastructureSubnetId",
            canon=c.caseless,
        ),
        Attr("zone_redundancy_enabled", "zone_redundancy_enabled", "properties.zoneRedundant"),
        Attr("default_domain", "default_domain", "properties.defaultDomain", compare=False),
        Attr("static_ip_address", "static_ip_address", "properties.staticIp", compare=False),
        TAGS,
    ),
)

_ENV_VAR = (
    Attr("value", "value", "value"),
    Attr("secret_name", "secret_name", "secretRef"),
)

_CONTAINER = (
    Attr("image", "image", "image"),
    Attr("cpu", "cpu", "resources.cpu", canon=c.number),
    Attr("memory", "memory", "resources.memory", canon=c.caseless),
    Each("env", "env", "env", _ENV_VAR),
)

CONTAINER_APP = TypeSpec(
    tf_type="azurerm_container_app",
    arm_type="Microsoft.App/containerApps",
    attributes=(
        LOCATION,
        Attr(
            "container_app_environment_id",
            "container_app_environment_id",
            "properties.managedEnvironmentId",
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "revision_mode",
            "revision_mode",
            "properties.configuration.activeRevisionsMode",
            canon=c.caseless,
        ),
        Attr(
            "ingress.external_enabled",
            "ingress.0.external_enabled",
            "properties.configuration.ingress.external",
            severity=HIGH,
        ),
        Attr(
            "ingress.target_port",
            "ingress.0.target_port",
            "properties.configuration.ingress.targetPort",
        ),
        Attr(
            "ingress.transport",
            "ingress.0.transport",
            "properties.configuration.ingress.transport",
            canon=c.caseless,
        ),
        Attr(
            "ingress.allow_insecure_connections",
            "ingress.0.allow_insecure_connections",
            "properties.configuration.ingress.allowInsecure",
            default=False,
        ),
        Attr(
            "ingress.fqdn", "ingress.0.fqdn", "properties.configuration.ingress.fqdn", compare=False
        ),
        Each(
            "registry",
            "registry",
            "properties.configuration.registries",
            (
                Attr("identity", "identity", "identity", canon=c.caseless),
                Attr("username", "username", "username"),
            ),
            state_key="server",
            arm_key="server",
        ),
        Attr(
            "template.min_replicas",
            "template.0.min_replicas",
            "properties.template.scale.minReplicas",
            default=0,
        ),
        Attr(
            "template.max_replicas",
            "template.0.max_replicas",
            "properties.template.scale.maxReplicas",
            default=10,
        ),
        Each(
            "template.container",
            "template.0.container",
            "properties.template.containers",
            _CONTAINER,
        ),
        Attr("identity.type", "identity.0.type", "identity.type", canon=c.no_spaces),
        Attr(
            "identity.identity_ids",
            "identity.0.identity_ids",
            "identity.userAssignedIdentities",
            convert=c.keys,
            canon=c.caseless_ids,
        ),
        Attr(
            "outbound_ip_addresses",
            "outbound_ip_addresses",
            "properties.outboundIpAddresses",
            compare=False,
        ),
        TAGS,
    ),
)

TYPES: tuple[TypeSpec, ...] = (
    RESOURCE_GROUP,
    LOG_ANALYTICS_WORKSPACE,
    CONTAINER_APP_ENVIRONMENT,
    CONTAINER_APP,
    CONTAINER_REGISTRY,
    POSTGRESQL_FLEXIBLE_SERVER,
    POSTGRESQL_FIREWALL_RULE,
    POSTGRESQL_DATABASE,
)

_BY_TF = {spec.tf_type: spec for spec in TYPES}
_BY_ARM = {spec.arm_type.lower(): spec for spec in TYPES}


def by_tf_type(tf_type: str) -> TypeSpec | None:
    return _BY_TF.get(tf_type)


def by_arm_type(arm_type: str) -> TypeSpec | None:
    """Case-insensitive: ARM returns `microsoft.operationalinsights/workspaces` too."""
    return _BY_ARM.get(arm_type.lower())
