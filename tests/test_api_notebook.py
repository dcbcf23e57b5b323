"""The Python API in a notebook: one-line reprs, escaped HTML summaries, long-format frames.

The drill: site a goes dark 10:00-12:00 (1 h into a 1-day horizon); b (capacity 150) is
active too and takes g1 (100) then g3 (30: 130 ≤ 150), while g2 (100: 230 > 150) waits
for a. So g2 is down exactly 2 h = 7200 s, g1 and g3 never lose service:
customer-minutes = 100 × 120 = 12,000; unavailability = 100 × 7200 / (230 × 86400);
g2's availability = 1 − 7200 / 86400 = 11/12. Objectives: g2's RTO of 1 h is breached
(achieved 7200 s), g1's 99% availability is met (achieved 1.0).
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import pytest

import drsim
from drsim.scenario.loader import load_text

H = 3600.0
TEXT = textwrap.dedent("""
    drsim: 1
    name: capacity <short> & "quoted"
    simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 5}
    sites:
      a: {ttr: 2h}
      b: {capacity: 150}
    services:
      svc: {active: [a, b]}
    customers:
      g1: {count: 100, access: pop, home: a, services: [svc], priority: 1}
      g2: {count: 100, access: pop, home: a, services: [svc], priority: 2}
      g3: {count: 30, access: pop, home: a, services: [svc], priority: 3}
    access_points: {pop: {}}
    links:
      pop-a: {a: pop, b: a, latency: 2ms}
      pop-b: {a: pop, b: b, latency: 20ms}
    disruptions:
      - {id: power, at: 1h, targets: [{site: a}], duration: 2h}
    objectives:
      - {id: g2-rto, group: g2, rto: 1h}
      - {id: g1-avail, group: g1, availability: 99%}
