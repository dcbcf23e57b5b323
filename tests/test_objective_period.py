"""Availability objectives state their period: per year for a horizon run, pro rata over the
drill's own horizon for a drill, with the share of the year's downtime budget it used.

The scenario: one site, one service, one group of 100; the only box is down for exactly D
from 1h (no failover), so the group's downtime is D and nothing else is random.
A 99.5% target allows 0.005 × 365 d = 0.005 × 31,536,000 s = 157,680 s = 1d 19h 48m a year.
"""

from __future__ import annotations

import io
import json

import pytest
from conftest import parse
from rich.console import Console
from typer.testing import CliRunner

from drsim.cli import app
from drsim.report.html import render_run_report
from drsim.report.objectives import (
    availability_period,
    humanise,
    objectives_json,
    percent,
    proportion_labels,
)
from drsim.report.text import render_run
from drsim.sim.engine import simulate

SCENARIO = """\
drsim: 1
name: budget
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: {horizon}, seed: 1}}
sites:
  a: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
services:
  svc: {{requires: [box], active: [a]}}
customers:
  users: {{count: 100, access: a, home: a, services: [svc]}}
disruptions:
  - {{id: cut, at: 1h, targets: [{{component: a.box}}], duration: {down}}}
objectives:
  - {{id: users-avail, group: users, availability: {target}}}
"""
YEAR = 31_536_000.0


def scenario(horizon: str = "2d", down: str = "3h57m", target: str = "99.5%"):
    return parse(SCENARIO.format(horizon=horizon, down=down, target=target))


def run(**kw: str):
    sc = scenario(**kw)
    return sc, simulate(sc)


def text_of(result, sc) -> str:
    buf = io.StringIO()
    render_run(result, Console(file=buf, width=250, highlight=False), timeline=False,
               scenario=sc)
    return buf.getvalue()


def test_a_drill_is_judged_pro_rata_and_shows_the_share_of_the_yearly_budget():
    sc, r = run()
    (o,) = r.metrics.objectives
    # 3h57m = 14,220 s down of 2 d = 172,800 s: 1 − 14220/172800 = 0.917708…
    assert o.achieved == pytest.approx(1 - 14_220 / 172_800)
    assert not o.met  # 14,220 s > 0.5% of 2 days = 864 s
    p = availability_period(o, r.horizon_s, yearly=False)
    assert p is not None
    assert p.downtime_s == pytest.approx(14_220)
    assert p.allowed_s == pytest.approx(864)  # 0.005 × 172,800
    assert p.budget_s == pytest.approx(157_680)  # 0.005 × 31,536,000
    assert p.used == pytest.approx(14_220 / 157_680)  # 0.0902
    text = text_of(r, sc)
    assert "99.5% per year" in text
    assert "91.771% over the drill's 2 days" in text
    assert "over a drill it is judged pro rata" in text
    assert ("users-avail: 3h 57m down over the drill's 2 days, 9.0% of the year's budget "
            "(99.5% per year allows 1d 19h 48m a year, 14m 24s pro rata over 2 days)") in text
    assert "91.771% " in text and "BREACHED\n" not in text  # never a bare verdict


def test_a_short_drill_outage_within_the_pro_rata_allowance_is_met():
    sc, r = run(down="10m")
    (o,) = r.metrics.objectives
    assert o.met  # 600 s ≤ 864 s
    text = text_of(r, sc)
    assert "91.771%" not in text and "99.653% over the drill's 2 days" in text  # 1 − 600/172800
    # 600 / 157,680 = 0.38%
    assert "10m down over the drill's 2 days, 0.4% of the year's budget" in text


def test_a_horizon_run_is_annualised_per_year():
    # 60 days (≥ 30: a horizon run): 14,220 s down → 14,220 × 365/60 = 86,505 s a year;
    # availability 1 − 14220/5,184,000 = 0.997257 ≥ 0.995: met
    sc, r = run(horizon="60d")
    (o,) = r.metrics.objectives
    assert o.met
    p = availability_period(o, r.horizon_s, yearly=True)
    assert p is not None and p.per_year_s == pytest.approx(86_505)
    text = text_of(r, sc)
    assert "99.726% per year" in text
    assert "over the drill" not in text
    assert "users-avail: 1d 00h 01m down per year; 99.5% per year allows 1d 19h 48m" in text


def test_the_json_carries_period_budget_and_share(tmp_path, write_scenario):
    path = write_scenario(SCENARIO.format(horizon="2d", down="3h57m", target="99.5%"))
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["run", str(path), "--json", str(out)])
    assert res.exit_code in (0, 1), res.output
    (o,) = json.loads(out.read_text())["objectives"]
    assert o["period"] == "drill" and o["period_s"] == 172_800
    assert o["period_text"] == "over the drill's 2 days"
    assert o["downtime_s"] == pytest.approx(14_220)
    assert o["allowed_s"] == pytest.approx(864)
    assert o["budget_per_year_s"] == pytest.approx(157_680)
    assert o["downtime_per_year_s"] == pytest.approx(14_220 * YEAR / 172_800)
    assert o["budget_used"] == pytest.approx(0.0901826, abs=1e-6)
    assert o["met"] is False


def test_a_hundred_percent_target_has_no_budget():
    sc, r = run(target="100%")
    entry = objectives_json(r, sc)[0]
    assert entry["budget_per_year_s"] == 0 and entry["budget_used"] is None
    assert "more than all of the year's budget" in text_of(r, sc)


def test_the_html_report_states_the_period_and_budget():
    sc, r = run()
    html = render_run_report(r, sc)
    assert "99.5% per year" in html and "91.771% over the drill&#39;s 2 days" in html
    assert "BREACHED over the drill" in html
    assert "9.0% of the year&#39;s budget" in html


def test_monte_carlo_labels_name_the_period(tmp_path, write_scenario):
    assert proportion_labels(scenario()) == {
        "met.users-avail.availability":
            "users-avail: availability ≥ 99.5% over each trial's 2 days"}
    assert proportion_labels(scenario(horizon="60d")) == {
        "met.users-avail.availability": "users-avail: availability ≥ 99.5% per year"}
    path = write_scenario(SCENARIO.format(horizon="2d", down="3h57m", target="99.5%"))
    res = CliRunner().invoke(app, ["run", str(path), "--trials", "2"], env={"COLUMNS": "200"})
    assert "users-avail: availability ≥ 99.5% over each trial's 2 days" in res.output


def test_humanise_and_percent():
    assert humanise(172_800) == "2 days"
    assert humanise(93_600) == "1 day 2 hours"
    assert humanise(5_400) == "1 hour 30 minutes"
    assert humanise(86_400 + 60) == "1 day 1 minute"
    assert humanise(45) == "45 seconds"
    assert percent(0.995, 6) == "99.5%"
    assert percent(0.9999996) == "99.99996%"  # never rounded up to a 100% it did not reach
    assert percent(1.0) == "100%"
