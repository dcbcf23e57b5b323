"""Figures on the Agg backend: each one's content checked against the drill it shows."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, parse
from matplotlib.figure import Figure
from typer.testing import CliRunner

from drsim.cli import figures
from drsim.report import plots
from drsim.report.plots import decisions
from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

DRILL = ROOT / "scenarios" / "nyc-chicago-capacity-short.yaml"  # deterministic
TZ = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def drill():
    sc = load_scenario(DRILL)
    return sc, simulate(sc)


def gids(ax, prefix: str, artists=None) -> list:
    items = artists if artists is not None else [*ax.patches, *ax.lines, *ax.texts]
    return [a for a in items if (a.get_gid() or "").startswith(prefix)]


def state(bar) -> str:
    return bar.get_gid().rsplit(":", 1)[1].split("#")[0]


def at(y, mo, d, h, mi=0) -> float:
    return float(mdates.date2num(datetime(y, mo, d, h, mi, tzinfo=TZ)))


# ---- timeline -------------------------------------------------------------------------------


def test_timeline_has_one_bar_per_step_in_role_lanes(drill):
    sc, result = drill
    fig = plots.plot_timeline(result, sc)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lanes = [t.get_text() for t in ax.get_yticklabels()]
    assert lanes == ["incident_commander", "network_engineer", "dba", "night_crew"]
    bars = gids(ax, "step:", ax.patches)
    assert len(bars) == 10 == len(result.steps)
    # each bar sits in its role's lane, from its start to its end in wall-clock time
    bar = next(b for b in bars if b.get_gid() == "step:failover.load-subscriber-data")
    assert bar.get_y() + bar.get_height() / 2 == pytest.approx(lanes.index("dba"))
    assert bar.get_x() == pytest.approx(at(2026, 3, 10, 11, 39))  # 9540 s after 09:00
    assert bar.get_x() + bar.get_width() == pytest.approx(at(2026, 3, 10, 12, 19))
    night = [b for b in bars if b.get_gid().startswith("step:failback.")]
    assert len(night) == 4
    assert all(b.get_y() + b.get_height() / 2 == pytest.approx(3) for b in night)
    assert ax.get_xlabel() == "Wall-clock time (America/New_York)"
    assert ax.get_ylabel() == "Staff role"


def test_timeline_markers_and_maintenance_windows(drill):
    sc, result = drill
    ax = plots.plot_timeline(result, sc).axes[0]
    marks = {m.get_gid(): m.get_xdata()[0] for m in gids(ax, "marker:", ax.lines)}
    assert marks == {
        "marker:incident start": pytest.approx(at(2026, 3, 10, 10, 42)),
        "marker:detected": pytest.approx(at(2026, 3, 10, 10, 44)),
        "marker:declared": pytest.approx(at(2026, 3, 10, 11, 9)),
        "marker:failover done": pytest.approx(at(2026, 3, 10, 13, 39)),
        "marker:failback done": pytest.approx(at(2026, 3, 11, 2, 21, )),
    }
    windows = gids(ax, "window:overnight", ax.patches)
    assert len(windows) == 1  # the 00:00-05:00 window inside the span shown
    x0, x1 = windows[0].get_path().get_extents(windows[0].get_patch_transform()).intervalx
    assert x0 == pytest.approx(at(2026, 3, 11, 0))
    # the span shown ends shortly after the failback, before the window closes at 05:00
    assert x1 == pytest.approx(ax.get_xlim()[1])
    assert ax.get_xlim()[1] < at(2026, 3, 11, 5)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "failback done" in legend and "maintenance window 'overnight'" in legend


def test_window_spans_follow_the_calendar(drill):
    sc, result = drill
    spans = list(plots.window_spans(sc, result.origin, 0.0, result.horizon_s))
    # 2 days from Tue 09:00: windows Wed 00-05 and Thu 00-05 (cut at the horizon, Thu 09:00)
    assert [(w, a / 3600, b / 3600) for w, a, b in spans] == [
        ("overnight", 15.0, 20.0), ("overnight", 39.0, 44.0)]


def test_timeline_steps_without_roles_get_their_own_lane(scenario_factory):
    sc = scenario_factory(
        staff={"ops": {"count": 1}},
        disruptions=[{"id": "d", "at": "1h", "targets": [{"site": "a"}], "duration": "3h"}],
        runbooks={"rb": {"trigger": "detected", "steps": [
            {"id": "look", "duration": "10m", "roles": ["ops"]},
            {"id": "wait", "after": ["look"], "duration": "5m"}]}})
    result = simulate(sc)
    ax = plots.plot_timeline(result, sc).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ops", plots.NO_ROLE]
    assert len(gids(ax, "step:", ax.patches)) == 2


def test_timeline_draws_on_a_given_axes(drill):
    sc, result = drill
    fig = Figure()
    ax = fig.add_subplot(2, 1, 2)
    assert plots.plot_timeline(result, sc, ax=ax) is fig
    assert len(gids(ax, "step:", ax.patches)) == 10


# ---- status strips --------------------------------------------------------------------------


def test_status_has_one_strip_per_group_with_the_right_states(drill):
    sc, result = drill
    ax = plots.plot_status(result, sc).axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["consumer", "enterprise", "fax-legacy", "smb-central", "smb-east"]
    assert ax.get_xlabel() == "Wall-clock time (America/New_York)"
    assert ax.get_ylabel() == "Customer group"
    ent = sorted(gids(ax, "status:enterprise:", ax.patches), key=lambda b: b.get_x())
    assert [state(b) for b in ent] == ["up", "down", "degraded", "up"]
    assert ent[1].get_x() == pytest.approx(at(2026, 3, 10, 10, 42))
    assert ent[2].get_x() == pytest.approx(at(2026, 3, 10, 13, 39))  # voice back in Chicago
    assert ent[3].get_x() == pytest.approx(at(2026, 3, 11, 2, 11, ) + 40 / 86400)  # home
    consumer = [state(b) for b in gids(ax, "status:consumer:", ax.patches)]
    assert "degraded" not in consumer  # no room in Chicago: down till home
    every = [a.get_gid() for a in ax.get_children() if a.get_gid()]
    assert len(every) == len(set(every))  # unique element ids in SVG output


def test_group_states_cover_the_horizon(drill):
    sc, result = drill
    for g in sc.customers:
        spans = plots.group_states(result, g)
        assert spans[0][0] == 0.0 and spans[-1][1] == result.horizon_s
        assert all(a[1] == b[0] and a[2] != b[2] for a, b in zip(spans, spans[1:], strict=False))


def test_status_by_site_adds_service_site_strips(drill):
    sc, result = drill
    ax = plots.plot_status(result, sc, by_site=True).axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == 5 + 6  # voice and portal at nyc and chi; voicemail and fax at nyc
    assert "voice @ chi" in rows
    chi = sorted(gids(ax, "service:voice@chi:", ax.patches), key=lambda b: b.get_x())
    assert [state(b) for b in chi] == ["standby", "up", "standby"]
    assert chi[1].get_x() == pytest.approx(at(2026, 3, 10, 13, 9))  # started at 13:09


# ---- topology -------------------------------------------------------------------------------


def test_topology_markers_links_and_failover_path(drill):
    sc, result = drill
    ax = plots.plot_topology(sc, result).axes[0]
    sites = gids(ax, "site:", ax.lines)
    aps = gids(ax, "access_point:", ax.lines)
    assert sorted(m.get_gid() for m in sites) == ["site:chi", "site:nyc"]
    assert len(aps) == 2
    assert len(gids(ax, "link:", ax.lines)) == len(sc.links) == 4
    assert ax.get_xlabel() == "Longitude (°)" and ax.get_ylabel() == "Latitude (°)"
    # by default: just after the failover, nyc's core switches are still down
    nyc = next(m for m in sites if m.get_gid() == "site:nyc")
    assert nyc.get_label() == "site impaired"
    paths = {p.get_gid(): p for p in gids(ax, "path:", ax.lines)}
    assert set(paths) == {"path:east-pop->chi", "path:central-pop->chi"}
    assert paths["path:east-pop->chi"].get_label() == "failover path"
    assert len(paths["path:east-pop->chi"].get_xdata()) == 3  # east-pop → nyc → chi (19 ms)
    # placed by lat/lon: Chicago west of New York
    chi = next(m for m in sites if m.get_gid() == "site:chi")
    assert chi.get_xdata()[0] == pytest.approx(-87.63, abs=1.0)
    assert nyc.get_xdata()[0] == pytest.approx(-74.01, abs=1.0)


def test_topology_before_and_after_the_incident(drill):
    sc, result = drill
    ax = plots.plot_topology(sc, result, at_s=3600.0).axes[0]
    assert all(m.get_label() in ("site", "access point")
               for m in gids(ax, "site:", ax.lines) + gids(ax, "access_point:", ax.lines))
    paths = gids(ax, "path:", ax.lines)
    assert {p.get_gid() for p in paths} == {"path:east-pop->nyc", "path:central-pop->nyc"}
    assert all(p.get_label() == "serving path" for p in paths)
    bare = plots.plot_topology(sc).axes[0]
    assert not gids(bare, "path:", bare.lines)
    assert len(gids(bare, "link:", bare.lines)) == 4


def test_topology_without_locations_marks_a_down_link(scenario_factory):
    sc = scenario_factory(
        sites={"b": {"components": {"box": {"count": 1, "ttr": "1h"}}}},
        access_points={"pop": {}},
        links={"l1": {"a": "pop", "b": "a"}, "l2": {"a": "pop", "b": "a"},
               "l3": {"a": "a", "b": "b"}},
        customers={"users": {"access": "pop"}},
        disruptions=[{"id": "cut", "at": "1h", "targets": [{"link": "l3"}], "duration": "1h"}])
    result = simulate(sc)
    ax = plots.plot_topology(sc, result, at_s=5400.0).axes[0]
    links = {m.get_gid(): m for m in gids(ax, "link:", ax.lines)}
    assert len(links) == 3
    assert links["link:l3"].get_label() == "link down"
    assert links["link:l1"].get_xydata().tolist() != links["link:l2"].get_xydata().tolist()
    assert len(gids(ax, "site:", ax.lines)) == 2 and len(gids(ax, "access_point:", ax.lines)) == 1
    assert "no locations" in ax.get_xlabel()


# ---- distributions --------------------------------------------------------------------------


@pytest.fixture
def frame() -> pd.DataFrame:
    """10 trials: rto_basic 1h..9h, one never reached, one failed trial, one not applicable."""
    rto = [3600.0 * h for h in range(1, 10)] + [math.inf, math.nan, math.nan]
    return pd.DataFrame({"trial": range(12),
                         "error": [None] * 10 + [None, "ValueError: boom"],
                         "rto_basic_s": rto,
                         "customer_minutes_lost": np.arange(12.0)})


def test_cdf_objective_line_and_p_met(frame):
    ax = plots.plot_distribution(frame, "rto_basic", "cdf", objective=4 * 3600).axes[0]
    assert ax.get_xlabel() == "Time to basic service (RTO basic, worst group) (hours)"
    assert ax.get_ylabel() == "Fraction of trials at or below"
    line = gids(ax, "objective", ax.lines)[0]
    assert line.get_xdata()[0] == pytest.approx(4.0)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("P(met) = 40.0% (4 of 10 trials)" in t for t in texts)
    cdf = gids(ax, "cdf", ax.lines)[0]
    assert cdf.get_ydata()[-1] == pytest.approx(0.9)  # the censored trial keeps it below 1
    assert "1 (10.0%) never reached within the horizon" in ax.get_title()
    assert "not applicable in 1" in ax.get_title()  # the failed trial is left out entirely


def test_histogram_bars_and_minutes(frame):
    small = frame.assign(rto_basic_s=frame["rto_basic_s"] / 60)  # 1 min .. 9 min
    ax = plots.plot_distribution(small, "rto_basic_s", "hist", bins=9,
                                 objective=300.0).axes[0]
    assert len(ax.patches) == 9
    assert len({p.get_gid() for p in ax.patches}) == 9  # unique ids: bars, bars#2...
    assert sum(p.get_height() for p in ax.patches) == 9  # finite values only
    assert ax.get_xlabel().endswith("(minutes)") and ax.get_ylabel() == "Trials"
    assert gids(ax, "objective", ax.lines)[0].get_xdata()[0] == pytest.approx(5.0)
    assert "not shown" in ax.get_title()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("P(met) = 50.0% (5 of 10 trials)" in t for t in texts)


def test_distribution_of_a_plain_number_and_bad_input(frame):
    ax = plots.plot_distribution(frame, "customer_minutes_lost", label="lost").axes[0]
    assert ax.get_xlabel() == "lost"
    with pytest.raises(ValueError, match="unknown metric"):
        plots.plot_distribution(frame, "nope")
    with pytest.raises(ValueError, match="hist"):
        plots.plot_distribution(frame, "rto_basic_s", kind="pie")
    empty = frame.assign(rto_basic_s=math.inf)
    ax = plots.plot_distribution(empty, "rto_basic_s", objective=60.0).axes[0]
    assert gids(ax, "note", ax.texts)


# ---- drsim plot ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli():
    from drsim.cli import app  # the real command line, wiring included

    return app


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A small results folder of the warm-standby drill, written by drsim run."""
    from drsim.cli import app

    out = tmp_path_factory.mktemp("res") / "warm"
    res = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "warm-standby.yaml"),
                                   "--trials", "40", "--workers", "1", "--out", str(out),
                                   "--allow-breach"])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("kind,suffix", [("rto-cdf", "png"), ("rpo-hist", "svg"),
                                         ("downtime-hist", "pdf")])
