"""Policy for Key Vault, storage accounts and Redis: what prod must hold, on both sides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.analysers.policy import rules_for
from provisioner.model import FindingKind
from tests.factories import Environment
from tests.test_policy import change, hits, live_of, plan_of, run, settings_from
from tests.test_registry import FIXTURES_BY_TYPE

TAGS = {"environment": "prod", "app": "stockapp", "managed-by": "terraform"}


def vault(**values: Any) -> dict[str, Any]:
    return {"name": "kv-stockapp-prod", "sku_name": "standard", "purge_protection_enabled": True,
            "soft_delete_retention_days": 90, "tags": dict(TAGS), **values}  # fmt: skip


def account(**values: Any) -> dict[str, Any]:
    return {"name": "ststockappprod", "account_tier": "Standard",
            "account_replication_type": "ZRS", "min_tls_version": "TLS1_2",
            "allow_nested_items_to_be_public": False, "tags": dict(TAGS), **values}  # fmt: skip


def cache(**values: Any) -> dict[str, Any]:
    return {"name": "redis-stockapp-prod", "sku_name": "Standard", "family": "C", "capacity": 1,
            "minimum_tls_version": "1.2", "tags": dict(TAGS), **values}  # fmt: skip


VAULT, ACCOUNT, CACHE = (
    "azurerm_key_vault.main", "azurerm_storage_account.main", "azurerm_redis_cache.main",
)  # fmt: skip
PLAN_CASES: list[tuple[str, str, str, dict[str, Any], list[tuple[str, str]]]] = [
    # (id, environment, address, after, expected (rule, attribute) hits)
    ("purge-protection-off-prod", "prod", VAULT, vault(purge_protection_enabled=False),
     [("kv-purge-protection", "purge_protection_enabled")]),
    ("purge-protection-on-prod", "prod", VAULT, vault(), []),
    ("purge-protection-off-test", "test", VAULT, vault(purge_protection_enabled=False,
     tags={**TAGS, "environment": "test"}), []),
    ("storage-tls-1-0-prod", "prod", ACCOUNT, account(min_tls_version="TLS1_0"),
     [("storage-min-tls", "min_tls_version")]),
    ("storage-tls-1-1-prod", "prod", ACCOUNT, account(min_tls_version="TLS1_1"),
     [("storage-min-tls", "min_tls_version")]),
    ("storage-tls-1-2-prod", "prod", ACCOUNT, account(), []),
    ("storage-tls-1-3-prod", "prod", ACCOUNT, account(min_tls_version="TLS1_3"), []),
    ("storage-public-blobs-prod", "prod", ACCOUNT,
     account(allow_nested_items_to_be_public=True),
     [("storage-no-public-blobs", "allow_nested_items_to_be_public")]),
    ("storage-old-and-public-test", "test", ACCOUNT,
     account(min_tls_version="TLS1_0", allow_nested_items_to_be_public=True,
             tags={**TAGS, "environment": "test"}), []),
    ("redis-tls-1-0-prod", "prod", CACHE, cache(minimum_tls_version="1.0"),
     [("redis-min-tls", "minimum_tls_version")]),
    ("redis-tls-1-2-prod", "prod", CACHE, cache(), []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("environment", "address", "after", "expected"),
    [case[1:] for case in PLAN_CASES],
    ids=[case[0] for case in PLAN_CASES],
)
def test_each_rule_on_planned_values(
    environment: str, address: str, after: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    findings = run(plan_of(change(address, after)), environment)
    assert hits(findings) == expected
    assert all(f.kind is FindingKind.POLICY and f.address == address for f in findings)


def test_a_finding_says_the_floor_the_value_and_why() -> None:
    [finding] = run(plan_of(change(ACCOUNT, account(min_tls_version="TLS1_1"))))
    assert (finding.severity.value, finding.expected, finding.actual) == (
        "medium",
        ">= TLS 1.2",
        "TLS1_1",
    )
    assert "clients may still connect with TLS 1.1" in finding.message
    assert "being retired across Azure" in finding.message


def test_values_known_only_after_apply_are_not_judged() -> None:
    unknown = {"purge_protection_enabled": True}
    resources = plan_of(change(VAULT, vault(purge_protection_enabled=None), unknown=unknown),
                        change(ACCOUNT, account(min_tls_version=None,
                                                allow_nested_items_to_be_public=None),
                               unknown={"min_tls_version": True,
                                        "allow_nested_items_to_be_public": True}))  # fmt: skip
    assert run(resources) == []


# -- live side: the registry fixtures' ARM bodies -------------------------------------------


def _props(bodies: dict[str, Any], tf_type: str) -> dict[str, Any]:
    """The `properties` of the fixture's resource of `tf_type` among `bodies`."""
    props: dict[str, Any] = bodies[FIXTURES_BY_TYPE[tf_type].arm_id.lower()]["properties"]
    return props


