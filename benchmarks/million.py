"""A million trials in flat memory: peak RSS of the coordinator and trials/s for runs of
10⁴, 10⁵ and 10⁶ trials of a 2-site drill, rows streamed to Parquet row groups.

    python benchmarks/million.py [--trials 10000 100000 1000000] [--workers 2]
                                 [--scenario FILE] [--coordinator-only]

Each size runs in a fresh process (so its peak RSS is its own): run_trials(..., rows_to=
FILE.parquet) on a pool of --workers (peak RSS after it: "run peak"), then the summary read
back a column at a time (peak RSS after that: a column of 10⁶ floats and its sorted copies
are tens of MB, the price of exact quantiles). Peak RSS is the coordinator's (ru_maxrss of
that process); "worker MB" is the largest RSS of a pool worker, sampled every 0.5 s of the run
(the workers are the forkserver's children, not this process's).
--coordinator-only replaces the simulation by a copy of
trial 0's row (trial number changed, downtime varied), to measure the coordinator's memory
and per-row cost at sizes the shared machine cannot simulate in the time at hand.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(trials: int, scenario: Path, workers: int, fake: bool) -> None:
    from drsim import montecarlo
    from drsim.montecarlo import run_trials
    from drsim.scenario import load_scenario
    from drsim.trial import run_trial

    sc = load_scenario(scenario)
    if fake:
        row0 = run_trial(sc, 1, 0)

        def run_batch(s, seed, batch, topology=None):  # type: ignore[no-untyped-def]
            return [{**row0, "trial": i, "downtime_s": float(i % 97)} for i in batch]

        montecarlo.run_batch = run_batch  # type: ignore[assignment]
        workers = 1  # in this process: only the coordinator's work
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trials.parquet"
        started = time.perf_counter()
        seen = [0.0, 0.0]  # last sample time, largest worker RSS (MB)

        def sample(done: int, total: int, rows: object) -> None:
            now = time.perf_counter()
            if now - seen[0] >= 0.5 or done == total:
                seen[0] = now
                seen[1] = max(seen[1], worker_rss_mb())

        result = run_trials(sc, trials, seed=1, workers=workers, rows_to=path,
                            progress=sample)
        ran = time.perf_counter() - started
        run_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary = result.summary()
        total = time.perf_counter() - started
        size = path.stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    down = summary.metric("downtime_s").mean.value
    print(f"{trials:>9,} {run_peak_mb:12.1f} {peak_mb:14.1f} {seen[1]:10.1f} "
          f"{trials / ran:10,.0f} "
          f"{total - ran:10.2f} "
          f"{size / 2**20:11.1f} {down:14.2f}", flush=True)


def worker_rss_mb() -> float:
    """The largest RSS of this process's pool workers (children of its forkserver), MB."""
    import psutil

    rss = [0]
    for server in psutil.Process().children():
        if "forkserver" in " ".join(server.cmdline()):
            rss += [w.memory_info().rss for w in server.children()]
    return max(rss) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "warm-standby.yaml")
    ap.add_argument("--coordinator-only", action="store_true")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.scenario, args.workers, args.coordinator_only)
        return
    what = "coordinator only (rows copied, no simulation)" if args.coordinator_only \
        else f"{args.workers} workers"
    print(f"{args.scenario.name}, {what}; rows streamed to Parquet")
    print(f"{'trials':>9} {'run peak MB':>12} {'+summary MB':>14} {'worker MB':>10} "
          f"{'trials/s':>10} "
          f"{'summary s':>10} "
          f"{'parquet MB':>11} {'mean downtime':>14}")
    for n in args.trials:
        cmd = [sys.executable, __file__, "--one", str(n), "--workers", str(args.workers),
               "--scenario", str(args.scenario)]
        subprocess.run(cmd + (["--coordinator-only"] if args.coordinator_only else []),
                       check=True)


if __name__ == "__main__":
    main()
