"""Microsoft.KeyVault: vaults.

azurerm fills in what the vault's GET leaves out (`flattenKeyVaultNetworkAcls`, the
soft-delete fallback in the resource's read), so the same defaults stand in here for an
absent value on either side: public network access on, network ACLs `Allow`, soft-deleted
items kept 90 days, purge protection and RBAC authorization off.
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, PUBLIC_NETWORK_ACCESS, TAGS
from provisioner.registry.spec import Attr, TypeSpec

HIGH = Severity.HIGH

KEY_VAULT = TypeSpec(
    tf_type="azurerm_key_vault",
    arm_type="Microsoft.KeyVault/vaults",
    api_version="2026-02-01",
    attributes=(
        LOCATION,
        Attr("sku_name", "sku_name", "properties.sku.name", canon=c.caseless),
        PUBLIC_NETWORK_ACCESS,
        Attr(
            "network_acls.default_action",
            "network_acls.0.default_action",
            "properties.networkAcls.defaultAction",
            canon=c.caseless,
            default="Allow",
            severity=HIGH,
        ),
        Attr(
            "purge_protection_enabled",
            "purge_protection_enabled",
            "properties.enablePurgeProtection",
            kind=bool,
            default=False,
            severity=HIGH,
        ),
        Attr(
            "soft_delete_retention_days",
            "soft_delete_retention_days",
            "properties.softDeleteRetentionInDays",
            kind=int,
            default=90,
            severity=HIGH,
        ),
        Attr(
            "rbac_authorization_enabled",
            "rbac_authorization_enabled",
            "properties.enableRbacAuthorization",
            kind=bool,
            default=False,
            severity=HIGH,
        ),
        # The data-plane address apps are given; the isolation check matches it.
        Attr("vault_uri", "vault_uri", "properties.vaultUri", compare=False),
        TAGS,
    ),
)

TYPES = (KEY_VAULT,)
