#!/usr/bin/env python3
"""The two entry points a newcomer needs, using nothing but Python 3.11.

    python3 tasks.py demo   # azprov verify on the bundled example (no Azure account needed)
    python3 tasks.py test   # lint, type-check and the whole test suite (what CI runs)

Each command creates `.venv/` on first use and installs the project into it; later runs
reuse it until pyproject.toml changes. Checkov gets a virtual environment of its own in the
user cache, because its pinned dependencies clash with ours. The audit report's rendering
test needs Chromium: `test` installs Debian's `chromium` package when it is missing and
apt-get can run (root, as in CI); elsewhere that one test is skipped unless required.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
CHECKOV_VERSION = "3.3.30"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "azprov"
CHECKOV_VENV = CACHE / f"checkov-{CHECKOV_VERSION}"

DEMO = [
    "verify",
    "--env",
    "prod",
    "--state",
    "examples/prod.tfstate.json",
    "--live",
    "examples/prod.live.json",
    "--state",
    "test=examples/test.tfstate.json",
    "--live",
    "test=examples/test.live.json",
]
AUDIT = "--env prod --plan examples/prod.tfplan.json " + " ".join(DEMO[3:])
PYTEST_NO_TESTS = 5
AZPROV_FINDINGS = 2


def run(*argv: str | Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.call([str(a) for a in argv], cwd=ROOT, env=env)


def ensure_venv(path: Path, requirement: str, stamp_source: bytes) -> Path:
    """Create `path` and pip-install `requirement` unless the stamp says it is current."""
    bindir = path / ("Scripts" if os.name == "nt" else "bin")
    stamp = path / ".azprov-stamp"
    digest = hashlib.sha256(stamp_source + requirement.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return bindir
    print(f"Setting up {path} (once; later runs reuse it) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    pip = [str(bindir / "python"), "-m", "pip", "install", "--quiet"]
    if subprocess.call([*pip, "--upgrade", "pip"]) or subprocess.call([*pip, requirement]):
        sys.exit(f"tasks.py: installing {requirement} into {path} failed")
    stamp.write_text(digest)
    return bindir


def project_venv(extra: str) -> Path:
    return ensure_venv(VENV, f"-e{ROOT}[{extra}]", (ROOT / "pyproject.toml").read_bytes())


def ensure_chromium() -> bool:
    """Chromium on PATH, installing Debian's package if we may; False when it is absent."""
    if shutil.which("chromium"):
        return True
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        print("tasks.py: chromium not found and apt-get unavailable; its test will be skipped.")
        return False
    print("Installing Debian's chromium (once) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    installed = False
    # A fresh image may have no package lists yet: update once, then try again.
    for step in ([], ["apt-get", "update"]):
        if step:
            subprocess.call(step, stdout=subprocess.DEVNULL, env=env)
        if subprocess.call(install, stdout=subprocess.DEVNULL, env=env) == 0:
            installed = True
            break
    return installed and shutil.which("chromium") is not None


def demo() -> int:
    bindir = project_venv("dev")
    code = run(bindir / "azprov", *DEMO)
    if code == AZPROV_FINDINGS:
        print("\nazprov exited 2: findings, which is what the bundled example contains.")
        print("The pre-approval report for the example plan: .venv/bin/azprov audit " + AUDIT)
        return 0
    return code


def test() -> int:
    bindir = project_venv("dev")
    checkov = ensure_venv(CHECKOV_VENV, f"checkov=={CHECKOV_VERSION}", b"")
    env = dict(os.environ, AZPROV_CHECKOV=str(checkov / "checkov"), AZPROV_REQUIRE_TOOLS="1")
    if not ensure_chromium():
        env["AZPROV_OPTIONAL_TOOLS"] = "chromium"
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    steps: list[tuple[str | Path, ...]] = [
        (bindir / "ruff", "check", "."),
        (bindir / "ruff", "format", "--check", "."),
        (bindir / "mypy", "provisioner"),
    ]
    failed = [" ".join(map(str, step[:2])) for step in steps if run(*step, env=env)]
    code = run(bindir / "python", "-m", "pytest", *sys.argv[2:], env=env)
    if code == PYTEST_NO_TESTS:
        print("tasks.py: pytest collected no tests; that is a failure here.")
        failed.append("pytest (no tests)")
    elif code:
        failed.append("pytest")
    if failed:
        print("tasks.py: failed: " + ", ".join(failed))
        return 1
    return 0


def main() -> int:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
