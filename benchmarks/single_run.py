"""Speed of one drill per bundled scenario, against bare simpy doing the same event count.

For each scenario: the median wall time of one run (parse excluded), the number of simpy
events it scheduled, drsim's events per second, bare simpy's events per second for the same
number of timeouts in this same process, and the ratio (drsim time per event ÷ bare time
per event; 1.0 would mean drsim adds nothing on top of simpy's own event loop).

    python benchmarks/single_run.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import simpy

from drsim.bundled import bundled_scenarios
from drsim.scenario import load_scenario
from drsim.sim.engine import Drill


def bare_simpy(events: int) -> float:
    """Seconds for simpy to schedule and process `events` timeouts in 10 processes."""
    env = simpy.Environment()
    per = max(1, events // 10)

    def ticker(n: int):
        for _ in range(n):
            yield env.timeout(1)

    for _ in range(10):
        env.process(ticker(per))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def one_run(scenario) -> tuple[float, int]:
    drill = Drill(scenario)
    t0 = time.perf_counter()
    drill.run()
    elapsed = time.perf_counter() - t0
    return elapsed, next(drill.env._eid)  # simpy's event-id counter: events scheduled


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'scenario':34} {'run ms':>9} {'events':>8} {'drsim ev/s':>11} "
          f"{'simpy ev/s':>11} {'ratio':>6}")
    for path in bundled_scenarios():
        sc = load_scenario(path)
        runs = [one_run(sc) for _ in range(args.repeat)]
        elapsed = statistics.median(r[0] for r in runs)
        events = runs[0][1]
        bare = statistics.median(bare_simpy(events) for _ in range(args.repeat))
        bare_events = max(1, events // 10) * 10
        drsim_rate, bare_rate = events / elapsed, bare_events / bare
        print(f"{path.stem:34} {elapsed * 1e3:9.2f} {events:8d} {drsim_rate:11.0f} "
              f"{bare_rate:11.0f} {bare_rate / drsim_rate:6.1f}")


if __name__ == "__main__":
    main()
