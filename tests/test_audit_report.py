"""The pre-approval audit report: content, order, redaction, escaping and size.

The live side comes from the real drift pipeline over the bundled example (prod with a
scaled database, a hand-made firewall rule, a deleted frontend, an unmanaged storage
account); the plan is `tests/fixtures/plans/azprov_prod_deploy.plan.json`, written on the
same environment, plus every third-party plan in the corpus.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from provisioner.audit import (
    GITHUB_SUMMARY_LIMIT,
    AuditReport,
    ChangeItem,
    Comparison,
    DriftFate,
    ImageStatus,
    addresses_by_id,
    build_report,
    drift_items,
    images_in_bodies,
    images_in_plan,
    images_in_state,
    render_html,
    render_json,
    render_markdown,
    same_build,
    split_image,
)
from provisioner.config import Environment as EnvConfig
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.model import Analysis, Finding, FindingKind, Severity, Unread
from provisioner.pipeline import verify
from provisioner.reporters.json_report import finding_dict
from provisioner.state import parse_state
from provisioner.state.plan import Action, Plan, parse_plan, plan_from_document
from tests.conftest import FIXTURES
from tests.factories import FAKE_API_KEY, FAKE_PASSWORD, Environment, dumps, example_prod
from tests.test_drift import full_coverage

PLANS = FIXTURES / "plans"
DEPLOY = "azprov_prod_deploy.plan.json"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HOSTILE = '<script>alert("pwned")</script>'
# Every secret value in the deploy plan and the findings below; none may be printed.
SECRETS = (
    FAKE_PASSWORD,
    FAKE_API_KEY,
    "smtp-password-not-real",
    "app-settings-password-not-real",
    "conn-string-password-not-real",
    "kv-password-not-real",
    "output-password-not-real",
    "sensitive-db-url-not-real",
    "message-password-not-real",
    "note-password-not-real",
)
CORPUS = sorted(p.name for p in PLANS.glob("zodiacae_*.plan.json"))
BACKEND = "azurerm_container_app.backend"
SERVER = "azurerm_postgresql_flexible_server.db"


def plan_doc(name: str = DEPLOY) -> dict[str, Any]:
    doc = json.loads((PLANS / name).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def load_plan(name: str = DEPLOY) -> Plan:
    return parse_plan((PLANS / name).read_text(encoding="utf-8"), name)


def analyse(env: Environment, unread: tuple[Unread, ...] = ()) -> Analysis:
    """verify's result for `env`, through the real pipeline (live replayed as a snapshot)."""
    state = parse_state(dumps(env.state_v4()), "prod.tfstate")
    inventory = Inventory(
        env.subscription,
        "2026-11-25T09:30:00Z",
        (env.rg,),
        tuple(env.bodies.values()),
        full_coverage(env),
        unread,
    )
    config = EnvConfig(env.name, f"{env.name}.tfstate", f"{env.name}.tfvars")
    return verify(config, lambda: state, lambda _: inventory, live_source="snapshot")


def policy_and_isolation() -> list[Finding]:
    backend_id = Environment(name="prod").build().find("/containerApps/ca-stockapp-backend-prod")
    return [
        Finding(
            FindingKind.POLICY,
            Severity.HIGH,
            backend_id["id"],
            "SMTP_PASSWORD is a plain env value (postgres://x:message-password-not-real@h/db)",
            address=BACKEND,
            type="azurerm_container_app",
            attribute="template.container[backend].env[SMTP_PASSWORD].value",
            actual="***",
            rule="ca-secrets-not-plain",
        ),
        Finding(
            FindingKind.ISOLATION,
            Severity.HIGH,
            backend_id["id"],
            f"DATABASE_URL points at test's server psql-stockapp-test {HOSTILE}",
            address=BACKEND,
            type="azurerm_container_app",
            attribute="template.container[backend].env[DATABASE_URL].value",
            actual="postgresql://stockadmin:***@psql-stockapp-test.postgres.database.azure.com",
        ),
    ]