def test_plot_results_folder(cli, results, tmp_path, kind, suffix):
    out = tmp_path / f"fig.{suffix}"
    res = CliRunner().invoke(cli, ["plot", str(results), "--kind", kind, "--out", str(out),
                                   "--objective", "4h"])
    assert res.exit_code == 0, res.output
    head = out.read_bytes()[:8]
    assert {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[suffix] in head


def test_plot_scenario_kinds(cli, tmp_path):
    for kind in ("timeline", "status", "topology"):
        out = tmp_path / f"{kind}.svg"
        args = ["plot", str(DRILL), "--kind", kind, "--out", str(out)]
        res = CliRunner().invoke(cli, args + (["--at", "2026-03-10T14:00"]
                                              if kind == "topology" else []))
        assert res.exit_code == 0, res.output
        assert "step:failover.open-bridge" in out.read_text() or kind != "timeline"


@pytest.mark.parametrize("args,message", [
    (["--kind", "timeline"], "give a scenario file"),
    (["--kind", "pie"], "unknown; use one of"),
    (["--out-suffix", ".gif"], "name the file .png, .svg or .pdf"),
    (["--metric", "rto_bsic"], "did you mean"),
    (["--objective", "soon"], "--objective soon"),
])
def test_plot_bad_input_is_one_line_and_writes_nothing(cli, results, tmp_path, args, message):
    suffix = ".png"
    if args[0] == "--out-suffix":
        suffix, args = args[1], []
    out = tmp_path / f"fig{suffix}"
    res = CliRunner().invoke(cli, ["plot", str(results), "--out", str(out), *args])
    assert res.exit_code == 2
    assert message in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_plot_refuses_to_overwrite_and_kind_needs_folder(cli, tmp_path):
    out = tmp_path / "fig.png"
    out.write_bytes(b"old")
    res = CliRunner().invoke(cli, ["plot", str(DRILL), "--out", str(out)])
    assert res.exit_code == 2 and "--force" in res.output
    assert out.read_bytes() == b"old"
    res = CliRunner().invoke(cli, ["plot", str(DRILL), "--kind", "rto-cdf",
                                   "--out", str(tmp_path / "x.png")])
    assert res.exit_code == 2 and "needs a results folder" in res.output


def test_scenario_helpers():
    sc = parse("""
        drsim: 1
        name: t
        simulation: {start: "2026-03-10T09:00", timezone: America/New_York, horizon: 1d}
        sites: {a: {}}
        services: {s: {active: [a]}}
        customers: {c: {count: 1, access: a, home: a, services: [s]}}
    """)
    assert figures.parse_at("2h", sc) == 7200.0
    assert figures.parse_at("2026-03-10T10:30", sc) == 5400.0
    with pytest.raises(Exception, match="outside the drill"):
        figures.parse_at("2d", sc)
    assert figures.parse_objective("4h") == 14400.0
    assert figures.parse_objective("0.5") == 0.5


# ---- decisions: comparison, sweep, investment, tornado ---------------------------------------


def _trial_frame(values: dict) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({"trial": range(n), "error": [None] * n, **values})


def _segment(eb) -> tuple[float, float]:
    """(low end, high end) along the error bar of a one-point ErrorbarContainer."""
    (seg,) = eb.lines[2][0].get_segments()
    return float(seg[0][0]), float(seg[1][0])


def test_comparison_one_error_bar_per_variant_and_the_zero_line():
    from drsim.analysis.compare import compare_frames

    sc = load_scenario(DRILL)
    base = np.array([3600.0, 7200.0, 5400.0, 9000.0])
    frames = [_trial_frame({"rto_basic_s": list(base)}),
              _trial_frame({"rto_basic_s": list(base - 1800)}),  # exactly 30 min faster
              _trial_frame({"rto_basic_s": list(base + [600, 1200, 0, 300])}),
              _trial_frame({"rto_basic_s": list(base)})]
    c = compare_frames(frames, [sc] * 4, ["base", "fast", "slow", "same"],
                       metrics=["rto_basic_s"])
    fig = plots.plot_comparison(c, "rto_basic")  # the metric's short name is accepted
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.containers) == 3  # one per variant; the baseline is the zero line
    points = {a.get_gid(): float(a.get_xdata()[0]) for a in gids(ax, "diff:", ax.lines)}
    assert points == {"diff:fast": -30.0, "diff:slow": pytest.approx(525 / 60),
                      "diff:same": 0.0}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["fast", "slow", "same"]
    (zero,) = gids(ax, "zero", ax.lines)
    assert list(zero.get_xdata()) == [0, 0]
    eb = {c_.lines[0].get_gid(): c_ for c_ in ax.containers}
    assert _segment(eb["diff:fast"]) == (-30.0, -30.0)  # the same in every trial
    row = c.row("rto_basic_s", "slow")
    assert _segment(eb["diff:slow"]) == pytest.approx((row["diff_low"] / 60,
                                                       row["diff_high"] / 60))
    assert row["diff_low"] < 0 < row["diff_high"]
    assert eb["diff:fast"].lines[0].get_color() == decisions._BETTER  # significant, lower is better
    assert eb["diff:slow"].lines[0].get_color() == decisions._NEUTRAL
    assert ax.get_xlabel() == ("Time to basic service (RTO basic, worst group): "
                               "variant − base (minutes)")
    assert ax.get_ylabel() == "Variant"
    with pytest.raises(ValueError, match="did you mean"):
        plots.plot_comparison(c, "rto_bsic_s")


