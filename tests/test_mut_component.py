"""Component units: k-of-n, one-for-one spares with lead time (stock accounting exact), a
rebuild that cancels the wait for a spare, repair by a role. Exact timelines by hand."""

from __future__ import annotations

import pytest
from conftest import parse
from reference_streams import stream

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

SPARES = """
drsim: 1
name: spares
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites:
  a:
    components:
      box: {count: 3, needed: 1, ttr: 1h, spare: {stock: 1, lead_time: 3h}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
disruptions:
  - {id: d, at: 1h, targets: [{component: a.box, units: 2}], until: repaired}
  - {id: e, at: 6h, targets: [{component: a.box, units: 1}], until: repaired}
"""


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def test_spares_stock_and_lead_time_one_for_one():
    r = simulate(parse(SPARES))
    # d at 1h: unit 0 takes the one spare on the shelf (reorder arrives 4h) and is repaired
    # 1h-2h; unit 1 finds the shelf empty (its reorder also arrives 4h), gets the first
    # delivery at 4h, repaired 4h-5h; the second delivery stays on the shelf.
    # e at 6h: unit 0 takes that spare at once, repaired 6h-7h (reorder arrives 9h).
    assert [(t, d) for t, _, _, d in events(r, "component_down", "component_up")] == [
        (1 * H, "1 of 3 units down (d)"), (1 * H, "2 of 3 units down (d)"),
        (2 * H, "repaired; 1 units still down"), (5 * H, "repaired"),
        (6 * H, "1 of 3 units down (e)"), (7 * H, "repaired")]
    assert events(r, "spare_delivered") == [(4 * H, "spare_delivered", "a.box", "")] * 2 + [
        (9 * H, "spare_delivered", "a.box", "")]
    # k-of-n: one unit of three is always up and one is needed: nobody loses service
    assert r.metrics.groups["users"].downtime_s == 0 and r.incidents == ()


def test_needed_two_of_three_loses_service_while_two_units_are_down():
    r = simulate(parse(SPARES.replace("needed: 1", "needed: 2")))
    # two units down 1h-2h (unit 0 back at 2h): service down 1h-2h; e at 6h leaves 2 of 3 up
    assert r.metrics.groups["users"].downtime_s == 1 * H
    assert [(i.start_s, i.end_s) for i in r.outages] == [(1 * H, 2 * H)]


REBUILD = """
drsim: 1
name: rebuild
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites:
  a:
    components:
      box: {count: 1, ttr: 1h, repair_role: tech, spare: {stock: 0, lead_time: 3h}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  tech: {count: 1}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  fix:
    trigger: detected
    steps:
      - {id: r, duration: 20m, when: {hours: "00:00-03:00"},
         effects: [{rebuild: {site: a, component: box}}]}
disruptions:
  - {id: d, at: 1h, targets: [{component: a.box}], until: repaired}
  - {id: e, at: 5h30m, targets: [{component: a.box}], until: repaired}
"""


def test_a_rebuild_cancels_the_wait_for_a_spare_which_then_stays_on_the_shelf():
    r = simulate(parse(REBUILD))
    # d at 1h: the unit waits for a spare (ordered, arrives 4h); the detected runbook
    # rebuilds it at 1h20, cancelling the wait: the 4h delivery goes to the shelf.
    # e at 5h30: the runbook's step is not needed (outside 00:00-03:00); the repair takes
    # the shelved spare at once (reorder arrives 8h30) and tech#1 repairs 5h30-6h30.
    ups = [(t, d) for t, _, _, d in events(r, "component_up")]
    assert ups == [(1 * H + 20 * M, "rebuilt by fix.r"), (6.5 * H, "repaired by tech#1")]
    assert [t for t, *_ in events(r, "spare_delivered")] == [4 * H, 8.5 * H]
    assert r.metrics.groups["users"].downtime_s == 20 * M + 1 * H


def test_without_the_rebuild_each_repair_waits_for_its_own_delivery():
    r = simulate(parse(REBUILD.replace("effects: [{rebuild: {site: a, component: box}}]",
                                       "effects: []")))
    # d at 1h: waits for the 4h delivery, tech#1 repairs 4h-5h. e at 5h30: the shelf is
    # empty (the 4h spare was used), the 5h30 order arrives 8h30: repaired 8h30-9h30
    ups = [(t, d) for t, _, _, d in events(r, "component_up")]
    assert ups == [(5 * H, "repaired by tech#1"), (9.5 * H, "repaired by tech#1")]
    assert r.metrics.groups["users"].downtime_s == 4 * H + 4 * H


