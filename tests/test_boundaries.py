"""Boundaries, computed by hand: a value exactly at a limit, and one unit past it.

For each rule whose documentation (docs/scenario-format.md, docs/metrics.md) says "within",
"at most", "at least", "≤" or "inside", the case exactly at the limit and the case one unit
(a customer, a second, a millisecond, a unit) on the other side. Times are seconds since the
scenario start (00:00 UTC, Tuesday 10 March 2026); the arithmetic is in the comments.
"""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0
DAY = 24 * H


def spells(r, group, what):
    """A group's spells lacking `what`, as (start, end) seconds (end None: open)."""
    return [(i.start_s, i.end_s) for i in r.intervals if i.subject == group and i.what == what]


def met(r):
    return {(o.id, o.kind): o.met for o in r.metrics.objectives}


def achieved(r):
    return {(o.id, o.kind): o.achieved for o in r.metrics.objectives}


def one_box(name: str, horizon: str, box: str = "{count: 1}", rest: str = "") -> str:
    """Scenario text: site a with one component `box` that service voice requires, and 100
    users who enter at a and live there; `rest` adds sections."""
    return f"""
drsim: 1
name: {name}
simulation: {{start: "2026-03-10T00:00", timezone: UTC, horizon: {horizon}}}
sites:
  a:
    components:
      box: {box}
services:
  voice: {{requires: [box], active: [a]}}
customers:
  users: {{count: 100, access: a, home: a, services: [voice]}}
""" + rest


# ---- site capacity: "the group's whole count fits within the site's capacity" ---------------

CAPACITY = """
drsim: 1
name: capacity
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {capacity: CAP}
services:
  voice: {active: [a]}
customers:
  first: {count: 600, access: a, home: a, services: [voice], priority: 1}
  second: {count: SECOND, access: a, home: a, services: [voice], priority: 2}
"""


def test_demand_exactly_at_site_capacity_is_served():
    r = simulate(parse(CAPACITY.replace("CAP", "1000").replace("SECOND", "400")))
    # 600 + 400 = 1000 ≤ 1000: both served, all day; nothing lacks anything, no incident
    assert r.intervals == () and r.metrics.incidents == 0
    assert r.metrics.customer_minutes_lost == 0


@pytest.mark.parametrize(("cap", "second"), [(999, 400), (1000, 401)])
def test_one_customer_over_site_capacity_sheds_the_lowest_priority_group(cap, second):
    r = simulate(parse(CAPACITY.replace("CAP", str(cap)).replace("SECOND", str(second))))
    # 600 + 400 = 1000 > 999, or 600 + 401 = 1001 > 1000: 'first' (priority 1) is placed
    # first and fits; 'second' would overflow, is never split, so lacks voice all day
    assert spells(r, "first", "voice") == []
    assert spells(r, "second", "voice") == [(0.0, None)]
    assert r.metrics.groups["second"].downtime_s == DAY
    assert r.metrics.customer_minutes_lost == second * 24 * 60


# ---- serves: "a site serves at most (units up × serves) customers" ---------------------------

SERVES = """
drsim: 1
name: serves
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      servers: {count: 2, needed: 1, serves: 500}
services:
  voice: {requires: [servers], active: [a]}
customers:
  big: {count: 600, access: a, home: a, services: [voice], priority: 1}
  small: {count: SMALL, access: a, home: a, services: [voice], priority: 2}
disruptions:
  - {id: one-down, at: 1h, targets: [{component: a.servers, units: 1}], duration: 2h}
"""


def test_demand_exactly_at_units_times_serves():
    r = simulate(parse(SERVES.replace("SMALL", "400")))
    # 2 units × 500 = 1000 slots = 600 + 400: both served until 1h.
    # 1h-3h: 1 unit × 500 = 500 slots: big (600 > 500) is out; small (400 ≤ 500) fits;
    # exactly at the step back to 2 units (3h) big returns: 1000 = 600 + 400 again
    assert spells(r, "big", "voice") == [(1 * H, 3 * H)]
    assert spells(r, "small", "voice") == []


