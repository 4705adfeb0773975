"""Time the isolation analyser on generated worlds, and keep its findings pinned.

    .venv/bin/python -m bench.isolation                         # N = 1,000 and 5,000, 5 runs each
    .venv/bin/python -m bench.isolation --sizes 1000 --runs 3
    .venv/bin/python -m bench.isolation --world scale --sizes 5000 10000
    .venv/bin/python -m bench.isolation --sizes 1000 --profile PROFILE.txt   # pyinstrument
    .venv/bin/python -m bench.isolation --golden tests/fixtures/isolation_world.json
    .venv/bin/python -m bench.isolation --golden tests/fixtures/isolation_scale_world.json \
        --world scale

Two worlds. `isolation` (the default): `isolation_findings` for `test` (state, Azure and a
plan) against `prod` (state and Azure) of `bench.isolation_world.build_world(N)`, N resources
in each environment, leaks of every kind planted between them. `scale`: `prod` (state and
Azure) against `test` of the scale benchmark's world (`bench.generate.pair(N)`, bodies cloned
from the registry's fixtures), as `azprov verify` runs it; `scale_scenarios` adds a plan,
shared resources, a shared state key and the other environment's strings planted in the
target's bodies. Building and parsing a world is not timed. `--golden` writes the findings of
every scenario of a world at the size its pinning test uses (tests/test_isolation_world.py);
rewrite a golden file only when a change of findings is intended, and review the diff.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.generate import Generated, pair
from bench.isolation_world import build_world
from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.model import Finding, redact_body
from provisioner.state import parse_state
from provisioner.state.plan import Plan, plan_from_document
from provisioner.state.reader import StateDocument

Scenario = tuple[str, EnvironmentData, list[EnvironmentData], tuple[str, ...]]
PROVIDER = "registry.terraform.io/hashicorp/azurerm"

GOLDEN_SIZE = 1500  # the isolation world's
SCALE_GOLDEN_SIZE = 1500  # the scale world's
FIELDS = ("kind", "severity", "resource_id", "address", "type", "attribute", "actual", "message")


def finding_record(finding: Finding) -> dict[str, Any]:
    """One finding as the golden file holds it."""
    return {name: getattr(finding, name) for name in FIELDS} | {
        "kind": finding.kind.value,
        "severity": finding.severity.value,
    }


def world_findings(size: int = GOLDEN_SIZE) -> dict[str, list[dict[str, Any]]]:
    """Every scenario's findings on the isolation world, in the analyser's order."""
    world = build_world(size)
    return {
        name: [finding_record(f) for f in isolation_findings(target, others, world.shared)]
        for name, target, others in world.scenarios()
    }


def scale_findings(size: int = SCALE_GOLDEN_SIZE) -> dict[str, list[dict[str, Any]]]:
    """Every scenario's findings on the scale world, in the analyser's order."""
    return {
        name: [finding_record(f) for f in isolation_findings(target, others, shared)]
        for name, target, others, shared in scale_scenarios(size)
    }


def scale_scenarios(size: int) -> list[Scenario]:
    """(name, target, others, shared) on `bench.generate.pair(size)`, each way round.

    `prod`/`test`: state and Azure against the other's, as `azprov verify` reads them.
    `…-plan-shared`: with a plan that updates every third resource, every 33rd with tags
    naming the other environment and linking to one of its resources, and about seven of the
    other's resources shared. `…-mixed`: every twentieth Azure body carries three of the other
    environment's strings, picked by a seeded generator (IDs, hosts, URLs, IPs, GUIDs,
    connection strings), and two firewall-style ranges. `…-state-key`: states only, on one
    state key, with the plan.
    """
    data = scale_environments(size)
    found: list[Scenario] = []
    for name, other_name in (("prod", "test"), ("test", "prod")):
        (state, live, plan), (other_state, other_live, _) = data[name], data[other_name]
        other = EnvironmentData(other_name, f"{other_name}.tfstate", other_state, other_live)
        some = [
            r.id for r in other_state.resources
            if r.id and r.id.count("/") > 4 and "/resourcegroups/" in r.id.lower()
        ][:: max(1, len(other_state.resources) // 7)]  # fmt: skip
        key = f"{name}.tfstate"
        found += [
            (name, EnvironmentData(name, key, state, live), [other], ()),
            (f"{name}-plan-shared", EnvironmentData(name, key, state, live, plan), [other],
             tuple(some)),
            (f"{name}-mixed", EnvironmentData(name, key, state, _mixed(live, other_live, size)),
             [other], ()),
            (f"{name}-state-key", EnvironmentData(name, "one.tfstate", state, None, plan),
             [EnvironmentData(other_name, "one.tfstate", other_state, None)], ()),
        ]  # fmt: skip
    return found


def scale_environments(size: int) -> dict[str, tuple[StateDocument, tuple[Any, ...], Plan]]:
    """`prod` and `test` of `bench.generate.pair(size)` as azprov reads them: the parsed
    state, the Azure bodies redacted (as a snapshot holds them), and a plan (`_plan`)."""
    made = pair(size)
    return {g.environment: _environment(g, other) for g, other in (made, made[::-1])}


def _environment(made: Generated, other: Generated) -> tuple[StateDocument, tuple[Any, ...], Plan]:
    state = parse_state(made.state_json(), f"{made.environment}.tfstate")
    live = tuple(redact_body(body) for _, body in sorted(made.world.bodies.items()))
    return state, live, _plan(made.state, other.state)


def _plan(state: Mapping[str, Any], other: Mapping[str, Any]) -> Plan:
    """Every third managed resource updated as it is; every 33rd gets tags naming the other
    environment and linking to one of its resources."""
    theirs = [r for r in other["resources"] if r.get("mode") == "managed"]
    changes = []
    for i, resource in enumerate(state["resources"]):
        if resource.get("mode") != "managed" or i % 3:
            continue
        for instance in resource["instances"]:
            before = instance["attributes"]
            key = instance.get("index_key")
            address = f"{resource['type']}.{resource['name']}" + (
                f'["{key}"]' if key is not None else ""
            )
            after = json.loads(json.dumps(before))
            if i % 11 == 0 and theirs:
                link = theirs[i % len(theirs)]["instances"][0]["attributes"].get("id", "")
                after["tags"] = {**(after.get("tags") or {}), "link": link, "environment": "test"}
            changes.append({
                "address": address, "mode": "managed", "type": resource["type"],
                "name": resource["name"], "provider_name": PROVIDER,
                "change": {"actions": ["update"], "before": before, "after": after,
                           "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}},
            })  # fmt: skip
    return plan_from_document({"format_version": "1.2", "resource_changes": changes})


def _mixed(
    live: Sequence[Mapping[str, Any]], other: Sequence[Mapping[str, Any]], seed: int
) -> tuple[dict[str, Any], ...]:
    """`live` with strings of the other environment's bodies planted in every twentieth body: a
    tag, a note naming two more, a range that admits one of its IPs and one too wide."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible world, not a secret
    pool = sorted(
        {text for body in other for text in _strings(body) if any(c in text for c in "./:-")}
    )
    ips = [text for text in pool if _is_ipv4(text)] or ["20.0.0.1"]
    out = []
    for i, original in enumerate(live):
        body = json.loads(json.dumps(original))
        if i % 20 == 0:
            tag, *noted = rng.sample(pool, 3)
            if isinstance(body.setdefault("tags", {}), dict):
                body["tags"]["ref"] = tag
            if isinstance(body.get("properties"), dict):
                ip = rng.choice(ips)
                body["properties"]["note"] = "see {}, and {}".format(*noted)
                body["properties"]["rules"] = [
                    {"startIpAddress": "10.0.0.0", "endIpAddress": "255.255.255.255"},
                    {"start_ip": ip, "end_ip": ip},
                ]
        out.append(body)
    return tuple(out)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def write_golden(path: Path, world: str) -> None:
    """The findings of every scenario of `world`, one finding a line (reviewable diffs)."""
    size = SCALE_GOLDEN_SIZE if world == "scale" else GOLDEN_SIZE
    scenarios = scale_findings(size) if world == "scale" else world_findings(size)
    lines = ["{", f'  "size": {size},', '  "scenarios": {']
    for i, (name, findings) in enumerate(scenarios.items()):
        rows = ",\n".join("      " + json.dumps(f, ensure_ascii=False) for f in findings)
        comma = "," if i < len(scenarios) - 1 else ""
        lines.append(f'    "{name}": [\n{rows}\n    ]{comma}')
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed_call(
    world: str, size: int
) -> tuple[EnvironmentData, list[EnvironmentData], tuple[str, ...]]:
    """The target, others and shared names of the call timed on `world` at `size`."""
    if world == "scale":  # prod against test, as `azprov verify` reads them
        data = scale_environments(size)
        (state, live, _), (other_state, other_live, _) = data["prod"], data["test"]
        return (
            EnvironmentData("prod", "prod.tfstate", state, live),
            [EnvironmentData("test", "test.tfstate", other_state, other_live)],
            (),
        )
    built = build_world(size)
    target, others = next((t, o) for name, t, o in built.scenarios() if name == "test")
    return target, others, built.shared


