"""Cost per event of a warm trial of each bundled drill ÷ bare simpy processing the same
number of events (issue 13 target: ≤ 3).

For each scenario: one trial first (it warms the topology's and the service rule's shared
caches, as the trials after the first of a Monte Carlo run find them), then rounds that
interleave a warm trial (same seed, so the same events) and bare simpy scheduling the same
number of timeouts in 10 processes, in this one process. Prints the event count used (simpy's
event ids), both times per event and the median ratio. The bundled drills are short (40 to
5,000 events), so a trial's fixed costs (start, results, metrics) weigh heavily per event and
the figures are noisy on a busy machine: raise --rounds there.

    python benchmarks/per_event.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # this checkout's drsim first

from single_run import bare_simpy  # noqa: E402  (the same yardstick as single_run.py)

from drsim.bundled import bundled_scenarios  # noqa: E402
from drsim.scenario import load_scenario  # noqa: E402
from drsim.sim.engine import Drill, cycles_collected_after  # noqa: E402
from drsim.topology import Topology  # noqa: E402


def warm_trial(scenario, topology: Topology) -> tuple[float, int]:
    """Seconds of one trial's run (start, events, results and metrics, and the collector's
    pass over the trial's garbage after it, as every Monte Carlo trial pays it; the drill is
    built before the clock starts, as benchmarks/single_run.py does) and the events it
    scheduled."""
    with cycles_collected_after(drill_garbage=True):
        drill = Drill(scenario, topology=topology)
        t0 = time.perf_counter()
        drill.run()
        events = next(drill.env._eid)
        del drill
    return time.perf_counter() - t0, events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"{'scenario':30} {'events':>8} {'drsim µs/ev':>12} {'simpy µs/ev':>12} "
          f"{'ratio':>6}  (target ≤ 3)")
    worst = 0.0
    for path in bundled_scenarios():
        sc = load_scenario(path)
        topology = Topology(sc)
        warm_trial(sc, topology)
        ratios, per_drsim, per_bare = [], [], []
        for _ in range(args.rounds):
            t_drsim, events = warm_trial(sc, topology)
            bare = (t_bare := bare_simpy(events)) / (max(1, events // 10) * 10)
            ratios.append((t_drsim / events) / bare)
            per_drsim.append(t_drsim / events)
            per_bare.append(t_bare / (max(1, events // 10) * 10))
        ratio = statistics.median(ratios)
        worst = max(worst, ratio)
        print(f"{path.stem:30} {events:8d} {statistics.median(per_drsim) * 1e6:12.1f} "
              f"{statistics.median(per_bare) * 1e6:12.2f} {ratio:6.1f}")
    print(f"worst ratio {worst:.1f} (median of {args.rounds} interleaved rounds each)")


if __name__ == "__main__":
    main()
