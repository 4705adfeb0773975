"""Microsoft.Network: virtual networks.

A virtual network's ARM body carries its subnets inline (`properties.subnets`), and azurerm
mirrors them in the network's `subnet` attribute, which is Optional and Computed: a team
that declares subnets as separate `azurerm_subnet` resources still finds every subnet there,
as of the network's last refresh. That copy lags (a subnet terraform just added is not in it
until the next refresh), so it is never compared here.
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, TypeSpec

HIGH = Severity.HIGH
API_VERSION = "2026-01-01"

VIRTUAL_NETWORK = TypeSpec(
    tf_type="azurerm_virtual_network",
    arm_type="Microsoft.Network/virtualNetworks",
    api_version=API_VERSION,
    attributes=(
        LOCATION,
        Attr(
            "address_space",
            "address_space",
            "properties.addressSpace.addressPrefixes",
            kind=list,
            canon=c.cidr_set,
        ),
        # An ordered list: resolvers are asked in turn. A changed resolver sees, and can
        # answer, every name the network looks up, private endpoints' names included.
        Attr(
            "dns_servers",
            "dns_servers",
            "properties.dhcpOptions.dnsServers",
            kind=list,
            default=(),  # azurerm writes [] for Azure's own DNS; ARM leaves dhcpOptions out
            severity=HIGH,
        ),
        Attr(
            "ddos_protection_plan.enable",
            "ddos_protection_plan.0.enable",
            "properties.enableDdosProtection",
            kind=bool,
        ),
        Attr(
            "ddos_protection_plan.id",
            "ddos_protection_plan.0.id",
            "properties.ddosProtectionPlan.id",
            canon=c.caseless,
        ),
        Attr(
            "private_endpoint_vnet_policies",
            "private_endpoint_vnet_policies",
            "properties.privateEndpointVNetPolicies",
            default="Disabled",
            canon=c.caseless,
        ),
        Attr("guid", "guid", "properties.resourceGuid", compare=False),
        TAGS,
    ),
)

TYPES = (VIRTUAL_NETWORK,)
