"""Classic reliability semantics and cascades: hand-computed timelines, exact to the second.

Standby units (cold/warm, switchover, success, the repair-vs-switchover race), failure
suspension, zero durations, power loss with restarts and paused repairs, and cascading
disruptions. Monte Carlo checks against closed forms for suspension and standby units are
verify cases (drsim/verification.py: series-suspended, standby-cold, standby-warm), run by
tests/test_verify.py; the cascade probability is checked here. Times: seconds from start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import parse

from drsim.scenario import load_scenario
from drsim.sim.engine import simulate
from drsim.stats import wilson_ci

H, M = 3600.0, 60.0


def outages(result, what="svc"):
    return [(i.start_s, i.end_s) for i in result.intervals if i.what == what]


def events(result, kind, subject=None):
    return [(e.time_s, e.detail) for e in result.timeline
            if e.kind == kind and (subject is None or e.subject == subject)]


def times(result, kind, subject=None):
    return [t for t, _ in events(result, kind, subject)]


# ---- standby units and the race between switchover and repair ---------------------------

STANDBY = """
drsim: 1
name: standby
simulation: {{start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}}
sites:
  a:
    components:
      pump: {{count: 2, ttr: {ttr}, standby: {{units: 1, mode: cold, switchover: {sw},
              success: {success}}}}}
services:
  svc: {{requires: [pump], active: [a]}}
customers:
  users: {{count: 1, access: a, home: a, services: [svc]}}
disruptions:
  - {{id: hit, at: 1h, targets: [{{component: a.pump, units: 1}}], until: repaired}}
