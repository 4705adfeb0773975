"""Microsoft.Resources: resource groups."""

from __future__ import annotations

from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import TypeSpec

RESOURCE_GROUP = TypeSpec(
    tf_type="azurerm_resource_group",
    arm_type="Microsoft.Resources/resourceGroups",
    api_version="2025-04-01",
    attributes=(LOCATION, TAGS),
)

TYPES = (RESOURCE_GROUP,)
