"""azurerm_subnet: what is particular to it beyond the registry harness."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
import responses

from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.mapping.flatten import Side, flatten
from provisioner.model import UNREADABLE, Finding, FindingKind, Severity
from provisioner.registry.network import SUBNET
from provisioner.state import parse_state
from tests.arm_fake import ArmFake, graph_path_requests, list_path_requests, run_verify
from tests.factories import Environment, _state_entry, dumps
from tests.test_registry import FIXTURES_BY_TYPE, PATHS
from tests.test_registry import _verify as verify

FIXTURE = FIXTURES_BY_TYPE["azurerm_subnet"]
SUBNET_ID = FIXTURE.arm_id
VNET_ID = SUBNET_ID.rsplit("/subnets/", 1)[0]
TEST_RG = SUBNET_ID.split("/providers/")[0].replace("rg-stockapp-prod", "rg-stockapp-test")


def _subnet_state(env: Environment) -> dict[str, Any]:
    """The subnet's state attributes in `env`, copied so the fixture stays as it is."""
    record = next(r for r in env.state_resources if r["type"] == "azurerm_subnet")
    instance = record["instances"][0]
    instance["attributes"] = copy.deepcopy(instance["attributes"])
    attributes: dict[str, Any] = instance["attributes"]
    return attributes


def _add_subnet(env: Environment, vnet_id: str, name: str, prefix: str) -> dict[str, Any]:
    body = copy.deepcopy(FIXTURE.doc["azure"])
    body.update(id=f"{vnet_id}/subnets/{name}", name=name)
    body["properties"] = {"addressPrefix": prefix, "provisioningState": "Succeeded"}
    env.bodies[body["id"].lower()] = body
    return body


@pytest.mark.parametrize("path", PATHS)
def test_subnets_are_listed_once_per_network_and_one_made_by_hand_is_unmanaged(
    path: str,
) -> None:
    env = FIXTURE.world()
    other_vnet = copy.deepcopy(env.bodies[VNET_ID.lower()])
    other_vnet.update(id=f"{VNET_ID}-jobs", name="vnet-stockapp-prod-jobs")
    other_vnet["properties"]["subnets"] = []
    env.bodies[other_vnet["id"].lower()] = other_vnet
    vnet_state = copy.deepcopy(FIXTURE.doc["with"][0]["attributes"])
    vnet_state.update(id=other_vnet["id"], name=other_vnet["name"], subnet=[])
    env.state_resources.append(_state_entry("azurerm_virtual_network", "jobs", vnet_state, []))
    _add_subnet(env, VNET_ID, "snet-debug", "10.20.9.0/24")  # made in the portal

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = ArmFake(env)
        fake.install(rsps)
        analysis = run_verify(env, resource_graph=PATHS[path]).analysis

    [finding] = analysis.findings
    assert (finding.kind, finding.type) == (FindingKind.UNMANAGED, "azurerm_subnet")
    assert finding.resource_id.endswith("/subnets/snet-debug")
    assert "address_prefixes=['10.20.9.0/24']" in finding.message
    subnet_lists = Counter(p.lower() for p in fake.requests if p.lower().endswith("/subnets"))
    assert subnet_lists == {
        f"{VNET_ID}/subnets".lower(): 1,
        f"{other_vnet['id']}/subnets".lower(): 1,
    }
    expected = graph_path_requests(env) if PATHS[path] else list_path_requests(env)
    assert len(fake.requests) == expected


@pytest.mark.parametrize(
    "arm_prefixes",
    [
        {"addressPrefixes": ["10.20.1.0/24", "10.20.0.0/24"]},
        {"addressPrefixes": ["10.20.0.0/24", "10.20.1.0/24"], "addressPrefix": "10.20.0.0/24"},
    ],
)
def test_a_subnet_with_several_prefixes_reads_them_from_address_prefixes(
    arm_prefixes: dict[str, Any],
) -> None:
    env = FIXTURE.world()
    _subnet_state(env)["address_prefixes"] = ["10.20.0.0/24", "10.20.1.0/24"]
    properties = env.bodies[SUBNET_ID.lower()]["properties"]
    del properties["addressPrefix"]
    properties.update(arm_prefixes)
    assert verify(env, False).findings == ()


