"""azurerm_private_endpoint: what is particular to it beyond the registry harness."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import responses

from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.model import FindingKind, Severity
from provisioner.state import parse_state
from tests.arm_fake import ArmFake, run_verify
from tests.factories import Environment, _state_entry, dumps
from tests.test_registry import FIXTURES_BY_TYPE, PATHS
from tests.test_registry import _verify as verify

FIXTURE = FIXTURES_BY_TYPE["azurerm_private_endpoint"]
ENDPOINT_ID = FIXTURE.arm_id
TEST_RG = ENDPOINT_ID.split("/providers/")[0].replace("rg-stockapp-prod", "rg-stockapp-test")
TEST_STORAGE = f"{TEST_RG}/providers/Microsoft.Storage/storageAccounts/ststockapptest"


def _world() -> tuple[Environment, dict[str, Any], dict[str, Any]]:
    """The fixture's world; the endpoint's state attributes (a copy) and its ARM body."""
    env = FIXTURE.world()
    instance = env.state_resources[-1]["instances"][0]
    instance["attributes"] = copy.deepcopy(instance["attributes"])
    return env, instance["attributes"], env.bodies[ENDPOINT_ID.lower()]


@pytest.mark.parametrize("path", PATHS)
def test_a_manual_connection_is_read_from_arms_manual_list(path: str) -> None:
    env, state, body = _world()
    connection = state["private_service_connection"][0]
    connection.update(is_manual_connection=True, request_message="stockapp prod, ticket 4711")
    properties = body["properties"]
    [pending] = properties.pop("privateLinkServiceConnections")
    pending["properties"]["privateLinkServiceConnectionState"]["status"] = "Pending"
    pending["properties"]["requestMessage"] = "stockapp prod, ticket 4711"
    properties.update(
        privateLinkServiceConnections=[], manualPrivateLinkServiceConnections=[pending]
    )
    analysis = verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0

    properties.update(
        privateLinkServiceConnections=[pending], manualPrivateLinkServiceConnections=[]
    )
    analysis = verify(env, PATHS[path])
    assert [(f.attribute, f.expected, f.actual) for f in analysis.findings] == [
        ("private_service_connection.is_manual_connection", True, False)
    ]


def test_the_network_interface_azure_made_is_read_but_never_drift() -> None:
    env, state, body = _world()
    recreated = state["network_interface"][0]["id"].replace("8d2f61c4", "0b7e35a9")
    body["properties"]["networkInterfaces"] = [{"id": recreated}]
    analysis = verify(env, True)
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
def test_the_network_interface_azure_made_for_it_is_not_unmanaged(path: str) -> None:
    env, state, _ = _world()
    made = state["network_interface"][0]["id"]
    by_hand = made.rsplit("/", 1)[0] + "/nic-debug-vm"
    for nic in (made, by_hand):
        env.bodies[nic.lower()] = {
            "id": nic, "name": nic.rsplit("/", 1)[1], "location": "westeurope",
            "type": "Microsoft.Network/networkInterfaces",
            "properties": {"ipConfigurations": []},
        }  # fmt: skip
    env.bodies[made.lower()]["properties"]["privateEndpoint"] = {"id": ENDPOINT_ID}
    analysis = verify(env, PATHS[path])
    assert [(f.kind, f.resource_id) for f in analysis.findings] == [
        (FindingKind.UNMANAGED, by_hand)
    ]


def test_a_prod_endpoint_into_tests_storage_account_is_an_isolation_finding() -> None:
    prod, state, body = _world()
    state["private_service_connection"][0]["private_connection_resource_id"] = TEST_STORAGE
    [connection] = body["properties"]["privateLinkServiceConnections"]
    connection["properties"]["privateLinkServiceId"] = TEST_STORAGE
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
    assert [(f.kind, f.severity, f.address) for f in found] == [
        (FindingKind.ISOLATION, Severity.HIGH, "azurerm_private_endpoint.storage_blob")
    ]
    assert "ststockapptest" in str(found[0].actual)