def test_sweep_one_point_per_cell_one_line_per_second_parameter():
    from drsim.analysis.sweep import sweep

    s = sweep(DRILL, [("staff.network_engineer.count", ["1", "2"]),
                      ("runbooks.failover.steps.verify-chicago.duration", ["10m", "20m", "40m"])],
              trials=2, workers=1, metrics=["rto_basic_s.enterprise"])
    ax = plots.plot_sweep(s, "rto_basic_s.enterprise").axes[0]
    lines = gids(ax, "line:", ax.lines)
    assert [a.get_gid() for a in lines] == ["line:10m", "line:20m", "line:40m"]
    assert sum(len(a.get_xdata()) for a in lines) == len(s.cells) == 6
    assert len(ax.containers) == 3
    for a in lines:
        assert list(a.get_xdata()) == [1.0, 2.0]  # numbers: spaced by value
    assert ax.get_xlabel() == "staff.network_engineer.count"
    ylabel = ax.get_ylabel()
    assert ylabel.startswith("Time to basic service") and ylabel.endswith("(hours)")
    table = s.table("rto_basic_s.enterprise")
    for a, dur in zip(lines, ["10m", "20m", "40m"], strict=True):
        assert list(a.get_ydata()) == pytest.approx([table[(n, dur)] / 3600 for n in "12"])
    # the verify step's duration adds to the RTO minute for minute
    at_one = [float(a.get_ydata()[0]) * 3600 for a in lines]
    assert list(np.diff(at_one)) == pytest.approx([600.0, 1200.0])
    assert ax.get_legend().get_title().get_text() == \
        "runbooks.failover.steps.verify-chicago.duration"


