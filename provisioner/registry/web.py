"""Microsoft.Web: App Service plans and Linux web apps.

What a web app's GET does not carry is not compared. ARM returns `properties.siteConfig`
on a site's GET with its values null (the azurerm provider says so and reads them with a
second GET of `{site}/config/web`), so the minimum TLS version is read where a document
carries it (a plan; a body that has it) but never drifts, and `always_on` is left out.
App settings are returned only by `POST {site}/config/appsettings/list`
(WebApps_ListApplicationSettings), which azprov never sends: it reads with GETs and never
lists secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, PUBLIC_NETWORK_ACCESS, TAGS
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


def is_linux_web_app(body: Mapping[str, Any]) -> bool:
    """Whether a `Microsoft.Web/sites` body is a Linux web app (`app,linux`, not a function).

    Windows web apps (`app`), function apps (`functionapp,linux`) and logic apps share the
    ARM type; their kind says which. A body without a kind is not another kind: it is
    taken for the Linux web app the state may say it is, and compared.
    """
    kind = body.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        return True
    words = {word.strip() for word in kind.lower().split(",")}
    return "linux" in words and "functionapp" not in words


LINUX_WEB_APP = TypeSpec(
    tf_type="azurerm_linux_web_app",
    arm_type="Microsoft.Web/sites",
    api_version=API_VERSION,
    accepts=is_linux_web_app,
    attributes=(
        LOCATION,
        Attr(
            "service_plan_id",
            "service_plan_id",
            "properties.serverFarmId",
            canon=c.caseless,
        ),
        Attr(
            "https_only",
            "https_only",
            "properties.httpsOnly",
            kind=bool,
            default=False,
            severity=Severity.HIGH,
        ),
        PUBLIC_NETWORK_ACCESS,
        Attr(
            "client_certificate_enabled",
            "client_certificate_enabled",
            "properties.clientCertEnabled",
            kind=bool,
            default=False,
            severity=Severity.HIGH,
        ),
        Attr(
            "client_certificate_mode",
            "client_certificate_mode",
            "properties.clientCertMode",
            canon=c.caseless,
            default="Required",
            severity=Severity.HIGH,
        ),
        Attr(
            "virtual_network_subnet_id",
            "virtual_network_subnet_id",
            "properties.virtualNetworkSubnetId",
            canon=c.caseless,
        ),
        # Null in the site's GET (see above): the TLS policy rule judges it where it is
        # known, and it never drifts.
        Attr(
            "site_config.minimum_tls_version",
            "site_config.0.minimum_tls_version",
            "properties.siteConfig.minTlsVersion",
            compare=False,
        ),
        Attr("identity.type", "identity.0.type", "identity.type", canon=c.no_spaces),
        Attr(
            "identity.identity_ids",
            "identity.0.identity_ids",
            "identity.userAssignedIdentities",
            kind=list,
            convert=c.keys,
            canon=c.caseless_ids,
        ),
        Attr("default_hostname", "default_hostname", "properties.defaultHostName", compare=False),
        Attr(
            "outbound_ip_addresses",
            "outbound_ip_addresses",
            "properties.outboundIpAddresses",
            compare=False,
        ),
        Attr(
            "possible_outbound_ip_addresses",
            "possible_outbound_ip_addresses",
            "properties.possibleOutboundIpAddresses",
            compare=False,
        ),
        TAGS,
    ),
)

TYPES = (SERVICE_PLAN, LINUX_WEB_APP)
