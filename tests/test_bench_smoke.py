"""The scale benchmark (`bench/`) end to end at a small N, so that it cannot rot.

The full benchmark is not part of the suite (many minutes); this runs the whole pipeline
as the benchmark does (generation from the type fixtures, both runners in their own
processes against the HTTPS fake of ARM, throttled and not, start-up, the profile, state
parsing, the report) with tiny latency and two-item pages, and checks the generator and
the fake on their own: the world compares clean before drift is planted, every registered
type is in it, ARM's throttle answers 429 with Retry-After, role assignments are listed at
resource groups, and Resource Graph pages through `$skipToken` as azprov's client reads it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.fake_arm import FakeArm, GraphQuery, Index, Settings, TokenBucket
from bench.generate import (
    Generated,
    drift_by_type,
    generate,
    minimum_size,
    pair,
    template,
)
from bench.run import (
    DEFAULT_OUTPUT,
    Files,
    Options,
    Results,
    azprov_argv,
    benchmark,
    child_env,
    floor,
    import_seconds,
    parse_args,
    spawn,
    write_results,
)
from provisioner.registry import Placement, by_tf_type, listed_at

SIZE = max(20, minimum_size())  # a whole stack grows as types are registered
FIXTURES = Path(__file__).parent / "fixtures" / "types"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Results]:
    out = tmp_path_factory.mktemp("bench")
    before = DEFAULT_OUTPUT.read_bytes() if DEFAULT_OUTPUT.exists() else None
    options = Options(
        sizes=(SIZE,),
        repeat=1,
        latency_ms=2,
        throttled_sizes=(SIZE,),
        page_size=2,  # every list of more than two items pages through nextLink
        state_mb=0.2,
        profile_size=SIZE,
        startup_runs=1,
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


def test_both_runners_find_exactly_what_was_planted(smoke: tuple[str, Results]) -> None:
    _, results = smoke
    cases = results.cases
    assert [(c.size, c.throttle) for c in cases] == [(SIZE, False), (SIZE, True)]
    for case in cases:
        assert case.problems() == []
        planted = case.planted
        assert {f[0] for f in planted.drift} == {"changed", "missing", "unmanaged"}
        assert len({f[1] for f in planted.drift if f[0] == "changed"}) >= 3
        assert len(planted.isolation) == 2 and planted.lagging
        for run in (*case.azprov, *case.baseline):
            assert run.exit_code == 2, run.runner
            assert run.checked == SIZE
            assert run.of_kinds(["changed", "missing", "unmanaged"]) == planted.drift
            assert 10 < run.peak_mb < 400  # the child's own, not the benchmark's
        [azprov] = case.azprov
        assert azprov.of_kinds(["isolation"]) == planted.isolation
        assert not any(f[1] == planted.lagging for f in azprov.findings)


def test_request_counts_are_sane(smoke: tuple[str, Results]) -> None:
    _, results = smoke
    for case in results.cases:
        [base], [mine] = case.baseline, case.azprov
        # one GET per state resource, plus the lists that find hand-made resources
        gets = base.counts
        assert gets["resource_group_get"] + gets["get"] + gets["child_get"] == SIZE
        assert gets["graph"] == 0 and gets["scope_list"] >= 2 and gets["child_list"] >= 4
        # the inventory's query and the change records' (the world has no change history)
        assert mine.counts["graph"] == 2 and mine.counts["scope_list"] >= 1
        assert case.floor <= mine.requests < base.requests
        assert mine.counts["refused"] == base.counts["refused"] == 0  # no writes, no listSecrets
        assert mine.throttled == base.throttled == 0  # 250 reads suffice


def test_report_has_the_table_the_targets_and_the_sources(smoke: tuple[str, Results]) -> None:
    text, results = smoke
    assert f"| {SIZE} | off | {results.cases[0].floor} |" in text
    assert "## Targets (issue 15) and checks" in text and "## Start-up" in text
    assert "## State parsing" in text and "## Profile of one azprov run" in text
    assert "| start-up (imports) of verify ≤ 0.3 s |" in text
    assert "| N=1,000: azprov wall ≤ 0.12× the per-resource refresh's (unthrottled) | not " in text
    assert "| azprov reports exactly the planted drift and isolation" in text
    assert "| 2/2 runs | pass |" in text
    assert re.search(
        r"\| 50 MB state parses in < 3 s \(issue 7\) \| 0\.\d MB only \| not meas", text
    )
    for path in sorted(FIXTURES.glob("*.json")):
        if by_tf_type(path.stem) is not None:
            source = json.loads(path.read_text(encoding="utf-8"))["source"]
            assert f"- `{path.stem}`: {source}" in text
    profile = results.profile
    assert profile is not None and profile.path.read_text(encoding="utf-8").strip()
    assert any(label.startswith("isolation") for label, _ in profile.stages)
    startup = results.startup
    assert startup is not None and startup.imports_s.median > 0 and startup.cpu_s > 0


def test_without_the_other_environment_azprov_gets_no_isolation_check(tmp_path: Path) -> None:
    options = parse_args(["--sizes", "1000", "--repeat", "1", "--no-other", "-o", "x.md"])
    assert not options.with_other and options.sizes == (1000,) and options.repeat == 1
    files = Files(tmp_path / "p.json", tmp_path / "t.json", tmp_path / "t.live.json")
    alone = azprov_argv(files, "https://127.0.0.1:1", with_other=False)
    assert not any(a.startswith("test=") for a in alone)
    assert f"test={files.other_live}" in azprov_argv(files, "https://127.0.0.1:1")


def test_without_attribution_azprov_sends_no_change_query(tmp_path: Path) -> None:
    options = parse_args(["--sizes", "1000", "--no-attribution", "-o", "x.md"])
    assert not options.attribution and options.with_other
    files = Files(tmp_path / "p.json", tmp_path / "t.json", tmp_path / "t.live.json")
    assert "--no-attribution" in azprov_argv(files, "https://127.0.0.1:1", attribution=False)
    assert "--no-attribution" not in azprov_argv(files, "https://127.0.0.1:1")


def test_start_up_counts_top_level_imports_once() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |   _io\n"
        "import time:       300 |        900 |     encodings.aliases\n"
        "import time:      1000 |       2500 | encodings\n"
        "import time:       250 |     250000 | provisioner.cli\n"
        "noise that is not an importtime line\n"
    )
    assert import_seconds(stderr) == (2500 + 250000) / 1e6


def test_the_world_holds_every_registered_type_and_compares_clean() -> None:
    clean = generate(2 * SIZE, plant=False)
    registered = {p.stem for p in FIXTURES.glob("*.json") if by_tf_type(p.stem) is not None}
    in_state = {r["type"] for r in clean.state["resources"]}
    assert in_state == registered
    assert sum(len(r["instances"]) for r in clean.state["resources"]) == 2 * SIZE
    assert drift_by_type(clean.state, clean.world.bodies) == {}
    text = json.dumps([clean.state, clean.world.bodies])
    # renamed per instance: nothing of the example world is left
    for word in ("stockapp", "nicebeach", "3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70"):
        assert word not in text.lower()
    ids = [i["attributes"]["id"].lower() for r in clean.state["resources"] for i in r["instances"]]
    assert len(set(ids)) == len(ids)


def test_bodies_are_enriched_like_real_ones() -> None:
    world = generate(SIZE, plant=False).world
    apps = [b for b in world.bodies.values() if b["type"] == "Microsoft.App/containerApps"]
    assert apps
    for app in apps:
        assert 8 <= len(app["tags"]) <= 15
        [container] = app["properties"]["template"]["containers"]
        assert 10 <= len(container["env"]) <= 30
        assert len(app["identity"]["userAssignedIdentities"]) >= 2
        assert all(
            k.startswith("/subscriptions/") for k in app["identity"]["userAssignedIdentities"]
        )
    registries = [b for b in world.bodies.values() if b["type"].endswith("/registries")]
    assert all(len(r["properties"]["networkRuleSet"]["ipRules"]) >= 3 for r in registries)


def test_the_other_environment_is_disjoint_but_referenced() -> None:
    prod, test = pair(SIZE)
    assert prod.environment == "prod" and test.environment == "test"
    assert not set(prod.world.bodies) & set(test.world.bodies)
    assert test.expected == () and test.lagging is None
    isolation = [e for e in prod.expected if e.kind == "isolation"]
    assert len(isolation) == 2


def test_floor_counts_graph_pages_child_lists_and_group_scope_lists() -> None:
    env = generate(SIZE)
    index = Index(env.world)
    groups = len(env.resource_groups) * len(listed_at(Placement.SCOPE))
    children = sum(
        1 for key in index.lists if any(key.startswith(p.lower() + "/") for p in env.parents)
    )
    assert floor(env, page_size=100) == 1 + 1 + children + groups  # + the change records
    assert floor(env, page_size=2) > floor(env, page_size=100)  # lists of 3+ items page
    assert floor(env, page_size=100, attribution=False) == 1 + children + groups


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


def test_a_child_reports_its_own_peak_memory_not_the_benchmarks(tmp_path: Path) -> None:
    held = b"x" * (300 * 1024 * 1024)  # the benchmark holding a large world
    small = spawn([sys.executable, "-c", "pass"], child_env(tmp_path / "ca.pem"), tmp_path, 60)
    big = spawn([sys.executable, "-c", "b = b'x' * (120 * 1024 * 1024)"],
                child_env(tmp_path / "ca.pem"), tmp_path, 60)  # fmt: skip
    assert len(held) and small.code == big.code == 0
    assert small.peak_mb < 100 < big.peak_mb < 250


@pytest.fixture
def generated() -> Generated:
    return generate(SIZE)


@pytest.fixture
def fake(
    generated: Generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeArm]:
    frozen = TokenBucket(2, 25.0, clock=lambda: 0.0)
    server = FakeArm(generated.world, Settings(latency_s=0, throttle=True), reads=frozen)
    with server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.write_ca(tmp_path / "ca.pem")))
        yield server


def _get(fake: FakeArm, path: str, **params: str) -> requests.Response:
    headers = {"Authorization": "Bearer bench-token"}
    return requests.get(f"{fake.base_url}{path}", params={"api-version": "2024-03-01", **params},
                        headers=headers, timeout=10)  # fmt: skip


def test_throttled_reads_get_429_with_retry_after(fake: FakeArm, generated: Generated) -> None:
    group = generated.resource_groups[0]
    path = f"/subscriptions/{generated.world.subscription}/resourceGroups/{group}"
    answers = [_get(fake, path) for _ in range(3)]
    unauthenticated = requests.get(f"{fake.base_url}{path}?api-version=1", timeout=10)
    assert [a.status_code for a in answers] == [200, 200, 429]
    remaining = "x-ms-ratelimit-remaining-subscription-reads"
    assert [a.headers[remaining] for a in answers] == ["1", "0", "0"]
    assert answers[2].headers["Retry-After"] == "1"
    assert answers[2].json()["error"]["code"] == "TooManyRequests"
    assert answers[0].json()["name"] == group
    assert unauthenticated.status_code == 401
    assert fake.counts()["throttled"] == 1


def test_role_assignments_are_listed_at_groups_and_kept_out_of_resource_lists(
    fake: FakeArm, generated: Generated
) -> None:
    fake.configure(throttle=False)
    sub = f"/subscriptions/{generated.world.subscription}"
    group = f"{sub}/resourceGroups/{generated.resource_groups[0]}"
    assigned = _get(fake, f"{group}/providers/Microsoft.Authorization/roleAssignments").json()
    ids = [str(b["id"]).lower() for b in assigned["value"]]
    assert ids and all(i.startswith(group.lower() + "/") for i in ids)
    assert any("/registries/" in i for i in ids)  # one made at a resource in the group
    assert sum(1 for i in ids if i.count("/providers/") == 1) >= 2  # and at the group itself
    listed = _get(fake, f"{group}/resources").json()["value"]
    assert listed and not any("roleassignments" in str(b["id"]).lower() for b in listed)
    index = Index(generated.world)
    assert not any("roleassignments" in str(r["id"]).lower() for r in index.graph_rows)
    tagged = _get(fake, f"{sub}/resources", **{"$filter": "tagName eq 'environment'"})
    assert tagged.json()["value"] and all(
        "environment" in (b.get("tags") or {}) for b in tagged.json()["value"]
    )
    assert _get(fake, f"{sub}/resources", **{"$filter": "tagName eq 'nope'"}).json()["value"] == []
    assert fake.counts()["scope_list"] == 1


def test_resource_graph_pages_through_skip_token_with_azprovs_client(
    fake: FakeArm, generated: Generated
) -> None:
    from provisioner.live import ArmClient, Connection
    from provisioner.live.credentials import StaticTokenCredential
    from provisioner.live.resource_graph import graph_query

    fake.configure(throttle=False)
    subscription = generated.world.subscription
    arm = ArmClient(Connection(subscription, StaticTokenCredential("bench-token"), fake.base_url))
    query = graph_query(generated.resource_groups, generated.environment)
    rows: list[Any] = []
    token = None
    pages = 0
    while True:
        options = {
            "$top": 4,
            "resultFormat": "objectArray",
            **({"$skipToken": token} if token else {}),
        }
        page = arm.post_graph({"subscriptions": [subscription], "query": query, "options": options})
        rows += page["data"]
        pages += 1
        token = page.get("$skipToken")
        if not token:
            break
    index = Index(generated.world)
    assert len(rows) == len(index.graph_rows) + len(index.container_rows) == page["totalRecords"]
    assert pages == -(-len(rows) // 4)
    types = {row["type"] for row in rows}
    assert "microsoft.resources/subscriptions/resourcegroups" in types
    assert not any("firewallrules" in str(t) or "databases" in str(t) for t in types)
    assert generated.lagging is not None
    [stale] = [r for r in rows if str(r["id"]).lower() == generated.lagging.lower()]
    fresh = generated.world.bodies[generated.lagging.lower()]
    assert (
        stale["properties"] == generated.world.graph_bodies[generated.lagging.lower()]["properties"]
    )
    assert stale["properties"] != fresh["properties"]  # the index lags the last apply
    assert fake.counts()["graph"] == pages


def test_graph_query_honours_simple_filters_only(generated: Generated) -> None:
    index = Index(generated.world)
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


def test_new_types_join_through_their_fixture_alone() -> None:
    """The stack is every registered fixture's resource, with its copies."""
    members = template().members
    spec_types = {m.tf_type for m in members}
    fixtures = {p.stem for p in FIXTURES.glob("*.json") if by_tf_type(p.stem) is not None}
    assert spec_types == fixtures - {"azurerm_resource_group"}
    apps = [m for m in members if m.tf_type == "azurerm_container_app"]
    assert len(apps) == 4 and len({m.name for m in apps}) == 4
