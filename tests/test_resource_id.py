import pytest

from provisioner.model import ResourceId
from provisioner.registry import canonical_id

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"


def test_ids_compare_case_insensitively_and_keep_canonical_keywords() -> None:
    lower = ResourceId.parse(f"{SUB}/resourcegroups/RG/providers/microsoft.app/containerapps/api")
    upper = ResourceId.parse(f"{SUB}/resourceGroups/rg/providers/Microsoft.App/containerApps/API")
    assert lower == upper and hash(lower) == hash(upper)
    assert lower.text.startswith(f"{SUB}/resourceGroups/RG/providers/")


def test_canonical_id_spells_provider_types_as_the_azurerm_importer_expects() -> None:
    raw = f"{SUB}/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/log-1"
    assert str(canonical_id(raw)) == (
        f"{SUB}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-1"
    )


def test_child_resource_knows_its_type_parent_and_group() -> None:
    rid = canonical_id(
        f"{SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleservers/db1"
        "/firewallrules/office"
    )
    assert rid.arm_type == "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules"
    assert str(rid.parent).endswith("/flexibleServers/db1")
    assert rid.resource_group == "rg"
    assert rid.name == "office"
    assert ResourceId.parse(f"{SUB}/resourceGroups/rg").arm_type == (
        "Microsoft.Resources/resourceGroups"
    )


@pytest.mark.parametrize("bad", ["", "rg-only", "/subscriptions", f"{SUB}/resourceGroups"])
def test_malformed_ids_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="not an Azure resource ID"):
        ResourceId.parse(bad)
