"""The baseline: a per-resource refresh, the way `terraform plan -refresh-only` reads Azure.

One GET per state resource, ten at a time (terraform's default parallelism), through the
same SDK clients azprov uses. A refresh alone cannot see what was added by hand, so the
baseline also makes the lists that find it: the generic `resources` list per resource group
and the firewall rules and databases per server. Its findings then come from azprov's own
normalize and drift code, so both runners' reports compare one to one.

This is a generous baseline: terraform also calls `listSecrets` for each container app and
lists each registry's replications, which are not modelled here.

    python -m bench.baseline --state STATE --arm-endpoint URL   # JSON report on stdout
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError

from provisioner.analysers.drift import drift_findings
from provisioner.live.clients import AzureClients, Connection, credential_from_environment
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import ANY_TOP_LEVEL, Coverage, Resource, ResourceId
from provisioner.state import load_state

Body = dict[str, Any]
WORKERS = 10  # terraform's default -parallelism
RETRIES = 20  # terraform keeps retrying a throttled read; so does the baseline
RETRY_BUDGET_S = 1800.0
SERVER = "microsoft.dbforpostgresql/flexibleservers"
FIREWALL_RULES = "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules"
DATABASES = "Microsoft.DBforPostgreSQL/flexibleServers/databases"


def _rg(rid: ResourceId) -> str:
    return rid.resource_group or ""


def _server(rid: ResourceId) -> str:
    parent = rid.parent
    assert parent is not None, f"{rid} has no parent server"
    return parent.name


Get = Callable[[AzureClients, ResourceId], Any]
# One SDK GET per ARM type (lower case) the generated environment holds.
GETS: dict[str, Get] = {
    "microsoft.resources/resourcegroups": lambda c, r: c.resources.resource_groups.get(r.name),
    "microsoft.operationalinsights/workspaces": (
        lambda c, r: c.log_analytics.workspaces.get(_rg(r), r.name)
    ),
    "microsoft.app/managedenvironments": (
        lambda c, r: c.apps.managed_environments.get(_rg(r), r.name)
    ),
    "microsoft.app/containerapps": lambda c, r: c.apps.container_apps.get(_rg(r), r.name),
    "microsoft.containerregistry/registries": (
        lambda c, r: c.registries.registries.get(_rg(r), r.name)
    ),
    SERVER: lambda c, r: c.postgres.servers.get(_rg(r), r.name),
    FIREWALL_RULES.lower(): (
        lambda c, r: c.postgres.firewall_rules.get(_rg(r), _server(r), r.name)
    ),
    DATABASES.lower(): lambda c, r: c.postgres.databases.get(_rg(r), _server(r), r.name),
}


@dataclass(frozen=True)
class Read:
    """One request's outcome: bodies, or absent (404), or an error line."""

    bodies: tuple[Body, ...] = ()
    error: str | None = None


def _get(clients: AzureClients, rid: ResourceId) -> Read:
    try:
        return Read((GETS[rid.arm_type.lower()](clients, rid).as_dict(),))
    except AzureError as exc:
        if isinstance(exc, HttpResponseError) and exc.status_code == 404:
            return Read()  # deleted out of band: the refresh's "missing"
        return Read(error=f"GET {rid}: {type(exc).__name__} {_status(exc)}")


def _list(call: Callable[[], Any], what: str) -> Read:
    try:
        return Read(tuple(model.as_dict() for model in call()))
    except AzureError as exc:
        return Read(error=f"list {what}: {type(exc).__name__} {_status(exc)}")


def _status(exc: AzureError) -> str:
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}" if status else ""


@dataclass(frozen=True)
class Refresh:
    findings: tuple[dict[str, Any], ...]
    checked: int
    errors: tuple[str, ...]
    gets: int
    lists: int


def refresh(clients: AzureClients, expected: Sequence[Resource], workers: int) -> Refresh:
    """GET every state resource and list what hand-made resources hide in; then drift."""
    readable = [r for r in expected if r.arm_type.lower() in GETS]
    groups = sorted({r.id.resource_group for r in expected if r.id.resource_group})
    servers = [r.id for r in expected if r.arm_type.lower() == SERVER]
    lists: list[tuple[tuple[str, str], Callable[[], Any]]] = []
    for group in groups:
        scope = f"/subscriptions/{clients.connection.subscription_id}/resourceGroups/{group}"
        call = partial(clients.resources.resources.list_by_resource_group, group)
        lists.append(((scope.lower(), ANY_TOP_LEVEL), call))
    for server in servers:
        rg, name = _rg(server), server.name
        rules = partial(clients.postgres.firewall_rules.list_by_server, rg, name)
        lists.append(((server.key, FIREWALL_RULES.lower()), rules))
        dbs = partial(clients.postgres.databases.list_by_server, rg, name)
        lists.append(((server.key, DATABASES.lower()), dbs))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        get_futures = [pool.submit(_get, clients, r.id) for r in readable]
        list_futures = [pool.submit(_list, call, scope) for (scope, _), call in lists]
        got = [future.result() for future in get_futures]
        listed = [future.result() for future in list_futures]

    fetched = {r.id.key for r, read in zip(readable, got, strict=True) if read.error is None}
    covered = {key for (key, _), read in zip(lists, listed, strict=True) if read.error is None}
    # A typed GET body wins over the generic list's thinner copy of the same resource.
    bodies: dict[str, Body] = {}
    for read in listed:
        for body in read.bodies:
            bodies.setdefault(str(body["id"]).lower(), body)
    for read in got:
        for body in read.bodies:
            bodies[str(body["id"]).lower()] = body
    lookups = lookups_for(bodies.values())
    live = [from_arm(body, lookups) for body in bodies.values()]
    drift = drift_findings(expected, live, Coverage(frozenset(covered), frozenset(fetched)))
    errors = tuple(e for read in [*got, *listed] if (e := read.error) is not None)
    return Refresh(
        findings=tuple(
            {
                "kind": f.kind.value,
                "resource_id": f.resource_id,
                "attribute": f.attribute,
                "address": f.address,
            }
            for f in sorted(drift.findings, key=lambda f: f.sort_key)
        ),
        checked=drift.checked,
        errors=(*errors, *(f"not covered: {a}" for a in drift.unknown)),
        gets=len(readable),
        lists=len(lists),
    )


def _connection(subscription: str, endpoint: str, workers: int) -> Connection:
    options: dict[str, Any] = {"workers": workers, "retries": RETRIES}
    # Newer azprov bounds all retries of a run by a time budget; a refresh has none.
    if "retry_budget_s" in {f.name for f in dataclasses.fields(Connection)}:
        options["retry_budget_s"] = RETRY_BUDGET_S
    return Connection(
        subscription_id=subscription,
        credential=credential_from_environment(),
        arm_endpoint=endpoint,
        **options,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--arm-endpoint", required=True)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    state = load_state(args.state)
    expected = [r for r in map(from_state, state.resources) if r is not None]
    subscriptions = sorted({r.id.subscription_id.lower() for r in expected})
    if len(subscriptions) != 1:
        parser.error(f"the state must name exactly one subscription, not {subscriptions}")
    clients = AzureClients(_connection(subscriptions[0], args.arm_endpoint, args.workers))
    result = refresh(clients, expected, args.workers)
    report = {
        "subscription_id": subscriptions[0],
        "resources_checked": result.checked,
        "findings": list(result.findings),
        "errors": list(result.errors),
        "requests_planned": {"gets": result.gets, "lists": result.lists},
    }
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    if result.errors:
        return 1
    return 2 if result.findings else 0


if __name__ == "__main__":
    sys.exit(main())
