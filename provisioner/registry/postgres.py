"""Microsoft.DBforPostgreSQL: flexible servers, their firewall rules and databases."""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, TypeSpec, under

HIGH = Severity.HIGH
API_VERSION = "2026-10-01"

POSTGRESQL_FLEXIBLE_SERVER = TypeSpec(
    tf_type="azurerm_postgresql_flexible_server",
    arm_type="Microsoft.DBforPostgreSQL/flexibleServers",
    api_version=API_VERSION,
    attributes=(
        LOCATION,
        Attr("sku_name", "sku_name", "sku", convert=c.pg_sku_name, severity=HIGH),
        Attr("version", "version", "properties.version"),
        Attr(
            "storage_mb",
            "storage_mb",
            "properties.storage.storageSizeGB",
            kind=int,
            convert=c.gb_to_mb,
        ),
        Attr("storage_tier", "storage_tier", "properties.storage.tier"),
        Attr(
            "auto_grow_enabled",
            "auto_grow_enabled",
            "properties.storage.autoGrow",
            kind=bool,
            convert=c.enabled,
        ),
        Attr(
            "backup_retention_days",
            "backup_retention_days",
            "properties.backup.backupRetentionDays",
            kind=int,
            severity=HIGH,
        ),
        Attr(
            "geo_redundant_backup_enabled",
            "geo_redundant_backup_enabled",
            "properties.backup.geoRedundantBackup",
            kind=bool,
            convert=c.enabled,
            severity=HIGH,
        ),
        Attr(
            "public_network_access_enabled",
            "public_network_access_enabled",
            "properties.network.publicNetworkAccess",
            kind=bool,
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
        Attr("zone", "zone", "properties.availabilityZone"),
        Attr("administrator_login", "administrator_login", "properties.administratorLogin"),
        Attr("fqdn", "fqdn", "properties.fullyQualifiedDomainName", compare=False),
        TAGS,
    ),
)

POSTGRESQL_FIREWALL_RULE = TypeSpec(
    tf_type="azurerm_postgresql_flexible_server_firewall_rule",
    arm_type="Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
    api_version=API_VERSION,
    listed=under(POSTGRESQL_FLEXIBLE_SERVER.arm_type),
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
    api_version=API_VERSION,
    listed=under(POSTGRESQL_FLEXIBLE_SERVER.arm_type),
    attributes=(
        Attr("charset", "charset", "properties.charset", canon=c.caseless),
        Attr("collation", "collation", "properties.collation", canon=c.caseless),
    ),
    builtin_names=frozenset({"postgres", "azure_maintenance", "azure_sys"}),
)

TYPES = (POSTGRESQL_FLEXIBLE_SERVER, POSTGRESQL_FIREWALL_RULE, POSTGRESQL_DATABASE)
