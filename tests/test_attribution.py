"""Who made each drift: Resource Graph's change records joined to findings.

The change records are served by `ArmFake` as Resource Graph's `resourcechanges` table
holds them (each row's `properties`), deliberately out of order.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.analysers.attribution import is_system_change, parse_changes
from provisioner.cli import app
from tests.arm_fake import ArmFake, error_body
from tests.conftest import write_state
from tests.factories import Environment, bundled_prod

runner = CliRunner()
SERVER = "/flexibleServers/psql-stockapp-prod"


def row(
    target: str,
    change_type: str,
    at: str,
    by: str,
    *,
    changes: dict[str, str] | None = None,
    by_type: str = "User",
    client: str = "Azure Portal",
    operation: str = "Microsoft.DBforPostgreSQL/flexibleServers/write",
) -> dict[str, Any]:
    """One `resourcechanges` row's `properties`, shaped like the documented payload."""
    return {
        "targetResourceId": target,
        "targetResourceType": target.split("/providers/")[-1].rsplit("/", 1)[0].lower(),
        "changeType": change_type,
        "changeAttributes": {
            "previousResourceSnapshotId": "08584309384412066356_a1b2", "newResourceSnapshotId":
            "08584309384412066355_c3d4", "correlationId": f"corr-{by}-{at}", "changedByType":
            by_type, "changesCount": len(changes or {}), "clientType": client, "changedBy": by,
            "operation": operation, "timestamp": at,
        },
        "changes": {
            path: {"newValue": "x", "previousValue": "y", "changeCategory": category,
                   "propertyChangeType": "Update"}
            for path, category in (changes or {}).items()
        },
    }  # fmt: skip


def records(env: Environment) -> list[dict[str, Any]]:
    server = env.find(SERVER)["id"]
    frontend = env.provider_id("Microsoft.App/containerApps", "ca-stockapp-frontend-prod")
    vpn = f"{server}/firewallRules/office-vpn"
    storage = env.provider_id("Microsoft.Storage/storageAccounts", "stdebugexport01")
    rows = [
        row(server, "Update", "2026-11-30T14:02:11.532Z", "ops-admin@contoso.com",
            changes={"properties.sku.name": "User", "sku.name": "User"}),
        # newer, but of another property: not the explanation of the SKU change
        row(server, "Update", "2026-12-01T08:00:00Z", "tagger@contoso.com",
            changes={"tags.owner": "User"}),
        # older, of the same property: the newest one wins
        row(server, "Update", "2026-11-20T10:00:00Z", "old-admin@contoso.com",
            changes={"sku.name": "User"}),
        # a change to the server's child is not a change of the server
        row(vpn, "Create", "2026-12-02T09:00:00Z", "dba@contoso.com", client="Azure CLI",
            operation="Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write"),
        row(frontend, "Delete", "2026-11-29T17:45:00Z", "3f1b2c4d-aaaa-bbbb-cccc-1234567890ab",
            by_type="AppId", client="Azure CLI",
            operation="Microsoft.App/containerApps/delete"),
        row(frontend, "Update", "2026-11-29T18:00:00Z", "someone@contoso.com"),  # not a delete
        row(storage, "Create", "2026-11-25T03:00:00Z", "Azure Policy",
            by_type="Application", client="Azure Policy",
            operation="Microsoft.Storage/storageAccounts/write"),
        {"targetResourceId": server, "changeAttributes": "broken"},  # malformed: left out
    ]  # fmt: skip
    random.Random(7).shuffle(rows)  # noqa: S311 - the query's order must not matter
    return rows


def verify(tmp_path: Path, *args: str, **fake: Any) -> tuple[int, dict[str, Any], str]:
    live = bundled_prod()
    state = write_state(tmp_path, Environment(name="prod").build())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(live, change_rows=fake.pop("rows", records(live)), **fake).install(rsps)
        result = runner.invoke(
            app, ["verify", "--env", "prod", "--state", str(state), "-f", "json", *args]
        )
    return result.exit_code, json.loads(result.stdout), result.stderr


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource_id"].rsplit("/", 1)[1]: f for f in doc["findings"]}


@pytest.mark.parametrize("path", ["--resource-graph", "--no-resource-graph"])
def test_each_drift_carries_the_newest_change_that_explains_it(tmp_path: Path, path: str) -> None:
    code, doc, _ = verify(tmp_path, path)
    assert code == 2
    found = by_name(doc)
    server = found["psql-stockapp-prod"]["attribution"]
    assert server == {
        "changed_by": "ops-admin@contoso.com", "changed_by_type": "User",
        "client_type": "Azure Portal",
        "operation": "Microsoft.DBforPostgreSQL/flexibleServers/write",
        "changed_at": "2026-11-30T14:02:11.532Z",
        "correlation_id": "corr-ops-admin@contoso.com-2026-11-30T14:02:11.532Z",
        "source": "Azure Resource Graph",
    }  # fmt: skip
    assert found["psql-stockapp-prod"]["origin"] == "user"
    deleted = found["ca-stockapp-frontend-prod"]["attribution"]
    assert deleted["changed_by"].startswith("3f1b2c4d") and deleted["client_type"] == "Azure CLI"
    assert found["office-vpn"]["attribution"]["changed_by"] == "dba@contoso.com"
    # nothing recorded for it: the key is there, null
    assert found["allow-test-apps"]["attribution"] is None
    assert found["allow-test-apps"]["origin"] is None


