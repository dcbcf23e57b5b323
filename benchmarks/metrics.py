"""How metrics.compute grows with the number of incidents: the new (binary-search) code
against the frozen quadratic reference in tests/metrics_reference.py.

A synthetic log like a very long random-failures run: N incidents, each with a spell of
basic, full and per-service loss for every group of nyc-chicago-drill.yaml. Prints seconds
per compute() and the growth factor per ×10 incidents (10 = linear, 100 = quadratic).

    python benchmarks/metrics.py [--max 10000] [--old-max 1000]

Measured (2 busy cores): new 0.12 s at 1,000 incidents and 1.4 s at 10,000 (×11–12 per ×10);
old 1.8 s at 1,000 (×57–70 per ×10), so about 3 minutes at 10,000.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's drsim, not an installed one

import metrics_reference as old  # noqa: E402

from drsim.bundled import default_scenario  # noqa: E402
from drsim.metrics import IncidentRecord, compute  # noqa: E402
from drsim.recorder import Interval  # noqa: E402
from drsim.scenario import load_scenario  # noqa: E402


def log(sc, n: int) -> tuple[list[Interval], list[IncidentRecord], float]:
    """n incidents one day apart: each group down 1 h and away from home 5 h in each."""
    intervals, incidents = [], []
    for k in range(n):
        t = k * 86400.0 + 3600.0
        incidents.append(IncidentRecord(k + 1, t, t + 300, t + 600, t + 900, t + 6 * 3600, ()))
        for g, grp in sorted(sc.customers.items()):
            intervals += [Interval(g, s, t, t + 3600) for s in ("basic", *grp.services)]
            intervals.append(Interval(g, "full", t, t + 5 * 3600))
    return intervals, incidents, n * 86400.0 + 86400.0


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=10000)
    ap.add_argument("--old-max", type=int, default=1000, help="largest N for the old code")
    args = ap.parse_args()
    sc = load_scenario(default_scenario())
    print(f"{'incidents':>10} {'intervals':>10} {'new s':>9} {'×':>6} {'old s':>9} {'×':>6}")
    prev_new = prev_old = None
    n = 10
    while n <= args.max:
        intervals, incidents, horizon = log(sc, n)
        t_new = timed(compute, sc, intervals, incidents, [], horizon)
        ref_inc = [old.IncidentRecord(i.number, i.start_s, i.detected_s, i.acknowledged_s,
                                      i.declared_s, i.end_s, i.groups) for i in incidents]
        t_old = timed(old.compute, sc, intervals, ref_inc, [], horizon) \
            if n <= args.old_max else None
        grow_new = f"{t_new / prev_new:6.1f}" if prev_new else " " * 6
        grow_old = f"{t_old / prev_old:6.1f}" if prev_old and t_old else " " * 6
        old_s = f"{t_old:9.4f}" if t_old is not None else f"{'-':>9}"
        print(f"{n:>10} {len(intervals):>10} {t_new:9.4f} {grow_new} {old_s} {grow_old}")
        prev_new, prev_old = t_new, t_old
        n *= 10


if __name__ == "__main__":
    main()
