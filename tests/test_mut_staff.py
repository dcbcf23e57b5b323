"""Staff: call-out, the call-out hold (exact at its boundary), who a page reaches, and several
roles held for one step. Timelines computed by hand; times are seconds since the start."""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

# Tue 2026-03-10 09:00 start; the tech works 09:00-17:00 every day, off shift otherwise.
HOLD = """
drsim: 1
name: hold
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      box: {count: 1, ttr: 20m, repair_role: tech}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  tech: {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 30m, callout_hold: 1h}
disruptions:
  - {id: f1, at: 11h, targets: [{component: a.box}], until: repaired}
  - {id: f2, at: 12h, targets: [{component: a.box}], until: repaired}
  - {id: f3, at: AT3, targets: [{component: a.box}], until: repaired}
"""


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def test_callout_hold_keeps_the_person_until_it_ends_then_calls_out_again():
    r = simulate(parse(HOLD.replace("AT3", "12h30m")))
    # f1 20:00: tech off shift, called out, arrives 20:30, repairs to 20:50; called in until
    #   20:00 + 30m + 1h hold = 21:30.
    # f2 21:00: still called in (21:30 > 21:00) → repair 21:00-21:20, no call-out.
    # f3 21:30: the hold has just ended (21:30 is not before 21:30) → call-out, 21:30 →
    #   arrives 22:00, repaired 22:20.
    assert events(r, "callout") == [
        (11 * H, "callout", "tech#1", "off shift; arrives in 30 min"),
        (12.5 * H, "callout", "tech#1", "off shift; arrives in 30 min")]
    assert [(t, d) for t, _, _, d in events(r, "component_up")] == [
        (11 * H + 50 * M, "repaired by tech#1"), (12 * H + 20 * M, "repaired by tech#1"),
        (13 * H + 20 * M, "repaired by tech#1")]
    # down 20m + 20m + 50m (f1 waited for the call-out; f3 too)
    assert r.metrics.groups["users"].downtime_s == 50 * M + 20 * M + 50 * M


def test_callout_hold_one_second_earlier_still_covers_the_third_fault():
    r = simulate(parse(HOLD.replace("AT3", "12h29m59s")))
    # f3 at 21:29:59, one second before the hold ends: no call-out, repaired 21:49:59
    assert [t for t, *_ in events(r, "callout")] == [11 * H]
    assert [t for t, *_ in events(r, "component_up")][-1] == 12 * H + 49 * M + 59


PAGE = """
drsim: 1
name: page
simulation: {start: "2026-03-10T03:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 2h}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  ops:
    rotations:
      - {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 40m}
      - {count: 1, shift: {days: all, hours: "17:00-09:00"}, callout: 10m}
  mgr: {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 25m}
detection: {interval: 1m, failed_checks: 1, page: ops, ack_delay: 2m, declare_delay: 3m,
            declare_role: mgr}
disruptions:
  - {id: f, at: 0s, targets: [{component: a.box}], until: repaired}
"""


def test_page_reaches_the_rota_on_shift_and_the_declare_role_is_called_out():
    r = simulate(parse(PAGE))
    inc = r.incidents[0]
    # fault at 03:00, the instant of the first check (t=0): alert at 0 with 1 failed check.
    # 03:00 is the night rota's shift: ops#2 is paged (no call-out), answers after 2m.
    assert inc.detected_s == 0
    assert events(r, "paged") == [(0.0, "paged", "ops#2", "")]
    assert events(r, "acknowledged") == [(2 * M, "acknowledged", "incident 1", "by ops#2")]
    # mgr (09:00-17:00) is off shift at 03:02: called out, 25m (sooner than 09:00);
    # declared at 2m + 3m decision + 25m = 30m
    assert events(r, "callout") == [(2 * M, "callout", "mgr#1", "off shift; arrives in 25 min")]
    assert inc.declared_s == 30 * M


