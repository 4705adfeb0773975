"""The isolation analyser on a large generated world gives exactly the findings pinned for it.

The world (`bench.isolation_world`) is three environments of realistic resources with leaks
of every kind planted between them, and near misses that must stay silent. Its findings were
recorded from the analyser before it was made fast (tests/fixtures/isolation_world.json);
any change of a finding, its order, its wording or what it shows fails here. To change
findings on purpose, rewrite the file with `python -m bench.isolation --golden PATH` and
review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.isolation import GOLDEN_SIZE, world_findings
from bench.isolation_world import SECRETS

GOLDEN = Path(__file__).parent / "fixtures" / "isolation_world.json"


@pytest.fixture(scope="module")
def golden() -> dict[str, list[dict[str, Any]]]:
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert doc["size"] == GOLDEN_SIZE
    scenarios: dict[str, list[dict[str, Any]]] = doc["scenarios"]
    return scenarios


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
    golden: dict[str, list[dict[str, Any]]],
    found: dict[str, list[dict[str, Any]]],
    scenario: str,
) -> None:
    expected, actual = golden[scenario], found[scenario]
    missing = [f for f in expected if f not in actual]
    extra = [f for f in actual if f not in expected]
    assert (missing, extra) == ([], [])
    assert actual == expected  # the same order too


def test_no_placeholder_secret_is_shown(found: dict[str, list[dict[str, Any]]]) -> None:
    text = json.dumps(found)
    assert all(secret not in text for secret in SECRETS)
