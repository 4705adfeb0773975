"""The scale benchmark: `azprov verify` against a per-resource refresh, on a local fake of ARM.

    .venv/bin/python -m bench.run                          # the full run; bench/RESULTS.md
    .venv/bin/python -m bench.run --sizes 1000 --repeat 1  # a quick look
    .venv/bin/python -m bench.run --sizes 1000 --repeat 1 --state-mb 0 --no-profile -o /tmp/r.md

For each size N it generates a target environment (`prod`) of N state resources with
planted drift and another environment (`test`) of the same shape (`bench.generate`),
serves prod from a local HTTPS fake of ARM and Resource Graph (`bench.fake_arm`) with
per-request latency, and runs, each in its own process and `--repeat` times, (a) `azprov
verify --env prod --format json`, with test's state and a snapshot of test's live side for
the isolation check, and (b) the baseline (`bench.baseline`). Unthrottled at every size;
throttled with ARM's token bucket at `--throttled-sizes`. It measures what the fake
received (requests per route kind, 429s), wall time, the child's CPU seconds and peak RSS,
and checks that both runners report exactly the planted drift and azprov the planted
isolation findings. The floor is the round trips the data needs: Resource Graph pages, one
list per parent and child type, and one role-assignment list per resource group.

It also measures azprov's start-up (the imports of a `verify` run), times parsing a 50 MB
state file, profiles one azprov run with pyinstrument, and writes a Markdown report with
the machine, every measurement (median of the runs, with the spread) and the issue's
targets, each pass or FAIL.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fake_arm import GRAPH_MAX_TOP, FakeArm, Index, Settings
from bench.generate import (
    OTHER,
    TARGET,
    Generated,
    minimum_size,
    pair,
    snapshot_json,
)
from provisioner.registry import Placement, children_of, listed_at

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "bench" / "RESULTS.md"
TOKEN = "bench-token"  # noqa: S105 - the fake's bearer value, not a credential
MB = 1024 * 1024
Finding = tuple[str, str, str | None]
DRIFT_KINDS = ("changed", "missing", "unmanaged")
CONFIG = f"""# written by bench/run.py for one benchmark run
[environments.{TARGET}]
state_key = "{TARGET}.tfstate"
var_file = "{TARGET}.tfvars"
"""
CONFIG_OTHER = f"""
[environments.{OTHER}]
state_key = "{OTHER}.tfstate"
var_file = "{OTHER}.tfvars"
"""


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...] = (1000, 5000, 10000)
    repeat: int = 3
    latency_ms: float = 50.0
    throttled_sizes: tuple[int, ...] = (1000,)
    page_size: int = 100
    other_size: int | None = None  # test's size; None: the same as prod's
    # False: azprov runs without test (no isolation check), to see what the rest costs
    with_other: bool = True
    # False: azprov runs with --no-attribution (no change-record query), to see what it costs
    attribution: bool = True
    state_mb: float = 50.0  # 0: skip the state-parsing measurement
    profile_size: int | None = 1000
    startup_runs: int = 5
    warmup: bool = True
    timeout_s: float = 1800.0
    output: Path | None = DEFAULT_OUTPUT
    workdir: Path | None = None
    command: str = "python -m bench.run"
    note: str = ""


@dataclass(frozen=True)
class Run:
    """One runner's process: what it reported and what it cost."""

    runner: str
    exit_code: int
    wall_s: float
    peak_mb: float
    cpu_s: float  # user + system time of the child: how much of the wall is its own work
    counts: dict[str, int]
    findings: frozenset[Finding]
    checked: int | None
    problem: str = ""  # stderr's last line, or why the output could not be read

    @property
    def requests(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "throttled")

    @property
    def throttled(self) -> int:
        return self.counts.get("throttled", 0)

    def of_kinds(self, kinds: Iterable[str]) -> frozenset[Finding]:
        wanted = set(kinds)
        return frozenset(f for f in self.findings if f[0] in wanted)


@dataclass(frozen=True)
class Spread:
    """The median of several runs' values, and their range."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def show(self, digits: int = 2, unit: str = "") -> str:
        if len(self.values) == 1 or self.low == self.high:
            return f"{self.median:.{digits}f}{unit}"
        return f"{self.median:.{digits}f}{unit} ({self.low:.{digits}f}–{self.high:.{digits}f})"


def spread(runs: Sequence[Run], measure: Callable[[Run], float]) -> Spread:
    return Spread(tuple(measure(r) for r in runs))


@dataclass(frozen=True)
class Planted:
    """What a size's world holds that the runners must (or must not) report."""

    drift: frozenset[Finding]
    isolation: frozenset[Finding]
    resources: frozenset[str]  # ID keys with something planted
    lagging: str | None  # the ID key Resource Graph shows stale: nothing to report

    @classmethod
    def of(cls, generated: Generated) -> Planted:
        return cls(
            generated.expected_keys(DRIFT_KINDS),
            generated.expected_keys(["isolation"]),
            generated.planted,
            generated.lagging.lower() if generated.lagging else None,
        )

    def azprov_problems(self, run: Run) -> list[str]:
        """How `run` differs from what is planted; empty when it found exactly that."""
        out = _differences("drift", self.drift, run.of_kinds(DRIFT_KINDS))
        out += _differences("isolation", self.isolation, run.of_kinds(["isolation"]))
        stray = sorted({f[1] for f in run.findings} - self.resources)
        if stray:
            out.append(f"findings on {len(stray)} resources nothing was planted on: {stray[:3]}")
        if self.lagging and any(f[1] == self.lagging for f in run.findings):
            out.append("reported the change Resource Graph had not caught up with")
        return out

    def baseline_problems(self, run: Run) -> list[str]:
        return _differences("drift", self.drift, run.of_kinds(DRIFT_KINDS))


