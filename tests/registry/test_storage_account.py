"""azurerm_storage_account: what is particular to storage accounts beyond the shared harness."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Environment
from tests.test_registry import FIXTURES_BY_TYPE, PATHS, _verify

ACCOUNT = FIXTURES_BY_TYPE["azurerm_storage_account"]


def _with_state(env: Environment, **attributes: Any) -> None:
    """Replace state attributes of the account (a copy: the fixture stays as it is)."""
    [account] = [r for r in env.state_resources if r["type"] == "azurerm_storage_account"]
    instance = account["instances"][0]
    instance["attributes"] = {**instance["attributes"], **attributes}


@pytest.mark.parametrize(
    ("sku", "tier", "replication"),
    [
        ({"name": "Standard_RAGRS", "tier": "Standard"}, "Standard", "RAGRS"),
        ({"name": "Premium_LRS"}, "Premium", "LRS"),  # no tier: the name's prefix
        ({"name": "PremiumV2_ZRS"}, "Premium", "ZRS"),  # provisioned billing model v2
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_the_sku_reads_as_azurerms_tier_and_replication(
    path: str, sku: dict[str, str], tier: str, replication: str
) -> None:
    env = ACCOUNT.world()
    env.bodies[ACCOUNT.arm_id.lower()]["sku"] = sku
    _with_state(env, account_tier=tier, account_replication_type=replication)
    analysis = _verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
def test_an_account_whose_get_leaves_out_the_defaults_reads_clean(path: str) -> None:
    """Older accounts' GETs omit newer settings; azurerm writes its defaults for them."""
    env = ACCOUNT.world()
    props = env.bodies[ACCOUNT.arm_id.lower()]["properties"]
    for omitted in ("minimumTlsVersion", "allowBlobPublicAccess", "allowSharedKeyAccess",
                    "supportsHttpsTrafficOnly", "publicNetworkAccess", "networkAcls"):  # fmt: skip
        del props[omitted]
    _with_state(
        env,
        min_tls_version="TLS1_0",
        allow_nested_items_to_be_public=False,
        shared_access_key_enabled=True,
        https_traffic_only_enabled=False,
        public_network_access_enabled=True,
        network_rules=[],  # azurerm writes no block for Allow with no rules
    )
    analysis = _verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
def test_an_old_account_without_a_tls_floor_is_drift_from_a_state_at_tls_1_2(path: str) -> None:
    env = ACCOUNT.world()
    del env.bodies[ACCOUNT.arm_id.lower()]["properties"]["minimumTlsVersion"]
    [finding] = _verify(env, PATHS[path]).findings
    assert (finding.attribute, finding.expected, finding.actual) == (
        "min_tls_version",
        "TLS1_2",
        "TLS1_0",
    )


def test_endpoints_are_computed_and_never_drift() -> None:
    env = ACCOUNT.world()
    endpoints = env.bodies[ACCOUNT.arm_id.lower()]["properties"]["primaryEndpoints"]
    endpoints["blob"] = "https://ststockappprod-secondary.blob.core.windows.net/"
    endpoints["web"] = "https://ststockappprod.z6.web.core.windows.net/"
    analysis = _verify(env, True)
    assert analysis.findings == () and analysis.exit_code == 0