STANDBY = """
drsim: 1
name: standby
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, seed: SEED}
sites:
  a:
    components:
      pump: {count: 3, ttr: 45m, standby: {units: 1, switchover: 30m, success: SUCCESS}}
services:
  svc: {requires: [pump], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
disruptions:
  - {id: hit, at: 1h, targets: [{component: a.pump, units: UNITS}], until: repaired}
"""

SWITCH_KINDS = ("switchover_started", "switchover_done", "switchover_failed",
                "switchover_abandoned", "switchover_impossible")


def standby(units=1, success="100%", seed=0):
    return simulate(parse(STANDBY.replace("UNITS", str(units)).replace("SUCCESS", success)
                          .replace("SEED", str(seed))))


def test_switchover_events_name_the_component_and_the_unit():
    r = standby()
    # 2 active (0, 1) + standby unit 2; unit 0 hit at 1h: unit 2 switched in 1h-1h30;
    # unit 0 repaired at 1h45 and becomes the standby
    assert events(r, *SWITCH_KINDS) == [
        (1 * H, "switchover_started", "a.pump", "standby unit 2, takes 1800s"),
        (1.5 * H, "switchover_done", "a.pump", "standby unit 2 in service after 1800s")]
    assert r.metrics.groups["users"].downtime_s == 30 * M


def test_two_vacancies_and_one_standby_record_the_shortage_once():
    r = standby(units=2)
    # units 0 and 1 hit at 1h: unit 2 fills one vacancy (1h-1h30), nothing is left for the
    # other; both repairs end at 1h45: the first repaired unit takes the vacancy, the second
    # becomes the standby. Needed 2: down 1h → 1h45
    # (the shortage is recorded as the switchover is set going; the switchover process then
    # records its start in the same instant)
    assert events(r, *SWITCH_KINDS) == [
        (1 * H, "switchover_impossible", "a.pump", "no standby unit left; waiting for a repair"),
        (1 * H, "switchover_started", "a.pump", "standby unit 2, takes 1800s"),
        (1.5 * H, "switchover_done", "a.pump", "standby unit 2 in service after 1800s")]
    assert r.metrics.groups["users"].downtime_s == 45 * M


def test_a_failed_switchover_is_recorded_and_the_unit_goes_to_repair():
    r = standby(success="0%")
    # the switchover onto unit 2 fails at 1h30: unit 2 goes to repair (45m → 2h15) and no
    # standby is left for the vacancy; unit 0 repaired at 1h45 takes it: down 1h → 1h45
    assert events(r, *SWITCH_KINDS) == [
        (1 * H, "switchover_started", "a.pump", "standby unit 2, takes 1800s"),
        (1.5 * H, "switchover_failed", "a.pump",
         "standby unit 2 did not take over (success 0%); it goes to repair"),
        (1.5 * H, "switchover_impossible", "a.pump", "no standby unit left; waiting for a repair")]
    assert [(t, d) for t, _, _, d in events(r, "component_down", "component_up")] == [
        (1 * H, "1 of 3 units down (hit)"),
        (1.5 * H, "2 of 3 units down (switchover onto standby unit 2 failed)"),
        (1.75 * H, "repaired; 1 units still down"), (2.25 * H, "repaired")]




def test_switchover_success_is_drawn_from_the_standby_units_switchover_works_stream():
    seen = set()
    for seed in range(8):
        r = standby(success="50%", seed=seed)
        # the switchover is onto standby unit 2 (0-based): stream of unit #3
        works = bool(stream(seed, "component:a.pump#3:switchover-works").random() < 0.5)
        seen.add(works)
        kinds = [k for _, k, _, _ in events(r, "switchover_done", "switchover_failed")]
        assert kinds == (["switchover_done"] if works else ["switchover_failed"])
    assert seen == {True, False}


RANDOM = """
drsim: 1
name: random
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 100d, seed: SEED,
             random_failures: true}
sites:
  a:
    components:
      box: {count: 1, ttf: {exponential: {mean: 10d}}, ttr: {exponential: {mean: 1h}}}
      pump: {count: 2, ttf: {exponential: {mean: 10d}}, ttr: 1h, standby: {units: 1}}
services:
  svc: {requires: [box, pump], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
"""


def test_random_failures_and_repairs_draw_from_the_units_ttf_and_ttr_streams():
    for seed in (1, 2):
        r = simulate(parse(RANDOM.replace("SEED", str(seed))))
        t_fail = stream(seed, "component:a.box#1:ttf").exponential(10 * 86400)
        t_up = t_fail + stream(seed, "component:a.box#1:ttr").exponential(3600)
        box = [t for t, _, s, _ in events(r, "component_down", "component_up") if s == "a.box"]
        assert box[:2] == [pytest.approx(t_fail), pytest.approx(t_up)]
        # the pump's active unit 0 ages from t=0 on its own stream (standby units age by
        # the accelerated clock; cold unit 1 does not age while idle)
        p = stream(seed, "component:a.pump#1:ttf")
        pump = [t for t, _, s, _ in events(r, "component_down") if s == "a.pump"]
        assert pump[0] == pytest.approx(p.exponential(10 * 86400))



