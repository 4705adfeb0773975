"""The Resource Graph path: one query, per-server child lists, confirmation, fallback.

ARM and Resource Graph are replayed by `ArmFake` through `responses`; the real SDK clients
make every request. Retries run on a `FakeClock`, so nothing sleeps.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.live.resource_graph import body_from_row, graph_query, kql_string
from tests.arm_fake import (
    GRAPH_PATH,
    ArmFake,
    FakeClock,
    error_body,
    graph_path_requests,
    run_verify,
)
from tests.conftest import serve, write_state
from tests.factories import Environment, example_prod, storage_account_properties

runner = CliRunner()
SERVER = "/flexibleServers/psql-stockapp-prod"
FRONTEND = "/containerApps/ca-stockapp-frontend-prod"


def gets(fake: ArmFake) -> list[str]:
    """The confirming reads: GETs other than the child and role-assignment lists."""
    lists = ("/firewallrules", "/databases", "/roleassignments")
    return [p for m, p in fake.calls if m == "GET" and not p.lower().endswith(lists)]


def scale_server(env: Environment, sku: tuple[str, str]) -> None:
    """The server's SKU on both sides, as after an `apply` that scaled it."""
    body = env.find(SERVER)
    body["sku"] = {"name": sku[0], "tier": sku[1]}
    [record] = [
        r for r in env.state_resources if r["instances"][0]["attributes"]["id"] == body["id"]
    ]
    record["instances"][0]["attributes"]["sku_name"] = f"GP_{sku[0]}"