"""


def standby(ttr="20m", sw="30m", success="100%"):
    return simulate(parse(STANDBY.format(ttr=ttr, sw=sw, success=success)))


def test_repair_before_switchover_abandons_the_switchover():
    r = standby(ttr="20m")
    # unit 0 (active, lowest number) is hit at 1h = 3600 s; the switchover onto unit 1 would
    # end at 1h + 30m = 5400 s, but unit 0's repair ends first at 1h + 20m = 4800 s
    assert times(r, "switchover_started") == [3600.0]
    assert events(r, "switchover_abandoned") == [
        (4800.0, "standby unit 1: unit 0 back in service first (repaired)")]
    assert times(r, "switchover_done") == []
    assert outages(r) == [(3600.0, 4800.0)]  # 20 min


def test_switchover_before_repair_ends_the_outage_and_the_repaired_unit_is_standby():
    r = standby(ttr="45m")
    # switchover done at 3600 + 1800 = 5400 s; repair of unit 0 ends at 3600 + 2700 = 6300 s
    assert times(r, "switchover_done") == [5400.0]
    assert outages(r) == [(3600.0, 5400.0)]
    assert times(r, "component_up") == [6300.0]
    assert outages(r, "full") == [(3600.0, 6300.0)]  # redundancy back when unit 0 is standby


def test_failed_switchover_sends_the_standby_unit_to_repair():
    r = standby(ttr="45m", success="0%")
    # switchover fails at 5400 s; unit 1 goes to repair (45m): up at 5400 + 2700 = 8100 s;
    # unit 0 repaired at 6300 s takes the vacant slot: the outage is 3600 → 6300 s
    assert times(r, "switchover_failed") == [5400.0]
    assert times(r, "component_down") == [3600.0, 5400.0]
    assert times(r, "component_up") == [6300.0, 8100.0]
    assert outages(r) == [(3600.0, 6300.0)]


def test_instant_switchover_and_instant_repair_make_no_outage():
    r = standby(ttr="45m", sw="0s")
    # switchover 0s at 3600 s: unit 1 serves in the same instant; no zero-length outage
    assert events(r, "switchover_done") == [(3600.0, "standby unit 1 in service after 0s")]
    assert outages(r) == []
    r = standby(ttr="0s")
    # ttr 0s: unit 0 is back at 3600 s, the switchover is abandoned at once; no downtime
    assert times(r, "component_up") == [3600.0]
    assert times(r, "switchover_abandoned") == [3600.0]
    assert outages(r) == [] and r.metrics.groups["users"].downtime_s == 0


def test_service_down_during_a_switchover_counts_only_units_in_service():
    # with a cross-site dependency the service_down event says why. Unit 0 is hit at 1h;
    # during the 30m switchover unit 1 is up but idle: 0 units serve, 1 is needed
    doc = STANDBY.format(ttr="45m", sw="30m", success="100%").replace(
        "  a:\n", "  b: {}\n  a:\n").replace(
        "services:\n", "links: {a-b: {a: a, b: b}}\nservices:\n  dns: {active: [b]}\n"
    ).replace("active: [a]}", "active: [a], depends_on: [{service: dns, at: b}]}")
    r = simulate(parse(doc))
    assert events(r, "service_down", "svc@a") == [
        (3600.0, "pump: 0 of 2 units up, needs 1 (1 idle standby not in service)")]
    assert outages(r) == [(3600.0, 5400.0)]


def test_one_person_repairs_one_standby_unit_at_a_time():
    sc = parse("""
        drsim: 1
        name: crew
        simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
        sites:
          a:
            components:
              pump: {count: 3, ttr: 1h, repair_role: tech, standby: {units: 1}}
        services:
          svc: {requires: [pump], active: [a]}
        customers:
          users: {count: 1, access: a, home: a, services: [svc]}
        staff:
          tech: {count: 1}
        disruptions:
          - {id: hit, at: 1h, targets: [{component: a.pump, units: 2}], until: repaired}
        """)
    r = simulate(sc)
    # 2 active + 1 standby, needed = 3 − 1 = 2. Units 0 and 1 (active) are hit at 3600 s;
    # unit 2 switches in at once (0s), so 1 unit serves where 2 are needed → outage.
    # The one tech repairs unit 0 3600 → 7200 s (it takes the vacancy: service back), then
    # unit 1 7200 → 10800 s (it becomes the standby)
    assert times(r, "switchover_done") == [3600.0]
    assert times(r, "component_up") == [7200.0, 10800.0]
    assert outages(r) == [(3600.0, 7200.0)]


WARM = """
drsim: 1
name: warm
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 30h, random_failures: true}
sites:
  s:
    components:
      p: {count: 2, ttf: 10h, ttr: 1h, standby: {units: 1, mode: warm, rate: 0.5}}
services:
  svc: {requires: [p], active: [s]}
customers:
  users: {count: 1, access: s, home: s, services: [svc]}
"""


def test_warm_standby_ages_at_its_rate():
    r = simulate(parse(WARM))
    # unit 0 active fails at 10h; unit 1 (idle, half speed) has used 5h of its 10h → takes
    # over at 10h (0s) with 5h left → fails at 15h. Unit 0, repaired at 11h, idles 11h–15h:
    # 2h used, 8h left → active 15h → fails 23h. Unit 1 repaired 16h, idles 16h–23h: 3.5h
    # used, 6.5h left → fails at 23h + 6.5h = 29.5h
    assert times(r, "component_down") == [10 * H, 15 * H, 23 * H, 29.5 * H]
    assert times(r, "switchover_done") == [10 * H, 15 * H, 23 * H, 29.5 * H]
    assert outages(r) == []


def test_cold_standby_does_not_age():
    r = simulate(parse(WARM.replace("mode: warm, rate: 0.5", "mode: cold")))
    # unit 0 fails 10h, unit 1 (unaged) serves 10h → fails 20h; unit 0 repaired 11h idles
    # unaged, serves from 20h → fails 30h (the horizon: not seen)
    assert times(r, "component_down") == [10 * H, 20 * H]


# ---- failure suspension ------------------------------------------------------------------

SERIES = """
drsim: 1
name: series
simulation: {{start: "2026-03-10T00:00", timezone: UTC, horizon: 30h, random_failures: true}}
sites:
  s:
    components:
      a: {{ttf: 10h, ttr: 2h}}
      b: {{ttf: 15h, ttr: 1h{b_extra}}}
