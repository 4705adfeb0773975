"""The web app rules: HTTPS only and TLS 1.2 or later, on in prod, on the plan and live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.analysers.policy_rules import tls_version
from provisioner.cli import app
from provisioner.state.plan import UNKNOWN
from tests.conftest import serve, write_state
from tests.registry.test_linux_web_app import SITE_KEY, WEB_APP, as_arm_returns_it
from tests.test_policy import change, hits, plan_of, run, settings_from

ADDRESS = "azurerm_linux_web_app.web"
runner = CliRunner()


def web_app(https_only: Any = True, tls: Any = "1.2") -> dict[str, Any]:
    """Planned values of a Linux web app (the fixture's state, retuned)."""
    after = json.loads(json.dumps(WEB_APP.doc["resource"]["attributes"]))
    after["https_only"] = https_only
    after["site_config"][0]["minimum_tls_version"] = tls
    return after


@pytest.mark.parametrize(
    ("environment", "values", "expected"),
    [
        ("prod", {}, []),
        ("prod", {"tls": "1.3"}, []),
        ("prod", {"tls": "1.1"}, [("webapp-min-tls", "site_config.minimum_tls_version")]),
        ("prod", {"tls": "1.0", "https_only": False}, [
            ("webapp-https-only", "https_only"),
            ("webapp-min-tls", "site_config.minimum_tls_version"),
        ]),
        ("test", {"tls": "1.0", "https_only": False}, []),  # prod's rules, by default
        ("prod", {"tls": UNKNOWN, "https_only": UNKNOWN}, []),  # known only after apply
    ],
)  # fmt: skip
def test_the_plan_is_judged_in_prod(
    environment: str, values: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert hits(run(plan_of(change(ADDRESS, web_app(**values))), environment)) == expected


def test_a_finding_shows_the_version_and_why() -> None:
    [finding] = run(plan_of(change(ADDRESS, web_app(tls="1.0"))))
    assert (finding.severity.value, finding.expected, finding.actual) == ("high", ">= 1.2", "1.0")
    assert "the web app accepts TLS 1.0" in finding.message
    assert "RFC 8996" in finding.message


@pytest.mark.parametrize(
    ("text", "version"),
    [("1.2", (1, 2)), ("1.0", (1, 0)), ("TLS1_2", (1, 2)), ("TLS1_0", (1, 0)),
     ("tls1.3", (1, 3)), ("", None), ("latest", None), (UNKNOWN, None), (None, None)],
)  # fmt: skip
def test_tls_versions_in_the_spellings_azure_uses(text: Any, version: Any) -> None:
    assert tls_version(text) == version


def test_either_rule_can_be_switched_off_for_prod_with_a_reason(tmp_path: Path) -> None:
    settings = settings_from(
        """
        [environments.prod]
        [environments.prod.policy.webapp-https-only]
        enabled = false
        reason = "Front Door terminates HTTP and redirects before the app"
        """,
        tmp_path,
    )
    resources = plan_of(change(ADDRESS, web_app(https_only=False, tls="1.1")))
    assert hits(run(resources, "prod", settings)) == [
        ("webapp-min-tls", "site_config.minimum_tls_version")
    ]


def verify_live(tmp_path: Path, body_change: Any) -> list[tuple[str, str]]:
    """The policy findings `azprov verify` reports on the web app as Azure shows it."""
    env = WEB_APP.world()
    body_change(env.bodies[SITE_KEY])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, env)
        state = write_state(tmp_path, env)
        result = runner.invoke(
            app, ["verify", "--env", "prod", "--state", str(state), "-f", "json"]
        )
    findings = json.loads(result.stdout)["findings"]
    return [
        (f["rule"], f["attribute"])
        for f in findings
        if f["kind"] == "policy" and f["resource_id"].lower() == SITE_KEY
    ]


def test_live_https_off_is_reported_beside_its_drift(tmp_path: Path) -> None:
    def http_allowed(body: dict[str, Any]) -> None:
        body["properties"]["httpsOnly"] = False

    assert verify_live(tmp_path, http_allowed) == [("webapp-https-only", "https_only")]


def test_live_tls_is_judged_only_where_the_body_carries_it(tmp_path: Path) -> None:
    def old_tls(body: dict[str, Any]) -> None:
        body["properties"]["siteConfig"]["minTlsVersion"] = "1.0"

    def old_tls_as_arm_returns_it(body: dict[str, Any]) -> None:
        old_tls(body)
        as_arm_returns_it(body)  # the site GET's siteConfig: every value null

    assert verify_live(tmp_path, old_tls) == [("webapp-min-tls", "site_config.minimum_tls_version")]
    assert verify_live(tmp_path, old_tls_as_arm_returns_it) == []