def test_a_change_azure_policy_made_is_a_system_change_with_lower_severity(tmp_path: Path) -> None:
    _, doc, _ = verify(tmp_path)
    storage = by_name(doc)["stdebugexport01"]
    assert storage["origin"] == "system"
    assert storage["severity"] == "low"  # an unmanaged resource is medium by hand
    assert by_name(doc)["office-vpn"]["severity"] == "high"  # a person's change keeps its own


def test_unreadable_change_records_are_a_note_and_no_finding_is_lost(tmp_path: Path) -> None:
    code, doc, _ = verify(tmp_path)
    assert "1 change records could not be read and were left out" in doc["notes"]
    assert len(doc["findings"]) == 5 and code == 2


def test_a_denied_change_query_is_a_note_never_a_failed_verify(tmp_path: Path) -> None:
    denied = error_body("AuthorizationFailed", "no read on resourcechanges")
    plain_code, plain, _ = verify(tmp_path, rows=[])
    live = bundled_prod()
    state = write_state(tmp_path, Environment(name="prod").build())

    class DenyChanges(ArmFake):
        def _graph(self, request: dict[str, Any]) -> dict[str, Any]:
            if request["query"].startswith("resourcechanges"):
                raise AssertionError("never asked: the fake answers 403 first")
            return super()._graph(request)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = DenyChanges(live)
        fake.scripted = {"/providers/microsoft.resourcegraph/resources": []}
        fake.install(rsps)
        # the inventory query succeeds; the change query after it is refused
        original = fake._respond

        def respond(request: Any, path: str, query: dict[str, list[str]]) -> Any:
            body = json.loads(request.body) if request.method == "POST" else {}
            if str(body.get("query", "")).startswith("resourcechanges"):
                return 403, {}, denied
            return original(request, path, query)

        fake._respond = respond  # type: ignore[method-assign]
        result = runner.invoke(
            app, ["verify", "--env", "prod", "--state", str(state), "-f", "json"]
        )
    doc = json.loads(result.stdout)
    assert result.exit_code == plain_code == 2
    assert [f["kind"] for f in doc["findings"]] == [f["kind"] for f in plain["findings"]]
    assert all(f["attribution"] is None for f in doc["findings"])
    assert any(n.startswith("changes are not attributed") and "HTTP 403" in n for n in doc["notes"])


class CountingFake(ArmFake):
    """The fake, counting the change-record queries it answers."""

    change_queries = 0

    def _changes(self, kql: str) -> list[dict[str, Any]]:
        self.change_queries += 1
        return super()._changes(kql)


def test_no_attribution_sends_no_change_query_and_finds_the_same(tmp_path: Path) -> None:
    live = bundled_prod()
    state = write_state(tmp_path, Environment(name="prod").build())
    runs = {}
    for flag in ("--attribution", "--no-attribution"):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            fake = CountingFake(live, change_rows=records(live))
            fake.install(rsps)
            result = runner.invoke(
                app, ["verify", "--env", "prod", "--state", str(state), "-f", "json", flag]
            )
        runs[flag] = (result.exit_code, json.loads(result.stdout), fake.change_queries)
    code, attributed, asked = runs["--attribution"]
    bare_code, bare, bare_asked = runs["--no-attribution"]
    assert (asked, bare_asked) == (1, 0)
    assert code == bare_code == 2
    assert sorted(by_name(bare)) == sorted(by_name(attributed))
    assert any(f["attribution"] for f in attributed["findings"])
    assert all(f["attribution"] is None for f in bare["findings"])


def test_only_the_target_asks_who_made_its_changes(tmp_path: Path) -> None:
    """The other environment, read from Azure for isolation, is never attributed."""
    live = bundled_prod()
    state = write_state(tmp_path, Environment(name="prod").build())
    other = write_state(tmp_path, Environment(name="test").build(), "test.json")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = CountingFake(live, change_rows=records(live))
        fake.install(rsps)
        result = runner.invoke(
            app,
            ["verify", "--env", "prod", "--state", str(state), "--state", f"test={other}",
             "-f", "json"],
        )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert fake.change_queries == 1
    assert by_name(json.loads(result.stdout))["psql-stockapp-prod"]["attribution"]