services:
  svc: {{requires: [a, b], active: [s]{svc_extra}}}
customers:
  users: {{count: 1, access: s, home: s, services: [svc]}}
"""


def series(svc_extra="", b_extra=""):
    return simulate(parse(SERIES.format(svc_extra=svc_extra, b_extra=b_extra)))


def test_series_without_suspension_fails_independently():
    # a: down 10–12h, 22–24h; b: down 15–16h (next 31h, past the horizon)
    assert outages(series()) == [(10 * H, 12 * H), (15 * H, 16 * H), (22 * H, 24 * H)]


def test_series_with_suspend_failures_freezes_the_other_component():
    r = series(svc_extra=", suspend_failures: true")
    # a fails 10h; b has used 10h of 15h, frozen 10–12h → fails 12h + 5h = 17h (up 18h).
    # a (new 10h from 12h) used 5h by 17h, frozen 17–18h → fails 18h + 5h = 23h (up 25h).
    # b (new 15h from 18h) used 5h by 23h, frozen 23–25h → fails 25h + 10h = 35h (past 30h)
    assert outages(r) == [(10 * H, 12 * H), (17 * H, 18 * H), (23 * H, 25 * H)]
    assert events(r, "ageing_paused", "s.b")[0] == (10 * H, "svc@s down")
    assert times(r, "ageing_resumed", "s.b")[0] == 12 * H


def test_suspend_when_down_freezes_only_that_component():
    r = series(b_extra=", suspend_when_down: true")
    # a fails 10h (up 12h); b frozen 10–12h → fails 17h (up 18h); a is never frozen: fails
    # 12h + 10h = 22h (up 24h); b (15h from 18h) used 4h by 22h, frozen → fails 35h
    assert outages(r) == [(10 * H, 12 * H), (17 * H, 18 * H), (22 * H, 24 * H)]
    assert times(r, "ageing_paused", "s.a") == []


# ---- power ------------------------------------------------------------------------------

POWER = """
drsim: 1
name: power
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      box: {count: 2, needed: 1, ttr: 1h, restart: 10m}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
disruptions:
  - {id: disk, at: 30m, targets: [{component: a.box, units: 1}], until: repaired}
  - {id: grid, at: 1h, targets: [{power: a}], duration: 2h}