def test_small_group_exactly_filling_one_units_slots_stays_served():
    r = simulate(parse(SERVES.replace("SMALL", "500")))
    # with 2 units: 600 + 500 = 1100 > 1000, so small (priority 2) is out from the start
    # until 1h; 1h-3h: 500 slots, big 600 > 500 out, small 500 ≤ 500 in (exactly full);
    # from 3h: 1000 slots, big back in (600), small → 1100 > 1000 out again
    assert spells(r, "big", "voice") == [(1 * H, 3 * H)]
    assert spells(r, "small", "voice") == [(0.0, 1 * H), (3 * H, None)]


# ---- k-of-n: "the component works while at least `needed` of its `count` units are up" -----

K_OF_N = """
drsim: 1
name: k-of-n
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      disks: {count: 3, needed: 2}
services:
  store: {requires: [disks], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [store]}
disruptions:
  - {id: hit, at: 2h, targets: [{component: a.disks, units: UNITS}], duration: 30m}
"""


def test_exactly_k_units_up_keeps_the_component_working():
    r = simulate(parse(K_OF_N.replace("UNITS", "1")))
    # 3 − 1 = 2 up = needed: the service stays healthy; no customer outage, no incident.
    # Full recovery is lost though: the home site lacks a unit for 30 min
    assert spells(r, "users", "store") == [] and r.metrics.incidents == 0
    assert spells(r, "users", "full") == [(2 * H, 2 * H + 30 * M)]


def test_one_unit_below_k_stops_the_component():
    r = simulate(parse(K_OF_N.replace("UNITS", "2")))
    # 3 − 2 = 1 up < 2 needed: down 2h → 2h30m
    assert spells(r, "users", "store") == [(2 * H, 2 * H + 30 * M)]
    assert r.metrics.groups["users"].downtime_s == 30 * M


# ---- latency budget: "its one-way latency is within the service's latency_budget" ------------

LATENCY = """
drsim: 1
name: latency
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {}
access_points:
  pop: {}
  mid: {}
links:
  pop-mid: {a: pop, b: mid, latency: 100ms}
  mid-a: {a: mid, b: a, latency: 200ms}
services:
  voice: {active: [a], latency_budget: BUDGET}
customers:
  users: {count: 100, access: pop, home: a, services: [voice]}
"""


def test_latency_exactly_at_the_budget_is_served():
    # 100 ms + 200 ms = 300 ms ≤ 300 ms (in binary floating point 0.1 + 0.2 is
    # 0.30000000000000004 > 0.3: the comparison must not see that)
    r = simulate(parse(LATENCY.replace("BUDGET", "300ms")))
    assert spells(r, "users", "voice") == [] and r.metrics.incidents == 0


def test_latency_one_millisecond_over_the_budget_is_not_served():
    r = simulate(parse(LATENCY.replace("BUDGET", "299ms")))
    # 300 ms > 299 ms: never reachable within budget, down all day
    assert spells(r, "users", "voice") == [(0.0, None)]


# ---- objectives: rto ≤ target, rpo ≤ target, availability ≥ target (docs/metrics.md) ---------

OBJECTIVES = one_box("objectives", "50h", rest="""
disruptions:
  - {id: out, at: 1h, targets: [{component: a.box}], duration: 30m}
objectives:
  - {id: svc-at, service: voice, rto: 30m}
  - {id: svc-under, service: voice, rto: 29m59s}
  - {id: svc-over, service: voice, rto: 30m1s}
  - {id: grp-at, group: users, rto: 1800s}
  - {id: grp-under, group: users, rto: 1799s}
  - {id: all-at, rto: 30m, availability: 99%}
  - {id: avail-above, group: users, availability: "99.0001%"}
  - {id: avail-below, group: users, availability: "98.9999%"}
""")


