"""Run one command and record its wall time, CPU and peak RSS, measured from a small parent.

    python -m bench.launch RESULT.json TIMEOUT_S -- COMMAND ...

Why a launcher: Linux charges a child's peak RSS (`ru_maxrss`) with the memory of the
process it was forked from, up to its `exec`. The benchmark's own process holds the
generated world (hundreds of MB at N = 10,000), so a runner started from it directly
would report the benchmark's size, not its own. Started from this small process, a
runner's peak is its own. The command inherits stdin, stdout and stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

KIB = 1024
MB = 1024 * 1024


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    result, timeout_s, command = Path(argv[0]), float(argv[1]), argv[3:]
    start = time.perf_counter()
    proc = subprocess.Popen(command)
    killer = threading.Timer(timeout_s, proc.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
    finally:
        killer.cancel()
    wall = time.perf_counter() - start
    scale = 1 if sys.platform == "darwin" else KIB  # ru_maxrss: bytes on macOS, else KiB
    result.write_text(
        json.dumps(
            {
                "code": os.waitstatus_to_exitcode(status),
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_mb": usage.ru_maxrss * scale / MB,
            }
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