def _purge_off(bodies: dict[str, Any]) -> None:
    # Azure leaves it out until it is switched on
    del _props(bodies, "azurerm_key_vault")["enablePurgeProtection"]


def _storage_old_tls(bodies: dict[str, Any]) -> None:
    # an old account: no floor set, so TLS 1.0 is accepted (azurerm reads it as TLS1_0)
    del _props(bodies, "azurerm_storage_account")["minimumTlsVersion"]


def _storage_public(bodies: dict[str, Any]) -> None:
    _props(bodies, "azurerm_storage_account")["allowBlobPublicAccess"] = True


def _redis_old_tls(bodies: dict[str, Any]) -> None:
    _props(bodies, "azurerm_redis_cache")["minimumTlsVersion"] = "1.1"


LIVE_CASES: list[tuple[Callable[[dict[str, Any]], None], str, str]] = [
    (_purge_off, "kv-purge-protection", "purge_protection_enabled"),
    (_storage_old_tls, "storage-min-tls", "min_tls_version"),
    (_storage_public, "storage-no-public-blobs", "allow_nested_items_to_be_public"),
    (_redis_old_tls, "redis-min-tls", "minimum_tls_version"),
]


def _live_world() -> Environment:
    """One prod resource group holding the vault, the account and the cache, as in Azure."""
    env = FIXTURES_BY_TYPE["azurerm_key_vault"].world()
    for tf_type in ("azurerm_storage_account", "azurerm_redis_cache"):
        env.bodies.update(FIXTURES_BY_TYPE[tf_type].world().bodies)
    env.find("/resourceGroups/rg-stockapp-prod")["tags"] = dict(TAGS)  # required-tags is quiet
    return env


@pytest.mark.parametrize(
    ("mutate", "rule", "attribute"), LIVE_CASES, ids=[c[1] for c in LIVE_CASES]
)
def test_each_rule_on_what_runs_in_azure(
    mutate: Callable[[dict[str, Any]], None], rule: str, attribute: str
) -> None:
    env = _live_world()
    assert run(live_of(env), "prod", source="live") == []
    mutate(env.bodies)
    findings = run(live_of(env), "prod", source="live")
    assert hits(findings) == [(rule, attribute)]
    assert findings[0].message.startswith("live (what runs now): ")
    assert run(live_of(env), "test", source="live") == []


def test_prod_may_switch_a_rule_off_with_a_reason_and_test_may_switch_it_on(
    tmp_path: Path,
) -> None:
    settings = settings_from(
        """
        [environments.prod.policy.kv-purge-protection]
        enabled = false
        reason = "a scratch vault recreated by every pipeline run"
        [environments.test.policy.storage-no-public-blobs]
        enabled = true
        reason = "test holds copies of customer exports"
        """,
        tmp_path,
    )
    resources = plan_of(change(VAULT, vault(purge_protection_enabled=False)),
                        change(ACCOUNT, account(allow_nested_items_to_be_public=True)))  # fmt: skip
    assert hits(run(resources, "prod", settings)) == [
        ("storage-no-public-blobs", "allow_nested_items_to_be_public")
    ]
    assert hits(run(resources, "test", settings)) == [
        ("storage-no-public-blobs", "allow_nested_items_to_be_public")
    ]
    assert [o.line for o in rules_for(settings, "prod").overrides] == [
        "rule kv-purge-protection off in prod: a scratch vault recreated by every pipeline run"
    ]
