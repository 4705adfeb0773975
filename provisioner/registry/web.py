"""Microsoft.Web: App Service plans."""

from __future__ import annotations

from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, TypeSpec

# GA, with the `AppServicePlans_Get` and `WebApps_Get` examples (GetAppServicePlan.json,
# GetWebApp.json). Every type on `Microsoft.Web/sites` must read with the same version.
API_VERSION = "2025-03-01"

SERVICE_PLAN = TypeSpec(
    tf_type="azurerm_service_plan",
    # ARM answers `serverfarms`; azurerm's importer parses `serverFarms` and nothing else.
    arm_type="Microsoft.Web/serverFarms",
    api_version=API_VERSION,
    attributes=(
        LOCATION,
        Attr("sku_name", "sku_name", "sku.name", canon=c.caseless),
        # azurerm derives the OS from `reserved` and `hyperV`, so the whole of `properties`.
        Attr("os_type", "os_type", "properties", convert=c.app_service_os),
        Attr("worker_count", "worker_count", "sku.capacity", kind=int),
        Attr(
            "zone_balancing_enabled",
            "zone_balancing_enabled",
            "properties.zoneRedundant",
            kind=bool,
            default=False,
        ),
        Attr(
            "per_site_scaling_enabled",
            "per_site_scaling_enabled",
            "properties.perSiteScaling",
            kind=bool,
            default=False,
        ),
        TAGS,
    ),
)

TYPES = (SERVICE_PLAN,)
