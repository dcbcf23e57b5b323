"""Monte Carlo speed: trials per second (1 worker and all cores), per-trial dispatch overhead
of the local pool and of Dask, and how the cost per event grows with scenario size.

    python benchmarks/trials.py [--trials 400] [--no-dask]

Pool and Dask figures are for a warm pool (start-up reported separately): what a long run sees.
"""

from __future__ import annotations

import argparse
import os
import time

import yaml

from drsim.bundled import bundled_scenarios
from drsim.montecarlo import Job, PoolBackend, SerialBackend, batches_of, default_batch_size
from drsim.scenario import load_scenario, parse_scenario
from drsim.sim.engine import Drill

CORES = os.cpu_count() or 1


def rate(backend, job: Job, trials: int, batch: int) -> float:
    list(backend.run(job, batches_of(list(range(CORES * 2)), 1)))  # warm up every worker
    t0 = time.perf_counter()
    n = sum(len(rows) for rows in backend.run(job, batches_of(list(range(trials)), batch)))
    return n / (time.perf_counter() - t0)


def trials_per_second(trials: int) -> None:
    print(f"{'scenario':28} {'ms/trial':>9} {'1 worker/s':>11} {f'{CORES} workers/s':>12} "
          f"{'speed-up':>9}")
    for path in bundled_scenarios():
        sc = load_scenario(path)
        batch = default_batch_size(trials, CORES)
        job = Job(sc, 1)
        serial = rate(SerialBackend(), job, trials, batch)
        pool = PoolBackend(CORES)
        parallel = rate(pool, job, trials, batch)
        pool.close()
        print(f"{path.stem:28} {1e3 / serial:9.2f} {serial:11.0f} {parallel:12.0f} "
              f"{parallel / serial:9.2f}")


TINY = """
drsim: 1
name: nothing happens
simulation: {start: "2026-01-01T00:00", horizon: 1h}
sites: {a: {}}
services: {svc: {active: [a]}}
customers: {g: {count: 1, access: a, home: a, services: [svc]}}
"""


def dispatch_overhead(trials: int, dask: bool) -> None:
    """µs per trial a backend adds on top of running the trial (1 worker each), measured on a
    trial that does almost nothing, so the difference is mostly dispatch."""
    from drsim.montecarlo import DaskBackend

    sc = parse_scenario(TINY)
    batch = default_batch_size(trials, CORES)
    job = Job(sc, 1)
    serial = rate(SerialBackend(), job, trials * 10, batch)
    backends = [("local pool", lambda: PoolBackend(1))]
    if dask:
        backends.append(("dask (LocalCluster)", lambda: DaskBackend(None, 1)))
    for label, make in backends:
        backend = make()
        t0 = time.perf_counter()
        list(backend.run(job, [[0]]))
        startup = time.perf_counter() - t0
        one = rate(backend, job, trials * 10, batch)
        backend.close()
        print(f"{label}: start-up {startup:.2f} s, dispatch overhead "
              f"{(1 / one - 1 / serial) * 1e6:.0f} µs/trial at batch size {batch} "
              f"(the trial itself: {1e6 / serial:.0f} µs)")


def synthetic(n_sites: int) -> str:
    """A ring of n sites, each with its access point, a k-of-n component, and a service with a
    hot standby on the next site: random failures over a year."""
    sites, aps, links, services, customers = {}, {}, {}, {}, {}
    for i in range(n_sites):
        nxt = (i + 1) % n_sites
        sites[f"s{i}"] = {"capacity": 2000, "components": {"box": {
            "count": 2, "needed": 1, "ttf": {"exponential": {"mean": "2000h"}},
            "ttr": {"lognormal": {"median": "4h", "p90": "12h"}}}}}
        aps[f"p{i}"] = {}
        links[f"p{i}-s{i}"] = {"a": f"p{i}", "b": f"s{i}", "latency": "2ms",
                               "ttf": {"exponential": {"mean": "4000h"}}, "ttr": "3h"}
        links[f"s{i}-s{nxt}"] = {"a": f"s{i}", "b": f"s{nxt}", "latency": "10ms"}
        services[f"v{i}"] = {"requires": ["box"], "active": [f"s{i}"],
                             "standby": {"sites": [f"s{nxt}"], "mode": "hot"}}
        customers[f"g{i}"] = {"count": 1000, "access": f"p{i}", "home": f"s{i}",
                              "services": [f"v{i}"]}
    doc = {"drsim": 1, "name": f"ring of {n_sites}",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "1y", "seed": 1,
                          "random_failures": True},
           "sites": sites, "access_points": aps, "links": links, "services": services,
           "customers": customers}
    return yaml.safe_dump(doc)


def scaling() -> None:
    print(f"{'scenario':18} {'years/CPU-s':>12} {'events/trial':>13} {'µs/event':>9}")
    base = None
    for n in (2, 20, 200):
        sc = parse_scenario(synthetic(n))
        runs = max(1, 40 // n)
        t0, events = time.process_time(), 0
        for i in range(runs):
            d = Drill(sc, trial=i)
            d.run()
            events += next(d.env._eid)
        cpu = time.process_time() - t0
        per_event = cpu / events * 1e6
        base = base or per_event
        print(f"{'ring of ' + str(n) + ' sites':18} {runs / cpu:12.2f} {events // runs:13d} "
              f"{per_event:9.1f}  (×{per_event / base:.2f} of the 2-site cost per event)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    trials_per_second(args.trials)
    print()
    dispatch_overhead(args.trials, not args.no_dask)
    print()
    scaling()


if __name__ == "__main__":
    main()
