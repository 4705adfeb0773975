"""Small converters from ARM's spelling of a value to azurerm's (facts: azurerm-mapping.md)."""

from __future__ import annotations

import ipaddress
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


def cidr_set(value: Any) -> Any:
    """Address ranges as a set: order never matters, and `FD00:DB8::/48` is `fd00:db8::/48`."""
    items = list(value or ())
    if not all(isinstance(v, str) for v in items):
        return UNREADABLE  # `[10]` is no address range, and no change either
    return tuple(sorted({_cidr(v) for v in items}))


def _cidr(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip()))
    except ValueError:  # not a network as written (host bits set, a typo): compare the text
        return text.strip().lower()


def caseless_set(value: Any) -> Any:
    """Names compared as a set, without regard to case (a delegation's actions)."""
    items = list(value or ())
    if not all(isinstance(v, str) for v in items):
        return UNREADABLE
    return tuple(sorted({v.lower() for v in items}))


def endpoint_services(value: Any) -> Any:
    """Service endpoints as a set of service names.

    azurerm 5.x writes `service_endpoint` blocks (`{service, network_identifier}`), 4.x a
    `service_endpoints` list of names, and ARM `{service, locations, ...}` objects.
    """
    return caseless_set(v.get("service") if isinstance(v, Mapping) else v for v in value or ())


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


def app_service_os(value: Any, _: Lookups) -> Any:
    """An App Service plan's `properties` as azurerm's `os_type`.

    azurerm reads the OS from two flags, not from `kind`: `reserved` is a Linux plan,
    `hyperV` a Windows container plan, neither a Windows plan. Without a readable
    `reserved` the OS is unknown, not Windows.
    """
    if not isinstance(value, Mapping):
        return UNREADABLE
    reserved = _flag(value.get("reserved"))
    hyper_v = False if value.get("hyperV") is None else _flag(value["hyperV"])
    if reserved is None or hyper_v is None:
        return UNREADABLE
    if reserved:
        return "Linux"
    return "WindowsContainer" if hyper_v else "Windows"


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def workspace_from_customer_id(value: Any, lookups: Lookups) -> Any:
    """A managed environment names its workspace by customerId; azurerm by resource ID."""
    return lookups.workspace_id(str(value)) or f"(workspace with customerId {value})"


def subnet_address_prefixes(value: Any, _: Lookups) -> Any:
    """A subnet's `addressPrefixes`, or its single `addressPrefix`, as azurerm's list.

    ARM answers with either field depending on how the subnet was made; azurerm reads the
    list when there is one.
    """
    if not isinstance(value, Mapping):
        return UNREADABLE
    many, one = value.get("addressPrefixes"), value.get("addressPrefix")
    if many is not None:
        return many if isinstance(many, list) else UNREADABLE
    if one is None or one == "":
        return []
    return [one] if isinstance(one, str) else UNREADABLE


def subnet_service_endpoints(value: Any, _: Lookups) -> Any:
    """A subnet's `serviceEndpoints` from its properties; none listed is an empty list.

    Read from `properties` so that an absent list reads as empty in Azure while a state
    without the attribute (the other major version's spelling) stays unset.
    """
    if not isinstance(value, Mapping):
        return UNREADABLE
    found = value.get("serviceEndpoints")
    if found is None:
        return []
    return found if isinstance(found, list) else UNREADABLE


def _private_link_connection(value: Any) -> tuple[Mapping[str, Any], bool] | None:
    """A private endpoint's connection properties, and whether it awaits manual approval.

    azurerm's single `private_service_connection` block is the first of ARM's
    auto-approved connections, else of its manual ones. A malformed body raises
    TypeError, which the table walk reads as unreadable.
    """
    lists = (
        ("privateLinkServiceConnections", False),
        ("manualPrivateLinkServiceConnections", True),
    )
    for key, manual in lists:
        found = value.get(key) or []
        if not isinstance(found, list):
            raise TypeError(f"{key} is not a list")
        if found:
            properties = found[0].get("properties") if isinstance(found[0], Mapping) else None
            if not isinstance(properties, Mapping):
                raise TypeError(f"{key}[0] has no properties")
            return properties, manual
    return None


def private_link_target(value: Any, _: Lookups) -> Any:
    """The resource a private endpoint connects to (`privateLinkServiceId`)."""
    found = _private_link_connection(value)
    return found[0].get("privateLinkServiceId") if found else None


def private_link_group_ids(value: Any, _: Lookups) -> Any:
    """The sub-resources a private endpoint connects to (`blob`, `vault`): azurerm's names."""
    found = _private_link_connection(value)
    return (found[0].get("groupIds") or []) if found else None


def private_link_is_manual(value: Any, _: Lookups) -> Any:
    found = _private_link_connection(value)
    return found[1] if found else None


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