""")
UNAVAILABILITY = 100 * 7200 / (230 * 86400)


@pytest.fixture(scope="module")
def scenario():
    return drsim.parse_scenario(TEXT)


@pytest.fixture(scope="module")
def result(scenario):
    return drsim.simulate(scenario)


@pytest.fixture(scope="module")
def trials(scenario):
    return drsim.run_trials(scenario, 2, workers=1)


# ---- RunResult ------------------------------------------------------------------------------


def test_run_result_repr_is_one_short_line_of_headline_numbers(result):
    assert repr(result) == ("<RunResult 'capacity <short> & \"quoted\"' seed=5 trial=0: "
                            "1 incident, rto_basic 2h 00m, 12,000 customer-minutes lost, "
                            "objectives met 1/2>")


def test_run_result_html_escapes_and_tabulates_groups_and_objectives(result):
    html = result._repr_html_()
    assert "capacity &lt;short&gt; &amp; &quot;quoted&quot;" in html
    assert "<short>" not in html
    # g2: 100 customers, basic and full service back after 2 h, down 2 h, 11/12 available
    assert ("<tr><td>g2</td><td>100</td><td>2h 00m</td><td>2h 00m</td><td>2h 00m</td>"
            "<td>91.6667%</td></tr>") in html
    assert ("<tr><td>g1</td><td>100</td><td>—</td><td>—</td><td>0s</td><td>100.0000%</td>"
            "</tr>") in html
    assert ("<tr><td>g2-rto</td><td>rto</td><td>g2</td><td>1h 00m</td><td>2h 00m</td>"
            "<td>BREACHED</td></tr>") in html
    assert "<tr><td>customer-minutes lost</td><td>12,000</td></tr>" in html


def test_run_result_tidy_groups_long_format(result):
    long = result.tidy("groups")
    assert list(long.columns) == ["group", "metric", "value"]
    got = {(g, m): v for g, m, v in long.itertuples(index=False)}
    assert len(long) == 3 * 4
    assert got["g2", "rto_basic_s"] == 2 * H
    assert got["g2", "rto_full_s"] == 2 * H
    assert got["g2", "downtime_s"] == 2 * H
    assert got["g2", "availability"] == pytest.approx(11 / 12)
    assert math.isnan(got["g1", "rto_basic_s"])  # never hit: not applicable
    assert got["g3", "downtime_s"] == 0 and got["g3", "availability"] == 1.0


def test_run_result_tidy_objectives(result):
    long = result.tidy("objectives")
    assert list(long.columns) == ["objective", "kind", "subject", "target", "achieved", "met"]
    assert long.to_dict("records") == [
        {"objective": "g2-rto", "kind": "rto", "subject": "g2", "target": 1 * H,
         "achieved": 2 * H, "met": False},
        {"objective": "g1-avail", "kind": "availability", "subject": "g1", "target": 0.99,
         "achieved": 1.0, "met": True}]
    with pytest.raises(ValueError, match="use 'groups' or 'objectives'"):
        result.tidy("trials")


# ---- Trials ---------------------------------------------------------------------------------


def test_trials_repr_and_html(trials):
    assert repr(trials) == "<Trials 'capacity <short> & \"quoted\"' seed=5: 2/2 trials>"
    html = trials._repr_html_()
    assert "&lt;short&gt;" in html and "<short>" not in html
    # every trial repeats the drill: mean = P50 = P95 = 2 h, a zero-width interval
    assert ("<tr><td>rto_basic_s</td><td>2h 00m</td><td>2h 00m – 2h 00m</td><td>2h 00m</td>"
            "<td>2h 00m</td><td>0</td></tr>") in html
    assert "<tr><td>met.g2-rto.rto</td><td>0.0%</td>" in html


def test_trials_tidy_of_a_real_run(trials):
    metrics = trials.tidy()
    assert list(metrics.columns) == ["trial", "metric", "value"]
    row = metrics[metrics.trial == 1].set_index("metric")["value"]
    assert row["customer_minutes_lost"] == 12000
    assert row["unavailability"] == pytest.approx(UNAVAILABILITY)
    assert row["all_restored"] == 1.0  # yes/no as 1.0 / 0.0
    groups = trials.tidy("groups")
    assert list(groups.columns) == ["trial", "group", "metric", "value"]
    assert len(groups) == 2 * 3 * 3  # trials × groups × (rto_basic_s, rto_full_s, downtime_s)
    g2 = groups[(groups.group == "g2") & (groups.metric == "downtime_s")]
    assert g2[["trial", "value"]].values.tolist() == [[0, 2 * H], [1, 2 * H]]
    objectives = trials.tidy("objectives")
    assert objectives.to_dict("records") == [
        {"trial": 0, "objective": "g2-rto", "kind": "rto", "met": False},
        {"trial": 0, "objective": "g1-avail", "kind": "availability", "met": True},
        {"trial": 1, "objective": "g2-rto", "kind": "rto", "met": False},
        {"trial": 1, "objective": "g1-avail", "kind": "availability", "met": True}]
    services = trials.tidy("services")
    assert services.values.tolist() == [[0, "svc", "data_lost_s", 0.0],
                                        [1, "svc", "data_lost_s", 0.0]]


def test_trials_tidy_keeps_inf_and_nan_and_leaves_failed_trials_out(scenario):
    frame = pd.DataFrame([
        {"trial": 2, "error": None, "rto_basic_s": math.inf, "all_restored": False,
         "rto_basic_s.g1": 30.0, "met.o.rto": False},
        {"trial": 0, "error": None, "rto_basic_s": 60.0, "all_restored": True,
         "rto_basic_s.g1": math.nan, "met.o.rto": True},
        {"trial": 1, "error": "ValueError: boom", "rto_basic_s": math.nan,
         "all_restored": None, "rto_basic_s.g1": math.nan, "met.o.rto": None}])
    t = drsim.Trials(scenario, 5, frame, requested=3)
    assert repr(t) == "<Trials 'capacity <short> & \"quoted\"' seed=5: 3/3 trials, 1 failed>"
    assert t.tidy().values.tolist() == [[0, "rto_basic_s", 60.0], [0, "all_restored", 1.0],
                                        [2, "rto_basic_s", math.inf],
                                        [2, "all_restored", 0.0]]
    groups = t.tidy("groups").values.tolist()
    assert groups[0][:3] == [0, "g1", "rto_basic_s"] and math.isnan(groups[0][3])
    assert groups[1] == [2, "g1", "rto_basic_s", 30.0]
    assert t.tidy("objectives").values.tolist() == [[0, "o", "rto", True],
                                                    [2, "o", "rto", False]]
    assert t.tidy("services").empty
    with pytest.raises(ValueError, match="unknown kind 'bogus'"):
        t.tidy("bogus")  # type: ignore[arg-type]


# ---- Comparison and Sweep -------------------------------------------------------------------


def test_comparison_repr_and_html(scenario):
    roomy = drsim.parse_scenario(TEXT.replace("capacity: 150", "capacity: 250"))
    cmp = drsim.compare([scenario, roomy], names=["short", "roomy <250>"], trials=2, seed=5,
                        workers=1, metrics=["customer_minutes_lost"])
    assert repr(cmp) == ("<Comparison baseline 'short' vs 'roomy <250>': 2 paired trials, "
                         "seed=5, 1 metric>")
    html = cmp._repr_html_()
    assert "roomy &lt;250&gt;" in html and "<250>" not in html
    # with room for all 230 customers at b nobody waits: 0 against 12,000, every trial
    assert ("<tr><td>short</td><td>customer_minutes_lost</td><td>12,000</td>"
            "<td>12,000 – 12,000</td><td>baseline</td><td>0.0%</td></tr>") in html
    assert ("<tr><td>roomy &lt;250&gt;</td><td>customer_minutes_lost</td><td>0</td>"
            "<td>0 – 0</td><td>-12,000 [-12,000, -12,000] *</td><td>100.0%</td></tr>") in html


def test_sweep_repr_and_html():
    sw = drsim.sweep(load_text(TEXT, "<test>"), {"sites.b.capacity": ["150", "250"]},
                     trials=2, workers=1, metrics=["downtime_s"])
    assert repr(sw) == "<Sweep sites.b.capacity: 2 cells, 2 paired trials, seed=5>"
    html = sw._repr_html_()
    assert ("<tr><td>150</td><td>downtime_s</td><td>2h 00m</td><td>2h 00m – 2h 00m</td>"
            "<td>baseline</td>") in html
    assert ("<tr><td>250</td><td>downtime_s</td><td>0s</td><td>0s – 0s</td>"
            "<td>−2h 00m [−2h 00m, −2h 00m] *</td><td>100.0%</td></tr>") in html