def _differences(what: str, expected: frozenset[Finding], found: frozenset[Finding]) -> list[str]:
    out = []
    if expected - found:
        out.append(f"{what} not found: {sorted(expected - found)[:3]}")
    if found - expected:
        out.append(f"{what} not planted: {sorted(found - expected)[:3]}")
    return out


@dataclass(frozen=True)
class Case:
    """One size and throttle mode: every run of both runners."""

    size: int
    throttle: bool
    floor: int
    planted: Planted
    azprov: tuple[Run, ...]
    baseline: tuple[Run, ...]

    def problems(self) -> list[str]:
        """Every way a run went wrong, one line each."""
        out = []
        for i, run in enumerate(self.azprov, 1):
            for p in [*self.planted.azprov_problems(run), *([run.problem] if run.problem else [])]:
                out.append(f"azprov run {i}: {p}")
        for i, run in enumerate(self.baseline, 1):
            for p in [
                *self.planted.baseline_problems(run),
                *([run.problem] if run.problem else []),
            ]:
                out.append(f"baseline run {i}: {p}")
        return out

    def found_planted(self) -> bool:
        return all(not self.planted.azprov_problems(r) for r in self.azprov) and all(
            not self.planted.baseline_problems(r) for r in self.baseline
        )

    def wall(self, runner: str) -> Spread:
        return spread(self.azprov if runner == "azprov" else self.baseline, lambda r: r.wall_s)

    def wall_ratio(self) -> Spread | None:
        """azprov's wall over the baseline's: the median's ratio, and the worst and best pairs."""
        if not self.baseline:
            return None
        mine, theirs = self.wall("azprov"), self.wall("baseline")
        return Spread((mine.median / theirs.median, mine.low / theirs.high,
                       mine.high / theirs.low))  # fmt: skip


@dataclass(frozen=True)
class StateParse:
    size_mb: float
    resources: int
    parse_s: tuple[float, ...]
    normalize_s: float

    @property
    def median_s(self) -> float:
        return statistics.median(self.parse_s)


@dataclass(frozen=True)
class Startup:
    """What a `verify` process spends before its work: interpreter and imports."""

    imports_s: Spread  # total import time of a real verify run (`python -X importtime`)
    interpreter_cpu_s: Spread  # `python -c pass`
    help_wall_s: Spread  # `python -m provisioner verify --help`
    help_cpu_s: Spread

    @property
    def cpu_s(self) -> float:
        return self.imports_s.median + self.interpreter_cpu_s.median


@dataclass(frozen=True)
class Profile:
    size: int
    total_s: float
    hot: tuple[tuple[str, float], ...]  # (function, self seconds) outside imports
    hot_outside: tuple[tuple[str, float], ...]  # the same, outside isolation_findings
    stages: tuple[tuple[str, float], ...]  # (stage, inclusive seconds)
    path: Path


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    ok: bool | None  # None: not measured in this run


@dataclass(frozen=True)
class World:
    """What the report says about the generated world (of the largest size run)."""

    size: int
    other_size: int
    groups: int
    stack_size: int
    types: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    enrichments: tuple[tuple[str, tuple[str, ...]], ...]
    notes: tuple[str, ...]
    planted: tuple[str, ...]
    state_mb: float
    snapshot_mb: float


@dataclass(frozen=True)
class Results:
    options: Options
    machine: dict[str, str]
    started: str
    duration_s: float
    cases: tuple[Case, ...]
    world: World | None = None
    startup: Startup | None = None
    state_parse: StateParse | None = None
    profile: Profile | None = None
    checks: tuple[Check, ...] = field(default=())
    azprov: str = ""  # which azprov was measured (see `azprov_source`)


# -- processes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exited:
    code: int
    wall_s: float
    peak_mb: float
    cpu_s: float
    stdout: str
    stderr: str


def spawn(argv: Sequence[str], env: dict[str, str], cwd: Path, timeout_s: float) -> Exited:
    """Run a child to completion through `bench.launch`: its wall time, CPU and own peak RSS
    (started from this process, the child's peak would include this process's memory)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        record = Path(tmp) / "usage.json"
        launcher = [sys.executable, "-m", "bench.launch", str(record), str(timeout_s), "--"]
        done = subprocess.run([*launcher, *argv], stdout=out, stderr=err, env=env, cwd=cwd,
                              check=False, timeout=timeout_s + 60)  # fmt: skip
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        if not record.exists():
            raise RuntimeError(f"bench.launch failed (exit {done.returncode}): {stderr[-500:]}")
        usage = json.loads(record.read_text(encoding="utf-8"))
        return Exited(usage["code"], usage["wall_s"], usage["peak_mb"], usage["cpu_s"], stdout,
                      stderr)  # fmt: skip


def child_env(ca: Path) -> dict[str, str]:
    """The environment both runners get: the fake's CA and token, no real Azure settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "AZPROV_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"))
    }
    # A PYTHONPATH given to the benchmark comes first: it can point at another azprov tree.
    path = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(REPO)) if p)
    return env | {
        "AZPROV_ACCESS_TOKEN": TOKEN,
        "REQUESTS_CA_BUNDLE": str(ca),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PYTHONPATH": path,
    }


@dataclass(frozen=True)
class Files:
    """One size's inputs on disk: prod's state, test's state and live snapshot."""

    state: Path
    other_state: Path
    other_live: Path


def azprov_argv(
    files: Files, endpoint: str, with_other: bool = True, attribution: bool = True
) -> list[str]:
    other = ["--state", f"{OTHER}={files.other_state}", "--live", f"{OTHER}={files.other_live}"]
    return [sys.executable, "-m", "provisioner", "verify", "--env", TARGET,
            "--state", str(files.state), *(other if with_other else []),
            *([] if attribution else ["--no-attribution"]),
            "--arm-endpoint", endpoint, "--format", "json"]  # fmt: skip


