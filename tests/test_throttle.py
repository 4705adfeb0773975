"""Retries, the run's deadline, pacing, read-only requests and connection pools.

Every retry runs on a `FakeClock`: the tests assert how long azprov *would* have slept.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
import responses
from azure.core.credentials import AccessToken
from azure.core.rest import HttpRequest
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.live import ArmClient, Connection
from provisioner.live.credentials import StaticTokenCredential
from provisioner.live.throttle import (
    ARM_QUOTA,
    GRAPH_QUOTA,
    OutOfTime,
    Throttle,
    WriteRefused,
    quota_resets_after_s,
    remaining_reads,
    retry_after_s,
)
from tests.arm_fake import GRAPH_PATH, FakeClock, error_body, list_path_requests, run_verify
from tests.conftest import serve, write_state
from tests.factories import Environment

runner = CliRunner()
APPS_LIST = "/providers/microsoft.app/containerapps"
FIREWALL_LIST = "/firewallrules"
THROTTLED = error_body("TooManyRequests", "The request was throttled.")


def too_many(after: str = "7", **headers: str) -> tuple[int, dict[str, str], dict[str, object]]:
    return 429, {"Retry-After": after, **headers}, THROTTLED


def fake_throttle(clock: FakeClock, workers: int = 8, budget_s: float = 60.0) -> Throttle:
    return Throttle(
        workers, budget_s, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.wall
    )


# -- reading what Azure says ---------------------------------------------------------------


def test_retry_after_in_seconds_milliseconds_or_as_an_http_date() -> None:
    now = 1_795_000_000.0
    in_30s = format_datetime(datetime.fromtimestamp(now + 30, UTC), usegmt=True)
    assert retry_after_s({"Retry-After": "7"}, now) == 7
    assert retry_after_s({"retry-after": "1.5"}, now) == 1.5
    assert retry_after_s({"Retry-After": in_30s}, now) == 30
    assert retry_after_s({"Retry-After": "Tue, 01 Jan 2019 00:00:00 GMT"}, now) == 0
    assert retry_after_s({"x-ms-retry-after-ms": "250", "Retry-After": "9"}, now) == 0.25
    assert retry_after_s({"Retry-After": "soon"}, now) is None
    assert retry_after_s({}, now) is None


def test_quota_headers() -> None:
    assert quota_resets_after_s({"x-ms-user-quota-resets-after": "00:00:05"}) == 5
    assert quota_resets_after_s({"x-ms-user-quota-resets-after": "00:01:02.5"}) == 62.5
    assert quota_resets_after_s({"x-ms-user-quota-resets-after": "5s"}) is None
    both = {
        "x-ms-ratelimit-remaining-subscription-reads": "120",
        "x-ms-ratelimit-remaining-tenant-reads": "40",
        "x-ms-ratelimit-remaining-subscription-writes": "1",
    }
    assert remaining_reads(both) == 40
    assert remaining_reads({}) is None


def test_concurrency_follows_the_reads_left() -> None:
    throttle = fake_throttle(FakeClock(), workers=8)
    for left, cap in [("11999", 8), ("80", 8), ("40", 4), ("9", 1), ("0", 1), ("500", 8)]:
        throttle.observe(ARM_QUOTA, {"x-ms-ratelimit-remaining-subscription-reads": left})
        assert throttle.cap == cap, left


def test_a_hold_delays_its_quota_only_and_never_past_the_deadline() -> None:
    clock = FakeClock()
    throttle = fake_throttle(clock, budget_s=60)
    throttle.hold(ARM_QUOTA, 5)
    throttle.acquire(GRAPH_QUOTA)  # Resource Graph's quota is its own
    throttle.release()
    assert clock.slept == []
    throttle.acquire(ARM_QUOTA)
    throttle.release()
    assert clock.slept == [5]
    throttle.hold(ARM_QUOTA, 120)
    with pytest.raises(OutOfTime, match="overrun the run's 60 s deadline"):
        throttle.acquire(ARM_QUOTA)
    assert clock.slept == [5]


# -- retries through the real ARM pipeline -------------------------------------------------


@pytest.mark.parametrize("resource_graph", [True, False])
def test_429_waits_as_long_as_retry_after_says(
    rsps: responses.RequestsMock, prod: Environment, resource_graph: bool
) -> None:
    clock = FakeClock()
    first = GRAPH_PATH if resource_graph else APPS_LIST
    fake = serve(rsps, prod, scripted={first: [too_many("7")], FIREWALL_LIST: [too_many("3")]})
    run = run_verify(prod, resource_graph=resource_graph, clock=clock)
    assert run.analysis.exit_code == 0
    assert sorted(clock.slept) == [3, 7]
    if resource_graph:
        assert fake.graph_requests == 2  # the query, again after the 429
    else:
        assert sum(1 for p in fake.requests if p.lower().endswith(first)) == 2


def test_retry_after_as_an_http_date(rsps: responses.RequestsMock, prod: Environment) -> None:
    clock = FakeClock()
    date = format_datetime(datetime.fromtimestamp(clock.wall() + 12, UTC), usegmt=True)
    serve(rsps, prod, scripted={GRAPH_PATH: [too_many(date)]})
    assert run_verify(prod, clock=clock).analysis.exit_code == 0
    assert clock.slept == [12]


def test_a_wait_longer_than_the_deadline_fails_at_once_as_unknown(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    fake = serve(rsps, prod, scripted={APPS_LIST: [too_many("300")]})
    result = runner.invoke(
        app,
        [
            "verify",
            "--env",
            "prod",
            "--state",
            str(write_state(tmp_path, prod)),
            "-f",
            "json",
            "--no-resource-graph",
            "--timeout",
            "60",
        ],
    )  # a real clock: this would take 5 minutes if azprov slept
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    reasons = {u["what"]: u["reason"] for u in doc["unread"]}
    assert "HTTP 429" in reasons["Microsoft.App/containerApps"]
    assert (
        "waiting 300 s more would overrun the run's 60 s deadline"
        in reasons["Microsoft.App/containerApps"]
    )
    # ARM's bucket is the subscription's: reads not yet sent are not sent into it
    held = [r for w, r in reasons.items() if w != "Microsoft.App/containerApps"]
    assert all(r.startswith("not sent: Azure throttled") for r in held)
    assert doc["findings"] == []  # unknown: neither missing nor changed
    assert sum(1 for p in fake.requests if p.lower().endswith(APPS_LIST)) == 1
    assert len(fake.requests) + len(held) == list_path_requests(prod)


def test_waits_add_up_against_one_deadline_per_run(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    clock = FakeClock()
    fake = serve(rsps, prod, scripted={GRAPH_PATH: [too_many("25")] * 3})
    run = run_verify(prod, clock=clock, budget_s=60)
    assert clock.slept == [25, 25]  # the third 25 s wait would end after 60 s
    assert run.analysis.exit_code == 1
    [unread] = run.analysis.unread
    assert unread.what == "Azure Resource Graph" and "deadline" in unread.reason
    # time spent: no fallback to lists that would be throttled too, and no note saying so;
    # the change records' query went out beside the first inventory query, before any wait
    assert run.inventory.notes == ()
    assert fake.graph_requests == 3 and fake.change_queries == 1
    assert not [p for p in fake.requests if p.lower().endswith(APPS_LIST)]
    assert run.analysis.findings == ()


def test_server_errors_are_retried_with_backoff_then_reported(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    clock = FakeClock()
    flaky = error_body("InternalServerError", "try again")
    serve(rsps, prod, scripted={FIREWALL_LIST: [(503, {}, flaky), (502, {}, flaky)]})
    assert run_verify(prod, clock=clock).analysis.exit_code == 0
    assert clock.slept == [0.5, 1.0]

    clock = FakeClock()
    rsps.reset()
    serve(rsps, prod, failures={FIREWALL_LIST: (500, flaky)})
    run = run_verify(prod, clock=clock)
    assert clock.slept == [0.5, 1.0, 2.0]  # three retries
    assert run.analysis.exit_code == 1
    [unread] = run.analysis.unread
    assert unread.what == "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules"
    assert unread.reason.startswith("HTTP 500 InternalServerError")


def test_a_dropped_connection_is_retried(rsps: responses.RequestsMock, prod: Environment) -> None:
    clock = FakeClock()
    serve(rsps, prod, scripted={GRAPH_PATH: [(0, {}, {})]})
    assert run_verify(prod, clock=clock).analysis.exit_code == 0
    assert clock.slept == [0.5]


def test_resource_graph_quota_spent_waits_for_its_reset(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    clock = FakeClock()
    quota = {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:04"}
    fake = serve(rsps, prod, graph_page_size=3, headers=quota)
    assert run_verify(prod, clock=clock).analysis.exit_code == 0
    assert fake.graph_requests == 3
    # Pages 2 and 3 wait for the reset, and so does the change records' query unless it
    # went out (beside the first page) before that page's answer spent the quota. ARM's
    # own reads never wait.
    assert set(clock.slept) == {4} and len(clock.slept) in (2, 3)
    assert fake.change_queries == 1


def test_few_reads_left_means_one_request_at_a_time(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    low = {"x-ms-ratelimit-remaining-subscription-reads": "5"}
    serve(rsps, prod, headers=low)
    throttle = fake_throttle(FakeClock(), workers=4)
    throttle.observe(ARM_QUOTA, low)  # what the run's earlier responses said
    run = run_verify(prod, resource_graph=False, throttle=throttle, workers=4)
    assert run.analysis.exit_code == 0
    assert throttle.peak_active == 1 and throttle.cap == 1


# -- no writes, no secrets -----------------------------------------------------------------


@pytest.mark.parametrize("resource_graph", [True, False])
def test_no_secret_is_ever_fetched(
    rsps: responses.RequestsMock, example: Environment, resource_graph: bool
) -> None:
    fake = serve(rsps, example)
    assert run_verify(example, resource_graph=resource_graph).analysis.exit_code == 2
    posts = {path for method, path in fake.calls if method != "GET"}
    assert posts == {"/providers/Microsoft.ResourceGraph/resources"}  # queries only
    secret_actions = ("listsecrets", "listcredentials", "listkeys", "listconnectionstrings")
    assert not [p for _, p in fake.calls if p.lower().endswith(secret_actions)]


def test_a_secret_listing_post_is_refused_before_it_is_sent(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    fake = serve(rsps, prod)
    arm = ArmClient(Connection(prod.subscription, StaticTokenCredential("t")))
    acr = prod.find("/registries/acrstockappprod")["id"]
    url = arm.url(f"{acr}/listCredentials", "2025-11-01")
    with pytest.raises(WriteRefused, match=r"refused to send POST .*/listCredentials"):
        arm._send(HttpRequest("POST", url))
    assert fake.calls == []


def test_one_pool_sized_to_the_workers() -> None:
    arm = ArmClient(Connection("sub", StaticTokenCredential("t"), workers=16))
    session = arm.transport.session  # type: ignore[attr-defined]
    adapter = session.get_adapter("https://management.azure.com/")
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 16
    assert adapter.max_retries.total is False  # retries are the throttle's alone


@pytest.mark.parametrize(("no_proxy", "proxied"), [("", True), ("management.azure.com", False)])
def test_proxy_and_ca_bundle_come_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_proxy: str, proxied: bool
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("not read until a request is made\n")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    arm = ArmClient(Connection("sub", StaticTokenCredential("t")))
    transport = arm.transport
    assert transport.session.trust_env is False  # type: ignore[attr-defined]
    proxies = transport.session.proxies  # type: ignore[attr-defined]
    assert (proxies.get("https") == "http://proxy.corp.example:3128") is proxied
    assert transport.connection_config.verify == str(bundle)


def test_a_continuous_access_evaluation_challenge_gets_a_token_with_its_claims(
    rsps: responses.RequestsMock,
) -> None:
    """ARM answers a revoked session with 401 and the claims a new token must carry."""
    claims = '{"access_token":{"nbf":{"essential":true,"value":"1795000000"}}}'
    encoded = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
    challenge = (
        'Bearer authorization_uri="https://login.example/", '
        f'error="insufficient_claims", claims="{encoded}"'
    )

    class Credential:
        def __init__(self) -> None:
            self.asked: list[str | None] = []

        def get_token(self, *scopes: str, claims: str | None = None, **_: object) -> AccessToken:
            self.asked.append(claims)
            return AccessToken(f"token-{len(self.asked)}", 2_000_000_000)

    url = "https://management.azure.com/subscriptions/sub/resourceGroups/rg"
    rsps.get(url, status=401, headers={"WWW-Authenticate": challenge}, json={})
    rsps.get(url, json={"id": "/subscriptions/sub/resourceGroups/rg", "name": "rg"})
    credential = Credential()
    arm = ArmClient(Connection("sub", credential))
    assert arm.get("/subscriptions/sub/resourceGroups/rg", "2021-04-01")["name"] == "rg"
    assert credential.asked == [None, claims]
    sent = [call.request.headers["Authorization"] for call in rsps.calls]
    assert sent == ["Bearer token-1", "Bearer token-2"]
