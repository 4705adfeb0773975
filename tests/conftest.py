from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from tests.arm_fake import ArmFake
from tests.factories import Environment, example_prod

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"

# Outcome of each test marked `real_terraform` (test id -> "passed", "failed", "skipped: why").
_REAL_TERRAFORM: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "real_terraform" not in report.keywords:
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
        _REAL_TERRAFORM[report.nodeid] = f"skipped: {reason.removeprefix('Skipped: ')}"
    elif report.failed:
        _REAL_TERRAFORM[report.nodeid] = "failed"
    elif report.when == "call":
        _REAL_TERRAFORM.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line in every run (CI included): how many tests drove the real terraform."""
    if not _REAL_TERRAFORM:
        return
    outcomes = list(_REAL_TERRAFORM.values())
    ran = [o for o in outcomes if not o.startswith("skipped")]
    skipped = sorted({o.removeprefix("skipped: ") for o in outcomes if o.startswith("skipped")})
    line = f"real terraform: {len(ran)} tests ran ({outcomes.count('failed')} failed), "
    line += f"{len(outcomes) - len(ran)} skipped" + (f" ({'; '.join(skipped)})" if skipped else "")
    terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _no_real_azure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test runs with a fake token, away from the repository's azprov.toml, and with
    terminal views 120 columns wide and without colour, whatever terminal runs pytest
    (tests of the width and colour set these variables themselves)."""
    monkeypatch.setenv("AZPROV_ACCESS_TOKEN", "test-token-not-real")
    monkeypatch.setenv("COLUMNS", "120")
    for name in ("AZURE_SUBSCRIPTION_ID", "AZPROV_ARM_ENDPOINT", "CI", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def prod() -> Environment:
    return Environment(name="prod").build()


@pytest.fixture
def example() -> Environment:
    return example_prod()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def serve(rsps: responses.RequestsMock, env: Environment, **kwargs: object) -> ArmFake:
    fake = ArmFake(env, **kwargs)  # type: ignore[arg-type]
    fake.install(rsps)
    return fake


def write_state(tmp_path: Path, env: Environment, name: str = "state.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(env.state_v4()))
    return path
