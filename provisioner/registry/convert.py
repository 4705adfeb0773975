"""Small converters from ARM's spelling of a value to azurerm's (facts: azurerm-mapping.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provisioner.model import UNREADABLE
from provisioner.registry.spec import Lookups

_PG_TIER_PREFIX = {"burstable": "B", "generalpurpose": "GP", "memoryoptimized": "MO"}
# `PremiumV2_LRS`: a storage SKU name's tier with its provisioned billing model version.
_BILLING_MODEL_VERSION = re.compile(r"V\d+$")


def location(value: Any) -> Any:
    """`West Europe` and `westeurope` are the same region."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def caseless(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def caseless_ids(value: Any) -> Any:
    """A set of resource IDs, compared without regard to case or order."""
    return tuple(sorted(str(v).lower() for v in value or ()))


def no_spaces(value: Any) -> Any:
    """`SystemAssigned, UserAssigned` (azurerm) vs `SystemAssigned,UserAssigned` (ARM)."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def enabled(value: Any, _: Lookups) -> Any:
    """ARM's `"Enabled"`/`"Disabled"` strings as azurerm's booleans; anything else unreadable."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return {"enabled": True, "disabled": False}.get(word, UNREADABLE)


def gb_to_mb(value: Any, _: Lookups) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return UNREADABLE
    return int(value) * 1024


def pg_sku_name(value: Any, _: Lookups) -> Any:
    """`{name: Standard_B1ms, tier: Burstable}` -> `B_Standard_B1ms`."""
    if not isinstance(value, Mapping):
        return value
    prefix = _PG_TIER_PREFIX.get(str(value.get("tier", "")).lower())
    return f"{prefix}_{value.get('name')}" if prefix else value.get("name")


def keys(value: Any, _: Lookups) -> Any:
    """A map keyed by ID (ARM's `userAssignedIdentities`) as its list of keys."""
    return list(value) if isinstance(value, Mapping) else UNREADABLE


def workspace_from_customer_id(value: Any, lookups: Lookups) -> Any:
    """A managed environment names its workspace by customerId; azurerm by resource ID."""
    return lookups.workspace_id(str(value)) or f"(workspace with customerId {value})"


def storage_replication(value: Any, _: Lookups) -> Any:
    """A storage SKU name's replication: `Standard_RAGRS` -> `RAGRS`."""
    if not isinstance(value, str) or "_" not in value:
        return UNREADABLE
    return value.split("_", 1)[1]


def storage_tier(value: Any, _: Lookups) -> Any:
    """A storage SKU's tier: `sku.tier`, else its name's prefix (`PremiumV2_LRS` -> `Premium`)."""
    if not isinstance(value, Mapping):
        return UNREADABLE
    tier, name = value.get("tier"), value.get("name")
    if isinstance(tier, str) and tier:
        return tier
    if isinstance(name, str) and "_" in name:
        return _BILLING_MODEL_VERSION.sub("", name.split("_", 1)[0])
    return UNREADABLE


def negated(value: Any, _: Lookups) -> Any:
    """ARM's `DisableLocalAuth: true` as azurerm's `local_authentication_enabled = false`."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "false"
    return not value if isinstance(value, bool) else UNREADABLE
