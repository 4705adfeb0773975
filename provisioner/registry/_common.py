"""Entries many types share: location and tags."""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry.spec import Attr, MapOf

LOCATION = Attr("location", "location", "location", canon=c.location, severity=Severity.HIGH)
TAGS = MapOf("tags", "tags", "tags")
# ARM's `publicNetworkAccess` ("Enabled"/"Disabled"; absent means enabled) as azurerm's bool.
PUBLIC_NETWORK_ACCESS = Attr(
    "public_network_access_enabled",
    "public_network_access_enabled",
    "properties.publicNetworkAccess",
    kind=bool,
    convert=c.enabled,
    default=True,
    severity=Severity.HIGH,
)