def _option(label: str, tco: float, downtime_h: float, pareto: bool):
    from drsim.analysis.invest import Option
    from drsim.stats import Estimate

    zero = Estimate(0.0, 0.0, 0.0, 10)
    d = downtime_h * 3600
    return Option(label=label, scenario=label, trials=10, capital=tco, operating=0.0,
                  tco=tco, scale=1.0, annual_loss=zero, annual_downtime_cost=zero,
                  annual_data_loss_cost=zero, annual_downtime_s=Estimate(d, d - 600, d + 600, 10),
                  annual_customer_minutes=zero, pareto=pareto)


def test_pareto_points_labels_and_frontier_of_the_non_dominated_options():
    from drsim.analysis.invest import Investment, pareto_flags

    points = {"a": (100.0, 10.0), "b": (200.0, 4.0), "c": (250.0, 6.0),  # c: b is cheaper, less
              "d": (300.0, 4.0), "e": (400.0, 1.0), "f": (100.0, 12.0)}  # d: as b, dearer; f: a
    by_hand = {"a", "b", "e"}
    flags = pareto_flags(list(points.values()))
    assert {k for k, f in zip(points, flags, strict=True) if f} == by_hand
    inv = Investment(5, "USD", 7, 0.95, tuple(_option(k, t, h, f) for (k, (t, h)), f
                                              in zip(points.items(), flags, strict=True)))
    ax = plots.plot_pareto(inv).axes[0]
    dots = gids(ax, "option:", ax.lines)
    assert len(dots) == len(points) == len(ax.containers)
    assert {a.get_gid(): (float(a.get_xdata()[0]), float(a.get_ydata()[0])) for a in dots} == \
        {f"option:{k}": v for k, v in points.items()}
    assert sorted(t.get_text() for t in gids(ax, "label:", ax.texts)) == sorted(points)
    (front,) = gids(ax, "frontier", ax.lines)
    assert front.get_drawstyle() == "steps-post"
    assert list(front.get_xdata()) == [100.0, 200.0, 400.0]  # a, b, e: cheapest first
    assert list(front.get_ydata()) == [10.0, 4.0, 1.0]
    filled = {a.get_gid()[7:] for a in dots if a.get_markerfacecolor() != "white"}
    assert filled == by_hand
    assert ax.get_xlabel() == "Total cost of ownership over 5 years (USD)"
    assert ax.get_ylabel() == "Expected downtime per year, worst group (hours)"


