"""azurerm_virtual_network: what is particular to it beyond the registry harness."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.model import FindingKind
from tests.test_registry import FIXTURES_BY_TYPE, PATHS
from tests.test_registry import _verify as verify

FIXTURE = FIXTURES_BY_TYPE["azurerm_virtual_network"]


def _world(**state: Any) -> tuple[Any, dict[str, Any]]:
    """The fixture's world with state attributes replaced; returns it and the vnet's body."""
    env = FIXTURE.world()
    instance = env.state_resources[-1]["instances"][0]
    instance["attributes"] = {**instance["attributes"], **state}  # the fixture stays as it is
    return env, env.bodies[FIXTURE.arm_id.lower()]


@pytest.mark.parametrize("path", PATHS)
def test_address_space_is_compared_as_a_set_of_networks(path: str) -> None:
    env, body = _world(address_space=["10.20.0.0/16", "FD00:DB8:DECA::/48"])
    body["properties"]["addressSpace"]["addressPrefixes"] = ["fd00:db8:deca:0::/48", "10.20.0.0/16"]
    analysis = verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
def test_the_subnets_listed_inside_the_network_never_drift(path: str) -> None:
    """Teams with separate azurerm_subnet resources: the network's own copy of them lags."""
    env, body = _world()
    subnets = body["properties"]["subnets"]
    jobs_id = subnets[1]["id"].replace("snet-private-endpoints", "snet-jobs")
    added = {**subnets[1], "name": "snet-jobs", "id": jobs_id}
    added["properties"] = {**subnets[1]["properties"], "addressPrefix": "10.20.3.0/24"}
    body["properties"]["subnets"] = [subnets[0], added]  # one added, one gone since the refresh
    analysis = verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
def test_dns_servers_keep_their_order(path: str) -> None:
    env, body = _world(dns_servers=["10.20.0.4", "10.20.0.5"])
    body["properties"]["dhcpOptions"] = {"dnsServers": ["10.20.0.5", "10.20.0.4"]}
    analysis = verify(env, PATHS[path])
    assert [(f.kind, f.attribute, f.expected, f.actual) for f in analysis.findings] == [
        (FindingKind.CHANGED, "dns_servers", ["10.20.0.4", "10.20.0.5"], ["10.20.0.5", "10.20.0.4"])
    ]


@pytest.mark.parametrize("dhcp_options", [None, {}, {"dnsServers": []}])
def test_azures_own_dns_reads_the_same_however_arm_spells_it(dhcp_options: Any) -> None:
    """azurerm writes [] for Azure's DNS; ARM sends an empty list or no dhcpOptions at all."""
    env, body = _world(dns_servers=[])
    body["properties"].pop("dhcpOptions", None)
    if dhcp_options is not None:
        body["properties"]["dhcpOptions"] = dhcp_options
    assert verify(env, True).findings == ()
