"""drsim score, the figures: a real drill's headline figures derived from its records the way
drsim's metrics define them, and each placed on the simulated distribution by hand
arithmetic (a fixed-duration scenario: every trial is the same timeline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import parse

from drsim.calibrate.observed import Observed, figure_keys, observe
from drsim.calibrate.records import DrillRecord, PageRecord, StatusUpdate, StepRun
from drsim.calibrate.score import (
    figures_row,
    percentile_ci,
    place,
    record_of_run,
    score_drill,
    simulate_figures,
)
from drsim.errors import DrsimError
from drsim.montecarlo import run_trials
from drsim.sim.engine import simulate

# A box at site a fails at 1h02m (09:00 + 1h02m = 10:02) and is repaired 3 h later. Checks every
# 5 min, 2 failed → alert; ack 4 m; declare 6 m; failover: prepare 10 m, switch {switch}
# (moves users to b); failback: back 5 m once a is healthy again.
SCENARIO = """
drsim: 1
name: score-test
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: 2d, seed: 3}}
sites:
  a: {{components: {{box: {{count: 1, ttr: 3h}}}}}}
  b: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
links:
  a-b: {{a: a, b: b, latency: 10ms, bandwidth: 1Gbps}}
services:
  svc:
    requires: [box]
    active: [a]
    standby: {{sites: [b], mode: cold}}
    replication: {{mode: async, to: b, lag: 45s}}
customers:
  users: {{count: 100, access: a, home: a, services: [svc]}}
detection: {{interval: 5m, failed_checks: 2, ack_delay: 4m, declare_delay: 6m}}
runbooks:
  failover:
    trigger: declared
    steps:
      - {{id: prepare, duration: {prepare}}}
      - id: switch
        after: [prepare]
        duration: {switch}
        effects:
          - activate: {{service: svc, site: b}}
          - move: {{groups: [users], to: b}}
  failback:
    trigger: {{after: failover}}
    steps:
      - id: back
        duration: 5m
        requires: {{site_healthy: [a]}}
        effects:
          - move: {{groups: all, to: home}}
          - deactivate: {{service: svc, site: b}}
disruptions:
  - {{id: fault, at: 1h2m, targets: [{{component: a.box}}], until: repaired}}
