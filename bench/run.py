"""The scale benchmark: `azprov verify` against a per-resource refresh, on a local fake of ARM.

    .venv/bin/python -m bench.run                  # the full run; writes bench/RESULTS.md
    .venv/bin/python -m bench.run --sizes 100 --throttle off --state-mb 5 -o /tmp/r.md

For each size N it generates an environment of N state resources with planted drift
(`bench.generate`), serves it from a local HTTPS fake of ARM and Resource Graph
(`bench.fake_arm`) with per-request latency, optionally throttled with ARM's token bucket,
and runs, each in its own process, (a) `azprov verify --format json` and (b) the baseline
(`bench.baseline`). It measures what the fake received (requests per route kind, 429s),
wall time and the child's peak RSS, and checks that both runners report exactly the planted
drift. The floor is the round trips the data needs: Resource Graph pages plus one list per
server and child type. It also times parsing a 50 MB state file, can profile one azprov run
with pyinstrument, and writes a Markdown report with the machine and the issue's targets.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fake_arm import (
    ARM_READ_CAPACITY,
    ARM_READ_REFILL_PER_S,
    GRAPH_MAX_TOP,
    FakeArm,
    Index,
    Settings,
)
from bench.generate import ENVIRONMENT, MIN_SIZE, Generated, generate

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "bench" / "RESULTS.md"
TOKEN = "bench-token"  # noqa: S105 - the fake's bearer value, not a credential
MB = 1024 * 1024
Finding = tuple[str, str, str | None]
CHILD_LISTS = ("firewallrules", "databases")
CONFIG = f"""# written by bench/run.py for one benchmark run
[environments.{ENVIRONMENT}]
state_key = "{ENVIRONMENT}.tfstate"
var_file = "{ENVIRONMENT}.tfvars"
"""


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...] = (100, 1000, 5000)
    latency_ms: float = 50.0
    throttle: tuple[bool, ...] = (False, True)
    baseline_throttled_max: int = 1000
    page_size: int = 100
    state_mb: float = 50.0  # 0: skip the state-parsing measurement
    profile_size: int | None = None
    warmup: bool = True
    timeout_s: float = 900.0
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


@dataclass(frozen=True)
class Case:
    size: int
    throttle: bool
    floor: int
    expected: frozenset[Finding]
    azprov: Run
    baseline: Run | None

    def found_planted(self, run: Run | None) -> bool:
        return run is not None and run.findings == self.expected


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
class Profile:
    size: int
    total_s: float
    imports_s: float
    hot: tuple[tuple[str, float], ...]  # (function, self seconds) outside imports
    path: Path


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    ok: bool | None  # None: not measured in this run, or not a target (`informational`)
    informational: bool = False


@dataclass(frozen=True)
class Results:
    options: Options
    machine: dict[str, str]
    started: str
    duration_s: float
    cases: tuple[Case, ...]
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
    """Run a child to completion; its wall time and its own peak RSS (from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, env=env, cwd=cwd)
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            # wait4, not proc.wait(): it also returns the rusage of this child alone
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
        return Exited(
            proc.returncode,
            wall,
            usage.ru_maxrss * scale / MB,
            usage.ru_utime + usage.ru_stime,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


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


def azprov_argv(state: Path, endpoint: str) -> list[str]:
    return [sys.executable, "-m", "provisioner", "verify", "--env", ENVIRONMENT,
            "--state", str(state), "--arm-endpoint", endpoint, "--format", "json"]  # fmt: skip


def baseline_argv(state: Path, endpoint: str) -> list[str]:
    return [sys.executable, "-m", "bench.baseline", "--state", str(state),
            "--arm-endpoint", endpoint]  # fmt: skip


def read_report(runner: str, exited: Exited, counts: dict[str, int]) -> Run:
    """A runner's JSON report (azprov's or the baseline's, same finding keys) as a `Run`."""
    problem = ""
    findings: frozenset[Finding] = frozenset()
    checked = None
    try:
        doc = json.loads(exited.stdout)
        findings = frozenset(
            (str(f["kind"]), str(f["resource_id"]).lower(), f.get("attribute"))
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


def floor(generated: Generated, page_size: int) -> int:
    """Round trips the data needs: Resource Graph pages, then one list per server and child
    type (more when a list spans pages). Confirming flagged resources comes on top."""
    index = Index(generated.world)
    rows = len(index.graph_rows) + len(index.container_rows)
    pages = max(1, math.ceil(rows / GRAPH_MAX_TOP))
    for server in generated.servers:
        for child in CHILD_LISTS:
            items = len(index.lists.get(f"{server.lower()}/{child}", []))
            pages += max(1, math.ceil(items / page_size))
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
        (workdir / "azprov.toml").write_text(CONFIG, encoding="utf-8")

    def run(self, runner: str, argv: list[str], throttle: bool) -> Run:
        self.fake.configure(throttle=throttle)
        self.fake.reset()
        exited = spawn(argv, self.env, self.workdir, self.options.timeout_s)
        return read_report(runner, exited, self.fake.counts())

    def case(self, size: int, throttle: bool, log: Callable[[str], None]) -> Case:
        generated = generate(size)
        self.fake.load(generated.world)
        state = self.workdir / f"state-{size}.json"
        state.write_text(generated.state_json(), encoding="utf-8")
        endpoint = self.fake.base_url
        azprov = self.run("azprov", azprov_argv(state, endpoint), throttle)
        log(_line(size, throttle, azprov))
        baseline = None
        if not throttle or size <= self.options.baseline_throttled_max:
            baseline = self.run("baseline", baseline_argv(state, endpoint), throttle)
            log(_line(size, throttle, baseline))
        return Case(size, throttle, floor(generated, self.options.page_size),
                    generated.expected(), azprov, baseline)  # fmt: skip

    def warm_up(self) -> None:
        """One unmeasured run, so the first measured one does not pay for cold caches."""
        generated = generate(MIN_SIZE)
        self.fake.load(generated.world)
        state = self.workdir / "state-warmup.json"
        state.write_text(generated.state_json(), encoding="utf-8")
        self.run("azprov", azprov_argv(state, self.fake.base_url), throttle=False)

    def profile(self, size: int, output_dir: Path) -> Profile:
        """Profile one unthrottled azprov run with pyinstrument (the main thread)."""
        generated = generate(size)
        self.fake.load(generated.world)
        state = self.workdir / f"state-{size}.json"
        state.write_text(generated.state_json(), encoding="utf-8")
        session = self.workdir / f"azprov-{size}.pyisession"
        argv = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session),
                "-m", "provisioner", *azprov_argv(state, self.fake.base_url)[3:]]  # fmt: skip
        self.fake.configure(throttle=False)
        self.fake.reset()
        exited = spawn(argv, self.env, self.workdir, self.options.timeout_s)
        if not session.exists():
            raise RuntimeError(f"pyinstrument wrote no profile: {exited.stderr[-500:]}")
        return summarize_profile(session, size, output_dir / f"profile-N{size}.txt")