"""


def test_power_loss_restarts_components_and_pauses_repairs():
    r = simulate(parse(POWER))
    # unit 0 hit at 30m, repair 1h would end at 1h30m; power off at 1h: the site and unit 1
    # go down, unit 0's repair pauses with 30m left. Power back at 1h + 2h = 3h (10800 s):
    # the site is up, unit 1 restarts after 10m → 11400 s (service back); unit 0's repair
    # resumes: 10800 + 1800 = 12600 s
    assert times(r, "power_off") == [1 * H] and times(r, "power_on") == [3 * H]
    assert events(r, "repair_paused") == [(1 * H, "power lost; 1800s of repair work left")]
    assert events(r, "component_up") == [
        (3 * H + 10 * M, "restarted after power returned; 1 units still down"),
        (3.5 * H, "repaired")]
    assert outages(r) == [(1 * H, 3 * H + 10 * M)]


def test_a_unit_down_for_power_can_be_hit_and_then_needs_repair():
    r = simulate(parse(POWER + "  - {id: flood, at: 2h, targets: [{component: a.box, units: 1}],"
                       " until: repaired}\n"))
    # at 2h unit 0 is in (paused) repair, unit 1 is down for power: the flood hits unit 1,
    # whose repair waits for power. Power back at 3h: unit 0's work resumes (30m left →
    # 3h30m), unit 1's repair starts (1h → 4h); no restart for either
    assert events(r, "component_hit") == [(2 * H, "flood strikes a unit down for power")]
    assert events(r, "repair_waiting") == [(2 * H, "repair waits for power at the site")]
    assert times(r, "component_up") == [3.5 * H, 4 * H]
    assert outages(r) == [(1 * H, 3.5 * H)]


def test_a_fault_that_clears_during_a_power_loss_waits_for_power_and_restarts():
    r = simulate(parse(POWER.replace(
        "targets: [{component: a.box, units: 1}], until: repaired",
        "targets: [{component: a.box, units: 1}], duration: 1h")))
    # unit 0's fault (30m, 1h) would clear at 1h30m, but the power is off from 1h to 3h:
    # nothing comes up unpowered, so unit 0 waits and restarts with unit 1, both at 3h10m
    assert events(r, "component_waiting") == [
        (1.5 * H, "fault cleared, but the site has no power: the unit restarts when power "
                  "returns")]
    assert events(r, "component_up") == [
        (3 * H + 10 * M, "restarted after power returned; 1 units still down"),
        (3 * H + 10 * M, "restarted after power returned")]
    assert outages(r) == [(1 * H, 3 * H + 10 * M)]


def test_power_until_repaired_uses_the_site_ttr():
    r = simulate(parse(POWER.replace("  a:\n", "  a:\n    ttr: 5h\n").replace(
        "duration: 2h", "until: repaired")))
    # power back at 1h + 5h = 6h; unit 1 restarts at 6h10m
    assert times(r, "power_on") == [6 * H]
    assert outages(r) == [(1 * H, 6 * H + 10 * M)]


# ---- cascades ------------------------------------------------------------------------------

CASCADE = """
drsim: 1
name: cascade
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {ttr: 5h}
  b: {}
links:
  a-b: {a: a, b: b}
