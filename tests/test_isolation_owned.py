"""What each environment owns, and how a token is resolved to its most specific owner."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from provisioner.analysers.isolation.owned import Index, Kind, Owned, index_of, owned_by
from provisioner.analysers.isolation.sources import EnvironmentData, Source, sources
from provisioner.model import StateResource
from provisioner.state.reader import StateDocument

SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
PROD_RG = f"{SUB}/resourceGroups/rg-prod"
TEST_RG = f"{SUB}/resourceGroups/rg-test"


def source(doc: Mapping[str, Any], *types: str, env: str = "prod") -> Source:
    key = str(doc.get("id", "")).lower() or "azurerm_thing.x"
    return Source(env, "Azure", key, str(doc.get("id", key)), None, None, frozenset(types), doc)


def owned(doc: Mapping[str, Any], *types: str) -> list[tuple[Kind, str, str]]:
    return [(o.kind, o.value, o.label) for o in owned_by(source(doc, *types))]


def record(address: str, attributes: dict[str, Any]) -> StateResource:
    return StateResource(address, address.split(".")[0], attributes)


def environment(name: str, *records: StateResource) -> EnvironmentData:
    return EnvironmentData(name, f"{name}.tfstate", StateDocument(f"{name}.tfstate", records))


# -- owned_by ---------------------------------------------------------------------------------


def test_a_body_owns_its_id_and_the_computed_names_owned_lists() -> None:
    body = {
        "id": f"{PROD_RG}/providers/Microsoft.App/containerApps/ca-api",
        "tags": {"fqdn": "not.owned.example.com"},  # only OWNED paths count
        "properties": {
            "latestRevisionFqdn": "CA-API--R1.Example.IO.",
            "outboundIpAddresses": ["20.1.2.3", "not an ip", " 20.1.2.4 "],
            "configuration": {"ingress": {"fqdn": "https://ca-api.example.io/path"}},
        },
    }
    assert owned(body, "microsoft.app/containerapps") == [
        (Kind.ID, body["id"].lower(), "resource"),
        (Kind.HOST, "ca-api--r1.example.io", "revision FQDN"),
        (Kind.IP, "20.1.2.3", "outbound IP"),
        (Kind.IP, "20.1.2.4", "outbound IP"),
        (Kind.HOST, "ca-api.example.io", "ingress FQDN"),
    ]


def test_principal_and_client_ids_are_owned_only_by_identities() -> None:
    grant = {"principal_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "client_id": "x"}
    assert owned(grant, "azurerm_role_assignment") == []
    assert owned(grant, "azurerm_user_assigned_identity") == [
        (Kind.GUID, grant["principal_id"], "principal ID")
    ]


def test_digit_keys_dotted_keys_and_other_mappings_count_like_nested_lists() -> None:
    doc = MappingProxyType(
        {
            "outbound_ip_addresses": {"1": "20.0.0.2", "0": "20.0.0.1", "x": "20.0.0.9"},
            "properties.loginServer": "acrprod.azurecr.io",
            "identity": ({"principal_id": "11111111-2222-4333-8444-555555555555"},),
        }
    )
    assert owned(doc) == [
        (Kind.IP, "20.0.0.2", "outbound IP"),  # document order, not numeric order
        (Kind.IP, "20.0.0.1", "outbound IP"),
        (Kind.HOST, "acrprod.azurecr.io", "login server"),
        (Kind.GUID, "11111111-2222-4333-8444-555555555555", "managed identity principal ID"),
    ]


def test_a_planned_object_owns_no_id() -> None:
    planned = Source(
        "test", "plan", f"{TEST_RG}/x", f"{TEST_RG}/x", "a.b", "a", frozenset(), {"fqdn": "a.io"}
    )
    assert [o.kind for o in owned_by(planned)] == [Kind.HOST]


# -- resolving tokens -------------------------------------------------------------------------


@pytest.fixture
def index() -> Index:
    prod = environment(
        "prod",
        record("azurerm_resource_group.rg", {"id": PROD_RG}),
        record("azurerm_storage_account.logs", {"id": f"{PROD_RG}/providers/S/a/stlogs"}),
        # test's registry, misplaced into prod's resource group
        record("azurerm_container_app_environment.env", {
            "id": f"{PROD_RG}/providers/Microsoft.App/managedEnvironments/cae",
            "default_domain": "nicebeach.westeurope.azurecontainerapps.io",
            "static_ip_address": "20.23.45.67",
        }),
        record("azurerm_container_app.api", {
            "id": f"{PROD_RG}/providers/Microsoft.App/containerApps/api",
            "ingress": [{"fqdn": "api.nicebeach.westeurope.azurecontainerapps.io"}],
            "outbound_ip_addresses": ["20.23.45.101", "20.23.45.100", "2603:1020::1f4"],
        }),
    )  # fmt: skip
    test = environment(
        "test",
        record("azurerm_resource_group.rg", {"id": TEST_RG}),
        record("azurerm_container_registry.acr", {"id": f"{PROD_RG}/providers/R/r/acrtest"}),
    )
    return index_of("test", [sources(test), sources(prod)], ())


def owners(found: list[Owned]) -> list[str]:
    return [f"{o.env} {o.owner}" for o in found]


def test_an_id_resolves_to_its_most_specific_owner(index: Index) -> None:
    found, exact = index.resolve_id(f"{PROD_RG}/providers/S/a/stlogs")
    assert (owners(found), exact) == (["prod azurerm_storage_account.logs"], True)
    found, exact = index.resolve_id(f"{PROD_RG.upper()}/providers/S/a/stlogs/blobServices/x")
    assert (owners(found), exact) == (["prod azurerm_storage_account.logs"], False)
    found, exact = index.resolve_id(f"{PROD_RG}//providers/S/a/unknown")
    assert (owners(found), exact) == (["prod azurerm_resource_group.rg"], False)


def test_the_targets_own_resource_in_prods_group_resolves_to_nothing(index: Index) -> None:
    assert index.resolve_id(f"{PROD_RG}/providers/R/r/acrtest/webhooks/w") == ([], False)
    assert index.resolve_id(f"{SUB}/resourceGroups") == ([], True)  # too short to be owned


def test_a_host_resolves_exactly_or_by_the_domain_it_lies_in(index: Index) -> None:
    assert owners(index.resolve_host("API.nicebeach.westeurope.azurecontainerapps.io.")) == [
        "prod azurerm_container_app.api"
    ]
    assert owners(index.resolve_host("web.nicebeach.westeurope.azurecontainerapps.io")) == [
        "prod azurerm_container_app_environment.env"
    ]
    assert index.resolve_host("a." * 127 + "nicebeach.westeurope.azurecontainerapps.io") == []
    assert index.resolve_host("nicebeach.example.com") == []


def ips(first: str, last: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    return ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)


def test_a_range_resolves_to_every_owned_ip_in_it_in_the_order_they_were_added(
    index: Index,
) -> None:
    found = index.resolve_network(*ips("20.23.45.0", "20.23.45.255"))
    assert [o.value for o in found] == ["20.23.45.67", "20.23.45.101", "20.23.45.100"]
    assert [o.value for o in index.resolve_network(*ips("20.23.45.100", "20.23.45.100"))] == [
        "20.23.45.100"
    ]
    assert index.resolve_network(*ips("20.23.45.102", "20.23.45.200")) == []
    assert index.resolve_network(*ips("20.23.45.200", "20.23.45.0")) == []  # reversed
    assert index.resolve_network(*ips("16.0.0.0", "31.255.255.255")) == []  # wider than a /8
    v6 = ipaddress.IPv6Address("2603:1020::1f4")
    assert [o.value for o in index.resolve_network(v6, v6)] == ["2603:1020::1f4"]


@pytest.mark.parametrize(
    "shared", ["nicebeach.westeurope.azurecontainerapps.io", "cae", f"{PROD_RG.upper()}/"]
)
def test_everything_a_shared_resource_owns_is_shared(shared: str) -> None:
    prod = environment(
        "prod",
        record("azurerm_resource_group.rg", {"id": PROD_RG}),
        record("azurerm_container_app_environment.env", {
            "id": f"{PROD_RG}/providers/Microsoft.App/managedEnvironments/cae",
            "default_domain": "nicebeach.westeurope.azurecontainerapps.io",
        }),
    )  # fmt: skip
    index = index_of("test", [sources(environment("test")), sources(prod)], (shared,))
    assert index.resolve_host("web.nicebeach.westeurope.azurecontainerapps.io") == []
    assert index.resolve_id(f"{PROD_RG}/providers/Microsoft.App/managedEnvironments/cae")[0] == []
    assert index.is_shared(f"{PROD_RG}/providers/Microsoft.App/managedEnvironments/cae/x".lower())
    whole_group = shared.startswith("/")
    assert bool(index.resolve_id(f"{PROD_RG}/providers/S/a/other")[0]) is not whole_group
