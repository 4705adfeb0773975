"""What a hostile or broken Azure can do to azprov's verdict and output: nothing.

Azure's answers are served by `ArmFake` through `responses`; every test runs the real
command line, so what is asserted is what a user's terminal, job summary or JSON file
would get. Classes of attack, each with the example that would have caught it:

- text that drives a terminal (ESC, OSC, C1, bidi controls) or Rich markup;
- text that renders as HTML, images, links or table cells in GitHub Markdown;
- URLs in responses that would take the bearer token elsewhere, or page forever;
- answers that are not what ARM documents (null lists, HTML error pages, deep JSON,
  bodies without a valid ID);
- secrets in Azure's own error messages;
- a run that would take forever (the whole-run deadline).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.arm_fake import GRAPH_PATH, ArmFake, FakeClock, error_body, run_verify
from tests.conftest import serve, write_state
from tests.factories import FAKE_PASSWORD, Environment

runner = CliRunner()
APPS = "/providers/microsoft.app/containerapps"
# Anything a terminal would act on: C0 but tab/newline, DEL, C1, bidi and zero-width controls.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
FORGED = "\nCLEAN: Azure matches the Terraform state (exit 0)"
MARKUP = "[link=https://evil.example/]x[/link] [/] [bold red]"
HTML = (
    "<script>alert(1)</script> ![](https://evil.example/pixel.png) "
    "[phish](https://evil.example/) | x"
)


def verify(tmp_path: Path, env: Environment, *args: str) -> Any:
    state = write_state(tmp_path, env)
    return runner.invoke(app, ["verify", "--env", "prod", "--state", str(state), *args])


def hostile(env: Environment) -> Environment:
    """Tags, names and env values laced with terminal escapes, markup and HTML."""
    app_body = env.find("/containerApps/ca-stockapp-backend-prod")
    app_body["tags"] = {**app_body["tags"], "owner": ESCAPES + FORGED, "note": MARKUP + HTML}
    env_list = app_body["properties"]["template"]["containers"][0]["env"]
    env_list[-1]["value"] = ESCAPES + HTML  # LOG_LEVEL, a plain value: drift, shown
    return env


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "sarif"])
def test_no_control_character_or_markup_from_azure_reaches_any_format(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, fmt: str
) -> None:
    serve(rsps, hostile(prod))
    result = verify(tmp_path, Environment(name="prod").build(), "-f", fmt)
    assert result.exit_code == 2, result.stderr
    assert RAW_CONTROL.search(result.stdout) is None
    assert not re.search(r"^CLEAN", result.stdout, re.M)  # a forged verdict line
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)  # still valid JSON: escapes stay JSON escapes
    else:
        assert "\\x1b" in result.stdout  # shown as an escape, visibly


def test_markdown_from_azure_text_is_inert(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    serve(rsps, hostile(prod))
    result = verify(tmp_path, Environment(name="prod").build(), "-f", "markdown")
    md = result.stdout
    assert "<script>" not in md and "&lt;script&gt;" in md
    # every bracket Azure sent is escaped: neither an image nor a link can form
    assert "https://evil.example/pixel.png" in md
    assert not re.search(r"(?<!\\)[\[\]]", md.replace("- [", "- "))
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(row.count(" | ") == rows[0].count(" | ") for row in rows)


def test_rich_markup_in_an_azure_error_is_printed_as_text(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    denied = (403, error_body("AuthorizationFailed", MARKUP + ESCAPES))
    serve(rsps, prod, failures={APPS: denied})
    result = verify(tmp_path, prod, "--no-resource-graph")
    assert result.exit_code == 1
    shown = " ".join(result.stdout.split())  # the table wraps long lines
    assert "[link=https://evil.example/]x[/link] [/] [bold red]" in shown
    assert RAW_CONTROL.search(result.stdout + result.stderr) is None


def test_secrets_in_azure_error_messages_are_redacted(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhenByb3YifQ.c2lnbmF0dXJlLW5vdC1yZWFs"
    message = (
        f"cannot read Server=psql;Password={FAKE_PASSWORD};, postgres://admin:p@ss-{FAKE_PASSWORD}"
        f"@psql.example:5432/db, token {token}, Authorization: Bearer {jwt}"
    )
    serve(rsps, prod, failures={APPS: (403, error_body("AuthorizationFailed", message))})
    for fmt in ("table", "json", "markdown"):
        result = verify(tmp_path, prod, "--no-resource-graph", "-f", fmt)
        shown = result.stdout + result.stderr
        assert result.exit_code == 1
        for secret in (FAKE_PASSWORD, "p@ss", token, jwt, "hunter"):
            assert secret not in shown, (fmt, secret)
        stars = "\\*\\*\\*" if fmt == "markdown" else "***"
        assert f"Password={stars}" in shown and f"admin:{stars}@psql.example" in shown


# -- URLs from responses, and pages --------------------------------------------------------


def _page_with_next(link: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    return 200, {}, {"value": [], "nextLink": link}


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/subscriptions/x/resources?api-version=1",
        "http://management.azure.com/subscriptions/x/resources",  # another scheme
        "https://management.azure.com:8443/subscriptions/x/resources",  # another port
        "https://management.azure.com.evil.example/x",
    ],
)
def test_a_next_link_elsewhere_is_refused_and_the_token_stays_home(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, link: str
) -> None:
    fake = serve(rsps, prod, scripted={APPS: [_page_with_next(link)]})
    result = verify(tmp_path, prod, "--no-resource-graph", "-f", "json")
    assert result.exit_code == 1
    [unread] = [u for u in json.loads(result.stdout)["unread"] if "containerApps" in u["what"]]
    assert "refused a nextLink" in unread["reason"]
    sent = [call.request.url for call in rsps.calls]
    assert all(url.startswith("https://management.azure.com/") for url in sent)
    assert len(fake.requests) == len(sent)


def test_a_next_link_loop_ends_with_an_unread_scope(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment
) -> None:
    group = f"/subscriptions/{prod.subscription}/resourceGroups/{prod.rg}"
    loop = f"https://management.azure.com{group}/providers/Microsoft.App/containerApps?x=1"
    fake = serve(rsps, prod, scripted={APPS: [_page_with_next(loop)] * 500})
    result = verify(tmp_path, prod, "--no-resource-graph", "-f", "json")
    assert result.exit_code == 1
    [unread] = [u for u in json.loads(result.stdout)["unread"] if "containerApps" in u["what"]]
    assert "pages back to itself" in unread["reason"]
    assert sum(1 for p in fake.requests if p.lower().endswith(APPS)) == 2


# -- answers ARM does not document ---------------------------------------------------------


def _deep(levels: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    node = doc
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return doc


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((200, {}, {"value": None}), "has no list of objects"),
        ((200, {}, {"value": "nope"}), "has no list of objects"),
        ((502, {}, "<html><body><h1>502 Bad Gateway</h1></body></html>"), "HTTP 502"),
        ((200, {}, "<html>maintenance</html>"), "is not JSON"),
        ((200, {}, '{"value": [' + "[" * 5000 + "]" * 5000 + "]}"), "is not JSON"),
        ((200, {}, {"value": [_deep(400)]}), "nested too deeply"),
        ((200, {}, {"value": [{"id": "garbage-id", "name": "x"}]}), "not an Azure resource ID"),
        ((200, {}, {"value": [{"name": "no id"}]}), "without an ID"),
    ],
)
def test_a_malformed_answer_is_one_unread_scope_never_a_traceback(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, answer: Any, said: str
) -> None:
    serve(rsps, prod, scripted={APPS: [answer] * 4})
    result = verify(tmp_path, prod, "--no-resource-graph", "-f", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [unread] = [u for u in json.loads(result.stdout)["unread"] if "containerApps" in u["what"]]
    assert said in unread["reason"]
    assert "<html>" not in unread["reason"]


# -- the whole-run deadline ----------------------------------------------------------------


def test_past_the_deadline_nothing_more_is_sent_and_the_run_says_what_it_did_not_read(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    clock = FakeClock()

    def slow(method: str, path: str) -> None:
        clock.now += 100  # every answer takes 100 s

    fake = serve(rsps, prod, on_request=slow)
    run = run_verify(prod, resource_graph=False, clock=clock, budget_s=300, workers=1)
    assert run.analysis.exit_code == 1
    assert len(fake.requests) == 3  # 0 s, 100 s, 200 s; at 300 s the deadline has passed
    reasons = {u.reason for u in run.analysis.unread}
    assert "not read: the run's 300 s deadline (--timeout) passed" in reasons
    assert run.analysis.findings == ()  # nothing unread is reported as missing


def test_the_deadline_also_bounds_resource_graph_and_the_reads_after_it(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    clock = FakeClock()
    fake = ArmFake(prod, on_request=lambda m, p: setattr(clock, "now", clock.now + 400))
    fake.install(rsps)
    run = run_verify(prod, clock=clock, budget_s=300, workers=1)
    assert run.analysis.exit_code == 1
    assert fake.requests == [
        GRAPH_PATH.replace("microsoft.resourcegraph", "Microsoft.ResourceGraph")
    ]
    not_read = {u.what.rsplit("/", 1)[-1] for u in run.analysis.unread}
    assert not_read == {"roleAssignments", "firewallRules", "databases"}
    assert all("300 s deadline" in u.reason for u in run.analysis.unread)
    # no fallback to lists after the time is up, and no attribution query either
    [note] = run.inventory.notes
    assert note.startswith("changes are not attributed") and "deadline" in note


def test_timeout_option_and_environment_variable(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, monkeypatch: Any
) -> None:
    serve(rsps, prod, scripted={APPS: [(429, {"Retry-After": "45"}, error_body("Throttled", ""))]})
    monkeypatch.setenv("AZPROV_TIMEOUT", "30")
    result = verify(tmp_path, prod, "--no-resource-graph", "-f", "json")
    assert result.exit_code == 1
    reasons = " ".join(u["reason"] for u in json.loads(result.stdout)["unread"])
    assert "waiting 45 s more would overrun the run's 30 s deadline" in reasons
    bad = verify(tmp_path, prod, "--timeout", "0")
    assert bad.exit_code != 0 and "--timeout" in bad.stderr


# -- no credentials ------------------------------------------------------------------------


class _NoCredentials:
    """Fails the way DefaultAzureCredential does, logging a warning per credential tried."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        import logging

        from azure.core.exceptions import ClientAuthenticationError

        for name in ("environment", "managed_identity", "azure_cli", "azure_powershell"):
            logging.getLogger(f"azure.identity._credentials.{name}").warning(
                "%s.get_token failed: unavailable\nTroubleshooting: https://aka.ms/x", name
            )
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    get_token_info = get_token


def test_without_credentials_the_failure_is_one_line_naming_what_to_set(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, monkeypatch: Any
) -> None:
    import logging

    from provisioner.cli import build_app

    azure = logging.getLogger("azure")
    monkeypatch.setattr(azure, "level", azure.level)
    monkeypatch.setattr(azure, "propagate", azure.propagate)
    monkeypatch.setattr(logging.getLogger(), "handlers", list(logging.getLogger().handlers))
    serve(rsps, prod)
    monkeypatch.setattr("provisioner.cli.common.credential_from_environment", _NoCredentials)
    state = str(write_state(tmp_path, prod))
    cli = build_app(["verify"])
    result = runner.invoke(cli, ["verify", "--env", "prod", "--state", state])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("azprov: error: no usable Azure credentials (tried AZPROV_ACCESS_TOKEN")
    assert "az login" in line and "AZURE_CLIENT_ID" in line and "--debug" in line
    debug = runner.invoke(cli, ["--debug", "verify", "--env", "prod", "--state", state])
    assert debug.exit_code == 1
    assert "azure_cli.get_token failed" in debug.stderr  # --debug shows each attempt
