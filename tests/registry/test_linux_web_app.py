"""`azurerm_linux_web_app`: what is particular to Linux web apps.

The registry harness (tests/test_registry.py) reads the app end to end from its fixture.
These tests cover what a site's GET leaves out (site_config's values, app settings) and
how azprov copes without it: such values never drift, and the one request that would
return app settings (`POST {site}/config/appsettings/list`) is never sent. Sites of other
kinds (Windows web apps, function apps) share the ARM type and must not be read as one.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.arm_fake import GRAPH_PATH, ArmFake
from tests.conftest import serve, write_state
from tests.factories import Environment
from tests.test_registry import FIXTURES_BY_TYPE, PATHS

WEB_APP = FIXTURES_BY_TYPE["azurerm_linux_web_app"]
SITE_KEY = WEB_APP.arm_id.lower()
# Values azurerm marks sensitive: the state holds them; no output of azprov may.
SECRETS = (
    WEB_APP.doc["azure"]["properties"]["customDomainVerificationId"],
    WEB_APP.doc["resource"]["attributes"]["site_credential"][0]["password"],
)
runner = CliRunner()


def graph_flag(path: str) -> str:
    return "--resource-graph" if PATHS[path] else "--no-resource-graph"


def verify(tmp_path: Path, env: Environment, path: str, *args: str) -> tuple[int, str, ArmFake]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = serve(rsps, env)
        state = write_state(tmp_path, env)
        result = runner.invoke(
            app, ["verify", "--env", "prod", "--state", str(state), graph_flag(path), *args]
        )
    return result.exit_code, result.stdout, fake


def on_the_app(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["resource_id"].lower() == SITE_KEY]


def as_arm_returns_it(body: dict[str, Any]) -> None:
    """A site's GET as ARM answers it: `siteConfig` present, its values null."""
    config = dict.fromkeys(body["properties"]["siteConfig"])
    config |= {"numberOfWorkers": 3, "linuxFxVersion": "DOCKER|acrstockappprod.azurecr.io/web"}
    body["properties"]["siteConfig"] = config


@pytest.mark.parametrize("path", PATHS)
def test_a_site_get_with_null_site_config_reads_clean(tmp_path: Path, path: str) -> None:
    env = WEB_APP.world()
    as_arm_returns_it(env.bodies[SITE_KEY])
    code, out, _ = verify(tmp_path, env, path, "-f", "json")
    doc = json.loads(out)
    # (The harness's resource group carries no tags: the required-tags rule reports it.)
    assert on_the_app(doc) == [] and doc["unread"] == []
    assert code == 2 and doc["findings"][0]["rule"] == "required-tags"


@pytest.mark.parametrize("path", PATHS)
def test_a_minimum_tls_version_azure_shows_is_read_but_never_drift(
    tmp_path: Path, path: str
) -> None:
    # Where a body does carry siteConfig (as in the REST example), a lower TLS version
    # is for the policy rule to judge: drift cannot be told from ARM's usual null.
    env = WEB_APP.world()
    env.bodies[SITE_KEY]["properties"]["siteConfig"]["minTlsVersion"] = "1.0"
    _, out, _ = verify(tmp_path, env, path, "-f", "json")
    assert [f for f in on_the_app(json.loads(out)) if f["kind"] == "changed"] == []


@pytest.mark.parametrize("path", PATHS)
def test_verify_sends_no_post_but_the_resource_graph_query(tmp_path: Path, path: str) -> None:
    env = WEB_APP.world()
    env.bodies[SITE_KEY]["properties"]["httpsOnly"] = False  # a finding, so a full run
    code, _, fake = verify(tmp_path, env, path)
    assert code == 2
    posts = [p for method, p in fake.calls if method != "GET"]
    assert all(p.lower().endswith(GRAPH_PATH) for p in posts), posts
    # the inventory query (Resource Graph path) and the change records' query (both)
    assert len(posts) == (2 if PATHS[path] else 1)
    assert not [p for _, p in fake.calls if "/config" in p.lower()]


def test_snapshot_sends_no_post_and_keeps_no_secret(tmp_path: Path) -> None:
    env = WEB_APP.world()
    out = tmp_path / "prod.live.json"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = serve(rsps, env)
        state = write_state(tmp_path, env)
        result = runner.invoke(
            app, ["snapshot", "--env", "prod", "--state", str(state), "-o", str(out)]
        )
    assert result.exit_code == 0, result.stderr
    posts = [p for method, p in fake.calls if method != "GET"]
    assert [p.lower() for p in posts] == [GRAPH_PATH]  # the change records' query only
    saved = out.read_text()
    assert "app-stockapp-web-prod" in saved
    assert not [s for s in SECRETS if s in saved]


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_sensitive_values_never_show_in_a_report(tmp_path: Path, fmt: str) -> None:
    env = WEB_APP.world()
    env.bodies[SITE_KEY]["properties"]["httpsOnly"] = False
    code, out, _ = verify(tmp_path, env, "lists", "-f", fmt)
    assert code == 2
    assert ("https\\_only" if fmt == "markdown" else "https_only") in out
    assert not [s for s in SECRETS if s in out]


def other_site(name: str, kind: str) -> dict[str, Any]:
    """A site of another kind in the same group (a Windows web app, a function app)."""
    body = copy.deepcopy(WEB_APP.doc["azure"])
    body["id"] = WEB_APP.arm_id.rsplit("/", 1)[0] + "/" + name
    body["name"], body["kind"] = name, kind
    body["properties"]["reserved"] = "linux" in kind
    return body


@pytest.mark.parametrize("path", PATHS)
def test_sites_of_other_kinds_stay_unmanaged_under_their_arm_type(
    tmp_path: Path, path: str
) -> None:
    env = WEB_APP.world()
    for body in (other_site("app-legacy-win", "app"), other_site("func-jobs", "functionapp,linux")):
        env.bodies[body["id"].lower()] = body
    _, out, _ = verify(tmp_path, env, path, "-f", "json")
    found = [
        (f["kind"], f["type"], f["resource_id"].rsplit("/", 1)[1], f["message"].split(" '")[0])
        for f in json.loads(out)["findings"]
        if "/sites/" in f["resource_id"]
    ]
    assert sorted(found) == [
        ("unmanaged", None, "app-legacy-win", "Microsoft.Web/sites"),
        ("unmanaged", None, "func-jobs", "Microsoft.Web/sites"),
    ]


def test_import_writes_a_block_for_a_linux_web_app_and_skips_other_sites(
    tmp_path: Path,
) -> None:
    env = WEB_APP.world(in_state=False)
    windows = other_site("app-legacy-win", "app")
    env.bodies[windows["id"].lower()] = windows
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, env)
        state = write_state(tmp_path, env)
        result = runner.invoke(app, ["import", "--env", "prod", "--state", str(state), "-o", "-"])
    assert result.exit_code == 0, result.stderr
    [block] = hcl2.loads(result.stdout)["import"]
    assert str(block["to"]).strip("${}") == "azurerm_linux_web_app.app_stockapp_web_prod"
    assert str(block["id"]).strip('"') == WEB_APP.arm_id
    assert f"# skipped {windows['id']}: no azurerm resource type is known" in result.stdout
