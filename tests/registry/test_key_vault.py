"""azurerm_key_vault: what is particular to vaults beyond the shared fixture harness."""

from __future__ import annotations

import pytest

from tests.test_registry import FIXTURES_BY_TYPE, PATHS, _verify

VAULT = FIXTURES_BY_TYPE["azurerm_key_vault"]


@pytest.mark.parametrize("path", PATHS)
def test_a_vault_whose_get_leaves_out_the_defaults_reads_clean(path: str) -> None:
    """Azure omits unset settings; azurerm writes its defaults for them into the state."""
    env = VAULT.world()
    props = env.bodies[VAULT.arm_id.lower()]["properties"]
    for omitted in ("publicNetworkAccess", "networkAcls", "softDeleteRetentionInDays",
                    "enablePurgeProtection", "enableRbacAuthorization"):  # fmt: skip
        del props[omitted]
    [vault] = [r for r in env.state_resources if r["type"] == "azurerm_key_vault"]
    instance = vault["instances"][0]
    instance["attributes"] = dict(
        instance["attributes"],  # the fixture's own dict: left as it is for other tests
        public_network_access_enabled=True,
        network_acls=[{"bypass": "AzureServices", "default_action": "Allow",
                       "ip_rules": [], "virtual_network_subnet_ids": []}],
        soft_delete_retention_days=90,
        purge_protection_enabled=False,
        rbac_authorization_enabled=False,
    )  # fmt: skip
    analysis = _verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


@pytest.mark.parametrize("path", PATHS)
def test_purge_protection_absent_in_azure_is_drift_from_a_state_that_has_it(path: str) -> None:
    """An absent `enablePurgeProtection` means off: never unknown, never silently equal."""
    env = VAULT.world()
    del env.bodies[VAULT.arm_id.lower()]["properties"]["enablePurgeProtection"]
    [finding] = _verify(env, PATHS[path]).findings
    assert (finding.attribute, finding.expected, finding.actual) == (
        "purge_protection_enabled",
        True,
        False,
    )
    assert finding.severity.value == "high"


def test_the_vault_uri_is_computed_and_never_drift() -> None:
    env = VAULT.world()
    props = env.bodies[VAULT.arm_id.lower()]["properties"]
    props["vaultUri"] = "https://kv-stockapp-prod.vault.azure.net:443/"
    analysis = _verify(env, True)
    assert analysis.findings == () and analysis.exit_code == 0