def time_size(world: str, size: int, runs: int) -> dict[str, float]:
    target, others, shared = timed_call(world, size)
    resources = len(target.state.resources) if target.state else 0
    cpu, wall = [], []
    for _ in range(runs):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        isolation_findings(target, others, shared)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return {
        "resources": resources,
        "cpu": statistics.median(cpu),
        "cpu_min": min(cpu),
        "cpu_max": max(cpu),
        "wall": statistics.median(wall),
        "ms_per_resource": statistics.median(cpu) * 1000 / resources,
    }


def profile(world: str, size: int, path: Path) -> None:
    from pyinstrument import Profiler  # dev extra; only this option needs it

    target, others, shared = timed_call(world, size)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    isolation_findings(target, others, shared)
    profiler.stop()
    path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__)
    parser.add_argument("--world", choices=("isolation", "scale"), default="isolation")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of one run")
    parser.add_argument("--golden", type=Path, help="write the pinned findings and stop")
    args = parser.parse_args(argv)
    if args.golden:
        write_golden(args.golden, args.world)
        return 0
    if args.profile:
        profile(args.world, args.sizes[0], args.profile)
        return 0
    print(
        "| N per environment | state resources | CPU s, median (min-max) | wall s | ms/resource |"
    )
    print("|--:|--:|--:|--:|--:|")
    for size in args.sizes:
        r = time_size(args.world, size, args.runs)
        print(
            f"| {size:,} | {r['resources']:,} | {r['cpu']:.3f} ({r['cpu_min']:.3f}-"
            f"{r['cpu_max']:.3f}) | {r['wall']:.3f} | {r['ms_per_resource']:.3f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
