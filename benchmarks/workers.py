"""Monte Carlo scaling: seconds for N trials on 1 worker and on 2 (or --workers K), and the
speed-up, run after run (target: ≥ 1.85× with 2 workers on trials of ≥ 1 ms).

    python benchmarks/workers.py [--trials 400] [--repeat 3] [--scenario FILE] [--workers 2]

Each repeat times the same trials on one worker (in this process) and on the pool; the pool is
started once (a command's WorkerPool) and warmed by a first run, as every run after the first
in a command finds it, and its start-up is reported apart. Also printed: the coordinator's CPU
seconds per trial (what it takes from the cores the workers need) and the load average, since
the figures mean little on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from drsim.montecarlo import WorkerPool, run_trials
from drsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def worker_cpu() -> float:
    """CPU seconds used so far by the pool's worker processes (children of the forkserver)."""
    import psutil

    total = 0.0
    for server in psutil.Process().children():
        if "forkserver" in " ".join(server.cmdline()):
            for w in server.children():
                t = w.cpu_times()
                total += t.user + t.system
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path,
                    default=ROOT / "scenarios" / "random-failures-year.yaml")
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    n, k = args.trials, args.workers
    run_trials(sc, 10, seed=1, workers=1)  # warm this process (imports, caches)
    with WorkerPool(k) as pool:
        start, _ = timed(lambda: run_trials(sc, 2 * k, seed=1, workers=k))
        print(f"{args.scenario.name}, {n} trials a run; pool of {k} started and warmed in "
              f"{start:.2f} s")
        print(f"{'run':>4} {'1 worker s':>11} {'CPU ms/trial':>13} {f'{k} workers s':>12} "
              f"{'speed-up':>9} {'coord. CPU µs/trial':>20} {'CPU ratio':>10} "
              f"{'load avg':>9}")
        ups = []
        for r in range(1, args.repeat + 1):
            one, one_cpu = timed(lambda r=r: run_trials(sc, n, seed=r, workers=1))
            before = worker_cpu()
            many, cpu = timed(lambda r=r: run_trials(sc, n, seed=r, workers=k))
            # CPU of the pooled run (workers + coordinator) ÷ CPU of the serial run: the
            # overhead of the pool whatever else the machine runs (1.0: none)
            ratio = (worker_cpu() - before + cpu) / one_cpu
            ups.append(one / many)
            print(f"{r:>4} {one:11.2f} {1e3 * one_cpu / n:13.2f} {many:12.2f} "
                  f"{one / many:9.2f} {1e6 * cpu / n:20.0f} {ratio:10.3f} "
                  f"{os.getloadavg()[0]:9.1f}")
        assert pool.starts == 1
    print(f"speed-up with {k} workers: median {statistics.median(ups):.2f}×, best "
          f"{max(ups):.2f}×, worst {min(ups):.2f}× over {len(ups)} runs (target ≥ 1.85× "
          f"for 2 workers); {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
