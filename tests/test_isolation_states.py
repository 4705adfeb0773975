"""Two environments on one state: a shared state key, a resource in two states."""

from __future__ import annotations

from typing import Any

from provisioner.analysers.isolation.owned import index_of
from provisioner.analysers.isolation.sources import EnvironmentData, sources
from provisioner.analysers.isolation.states import state_key_findings, two_states_findings
from provisioner.model import Finding, StateResource
from provisioner.state.reader import StateDocument

SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
PROD_RG = f"{SUB}/resourceGroups/rg-prod"
PROD_ACR = f"{PROD_RG}/providers/Microsoft.ContainerRegistry/registries/acrprod"


def environment(name: str, key: str, *records: tuple[str, dict[str, Any]]) -> EnvironmentData:
    resources = tuple(StateResource(a, a.split(".")[0], attrs) for a, attrs in records)
    return EnvironmentData(name, key, StateDocument(key, resources))


PROD = environment(
    "prod", "prod.tfstate",
    ("azurerm_resource_group.rg", {"id": PROD_RG}),
    ("azurerm_container_registry.acr", {"id": PROD_ACR}),
)  # fmt: skip


def two_states(target: EnvironmentData, shared: tuple[str, ...] = ()) -> list[Finding]:
    index = index_of(target.name, [sources(target), sources(PROD)], shared)
    return two_states_findings(target, [PROD], index)


def test_a_state_key_two_environments_use_is_reported_once_per_environment() -> None:
    staging = environment("staging", " prod.tfstate ")
    (finding,) = state_key_findings(staging, [PROD, environment("test", "test.tfstate")])
    assert (finding.attribute, finding.actual) == ("state_key", "prod.tfstate")
    assert "staging and prod use the same state key" in finding.message
    assert state_key_findings(environment("test", ""), [environment("x", "")]) == []


def test_a_resource_in_both_states_and_one_inside_anothers_resource() -> None:
    test = environment(
        "test", "test.tfstate",
        ("azurerm_container_registry.acr", {"id": PROD_ACR.upper().replace("/SUB", "/sub")}),
        ("azurerm_container_registry_webhook.w", {"id": f"{PROD_ACR}/webhooks/w"}),
        ("azurerm_resource_group.own", {"id": f"{SUB}/resourceGroups/rg-test"}),
        ("azurerm_thing.no_id", {}),
    )  # fmt: skip
    found = two_states(test)
    assert [(f.address, f.message.split(":")[0]) for f in found] == [
        ("azurerm_container_registry.acr",
         "azurerm_container_registry.acr is also in prod's state (as "
         "azurerm_container_registry.acr)"),
        ("azurerm_container_registry_webhook.w",
         f"azurerm_container_registry_webhook.w lies under prod's "
         f"azurerm_container_registry.acr ({PROD_ACR}), which prod's state manages"),
    ]  # fmt: skip


def test_a_shared_resource_may_be_in_both_states() -> None:
    test = environment("test", "test.tfstate", ("azurerm_container_registry.acr", {"id": PROD_ACR}))
    assert two_states(test, shared=("acrprod",)) == []
