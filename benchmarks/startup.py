"""Start-up time of the command line, beside the interpreter's own.

Each command runs in a fresh interpreter (`python -m drsim ...`, this checkout first on the
path), several times; the table shows the median wall time, the median CPU time (user +
system of the child: less disturbed by other work on a shared machine), and each time less
`python -c pass` (what drsim itself adds). Targets: `drsim --help` under 0.3 s and
`drsim validate` of the default drill under 0.6 s. `--importtime` also prints the slowest
imports of each command (python -X importtime).

    python benchmarks/startup.py [--repeat 7] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drsim.bundled import default_scenario  # noqa: E402  (after the path is set)

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def one(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `python argv...` (output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *argv], env=ENV, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_times(argv: list[str], repeat: int) -> tuple[float, float]:
    one(argv)  # warm the file cache and the bytecode
    runs = [one(argv) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def slowest_imports(argv: list[str], n: int = 8) -> list[tuple[int, str]]:
    """The `n` largest cumulative import times (µs) of top-level imports."""
    res = subprocess.run([sys.executable, "-X", "importtime", *argv], env=ENV, cwd=ROOT,
                         capture_output=True, text=True)
    rows = []
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line[12:].split("|")
            if cumulative.strip().isdigit() and not name[1:].startswith(" "):  # top level
                rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--importtime", action="store_true")
    args = ap.parse_args()
    drill = str(default_scenario())
    cases = [("python -c pass", ["-c", "pass"], None),
             ("drsim --help", ["-m", "drsim", "--help"], 0.3),
             ("drsim validate <default drill>", ["-m", "drsim", "validate", drill], 0.6)]
    print(f"median of {args.repeat} runs, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':<32}{'wall':>8}{'cpu':>8}{'wall - pass':>13}{'target':>8}")
    base = 0.0
    for label, argv, target in cases:
        wall, cpu = median_times(argv, args.repeat)
        base = base or wall
        extra = f"{wall - base:>12.3f}s" if target else f"{'':>13}"
        goal = f"{target:>7.1f}s" if target else ""
        print(f"{label:<32}{wall:>7.3f}s{cpu:>7.3f}s{extra}{goal}")
    if args.importtime:
        for label, argv, _ in cases[1:]:
            print(f"\nslowest imports of {label} (cumulative):")
            for us, name in slowest_imports(argv):
                print(f"  {us / 1000:>8.1f} ms  {name}")


if __name__ == "__main__":
    main()