def baseline_argv(files: Files, endpoint: str) -> list[str]:
    return [sys.executable, "-m", "bench.baseline", "--state", str(files.state),
            "--arm-endpoint", endpoint]  # fmt: skip


def read_report(runner: str, exited: Exited, counts: dict[str, int]) -> Run:
    """A runner's JSON report (azprov's or the baseline's, same finding keys) as a `Run`."""
    problem = ""
    findings: frozenset[Finding] = frozenset()
    checked = None
    try:
        doc = json.loads(exited.stdout)
        findings = frozenset(
            (
                str(f["kind"]),
                str(f["resource_id"]).lower(),
                None if f["kind"] == "isolation" else f.get("attribute"),
            )
            for f in doc["findings"]
        )
        checked = doc.get("resources_checked")
        incomplete = doc.get("unread") or doc.get("errors")
        if incomplete:
            problem = f"incomplete read: {json.dumps(incomplete)[:300]}"
    except (ValueError, KeyError, TypeError) as exc:
        problem = f"no JSON report ({exc.__class__.__name__})"
    lines = exited.stderr.strip().splitlines()
    if exited.code not in (0, 2) and lines:
        problem = (problem + "; " if problem else "") + lines[-1][:300]
    return Run(runner, exited.code, exited.wall_s, exited.peak_mb, exited.cpu_s, counts, findings,
               checked, problem)  # fmt: skip


# -- the floor ------------------------------------------------------------------------------


def floor(generated: Generated, page_size: int, attribution: bool = True) -> int:
    """Round trips the data needs: Resource Graph pages, one list per parent and child type
    and one list per resource group and scope-placed type (role assignments), more when a
    list spans pages, and with `attribution` one query of Resource Graph's change records
    (who made each change). Confirming flagged resources comes on top."""
    index = Index(generated.world)
    rows = len(index.graph_rows) + len(index.container_rows)
    pages = max(1, math.ceil(rows / GRAPH_MAX_TOP)) + attribution

    def listed(key: str) -> int:
        return max(1, math.ceil(len(index.lists.get(key.lower(), [])) / page_size))

    for parent in generated.parents:
        arm_type = parent.split("/providers/")[-1].rsplit("/", 1)[0]
        pages += sum(listed(f"{parent}/{spec.child_segment}") for spec in children_of(arm_type))
    sub = generated.world.subscription
    for group in generated.resource_groups:
        scope = f"/subscriptions/{sub}/resourcegroups/{group}"
        pages += sum(listed(f"{scope}/providers/{s.arm_type}") for s in listed_at(Placement.SCOPE))
    return pages


# -- the measurements -------------------------------------------------------------------------


class Bench:
    """One fake ARM endpoint and a work directory, shared by every run of a benchmark."""

    def __init__(self, fake: FakeArm, workdir: Path, options: Options) -> None:
        self.fake = fake
        self.workdir = workdir
        self.options = options
        self.ca = fake.write_ca(workdir / "fake-arm-ca.pem")
        self.env = child_env(self.ca)
        config = CONFIG + (CONFIG_OTHER if options.with_other else "")
        (workdir / "azprov.toml").write_text(config, encoding="utf-8")

    def azprov(self, files: Files) -> list[str]:
        """The azprov command line for `files`, against the fake."""
        o = self.options
        return azprov_argv(files, self.fake.base_url, o.with_other, o.attribution)

    def run(self, runner: str, argv: list[str], throttle: bool) -> Run:
        self.fake.configure(throttle=throttle)
        self.fake.reset()
        exited = spawn(argv, self.env, self.workdir, self.options.timeout_s)
        return read_report(runner, exited, self.fake.counts())

    def prepare(self, size: int) -> tuple[Generated, Files]:
        """Generate prod and test at `size`, write their files, serve prod."""
        prod, test = pair(size, self.options.other_size)
        files = Files(
            self.workdir / f"{TARGET}-{size}.tfstate.json",
            self.workdir / f"{OTHER}-{size}.tfstate.json",
            self.workdir / f"{OTHER}-{size}.live.json",
        )
        files.state.write_text(prod.state_json(), encoding="utf-8")
        files.other_state.write_text(test.state_json(), encoding="utf-8")
        files.other_live.write_text(snapshot_json(test), encoding="utf-8")
        self.fake.load(prod.world)
        return prod, files

    def case(
        self, generated: Generated, files: Files, throttle: bool, log: Callable[[str], None]
    ) -> Case:
        endpoint = self.fake.base_url
        mine: list[Run] = []
        theirs: list[Run] = []
        for i in range(self.options.repeat):
            mine.append(self.run("azprov", self.azprov(files), throttle))
            log(_line(generated.size, throttle, i, mine[-1]))
            theirs.append(self.run("baseline", baseline_argv(files, endpoint), throttle))
            log(_line(generated.size, throttle, i, theirs[-1]))
        planted = Planted.of(generated)
        if not self.options.with_other:
            planted = replace(planted, isolation=frozenset())
        least = floor(generated, self.options.page_size, self.options.attribution)
        return Case(generated.size, throttle, least, planted, tuple(mine), tuple(theirs))

    def warm_up(self) -> None:
        """One unmeasured run, so the first measured one does not pay for cold caches."""
        _, files = self.prepare(minimum_size())
        self.run("azprov", self.azprov(files), throttle=False)

    def startup(self, runs: int) -> Startup:
        """Start-up of `verify`: the imports of a real (small) run, the interpreter, --help."""
        _, files = self.prepare(minimum_size())
        imports, bare, help_wall, help_cpu = [], [], [], []
        argv = self.azprov(files)
        for _ in range(runs):
            timed = spawn([argv[0], "-X", "importtime", *argv[1:]], self.env, self.workdir, 300)
            imports.append(import_seconds(timed.stderr))
            bare.append(spawn([sys.executable, "-c", "pass"], self.env, self.workdir, 60).cpu_s)
            helped = spawn([*argv[:4], "--help"], self.env, self.workdir, 60)
            help_wall.append(helped.wall_s)
            help_cpu.append(helped.cpu_s)
        return Startup(Spread(tuple(imports)), Spread(tuple(bare)), Spread(tuple(help_wall)),
                       Spread(tuple(help_cpu)))  # fmt: skip

    def profile(self, files: Files, size: int, output_dir: Path) -> Profile:
        """Profile one unthrottled azprov run with pyinstrument (the main thread)."""
        session = self.workdir / f"azprov-{size}.pyisession"
        argv = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session),
                "-m", "provisioner", *self.azprov(files)[3:]]  # fmt: skip
        self.fake.configure(throttle=False)
        self.fake.reset()
        exited = spawn(argv, self.env, self.workdir, self.options.timeout_s)
        if not session.exists():
            raise RuntimeError(f"pyinstrument wrote no profile: {exited.stderr[-500:]}")
        return summarize_profile(session, size, output_dir / f"profile-N{size}.txt")