@pytest.mark.parametrize(
    ("properties", "attribute"),
    [
        ({"addressPrefixes": [10]}, "address_prefixes"),
        ({"addressPrefixes": "10.20.0.0/24"}, "address_prefixes"),
        ({"addressPrefix": {"value": "10.20.0.0/24"}}, "address_prefixes"),
        ({"serviceEndpoints": [{"locations": ["*"]}]}, "service_endpoint"),
        ({"serviceEndpoints": {"service": "Microsoft.Storage"}}, "service_endpoint"),
    ],
)
def test_a_mistyped_body_is_unreadable_never_a_value(
    properties: dict[str, Any], attribute: str
) -> None:
    """What Azure sends malformed is not compared (unknown), rather than read as a change."""
    body = {**FIXTURE.doc["azure"], "properties": properties}
    assert flatten(SUBNET.attributes, body, Side(is_state=False))[attribute] is UNREADABLE


def test_a_delegation_without_actions_reads_as_none_delegated() -> None:
    env = FIXTURE.world()
    _subnet_state(env)["delegation"][0]["service_delegation"][0]["actions"] = []
    delegation = env.bodies[SUBNET_ID.lower()]["properties"]["delegations"][0]
    del delegation["properties"]["actions"]
    assert verify(env, True).findings == ()


def test_an_azurerm_4_state_compares_service_endpoints_by_their_old_name() -> None:
    env = FIXTURE.world()
    state = _subnet_state(env)
    del state["service_endpoint"]
    state["service_endpoints"] = ["Microsoft.Storage", "Microsoft.KeyVault"]
    analysis = verify(env, True)
    assert [(f.attribute, f.expected, f.actual) for f in analysis.findings] == [
        ("service_endpoints", ["microsoft.keyvault", "microsoft.storage"], ["microsoft.storage"])
    ]


@pytest.mark.parametrize("path", PATHS)
def test_an_association_changed_by_terraform_is_no_drift_on_the_subnet(path: str) -> None:
    """The subnet's computed NSG and route table lag the association resources that own them."""
    env = FIXTURE.world()
    state = _subnet_state(env)
    env.state_resources.append(
        _state_entry(
            "azurerm_subnet_network_security_group_association",
            "apps",
            {"id": SUBNET_ID, "subnet_id": SUBNET_ID,
             "network_security_group_id": state["network_security_group_id"] + "-v2"},
            [],
        )
    )  # fmt: skip
    properties = env.bodies[SUBNET_ID.lower()]["properties"]
    properties["networkSecurityGroup"] = {"id": state["network_security_group_id"] + "-v2"}
    properties["routeTable"] = {"id": f"{VNET_ID.split('/providers/')[0]}/providers/"
                                "Microsoft.Network/routeTables/rt-stockapp-prod"}  # fmt: skip
    analysis = verify(env, PATHS[path])
    assert analysis.findings == () and analysis.not_checked == ()
    assert analysis.exit_code == 0


