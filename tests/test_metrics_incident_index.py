"""metrics.IncidentIndex: group_metrics asks a group's questions only of the incidents its
spells come near, found by binary search from the spells' side (issue 13: it was every
incident for every group). Missing one would lose a recovery time, so the index must pass
every incident Reach.near passes; checked by hand on the boundaries and against Reach on
random logs with incidents overlapping and out of order."""

from __future__ import annotations

import numpy as np
import pytest

from drsim.metrics import IncidentIndex, IncidentRecord, Reach, index_intervals
from drsim.recorder import Interval


def inc(number: int, start: float, end: float | None) -> IncidentRecord:
    return IncidentRecord(number, start, None, None, None, end, ())


def numbers(index: IncidentIndex, spells: list[Interval]) -> list[int]:
    return [i.number for i in index.near(spells)]


# incidents 0–1000, 5000–9000 and 9500 to the horizon (10,000)
LOG = [inc(1, 0.0, 1000.0), inc(2, 5000.0, 9000.0), inc(3, 9500.0, None)]


def test_a_spell_inside_one_incident_finds_that_one_only():
    assert numbers(IncidentIndex(LOG, 10_000.0), [Interval("g", "basic", 6000.0, 6600.0)]) == [2]


def test_spells_touching_an_incident_at_either_end_find_it():
    index = IncidentIndex(LOG, 10_000.0)
    assert numbers(index, [Interval("g", "basic", 1000.0, 2000.0)]) == [1]  # starts as 1 ends
    assert numbers(index, [Interval("g", "basic", 4000.0, 5000.0)]) == [2]  # ends as 2 starts
    assert numbers(index, [Interval("g", "basic", 9000.0, 9100.0)]) == [2]  # 3 starts at 9500


def test_an_open_spell_reaches_the_open_incident_and_a_gap_finds_none():
    index = IncidentIndex(LOG, 10_000.0)
    assert numbers(index, [Interval("g", "full", 9600.0, None)]) == [3]
    assert numbers(index, [Interval("g", "full", 2000.0, 4000.0)]) == []
    assert numbers(index, []) == []


def test_several_spells_give_each_incident_once_in_start_order():
    index = IncidentIndex([LOG[2], LOG[0], LOG[1]], 10_000.0)  # given out of order
    spells = [Interval("g", "svc", 9700.0, 9800.0), Interval("g", "basic", 500.0, 5500.0),
              Interval("g", "full", 600.0, 700.0)]
    assert numbers(index, spells) == [1, 2, 3]


def test_a_long_incident_ahead_of_short_ones_still_reaches_a_late_spell():
    # 0–10,000 starts first but ends last: the latest end so far keeps it in reach of a
    # spell at 8000 that the short incident 100–200 (and 300–400) never touches
    index = IncidentIndex([inc(1, 0.0, 10_000.0), inc(2, 100.0, 200.0), inc(3, 300.0, 400.0)],
                          20_000.0)
    assert 1 in numbers(index, [Interval("g", "basic", 8000.0, 8100.0)])


@pytest.mark.parametrize("seed", range(6))
def test_every_incident_reach_passes_is_found(seed):
    rng = np.random.default_rng(seed)
    horizon = 100_000.0
    incidents = []
    for n in range(30):
        start = float(rng.uniform(0, horizon))
        end = None if rng.random() < 0.1 else start + float(rng.choice([0.0, 50.0, 5000.0]))
        incidents.append(inc(n + 1, start, end))
    spells = []
    for _ in range(20):
        start = float(rng.choice([rng.uniform(0, horizon), incidents[0].start_s]))
        end = None if rng.random() < 0.1 else start + float(rng.uniform(0, 3000.0))
        spells.append(Interval("g", "basic", start, end))
    reach = Reach(index_intervals(spells), [("g", "basic")])
    found = numbers(IncidentIndex(incidents, horizon), spells)
    wanted = sorted(i.number for i in incidents if reach.near(i, horizon))
    assert wanted  # the log hits something
    assert set(wanted) <= set(found)
    assert len(found) == len(set(found))