POWER = """
drsim: 1
name: power
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: SEED}
sites:
  a:
    components:
      box: {count: 2, ttr: 1h, restart: RESTART}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  fix:
    trigger: detected
    steps:
      - {id: r, duration: 10m, effects: [{rebuild: {site: a, component: box}}]}
disruptions:
  - {id: p1, at: 1h, targets: [{power: a}], duration: 2h}
  - {id: p2, at: 2h, targets: [{power: a}], duration: 2h}
"""


def power(restart="1s", seed=0):
    return simulate(parse(POWER.replace("RESTART", restart).replace("SEED", str(seed))))


def test_overlapping_power_losses_restart_units_when_the_last_ends():
    r = power()
    # p1 1h-3h, p2 2h-4h: power is back only at 4h; the units restart 1 s later. The
    # runbook's rebuild at 1h10 cannot bring up units without power: they wait.
    assert [(t, k) for t, k, *_ in events(r, "power_off", "power_on")] == [
        (1 * H, "power_off"), (2 * H, "power_off"), (3 * H, "power_on"), (4 * H, "power_on")]
    waiting = "rebuilt by fix.r, but the site has no power: the unit restarts when power returns"
    assert events(r, "component_waiting") == [(1 * H + 10 * M, "component_waiting", "a.box",
                                               waiting)] * 2
    assert [t for t, *_ in events(r, "component_up")] == [4 * H + 1] * 2
    assert r.metrics.groups["users"].downtime_s == 3 * H + 1


def test_a_drawn_restart_comes_from_each_units_restart_stream():
    for seed in (1, 2):
        r = power(restart="{uniform: {low: 1m, high: 9m}}", seed=seed)
        first = 4 * H + stream(seed, "component:a.box#1:restart").uniform(60, 540)
        second = 4 * H + stream(seed, "component:a.box#2:restart").uniform(60, 540)
        assert [t for t, *_ in events(r, "component_up")] == [
            pytest.approx(min(first, second)), pytest.approx(max(first, second))]


def test_a_certain_switchover_draws_only_its_time_from_the_switchover_stream():
    text = (STANDBY.replace("switchover: 30m", "switchover: {uniform: {low: 1m, high: 9m}}")
            .replace("count: 3", "count: 4").replace("units: 1, switchover", "units: 2, switchover")
            + "  - {id: hit2, at: 5h, targets: [{component: a.pump, units: 2}], "
              "until: repaired}\n")
    for seed in (1, 2):
        r = simulate(parse(text.replace("UNITS", "1").replace("SUCCESS", "100%")
                           .replace("SEED", str(seed))))
        first = stream(seed, "component:a.pump#3:switchover").uniform(60, 540)
        second = stream(seed, "component:a.pump#4:switchover").uniform(60, 540)
        # active 0, 1; standby 2, 3. Unit 0 hit at 1h: unit 2 switched in (its stream #3);
        # unit 0 (repaired 1h45) stands by. hit2 at 5h takes units 0 (idle) and 1 (active):
        # unit 3 is switched in (its stream #4)
        assert [t for t, *_ in events(r, "switchover_done")] == [
            pytest.approx(1 * H + first), pytest.approx(5 * H + second)]


def test_a_repair_before_the_switchover_ends_abandons_it_with_the_reason():
    r = simulate(parse(STANDBY.replace("ttr: 45m", "ttr: 15m").replace("UNITS", "1")
                       .replace("SUCCESS", "100%").replace("SEED", "0")))
    # unit 0 hit at 1h: the switchover onto standby unit 2 starts (30m, would end 1h30);
    # unit 0 is repaired at 1h15 and takes its slot back first: the switchover is abandoned
    assert events(r, *SWITCH_KINDS) == [
        (1 * H, "switchover_started", "a.pump", "standby unit 2, takes 1800s"),
        (1.25 * H, "switchover_abandoned", "a.pump",
         "standby unit 2: unit 0 back in service first (repaired)")]
    assert r.metrics.groups["users"].downtime_s == 15 * M


AGEING = """
drsim: 1
name: ageing
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, random_failures: RANDOM}
sites:
  a:
    components:
      pump: {count: 2, ttf: 10h, ttr: 1h, standby: {units: 1}}
services:
  svc: {requires: [pump], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
"""


