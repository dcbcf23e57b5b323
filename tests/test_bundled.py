"""Every bundled drill validates and runs; the capacity-short drill's numbers, derived by hand
(the default drill's story is tested in test_default_drill.py)."""

from __future__ import annotations

import pytest
from conftest import SCENARIOS

from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

H, M = 3600.0, 60.0
SHORT = next(p for p in SCENARIOS if p.stem == "nyc-chicago-capacity-short")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_bundled_scenario_validates_runs_and_is_reproducible(path):
    sc = load_scenario(path)
    first, again = simulate(sc), simulate(sc)
    assert first.to_dict() == again.to_dict()
    horizon = sc.simulation.horizon
    for g in first.metrics.groups.values():
        assert 0 <= g.downtime_s <= horizon


def test_at_least_the_required_variants_are_bundled():
    names = {p.stem for p in SCENARIOS}
    assert {"nyc-chicago-drill", "no-backup-site", "warm-standby", "active-active",
            "random-failures-year", "nyc-chicago-capacity-short"} <= names


def test_capacity_short_drill_timeline_by_hand():
    r = simulate(load_scenario(SHORT))
    fault = 1 * H + 42 * M  # 10:42, 1h42m after the 09:00 start
    inc = r.incidents[0]
    assert inc.start_s == fault
    # checks every minute at 10:42, 10:43, 10:44: the third failing check raises the alert
    assert inc.detected_s == fault + 2 * M
    assert inc.acknowledged_s == fault + 7 * M  # ack 5m
    assert inc.declared_s == fault + 27 * M  # decision 20m: 11:09
    steps = {(s.runbook, s.step): s for s in r.steps}
    # open-bridge 10m, verify 20m, provision 1h ∥ load data 40m, start 30m, reroute 30m
    assert steps["failover", "reroute-customers"].end_s == fault + 27 * M + 150 * M  # 13:39
    basic = 2 * H + 57 * M  # 10:42 → 13:39
    g = r.metrics.groups
    assert g["enterprise"].rto_basic_s == basic and g["smb-central"].rto_basic_s == basic
    # Chicago holds 6000: enterprise 3000 + smb-central 1500 fit; smb-east 2500 does not,
    # consumer (priority 3) neither; fax never runs in Chicago.
    # New York: spares ordered 10:42 arrive 20:42 (10h); the night crew (shift 22:00, a 2h
    # call-out would be later) repairs both switches 22:00-01:00.
    assert [e.time_s for e in r.timeline if e.kind == "component_up"] == [16 * H] * 2
    assert g["fax-legacy"].rto_basic_s == 16 * H - fault  # fax back with New York at 01:00
    # failback: confirm 15m (01:15), resync 10m + 2 TB × 8 / 10 Gbps = 1600 s (01:51:40),
    # move home 20m (02:11:40), stand down 10m (02:21:40)
    home = 16 * H + 15 * M + 10 * M + 1600 + 20 * M
    assert g["smb-east"].rto_basic_s == home - fault
    assert g["consumer"].rto_basic_s == home - fault
    assert g["enterprise"].rto_full_s == home - fault  # voicemail only back at home
    assert inc.end_s == home + 10 * M
    expected_cm = ((3000 + 1500) * basic + (2500 + 3000) * (home - fault)
                   + 400 * (16 * H - fault)) / 60
    assert r.metrics.customer_minutes_lost == pytest.approx(expected_cm)
    assert r.metrics.data_lost_s["voice"] == 45.0  # async lag 45s
    met = {(o.id, o.kind): o.met for o in r.metrics.objectives}
    assert met == {("voice-rto", "rto"): False, ("voice-rto", "rpo"): True,
                   ("enterprise-availability", "availability"): False,
                   ("all-customers-rto", "rto"): False}


def test_seed_changes_random_results_but_not_fixed_ones():
    sc = load_scenario(SHORT)
    assert simulate(sc, seed=1).metrics == simulate(sc, seed=2).metrics  # all fixed
    year = next(p for p in SCENARIOS if p.stem == "random-failures-year")
    ysc = load_scenario(year)
    assert simulate(ysc, seed=1).to_dict() != simulate(ysc, seed=2).to_dict()


def test_capacity_short_drill_story_tells_the_hand_derived_recoveries():
    from drsim.report.story import incident_story

    (story,) = incident_story(simulate(load_scenario(SHORT)))
    assert "at Tue 10 Mar 10:42 customers lost service" in story
    assert "Monitoring raised the alert at Tue 10 Mar 10:44 (2m after the start)" in story
    assert "A disaster was declared at Tue 10 Mar 11:09" in story
    assert "enterprise and smb-central (4,500 customers) had basic service back after 2h 57m" \
        in story
    assert "fax-legacy (400 customers) had basic service back after 14h 18m" in story
    assert "consumer and smb-east (5,500 customers) had basic service back after 15h 29m 40s" \
        in story
    assert "full redundancy at Wed 11 Mar 02:21 (15h 39m 40s after the start)" in story