def test_objectives_exactly_at_their_targets_are_met_and_one_unit_past_are_breached():
    r = simulate(parse(OBJECTIVES))
    # the box is out 1h → 1h30m: the incident and the loss of voice both span 1800 s, so
    # every rto achieved is 1800 s; downtime 1800 s of a 50 h = 180000 s horizon gives
    # availability 1 − 1800 / 180000 = 1 − 0.01 = 0.99 exactly
    assert r.metrics.groups["users"].rto_basic_s == 1800.0
    got = achieved(r)
    assert got[("svc-at", "rto")] == got[("grp-at", "rto")] == 1800.0
    assert got[("all-at", "availability")] == 0.99
    assert met(r) == {
        ("svc-at", "rto"): True,  # 1800 ≤ 1800
        ("svc-under", "rto"): False,  # 1800 > 1799
        ("svc-over", "rto"): True,  # 1800 ≤ 1801
        ("grp-at", "rto"): True,  # 1800 ≤ 1800
        ("grp-under", "rto"): False,  # 1800 > 1799
        ("all-at", "rto"): True,
        ("all-at", "availability"): True,  # 0.99 ≥ 0.99
        ("avail-above", "availability"): False,  # 0.99 < 0.990001
        ("avail-below", "availability"): True,  # 0.99 ≥ 0.989999
    }


# ---- RPO: backups every interval, "t_fail mod interval" lost ---------------------------------

RPO = """
drsim: 1
name: rpo
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      box: {count: 1}
  b:
    components:
      box: {count: 1}
access_points:
  pop: {}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  db:
    requires: [box]
    active: [a]
    standby: {sites: [b], mode: cold}
    REPLICATION
customers:
  users: {count: 100, access: pop, home: a, services: [db]}
detection: {interval: 1m, failed_checks: 1}
disruptions:
  - {id: loss, at: AT, targets: [{site: a}], duration: 12h}
runbooks:
  failover:
    steps:
      - id: go
        duration: 10m
        effects: [{activate: {service: db, site: b}}, {move: {to: b}}]
objectives:
  - {id: at-interval, service: db, rpo: 1h}
  - {id: at-loss, service: db, rpo: 59m59s}
  - {id: under-loss, service: db, rpo: 59m58s}
"""
LEGACY = "replication: {mode: backup, to: b, interval: 1h}"
TIER = "protection: [{id: hourly, kind: backup, schedule: {every: 1h}, at: b}]"


@pytest.mark.parametrize("replication", [LEGACY, TIER], ids=["replication", "protection"])
def test_failure_one_second_before_the_next_backup_loses_interval_minus_one_second(
        replication):
    r = simulate(parse(RPO.replace("REPLICATION", replication).replace("AT", "2h59m59s")))
    # backups at 0h, 1h, 2h, ...; failure at 2h59m59s: 10799 mod 3600 = 3599 s lost
    assert r.metrics.data_lost_s["db"] == 3599.0
    assert met(r) == {("at-interval", "rpo"): True,  # 3599 ≤ 3600: never breached
                      ("at-loss", "rpo"): True,  # 3599 ≤ 3599
                      ("under-loss", "rpo"): False}  # 3599 > 3598


@pytest.mark.parametrize("replication", [LEGACY, TIER], ids=["replication", "protection"])
def test_failure_exactly_at_a_backup_instant_loses_nothing(replication):
    r = simulate(parse(RPO.replace("REPLICATION", replication).replace("AT", "3h")))
    # failure at 3h = 10800 s: 10800 mod 3600 = 0; the 3h backup (taking no time) has
    # finished at that instant, so nothing is lost
    assert r.metrics.data_lost_s["db"] == 0.0
    assert all(met(r).values())


