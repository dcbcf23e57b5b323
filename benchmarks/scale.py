"""How drsim scales with the estate (issue 13 targets): cost per event at 1,000 sites ÷ at 10
sites ≤ 2; elaboration (load + validate + build) of the 1,000-site scenario < 2 s; peak
memory per worker < 500 MB.

Scenarios are the synthetic ring/mesh estates of the shared gen_mesh.py (../shared/bench, or
--bench DIR): n sites, each with a component, two access links, ring links and chords, a
service with a hot standby and two customer groups; a year of random failures. Each size
runs in a fresh child process (spawned, so nothing is inherited), which reports its
elaboration time, the events and seconds of one trial, and its own peak RSS
(resource.getrusage), i.e. what one worker holds. Cost per event is compared as a ratio to
the smallest size; the children run one after another, interleaved over --rounds.

    python benchmarks/scale.py [--sizes 10 100 1000] [--rounds 1] [--days 365]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # this checkout's drsim first

from shared_bench import find_bench  # noqa: E402  (this folder's helper)


def one_size(path: str) -> dict[str, float]:
    """In the child: elaborate the scenario, run one trial, report times, events and RSS."""
    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    from drsim.scenario import load_scenario
    from drsim.sim.engine import Drill

    t1 = time.perf_counter()
    drill = Drill(load_scenario(path))
    t2 = time.perf_counter()
    drill.run()
    t3 = time.perf_counter()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    return {"import_s": t1 - t0, "elaborate_s": t2 - t1, "run_s": t3 - t2,
            "events": next(drill.env._eid), "rss_mb": rss_kb / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--days", type=float, default=365, help="simulated horizon in days")
    ap.add_argument("--bench", help="folder of gen_mesh.py")
    args = ap.parse_args()
    sys.path.insert(0, str(find_bench(args.bench)))
    import gen_mesh

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for n in args.sizes:
            doc = gen_mesh.synthetic(n)
            doc["simulation"]["horizon"] = f"{args.days:g}d"
            paths[n] = str(Path(tmp) / f"mesh-{n}.yaml")
            Path(paths[n]).write_text(yaml.safe_dump(doc, sort_keys=False, width=100))
        runs: dict[int, list[dict[str, float]]] = {n: [] for n in args.sizes}
        with ctx.Pool(1, maxtasksperchild=1) as pool:  # a fresh worker for every size
            for _ in range(args.rounds):
                for n in args.sizes:
                    runs[n].append(pool.apply(one_size, (paths[n],)))
    base = None
    print(f"{'sites':>6} {'events':>9} {'µs/event':>9} {'× 1st':>6} {'elaborate s':>12} "
          f"{'peak RSS MB':>12}")
    for n in args.sizes:
        per_event = statistics.median(r["run_s"] / r["events"] for r in runs[n])
        elaborate = statistics.median(r["elaborate_s"] for r in runs[n])
        base = base or per_event
        print(f"{n:>6} {int(runs[n][0]['events']):>9} {per_event * 1e6:>9.1f} "
              f"{per_event / base:>6.1f} {elaborate:>12.2f} "
              f"{max(r['rss_mb'] for r in runs[n]):>12.0f}")
    big = max(args.sizes)
    print(f"targets: cost per event at {big} ÷ at {min(args.sizes)} sites ≤ 2; elaboration of "
          f"{big} sites < 2 s; peak RSS per worker < 500 MB")


if __name__ == "__main__":
    main()