_IMPORT_LINE = re.compile(r"^import time:\s+\d+\s+\|\s+(\d+)\s+\|( +)(\S.*)$")


def import_seconds(stderr: str) -> float:
    """Total import time from `python -X importtime` output: the top-level imports' sum."""
    total = 0
    for line in stderr.splitlines():
        found = _IMPORT_LINE.match(line)
        if found and len(found.group(2)) == 1:  # nested imports are indented further
            total += int(found.group(1))
    return total / 1e6


# Stages of a verify run, by the function that does them (inclusive time, outermost call).
STAGES = (
    (
        "state: read and normalize, both environments (load_state, state_resources)",
        ("load_state", "parse_state", "state_resources"),
    ),
    (
        "live read (read_inventory: waiting on the read pool, and redact_body as bodies arrive)",
        ("read_inventory",),
    ),
    ("redaction (redact_body)", ("redact_body",)),
    ("normalization (from_arm / flatten)", ("from_arm",)),
    ("JSON parsing (json.loads)", ("loads",)),
    ("drift (drift_findings)", ("drift_findings",)),
    ("confirmation (confirmed_drift)", ("confirmed_drift",)),
    ("policy (policy_findings)", ("policy_findings",)),
    ("isolation (isolation_findings)", ("isolation_findings",)),
    ("other environment: snapshot load", ("load_snapshot",)),
    ("report rendering (write_reports)", ("write_reports",)),
)


def summarize_profile(session_path: Path, size: int, text_path: Path) -> Profile:
    """The profile as text, the functions with most self time, and time per stage."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(session_path))
    text_path.parent.mkdir(parents=True, exist_ok=True)
    text_path.write_text(ConsoleRenderer(show_all=False, short_mode=False).render(session),
                         encoding="utf-8")  # fmt: skip
    root = session.root_frame()
    hot: dict[str, float] = {}
    outside: dict[str, float] = {}
    stages = {label: 0.0 for label, _ in STAGES}
    isolation = next(label for label, _ in STAGES if label.startswith("isolation"))

    def walk(frame: Any, inside: frozenset[str]) -> None:
        name = frame.function or ""
        if name in ("_find_and_load", "_call_with_frames_removed") and (
            "importlib" in (frame.file_path or "")
        ):
            hot["(imports)"] = hot.get("(imports)", 0.0) + frame.time
            return
        entered = set(inside)
        for label, functions in STAGES:
            if name in functions and label not in inside:
                stages[label] += frame.time
                entered.add(label)
        own = sum(c.time for c in frame.children if c.is_synthetic)
        if own > 0:
            key = f"{name} ({Path(frame.file_path or '?').name}:{frame.line_no})"
            hot[key] = hot.get(key, 0.0) + own
            if isolation not in entered:
                outside[key] = outside.get(key, 0.0) + own
        for child in frame.children:
            if not child.is_synthetic:
                walk(child, frozenset(entered))

    total = root.time if root is not None else 0.0
    if root is not None:
        walk(root, frozenset())

    def top(found: dict[str, float]) -> tuple[tuple[str, float], ...]:
        return tuple(sorted(found.items(), key=lambda kv: -kv[1])[:15])

    return Profile(size, total, top(hot), top(outside), tuple(stages.items()), text_path)


STATE_PARSE = """
import gc, sys, time
from pathlib import Path
from provisioner.mapping.normalize import from_state
from provisioner.state import load_state
times = []
doc = None
for _ in range(3):
    doc = None
    gc.collect()
    start = time.perf_counter()
    doc = load_state(Path(sys.argv[1]))
    times.append(time.perf_counter() - start)
