"""Environment tags: `environment`/`env` must name the environment a resource is in."""

from __future__ import annotations

from typing import Any

from provisioner.analysers.isolation.owned import index_of
from provisioner.analysers.isolation.sources import EnvironmentData, sources
from provisioner.analysers.isolation.tags import tag_findings
from provisioner.model import Finding, Severity, StateResource
from provisioner.state.reader import StateDocument

RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-test"
ACR = f"{RG}/providers/Microsoft.ContainerRegistry/registries/acrtest"


def tags_of(
    state_tags: dict[str, Any], live_tags: dict[str, Any] | None = None, shared: str = ""
) -> list[Finding]:
    record = StateResource("azurerm_container_registry.acr", "azurerm_container_registry",
                           {"id": ACR, "tags": state_tags})  # fmt: skip
    body = {"id": ACR, "type": "Microsoft.ContainerRegistry/registries", "tags": live_tags}
    test = EnvironmentData("test", "t", StateDocument("t", (record,)), [body])
    others = [EnvironmentData("prod", "p"), EnvironmentData("Test", "x")]
    index = index_of("test", [sources(test), *map(sources, others)], (shared,) if shared else ())
    return tag_findings(test, others, sources(test), index)


def test_a_tag_naming_another_environment_is_medium_and_none_is_low() -> None:
    found = tags_of({"environment": " prod ", "Env": "staging", "app": "prod"})
    assert [(f.attribute, f.actual, f.severity) for f in found] == [
        ("tags.environment", "prod", Severity.MEDIUM),
        ("tags.Env", "staging", Severity.LOW),
    ]
    assert found[0].message == (
        "tag environment='prod' names prod, but the resource belongs to test; found in the state"
    )
    assert found[1].message.startswith("tag Env='staging' names no environment; expected 'test'")


def test_the_same_tag_in_the_state_and_azure_is_one_finding() -> None:
    (finding,) = tags_of({"env": "prod"}, {"ENV": "Prod"})
    assert finding.message.endswith("; found in the state and Azure")


def test_the_targets_own_name_in_any_case_and_shared_resources_are_fine() -> None:
    assert tags_of({"environment": "TEST"}, {"environment": 7}) == []
    assert tags_of({"environment": "prod"}, shared="acrtest") == []
