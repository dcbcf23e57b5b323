"""Events are recorded as tuples and made records only when read (issue 13): a Monte Carlo
row never reads them, so its trial builds none; whatever reads them gets the same records,
in order, as before."""

from __future__ import annotations

from datetime import datetime

from conftest import SCENARIOS

from drsim.recorder import Event, Recorder
from drsim.scenario import load_scenario
from drsim.sim.engine import Drill
from drsim.trial import metrics_row, run_trial


def test_events_read_as_records_in_order_and_kept_between_reads():
    rec = Recorder(datetime(2026, 1, 1))
    rec.event(1.0, "site_down", "a")
    rec.event(2.0, "site_up", "a", "back")
    first = rec.events
    assert first == [Event(1.0, "site_down", "a", ""), Event(2.0, "site_up", "a", "back")]
    rec.event(3.0, "incident_end", "incident 1", "all groups home")
    again = rec.events
    assert again[:2] == first[:2] and again[0] is first[0]  # not built twice
    assert again[2] == Event(3.0, "incident_end", "incident 1", "all groups home")
    assert len(rec.events) == 3


def test_a_run_without_timeline_has_the_same_numbers_and_no_events():
    sc = load_scenario(next(p for p in SCENARIOS if p.stem == "random-failures-year"))
    full = Drill(sc, 3, 1).run()
    drill = Drill(sc, 3, 1)
    drill.timeline = False
    bare = drill.run()
    assert len(full.timeline) > 50 and bare.timeline == ()
    assert (bare.metrics, bare.intervals, bare.whys, bare.incidents, bare.losses) == (
        full.metrics, full.intervals, full.whys, full.incidents, full.losses)
    assert run_trial(sc, 3, 1) == metrics_row(full, sc)
