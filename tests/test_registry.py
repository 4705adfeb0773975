"""Every type in the registry, read end to end on both paths from its fixture.

Each registered azurerm type has one fixture, `tests/fixtures/types/<tf_type>.json`: the
resource as Terraform's state records it and as Azure's GET returns it (shaped like the
REST API specification's example for the type), the resources it needs beside it (its
parent, a workspace it names), and planted drift: a change to the ARM body and the one
finding it must give. This file runs every fixture through the real ARM client against
`ArmFake`, on the Resource Graph path and the list path, so a type with no complete read
path, or one whose thin generic-list body would be compared, fails here.

Adding a type: its registry entry, its fixture, and (if it needs one) a test of its own.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import responses

from provisioner.model import FindingKind, ResourceId
from provisioner.registry import TYPES, Placement, by_arm_type, by_tf_type
from provisioner.registry.resource_groups import RESOURCE_GROUP
from tests.arm_fake import ArmFake, error_body, run_verify
from tests.factories import Environment, _state_entry

FIXTURES = Path(__file__).parent / "fixtures" / "types"
PATHS = {"resource-graph": True, "lists": False}


@dataclass(frozen=True)
class TypeFixture:
    tf_type: str
    doc: dict[str, Any]

    @property
    def resource(self) -> dict[str, Any]:
        return {**self.doc["resource"], "azure": self.doc["azure"]}

    @property
    def members(self) -> list[dict[str, Any]]:
        """The resource and the companions it needs, each with state attributes and body."""
        return [*self.doc.get("with", []), self.resource]

    @property
    def arm_id(self) -> str:
        return str(self.doc["azure"]["id"])

    def world(self, *, in_state: bool = True) -> Environment:
        """State and Azure holding the resource, its companions and their resource group."""
        rid = ResourceId.parse(self.arm_id)
        env = Environment(name="prod", subscription=rid.subscription_id)
        group = f"/subscriptions/{rid.subscription_id}/resourceGroups/{rid.resource_group}"
        location = "westeurope"
        env.bodies[group.lower()] = {
            "id": group, "name": rid.resource_group, "type": RESOURCE_GROUP.arm_type,
            "location": location, "properties": {"provisioningState": "Succeeded"},
        }  # fmt: skip
        members = self.members
        if self.tf_type != RESOURCE_GROUP.tf_type:
            members = [
                {"address": "azurerm_resource_group.main", "azure": env.bodies[group.lower()],
                 "attributes": {"id": group, "name": rid.resource_group, "location": location}},
                *members,
            ]  # fmt: skip
        for member in members:
            env.bodies[str(member["azure"]["id"]).lower()] = copy.deepcopy(member["azure"])
            if member is members[-1] and not in_state:
                continue
            tf_type, name = member["address"].split(".", 1)
            env.state_resources.append(
                _state_entry(tf_type, name, member["attributes"], member.get("sensitive", []))
            )
        return env


def _fixtures() -> list[TypeFixture]:
    return [TypeFixture(p.stem, json.loads(p.read_text())) for p in sorted(FIXTURES.glob("*.json"))]


FIXTURES_BY_TYPE = {f.tf_type: f for f in _fixtures()}


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for step in parents:
        doc = doc[int(step)] if isinstance(doc, list) else doc.setdefault(step, {})
    doc[last] = value


def _verify(env: Environment, resource_graph: bool, **fake: Any) -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(env, **fake).install(rsps)
        return run_verify(env_state(env), resource_graph=resource_graph).analysis


def env_state(env: Environment) -> Environment:
    """The same environment as the state sees it (state records only matter there)."""
    return env


def test_every_registered_type_has_a_fixture_and_every_fixture_a_type() -> None:
    assert sorted(FIXTURES_BY_TYPE) == sorted(spec.tf_type for spec in TYPES)
    for fixture in FIXTURES_BY_TYPE.values():
        spec = by_tf_type(fixture.tf_type)
        assert spec is not None
        assert ResourceId.parse(fixture.arm_id).arm_type.lower() == spec.arm_type.lower()
        assert fixture.doc["source"], "say where the body's shape comes from"
        assert fixture.doc["drift"], "plant at least one drift"


def test_every_type_has_a_read_path_and_shared_arm_types_are_told_apart() -> None:
    by_arm: dict[str, list[str]] = {}
    for spec in TYPES:
        by_arm.setdefault(spec.arm_type.lower(), []).append(spec.tf_type)
        assert spec.api_version, spec.tf_type
        if spec.listed.placement is Placement.PARENT:
            parent = by_arm_type(spec.listed.parent or "")
            assert parent is not None, f"{spec.tf_type}: its parent type is not registered"
            assert spec.arm_type.lower().startswith(parent.arm_type.lower() + "/")
    for arm_type, tf_types in by_arm.items():
        if len(tf_types) > 1:
            shared = [by_tf_type(t) for t in tf_types]
            assert all(s is not None and s.accepts for s in shared), (arm_type, tf_types)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("tf_type", sorted(FIXTURES_BY_TYPE))
def test_a_clean_resource_reads_clean_on_both_paths(tf_type: str, path: str) -> None:
    fixture = FIXTURES_BY_TYPE[tf_type]
    env = fixture.world()
    analysis = _verify(env, PATHS[path])
    assert analysis.findings == ()
    assert analysis.unread == () and analysis.not_checked == ()
    assert analysis.resources_checked == len(env.state_resources)
    assert analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("tf_type", sorted(FIXTURES_BY_TYPE))
def test_planted_drift_is_found_on_both_paths(tf_type: str, path: str) -> None:
    fixture = FIXTURES_BY_TYPE[tf_type]
    for change in fixture.doc["drift"]:
        env = fixture.world()
        _set(env.bodies[fixture.arm_id.lower()], change["set"], change["to"])
        analysis = _verify(env, PATHS[path])
        found = [(f.kind, f.attribute, f.expected, f.actual) for f in analysis.findings]
        expected = (FindingKind.CHANGED, change["attribute"], change["expected"], change["actual"])
        assert found == [expected], change
        assert analysis.findings[0].address == fixture.doc["resource"]["address"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("tf_type", sorted(FIXTURES_BY_TYPE))
def test_made_by_hand_it_is_unmanaged_with_its_azurerm_type(tf_type: str, path: str) -> None:
    fixture = FIXTURES_BY_TYPE[tf_type]
    if tf_type == RESOURCE_GROUP.tf_type:
        pytest.skip("a resource group outside the state is outside the environment's scope")
    analysis = _verify(fixture.world(in_state=False), PATHS[path])
    assert [(f.kind, f.type, f.resource_id.lower()) for f in analysis.findings] == [
        (FindingKind.UNMANAGED, tf_type, fixture.arm_id.lower())
    ]


@pytest.mark.parametrize("tf_type", sorted(FIXTURES_BY_TYPE))
def test_when_its_full_read_fails_it_is_unknown_never_compared(tf_type: str) -> None:
    """The generic list still shows the resource without its properties: never drift."""
    fixture = FIXTURES_BY_TYPE[tf_type]
    spec = by_tf_type(tf_type)
    assert spec is not None
    rid = ResourceId.parse(fixture.arm_id)
    if spec.listed.placement is Placement.PARENT:
        failing = f"/{spec.child_segment}"
    elif (spec.is_top_level and spec.reads_properties) or spec.listed.placement is Placement.SCOPE:
        failing = f"/providers/{spec.arm_type}"
    else:
        pytest.skip(f"{tf_type} is read whole by the list that finds it")
    denied = (403, error_body("AuthorizationFailed", f"no read on {rid.arm_type}"))
    env = fixture.world()
    analysis = _verify(env, False, failures={failing.lower(): denied})
    assert [f for f in analysis.findings if f.kind.is_drift] == []
    assert analysis.exit_code == 1
    assert any(u.what.lower() == spec.arm_type.lower() for u in analysis.unread)


@pytest.mark.parametrize("tf_type", sorted(FIXTURES_BY_TYPE))
def test_properties_null_is_unknown_not_a_change(tf_type: str) -> None:
    fixture = FIXTURES_BY_TYPE[tf_type]
    spec = by_tf_type(tf_type)
    assert spec is not None
    if not spec.reads_properties:
        pytest.skip(f"{tf_type} reads nothing under properties")
    env = fixture.world()
    env.bodies[fixture.arm_id.lower()]["properties"] = None
    for path in PATHS.values():
        analysis = _verify(env, path)
        assert [f for f in analysis.findings if f.kind is FindingKind.CHANGED] == []
        assert analysis.exit_code == 1
        [unread] = [u for u in analysis.unread if u.scope.lower() == fixture.arm_id.lower()]
        assert "without its properties" in unread.reason