def test_a_snapshot_carries_the_change_records_so_replay_explains_offline(tmp_path: Path) -> None:
    live = bundled_prod()
    state = write_state(tmp_path, Environment(name="prod").build())
    snap = tmp_path / "live.json"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(live, change_rows=records(live)).install(rsps)
        taken = runner.invoke(
            app, ["snapshot", "--env", "prod", "--state", str(state), "-o", str(snap)]
        )
    assert taken.exit_code == 0
    replay = runner.invoke(
        app, ["verify", "--env", "prod", "--state", str(state), "--live", str(snap), "-f", "json"]
    )
    found = by_name(json.loads(replay.stdout))
    assert found["psql-stockapp-prod"]["attribution"]["changed_by"] == "ops-admin@contoso.com"


def test_every_human_format_shows_who_made_the_change(tmp_path: Path) -> None:
    live = bundled_prod()
    state = write_state(tmp_path, Environment(name="prod").build())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        ArmFake(live, change_rows=records(live)).install(rsps)
        table = runner.invoke(app, ["verify", "--env", "prod", "--state", str(state)],
                              terminal_width=250)  # fmt: skip
        md = runner.invoke(
            app, ["verify", "--env", "prod", "--state", str(state), "-f", "markdown"]
        )
    line = "ops-admin@contoso.com via Azure Portal, 2026-11-30 14:02 UTC"
    assert "changed by" in table.stdout and "ops-admin@contoso" in table.stdout  # cells fold
    assert line in md.stdout


def test_system_changes_by_each_documented_sign() -> None:
    base = row("/subscriptions/s/resourceGroups/g", "Update", "2026-11-30T14:02:00Z", "x@y")
    [user] = parse_changes([base])[0]
    assert not is_system_change(user)
    for change in (
        {**base, "changeAttributes": {**base["changeAttributes"], "changedByType": "System"}},
        {**base, "changeAttributes": {**base["changeAttributes"], "clientType": "Azure Policy"}},
        {**base, "changeAttributes": {
            **base["changeAttributes"], "operation": "Microsoft.Authorization/policies/x/action"}},
    ):  # fmt: skip
        [parsed] = parse_changes([change])[0]
        assert is_system_change(parsed)
    platform = row("/subscriptions/s/resourceGroups/g", "Update", "2026-11-30T14:02:00Z", "x@y",
                   changes={"properties.provisioningState": "System"})  # fmt: skip
    [parsed] = parse_changes([platform])[0]
    assert is_system_change(parsed, ["properties.provisioningstate"])
    assert not is_system_change(parsed)  # no property matched: decided by who made it


def event(target: str, operation: str, at: str, caller: str, app: str) -> dict[str, Any]:
    """An Activity Log management event as ARM lists it (fields azprov does not read too)."""
    return {
        "authorization": {"action": operation, "scope": target},
        "caller": caller, "channels": "Operation",
        "claims": {"appid": app, "ipaddr": "198.51.100.23", "name": "Ops Admin"},
        "correlationId": f"act-{at}", "eventTimestamp": at, "level": "Informational",
        "operationName": {"value": operation, "localizedValue": "Update"},
        "resourceId": target, "status": {"value": "Succeeded", "localizedValue": "Succeeded"},
        "subscriptionId": "3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70",
    }  # fmt: skip


def test_the_activity_log_explains_what_resource_graph_did_not(tmp_path: Path) -> None:
    live = bundled_prod()
    server = live.find(SERVER)["id"]
    rule = f"{server}/firewallRules/allow-test-apps"
    portal = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
    events = [
        event(rule, "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write",
              "2026-11-28T10:00:00Z", "dev@contoso.com", portal),
        event(rule, "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write",
              "2026-12-01T10:00:00Z", "later@contoso.com", portal),  # an update: not the creation
        {**event(server, "Microsoft.DBforPostgreSQL/flexibleServers/write",
                 "2026-12-02T10:00:00Z", "failed@contoso.com", portal),
         "status": {"value": "Failed"}},  # not a change
    ]  # fmt: skip
    state = write_state(tmp_path, Environment(name="prod").build())
    argv = ["verify", "--env", "prod", "--state", str(state), "-f", "json"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = ArmFake(live, change_rows=[], activity_events=events)
        fake.install(rsps)
        plain = runner.invoke(app, argv)
        explained = runner.invoke(app, [*argv, "--activity-log", "--look-back", "30"])
    assert not any(f["attribution"] for f in json.loads(plain.stdout)["findings"])
    found = by_name(json.loads(explained.stdout))
    who = found["allow-test-apps"]["attribution"]
    assert (who["changed_by"], who["client_type"], who["source"]) == (
        "dev@contoso.com", "Azure Portal", "Activity Log",
    )  # fmt: skip
    assert found["psql-stockapp-prod"]["attribution"] is None  # its only event failed
    # one list per resource group concerned, never one request per finding
    activity = [p for p in fake.requests if p.lower().endswith("/eventtypes/management/values")]
    assert len(activity) == 1
    # the claims other than the application never leave the reader
    assert "198.51.100.23" not in explained.stdout


def test_activity_log_is_refused_with_a_snapshot(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", "--env", "prod", "--state", "s.json",
                                 "--live", "live.json", "--activity-log"])  # fmt: skip
    assert result.exit_code == 1 and "--activity-log reads Azure" in result.stderr
