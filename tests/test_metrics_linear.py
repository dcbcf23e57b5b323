"""The linear-time metrics give exactly the numbers of the quadratic code they replaced.

tests/metrics_reference.py is that code, frozen before the change. Both are run on the same
recorded intervals and incidents: every bundled scenario, a 30-year random-failures run (over
a hundred incidents) and synthetic logs with touching, open and instant-boundary spells.
"""

from __future__ import annotations

from dataclasses import asdict

import metrics_reference as old
import numpy as np
import pytest
from conftest import SCENARIOS

from drsim.metrics import IncidentRecord, compute
from drsim.recorder import Interval
from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

YEAR = 365 * 86400.0


def both(sc, r):
    new = compute(sc, list(r.intervals), list(r.incidents), list(r.losses), r.horizon_s)
    ref_incidents = [old.IncidentRecord(*astuple_incident(i)) for i in r.incidents]
    ref = old.compute(sc, list(r.intervals), ref_incidents, list(r.losses), r.horizon_s)
    return asdict(new), asdict(ref)


def astuple_incident(i: IncidentRecord) -> tuple:
    return (i.number, i.start_s, i.detected_s, i.acknowledged_s, i.declared_s, i.end_s, i.groups)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_same_metrics_as_before_on_every_bundled_scenario(path):
    sc = load_scenario(path)
    for seed in (None, 11):
        new, ref = both(sc, simulate(sc, seed))
        assert new == ref


def test_same_metrics_as_before_on_a_long_random_failures_run():
    sc = load_scenario(next(p for p in SCENARIOS if p.stem == "random-failures-year"))
    sc = sc.model_copy(update={"simulation": sc.simulation.model_copy(
        update={"horizon": 30 * YEAR})})
    r = simulate(sc)
    assert len(r.incidents) > 80  # a genuinely long log
    new, ref = both(sc, r)
    assert new == ref


def synthetic(sc, rng, n_incidents: int, horizon_s: float):
    """Incidents back to back with gaps; per group and what, disjoint spells some of which
    touch incident boundaries exactly, cross them, or stay open at the horizon."""
    bounds = np.sort(rng.choice(np.arange(1, int(horizon_s) // 60), 2 * n_incidents,
                                replace=False)).astype(float) * 60
    incidents = []
    for k in range(n_incidents):
        end = None if k == n_incidents - 1 and rng.random() < 0.5 else bounds[2 * k + 1]
        incidents.append(IncidentRecord(k + 1, bounds[2 * k], None, None, None, end, ()))
    marks = sorted(set(bounds.tolist()))
    intervals = []
    for g, grp in sorted(sc.customers.items()):
        for what in ["basic", "full", *grp.services]:
            t = 0.0
            while True:
                pick = rng.random()
                start = float(rng.choice(marks)) if pick < 0.3 else t + rng.integers(1, 5e4)
                start = max(start, t)
                length = float(rng.choice([60.0, 3600.0, 7200.0, rng.integers(1, 2e5)]))
                if start >= horizon_s:
                    break
                end = start + length
                if end >= horizon_s or rng.random() < 0.01:
                    intervals.append(Interval(g, what, start, None))
                    break
                intervals.append(Interval(g, what, start, end))
                t = end + (0.0 if rng.random() < 0.2 else float(rng.integers(1, 3e4)))
    intervals.sort(key=lambda i: (i.start_s, i.subject, i.what))
    return intervals, incidents


@pytest.mark.parametrize("seed", range(6))
def test_same_metrics_as_before_on_synthetic_logs(seed):
    sc = load_scenario(next(p for p in SCENARIOS if p.stem == "nyc-chicago-drill"))
    rng = np.random.default_rng(seed)
    horizon = 60 * 86400.0
    intervals, incidents = synthetic(sc, rng, 40, horizon)
    new = compute(sc, intervals, incidents, [], horizon)
    ref = old.compute(sc, intervals, [old.IncidentRecord(*astuple_incident(i))
                                      for i in incidents], [], horizon)
    assert asdict(new) == asdict(ref)


def test_same_metrics_as_before_on_overlapping_hand_made_spells():
    # not what the recorder writes (spells of one key never overlap), but compute() is a
    # public function: overlapping, unsorted spells fall back to the scan and agree too
    sc = load_scenario(next(p for p in SCENARIOS if p.stem == "nyc-chicago-drill"))
    g = sorted(sc.customers)[0]
    intervals = [Interval(g, "basic", 100.0, 500.0), Interval(g, "basic", 50.0, 900.0),
                 Interval(g, "basic", 300.0, None), Interval(g, "full", 0.0, 100.0)]
    incidents = [IncidentRecord(1, 100.0, None, None, None, 200.0, ()),
                 IncidentRecord(2, 950.0, None, None, None, None, ())]
    new = compute(sc, intervals, incidents, [], 2000.0)
    ref = old.compute(sc, intervals, [old.IncidentRecord(*astuple_incident(i))
                                      for i in incidents], [], 2000.0)
    assert asdict(new) == asdict(ref)
    assert new.groups[g].rto_basic_s is None and not new.groups[g].restored
