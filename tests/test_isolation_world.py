"""The isolation analyser on large generated worlds gives exactly the findings pinned for them.

Two worlds. `bench.isolation_world`: three environments of realistic resources with leaks
of every kind planted between them, and near misses that must stay silent. The scale
benchmark's world (`bench.generate.pair`, bodies cloned from the registry's fixtures, as
`azprov verify` reads them), each way round, with a plan, shared resources, a shared state
key and the other environment's strings planted in bodies (`bench.isolation.scale_scenarios`).
Both were recorded from the analyser before it was made fast (tests/fixtures/
isolation_world.json, isolation_scale_world.json); any change of a finding, its order, its
wording or what it shows fails here. To change findings on purpose, rewrite the files with
`python -m bench.isolation --golden PATH [--world scale]` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.isolation import GOLDEN_SIZE, SCALE_GOLDEN_SIZE, scale_findings, world_findings
from bench.isolation_world import SECRETS

GOLDEN = Path(__file__).parent / "fixtures" / "isolation_world.json"
SCALE_GOLDEN = Path(__file__).parent / "fixtures" / "isolation_scale_world.json"
Findings = dict[str, list[dict[str, Any]]]


def pinned(path: Path, size: int) -> Findings:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["size"] == size
    scenarios: Findings = doc["scenarios"]
    return scenarios


def assert_same(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> None:
    missing = [f for f in expected if f not in actual]
    extra = [f for f in actual if f not in expected]
    assert (missing, extra) == ([], [])
    assert actual == expected  # the same order too


@pytest.fixture(scope="module")
def golden() -> Findings:
    return pinned(GOLDEN, GOLDEN_SIZE)


@pytest.fixture(scope="module")
def found() -> dict[str, list[dict[str, Any]]]:
    return world_findings(GOLDEN_SIZE)


def test_the_pinned_findings_cover_every_check(golden: dict[str, list[dict[str, Any]]]) -> None:
    rows = [f for findings in golden.values() for f in findings]
    messages = " ".join(f["message"] for f in rows)
    checks = [
        "use the same state key", "two environments manage the same resource",
        "which test's state manages", "points at a resource under", "range ",
        "found in Azure only", "set by the plan", "names prod, but", "names no environment",
        "FQDN", "login server", "default domain", "Key Vault", "outbound IP", "static IP",
        "workspace ID", "client ID", "identity azurerm_user_assigned_identity",
        ") holds AcrPull on ", "found in prod's state and Azure",
    ]  # fmt: skip
    for said in checks:
        assert said in messages, said
    assert {f["severity"] for f in rows} == {"high", "medium", "low"}


@pytest.mark.parametrize("scenario", ["test", "prod", "staging"])
def test_findings_on_the_generated_world_are_the_pinned_ones(
    golden: Findings, found: Findings, scenario: str
) -> None:
    assert_same(golden[scenario], found[scenario])


def test_no_placeholder_secret_is_shown(found: dict[str, list[dict[str, Any]]]) -> None:
    text = json.dumps(found)
    assert all(secret not in text for secret in SECRETS)


# -- the scale benchmark's world ------------------------------------------------------------

SCALE_SCENARIOS = [
    f"{env}{kind}"
    for env in ("prod", "test")
    for kind in ("", "-plan-shared", "-mixed", "-state-key")
]


@pytest.fixture(scope="module")
def scale_golden() -> Findings:
    return pinned(SCALE_GOLDEN, SCALE_GOLDEN_SIZE)


@pytest.fixture(scope="module")
def scale_found() -> Findings:
    return scale_findings(SCALE_GOLDEN_SIZE)


def test_the_scale_world_pins_every_kind_of_reference(scale_golden: Findings) -> None:
    assert list(scale_golden) == SCALE_SCENARIOS
    rows = [f for findings in scale_golden.values() for f in findings]
    messages = " ".join(f["message"] for f in rows)
    checks = [
        "points at test's", "points at prod's", "points at a resource under", "range ",
        "found in Azure only", "found in the state and Azure", "set by the plan",
        "names test, but", "use the same state key", "FQDN", "login server", "outbound IP",
        "static IP", "principal ID", "client ID", "workspace ID", "storage",
    ]  # fmt: skip
    for said in checks:
        assert said in messages, said
    assert len(rows) > 400


@pytest.mark.parametrize("scenario", SCALE_SCENARIOS)
def test_findings_on_the_scale_world_are_the_pinned_ones(
    scale_golden: Findings, scale_found: Findings, scenario: str
) -> None:
    assert_same(scale_golden[scenario], scale_found[scenario])