def add_server(env: Environment, name: str) -> str:
    """A second server made by hand, with a firewall rule and a database."""
    server_id = env.provider_id("Microsoft.DBforPostgreSQL/flexibleServers", name)
    server = copy.deepcopy(env.find(SERVER))
    server.update(id=server_id, name=name)
    env.bodies[server_id.lower()] = server
    for child, child_name, props in (
        ("firewallRules", "anywhere", {"startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}),  # noqa: E501
        ("databases", "scratch", {"charset": "UTF8", "collation": "en_US.utf8"}),
    ):  # fmt: skip
        child_id = f"{server_id}/{child}/{child_name}"
        env.bodies[child_id.lower()] = {
            "id": child_id, "name": child_name, "properties": props,
            "type": f"Microsoft.DBforPostgreSQL/flexibleServers/{child}",
        }  # fmt: skip
    return server_id


# -- the query and its rows --------------------------------------------------------------


def test_query_names_the_groups_the_tag_and_the_resource_group_table() -> None:
    query = graph_query(["rg-app-prod", "rg-net-prod", "rg-app-prod"], "prod")
    assert query.startswith("resources | where resourceGroup in~ ('rg-app-prod', 'rg-net-prod')")
    assert "or tags['environment'] =~ 'prod'" in query
    assert "union (resourcecontainers | where type =~ " in query
    assert "name in~ ('rg-app-prod', 'rg-net-prod')" in query
    columns = "id, name, type, location, resourceGroup, subscriptionId, tags, sku, kind, identity"
    assert f"| project {columns}, properties |" in query
    assert query.endswith("| order by id asc")


def test_config_values_cannot_break_out_of_a_kql_string() -> None:
    assert kql_string("o'brien\\") == "'o\\'brien\\\\'"
    assert "=~ 'x\\' or 1==1 //'" in graph_query(["rg"], "x' or 1==1 //")


def test_rows_read_like_arm_bodies() -> None:
    rid = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.App/containerApps/api"
    row = {
        "id": rid, "name": "api", "type": "microsoft.app/containerapps", "location": "westeurope",
        "resourceGroup": "rg", "subscriptionId": "s", "tags": {"a": "b"}, "sku": None,
        "kind": "", "identity": None, "properties": {"configuration": {}},
    }  # fmt: skip
    assert body_from_row(row) == {
        "id": rid, "name": "api", "type": "Microsoft.App/containerApps", "location": "westeurope",
        "tags": {"a": "b"}, "properties": {"configuration": {}},
    }  # fmt: skip
    group = {"id": "/subscriptions/s/resourceGroups/RG", "name": "RG",
             "type": "microsoft.resources/subscriptions/resourcegroups"}  # fmt: skip
    assert body_from_row(group) == {**group, "type": "Microsoft.Resources/resourceGroups"}
    nested = {
        "id": f"{rid}/revisions/r1",
        "name": "r1",
        "type": "microsoft.app/containerapps/revisions",
    }
    assert body_from_row(nested) is None  # the list path does not see nested types either


# -- both paths, same answers --------------------------------------------------------------


def _clean() -> tuple[Environment, Environment]:
    return Environment(name="prod").build(), Environment(name="prod").build()


def _bundled() -> tuple[Environment, Environment]:
    return example_prod(), example_prod()


def _group_deleted() -> tuple[Environment, Environment]:
    return Environment(name="prod").build(), Environment(name="prod")


def _server_by_hand() -> tuple[Environment, Environment]:
    live = example_prod()
    add_server(live, "psql-stockapp-adhoc")
    return example_prod(), live


def _stripped() -> tuple[Environment, Environment]:
    """Resource Graph leaves fields out; the state still sets them."""
    return example_prod(), example_prod()


SCENARIOS: dict[str, tuple[Callable[[], tuple[Environment, Environment]], set[str]]] = {
    "clean": (_clean, set()),
    "bundled drift": (_bundled, {"changed", "missing", "unmanaged"}),
    "resource group deleted": (_group_deleted, {"missing"}),
    "server made by hand": (_server_by_hand, {"changed", "missing", "unmanaged"}),
    "fields stripped by the index": (_stripped, {"changed", "missing", "unmanaged"}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_both_paths_give_the_same_findings(scenario: str) -> None:
    build, kinds = SCENARIOS[scenario]
    runs = {}
    for resource_graph in (True, False):
        state, live = build()
        stripped = {}
        if scenario == "fields stripped by the index":
            for key, body in live.bodies.items():
                if body["type"] == "Microsoft.App/containerApps":
                    row = copy.deepcopy(body)
                    del row["properties"]["configuration"]["registries"]
                    del row["properties"]["template"]["containers"][0]["env"]
                    stripped[key] = row
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            fake = ArmFake(live, page_size=2, graph_page_size=3, graph_view=stripped)
            fake.install(rsps)
            runs[resource_graph] = (run_verify(state, resource_graph=resource_graph), fake)
    (graph, graph_fake), (lists, lists_fake) = runs[True], runs[False]
    assert graph.analysis.findings == lists.analysis.findings
    assert {f.kind.value for f in graph.analysis.findings} == kinds
    assert graph.analysis.resources_checked == lists.analysis.resources_checked
    assert graph.analysis.exit_code == lists.analysis.exit_code == (2 if kinds else 0)
    assert graph.inventory.method == "resource-graph" and not graph.inventory.notes
    assert graph_fake.graph_requests >= 1 and lists_fake.graph_requests == 0


def test_servers_found_only_in_azure_have_their_children_listed(
    rsps: responses.RequestsMock,
) -> None:
    state, live = _server_by_hand()
    fake = serve(rsps, live)
    run = run_verify(state)
    adhoc = [f.resource_id.rsplit("/", 2)[-2:] for f in run.analysis.findings]
    assert ["flexibleServers", "psql-stockapp-adhoc"] in adhoc
    assert ["firewallRules", "anywhere"] in adhoc
    assert ["databases", "scratch"] in adhoc
    children = [p for _, p in fake.calls if "psql-stockapp-adhoc/" in p]
    assert sorted(p.rsplit("/", 1)[1] for p in children) == ["databases", "firewallRules"]


def test_query_pages_on_skip_token(rsps: responses.RequestsMock, prod: Environment) -> None:
    fake = serve(rsps, prod, graph_page_size=3)  # 7 resources and 1 resource group
    run = run_verify(prod)
    assert run.analysis.exit_code == 0
    assert fake.graph_requests == 3
    first, second, third = [q for q in fake.graph_queries if q["query"].startswith("resources")]
    assert first["query"] == second["query"] == third["query"]
    assert "$skipToken" not in first["options"]
    assert (second["options"]["$skipToken"], third["options"]["$skipToken"]) == ("3", "6")
    assert first["options"]["$top"] == 1000


def test_child_lists_of_known_servers_run_while_the_query_does(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    children_started = threading.Event()
    seen: list[str] = []

    def on_request(method: str, path: str) -> None:
        if path.lower().endswith(("/firewallrules", "/databases")):
            seen.append(path)
            if len(seen) == 2:
                children_started.set()
        elif path.lower().endswith(GRAPH_PATH):
            # The query answers only once both child lists are in flight: if they waited
            # for it, this would time out and the test fail.
            assert children_started.wait(timeout=10), "child lists waited for the query"

    serve(rsps, prod, on_request=on_request)
    assert run_verify(prod).analysis.exit_code == 0


def test_resources_tagged_for_the_environment_elsewhere_are_read(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    shared = f"/subscriptions/{prod.subscription}/resourceGroups/rg-shared"
    prod.bodies[shared.lower()] = {
        "id": shared, "name": "rg-shared", "location": "westeurope", "tags": {},
        "type": "Microsoft.Resources/resourceGroups",
    }  # fmt: skip
    stray = f"{shared}/providers/Microsoft.Storage/storageAccounts/stprodexport"
    prod.bodies[stray.lower()] = {
        "id": stray, "name": "stprodexport", "location": "westeurope",
        "type": "Microsoft.Storage/storageAccounts", "kind": "StorageV2",
        "sku": {"name": "Standard_LRS", "tier": "Standard"}, "tags": {"environment": "Prod"},
        "properties": storage_account_properties("stprodexport"),
    }  # fmt: skip
    fake = serve(rsps, prod)
    run = run_verify(Environment(name="prod").build())
    assert [(f.kind.value, f.resource_id) for f in run.analysis.findings] == [("unmanaged", stray)]
    assert gets(fake) == [stray]  # confirmed by a direct read before it was reported


# -- confirmation: what the index flags is read again --------------------------------------


def _scaled_by_apply(env: Environment, fake: ArmFake) -> None:
    stale = copy.deepcopy(env.find(SERVER))
    scale_server(env, ("Standard_D4ds_v5", "GeneralPurpose"))
    fake.graph_view[stale["id"].lower()] = stale


def _created_by_apply(env: Environment, fake: ArmFake) -> None:
    fake.graph_view[env.find(FRONTEND)["id"].lower()] = None


def _destroyed_by_apply(env: Environment, fake: ArmFake) -> None:
    ghost = env.provider_id("Microsoft.Storage/storageAccounts", "stoldexports")
    fake.graph_view[ghost.lower()] = {
        "id": ghost, "name": "stoldexports", "location": "westeurope",
        "type": "Microsoft.Storage/storageAccounts",
        "properties": storage_account_properties("stoldexports"),
    }  # fmt: skip


def _retagged_by_apply(env: Environment, fake: ArmFake) -> None:
    stale = copy.deepcopy(env.find(FRONTEND))
    stale["tags"]["owner"] = "portal-user"
    fake.graph_view[stale["id"].lower()] = stale


def _workspace_retention_by_apply(env: Environment, fake: ArmFake) -> None:
    """A workspace: other resources read its customerId, so all are compared again."""
    body = env.find("/workspaces/log-stockapp-prod")
    stale = copy.deepcopy(body)
    body["properties"]["retentionInDays"] = 90
    [record] = [r for r in env.state_resources if r["type"] == "azurerm_log_analytics_workspace"]
    record["instances"][0]["attributes"]["retention_in_days"] = 90
    fake.graph_view[stale["id"].lower()] = stale


@pytest.mark.parametrize(
    "lag",
    [
        _scaled_by_apply,
        _created_by_apply,
        _destroyed_by_apply,
        _retagged_by_apply,
        _workspace_retention_by_apply,
    ],
)
def test_verify_right_after_apply_does_not_report_the_apply(
    rsps: responses.RequestsMock, lag: Callable[[Environment, ArmFake], None]
) -> None:
    env = Environment(name="prod").build()
    fake = serve(rsps, env)
    lag(env, fake)
    run = run_verify(env)
    assert run.analysis.findings == ()
    assert run.analysis.exit_code == 0
    assert run.analysis.resources_checked == len(env.state_resources)
    assert len(gets(fake)) == 1  # exactly the flagged resource, read directly


def test_a_group_the_index_has_not_seen_yet_is_listed_not_read_resource_by_resource(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    top_level = [k for k in prod.bodies if len(k.strip("/").split("/")) in (4, 8)]
    fake = serve(rsps, prod, graph_view=dict.fromkeys(top_level))  # a fresh `apply`
    run = run_verify(prod)
    assert run.analysis.exit_code == 0
    assert run.analysis.resources_checked == len(prod.state_resources)
    # every top-level resource flagged as missing: one typed list per type with several
    # flagged (the two apps), one GET for each other resource
    per_type = Counter(str(prod.bodies[k]["type"]) for k in top_level)
    confirming = sum(1 if n > 1 else n for n in per_type.values())
    assert confirming < len(top_level)
    assert len(fake.calls) == graph_path_requests(prod) + confirming
    reads = [p for m, p in fake.calls if m == "GET"]
    assert len(set(reads)) == len(reads)


def test_a_real_change_is_confirmed_and_reported(
    rsps: responses.RequestsMock, example: Environment
) -> None:
    fake = serve(rsps, example)  # Azure and its index agree: the drift is real
    run = run_verify(Environment(name="prod").build())
    findings = [(f.kind.value, f.attribute, f.actual) for f in run.analysis.findings]
    assert findings == [
        ("changed", "sku_name", "GP_Standard_D4ds_v5"),
        ("missing", None, None),
        ("unmanaged", None, None),
        ("unmanaged", None, None),
    ]
    # the server, the deleted app (404) and the hand-made storage account once each; the
    # firewall rule came from its server's list, a direct read already
    confirmed = sorted(p.rsplit("/", 1)[1] for p in gets(fake))
    assert confirmed == ["ca-stockapp-frontend-prod", "psql-stockapp-prod", "stdebugexport01"]
    assert len(fake.calls) == graph_path_requests(example) + 3


def test_a_failed_confirmation_is_unknown_not_clean_and_not_drift(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    stale = copy.deepcopy(prod.find(SERVER))
    stale["sku"] = {"name": "Standard_B1ms", "tier": "Burstable"}
    denied = error_body("AuthorizationFailed", "no read on flexibleServers")
    view = {stale["id"].lower(): stale}
    serve(rsps, prod, graph_view=view, failures={SERVER.lower(): (403, denied)})
    run = run_verify(prod)
    assert run.analysis.findings == ()
    assert run.analysis.exit_code == 1
    [unread] = run.analysis.unread
    assert unread.scope == stale["id"]
    assert unread.reason.startswith("could not confirm with a direct read: HTTP 403")


def test_types_azprov_does_not_read_are_confirmed_by_their_groups_generic_list(
    rsps: responses.RequestsMock, prod: Environment
) -> None:
    odd = prod.provider_id("Microsoft.Contoso/widgets", "w1")
    prod.bodies[odd.lower()] = {"id": odd, "name": "w1", "type": "Microsoft.Contoso/widgets"}
    fake = serve(rsps, prod)
    run = run_verify(Environment(name="prod").build())
    assert [(f.resource_id, f.type) for f in run.analysis.findings] == [(odd, None)]
    assert "Microsoft.Contoso/widgets 'w1'" in run.analysis.findings[0].message
    assert gets(fake) == [f"/subscriptions/{prod.subscription}/resourceGroups/{prod.rg}/resources"]


# -- when Resource Graph cannot be used -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, "AuthorizationFailed"),
        (409, "MissingSubscriptionRegistration"),
        (400, "BadRequest"),
    ],
)
def test_an_unusable_resource_graph_falls_back_to_lists_and_says_so_once(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment, status: int, code: str
) -> None:
    message = f"Resource Graph refused the query ({code})"
    fake = serve(rsps, example, failures={GRAPH_PATH: (status, error_body(code, message))})
    state = str(write_state(tmp_path, example))
    result = runner.invoke(app, ["verify", "--env", "prod", "--state", state, "-f", "json"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"azprov: note: Azure Resource Graph is not usable here (HTTP {status}")
    assert f"{code}: {message}" in line
    assert line.endswith("which is slower, and without who made each change")
    args = ["verify", "--env", "prod", "--state", state, "-f", "json"]
    lists = runner.invoke(app, [*args, "--no-resource-graph"])
    assert json.loads(result.stdout)["findings"] == json.loads(lists.stdout)["findings"]
    # azprov never registers a provider (a write) to make Resource Graph work: its only
    # POSTs are queries (the refused inventory; the second run's change records)
    assert {p for m, p in fake.calls if m == "POST"} == {
        "/providers/Microsoft.ResourceGraph/resources"
    }
    assert fake.graph_requests == 1


def test_a_resource_graph_outage_falls_back_after_its_retries(
    rsps: responses.RequestsMock, example: Environment
) -> None:
    clock = FakeClock()
    serve(rsps, example, failures={GRAPH_PATH: (503, error_body("ServiceUnavailable", "later"))})
    run = run_verify(example_prod(), clock=clock)
    # Three retries, backing off, then the list path; the change records' query, sent
    # beside the inventory's, retries the same way (and is not used: the note says so).
    assert sorted(clock.slept) == [0.5, 0.5, 1.0, 1.0, 2.0, 2.0]
    assert run.inventory.method == "lists"
    assert "HTTP 503 ServiceUnavailable" in run.inventory.notes[0]
    assert run.analysis.exit_code == 2
    assert len(run.analysis.findings) == 4


def test_snapshot_reads_with_lists_not_the_index(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    fake = serve(rsps, example)
    state = str(write_state(tmp_path, example))
    out = tmp_path / "live.json"
    result = runner.invoke(app, ["snapshot", "--env", "prod", "--state", state, "-o", str(out)])
    assert result.exit_code == 0
    assert fake.graph_requests == 0  # the index is never the inventory of a snapshot
    assert fake.change_queries == 1  # its change records are kept, to explain findings
    posts = [p for m, p in fake.calls if m != "GET"]
    assert posts == ["/providers/Microsoft.ResourceGraph/resources"]