@pytest.mark.parametrize(("limit", "outcome"), [("3599s", "not needed"), ("3598s", "ok")])
def test_data_lost_exactly_at_a_branch_limit_is_not_above_it(limit, outcome):
    step = ("      - {id: tell, after: [go], duration: 1m, when: {data_lost_above: {db: LIMIT}}}\n"
            .replace("LIMIT", limit))
    text = RPO.replace("REPLICATION", LEGACY).replace("AT", "2h59m59s")
    text = text.replace("{move: {to: b}}]\n", "{move: {to: b}}]\n" + step)
    r = simulate(parse(text))
    # the failover's move at 3h10m books 3599 s lost (as above); the next step, ready at that
    # same instant, branches on "lost more than the limit": 3599 > 3599 is false (not
    # needed), 3599 > 3598 is true (runs)
    assert [(s.step, s.start_s, s.outcome) for s in r.steps] == [
        ("go", 3 * H, "ok"), ("tell", 3 * H + 10 * M, outcome)]


# ---- maintenance window edge: a step "must start inside this window" -------------------------

WINDOW = one_box("window", "3d", box="{count: 1, ttr: 30d}", rest="""
detection: {interval: INTERVAL, failed_checks: 1}
maintenance_windows:
  night: {days: all, hours: "02:00-05:00"}
disruptions:
  - {id: out, at: AT, targets: [{component: a.box}], until: repaired}
runbooks:
  fix:
    trigger: detected
    steps:
      - id: reboot
        duration: 10m
        requires: {window: night}
        effects: [{rebuild: {site: a, component: box}}]
""")


def _reboot(r):
    (step,) = [s for s in r.steps if s.step == "reboot"]
    return step.start_s, step.end_s


def test_step_ready_exactly_when_the_window_opens_starts_at_once():
    # fault at 02:00 = 7200 s, a check time (multiples of 1m), failed_checks 1: alert at
    # once, the runbook starts at 02:00 and the window opens at 02:00: inside → 02:00-02:10
    sc = parse(WINDOW.replace("AT", "2h").replace("INTERVAL", "1m"))
    r = simulate(sc)
    assert _reboot(r) == (2 * H, 2 * H + 10 * M)
    assert spells(r, "users", "voice") == [(2 * H, 2 * H + 10 * M)]


def test_step_ready_exactly_when_the_window_closes_waits_for_the_next_one():
    # fault and alert at 05:00 = 18000 s, when the 02:00-05:00 window closes: not inside
    # (the span is [02:00, 05:00)), so the step waits for tomorrow's 02:00 = 26 h
    sc = parse(WINDOW.replace("AT", "5h").replace("INTERVAL", "1m"))
    r = simulate(sc)
    assert _reboot(r) == (26 * H, 26 * H + 10 * M)
    assert spells(r, "users", "voice") == [(5 * H, 26 * H + 10 * M)]


def test_step_ready_one_second_before_the_window_closes_starts_at_once():
    # checks every second here, so the fault at 04:59:59 = 17999 s is alerted at once; the
    # step starts 04:59:59, inside [02:00, 05:00), and ends 05:09:59, after the window
    # closed: only the start must be inside the window
    sc = parse(WINDOW.replace("AT", "4h59m59s").replace("INTERVAL", "1s"))
    r = simulate(sc)
    start = 5 * H - 1
    assert _reboot(r) == (start, start + 10 * M)


# ---- shift boundary: on shift at the start of a shift, off shift at its end ------------------

SHIFT = one_box("shift", "3d", box="{count: 1, ttr: 1h, repair_role: tech}", rest="""
staff:
  tech: {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 2h}
disruptions:
  - {id: out, at: AT, targets: [{component: a.box}], until: repaired}
""")


def _repair(at: str) -> tuple[tuple[float, float], list[float]]:
    r = simulate(parse(SHIFT.replace("AT", at)))
    (lost,) = spells(r, "users", "voice")
    callouts = [e.time_s for e in r.timeline if e.kind == "callout"]
    return lost, callouts


def test_repair_needed_exactly_at_shift_start_needs_no_callout():
    # 09:00 is inside [09:00, 17:00): the tech is at work, repairs 09:00-10:00
    assert _repair("9h") == ((9 * H, 10 * H), [])