def test_a_page_to_an_off_shift_role_calls_its_first_person_out():
    # nobody of ops is on shift at 03:00 when the night rota is also a day rota: ops#1 is paged
    # and called out (40m); the answer comes 2m + 40m after the page
    sc = parse(PAGE.replace('hours: "17:00-09:00"}, callout: 10m', 'hours: "10:00-17:00"}, '
                            'callout: 10m'))
    r = simulate(sc)
    assert events(r, "paged") == [(0.0, "paged", "ops#1", "")]
    assert events(r, "callout")[0] == (0.0, "callout", "ops#1", "off shift; arrives in 40 min")
    assert r.incidents[0].acknowledged_s == 42 * M


TWO_ROLES = """
drsim: 1
name: roles
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 5h}}}
  b: {components: {box: {count: 1}}}
links:
  a-b: {a: a, b: b, latency: 1ms}
services:
  svc: {requires: [box], active: [a], standby: {sites: [b]}}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  net: {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 50m}
  dba: {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 20m}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  fo:
    steps:
      - {id: s1, duration: 10m, roles: [net, dba]}
      - {id: s2, after: [s1], duration: 5m, roles: [dba],
         effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]}
disruptions:
  - {id: f, at: 11h, targets: [{component: a.box}], until: repaired}
"""


def test_a_step_with_two_off_shift_roles_waits_for_the_slower_call_out():
    r = simulate(parse(TWO_ROLES))
    # fault 20:00 = alert = declaration (no delays). s1 needs dba and net (acquired in sorted
    # order): both called out, 20m and 50m; s1 starts at the later arrival, 20:50, ends 21:00;
    # s2 (dba, still called in) 21:00-21:05
    assert [(t, s) for t, _, s, _ in events(r, "callout")] == [(11 * H, "dba#1"),
                                                                (11 * H, "net#1")]
    s1, s2 = r.steps[:2]
    assert (s1.start_s, s1.end_s, s1.who, s1.waited_s) == (
        11 * H + 50 * M, 12 * H, ("dba#1", "net#1"), 50 * M)
    assert (s2.start_s, s2.end_s, s2.who) == (12 * H, 12 * H + 5 * M, ("dba#1",))
    assert r.metrics.rto_basic_s == 65 * M


def test_a_one_second_call_out_still_delays_the_repair():
    r = simulate(parse(HOLD.replace("callout: 30m", "callout: 1s").replace("AT3", "20h")))
    # f1 20:00: tech called out, arrives 20:00:01, repaired 20:20:01
    assert [t for t, *_ in events(r, "component_up")][0] == 11 * H + 20 * M + 1


REBUILT = """
drsim: 1
name: rebuilt
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      box: {count: 1, ttr: 20m, repair_role: tech}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  tech: {count: 1, shift: {days: all, hours: "09:00-17:00"}, callout: 30m}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  fix:
    trigger: detected
    steps:
      - {id: r, duration: 10m, when: {hours: "20:00-20:05"},
         effects: [{rebuild: {site: a, component: box}}]}
disruptions:
  - {id: f1, at: 11h, targets: [{component: a.box}], until: repaired}
  - {id: f2, at: 11h15m, targets: [{component: a.box}], until: repaired}
"""


def test_a_rebuild_during_the_call_out_releases_the_technician():
    r = simulate(parse(REBUILT))
    # f1 20:00: tech#1 called out (arrives 20:30); the runbook rebuilds the unit at 20:10,
    # while the repair still waits for them: tech#1 is released (and stays called in).
    # f2 20:15: the step is not needed now; tech#1, called in, repairs at once 20:15-20:35
    assert [(t, d) for t, _, _, d in events(r, "component_up")] == [
        (11 * H + 10 * M, "rebuilt by fix.r"), (11 * H + 35 * M, "repaired by tech#1")]
    assert [t for t, *_ in events(r, "callout")] == [11 * H]
