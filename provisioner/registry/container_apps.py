"""Microsoft.App: Container Apps environments and Container Apps."""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, Each, TypeSpec

HIGH = Severity.HIGH
API_VERSION = "2026-07-01"

CONTAINER_APP_ENVIRONMENT = TypeSpec(
    tf_type="azurerm_container_app_environment",
    arm_type="Microsoft.App/managedEnvironments",
    api_version=API_VERSION,
    attributes=(
        LOCATION,
        Attr(
            "log_analytics_workspace_id",
            "log_analytics_workspace_id",
            "properties.appLogsConfiguration.logAnalyticsConfiguration.customerId",
            convert=c.workspace_from_customer_id,
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "infrastructure_subnet_id",
            "infrastructure_subnet_id",
            "properties.vnetConfiguration.infrastructureSubnetId",
            canon=c.caseless,
        ),
        Attr(
            "zone_redundancy_enabled",
            "zone_redundancy_enabled",
            "properties.zoneRedundant",
            kind=bool,
        ),
        Attr("default_domain", "default_domain", "properties.defaultDomain", compare=False),
        Attr("static_ip_address", "static_ip_address", "properties.staticIp", compare=False),
        TAGS,
    ),
)

_ENV_VAR = (
    Attr("value", "value", "value"),
    Attr("secret_name", "secret_name", "secretRef"),
)

_CONTAINER = (
    Attr("image", "image", "image"),
    Attr("cpu", "cpu", "resources.cpu", kind=float),
    Attr("memory", "memory", "resources.memory", canon=c.caseless),
    Each("env", "env", "env", _ENV_VAR),
)

CONTAINER_APP = TypeSpec(
    tf_type="azurerm_container_app",
    arm_type="Microsoft.App/containerApps",
    api_version=API_VERSION,
    attributes=(
        LOCATION,
        Attr(
            "container_app_environment_id",
            "container_app_environment_id",
            "properties.managedEnvironmentId",
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "revision_mode",
            "revision_mode",
            "properties.configuration.activeRevisionsMode",
            canon=c.caseless,
        ),
        Attr(
            "ingress.external_enabled",
            "ingress.0.external_enabled",
            "properties.configuration.ingress.external",
            kind=bool,
            severity=HIGH,
        ),
        Attr(
            "ingress.target_port",
            "ingress.0.target_port",
            "properties.configuration.ingress.targetPort",
            kind=int,
        ),
        Attr(
            "ingress.transport",
            "ingress.0.transport",
            "properties.configuration.ingress.transport",
            canon=c.caseless,
        ),
        Attr(
            "ingress.allow_insecure_connections",
            "ingress.0.allow_insecure_connections",
            "properties.configuration.ingress.allowInsecure",
            kind=bool,
            default=False,
        ),
        Attr(
            "ingress.fqdn",
            "ingress.0.fqdn",
            "properties.configuration.ingress.fqdn",
            compare=False,
        ),
        Each(
            "registry",
            "registry",
            "properties.configuration.registries",
            (
                Attr("identity", "identity", "identity", canon=c.caseless),
                Attr("username", "username", "username"),
            ),
            state_key="server",
            arm_key="server",
        ),
        Attr(
            "template.min_replicas",
            "template.0.min_replicas",
            "properties.template.scale.minReplicas",
            kind=int,
            default=0,
        ),
        Attr(
            "template.max_replicas",
            "template.0.max_replicas",
            "properties.template.scale.maxReplicas",
            kind=int,
            default=10,
        ),
        Each(
            "template.container",
            "template.0.container",
            "properties.template.containers",
            _CONTAINER,
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
        Attr(
            "outbound_ip_addresses",
            "outbound_ip_addresses",
            "properties.outboundIpAddresses",
            kind=list,
            compare=False,
        ),
        TAGS,
    ),
)

TYPES = (CONTAINER_APP_ENVIRONMENT, CONTAINER_APP)
