import json
from pathlib import Path

import pytest

from provisioner.errors import StateError
from provisioner.state import load_state, parse_state
from tests.conftest import FIXTURES

TF = FIXTURES / "terraform"


def test_state_v4_skips_data_sources_and_keeps_sensitive_paths() -> None:
    doc = load_state(TF / "driftctl_azurerm_network_security_group.tfstate.json")
    assert doc.terraform_version == "0.15.5"
    assert [r.address for r in doc.resources] == [
        "azurerm_network_security_group.example",
        "azurerm_network_security_group.example-1",
        "azurerm_resource_group.example",
    ]
    assert doc.resources[2].attributes["tags"] == {}


def test_state_with_null_tags_reads() -> None:
    doc = load_state(TF / "tfadd_azurerm_resource_groups.tfstate.json")
    assert {r.address for r in doc.resources} == {
        "azurerm_resource_group.a",
        "azurerm_resource_group.b",
    }
    assert all(r.attributes["tags"] is None for r in doc.resources)


def test_plan_json_reads_its_prior_state_and_skips_data_sources() -> None:
    doc = load_state(TF / "zodiacae_privatecontainers-master.plan.json")
    assert doc.terraform_version == "1.9.4"
    assert doc.resources == ()  # its prior state only holds data sources


def _show_json_resource(address: str, index: object = None) -> dict[str, object]:
    res: dict[str, object] = {
        "address": address,
        "mode": "managed",
        "type": "azurerm_container_app",
        "name": "app",
        "values": {
            "id": "/subscriptions/s/resourceGroups/rg",
            "secret": [{"name": "db", "value": "s3cret"}],
        },
        "sensitive_values": {"secret": [{"value": True}]},
    }
    if index is not None:
        res["index"] = index
    return res


def test_show_json_walks_child_modules_and_keeps_index_keys() -> None:
    text = json.dumps(
        {
            "format_version": "1.0",
            "terraform_version": "1.9.8",
            "values": {
                "root_module": {
                    "resources": [
                        _show_json_resource("azurerm_container_app.app[0]", 0),
                        {
                            "address": "data.azurerm_client_config.c",
                            "mode": "data",
                            "type": "azurerm_client_config",
                            "name": "c",
                            "values": {},
                        },
                    ],
                    "child_modules": [
                        {
                            "address": "module.web",
                            "resources": [
                                _show_json_resource(
                                    'module.web.azurerm_container_app.app["blue"]', "blue"
                                )
                            ],
                            "child_modules": [
                                {
                                    "address": "module.web.module.inner",
                                    "resources": [
                                        _show_json_resource(
                                            "module.web.module.inner.azurerm_container_app.app"
                                        )
                                    ],
                                }
                            ],
                        }
                    ],
                }
            },
        }
    )
    doc = parse_state(text, source="show.json")
    assert [r.address for r in doc.resources] == [
        "azurerm_container_app.app[0]",
        'module.web.azurerm_container_app.app["blue"]',
        "module.web.module.inner.azurerm_container_app.app",
    ]
    assert doc.resources[0].sensitive_paths == frozenset({"secret.0.value"})


def test_v4_addresses_carry_module_and_for_each_keys() -> None:
    text = json.dumps(
        {
            "version": 4,
            "resources": [
                {
                    "module": 'module.env["prod"]',
                    "mode": "managed",
                    "type": "azurerm_resource_group",
                    "name": "rg",
                    "instances": [
                        {
                            "index_key": "a",
                            "attributes": {"id": "x"},
                            "sensitive_attributes": [
                                [
                                    {"type": "get_attr", "value": "secret"},
                                    {"type": "index", "value": {"value": 0, "type": "number"}},
                                ]
                            ],
                        },
                        {"index_key": 1, "attributes": {"id": "y"}},
                    ],
                }
            ],
        }
    )
    doc = parse_state(text, source="s")
    assert [r.address for r in doc.resources] == [
        'module.env["prod"].azurerm_resource_group.rg["a"]',
        'module.env["prod"].azurerm_resource_group.rg[1]',
    ]
    assert doc.resources[0].sensitive_paths == frozenset({"secret.0"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"version": 3, "resources": []}', "format version 3 is not supported"),
        ('{"hello": "world"}', "is not a Terraform state"),
    ],
)
def test_bad_state_text_gives_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(StateError, match=message):
        parse_state(text, source="x.json")


def test_missing_state_file_is_a_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="state file not found"):
        load_state(tmp_path / "nope.tfstate")