def summarize_profile(session_path: Path, size: int, text_path: Path) -> Profile:
    """Time in imports, and the functions the rest of the main thread's time is spent in."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(session_path))
    text_path.parent.mkdir(parents=True, exist_ok=True)
    text_path.write_text(ConsoleRenderer(show_all=False).render(session), encoding="utf-8")
    root = session.root_frame()
    imports = 0.0
    hot: dict[str, float] = {}

    def walk(frame: Any) -> None:
        nonlocal imports
        if frame.function in ("_find_and_load", "_call_with_frames_removed") and (
            "importlib" in (frame.file_path or "")
        ):
            imports += frame.time
            return
        own = sum(c.time for c in frame.children if c.is_synthetic)
        if own > 0:
            key = f"{frame.function} ({Path(frame.file_path or '?').name}:{frame.line_no})"
            hot[key] = hot.get(key, 0.0) + own
        for child in frame.children:
            if not child.is_synthetic:
                walk(child)

    total = root.time if root is not None else 0.0
    if root is not None:
        walk(root)
    top = tuple(sorted(hot.items(), key=lambda kv: -kv[1])[:10])
    return Profile(size, total, imports, top, text_path)


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
    sample = len(generate(1000, with_live=False).state_json().encode())
    size = max(MIN_SIZE, math.ceil(target_mb * MB / sample * 1000 * 1.02))  # at least target
    path = workdir / "state-large.json"
    path.write_text(generate(size, with_live=False).state_json(), encoding="utf-8")
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
    return {
        "CPUs": str(os.cpu_count()),
        "CPU model": model,
        "memory": memory or "unknown",
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
    state_parse = profile = None
    with _workdir(options.workdir) as workdir, FakeArm(generate(MIN_SIZE).world, settings) as fake:
        bench = Bench(fake, workdir, options)
        if options.warmup:
            bench.warm_up()
        for size in options.sizes:
            for throttle in options.throttle:
                cases.append(bench.case(size, throttle, log))
        if options.state_mb > 0:
            state_parse = measure_state_parse(options.state_mb, workdir, bench.env)
            log(f"state parse: {state_parse.size_mb:.1f} MB in {state_parse.median_s:.2f} s")
        if options.profile_size:
            out_dir = options.output.parent if options.output else workdir
            profile = bench.profile(options.profile_size, out_dir)
            log(f"profile: {profile.path}")
        source = azprov_source(bench.env, workdir)
    results = Results(options, machine(), started.isoformat(timespec="seconds"),
                      time.perf_counter() - begin, tuple(cases), state_parse, profile,
                      azprov=source)  # fmt: skip
    return replace(results, checks=targets(results))


def _line(size: int, throttle: bool, run: Run) -> str:
    mode = "throttled" if throttle else "unthrottled"
    return (
        f"N={size} {mode} {run.runner}: {run.wall_s:.2f} s ({run.cpu_s:.1f} s CPU), "
        f"{run.requests} requests "
        f"({run.throttled} throttled), {run.peak_mb:.0f} MB, exit {run.exit_code}"
        + (f" [{run.problem}]" if run.problem else "")
    )


# -- targets and the report -------------------------------------------------------------------


def _case(results: Results, size: int, throttle: bool) -> Case | None:
    return next((c for c in results.cases if (c.size, c.throttle) == (size, throttle)), None)


def targets(results: Results) -> tuple[Check, ...]:
    """The issue's targets, each measured in this run or marked not measured."""
    checks: list[Check] = []
    off, on = _case(results, 1000, False), _case(results, 1000, True)

    def ratio_check(target: str, case: Case | None, measure: Callable[[Run], float],
                    limit: float, unit: str) -> None:  # fmt: skip
        if case is None or case.baseline is None:
            checks.append(Check(target, "not measured", None))
            return
        mine, theirs = measure(case.azprov), measure(case.baseline)
        ratio = mine / theirs if theirs else math.inf
        text = f"{mine:.{unit}} / {theirs:.{unit}} = {ratio:.3f}"
        checks.append(Check(target, text, ratio <= limit))

    ratio_check("N=1,000 requests ≤ 1/4 of baseline", off, lambda r: r.requests, 0.25, "0f")
    if off is None:
        checks.append(Check("N=1,000 requests ≤ floor + 10 %", "not measured", None))
    else:
        ratio = off.azprov.requests / off.floor
        checks.append(Check("N=1,000 requests ≤ floor + 10 %",
                            f"{off.azprov.requests} / {off.floor} = {ratio:.3f}",
                            ratio <= 1.10))  # fmt: skip
    ratio_check("N=1,000 wall ≤ 1/5 of baseline, unthrottled", off, lambda r: r.wall_s, 0.2, "2f")
    ratio_check("N=1,000 wall ≤ 1/10 of baseline, throttled", on, lambda r: r.wall_s, 0.1, "2f")
    for throttle in results.options.throttle:
        small, large = _case(results, 1000, throttle), _case(results, 5000, throttle)
        mode = "throttled" if throttle else "unthrottled"
        target = f"N=1,000→5,000 wall grows no faster than requests, {mode}"
        if small is None or large is None:
            checks.append(Check(target, "not measured", None, informational=throttle))
            continue
        wall = large.azprov.wall_s / small.azprov.wall_s
        requests = large.azprov.requests / max(1, small.azprov.requests)
        measured = f"wall ×{wall:.2f}, requests ×{requests:.2f}"
        if throttle:
            # Throttled, the bucket sets the pace once a run needs more than its burst,
            # so wall time cannot scale with requests; report how close to that pace it is.
            served = large.azprov.requests - large.azprov.throttled
            least = max(0.0, (served - ARM_READ_CAPACITY) / ARM_READ_REFILL_PER_S)
            measured += f"; ARM's bucket alone needs ≥ {least:.1f} s at N=5,000"
            checks.append(Check(target, measured, None, informational=True))
        else:
            checks.append(Check(target, measured, wall <= requests))
    big = [c for c in results.cases if c.size == 5000]
    peak = max((c.azprov.peak_mb for c in big), default=None)
    checks.append(Check("N=5,000 peak memory < 300 MB",
                        "not measured" if peak is None else f"{peak:.0f} MB",
                        None if peak is None else peak < 300))  # fmt: skip
    parse = results.state_parse
    if parse is None or parse.size_mb < 49.5:
        measured = "not measured" if parse is None else f"{parse.size_mb:.1f} MB only"
        checks.append(Check("50 MB state parses in < 3 s", measured, None))
    else:
        checks.append(Check("50 MB state parses in < 3 s",
                            f"{parse.median_s:.2f} s (median of {len(parse.parse_s)})",
                            parse.median_s < 3))  # fmt: skip
    runs = [r for c in results.cases for r in (c.azprov, c.baseline) if r is not None]
    agree = all(c.found_planted(c.azprov) and (c.baseline is None or c.found_planted(c.baseline))
                for c in results.cases)  # fmt: skip
    checks.append(Check("both runners report exactly the planted drift",
                        f"{sum(c.found_planted(c.azprov) for c in results.cases)}/"
                        f"{len(results.cases)} azprov runs", agree))  # fmt: skip
    refused = sum(c.azprov.counts.get("refused", 0) for c in results.cases)
    checks.append(Check("azprov sends no writes or POST actions", f"{refused} refused",
                        refused == 0 if runs else None))  # fmt: skip
    return tuple(checks)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


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
        "Resource Graph pages of 1,000; throttle: ARM's bucket (250 reads, +25/s) and "
        "Resource Graph's quota (15 per 5 s)",
        f"- whole run: {results.duration_s:.0f} s",
        "",
        "| N | throttle | floor | azprov req (429) | baseline req (429) | req ratio "
        "| azprov ÷ floor | azprov s (CPU) | baseline s (CPU) | wall ratio | azprov MB "
        "| baseline MB | planted drift found (azprov / baseline) |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|",
    ]
    for c in results.cases:
        a, b = c.azprov, c.baseline
        found = "yes" if c.found_planted(a) else f"NO ({len(a.findings)})"
        if b is not None:
            found += " / " + ("yes" if c.found_planted(b) else f"NO ({len(b.findings)})")
        lines.append(
            f"| {c.size:,} | {'on' if c.throttle else 'off'} | {c.floor} "
            f"| {a.requests} ({a.throttled}) "
            f"| {f'{b.requests} ({b.throttled})' if b else '–'} "
            f"| {_ratio(a.requests, b.requests) if b else '–'} "
            f"| {_ratio(a.requests, c.floor)} | {a.wall_s:.2f} ({a.cpu_s:.1f}) "
            f"| {f'{b.wall_s:.2f} ({b.cpu_s:.1f})' if b else '–'} "
            f"| {_ratio(a.wall_s, b.wall_s) if b else '–'} "
            f"| {a.peak_mb:.0f} | {f'{b.peak_mb:.0f}' if b else '–'} | {found} |"
        )
    lines += ["", "req counts every HTTP request the fake received (429s included); s is the "
              "child's wall time from spawn to exit (interpreter start and imports included), "
              "CPU its user + system seconds; MB its peak RSS. Ratios are azprov ÷ baseline. "
              "The baseline GETs every state resource (10 workers) and lists what a refresh "
              "cannot see (the generic list per resource group, firewall rules and databases "
              "per server).", ""]  # fmt: skip
    problems = [(c, r) for c in results.cases for r in (c.azprov, c.baseline) if r and r.problem]
    if problems:
        lines += ["Problems reported by the runners:", ""]
        lines += [f"- N={c.size:,} {r.runner}: {r.problem}" for c, r in problems]
        lines.append("")
    lines += ["## Requests by kind", "",
              "| N | throttle | runner | " + " | ".join(_KIND_COLUMNS) + " |",
              "|--:|:--|:--|" + "--:|" * len(_KIND_COLUMNS)]  # fmt: skip
    for c in results.cases:
        for r in (c.azprov, c.baseline):
            if r is not None:
                cells = " | ".join(str(r.counts.get(k, 0)) for k in _KIND_COLUMNS)
                lines.append(f"| {c.size:,} | {'on' if c.throttle else 'off'} | {r.runner} "
                             f"| {cells} |")  # fmt: skip
    if results.state_parse:
        p = results.state_parse
        lines += ["", "## State parsing", "",
                  f"`provisioner.state.load_state` on a {p.size_mb:.1f} MB state "
                  f"({p.resources:,} resources): "
                  + ", ".join(f"{t:.2f} s" for t in p.parse_s)
                  + f" (median {p.median_s:.2f} s); normalizing them (`from_state`): "
                  f"{p.normalize_s:.2f} s."]  # fmt: skip
    if results.profile:
        pr = results.profile
        lines += ["", f"## Profile of one azprov run (N={pr.size:,}, unthrottled, main thread)",
                  "", f"{pr.total_s:.2f} s sampled, of which {pr.imports_s:.2f} s in imports. "
                  f"Full report: `{pr.path.name}`. Most self time outside imports:", "",
                  "| function | s |", "|:--|--:|"]  # fmt: skip
        lines += [f"| `{name}` | {secs:.3f} |" for name, secs in pr.hot]
    lines += ["", "## Targets (issue 7)", "", "| target | measured | result |", "|:--|:--|:--|"]
    verdict = {True: "pass", False: "**FAIL**", None: "not measured"}
    lines += [
        f"| {ch.target} | {ch.measured} | {'info' if ch.informational else verdict[ch.ok]} |"
        for ch in results.checks
    ]
    return "\n".join(lines) + "\n"