def test_repair_needed_exactly_at_shift_end_calls_out():
    # 17:00 is not inside [09:00, 17:00): call-out, arriving after 2 h (sooner than
    # tomorrow's 09:00) → 19:00, repair 19:00-20:00
    assert _repair("17h") == ((17 * H, 20 * H), [17 * H])


def test_callout_arriving_exactly_at_shift_start():
    # needed at 07:00, off shift: the call-out takes 2 h and the shift starts in 2 h — both
    # 09:00; repair 09:00-10:00
    assert _repair("7h") == ((7 * H, 10 * H), [7 * H])


def test_callout_one_second_before_shift_start_is_the_shift_start():
    # needed at 07:00:01: call-out would arrive 09:00:01, the shift starts at 09:00 (sooner)
    assert _repair("7h0m1s") == ((7 * H + 1, 10 * H), [7 * H + 1])


# ---- detection: "with the fault at a check time the time to detect is (failed_checks−1) ×
# interval" ----------------------------------------------------------------------------------

DETECT = one_box("detect", "1d", rest="""
detection: {interval: 1m, failed_checks: 3}
disruptions:
  - {id: out, at: AT, targets: [{component: a.box}], duration: LASTS}
""")


def test_fault_exactly_at_a_check_time_is_seen_by_that_check():
    r = simulate(parse(DETECT.replace("AT", "1h").replace("LASTS", "1h")))
    # checks at 1h, 1h1m, 1h2m find it: ttd = (3 − 1) × 60 = 120 s
    assert r.metrics.ttd_s == 120.0


def test_fault_one_second_after_a_check_waits_for_the_next():
    r = simulate(parse(DETECT.replace("AT", "1h0m1s").replace("LASTS", "1h")))
    # first check at 1h1m (59 s later), then 1h2m, 1h3m: ttd = 3m − 1s = 179 s
    assert r.metrics.ttd_s == 179.0


def test_outage_ending_exactly_at_the_alerting_check_is_not_detected():
    r = simulate(parse(DETECT.replace("AT", "1h").replace("LASTS", "2m")))
    # out 1h → 1h2m: checks at 1h and 1h1m fail; at 1h2m service is back (the interval
    # ends at 1h2m), so the third check passes and nothing is detected
    assert r.metrics.incidents == 1 and r.metrics.ttd_s is None


def test_availability_exactly_at_target_is_met_despite_binary_rounding():
    text = (OBJECTIVES.replace("horizon: 50h", "horizon: 1d")
            .replace("duration: 30m", "duration: 1h40m48s")
            .replace("availability: 99%}", "availability: 93%}")
            .replace('"99.0001%"', '"93.0001%"'))
    r = simulate(parse(text))
    # down 1h40m48s = 6048 s of 86400 s = 7% exactly, so availability is 93% = the target.
    # In binary floating point 1 − 6048/86400 is 0.9299999999999999 < 0.93: the comparison
    # must count a value within rounding error of the target as equal (it used to breach)
    assert r.metrics.groups["users"].downtime_s == 6048.0
    assert met(r)[("all-at", "availability")] is True  # 0.93 ≥ 0.93
    assert met(r)[("avail-above", "availability")] is False  # 0.93 < 0.930001
    assert achieved(r)[("all-at", "availability")] == pytest.approx(0.93, abs=1e-15)


def test_rto_with_no_incident_is_met_with_zero():
    text = OBJECTIVES.replace("disruptions:\n  - {id: out, at: 1h, targets: [{component: a.box}], "
                              "duration: 30m}\n", "").replace("rto: 30m}", "rto: 1s}")
    r = simulate(parse(text))
    # nothing fails: "an rto with no incident in the run is met with 0"; 0 ≤ 1 s (the
    # smallest target the format accepts: an rto must be > 0)
    assert r.metrics.incidents == 0
    assert achieved(r)[("svc-at", "rto")] == 0.0 and met(r)[("svc-at", "rto")] is True
