"""`azurerm_service_plan`: what is particular to App Service plans.

The registry harness (tests/test_registry.py) reads the plan end to end from its fixture;
these tests cover the OS, which azurerm derives from two flags rather than from `kind`,
and the import ID, whose `serverFarms` casing azurerm's importer insists on.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import hcl2
import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.mapping import from_arm
from provisioner.model import UNREADABLE
from provisioner.registry import Lookups
from tests.conftest import serve, write_state
from tests.test_registry import FIXTURES_BY_TYPE

PLAN = FIXTURES_BY_TYPE["azurerm_service_plan"]
runner = CliRunner()


def plan_body(**properties: Any) -> dict[str, Any]:
    body = copy.deepcopy(PLAN.doc["azure"])
    for key, value in properties.items():
        if value is None:
            body["properties"].pop(key, None)
        else:
            body["properties"][key] = value
    return body


@pytest.mark.parametrize(
    ("kind", "reserved", "hyper_v", "os_type"),
    [
        ("linux", True, False, "Linux"),
        ("app", True, None, "Linux"),  # `kind` does not decide: `reserved` does
        ("app", False, None, "Windows"),
        ("windows", False, True, "WindowsContainer"),
        ("linux", "true", "false", "Linux"),  # booleans written as strings
    ],
)
def test_the_os_is_read_from_reserved_and_hyper_v_as_azurerm_reads_it(
    kind: str, reserved: Any, hyper_v: Any, os_type: str
) -> None:
    body = plan_body(reserved=reserved, hyperV=hyper_v)
    body["kind"] = kind
    assert from_arm(body, Lookups()).attributes["os_type"] == os_type


@pytest.mark.parametrize("reserved", [None, "sometimes", 1])
def test_a_plan_without_a_readable_reserved_flag_has_no_known_os_not_windows(
    reserved: Any,
) -> None:
    # azurerm would call a plan without `reserved` Windows; for azprov that would be a false
    # "changed" finding on every Linux plan Azure returned incompletely.
    body = plan_body(reserved=reserved)
    assert from_arm(body, Lookups()).attributes["os_type"] is UNREADABLE


def test_an_unmanaged_plan_is_imported_with_the_id_casing_azurerm_parses(
    tmp_path: Path,
) -> None:
    env = PLAN.world(in_state=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, env)
        state = write_state(tmp_path, env)
        result = runner.invoke(app, ["import", "--env", "prod", "--state", str(state), "-o", "-"])
    assert result.exit_code == 0, result.stderr
    [block] = hcl2.loads(result.stdout)["import"]
    assert str(block["to"]).strip("${}") == "azurerm_service_plan.asp_stockapp_prod"
    assert str(block["id"]).strip('"') == (
        "/subscriptions/3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70/resourceGroups/rg-stockapp-prod"
        "/providers/Microsoft.Web/serverFarms/asp-stockapp-prod"
    )
