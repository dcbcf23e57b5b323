"""metrics.Reach lets group_metrics skip the incidents a group's spells do not come near
(issue 13: metrics were asked groups × incidents × services questions per trial). Skipping
must never change a number: checked against the frozen quadratic code on logs built to
defeat a loose test (incidents out of order and overlapping, spells touching incident
boundaries exactly, open spells) and by hand on the boundary cases."""

from __future__ import annotations

from dataclasses import asdict

import metrics_reference as old
import numpy as np
import pytest
from conftest import SCENARIOS
from test_metrics_linear import astuple_incident, synthetic

from drsim.metrics import IncidentRecord, Reach, compute, index_intervals
from drsim.recorder import Interval
from drsim.scenario import load_scenario


def inc(number: int, start: float, end: float | None) -> IncidentRecord:
    return IncidentRecord(number, start, None, None, None, end, ())


def test_near_passes_a_spell_that_overlaps_touches_or_is_still_open():
    spells = index_intervals([Interval("g", "basic", 100.0, 200.0),
                              Interval("g", "full", 500.0, None)])
    reach = Reach(spells, [("g", "basic"), ("g", "full")])
    assert reach.near(inc(1, 150.0, 160.0), 1000.0)  # inside the first spell
    assert reach.near(inc(1, 200.0, 300.0), 1000.0)  # starts as it ends: window decides
    assert reach.near(inc(1, 50.0, 100.0), 1000.0)  # ends as it starts
    assert not reach.near(inc(1, 201.0, 499.0), 1000.0)  # between the spells
    assert not reach.near(inc(1, 10.0, 99.0), 1000.0)  # before every spell
    assert reach.near(inc(1, 900.0, None), 1000.0)  # the open spell, to the horizon


def test_near_of_a_group_without_spells_passes_nothing():
    reach = Reach(index_intervals([Interval("other", "basic", 0.0, None)]), [("g", "basic")])
    assert not reach.near(inc(1, 0.0, None), 10.0)


def test_a_long_spell_before_short_ones_still_reaches_a_late_incident():
    # spells sorted by start: 0–1000 comes first but ends last; the running maximum of ends
    # keeps it in reach of an incident at 800 that the later short spells miss
    spells = index_intervals([Interval("g", "basic", 0.0, 1000.0),
                              Interval("g", "svc", 10.0, 20.0)])
    reach = Reach(spells, [("g", "basic"), ("g", "svc")])
    assert reach.near(inc(1, 800.0, 850.0), 2000.0)
    assert not reach.near(inc(1, 1001.0, 1100.0), 2000.0)


@pytest.mark.parametrize("seed", range(8))
def test_same_metrics_as_before_when_incidents_overlap_and_come_out_of_order(seed):
    sc = load_scenario(next(p for p in SCENARIOS if p.stem == "nyc-chicago-drill"))
    rng = np.random.default_rng(100 + seed)
    horizon = 30 * 86400.0
    intervals, incidents = synthetic(sc, rng, 25, horizon)
    # shuffle, and stretch some incidents over their neighbours
    incidents = [inc(i.number, i.start_s, None if i.end_s is None or rng.random() < 0.1
                     else i.end_s + float(rng.choice([0.0, 3600.0, 86400.0])))
                 for i in incidents]
    incidents = [incidents[k] for k in rng.permutation(len(incidents))]
    new = compute(sc, intervals, incidents, [], horizon)
    ref = old.compute(sc, intervals, [old.IncidentRecord(*astuple_incident(i))
                                      for i in incidents], [], horizon)
    assert asdict(new) == asdict(ref)
    assert any(g.rto_basic_s for g in new.groups.values())  # the log hits someone


def test_a_group_hit_in_only_the_second_incident_gets_its_rto_from_it():
    # by hand: incidents 0–1000 and 5000–9000; the group lost basic service 6000–6600 and
    # its one service 6000–6600, full 6000–7000: rto_basic 6600 − 5000 = 1600 s, rto_full
    # 7000 − 5000 = 2000 s; the first incident never touched it
    sc = load_scenario(next(p for p in SCENARIOS if p.stem == "nyc-chicago-drill"))
    g = sorted(sc.customers)[0]
    svc = sc.customers[g].services[0]
    intervals = [Interval(g, "basic", 6000.0, 6600.0), Interval(g, "full", 6000.0, 7000.0),
                 Interval(g, svc, 6000.0, 6600.0)]
    m = compute(sc, intervals, [inc(1, 0.0, 1000.0), inc(2, 5000.0, 9000.0)], [], 20000.0)
    assert m.groups[g].rto_basic_s == 1600.0
    assert m.groups[g].rto_full_s == 2000.0
    assert all(m.groups[h].rto_basic_s is None and m.groups[h].restored
               for h in sc.customers if h != g)