services:
  svc: {active: [a, b]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
disruptions:
  - id: fire
    at: 1h
    targets: [{site: a}]
    duration: 2h
    cascade:
      - after: 30m
        targets: [{site: b}]
        duration: 1h
        cascade:
          - {after: 15m, probability: 0%, targets: [{link: a-b}], duration: 1h}
          - {after: 2h, targets: [{site: a}], until: repaired}
"""


def test_cascade_spreads_after_its_delay_and_nests():
    r = simulate(parse(CASCADE))
    # fire: a down 1h–3h. fire/0 after 30m: b down 1h30m–2h30m. fire/0/0 after a further
    # 15m (at 1h45m) does not spread (probability 0). fire/0/1 after 2h (at 3h30m) takes a
    # down until repaired: site ttr 5h → up at 8h30m
    assert events(r, "disruption") == [(1 * H, ""), (1.5 * H, "spread from fire"),
                                       (3.5 * H, "spread from fire/0")]
    assert events(r, "cascade_spared") == [(1.75 * H, "did not spread (probability 0%)")]
    assert times(r, "site_down", "b") == [1.5 * H] and times(r, "site_up", "b") == [2.5 * H]
    assert times(r, "site_down", "a") == [1 * H, 3.5 * H]
    assert times(r, "site_up", "a") == [3 * H, 8.5 * H]
    assert outages(r) == [(1 * H, 3 * H), (3.5 * H, 8.5 * H)]


def test_cascade_probability_matches_in_monte_carlo():
    sc = parse(CASCADE.replace("      - after: 30m\n", "      - after: 30m\n"
                               "        probability: 60%\n"))
    spread = sum(bool(times(simulate(sc, seed=s), "site_down", "b")) for s in range(400))
    est = wilson_ci(spread, 400, 0.99)
    assert est.low <= 0.6 <= est.high, (spread, est)


# ---- the incident scenario ------------------------------------------------------------------

OVH = Path(__file__).parent.parent / "scenarios" / "incidents" / "ovh-2021-strasbourg-fire.yaml"


def test_ovh_fire_cascades_and_restarts_in_stages():
    sc = load_scenario(OVH)
    r = simulate(sc, seed=1)
    kinds = {e.kind for e in r.timeline}
    assert {"power_off", "power_on", "disruption"} <= kinds
    assert "sbg2" in {e.subject for e in r.timeline if e.kind == "site_down"}
    # SBG3 and SBG4 lose power as a precaution and their servers restart over days
    assert {e.subject for e in r.timeline if e.kind == "power_off"} >= {"sbg3", "sbg4"}
    downs = [simulate(sc, seed=s).metrics.groups["sbg3-customers"].downtime_s
             for s in range(200)]
    assert np.std(downs) > 0 and np.percentile(downs, 90) > np.percentile(downs, 10)
    spread = sum(any(e.kind == "disruption" and e.subject == "fire/0"
                     for e in simulate(sc, seed=s).timeline) for s in range(200))
    assert 0 < spread < 200  # the fire reaches SBG1 in some trials, not in all


@pytest.mark.parametrize("text", [
    "standby: {units: 1, mode: warm, rate: 0.5, switchover: 0s, success: 98%}",
    "restart: 0s",
    "spare: {stock: 0, lead_time: 0s}",
])
def test_new_component_fields_validate(text):
    sc = parse(POWER.replace("restart: 10m", text))
    assert sc.sites["a"].components["box"].count == 2


def test_disruption_repair_zero_is_instant():
    r = simulate(parse(CASCADE.replace("until: repaired}", "until: repaired, repair: 0s}")))
    # fire/0/1 strikes a at 3h30m and is repaired in 0s: down and up in the same instant,
    # no outage interval beyond the first fire (1h–3h)
    assert times(r, "site_down", "a") == [1 * H, 3.5 * H]
    assert times(r, "site_up", "a") == [3 * H, 3.5 * H]
    assert outages(r) == [(1 * H, 3 * H)]


def test_analytic_suspension_and_standby_chains():
    from drsim import analytic

    lam, mu = 1 / 100, 1 / 10
    units = [(lam, mu), (lam / 2, mu / 4)]
    # A = 1 / (1 + 0.1 + 0.2) = 1/1.3, above Π Aᵢ = (10/11)(20/22)... = 0.8264 × 0.8333
    assert analytic.series_suspended_availability(units) == pytest.approx(1 / 1.3)
    assert 1 - analytic.series_suspended_chain(units).steady_unavailability() == (
        pytest.approx(1 / 1.3))
    assert analytic.series_suspended_availability(units) > analytic.series_availability(
        [analytic.unit_availability(*u) for u in units])
    # a warm standby ageing at full speed with instant, perfect switchover is 1-out-of-2
    assert analytic.standby_units_chain(lam, mu, 1.0, None, 1.0).steady_unavailability() == (
        pytest.approx(analytic.parallel2_chain(lam, mu).steady_unavailability()))
    # cold, instant, perfect: π = (1, λ/μ, λ²/(2μ²)) normalised; down = the last
    pi = np.array([1, lam / mu, lam**2 / (2 * mu**2)])
    assert analytic.standby_units_chain(lam, mu, 1.0).steady_unavailability() == (
        pytest.approx(pi[2] / pi.sum()))


def test_zero_ttr_repairs_in_the_same_instant_without_an_incident():
    r = simulate(parse("""
        drsim: 1
        name: zero
        simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 25h,
                     random_failures: true}
        sites:
          a: {components: {box: {ttf: 10h, ttr: 0s}}}
        services:
          svc: {requires: [box], active: [a]}
        customers:
          users: {count: 1, access: a, home: a, services: [svc]}
        """))
    # fails at 10h and 20h (ttf 10h from each instant repair); each repair takes 0 s
    assert events(r, "component_up") == [(10 * H, "repaired at once (ttr 0s)"),
                                         (20 * H, "repaired at once (ttr 0s)")]
    assert times(r, "component_down") == [10 * H, 20 * H]
    assert r.incidents == () and outages(r) == []
