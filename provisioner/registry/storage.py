"""Microsoft.Storage: storage accounts.

azurerm reads the SKU apart (`Standard_RAGRS` is `account_tier = "Standard"` and
`account_replication_type = "RAGRS"`) and writes its own value for each setting the GET
leaves out (`resourceStorageAccountFlatten`): TLS1_0, public network access and shared
keys on, HTTPS-only and nested public items off. The same defaults stand in here. Access
keys and connection strings come only from the listKeys POST, which azprov never sends.
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, PUBLIC_NETWORK_ACCESS, TAGS
from provisioner.registry.spec import Attr, TypeSpec

HIGH = Severity.HIGH


def _endpoint(service: str) -> Attr:
    """A primary endpoint URL: Azure's, read for the isolation check, never drift."""
    name = f"primary_{service}_endpoint"
    return Attr(name, name, f"properties.primaryEndpoints.{service}", compare=False)


STORAGE_ACCOUNT = TypeSpec(
    tf_type="azurerm_storage_account",
    arm_type="Microsoft.Storage/storageAccounts",
    api_version="2025-08-01",
    attributes=(
        LOCATION,
        Attr("account_kind", "account_kind", "kind"),
        Attr("account_tier", "account_tier", "sku", convert=c.storage_tier, severity=HIGH),
        Attr(
            "account_replication_type",
            "account_replication_type",
            "sku.name",
            convert=c.storage_replication,
            severity=HIGH,
        ),
        Attr(
            "min_tls_version",
            "min_tls_version",
            "properties.minimumTlsVersion",
            default="TLS1_0",
            severity=HIGH,
        ),
        Attr(
            "allow_nested_items_to_be_public",
            "allow_nested_items_to_be_public",
            "properties.allowBlobPublicAccess",
            kind=bool,
            default=False,
            severity=HIGH,
        ),
        Attr(
            "shared_access_key_enabled",
            "shared_access_key_enabled",
            "properties.allowSharedKeyAccess",
            kind=bool,
            default=True,
            severity=HIGH,
        ),
        Attr(
            "https_traffic_only_enabled",
            "https_traffic_only_enabled",
            "properties.supportsHttpsTrafficOnly",
            kind=bool,
            default=False,
            severity=HIGH,
        ),
        PUBLIC_NETWORK_ACCESS,
        Attr(
            "network_rules.default_action",
            "network_rules.0.default_action",
            "properties.networkAcls.defaultAction",
            canon=c.caseless,
            default="Allow",
            severity=HIGH,
        ),
        *(_endpoint(s) for s in ("blob", "dfs", "file", "queue", "table", "web")),
        TAGS,
    ),
)

TYPES = (STORAGE_ACCOUNT,)