def test_a_prod_subnet_behind_tests_network_security_group_is_an_isolation_finding() -> None:
    prod = FIXTURE.world()
    test_nsg = f"{TEST_RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-stockapp-test"
    prod.bodies[SUBNET_ID.lower()]["properties"]["networkSecurityGroup"] = {"id": test_nsg}
    inline = prod.bodies[VNET_ID.lower()]["properties"]["subnets"][0]  # the network's copy
    inline["properties"]["networkSecurityGroup"] = {"id": test_nsg}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(prod).install(rsps)
        live = run_verify(prod).inventory.bodies

    test = Environment(name="test")
    rg = {"id": TEST_RG, "name": "rg-stockapp-test", "location": "westeurope"}
    test.state_resources.append(_state_entry("azurerm_resource_group", "main", rg, []))
    found = isolation_findings(
        EnvironmentData("prod", "prod.tfstate", parse_state(dumps(prod.state_v4()), "prod"), live),
        [EnvironmentData("test", "test.tfstate", parse_state(dumps(test.state_v4()), "test"))],
    )
    subnet = [f for f in found if f.resource_id.lower() == SUBNET_ID.lower()]
    assert [(f.kind, f.severity, f.address) for f in subnet] == [
        (FindingKind.ISOLATION, Severity.HIGH, "azurerm_subnet.apps")
    ]
    assert "nsg-stockapp-test" in str(subnet[0].actual)


def _behind_tests_nsg(prod: Environment, *, subnet_state: bool = True) -> str:
    """Put every copy of the prod subnet behind test's NSG: the subnet's state and body, and
    its network's copies (`subnet` blocks in the state, `properties.subnets` in Azure)."""
    test_nsg = f"{TEST_RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-stockapp-test"
    if subnet_state:
        _subnet_state(prod)["network_security_group_id"] = test_nsg
    prod.bodies[SUBNET_ID.lower()]["properties"]["networkSecurityGroup"] = {"id": test_nsg}
    vnet = next(r for r in prod.state_resources if r["type"] == "azurerm_virtual_network")
    instance = vnet["instances"][0]
    instance["attributes"] = copy.deepcopy(instance["attributes"])
    instance["attributes"]["subnet"][0]["security_group"] = test_nsg
    inline = prod.bodies[VNET_ID.lower()]["properties"]["subnets"][0]
    inline["properties"]["networkSecurityGroup"] = {"id": test_nsg}
    return test_nsg


def _isolation(prod: Environment, live: bool = True) -> list[Finding]:
    test = Environment(name="test")
    rg = {"id": TEST_RG, "name": "rg-stockapp-test", "location": "westeurope"}
    test.state_resources.append(_state_entry("azurerm_resource_group", "main", rg, []))
    return isolation_findings(
        EnvironmentData(
            "prod",
            "prod.tfstate",
            parse_state(dumps(prod.state_v4()), "prod"),
            tuple(prod.bodies.values()) if live else None,
        ),
        [EnvironmentData("test", "test.tfstate", parse_state(dumps(test.state_v4()), "test"))],
    )


def test_a_subnets_reference_is_one_finding_not_a_second_on_its_networks_copy() -> None:
    prod = FIXTURE.world()
    _behind_tests_nsg(prod)
    [finding] = _isolation(prod)
    assert (finding.address, finding.attribute) == (
        "azurerm_subnet.apps",
        "network_security_group_id",
    )
    assert finding.message.endswith("found in the state and Azure")


def test_a_subnet_declared_inside_its_network_is_reported_as_the_subnet_seen_in_both() -> None:
    """No `azurerm_subnet` in the state: the network's `subnet` block is the state's copy."""
    prod = FIXTURE.world()
    _behind_tests_nsg(prod, subnet_state=False)
    prod.state_resources = [r for r in prod.state_resources if r["type"] != "azurerm_subnet"]
    [finding] = _isolation(prod)
    assert finding.resource_id == SUBNET_ID
    assert (finding.type, finding.attribute) == ("azurerm_subnet", "security_group")
    assert finding.message.endswith("found in the state and Azure")


def test_a_subnet_known_only_from_its_networks_copy_is_reported_on_the_network() -> None:
    prod = FIXTURE.world()
    _behind_tests_nsg(prod, subnet_state=False)
    prod.state_resources = [r for r in prod.state_resources if r["type"] != "azurerm_subnet"]
    [finding] = _isolation(prod, live=False)
    assert (finding.address, finding.attribute) == (
        "azurerm_virtual_network.main",
        "subnet.0.security_group",
    )