_KIND_COLUMNS = ("graph", "resource_group_get", "resources_list", "typed_list", "child_list",
                 "get", "child_get", "provider", "other", "refused", "throttled")  # fmt: skip


# -- the command ------------------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s.replace("_", "")) for s in text.split(",") if s.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < MIN_SIZE:
        raise argparse.ArgumentTypeError(f"sizes are whole numbers ≥ {MIN_SIZE}, e.g. 100,1000")
    return sizes


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="azprov verify vs a per-resource refresh, on a local HTTPS fake of ARM.",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=Options.sizes,
        help="state sizes, comma-separated (default 100,1000,5000)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=Options.latency_ms,
        help="latency of every request (default 50)",
    )
    parser.add_argument(
        "--throttle",
        choices=("off", "on", "both"),
        default="both",
        help="ARM's token bucket: off, on, or both (default)",
    )
    parser.add_argument(
        "--baseline-throttled-max",
        type=int,
        default=Options.baseline_throttled_max,
        help="largest N the baseline runs at when throttled (default 1000)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=Options.page_size,
        help="items per ARM list page (default 100)",
    )
    parser.add_argument(
        "--state-mb",
        type=float,
        default=Options.state_mb,
        help="size of the state file to time parsing of; 0 skips (default 50)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=None,
        metavar="N",
        help="also profile one azprov run at N with pyinstrument",
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first run")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Markdown report (default bench/RESULTS.md)",
    )
    parser.add_argument("--note", default="", help="what was measured, for the report's header")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep states, certificate and profile here (default: a temp dir)",
    )
    args = parser.parse_args(argv)
    throttle = {"off": (False,), "on": (True,), "both": (False, True)}[args.throttle]
    shown = shlex.join(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)])
    return Options(
        sizes=args.sizes, latency_ms=args.latency_ms, throttle=throttle,
        baseline_throttled_max=args.baseline_throttled_max, page_size=args.page_size,
        state_mb=args.state_mb, profile_size=args.profile, warmup=not args.no_warmup,
        output=args.output, workdir=args.workdir, command=shown.strip(), note=args.note,
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
