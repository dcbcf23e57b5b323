"""Drill figures zoom to the incident by default; `drsim plot --from/--to` change the span.

The scenario: one site, one box, down from 1h for exactly 3h57m (no runbook), horizon 2 days,
start 2026-03-10 09:00 UTC. The incident runs 3,600 s → 3,600 + 14,220 = 17,820 s; a little
either side is 4% of its 14,220 s (568.8 s), at least 600 s: shown 3,000 s → 18,420 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import matplotlib.dates as mdates
import pytest
from conftest import parse
from typer.testing import CliRunner

from drsim.cli import app
from drsim.cli.figures import drill_figure, figure_span
from drsim.report.plots import incident_span, plot_status, plot_timeline
from drsim.sim.engine import simulate

SCENARIO = """\
drsim: 1
name: zoom
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 2d, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 1h}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
disruptions:
  - {id: cut, at: 1h, targets: [{component: a.box}], duration: 3h57m}
"""
ORIGIN = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def num(seconds: float) -> float:
    return float(mdates.date2num(ORIGIN + timedelta(seconds=seconds)))


@pytest.fixture(scope="module")
def drill():
    sc = parse(SCENARIO)
    return sc, simulate(sc)


def test_the_default_span_is_the_incident_with_a_little_either_side(drill):
    sc, r = drill
    assert incident_span(r) == pytest.approx((3_000.0, 18_420.0))
    for fig in (plot_timeline(r, sc), plot_status(r, sc)):
        assert fig.axes[0].get_xlim() == pytest.approx((num(3_000), num(18_420)))


def test_no_incident_shows_the_whole_horizon(scenario_factory):
    r = simulate(scenario_factory())
    assert incident_span(r) == (0.0, 172_800.0 / 2)  # MINIMAL's horizon is 1 day


def test_an_explicit_span_is_drawn(drill):
    sc, r = drill
    fig = plot_status(r, sc, span=(0.0, 172_800.0))
    assert fig.axes[0].get_xlim() == pytest.approx((num(0), num(172_800)))


def test_from_and_to_accept_offsets_and_local_times(write_scenario):
    path = write_scenario(SCENARIO)
    # --from 2h → 7,200 s; --to 2026-03-10T20:00 local (UTC) → 11 h = 39,600 s
    fig = drill_figure(path, "timeline", None, None, False, ("2h", "2026-03-10T20:00"))
    assert fig.axes[0].get_xlim() == pytest.approx((num(7_200), num(39_600)))
    # only --to: from the default's start (3,000 s); only --from: to the default's end
    fig = drill_figure(path, "status", None, None, False, (None, "10h"))
    assert fig.axes[0].get_xlim() == pytest.approx((num(3_000), num(36_000)))
    fig = drill_figure(path, "status", None, None, False, ("2h", None))
    assert fig.axes[0].get_xlim() == pytest.approx((num(7_200), num(18_420)))


def test_a_bound_past_the_default_falls_back_to_the_drill_edges():
    # --from after the default's end: to the end of the drill; --to before its start: from 0
    assert figure_span((20_000.0, None), (3_000.0, 18_420.0), 172_800.0) == (20_000.0, 172_800.0)
    assert figure_span((None, 2_000.0), (3_000.0, 18_420.0), 172_800.0) == (0.0, 2_000.0)
    assert figure_span((None, None), (3_000.0, 18_420.0), 172_800.0) is None


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "3x"], "error: --from 3x: "),
    (["--to", "2026-03-10T25:00"], "error: --to 2026-03-10T25:00: not a date-time; write e.g. "
                                   "2026-03-10T14:00 or an offset like 5h"),
    (["--to", "3d"], "error: --to 3d: outside the drill (it runs from 2026-03-10T09:00 for "
                     "2d 00h 00m)"),
    (["--from", "10h", "--to", "5h"], "error: --from 10h --to 5h: --from must be before --to"),
    (["--from", "5h", "--to", "5h"], "error: --from 5h --to 5h: --from must be before --to"),
])
def test_bad_bounds_are_refused_in_one_line(write_scenario, tmp_path, args, message):
    path = write_scenario(SCENARIO)
    out = tmp_path / "f.png"
    res = CliRunner().invoke(app, ["plot", str(path), "--out", str(out), *args])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not out.exists()