def test_tornado_bars_sorted_by_swing_around_the_baseline():
    from drsim.analysis.sensitivity import Sensitivity, TornadoBar

    bars = (TornadoBar("small", 1, 2, 3500.0, 3700.0),  # swing 200 s
            TornadoBar("big", 1, 2, 1800.0, 9000.0),  # 7200
            TornadoBar("one-sided", 1, 2, 3600.0, 5400.0),  # 1800
            TornadoBar("flat", 1, 2, 3600.0, 3600.0))  # 0
    sens = Sensitivity("s", "rto_basic_s", "morris", 1, (), (), (), bars, 3600.0, 9)
    ax = plots.plot_tornado(sens).axes[0]
    order = ["big", "one-sided", "small", "flat"]
    assert [t.get_text() for t in ax.get_yticklabels()] == order
    low = {b.get_gid()[4:]: b for b in gids(ax, "low:", ax.patches)}
    high = {b.get_gid()[5:]: b for b in gids(ax, "high:", ax.patches)}
    assert set(low) == set(high) == set(order)
    for y, name in enumerate(order):  # top to bottom: largest swing first
        assert low[name].get_y() + low[name].get_height() / 2 == pytest.approx(y)
    assert (low["big"].get_x(), low["big"].get_width()) == (1.0, -0.5)  # hours from 1 h
    assert (high["big"].get_x(), high["big"].get_width()) == (1.0, 1.5)
    assert high["one-sided"].get_width() == 0.5 and low["one-sided"].get_width() == 0
    (base,) = gids(ax, "baseline", ax.lines)
    assert list(base.get_xdata()) == [1.0, 1.0]
    assert ax.get_xlabel() == "Time to basic service (RTO basic, worst group) (hours)"
    assert ax.get_ylabel() == "Uncertain input"
    # the plain pair from tornado(), cut to the largest two
    ax = plots.plot_tornado((bars, 3600.0), top=2).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["big", "one-sided"]


