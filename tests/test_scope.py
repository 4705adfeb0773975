"""Every read path reads the same scope, and says so when it cannot.

An environment's scope is: its resource groups and everything top-level in them; every
registered parent's children (a server's firewall rules); the role assignments at or under
its groups; and the resources tagged `environment=<name>` anywhere else in the
subscription. The Resource Graph path, the list path (`--no-resource-graph`, and the
fallback when Resource Graph is refused) and a snapshot replayed offline must find the same
resources in it; when one part cannot be read, each path must say which (exit 1), never
report clean.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.arm_fake import ArmFake, error_body
from tests.conftest import write_state
from tests.factories import Environment

runner = CliRunner()
PATHS = ("resource-graph", "lists", "snapshot")


def world() -> tuple[Environment, Environment]:
    """The state, and Azure with one hand-made resource in every part of the scope."""
    state = Environment(name="prod").build()
    live = Environment(name="prod").build()
    sub, rg = live.subscription, live.rg
    group = f"/subscriptions/{sub}/resourceGroups/{rg}"
    shared = f"/subscriptions/{sub}/resourceGroups/rg-shared"
    widget = f"{group}/providers/Microsoft.Contoso/widgets/w1"
    registry = copy.deepcopy(live.find("/registries/acrstockappprod"))
    tagged_registry = f"{shared}/providers/Microsoft.ContainerRegistry/registries/acrprodcopy"
    registry.update(id=tagged_registry, name="acrprodcopy", tags={"environment": "Prod"})
    tagged_widget = f"{shared}/providers/Microsoft.Contoso/widgets/w2"
    server = live.find("/flexibleServers/psql-stockapp-prod")["id"]
    rule = f"{server}/firewallRules/by-hand"
    assignment = (f"{group}/providers/Microsoft.Authorization/roleAssignments/"
                  "9d3c4b5a-6f7e-4d8c-9b0a-1c2d3e4f5a6b")  # fmt: skip
    bodies: list[dict[str, Any]] = [
        {"id": widget, "name": "w1", "type": "Microsoft.Contoso/widgets"},
        {"id": shared, "name": "rg-shared", "type": "Microsoft.Resources/resourceGroups",
         "location": "westeurope", "tags": {}},
        registry,
        {"id": tagged_widget, "name": "w2", "type": "Microsoft.Contoso/widgets",
         "tags": {"environment": "prod"}},
        {"id": rule, "name": "by-hand",
         "type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
         "properties": {"startIpAddress": "198.51.100.7", "endIpAddress": "198.51.100.7"}},
        {"id": assignment, "name": assignment.rsplit("/", 1)[1],
         "type": "Microsoft.Authorization/roleAssignments",
         "properties": {"scope": group, "principalId": "44444444-2222-3333-4444-555555555555",
                        "principalType": "User", "roleDefinitionId":
                        f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/"
                        "b24988ac-6180-42a0-ab88-20f7382dd24c"}},
        # above the group: inherited, nobody's environment, never reported
        {"id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/"
               "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
         "name": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
         "type": "Microsoft.Authorization/roleAssignments",
         "properties": {"scope": f"/subscriptions/{sub}", "principalType": "User",
                        "principalId": "55555555-2222-3333-4444-555555555555"}},
    ]  # fmt: skip
    for body in bodies:
        live.bodies[str(body["id"]).lower()] = body
    return state, live


HAND_MADE = {"w1", "acrprodcopy", "w2", "by-hand", "9d3c4b5a-6f7e-4d8c-9b0a-1c2d3e4f5a6b"}


def run(tmp_path: Path, path: str, failures: dict[str, Any] | None = None) -> Any:
    """`verify --format json` on the world through one read path; its JSON report."""
    state, live = world()
    state_file = write_state(tmp_path, state)
    args = ["verify", "--env", "prod", "--state", str(state_file), "-f", "json"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(live, failures=failures or {}).install(rsps)
        if path == "snapshot":
            snap = tmp_path / "live.json"
            taken = runner.invoke(
                app, ["snapshot", "--env", "prod", "--state", str(state_file), "-o", str(snap)]
            )
            assert taken.exit_code in (0, 1), taken.stderr
            args += ["--live", str(snap)]
        elif path == "lists":
            args.append("--no-resource-graph")
        result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("path", PATHS)
def test_every_path_finds_what_was_made_by_hand_in_every_part_of_the_scope(
    tmp_path: Path, path: str
) -> None:
    code, doc = run(tmp_path, path)
    assert code == 2
    assert doc["unread"] == []
    unmanaged = {f["resource_id"].rsplit("/", 1)[1] for f in doc["findings"]
                 if f["kind"] == "unmanaged"}  # fmt: skip
    assert unmanaged == HAND_MADE


# Each part of the scope, and the request that reads it on the list path (and, for the
# parts Resource Graph does not index, on every path).
PARTS = {
    "tagged elsewhere": "/subscriptions/3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70/resources",
    "role assignments": "/roleassignments",
    "a server's children": "/firewallrules",
    "a group's generic list": "/resourcegroups/rg-stockapp-prod/resources",
    "a typed list": "/providers/microsoft.containerregistry/registries",
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("part", PARTS)
def test_a_part_that_cannot_be_read_is_named_on_every_path(
    tmp_path: Path, path: str, part: str
) -> None:
    graph_denied = {"/providers/microsoft.resourcegraph/resources": (403, error_body(
        "AuthorizationFailed", "no Resource Graph"))}  # fmt: skip
    failures = {
        PARTS[part]: (403, error_body("AuthorizationFailed", f"denied: {part}")),
        # Resource Graph reads the group's top level and the tag scope in one query; to
        # make those parts fail there too, the query must fail and the fallback meet them.
        **(graph_denied if part in ("tagged elsewhere", "a group's generic list",
                                    "a typed list") else {}),
    }  # fmt: skip
    code, doc = run(tmp_path, path, failures)
    assert code == 1
    assert any(f"denied: {part}" in u["reason"] for u in doc["unread"]), doc["unread"]