"""

M = 60.0
# The fixed timeline, seconds from the fault (10:02):
#   alert 2 checks × 5 min: the checks at 10:05 and 10:10 fail → ttd = 8 m = 480 s
#   ack 4 m later: tta = 12 m = 720 s; declared 6 m after that: 18 m = 1,080 s
#   prepare 10 m, switch 15 m: users back on b at 18 + 25 = 43 m = 2,580 s (rto_basic)
#   box repaired at 3 h = 10,800 s; back 5 m: users home at 185 m = 11,100 s (rto_full)
#   async replication, lag 45 s: the failover to b loses 45 s of writes
FIXED = {"ttd_s": 480.0, "tta_s": 720.0, "declared_after_s": 1080.0, "rto_basic_s": 2580.0,
         "rto_full_s": 11100.0, "rto_basic_s.users": 2580.0, "data_lost_s.svc": 45.0,
         "step_s.failback.back": 300.0, "step_s.failover.prepare": 600.0,
         "step_s.failover.switch": 900.0}


def scenario(switch: str = "15m", prepare: str = "10m"):
    return parse(SCENARIO.format(switch=switch, prepare=prepare))


@pytest.fixture(scope="module")
def fixed():
    return scenario()


@pytest.fixture(scope="module")
def fixed_sims(fixed):
    return simulate_figures(fixed, 20, seed=1)


def test_a_simulated_drill_written_down_gives_back_its_own_figures(fixed):
    record = record_of_run(simulate(fixed))
    observed = observe(record, fixed, {"users": ["users"]})
    assert {k: o.value_s for k, o in observed.items()} == FIXED
    assert list(observed) == [k for k in figure_keys(fixed) if k in FIXED]
    assert not any(o.at_least for o in observed.values())


def test_the_simulated_rows_are_the_monte_carlo_rows_plus_step_durations(fixed):
    rows = simulate_figures(fixed, 3, seed=5)
    mc = run_trials(fixed, 3, seed=5, workers=1).frame
    for column in ("ttd_s", "rto_basic_s", "rto_full_s", "data_lost_s.svc"):
        assert list(rows[column]) == list(mc[column])
    assert list(rows["step_s.failover.switch"]) == [900.0] * 3
    assert figures_row(simulate(fixed), fixed)["step_s.failover.prepare"] == 600.0


def test_a_drill_matching_the_fixed_scenario_sits_at_the_median_of_every_figure(fixed,
                                                                                 fixed_sims):
    observed = {k: Observed(k, v, "hand") for k, v in FIXED.items()}
    scores = score_drill(observed, fixed_sims)
    assert [s.key for s in scores] == list(FIXED)
    for s in scores:
        # all 20 trials equal the observed value: below 0, equal 20/20 → mid-rank 0 + 1/2
        assert (s.below, s.equal, s.percentile, s.p_worse) == (0.0, 1.0, 0.5, 1.0)
        assert (s.n, s.flag) == (20, "")
        assert s.p5_s == s.median_s == s.p95_s == FIXED[s.key]


def test_a_minute_longer_is_above_the_band_and_a_minute_shorter_below(fixed_sims):
    late = place(Observed("rto_basic_s", 2580.0 + M, "hand"), fixed_sims["rto_basic_s"])
    early = place(Observed("rto_basic_s", 2580.0 - M, "hand"), fixed_sims["rto_basic_s"])
    assert late is not None and early is not None
    # 2,640 s: all 20 trials below → percentile 1, P(as bad or worse) 0/20 < 5%
    assert (late.percentile, late.p_worse, late.flag) == (1.0, 0.0, "above P95")
    # 2,520 s: all 20 above → percentile 0, P(as bad or worse) 20/20, as good: 0/20 < 5%
    assert (early.percentile, early.p_worse, early.flag) == (0.0, 1.0, "below P5")
    # a lower bound below the band says nothing: the real value may be anywhere above it
    bound = place(Observed("rto_basic_s", 2580.0 - M, "hand", at_least=True),
                  fixed_sims["rto_basic_s"])
    assert bound is not None and bound.flag == ""


def test_mid_rank_with_ties_and_infinite_trials():
    # values 1, 2, 2, 3, inf (never recovered), NaN (did not happen: left out); x = 2:
    # below 1 of 5, equal 2 of 5 → mid-rank 1/5 + 1/5 = 0.4; as bad or worse 4/5
    s = place(Observed("rto_full_s", 2.0, "hand"), [1, 2, 2, 3, float("inf"), float("nan")])
    assert s is not None
    assert (s.n, s.below, s.equal, s.percentile, s.p_worse) == (5, 0.2, 0.4, 0.4, 0.8)
    assert s.p95_s == float("inf") and s.median_s == 2.0
    # longer than every finite trial, and still not as bad as never recovering: 1/5 worse
    longest = place(Observed("rto_full_s", 1e9, "hand"), [1, 2, 2, 3, float("inf")])
    assert longest is not None and longest.p_worse == 0.2


def test_the_percentile_interval_is_clopper_pearson():
    # k = 0 of n: upper = 1 − (α/2)^(1/n); n = 20, α = 5%: 1 − 0.025^(1/20) = 0.16843
    assert percentile_ci(0, 20) == (0.0, pytest.approx(1 - 0.025 ** (1 / 20)))
    # k = n: lower = (α/2)^(1/n)
    assert percentile_ci(20, 20) == (pytest.approx(0.025 ** (1 / 20)), 1.0)


def test_a_uniform_step_places_a_value_at_its_closed_form_percentile():
    sc = scenario(switch="{uniform: {low: 10m, high: 20m}}")
    sims = simulate_figures(sc, 400, seed=2)
    s = place(Observed("step_s.failover.switch", 12 * M, "hand"), sims["step_s.failover.switch"])
    assert s is not None and s.n == 400
    # U(10 m, 20 m): P(X < 12 m) = 2/10 = 0.2, inside the 95% interval of 400 trials
    assert s.ci[0] <= 0.2 <= s.ci[1] and s.ci[1] - s.ci[0] < 0.09
    # rto_basic = 18 m + 10 m + X: 43 m means X = 15 m, P(X < 15 m) = 5/10 = 0.5
    r = place(Observed("rto_basic_s", 43 * M, "hand"), sims["rto_basic_s"])
    assert r is not None and r.ci[0] <= 0.5 <= r.ci[1]


T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def two_groups():
    """Two groups, on components of a status page: 'Voice' (both) and 'Portal' (web)."""
    return parse(SCENARIO.format(switch="15m", prepare="10m").replace(
        "  users: {count: 100, access: a, home: a, services: [svc]}",
        "  users: {count: 100, access: a, home: a, services: [svc]}\n"
        "  web: {count: 50, access: a, home: a, services: [svc]}"))


COMPONENTS = {"Voice": ["users", "web"], "Portal": ["web"]}


def test_status_page_spells_per_group_and_the_page_times():
    sc = two_groups()
    page = PageRecord("P1", created=at(7), acknowledged=at(11), declared=None,
                      resolved=at(300), started=at(0), source="pages.csv:2")
    updates = (
        StatusUpdate("I1", at(15), "investigating", (("Voice", "major_outage"),)),
        StatusUpdate("I1", at(20), "identified", (("Portal", "degraded_performance"),)),
        StatusUpdate("I1", at(50), "monitoring", (("Voice", "operational"),)),
        StatusUpdate("I1", at(60), "monitoring", (("Portal", "partial_outage"),)),
        StatusUpdate("I1", at(95), "monitoring", (("Portal", "operational"),)),
        StatusUpdate("I1", at(240), "resolved"),
    )
    got = observe(DrillRecord("d1", pages=(page,), updates=updates), sc, COMPONENTS)
    assert {k: o.value_s for k, o in got.items()} == {
        "ttd_s": 7 * M, "tta_s": 11 * M,  # created, acknowledged − started; no declared
        # users: out 15 → 50 m (degraded Portal is not theirs, and not an outage anyway)
        # web: out 15 → 50 m (Voice), then 60 → 95 m (Portal partial): the last spell ends 95 m
        "rto_basic_s": 95 * M, "rto_basic_s.users": 50 * M, "rto_basic_s.web": 95 * M,
        "rto_full_s": 240 * M}  # the 'resolved' update, not the page's later resolved
    assert got["tta_s"].source == "pages.csv:2: page P1: acknowledged − started"
    assert "declared_after_s" not in got  # absent, not zero


def test_a_group_still_down_at_the_last_update_is_a_lower_bound():
    sc = two_groups()
    page = PageRecord("P1", created=at(7), started=at(0), resolved=at(200))
    updates = (StatusUpdate("I1", at(15), "investigating", (("Portal", "major_outage"),)),
               StatusUpdate("I1", at(90), "identified"))
    got = observe(DrillRecord("d1", pages=(page,), updates=updates), sc, COMPONENTS)
    assert got["rto_basic_s.web"] == Observed(
        "rto_basic_s.web", 90 * M, "still out at the last status update", at_least=True)
    assert got["rto_basic_s"].at_least and "rto_basic_s.users" not in got
    assert got["rto_full_s"].value_s == 200 * M  # no 'resolved' update: the page's resolved


def test_without_the_fault_start_only_step_durations_are_given():
    sc = scenario()
    runs = (StepRun("d", "failover.prepare", at(20), "exact", 720.0, None, source="log:2"),
            StepRun("d", "failover.switch", at(32), "right", 1800.0, None, source="log:3"),
            StepRun("d", "failback.back", at(200), "exact", 200.0, None),
            StepRun("d", "failback.back", at(210), "exact", 400.0, None))
    page = PageRecord("P1", created=at(7))  # no 'started'
    got = observe(DrillRecord("d", steps=runs, pages=(page,),
                              figures={"data_lost_s:svc": 30.0}), sc)
    assert {k: (o.value_s, o.at_least) for k, o in got.items()} == {
        "data_lost_s.svc": (30.0, False),
        # two runs: first start 200 m → last end 210 m + 400 s = 1,000 s
        "step_s.failback.back": (1000.0, False),
        "step_s.failover.prepare": (720.0, False),
        "step_s.failover.switch": (1800.0, True)}  # stopped at its timebox: at least 30 m
    assert got["step_s.failover.prepare"].source == "log:2: end − start"


def test_unknown_steps_and_figures_are_refused_with_a_suggestion():
    sc = scenario()
    run = StepRun("d", "failover.prepar", at(0), "exact", 1.0, None, source="drill.csv:4")
    with pytest.raises(DrsimError, match=r"^drill.csv:4: step 'failover.prepar' is not a step "
                                         r"of score-test; .*did you mean 'failover.prepare'"):
        observe(DrillRecord("d", steps=(run,)), sc)
    with pytest.raises(DrsimError, match=r"figure 'rto_basic:users' .*did you mean "
                                         r"'rto_basic_s.users'"):
        observe(DrillRecord("d", figures={"rto_basic:users": 1.0}), sc)