@pytest.mark.parametrize(("random", "downs"), [
    # ttf 10h applies only with random failures: active unit 0 fails at 10h (cold standby
    # unit 1, switched in at once, has not aged: it fails 10h later, at 20h; unit 0, repaired
    # 10h-11h, has stood by cold since)
    (True, [10 * H, 20 * H]),
    (False, [])])
def test_a_standby_component_fails_by_its_ttf_only_with_random_failures(random, downs):
    r = simulate(parse(AGEING.replace("RANDOM", str(random).lower())))
    assert [t for t, *_ in events(r, "component_down")] == downs



def test_a_retime_half_a_second_before_the_due_failure_keeps_the_half_second():
    text = (AGEING.replace("RANDOM", "true").replace("horizon: 1d", "horizon: 12h")
            .replace("count: 2, ttf: 10h", "count: 3, ttf: 36000.5s")
            + "disruptions:\n  - {id: d, at: 10h, targets: [{component: a.pump, units: 1}], "
              "until: repaired}\n")
    r = simulate(parse(text))
    # active units 0 and 1 both due at 36000.5 s; cold standby 2. d hits unit 0 at 36000 s
    # (10h): standby 2 switches in at once, and the change of roles re-times the ageing of
    # unit 1: 36000.5 - 36000 = 0.5 s left at speed 1, so it fails at 36000.5 s
    assert [t for t, *_ in events(r, "component_down")] == [36000.0, 36000.5]


POWER_STANDBY = """
drsim: 1
name: power-standby
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites:
  a:
    components:
      pump: {count: 3, ttr: 1h, standby: {units: 1, switchover: 30m}}
services:
  svc: {requires: [pump], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
disruptions:
  - {id: p, at: 1h, targets: [{power: a}], duration: 2h}
"""


def test_a_power_loss_leaves_no_standby_unit_to_switch_in():
    r = simulate(parse(POWER_STANDBY))
    # p takes all three units down at 1h, the idle standby unit 2 too: the vacancies of the
    # active units 0 and 1 find no standby unit up (recorded once), no switchover starts.
    # Power returns at 3h (no restart time): units 0 and 1 take their slots back, unit 2
    # stands by again. Needed 2 (the active ones): down 1h-3h
    assert events(r, *SWITCH_KINDS) == [
        (1 * H, "switchover_impossible", "a.pump", "no standby unit left; waiting for a repair")]
    assert [t for t, *_ in events(r, "component_up")] == [3 * H] * 3
    assert r.metrics.groups["users"].downtime_s == 2 * H


TWO_REBUILDS = """
drsim: 1
name: two-rebuilds
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites:
  a:
    components:
      box: {count: 2, ttr: 5h}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  fix:
    trigger: detected
    steps:
      - {id: r, duration: 10m, effects: [{rebuild: {site: a, component: box, units: 1}},
                                         {rebuild: {site: a, component: box, units: 1}}]}
disruptions:
  - {id: d, at: 1h, targets: [{component: a.box}], until: repaired}
"""


def test_two_rebuilds_in_one_instant_bring_up_two_different_units():
    r = simulate(parse(TWO_REBUILDS))
    # both units down at 1h, detected by the 1h check; the step ends at 1h10 with two
    # rebuilds of one unit each: the first brings up unit 0, the second (same instant) the
    # next unit still down, unit 1. Without the second the box would wait for its 6h repair.
    assert [(t, d) for t, _, _, d in events(r, "component_up")] == [
        (1 * H + 10 * M, "rebuilt by fix.r; 1 units still down"),
        (1 * H + 10 * M, "rebuilt by fix.r")]
    assert r.metrics.groups["users"].downtime_s == 10 * M


RESTART_ORDER = """
drsim: 1
name: restart-order
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites:
  a:
    components:
      disk: {count: 1, ttr: 1h, RESTART}
      fan: {count: 1, ttr: 1h}
services:
  svc: {requires: [fan, disk], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
disruptions:
  - {id: p, at: 1h, targets: [{power: a}], duration: 1h}
"""


@pytest.mark.parametrize("restart", ["restart: 0s", "ttf: 1000d"])
def test_a_zero_restart_is_no_restart_at_all(restart):
    r = simulate(parse(RESTART_ORDER.replace("RESTART", restart)))
    # power back at 2h: with no restart time (0s, or none given) each unit is up in the very
    # step power returns, in the order the units went down (disk, then fan); a zero wait
    # would let the fan come up first
    assert [(t, s) for t, _, s, _ in events(r, "component_up")] == [
        (2 * H, "a.disk"), (2 * H, "a.fan")]
