"""Time the isolation analyser on the generated world, and keep its findings pinned.

    .venv/bin/python -m bench.isolation                         # N = 1,000 and 5,000, 5 runs each
    .venv/bin/python -m bench.isolation --sizes 1000 --runs 3
    .venv/bin/python -m bench.isolation --sizes 1000 --profile PROFILE.txt   # pyinstrument
    .venv/bin/python -m bench.isolation --golden tests/fixtures/isolation_world.json

The timed call is `isolation_findings` for `test` (state, Azure and a plan) against `prod`
(state and Azure) of `bench.isolation_world.build_world(N)`: N is the number of resources
in each environment. Building and parsing the world is not timed. `--golden` writes the
findings of every scenario of the world the pinning test uses (tests/test_isolation_world.py);
rewrite it only when a change of findings is intended, and review the diff.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.isolation_world import build_world
from provisioner.analysers.isolation import isolation_findings
from provisioner.model import Finding

GOLDEN_SIZE = 1500
FIELDS = ("kind", "severity", "resource_id", "address", "type", "attribute", "actual", "message")


def finding_record(finding: Finding) -> dict[str, Any]:
    """One finding as the golden file holds it."""
    return {name: getattr(finding, name) for name in FIELDS} | {
        "kind": finding.kind.value,
        "severity": finding.severity.value,
    }


def world_findings(size: int = GOLDEN_SIZE) -> dict[str, list[dict[str, Any]]]:
    """Every scenario's findings, in the analyser's order."""
    world = build_world(size)
    return {
        name: [finding_record(f) for f in isolation_findings(target, others, world.shared)]
        for name, target, others in world.scenarios()
    }


def write_golden(path: Path) -> None:
    scenarios = world_findings()
    lines = ["{", f'  "size": {GOLDEN_SIZE},', '  "scenarios": {']
    for i, (name, findings) in enumerate(scenarios.items()):
        rows = ",\n".join("      " + json.dumps(f, ensure_ascii=False) for f in findings)
        comma = "," if i < len(scenarios) - 1 else ""
        lines.append(f'    "{name}": [\n{rows}\n    ]{comma}')
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def time_size(size: int, runs: int) -> dict[str, float]:
    world = build_world(size)
    target, others = next((t, o) for name, t, o in world.scenarios() if name == "test")
    resources = len(target.state.resources) if target.state else 0
    cpu, wall = [], []
    for _ in range(runs):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        isolation_findings(target, others, world.shared)
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


def profile(size: int, path: Path) -> None:
    from pyinstrument import Profiler  # dev extra; only this option needs it

    world = build_world(size)
    target, others = next((t, o) for name, t, o in world.scenarios() if name == "test")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    isolation_findings(target, others, world.shared)
    profiler.stop()
    path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of one run")
    parser.add_argument("--golden", type=Path, help="write the pinned findings and stop")
    args = parser.parse_args(argv)
    if args.golden:
        write_golden(args.golden)
        return 0
    if args.profile:
        profile(args.sizes[0], args.profile)
        return 0
    print(
        "| N per environment | state resources | CPU s, median (min-max) | wall s | ms/resource |"
    )
    print("|--:|--:|--:|--:|--:|")
    for size in args.sizes:
        r = time_size(size, args.runs)
        print(
            f"| {size:,} | {r['resources']:,} | {r['cpu']:.3f} ({r['cpu_min']:.3f}-"
            f"{r['cpu_max']:.3f}) | {r['wall']:.3f} | {r['ms_per_resource']:.3f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
