"""azurerm_redis_cache: what is particular to caches beyond the shared fixture harness."""

from __future__ import annotations

import pytest
import responses

from provisioner.live.snapshot import snapshot_to_json
from provisioner.reporters import FORMATS, table
from provisioner.reporters.terminal import Terminal
from tests.arm_fake import GRAPH_PATH, ArmFake, run_verify
from tests.test_registry import FIXTURES_BY_TYPE, PATHS, _verify

CACHE = FIXTURES_BY_TYPE["azurerm_redis_cache"]
STATE_KEYS = ("example-redis-key-not-real-1", "example-redis-key-not-real-2")
BODY_KEYS = ("example-redis-key-in-body-1", "example-redis-key-in-body-2")


@pytest.mark.parametrize("path", PATHS)
def test_access_keys_are_never_read_and_never_shown(path: str) -> None:
    """No listKeys; keys in the state or in a body (a create's response carries them) stay out."""
    env = CACHE.world()
    body = env.bodies[CACHE.arm_id.lower()]
    body["properties"]["accessKeys"] = {"primaryKey": BODY_KEYS[0], "secondaryKey": BODY_KEYS[1]}
    body["properties"]["minimumTlsVersion"] = "1.0"  # drift, so every report has a finding
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = ArmFake(env)
        fake.install(rsps)
        run = run_verify(env, resource_graph=PATHS[path])
    analysis = run.analysis
    assert [(f.attribute, f.actual) for f in analysis.findings] == [("minimum_tls_version", "1.0")]
    assert not [p for _, p in fake.calls if "listkeys" in p.lower()]
    posts = [p for method, p in fake.calls if method != "GET"]
    assert all(p.lower().endswith(GRAPH_PATH) for p in posts)  # the query, nothing else
    for name, render in FORMATS.items():
        # the table as wide as its longest line, so no value is folded out of sight
        report = (
            table.render(analysis, Terminal(width=300)) if name == "table" else render(analysis)
        )
        assert "minimum_tls_version" in report.replace("\\", "")  # Markdown escapes `_`
        assert not [k for k in (*STATE_KEYS, *BODY_KEYS) if k in report]
    snapshot = snapshot_to_json(run.inventory, "prod")  # what `azprov snapshot` writes
    assert CACHE.arm_id.split("/")[-1] in snapshot
    assert not [k for k in BODY_KEYS if k in snapshot]


@pytest.mark.parametrize("path", PATHS)
def test_a_cache_whose_get_leaves_out_the_defaults_reads_clean(path: str) -> None:
    """azurerm writes TLS 1.2, public access on and the non-SSL port off for absent values."""
    env = CACHE.world()
    props = env.bodies[CACHE.arm_id.lower()]["properties"]
    for omitted in ("minimumTlsVersion", "publicNetworkAccess", "enableNonSslPort"):
        del props[omitted]
    analysis = _verify(env, PATHS[path])
    assert analysis.findings == () and analysis.exit_code == 0


def test_host_and_ports_are_computed_and_never_drift() -> None:
    env = CACHE.world()
    props = env.bodies[CACHE.arm_id.lower()]["properties"]
    props.update(hostName="redis-stockapp-prod.westeurope.redis.azure.net", port=10000,
                 sslPort=10001)  # fmt: skip
    analysis = _verify(env, True)
    assert analysis.findings == () and analysis.exit_code == 0
