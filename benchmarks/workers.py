"""Monte Carlo scaling: seconds for N trials on 1 worker and on 2 (or --workers K), the measured
speed-up, and the speed-up the CPU figures allow on an idle machine (target: ≥ 1.85× with 2
workers on trials of ≥ 1 ms).

    python benchmarks/workers.py [--trials 1000] [--repeat 3] [--scenario FILE] [--workers 2]

Each repeat times the same trials on one worker (in this process) and on the pool; the pool is
started once (a command's WorkerPool) and warmed by a first run, as every run after the first
in a command finds it, and its start-up is reported apart.

On a shared machine the wall-clock ratio says more about the neighbours than about drsim, so
each pooled run is also measured in CPU seconds: the coordinator's (time.process_time of this
process, every thread) and each worker's (psutil). From them, the bound an idle machine with
--cores cores would reach: the serial run's CPU seconds ÷ the pooled run's wall on that machine,
which is at least the busiest worker's CPU seconds and at least all the CPU seconds (workers +
coordinator) shared over the cores. Under load a trial costs more CPU in a worker running
beside another than alone (shared caches), so a second bound takes the workers' own CPU
seconds as the serial run's ("same CPU per trial"): it isolates what the pool itself costs.
"coord. µs/trial" is what the coordinator takes per trial from the cores the workers need.
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


def worker_cpu() -> dict[int, float]:
    """CPU seconds used so far by each of the pool's worker processes (children of the
    forkserver), by pid."""
    import psutil

    out: dict[int, float] = {}
    for server in psutil.Process().children():
        if "forkserver" in " ".join(server.cmdline()):
            for w in server.children():
                t = w.cpu_times()
                out[w.pid] = t.user + t.system
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "active-active.yaml")
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cores", type=int, default=2, help="cores of the idle machine the "
                                                         "CPU-derived bound is for")
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    n, k = args.trials, args.workers
    run_trials(sc, 10, seed=1, workers=1)  # warm this process (imports, caches)
    with WorkerPool(k) as pool:
        start, _ = timed(lambda: run_trials(sc, 4 * k, seed=1, workers=k))
        print(f"{args.scenario.name}, {n} trials a run; pool of {k} started and warmed in "
              f"{start:.2f} s; {os.cpu_count()} cores here, bound computed for {args.cores}")
        print(f"{'run':>4} {'1 worker s':>11} {'CPU ms/trial':>13} {f'{k} workers s':>12} "
              f"{'measured wall ratio':>20} {'coord. µs/trial':>16} {'workers CPU ms/trial':>21} "
              f"{'CPU-derived bound':>18} {'same CPU/trial':>15} {'load avg':>9}")
        walls, bounds, sames, coords = [], [], [], []
        for r in range(1, args.repeat + 1):
            one, one_cpu = timed(lambda r=r: run_trials(sc, n, seed=r, workers=1))
            before = worker_cpu()
            many, cpu = timed(lambda r=r: run_trials(sc, n, seed=r, workers=k))
            after = worker_cpu()
            used = [after[p] - before.get(p, 0.0) for p in after]
            # an idle machine runs the pooled run in at least the busiest worker's CPU time
            # and at least the whole CPU time spread over its cores
            idle_wall = max(max(used), (sum(used) + cpu) / args.cores)
            bound = one_cpu / idle_wall
            same = sum(used) / idle_wall  # the serial run at the workers' CPU per trial
            walls.append(one / many)
            bounds.append(bound)
            sames.append(same)
            coords.append(1e6 * cpu / n)
            print(f"{r:>4} {one:11.2f} {1e3 * one_cpu / n:13.3f} {many:12.2f} "
                  f"{one / many:20.2f} {1e6 * cpu / n:16.1f} {1e3 * sum(used) / n:21.3f} "
                  f"{bound:18.2f} {same:15.2f} {os.getloadavg()[0]:9.1f}")
        assert pool.starts == 1
    print(f"measured wall ratio, {k} workers ÷ 1 (this machine, load as shown): median "
          f"{statistics.median(walls):.2f}×, best {max(walls):.2f}×, worst {min(walls):.2f}×")
    print(f"CPU-derived bound on an idle {args.cores}-core machine: median "
          f"{statistics.median(bounds):.2f}× from the serial run's CPU, "
          f"{statistics.median(sames):.2f}× at the workers' CPU per trial (target ≥ 1.85× "
          f"for 2 workers); coordinator {statistics.median(coords):.1f} µs CPU per trial")


if __name__ == "__main__":
    main()
