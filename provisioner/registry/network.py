"""Microsoft.Network: virtual networks, their subnets, and private endpoints.

A virtual network's ARM body carries its subnets inline (`properties.subnets`), and azurerm
mirrors them in the network's `subnet` attribute, which is Optional and Computed: a team
that declares subnets as separate `azurerm_subnet` resources still finds every subnet there,
as of the network's last refresh. That copy lags (a subnet terraform just added is not in it
until the next refresh), so it is never compared here. Subnets are compared once, as
`azurerm_subnet` resources listed under each network (Resource Graph does not index them).
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, Each, TypeSpec, under

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

SUBNET = TypeSpec(
    tf_type="azurerm_subnet",
    arm_type="Microsoft.Network/virtualNetworks/subnets",
    api_version=API_VERSION,
    listed=under(VIRTUAL_NETWORK.arm_type),
    attributes=(
        Attr(
            "address_prefixes",
            "address_prefixes",
            "properties",
            kind=list,
            convert=c.subnet_address_prefixes,
            canon=c.cidr_set,
        ),
        Each(
            "delegation",
            "delegation",
            "properties.delegations",
            (
                Attr(
                    "service_delegation.name",
                    "service_delegation.0.name",
                    "properties.serviceName",
                    canon=c.caseless,
                ),
                Attr(
                    "service_delegation.actions",
                    "service_delegation.0.actions",
                    "properties.actions",
                    kind=list,
                    default=(),  # azurerm writes [] where ARM leaves `actions` out
                    canon=c.caseless_set,
                ),
            ),
        ),
        # azurerm 5.x spells these as `service_endpoint` blocks, 4.x as a list of names;
        # a state holds one of the two, and the other reads as unset.
        Attr(
            "service_endpoint",
            "service_endpoint",
            "properties",
            kind=list,
            convert=c.subnet_service_endpoints,
            canon=c.endpoint_services,
        ),
        Attr(
            "service_endpoints",
            "service_endpoints",
            "properties",
            kind=list,
            convert=c.subnet_service_endpoints,
            canon=c.endpoint_services,
        ),
        # `Disabled` lets private endpoints in the subnet bypass its NSG and route table.
        Attr(
            "private_endpoint_network_policies",
            "private_endpoint_network_policies",
            "properties.privateEndpointNetworkPolicies",
            default="Disabled",
            severity=HIGH,
        ),
        Attr(
            "private_link_service_network_policies_enabled",
            "private_link_service_network_policies_enabled",
            "properties.privateLinkServiceNetworkPolicies",
            kind=bool,
            convert=c.enabled,
            default=True,
        ),
        Attr(
            "default_outbound_access_enabled",
            "default_outbound_access_enabled",
            "properties.defaultOutboundAccess",
            kind=bool,
            default=True,  # azurerm reads an absent value as true
        ),
        # The NSG and route table are azurerm's association resources
        # (`azurerm_subnet_network_security_group_association`, `..._route_table_association`),
        # whose ID is the subnet's own. azurerm 4.x's subnet has no such attribute; 5.x exports
        # them as computed, as of the subnet's last refresh, which lags an apply that changes
        # an association. Read for the isolation check (a prod subnet behind test's NSG),
        # never drift.
        Attr(
            "network_security_group_id",
            "network_security_group_id",
            "properties.networkSecurityGroup.id",
            canon=c.caseless,
            compare=False,
        ),
        Attr(
            "route_table_id",
            "route_table_id",
            "properties.routeTable.id",
            canon=c.caseless,
            compare=False,
        ),
    ),
    summary=("address_prefixes",),
)

PRIVATE_ENDPOINT = TypeSpec(
    tf_type="azurerm_private_endpoint",
    arm_type="Microsoft.Network/privateEndpoints",
    api_version=API_VERSION,
    attributes=(
        LOCATION,
        Attr("subnet_id", "subnet_id", "properties.subnet.id", canon=c.caseless),
        # azurerm's one `private_service_connection` block is ARM's auto-approved
        # connection or, when `is_manual_connection`, its manual one.
        Attr(
            "private_service_connection.private_connection_resource_id",
            "private_service_connection.0.private_connection_resource_id",
            "properties",
            convert=c.private_link_target,
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "private_service_connection.subresource_names",
            "private_service_connection.0.subresource_names",
            "properties",
            kind=list,
            convert=c.private_link_group_ids,
            canon=c.caseless_set,
        ),
        Attr(
            "private_service_connection.is_manual_connection",
            "private_service_connection.0.is_manual_connection",
            "properties",
            kind=bool,
            convert=c.private_link_is_manual,
        ),
        Attr(
            "custom_network_interface_name",
            "custom_network_interface_name",
            "properties.customNetworkInterfaceName",
        ),
        # Azure creates the endpoint's network interface (and deletes it with the endpoint):
        # read, never drift, and never an unmanaged resource of its own.
        Attr(
            "network_interface.id",
            "network_interface.0.id",
            "properties.networkInterfaces.0.id",
            canon=c.caseless,
            compare=False,
        ),
        TAGS,
    ),
    summary=("private_service_connection.private_connection_resource_id",),
    creates=("network_interface.id",),
)

TYPES = (VIRTUAL_NETWORK, SUBNET, PRIVATE_ENDPOINT)
