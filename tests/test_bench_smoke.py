"""The scale benchmark (`bench/`) end to end at N = 20, so that it cannot rot.

The full benchmark is not part of the suite (minutes); this runs both runners as the
benchmark does, against its HTTPS fake of ARM, with tiny latency and two-item pages, and
checks the fake itself: ARM's throttle answers 429 with Retry-After, and Resource Graph
pages through `$skipToken` as the real SDK reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.fake_arm import FakeArm, GraphQuery, Index, Settings, TokenBucket
from bench.generate import generate
from bench.run import DEFAULT_OUTPUT, Options, Results, benchmark, floor, write_results

SIZE = 20


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Results]:
    out = tmp_path_factory.mktemp("bench")
    before = DEFAULT_OUTPUT.read_bytes() if DEFAULT_OUTPUT.exists() else None
    options = Options(
        sizes=(SIZE,),
        latency_ms=2,
        throttle=(False, True),
        page_size=2,  # every list of more than two items pages through nextLink
        state_mb=0.2,
        warmup=False,
        output=out / "RESULTS.md",
        workdir=out / "work",
        command="smoke",
    )
    results = benchmark(options, log=lambda _: None)
    text = write_results(results)
    after = DEFAULT_OUTPUT.read_bytes() if DEFAULT_OUTPUT.exists() else None
    assert before == after, "the smoke run must never touch bench/RESULTS.md"
    assert (out / "RESULTS.md").read_text(encoding="utf-8") == text
    return text, results


def test_both_runners_find_exactly_the_planted_drift(smoke: tuple[str, Results]) -> None:
    _, results = smoke
    cases = results.cases
    assert [(c.size, c.throttle) for c in cases] == [(SIZE, False), (SIZE, True)]
    for case in cases:
        assert len(case.expected) == 6
        assert case.baseline is not None
        for run in (case.azprov, case.baseline):
            assert run.problem == "", run.problem
            assert run.exit_code == 2
            assert run.findings == case.expected, run.runner
            assert run.checked == SIZE
            assert run.peak_mb > 10  # measured from the child, not the test process


def test_request_counts_are_sane(smoke: tuple[str, Results]) -> None:
    _, results = smoke
    for case in results.cases:
        assert case.baseline is not None
        base, mine = case.baseline.counts, case.azprov.counts
        # one GET per state resource, plus the lists that find hand-made resources
        assert base["resource_group_get"] + base["get"] + base["child_get"] == SIZE
        assert base["graph"] == 0
        assert base["resources_list"] >= 2 and base["child_list"] >= 4  # paged, size 2
        assert case.floor <= case.azprov.requests < case.baseline.requests
        assert mine["refused"] == base["refused"] == 0  # no writes, no listSecrets
        assert case.azprov.throttled == case.baseline.throttled == 0  # 250 reads suffice


def test_report_has_the_table_and_the_targets(smoke: tuple[str, Results]) -> None:
    text, _ = smoke
    assert "| 20 | off | 5 |" in text  # N, throttle, floor: 1 graph page + 2 lists x 2 pages
    assert "| 20 | on | 5 |" in text
    assert "yes / yes" in text
    assert "## State parsing" in text and "## Targets (issue 7)" in text
    assert "| both runners report exactly the planted drift | 2/2 azprov runs | pass |" in text
    assert "| 50 MB state parses in < 3 s | 0.2 MB only | not measured |" in text


def test_floor_counts_graph_pages_and_child_list_pages() -> None:
    env = generate(SIZE)
    assert floor(env, page_size=100) == 1 + 2  # one server: firewall rules, databases
    assert floor(env, page_size=2) == 1 + 2 + 2  # 3 rules, 4 databases: two pages each


def test_token_bucket_refuses_when_empty_and_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(250, 25.0, clock=lambda: now[0])
    granted = [bucket.take()[0] for _ in range(250)]
    assert all(granted)
    assert bucket.take() == (False, 0, 1)  # Retry-After in whole seconds, at least 1
    now[0] += 0.04  # one token's worth
    assert bucket.take() == (True, 0, 0)
    now[0] += 100
    assert bucket.take() == (True, 249, 0)  # never above capacity


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArm]:
    frozen = TokenBucket(2, 25.0, clock=lambda: 0.0)
    server = FakeArm(generate(SIZE).world, Settings(latency_s=0, throttle=True), reads=frozen)
    with server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.write_ca(tmp_path / "ca.pem")))
        yield server


def test_throttled_reads_get_429_with_retry_after(fake: FakeArm) -> None:
    env = generate(SIZE)
    url = f"{fake.base_url}/subscriptions/{env.world.subscription}/resourceGroups/rg-bench-000"
    headers = {"Authorization": "Bearer bench-token"}
    with requests.Session() as session:
        answers = [
            session.get(url, params={"api-version": "2024-03-01"}, headers=headers)
            for _ in range(3)
        ]
        unauthenticated = session.get(url, params={"api-version": "2024-03-01"})
    assert [a.status_code for a in answers] == [200, 200, 429]
    remaining = "x-ms-ratelimit-remaining-subscription-reads"
    assert [a.headers[remaining] for a in answers] == ["1", "0", "0"]
    assert answers[2].headers["Retry-After"] == "1"
    assert answers[2].json()["error"]["code"] == "TooManyRequests"
    assert answers[0].json()["name"] == "rg-bench-000"
    assert unauthenticated.status_code == 401
    assert fake.counts()["throttled"] == 1


def test_resource_graph_pages_through_skip_token_with_azprovs_client(fake: FakeArm) -> None:
    from provisioner.live import ArmClient, Connection
    from provisioner.live.credentials import StaticTokenCredential

    fake.configure(throttle=False)
    env = generate(SIZE)
    arm = ArmClient(
        Connection(env.world.subscription, StaticTokenCredential("bench-token"), fake.base_url)
    )
    query = (
        "resources | where resourceGroup in~ ('rg-bench-000') or tags['environment'] =~ "
        "'bench' | union (resourcecontainers | where type =~ "
        "'microsoft.resources/subscriptions/resourcegroups') | order by id asc"
    )
    rows: list[Any] = []
    token = None
    pages = 0
    while True:
        options = {
            "$top": 4,
            "resultFormat": "objectArray",
            **({"$skipToken": token} if token else {}),
        }
        page = arm.post_graph(
            {"subscriptions": [env.world.subscription], "query": query, "options": options}
        )
        rows += page["data"]
        pages += 1
        token = page.get("$skipToken")
        if not token:
            break
    index = Index(env.world)
    assert len(rows) == len(index.graph_rows) + len(index.container_rows) == page["totalRecords"]
    assert pages == -(-len(rows) // 4)
    types = {row["type"] for row in rows}
    assert "microsoft.resources/subscriptions/resourcegroups" in types
    assert not any("firewallrules" in str(t) or "databases" in str(t) for t in types)
    stale = next(r for r in rows if str(r["name"]).endswith("-0000-0"))
    image = json.dumps(stale["properties"])
    assert ":4f9c2e1" in image  # Resource Graph still shows the image before the last apply
    assert fake.counts()["graph"] == pages


def test_graph_query_honours_simple_filters_only() -> None:
    index = Index(generate(SIZE).world)
    narrow = GraphQuery.parse(
        "resources | where resourceGroup in~ ('nope') | project id, name"
    ).rows(index)
    assert narrow == []
    typed = GraphQuery.parse(
        "Resources | where type =~ 'Microsoft.App/containerApps' | project id, type"
    ).rows(index)
    assert typed and all(set(r) == {"id", "type"} for r in typed)
    assert {r["type"] for r in typed} == {"microsoft.app/containerapps"}
    either = GraphQuery.parse("resources | where resourceGroup =~ 'nope' or type =~ 'x'")
    assert len(either.rows(index)) == len(index.graph_rows)