def report_for(
    plan: Plan | None = None,
    analysis: Analysis | str | None = "example",
    findings: list[Finding] | None = None,
    compare: Comparison | None = None,
) -> AuditReport:
    return build_report(
        "prod",
        plan or load_plan(),
        analyse(example_prod()) if analysis == "example" else analysis,  # type: ignore[arg-type]
        policy_and_isolation() if findings is None else findings,
        notes=[
            "policy pg-geo-redundant-backup off in prod: restore tested monthly <b>ok</b>",
            "isolation: Password=note-password-not-real; was in a note",
        ],
        compare=compare,
        plan_source="tfplan.json",
        generated_at=NOW,
    )


@pytest.fixture(scope="module")
def report() -> AuditReport:
    return report_for()


@pytest.fixture(scope="module")
def outputs(report: AuditReport) -> dict[str, str]:
    return {
        "markdown": render_markdown(report),
        "html": render_html(report),
        "json": render_json(report),
    }


def section(markdown: str, heading: str) -> str:
    """The Markdown from `### heading...` up to the next `###` heading."""
    start = markdown.index("### " + heading)
    end = markdown.find("\n### ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


def unescape(markdown: str) -> str:
    """Markdown as a reader sees the text: backslash escapes and entities resolved."""
    text = re.sub(r"\\(.)", r"\1", markdown)
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


# --- verdict, counts, order ----------------------------------------------------------


def test_verdict_and_counts_come_first(report: AuditReport, outputs: dict[str, str]) -> None:
    assert report.exit_code == 2
    assert report.verdict == (
        "REVIEW: 4 destructive changes (2 delete, 2 replace), 2 drift findings this apply "
        "overwrites, 2 drift findings this apply keeps, 1 isolation finding, "
        "1 policy finding (exit 2)"
    )
    assert report.plan_summary == (
        "Plan: 2 to create, 2 to update, 2 to replace, 2 to delete, 1 to import, 1 to move"
    )
    md = unescape(outputs["markdown"])
    head = md[: md.index("###")]
    assert report.verdict in head
    assert report.plan_summary in head
    assert "Drift: 4 findings (2 overwritten, 1 adopted, 1 stays)" in head
    assert "Isolation: 1. Policy: 1" in head
    doc = json.loads(outputs["json"])
    assert doc["plan"]["counts"] == {
        "create": 2, "update": 2, "replace": 2, "delete": 2, "import": 1, "move": 1, "forget": 0,
    }  # fmt: skip
    assert doc["exit_code"] == 2
    assert doc["verdict"] == report.verdict


def test_destructive_changes_come_first_deletions_before_replacements(
    report: AuditReport, outputs: dict[str, str]
) -> None:
    assert [(c.action, c.address) for c in report.destructive] == [
        (Action.DELETE, "azurerm_postgresql_flexible_server_firewall_rule.azure_services"),
        (Action.DELETE, "azurerm_user_assigned_identity.legacy"),
        (Action.REPLACE, SERVER),
        (Action.REPLACE, "module.monitoring.azurerm_monitor_diagnostic_setting.app"),
    ]
    md = unescape(outputs["markdown"])
    order = [md.index(h) for h in ("Destructive changes (4)", "Updates in place", "Creates (2)")]
    assert order == sorted(order)
    table = section(md, ":warning: Destructive changes")
    rows = [line for line in table.splitlines() if line.startswith("| **")]
    assert [r.split("|")[1].strip() for r in rows] == ["**delete**"] * 2 + ["**replace**"] * 2
    assert "forced by zone" in rows[2] and "forced by name" in rows[3]
    assert "removed from the configuration" in rows[0]
    html = outputs["html"].replace("<wbr>", "")  # the line breaks it offers
    ids = [html.index(f'id="{s}"') for s in ("destructive", "updates", "creates", "images")]
    assert ids == sorted(ids)
    assert (
        html.index("azure_services")
        < html.index("id-stockapp-legacy")
        < html.index("psql-stockapp-prod")
    )


def test_the_attribute_forcing_a_replacement_is_marked(report: AuditReport) -> None:
    server = next(c for c in report.replaces if c.address == SERVER)
    assert server.replace_paths == ("zone",)
    forcing = {a.path: (a.before, a.after) for a in server.attributes if a.forces_replacement}
    assert forcing == {"zone": ("1", "2")}
    md = unescape(render_markdown(report))
    assert "<code>zone</code> **forces replacement** | <code>1</code> | <code>2</code>" in md


def test_updates_show_each_attribute_before_and_after(outputs: dict[str, str]) -> None:
    md = unescape(outputs["markdown"])
    updates = section(md, "Updates in place")
    assert "(2 resources, 7 attributes)" in updates
    assert (
        "| <code>template.0.container.0.image</code> | "
        "<code>acrstockappprod.azurecr.io/stockapp-backend:4f9c2e1</code> | "
        "<code>acrstockappprod.azurecr.io/stockapp-backend:9b1d7aa</code> |" in updates
    )
    assert "<code>template.0.max_replicas</code> | <code>5</code> | <code>10</code>" in updates
    assert "<code>(known after apply)</code>" in updates  # latest_revision_name
    # The moved workspace's update is listed, and the move with it in the HTML.
    assert "<code>retention_in_days</code> | <code>30</code> | <code>90</code>" in updates
    html = outputs["html"].replace("<wbr>", "")
    assert "moved from <code>azurerm_log_analytics_workspace.logs</code>" in html
    creates = section(md, "Creates (2)")
    assert "azurerm_container_app.frontend" in creates
    imports = section(md, "Imports, moves and forgets")
    assert "office-vpn" in imports


# --- images and test vs prod ---------------------------------------------------------


def test_image_tags_being_deployed(report: AuditReport, outputs: dict[str, str]) -> None:
    images = {(i.slot, i.status): (i.before, i.after) for i in report.images}
    assert images == {
        (f"{BACKEND}/backend", ImageStatus.CHANGED): (
            "acrstockappprod.azurecr.io/stockapp-backend:4f9c2e1",
            "acrstockappprod.azurecr.io/stockapp-backend:9b1d7aa",
        ),
        ("azurerm_container_app.frontend/frontend", ImageStatus.NEW): (
            None,
            "acrstockappprod.azurecr.io/stockapp-frontend:9b1d7aa",
        ),
        (f'azurerm_linux_web_app.admin["{HOSTILE}"]/docker_image_name', ImageStatus.NEW): (
            None,
            "stockapp-admin:1.0.3",
        ),
    }
    assert "Images: 3 containers (2 new, 1 changed)" in unescape(outputs["markdown"])
    doc = json.loads(outputs["json"])
    assert {"slot": f"{BACKEND}/backend", "address": BACKEND, "container": "backend",
            "before": "acrstockappprod.azurecr.io/stockapp-backend:4f9c2e1",
            "after": "acrstockappprod.azurecr.io/stockapp-backend:9b1d7aa",
            "status": "changed"} in doc["images"]  # fmt: skip


def test_images_removed_and_unknown_until_apply() -> None:
    doc = plan_doc()
    for rc in doc["resource_changes"]:
        if rc["address"] == BACKEND:
            rc["change"]["after"]["template"] = None
            rc["change"]["after_unknown"]["template"] = True  # the whole block is computed
        if rc["address"] == "azurerm_container_app.frontend":
            rc["change"]["actions"] = ["delete"]
            rc["change"]["before"], rc["change"]["after"] = rc["change"]["after"], None
    found = {i.slot: (i.after, i.status) for i in images_in_plan(plan_from_document(doc))}
    assert found[f"{BACKEND}/backend"] == ("(known after apply)", ImageStatus.CHANGED)
    assert found["azurerm_container_app.frontend/frontend"] == (None, ImageStatus.REMOVED)


@pytest.mark.parametrize(
    ("ref", "registry", "repository", "tag", "digest"),
    [
        ("acr.azurecr.io/team/api:1.4", "acr.azurecr.io", "team/api", "1.4", None),
        ("localhost:5000/api", "localhost:5000", "api", None, None),
        ("nginx", None, "nginx", None, None),
        ("library/nginx:1.27-alpine", None, "library/nginx", "1.27-alpine", None),
        (
            "mcr.microsoft.com/k8s/app:v2@sha256:" + "ab" * 32,
            "mcr.microsoft.com",
            "k8s/app",
            "v2",
            "sha256:" + "ab" * 32,
        ),
    ],
)
def test_image_references_split_like_docker(
    ref: str, registry: str | None, repository: str, tag: str | None, digest: str | None
) -> None:
    parts = split_image(ref)
    assert (parts.registry, parts.repository, parts.tag, parts.digest) == (
        registry, repository, tag, digest,
    )  # fmt: skip


def test_same_build_ignores_the_registry() -> None:
    assert same_build("acrtest.azurecr.io/api:9b1d7aa", "acrprod.azurecr.io/api:9b1d7aa")
    assert not same_build("acrtest.azurecr.io/api:4f9c2e1", "acrprod.azurecr.io/api:9b1d7aa")
    assert not same_build("acr.azurecr.io/api:1", "acr.azurecr.io/worker:1")
    assert same_build("api:(known after apply)", "(known after apply)") is None


def promoted_test() -> Environment:
    """Test after the build under review was deployed there: backend 9b1d7aa, frontend not."""
    test = Environment(name="test").build()
    for entry in test.state_resources:
        if entry["type"] == "azurerm_container_app" and entry["name"] == "backend":
            container = entry["instances"][0]["attributes"]["template"][0]["container"][0]
            container["image"] = "acrstockapptest.azurecr.io/stockapp-backend:9b1d7aa"
    body = test.find("/containerApps/ca-stockapp-backend-test")
    body["properties"]["template"]["containers"][0]["image"] = (
        "acrstockapptest.azurecr.io/stockapp-backend:9b1d7aa"
    )
    return test


def test_what_test_runs_versus_what_prod_will_run() -> None:
    test = promoted_test()
    state = parse_state(dumps(test.state_v4()), "test.tfstate")
    from_state = Comparison("test", "state test.tfstate", images_in_state(state))
    from_live = Comparison(
        "test",
        "snapshot test.live.json",
        images_in_bodies(test.bodies.values(), addresses_by_id(state)),
    )
    for compare in (from_state, from_live):
        result = report_for(compare=compare).comparison
        assert result is not None
        rows = {r.slot: (r.other, r.planned, r.same) for r in result.rows}
        assert rows[f"{BACKEND}/backend"] == (
            "acrstockapptest.azurecr.io/stockapp-backend:9b1d7aa",
            "acrstockappprod.azurecr.io/stockapp-backend:9b1d7aa",
            True,
        )
        assert rows["azurerm_container_app.frontend/frontend"] == (
            "acrstockapptest.azurecr.io/stockapp-frontend:4f9c2e1",
            "acrstockappprod.azurecr.io/stockapp-frontend:9b1d7aa",
            False,
        )
        assert rows[f'azurerm_linux_web_app.admin["{HOSTILE}"]/docker_image_name'][0] is None
    report = report_for(compare=from_state)
    md = unescape(render_markdown(report))
    assert "test vs prod: 2 of 3 containers differ" in md
    table = section(md, "What test runs vs what prod will run")
    backend_row = next(line for line in table.splitlines() if "stockapp-backend" in line)
    assert backend_row.endswith("| same build |")
    assert "not deployed there" in table
    doc = json.loads(render_json(report))
    assert {
        "slot": f"{BACKEND}/backend",
        "current": "acrstockapptest.azurecr.io/stockapp-backend:9b1d7aa",
        "planned": "acrstockappprod.azurecr.io/stockapp-backend:9b1d7aa",
        "same_build": True,
    } in doc["comparison"]["images"]


def test_live_bodies_without_state_addresses_are_named_by_azure_name() -> None:
    test = Environment(name="test").build()
    slots = {i.slot for i in images_in_bodies(test.bodies.values())}
    assert slots == {"ca-stockapp-backend-test/backend", "ca-stockapp-frontend-test/frontend"}


# --- drift ---------------------------------------------------------------------------


def test_drift_is_joined_to_the_plan(report: AuditReport, outputs: dict[str, str]) -> None:
    fates = {
        (d.finding.kind.value, d.finding.address or d.finding.resource_id.rsplit("/", 1)[1],
         d.finding.attribute): (d.fate, d.why)
        for d in report.drift
    }  # fmt: skip
    assert fates == {
        ("changed", SERVER, "sku_name"): (
            DriftFate.OVERWRITTEN, "the resource is rebuilt from the configuration",
        ),
        ("missing", "azurerm_container_app.frontend", None): (
            DriftFate.OVERWRITTEN, "created again by this apply",
        ),
        ("unmanaged", "office-vpn", None): (
            DriftFate.ADOPTED,
            "imported as azurerm_postgresql_flexible_server_firewall_rule.office_vpn by this plan",
        ),
        ("unmanaged", "stdebugexport01", None): (
            DriftFate.STAYS, "not in the state; this apply leaves it",
        ),
    }  # fmt: skip
    md = unescape(outputs["markdown"])
    overwritten = section(md, "Live drift this apply overwrites (2)")
    assert "sku_name" in overwritten and "GP_Standard_D4ds_v5" in overwritten
    assert "stdebugexport01" not in overwritten
    staying = section(md, "Live drift that stays or is adopted (2)")
    assert "stdebugexport01" in staying and "office-vpn" in staying
    assert "sku_name" not in staying
    # Terraform's own view of the same drift is shown beside azprov's.
    tf_drift = section(md, "Changes Terraform found outside Terraform (1)")
    assert "<code>GP_Standard_D2ds_v5</code> | <code>GP_Standard_D4ds_v5</code>" in tf_drift
    doc = json.loads(outputs["json"])
    sku = next(f for f in doc["findings"] if f.get("attribute") == "sku_name")
    assert sku["apply_effect"] == "overwritten"
    assert sku["expected"] == "GP_Standard_D2ds_v5" and sku["actual"] == "GP_Standard_D4ds_v5"


def server_updated_to(sku: str | None) -> Plan:
    """The deploy plan with the server updated in place (no replacement) to `sku`."""
    doc = plan_doc()
    for rc in doc["resource_changes"]:
        if rc["address"] == SERVER:
            change = rc["change"]
            change["actions"] = ["update"]
            change.pop("replace_paths")
            change["after"] = copy.deepcopy(change["before"])
            change["after"]["sku_name"] = sku
            if sku is None:
                change["after_unknown"] = {"sku_name": True}
    return plan_from_document(doc)


@pytest.mark.parametrize(
    ("planned_sku", "fate", "why"),
    [
        ("GP_Standard_D2ds_v5", DriftFate.OVERWRITTEN, "reset to 'GP_Standard_D2ds_v5' by"),
        ("GP_Standard_D4ds_v5", DriftFate.ADOPTED, "the plan keeps the live value"),
        (None, DriftFate.OVERWRITTEN, "is not known, so assume it is reset"),
    ],
)
def test_an_update_resets_or_keeps_a_drifted_attribute(
    planned_sku: str | None, fate: DriftFate, why: str
) -> None:
    analysis = analyse(example_prod())
    items = drift_items(analysis.findings, server_updated_to(planned_sku))
    sku = next(d for d in items if d.finding.attribute == "sku_name")
    assert sku.fate is fate
    assert why in sku.why


def test_drift_on_resources_the_plan_leaves_alone_stays() -> None:
    env = example_prod()
    env.find("/databases/stockapp")["properties"]["collation"] = "de_DE.utf8"
    analysis = analyse(env)
    items = drift_items(analysis.findings, load_plan())
    collation = next(d for d in items if d.finding.attribute == "collation")
    assert collation.finding.address == "azurerm_postgresql_flexible_server_database.app"
    assert collation.fate is DriftFate.STAYS
    assert collation.why == "the plan does not touch this resource"


def test_without_the_live_side_drift_is_not_checked() -> None:
    report = report_for(analysis=None, findings=[])
    md = unescape(render_markdown(report))
    assert "Drift: not checked (live Azure was not read)" in md
    assert "Not checked: live Azure was not read." in section(md, "Live drift")
    assert report.exit_code == 2  # the destructive changes still need a reviewer
    creates_only = build_report(
        "test", load_plan(CORPUS[0]), None, generated_at=NOW, plan_source=CORPUS[0]
    )
    assert creates_only.exit_code == 0
    assert creates_only.verdict == (
        "OK: no destructive changes and no findings; live Azure was not read, so drift is "
        "not checked (exit 0)"
    )
    assert json.loads(render_json(creates_only))["live"] is None


def test_unread_azure_or_an_errored_plan_makes_the_report_incomplete() -> None:
    unread = (Unread("rg-stockapp-prod", "Microsoft.App/containerApps", "HTTP 403"),)
    report = report_for(analysis=analyse(example_prod(), unread))
    assert report.exit_code == 1
    assert report.verdict == "INCOMPLETE: parts of live Azure could not be read (exit 1)"
    md = unescape(render_markdown(report))
    assert (
        ":x: could not read Microsoft.App/containerApps under <code>rg-stockapp-prod</code>" in md
    )
    doc = plan_doc()
    doc["errored"] = True
    errored = report_for(plan=plan_from_document(doc), analysis=analyse(example_prod()))
    assert errored.exit_code == 1
    assert errored.verdict.startswith("INCOMPLETE: the plan errored")


# --- findings, outputs, notes --------------------------------------------------------


def test_isolation_then_policy_findings_once_each(outputs: dict[str, str]) -> None:
    found = policy_and_isolation()
    analysis = analyse(example_prod())
    with_isolation = Analysis(**{**vars(analysis), "findings": (*analysis.findings, found[1])})
    report = report_for(analysis=with_isolation, findings=found)
    assert [f.kind for f in report.findings] == [FindingKind.ISOLATION, FindingKind.POLICY]
    md = unescape(outputs["markdown"])
    assert md.index("### Isolation (1)") < md.index("### Policy (1)")
    policy = section(md, "Policy (1)")
    assert "<code>ca-secrets-not-plain</code>" in policy
    doc = json.loads(outputs["json"])
    by_kind = {f["kind"]: f for f in doc["findings"]}
    assert by_kind["policy"]["rule"] == "ca-secrets-not-plain"
    # verify's schema: the same keys as `verify --format json`, drift adds its effect.
    assert set(by_kind["isolation"]) == set(finding_dict(found[1]))
    assert set(by_kind["changed"]) == set(finding_dict(found[1])) | {
        "apply_effect", "apply_effect_reason",
    }  # fmt: skip


def test_outputs_changing_with_sensitive_ones_masked(report: AuditReport) -> None:
    shown = {o.name: (o.before, o.after, o.sensitive) for o in report.outputs}
    assert shown == {
        "admin_password": (None, "***", True),  # not marked sensitive, but named like a secret
        "backend_url": ("https://old.example.test", "https://api.stockapp.example.test", False),
        "database_url": ("***", "***", True),
        "postgres_fqdn": (
            "psql-stockapp-prod.postgres.database.azure.com", "(known after apply)", False,
        ),
    }  # fmt: skip
    md = unescape(render_markdown(report))
    assert "<code>database_url</code> | update | <code>***</code> | <code>***</code>" in md


def test_notes_are_printed_redacted_once_each(outputs: dict[str, str]) -> None:
    notes = section(unescape(outputs["markdown"]), "Notes")
    assert "pg-geo-redundant-backup off in prod: restore tested monthly" in notes
    assert "Password=***;" in notes
    analysis = analyse(example_prod())
    noted = replace(
        analysis, notes=("isolation not checked: no state for test (pass --state test=FILE)",)
    )
    report = build_report("prod", load_plan(), noted, notes=noted.notes, generated_at=NOW)
    assert report.notes == noted.notes


def test_secrets_never_appear_in_any_format(outputs: dict[str, str]) -> None:
    small = render_markdown(report_for(), limit=8_000)
    for name, text in [*outputs.items(), ("short markdown", small)]:
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into {name}"
    # ...while the non-secret values beside them are still there.
    md = unescape(outputs["markdown"])
    assert "SMTP_PASSWORD" in md  # the variable's name says which secret is set
    assert "postgresql://stockadmin:***@psql-stockapp-test" in md


# --- escaping ------------------------------------------------------------------------


# Every tag the report's template writes; a value that became a tag would add another.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "div", "ul",
    "li", "dl", "dt", "dd", "section", "table", "thead", "tbody", "tr", "th", "td", "code",
    "span", "br", "wbr", "p", "footer",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.scripts += tag == "script" or any(k.startswith("on") for k, _ in attrs)


def test_hostile_names_are_escaped(outputs: dict[str, str]) -> None:
    html = outputs["html"]
    parser = _Tags()
    parser.feed(html)
    assert parser.scripts == 0
    assert "img" not in parser.tags and "b" not in parser.tags
    assert set(parser.tags) <= ALLOWED_TAGS, set(parser.tags) - ALLOWED_TAGS
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html.replace("<wbr>", "")
    md = outputs["markdown"]
    # GitHub renders inline HTML in summaries: only our own tags may appear.
    assert set(re.findall(r"</?([a-zA-Z]+)", md)) <= {"code", "details", "summary"}
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in md
    assert "&lt;b&gt;ok&lt;/b&gt;" in md  # in a note


def test_markdown_escapes_table_breakers_and_markup() -> None:
    found = Finding(
        FindingKind.POLICY, Severity.LOW, "/subscriptions/s/resourceGroups/rg",
        "# heading | pipe *bold* [link](http://x) `code`\nsecond line", rule="r|1",
    )  # fmt: skip
    md = render_markdown(report_for(findings=[found]))
    row = next(line for line in section(md, "Policy (1)").splitlines() if "heading" in line)
    assert row.count(" | ") == 5  # six cells: the pipes in the values are escaped
    assert "\\# heading \\| pipe \\*bold\\* \\[link\\](http://x) \\`code\\` second line" in row


# --- size and folding ----------------------------------------------------------------


def big_plan(creates: int) -> Plan:
    doc = plan_doc()
    template = next(
        rc for rc in doc["resource_changes"] if rc["address"] == "azurerm_container_app.frontend"
    )
    for i in range(creates):
        rc = copy.deepcopy(template)
        rc["address"] = f'azurerm_container_app.worker["w{i:05d}"]'
        rc["change"]["after"]["name"] = f"ca-worker-{i:05d}"
        doc["resource_changes"].append(rc)
    return plan_from_document(doc)


def test_long_lists_fold_and_destructive_changes_never_do() -> None:
    md = render_markdown(report_for(plan=big_plan(20)))
    assert "<details><summary>Creates (22)</summary>" in md
    destructive = section(md, ":warning: Destructive changes")
    table_part = destructive.split("| replaced resource")[0]
    assert "<details>" not in table_part
    assert md.count("<details>") == md.count("</details>")


def with_many_creates(report: AuditReport, count: int) -> AuditReport:
    """`report` as if the plan also created `count` container apps (no plan to parse)."""
    extra = tuple(
        ChangeItem(
            f'azurerm_container_app.worker["w{i:05d}"]', "azurerm_container_app",
            Action.CREATE, name=f"ca-stockapp-worker-{i:05d}-prod",
        )
        for i in range(count)
    )  # fmt: skip
    counts = dict(report.counts)
    counts["create"] += count
    return replace(report, creates=report.creates + extra, counts=tuple(counts.items()))


@pytest.mark.parametrize("artifact", ["audit.html", None])
def test_a_summary_over_the_limit_is_cut_with_a_pointer(
    report: AuditReport, artifact: str | None
) -> None:
    big = with_many_creates(report, 3000)
    full = render_markdown(big, limit=100 * GITHUB_SUMMARY_LIMIT)
    assert len(full.encode()) > 200_000  # big enough that cutting matters
    limit = 40_000
    md = render_markdown(big, limit=limit, artifact=artifact)
    assert len(md.encode("utf-8")) <= limit
    where = "the `audit.html` artifact" if artifact else "the HTML or JSON report"
    assert f"The full report is in {where}" in md
    assert re.search(rf"… and \d+ more rows: see {re.escape(where)}", md)
    assert "Creates (3002)" in md  # the heading still counts every row
    # The long, least important list is cut; everything a reviewer must see is whole.
    text = unescape(md)
    for item in big.destructive:
        assert item.address in text
    assert "### Isolation (1)" in text and "### Policy (1)" in text
    assert "Live drift this apply overwrites (2)" in text
    assert md.count("<details>") == md.count("</details>")


def test_a_tiny_limit_still_fits_and_points_to_the_full_report(report: AuditReport) -> None:
    md = render_markdown(report, limit=1024)
    assert len(md.encode("utf-8")) <= 1024
    assert "full report is in the `audit.html` artifact" in md
    assert md.count("<details>") == md.count("</details>")
    with pytest.raises(AzprovError, match="too small"):
        render_markdown(report, limit=100)


def test_the_default_limit_is_githubs(report: AuditReport) -> None:
    assert GITHUB_SUMMARY_LIMIT == 1024 * 1024
    big = with_many_creates(report, 12_000)
    assert len(render_markdown(big, limit=10 * GITHUB_SUMMARY_LIMIT)) > GITHUB_SUMMARY_LIMIT
    md = render_markdown(big)
    assert GITHUB_SUMMARY_LIMIT - 1000 < len(md.encode("utf-8")) <= GITHUB_SUMMARY_LIMIT


# --- HTML and JSON -------------------------------------------------------------------


def test_html_is_self_contained_and_printable(outputs: dict[str, str]) -> None:
    html = outputs["html"]
    for external in ("<script", "<link", "src=", "href=", "url(", "@import", "<iframe"):
        assert external not in html
    assert "default-src 'none'" in html  # nothing may load even if a value slipped through
    assert "@media print" in html
    assert re.search(r"body \{[^}]*background: #fff", html)
    assert html.count("<table>") == html.count("</table>")


def test_generated_at_is_the_injected_time_in_utc() -> None:
    local = datetime(2026, 11, 25, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    report = build_report("prod", load_plan(), None, generated_at=local)
    assert report.generated_at == "2026-11-25T10:00:00Z"
    assert "generated 2026-11-25T10:00:00Z" in render_markdown(report)


# --- every plan shape ----------------------------------------------------------------


ALL_PLANS = [PLANS / n for n in (DEPLOY, *CORPUS)] + [
    FIXTURES / "terraform" / "azprov_prod_changes.plan.json",
    FIXTURES / "terraform" / "azprov_terraform012_format01.plan.json",
]


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_every_plan_renders_in_all_three_formats(path: Path) -> None:
    plan = parse_plan(path.read_text(encoding="utf-8"), path.name)
    report = build_report("prod", plan, None, generated_at=NOW, plan_source=path.name)
    expected = {a.value: plan.count(a) for a in (Action.CREATE, Action.UPDATE,
                                                 Action.REPLACE, Action.DELETE)}  # fmt: skip
    assert {k: report.count(k) for k in expected} == expected
    doc = json.loads(render_json(report))
    assert doc["plan"]["format_version"] == plan.format_version
    assert len(doc["plan"]["creates"]) == plan.count(Action.CREATE)
    md = render_markdown(report)
    assert len(md.encode()) <= GITHUB_SUMMARY_LIMIT
    assert md.startswith("## azprov audit: <code>prod</code>")
    parser = _Tags()
    parser.feed(render_html(report))
    assert parser.scripts == 0
    assert ("table" in parser.tags) == bool(plan.changes)
    for text in (md, render_html(report), render_json(report)):
        assert "P@ssword1234!" not in text  # the plaintext password in the AKS demo plan


def test_corpus_container_app_images_are_found() -> None:
    plan = load_plan("zodiacae_privatecontainers-master.plan.json")
    images = {(i.address, i.container, i.after, i.status) for i in images_in_plan(plan)}
    # The containers' names are known only after apply: their place in the block names them.
    assert images == {
        ("module.sampleapp.module.managed_app_allure_docker_service.azurerm_container_app.app",
         "template.0.container.0", "docker.io/frankescobar/allure-docker-service:latest",
         ImageStatus.NEW),
        ("module.sampleapp.module.managed_app_allure_docker_ui_service.azurerm_container_app.app",
         "template.0.container.0", "docker.io/frankescobar/allure-docker-service-ui:latest",
         ImageStatus.NEW),
    }  # fmt: skip


def test_a_format_01_plan_without_newer_fields() -> None:
    plan = parse_plan(
        (FIXTURES / "terraform" / "azprov_terraform012_format01.plan.json").read_text()
    )
    report = build_report("prod", plan, None, generated_at=NOW)
    assert report.plan_format == "0.1"
    assert all(c.replace_paths == () for c in report.destructive)
    assert "format 0.1" in render_markdown(report)
