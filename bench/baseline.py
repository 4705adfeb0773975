"""The baseline: a per-resource refresh, the way `terraform plan -refresh-only` reads Azure.

One GET per state resource, ten at a time (terraform's default parallelism), through the
same ARM client azprov uses, with each type's api-version from azprov's registry. A
refresh alone cannot see what was added by hand, so the baseline also makes the lists that
find it: the generic `resources` list and the role assignments per resource group, and
every child list per parent (a server's firewall rules and databases). Its findings then
come from azprov's own normalize and drift code, so both runners' reports compare one to
one.

This is a generous baseline: terraform also calls `listSecrets` for each container app and
lists each registry's replications, which are not modelled here.

    python -m bench.baseline --state STATE --arm-endpoint URL   # JSON report on stdout
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.exceptions import AzureError

from provisioner.analysers.drift import drift_findings
from provisioner.live import ArmClient, Connection, credential_from_environment
from provisioner.live.arm import ArmError, Body
from provisioner.live.reads import Read as ListRead
from provisioner.live.reads import child_reads, get_read, group_reads, scope_reads
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import Coverage, Resource, ResourceId
from provisioner.registry import by_arm_type, children_of
from provisioner.state import load_state

WORKERS = 10  # terraform's default -parallelism
RETRIES = 20  # terraform keeps retrying a throttled read; so does the baseline
TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Read:
    """One request's outcome: bodies, or absent (404), or an error line."""

    bodies: tuple[Body, ...] = ()
    error: str | None = None


def _get(arm: ArmClient, rid: ResourceId) -> Read:
    read = get_read(rid)
    try:
        return Read((arm.get(read.path, read.api_version),))
    except AzureError as exc:
        if isinstance(exc, ArmError) and exc.status_code == 404:
            return Read()  # deleted out of band: the refresh's "missing"
        return Read(error=f"GET {rid}: {type(exc).__name__} {_status(exc)}")


def _list(arm: ArmClient, read: ListRead) -> Read:
    try:
        return Read(tuple(arm.list(read.path, read.api_version)))
    except AzureError as exc:
        return Read(error=f"list {read.scope}: {type(exc).__name__} {_status(exc)}")


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


def refresh(arm: ArmClient, expected: Sequence[Resource], workers: int) -> Refresh:
    """GET every state resource and list what hand-made resources hide in; then drift."""
    readable = [r for r in expected if by_arm_type(r.arm_type) is not None]
    groups = sorted({r.id.resource_group for r in expected if r.id.resource_group})
    parents = [r.id for r in expected if children_of(r.arm_type)]
    subscription = arm.subscription_id
    lists = [group_reads(subscription, g)[1] for g in groups]  # each group's generic list
    lists += [read for g in groups for read in scope_reads(subscription, g)]
    lists += [read for parent in parents for read in child_reads(parent)]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        get_futures = [pool.submit(_get, arm, r.id) for r in readable]
        list_futures = [pool.submit(_list, arm, read) for read in lists]
        got = [future.result() for future in get_futures]
        listed = [future.result() for future in list_futures]

    fetched = {r.id.key for r, read in zip(readable, got, strict=True) if read.error is None}
    done = [(read, result) for read, result in zip(lists, listed, strict=True) if not result.error]
    covered = {(read.scope.lower(), read.what.lower()) for read, _ in done if not read.subtree}
    subtree = {(read.scope.lower(), read.what.lower()) for read, _ in done if read.subtree}
    # A typed GET body wins over the generic list's thinner copy of the same resource.
    bodies: dict[str, Body] = {}
    for read, result in done:
        for body in result.bodies:
            key = str(body["id"]).lower()
            # A list at a group also returns what was assigned above it: not the group's.
            if not read.subtree or key.startswith(read.scope.lower() + "/"):
                bodies.setdefault(key, body)
    for read in got:
        for body in read.bodies:
            bodies[str(body["id"]).lower()] = body
    lookups = lookups_for(bodies.values())
    live = [from_arm(body, lookups) for body in bodies.values()]
    coverage = Coverage(frozenset(covered), frozenset(fetched), frozenset(subtree))
    drift = drift_findings(expected, live, coverage)
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
    return Connection(
        subscription_id=subscription,
        credential=credential_from_environment(),
        arm_endpoint=endpoint,
        workers=workers,
        retries=RETRIES,
        timeout_s=TIMEOUT_S,
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
    arm = ArmClient(_connection(subscriptions[0], args.arm_endpoint, args.workers))
    result = refresh(arm, expected, args.workers)
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