start = time.perf_counter()
normalized = [from_state(r) for r in doc.resources]
print(len(doc.resources), time.perf_counter() - start, *times)
"""


def measure_state_parse(target_mb: float, workdir: Path, env: dict[str, str]) -> StateParse:
    """Generate a state file of at least `target_mb` MB and time `load_state` on it (3 times)."""
    from bench.generate import generate

    # Terraform writes state files indented by two spaces; so does the sample that sizes it.
    sample = len(generate(1000, plant=False).state_json(indent=2).encode())
    size = max(minimum_size(), math.ceil(target_mb * MB / sample * 1000 * 1.05))
    path = workdir / "state-large.json"
    path.write_text(generate(size, plant=False).state_json(indent=2), encoding="utf-8")
    exited = spawn([sys.executable, "-c", STATE_PARSE, str(path)], env, workdir, 600)
    if exited.code != 0:
        raise RuntimeError(f"state parsing failed: {exited.stderr[-500:]}")
    resources, normalize, *parse = exited.stdout.split()
    return StateParse(path.stat().st_size / MB, int(resources), tuple(map(float, parse)),
                      float(normalize))  # fmt: skip


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text(encoding="utf-8").splitlines()[0].split()
        memory = f"{int(first[1]) / MB:.1f} GiB"
    load = ""
    if hasattr(os, "getloadavg"):
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    return {
        "CPUs": str(os.cpu_count()),
        "CPU model": model,
        "memory": memory or "unknown",
        "load average at the end (1/5/15 min)": load or "unknown",
        "Python": platform.python_version(),
        "OS": platform.platform(),
    }


def azprov_source(env: dict[str, str], cwd: Path) -> str:
    """Which azprov the runners import, and its git commit when it is this repository's."""
    probe = [sys.executable, "-c", "import provisioner; print(provisioner.__file__)"]
    found = subprocess.run(probe, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    package = Path(found.stdout.strip() or ".").parent
    if not package.is_relative_to(REPO):
        return str(package)

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False)  # fmt: skip
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--", "provisioner")
    return f"{package.relative_to(REPO)} at {commit}" + (" + uncommitted changes" if dirty else "")


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="azprov-bench-") as tmp:
        yield Path(tmp)


def _world(generated: Generated, files: Files, other_size: int) -> World:
    from bench.generate import template

    tmpl = template()
    return World(
        size=generated.size,
        other_size=other_size,
        groups=generated.layout.groups,
        stack_size=generated.layout.stack_size,
        types=tuple(sorted({m.tf_type for m in tmpl.members} | {tmpl.group.tf_type})),
        sources=tuple(sorted(generated.sources.items())),
        enrichments=tuple(sorted(generated.enrichments.items())),
        notes=generated.notes,
        planted=tuple(
            f"{e.kind} {e.resource_id.split('/providers/', 1)[-1]}"
            + (f" ({e.attribute})" if e.attribute and e.kind != "isolation" else "")
            for e in generated.expected
        ),
        state_mb=files.state.stat().st_size / MB,
        snapshot_mb=files.other_live.stat().st_size / MB,
    )


