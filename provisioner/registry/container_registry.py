"""Microsoft.ContainerRegistry: registries."""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, PUBLIC_NETWORK_ACCESS, TAGS
from provisioner.registry.spec import Attr, TypeSpec

CONTAINER_REGISTRY = TypeSpec(
    tf_type="azurerm_container_registry",
    arm_type="Microsoft.ContainerRegistry/registries",
    api_version="2025-11-01",
    attributes=(
        LOCATION,
        Attr("sku", "sku", "sku.tier", canon=c.caseless),
        Attr(
            "admin_enabled",
            "admin_enabled",
            "properties.adminUserEnabled",
            kind=bool,
            severity=Severity.HIGH,
        ),
        PUBLIC_NETWORK_ACCESS,
        Attr(
            "anonymous_pull_enabled",
            "anonymous_pull_enabled",
            "properties.anonymousPullEnabled",
            kind=bool,
        ),
        Attr(
            "zone_redundancy_enabled",
            "zone_redundancy_enabled",
            "properties.zoneRedundancy",
            kind=bool,
            convert=c.enabled,
        ),
        Attr("login_server", "login_server", "properties.loginServer", compare=False),
        TAGS,
    ),
)

TYPES = (CONTAINER_REGISTRY,)