def test_tornado_without_inputs_says_so():
    ax = plots.plot_tornado(((), math.nan)).axes[0]
    assert gids(ax, "note", ax.texts)[0].get_text() == "no uncertain input: nothing to rank"


COLD = ROOT / "scenarios" / "costed" / "cold-standby.yaml"
DECISIONS = {
    "compare": (["compare", str(DRILL), str(ROOT / "scenarios" / "warm-standby.yaml"),
                 "--trials", "2", "--workers", "1"], "diff:warm-standby"),
    "sweep": (["sweep", str(DRILL), "--set", "links.nyc-chi.bandwidth=1Gbps,10Gbps",
               "--trials", "2", "--workers", "1"], "line:rto_basic_s"),
    "invest": (["invest", str(COLD), "--option",
                str(ROOT / "scenarios" / "options" / "warm-standby.yaml"), "--trials", "2",
                "--workers", "1"], "frontier"),
    "sensitivity": (["sensitivity", str(DRILL), "--trials", "2"], "note"),
}


@pytest.fixture(scope="module")
def drsim_app():
    from drsim.cli import app

    return app


@pytest.mark.parametrize("command", list(DECISIONS))
def test_decision_commands_write_a_plot_and_refuse_to_overwrite(drsim_app, tmp_path, command):
    args, gid = DECISIONS[command]
    out = tmp_path / "fig.svg"
    res = CliRunner().invoke(drsim_app, [*args, "--plot", str(out)])
    assert res.exit_code == 0, res.output
    assert f"Figure written to {out}" in res.output
    assert f'id="{gid}' in out.read_text()
    out.write_text("old")
    res = CliRunner().invoke(drsim_app, [*args, "--plot", str(out)])
    assert res.exit_code == 2 and "--force" in res.output
    assert out.read_text() == "old" and list(tmp_path.iterdir()) == [out]
    res = CliRunner().invoke(drsim_app, [*args, "--plot", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<?xml")


def test_decision_plot_of_unknown_type_is_refused_before_running(drsim_app, tmp_path):
    args, _ = DECISIONS["compare"]
    res = CliRunner().invoke(drsim_app, [*args, "--plot", str(tmp_path / "fig.gif")])
    assert res.exit_code == 2
    assert "--plot" in res.output and "name the file .png, .svg or .pdf" in res.output
    assert "Paired" not in res.output and list(tmp_path.iterdir()) == []