def benchmark(
    options: Options,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Results:
    """Every measurement `options` asks for; `write_results` turns them into the report."""
    started = clock()
    begin = time.perf_counter()
    settings = Settings(latency_s=options.latency_ms / 1000, page_size=options.page_size)
    cases: list[Case] = []
    world = state_parse = profile = startup = None
    out_dir = options.output.parent if options.output else None
    with (
        _workdir(options.workdir) as workdir,
        FakeArm(pair(minimum_size())[0].world, settings) as fake,
    ):
        bench = Bench(fake, workdir, options)
        if options.warmup:
            bench.warm_up()
        if options.startup_runs:
            startup = bench.startup(options.startup_runs)
            log(f"start-up: imports {startup.imports_s.show(3)} s")
        for size in options.sizes:
            generated, files = bench.prepare(size)
            log(f"N={size}: generated, {files.state.stat().st_size / MB:.1f} MB of state")
            cases.append(bench.case(generated, files, False, log))
            if size in options.throttled_sizes:
                cases.append(bench.case(generated, files, True, log))
            if size == options.profile_size:
                profile = bench.profile(files, size, out_dir or workdir)
                log(f"profile: {profile.path}")
            world = _world(generated, files, options.other_size or size)
        if options.profile_size and options.profile_size not in options.sizes:
            _, files = bench.prepare(options.profile_size)
            profile = bench.profile(files, options.profile_size, out_dir or workdir)
        if options.state_mb > 0:
            state_parse = measure_state_parse(options.state_mb, workdir, bench.env)
            log(f"state parse: {state_parse.size_mb:.1f} MB in {state_parse.median_s:.2f} s")
        source = azprov_source(bench.env, workdir)
    results = Results(options, machine(), started.isoformat(timespec="seconds"),
                      time.perf_counter() - begin, tuple(cases), world, startup, state_parse,
                      profile, azprov=source)  # fmt: skip
    return replace(results, checks=targets(results))


def _line(size: int, throttle: bool, index: int, run: Run) -> str:
    mode = "throttled" if throttle else "unthrottled"
    return (
        f"N={size} {mode} #{index + 1} {run.runner}: {run.wall_s:.2f} s ({run.cpu_s:.1f} s CPU), "
        f"{run.requests} requests ({run.throttled} throttled), {run.peak_mb:.0f} MB, "
        f"exit {run.exit_code}" + (f" [{run.problem}]" if run.problem else "")
    )


# -- targets and the report -------------------------------------------------------------------


def _case(results: Results, size: int, throttle: bool) -> Case | None:
    return next((c for c in results.cases if (c.size, c.throttle) == (size, throttle)), None)


def _ratio_check(target: str, case: Case | None, limit: float) -> Check:
    ratio = case.wall_ratio() if case else None
    if case is None or ratio is None:
        return Check(target, "not measured", None)
    mine, theirs = case.wall("azprov").median, case.wall("baseline").median
    measured = (f"{mine:.2f} s / {theirs:.2f} s = {ratio.median:.3f} "
                f"(pairs of runs: {ratio.low:.3f}–{ratio.high:.3f})")  # fmt: skip
    return Check(target, measured, ratio.median <= limit)


def targets(results: Results) -> tuple[Check, ...]:
    """Issue 15's targets, each measured in this run or marked not measured; then the checks
    that the runs were sound."""
    checks = [
        _ratio_check("N=1,000: azprov wall ≤ 0.12× the per-resource refresh's (unthrottled)",
                     _case(results, 1000, False), 0.12),
        _ratio_check("N=5,000: azprov wall ≤ 0.10× the per-resource refresh's (unthrottled)",
                     _case(results, 5000, False), 0.10),
    ]  # fmt: skip
    big = _case(results, 5000, False)
    if big is None:
        checks.append(Check("N=5,000: azprov peak RSS ≤ 250 MB", "not measured", None))
    else:
        rss = spread(big.azprov, lambda r: r.peak_mb)
        checks.append(Check("N=5,000: azprov peak RSS ≤ 250 MB", rss.show(0, " MB"),
                            rss.median <= 250))  # fmt: skip
    huge, startup = _case(results, 10000, False), results.startup
    target = "N=10,000: azprov CPU ≤ 0.5 ms per resource after start-up"
    if huge is None or startup is None:
        checks.append(Check(target, "not measured", None))
    else:
        cpu = spread(huge.azprov, lambda r: r.cpu_s)
        per = (cpu.median - startup.cpu_s) * 1000 / huge.size
        checks.append(Check(target, f"({cpu.median:.2f} s − {startup.cpu_s:.2f} s start-up) / "
                            f"10,000 = {per:.2f} ms", per <= 0.5))  # fmt: skip
    small = _case(results, 1000, False)
    target = "azprov wall grows no faster than N from 1,000 to 10,000"
    if small is None or huge is None:
        checks.append(Check(target, "not measured", None))
    else:
        growth = huge.wall("azprov").median / small.wall("azprov").median
        checks.append(Check(target, f"×{growth:.2f} for N ×10", growth <= 10))
    if startup is None:
        checks.append(Check("start-up (imports) of verify ≤ 0.3 s", "not measured", None))
    else:
        checks.append(Check("start-up (imports) of verify ≤ 0.3 s",
                            f"{startup.imports_s.show(3, ' s')} (median of "
                            f"{len(startup.imports_s.values)})",
                            startup.imports_s.median <= 0.3))  # fmt: skip
    checks.append(_ratio_check("N=1,000 throttled (250 + 25/s): azprov wall ≤ 0.05× the "
                               "refresh's", _case(results, 1000, True), 0.05))  # fmt: skip
    # Whether the runs were sound: the planted findings, the requests, no writes.
    cases = results.cases
    runs = sum(len(c.azprov) for c in cases)
    good = sum(not c.planted.azprov_problems(r) for c in cases for r in c.azprov)
    base_good = sum(not c.planted.baseline_problems(r) for c in cases for r in c.baseline)
    base_runs = sum(len(c.baseline) for c in cases)
    checks.append(Check("azprov reports exactly the planted drift and isolation, nothing else "
                        "(and not Resource Graph's stale view)", f"{good}/{runs} runs",
                        good == runs if runs else None))  # fmt: skip
    checks.append(Check("the baseline reports exactly the planted drift",
                        f"{base_good}/{base_runs} runs",
                        base_good == base_runs if base_runs else None))  # fmt: skip
    if small is None:
        checks.append(Check("N=1,000: azprov requests ≤ floor + 10 % (issue 7)", "not measured",
                            None))  # fmt: skip
    else:
        req = spread(small.azprov, lambda r: r.requests).median
        checks.append(Check("N=1,000: azprov requests ≤ floor + 10 % (issue 7)",
                            f"{req:.0f} / {small.floor} = {req / small.floor:.3f}",
                            req <= small.floor * 1.10))  # fmt: skip
    refused = sum(r.counts.get("refused", 0) for c in cases for r in c.azprov)
    checks.append(Check("azprov sends no writes or POST actions", f"{refused} refused",
                        refused == 0 if runs else None))  # fmt: skip
    parse = results.state_parse
    target = "50 MB state parses in < 3 s (issue 7)"
    if parse is None or parse.size_mb < 49.5:
        measured = "not measured" if parse is None else f"{parse.size_mb:.1f} MB only"
        checks.append(Check(target, measured, None))
    else:
        checks.append(Check(target, f"{parse.median_s:.2f} s (median of {len(parse.parse_s)})",
                            parse.median_s < 3))  # fmt: skip
    return tuple(checks)


def _row(c: Case) -> str:
    a, b = c.azprov, c.baseline
    requests = spread(a, lambda r: r.requests)
    cpu = spread(a, lambda r: r.cpu_s)
    ratio = c.wall_ratio()
    base = (
        (spread(b, lambda r: r.requests).show(0), c.wall("baseline").show(),
         spread(b, lambda r: r.cpu_s).show(1), spread(b, lambda r: r.peak_mb).show(0))
        if b else ("–", "–", "–", "–")
    )  # fmt: skip
    throttled = sum(r.throttled for r in (*a, *b))
    return (
        f"| {c.size:,} | {'on' if c.throttle else 'off'} | {c.floor} | {requests.show(0)} "
        f"({requests.median / c.floor:.2f}×) | {base[0]} | {c.wall('azprov').show()} "
        f"| {base[1]} | {ratio.show(3) if ratio else '–'} | {cpu.show(1)} "
        f"| {cpu.median * 1000 / c.size:.2f} | {base[2]} "
        f"| {spread(a, lambda r: r.peak_mb).show(0)} | {base[3]} | {throttled} "
        f"| {'yes' if c.found_planted() else '**NO**'} |"
    )


def render(results: Results) -> str:
    """The Markdown report (`bench/RESULTS.md`)."""
    o = results.options
    lines = [
        "# azprov scale benchmark: results",
        "",
        "Written by `bench/run.py`; re-run it to refresh this file (see the README's "
        "Benchmark section).",
        "",
        f"- date: {results.started}",
        f"- command: `{o.command}`",
        f"- azprov measured: {results.azprov}" + (f" ({o.note})" if o.note else ""),
        "- machine: " + ", ".join(f"{k} {v}" for k, v in results.machine.items()),
        f"- fake ARM: {o.latency_ms:g} ms per request, ARM list pages of {o.page_size}, "
        "Resource Graph pages of 1,000; throttled runs: ARM's bucket (250 reads, +25/s) and "
        "Resource Graph's quota (15 per 5 s)",
        f"- runs: {o.repeat} of each runner per size and mode; values are the median (min–max)",
        *(
            []
            if o.with_other
            else [
                "- **azprov ran without the other environment (test): no "
                "isolation check** (`--no-other`)"
            ]
        ),
        *(
            []
            if o.attribution
            else [
                "- **azprov ran with `--no-attribution`: no query of Resource Graph's change "
                "records** (`--no-attribution`; the floor leaves it out too)"
            ]
        ),
        f"- whole run: {results.duration_s / 60:.1f} min",
        "",
        "## Results",
        "",
        "| N | throttle | floor | azprov requests | baseline requests | azprov wall s "
        "| baseline wall s | wall ratio | azprov CPU s | azprov CPU ms / resource "
        "| baseline CPU s | azprov peak MB | baseline peak MB | 429s | planted found |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|",
    ]
    lines += [_row(c) for c in results.cases]
    lines += ["", "Requests count every HTTP request the fake received; wall is the child's "
              "time from spawn to exit (interpreter start and imports included); CPU its user "
              "+ system seconds; peak its maximum RSS. The wall ratio is azprov's median over "
              "the baseline's, in brackets the best and worst pairing of single runs. azprov "
              "runs `verify --env prod --format json` with test's state and live snapshot for "
              "the isolation check (and policy); the baseline GETs every state resource (10 "
              "workers, retrying 429s) and lists what a refresh cannot see (the generic list "
              "and role assignments per resource group, children per parent), then compares "
              "with azprov's own normalize and drift code. \"planted found\": every azprov run "
              "reported exactly the planted drift and isolation findings and nothing on any "
              "other resource, and every baseline run exactly the planted drift.", ""]  # fmt: skip
    problems = [(c, p) for c in results.cases for p in c.problems()]
    if problems:
        lines += ["Problems in the runs:", ""]
        lines += [f"- N={c.size:,} {'throttled' if c.throttle else 'unthrottled'}: {p}"
                  for c, p in problems[:20]]  # fmt: skip
        lines.append("")
    lines += ["### Requests by kind (first run)", "",
              "| N | throttle | runner | " + " | ".join(_KIND_COLUMNS) + " |",
              "|--:|:--|:--|" + "--:|" * len(_KIND_COLUMNS)]  # fmt: skip
    for c in results.cases:
        for runs in (c.azprov, c.baseline):
            if runs:
                r = runs[0]
                cells = " | ".join(str(r.counts.get(k, 0)) for k in _KIND_COLUMNS)
                lines.append(f"| {c.size:,} | {'on' if c.throttle else 'off'} | {r.runner} "
                             f"| {cells} |")  # fmt: skip
    lines += _targets_section(results)
    lines += _startup_section(results)
    lines += _profile_section(results)
    if results.state_parse:
        p = results.state_parse
        lines += ["", "## State parsing", "",
                  f"`provisioner.state.load_state` on a {p.size_mb:.1f} MB state "
                  f"({p.resources:,} resources of the benchmark's shapes): "
                  + ", ".join(f"{t:.2f} s" for t in p.parse_s)
                  + f" (median {p.median_s:.2f} s); normalizing them (`from_state`): "
                  f"{p.normalize_s:.2f} s."]  # fmt: skip
    lines += _world_section(results)
    return "\n".join(lines) + "\n"


_KIND_COLUMNS = ("graph", "resource_group_get", "resources_list", "typed_list", "child_list",
                 "scope_list", "get", "child_get", "provider", "other", "refused",
                 "throttled")  # fmt: skip


def _targets_section(results: Results) -> list[str]:
    verdict = {True: "pass", False: "**FAIL**", None: "not measured"}
    return [
        "",
        "## Targets (issue 15) and checks",
        "",
        "Verdicts use the medians; the spread is shown so that a noisy machine can be seen.",
        "",
        "| target | measured | result |",
        "|:--|:--|:--|",
        *(f"| {ch.target} | {ch.measured} | {verdict[ch.ok]} |" for ch in results.checks),
    ]


def _startup_section(results: Results) -> list[str]:
    s = results.startup
    if s is None:
        return []
    return [
        "",
        "## Start-up",
        "",
        f"- imports of a small `azprov verify` run against the fake (the sum of the top-level "
        f"imports `python -X importtime` reports, which adds a little overhead of its own): "
        f"{s.imports_s.show(3, ' s')}",
        f"- the interpreter alone (`python -c pass`): {s.interpreter_cpu_s.show(3, ' s')} CPU",
        f"- `python -m provisioner verify --help`: {s.help_wall_s.show(3, ' s')} wall, "
        f"{s.help_cpu_s.show(3, ' s')} CPU",
        f"- start-up CPU subtracted for the per-resource CPU target: imports + interpreter = "
        f"{s.cpu_s:.3f} s",
    ]


def _profile_section(results: Results) -> list[str]:
    pr = results.profile
    if pr is None:
        return []
    lines = [
        "",
        f"## Profile of one azprov run (N={pr.size:,}, unthrottled, main thread)",
        "",
        f"pyinstrument sampled {pr.total_s:.2f} s of wall time on the main thread (the profiler "
        f"slows the run down). Full tree: `{pr.path.name}`.",
        "",
        "Time by stage (inclusive; a stage nested in another counts in both, e.g. JSON "
        "parsing inside the snapshot load; waiting on the read pool is not CPU):",
        "",
        "| stage | s | share |",
        "|:--|--:|--:|",
    ]
    lines += [f"| {label} | {secs:.2f} | {secs / pr.total_s:.0%} |" for label, secs in pr.stages
              if pr.total_s]  # fmt: skip
    for title, found in (
        ("Most self time", pr.hot),
        ("Most self time outside the isolation analyser", pr.hot_outside),
    ):
        lines += ["", f"{title}:", "", "| function | s | share |", "|:--|--:|--:|"]
        lines += [f"| `{name}` | {secs:.3f} | {secs / pr.total_s:.1%} |" for name, secs in found
                  if pr.total_s]  # fmt: skip
    return lines


def _world_section(results: Results) -> list[str]:
    w = results.world
    if w is None:
        return []
    lines = [
        "",
        "## The generated world",
        "",
        f"Prod (the target) at N={w.size:,}: {w.groups} resource groups of about 100 "
        f"resources, stacks of {w.stack_size} (one team's service) cloned from the registry's "
        f"type fixtures, renamed per instance; {w.state_mb:.1f} MB of state. Test (for the "
        f"isolation check) has the same shape at N={w.other_size:,}; its live side is a "
        f"{w.snapshot_mb:.1f} MB `azprov snapshot` file. Types: "
        + ", ".join(f"`{t}`" for t in w.types) + ".",
        "",
        "Enrichments beyond the REST examples (`bench/enrich.py`): "
        + "; ".join(f"`{t}`: {', '.join(names)}" for t, names in w.enrichments) + ".",
        *(f"- note: {n}" for n in w.notes),
        "",
        f"Planted at N={w.size:,}:",
        "",
        *(f"- {p}" for p in w.planted),
        "- not to be reported: one container app whose last apply Resource Graph has not "
        "caught up with",
        "",
        "Where the bodies' shapes come from (each fixture's `source`):",
        "",
    ]  # fmt: skip
    lines += [f"- `{t}`: {s}" for t, s in w.sources]
    return lines


# -- the command ------------------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s.replace("_", "")) for s in text.split(",") if s.strip())
    except ValueError:
        sizes = ()
    least = minimum_size()
    if not sizes or min(sizes) < least:
        raise argparse.ArgumentTypeError(f"sizes are whole numbers ≥ {least}, e.g. 1000,5000")
    return sizes


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="azprov verify vs a per-resource refresh, on a local HTTPS fake of ARM.",
    )
    add = parser.add_argument
    add(
        "--sizes",
        type=_sizes,
        default=Options.sizes,
        help="state sizes, comma-separated (default 1000,5000,10000)",
    )
    add(
        "--repeat",
        type=int,
        default=Options.repeat,
        help="runs of each runner per size and mode; the report shows the median (default 3)",
    )
    add(
        "--latency-ms",
        type=float,
        default=Options.latency_ms,
        help="latency of every request (default 50)",
    )
    add(
        "--throttled-sizes",
        type=lambda t: _sizes(t) if t else (),
        default=Options.throttled_sizes,
        help="sizes also run with ARM's token bucket (default 1000; '' for none)",
    )
    add(
        "--page-size",
        type=int,
        default=Options.page_size,
        help="items per ARM list page (default 100)",
    )
    add(
        "--other-size",
        type=int,
        default=None,
        help="size of the other environment (test); default: the same as prod's",
    )
    add(
        "--no-other",
        action="store_true",
        help="run azprov without test, so without the isolation check (what the rest costs)",
    )
    add(
        "--no-attribution",
        action="store_true",
        help="run azprov with --no-attribution (no change-record query): what attribution costs",
    )
    add(
        "--state-mb",
        type=float,
        default=Options.state_mb,
        help="size of the state file to time parsing of; 0 skips (default 50)",
    )
    add(
        "--profile",
        type=int,
        default=Options.profile_size,
        metavar="N",
        help="profile one azprov run at N with pyinstrument (default 1000)",
    )
    add("--no-profile", action="store_true", help="skip the profile")
    add(
        "--startup-runs",
        type=int,
        default=Options.startup_runs,
        help="runs to measure start-up with; 0 skips (default 5)",
    )
    add("--no-warmup", action="store_true", help="skip the unmeasured first run")
    add(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Markdown report (default bench/RESULTS.md); the profile is written beside it",
    )
    add("--note", default="", help="what was measured, for the report's header")
    add(
        "--workdir",
        type=Path,
        default=None,
        help="keep states, certificate and profile session here (default: a temp dir)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    shown = shlex.join(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)])
    return Options(
        sizes=args.sizes, repeat=args.repeat, latency_ms=args.latency_ms,
        throttled_sizes=tuple(s for s in args.throttled_sizes if s in args.sizes),
        page_size=args.page_size, other_size=args.other_size, with_other=not args.no_other,
        attribution=not args.no_attribution, state_mb=args.state_mb,
        profile_size=None if args.no_profile else args.profile,
        startup_runs=args.startup_runs, warmup=not args.no_warmup, output=args.output,
        workdir=args.workdir, command=shown.strip(), note=args.note,
    )  # fmt: skip


def write_results(results: Results) -> str:
    text = render(results)
    if results.options.output is not None:
        results.options.output.parent.mkdir(parents=True, exist_ok=True)
        results.options.output.write_text(text, encoding="utf-8")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    results = benchmark(options)
    sys.stdout.write(write_results(results))
    if options.output is not None:
        print(f"wrote {options.output}", file=sys.stderr)
    return 1 if any(ch.ok is False for ch in results.checks) else 0


if __name__ == "__main__":
    sys.exit(main())
