"""Deterministic drills whose timelines are computed by hand, asserted to the second.

Every scenario here has fixed durations; the comment above each expectation shows the
arithmetic. Times are seconds since the scenario start.
"""

from __future__ import annotations

import textwrap

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: {name}
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: 2d, seed: 3}}
sites:
  a:
    capacity: {cap_a}
    components:
      box: {{count: 1, ttr: {ttr}}}
  b: {{capacity: {cap_b}, components: {{box: {{count: 1, ttr: 1h}}}}}}
links:
  a-b: {{a: a, b: b, latency: 10ms, bandwidth: 1Gbps}}
services:
  svc:
    requires: [box]
    active: [a]
    standby: {{sites: [b], mode: cold}}
customers:
  users: {{count: 100, access: a, home: a, services: [svc]}}
staff:
  eng: {{count: 1, shift: {shift}, callout: 45m}}
detection: {{interval: 5m, failed_checks: 2, ack_delay: 4m, declare_delay: 6m}}
maintenance_windows:
  night: {{days: all, hours: "23:00-02:00"}}
runbooks:
  failover:
    trigger: declared
    steps:
      - {{id: prepare, duration: 10m, roles: {roles}}}
      - id: switch
        after: [prepare]
        duration: 15m
        roles: {roles}
        effects:
          - activate: {{service: svc, site: b}}
          - move: {{groups: [users], to: b}}
  failback:
    trigger: {{after: failover}}
    steps:
      - id: back
        duration: 5m
        requires: {{site_healthy: [a]{window}}}
        effects:
          - move: {{groups: all, to: home}}
          - deactivate: {{service: svc, site: b}}
disruptions:
  - {{id: fault, at: {at}, targets: [{{component: a.box}}], until: repaired}}
objectives:
  - {{id: rto, service: svc, rto: 45m}}
  - {{id: avail, group: users, availability: 98%}}
"""


def drill(**kw: object):
    values = dict(name="t", cap_a="null", cap_b="null", ttr="3h", shift="24x7", roles="[]",
                  window="", at="1h2m")
    values.update({k: str(v) for k, v in kw.items()})
    return simulate(parse(BASE.format(**values)))


def kinds(result, kind):
    return [e.time_s for e in result.timeline if e.kind == kind]


def test_failover_and_failback_exact_to_the_second():
    r = drill()
    t0 = 1 * H + 2 * M  # 10:02 fault
    inc = r.incidents[0]
    assert inc.start_s == t0
    # checks every 5 min from 09:00: 10:05 fails, 10:10 fails → alert on the 2nd
    assert inc.detected_s == 1 * H + 10 * M
    assert inc.acknowledged_s == inc.detected_s + 4 * M  # 10:14
    assert inc.declared_s == inc.acknowledged_s + 6 * M  # 10:20
    # prepare 10:20-10:30, switch 10:30-10:45 → service at b at 10:45
    assert [(s.step, s.start_s, s.end_s) for s in r.steps[:2]] == [
        ("prepare", 1 * H + 20 * M, 1 * H + 30 * M), ("switch", 1 * H + 30 * M, 1 * H + 45 * M)]
    m = r.metrics
    assert m.ttd_s == 8 * M
    assert m.rto_basic_s == 43 * M  # 10:02 → 10:45
    # box repaired 10:02 + 3h = 13:02; failback 'back' 13:02-13:07 → home, full redundancy
    assert r.steps[2].start_s == 4 * H + 2 * M and r.steps[2].end_s == 4 * H + 7 * M
    assert m.rto_full_s == 3 * H + 5 * M
    assert inc.end_s == 4 * H + 7 * M
    assert m.customer_minutes_lost == pytest.approx(100 * 43)
    assert m.groups["users"].availability == pytest.approx(1 - 43 * M / (48 * H))
    assert [(o.id, o.achieved, o.met) for o in m.objectives] == [
        ("rto", 43 * M, True), ("avail", pytest.approx(1 - 43 * M / (48 * H)), True)]
    outages = [(i.what, i.start_s, i.end_s) for i in r.outages]
    assert outages == [("svc", t0, 1 * H + 45 * M)]


def test_failback_waits_for_a_window_across_midnight():
    r = drill(window=", window: night")
    # repaired 13:02; the 23:00-02:00 window opens at 23:00 → back 23:00-23:05
    back = r.steps[2]
    assert (back.start_s, back.end_s) == (14 * H, 14 * H + 5 * M)
    assert r.metrics.rto_full_s == 14 * H + 5 * M - (1 * H + 2 * M)


def test_failback_inside_the_window_after_midnight_starts_at_once():
    # fault at 22:30 (13h30m), repaired 01:30 next day: the window opened at 23:00 and is
    # still open after midnight, so 'back' runs 01:30-01:35.
    r = drill(window=", window: night", at="13h30m")
    back = r.steps[2]
    assert back.start_s == 16 * H + 30 * M
    assert back.end_s == 16 * H + 35 * M


def test_off_shift_callout_delays_the_first_step_once():
    # fault Tue 20:00 (11h after 09:00): eng is off shift (business hours), called out 45m.
    r = drill(shift="business_hours", roles="[eng]", at="11h")
    inc = r.incidents[0]
    # a check at the very instant of the fault sees it: checks 20:00, 20:05 → alert 20:05;
    # +4m ack, +6m decision → declared 20:15
    assert inc.declared_s == 11 * H + 15 * M
    prepare, switch = r.steps[:2]
    assert prepare.start_s == inc.declared_s + 45 * M  # arrives after the call-out delay
    assert prepare.waited_s == 45 * M
    assert switch.start_s == prepare.end_s  # already called in: no second call-out
    assert r.metrics.rto_basic_s == (prepare.start_s + 25 * M) - 11 * H
    assert [e.subject for e in r.timeline if e.kind == "callout"] == ["eng#1"]


def test_callout_ends_at_shift_start_when_that_is_sooner():
    # fault Wed 08:20 (23h20m): checks 08:20, 08:25 → alert 08:25, ack 08:29, declared 08:35;
    # the shift starts at 09:00 (25m) before a 45m call-out would bring eng in.
    r = drill(shift="business_hours", roles="[eng]", at="23h20m")
    assert r.incidents[0].declared_s == 23 * H + 35 * M
    assert r.steps[0].start_s == 24 * H  # Wed 09:00


def test_capacity_short_standby_leaves_lowest_priority_down():
    sc = parse(textwrap.dedent("""
        drsim: 1
        name: capacity
        simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
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
    """))
    r = simulate(sc)
    # active-active: at 10:00 a goes dark; b takes g1 (100 ≤ 150) then g3 (130 ≤ 150);
    # g2 would make 200 > 150 and stays down until a is back at 12:00.
    g = r.metrics.groups
    assert g["g1"].downtime_s == 0 and g["g3"].downtime_s == 0
    assert g["g2"].downtime_s == 2 * H
    assert r.metrics.customer_minutes_lost == pytest.approx(100 * 120)
    assert r.metrics.rto_basic_s == 2 * H
    assert r.incidents[0].end_s == 3 * H


def test_spares_staff_and_k_of_n_repair():
    sc = parse("""
        drsim: 1
        name: spares
        simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
        sites:
          a:
            components:
              box:
                count: 2
                needed: 1
                ttr: 1h
                repair_role: tech
                spare: {stock: 0, lead_time: 2h}
        services:
          svc: {requires: [box], active: [a]}
        customers:
          g: {count: 10, access: a, home: a, services: [svc]}
        staff:
          tech: {count: 1}
        disruptions:
          - {id: both, at: 1h, targets: [{component: a.box}], until: repaired}
    """)
    r = simulate(sc)
    # 10:00 both units fail and spares are ordered; both arrive 12:00; one tech repairs
    # unit 1 12:00-13:00 (service back, k=1) and unit 2 13:00-14:00 (full redundancy).
    assert kinds(r, "spare_delivered") == [3 * H, 3 * H]
    assert kinds(r, "component_up") == [4 * H, 5 * H]
    assert r.metrics.rto_basic_s == 3 * H
    assert r.metrics.rto_full_s == 4 * H
    assert r.metrics.customer_minutes_lost == pytest.approx(10 * 180)


def test_retries_then_fallback():
    sc = parse("""
        drsim: 1
        name: retries
        simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
        sites:
          a: {components: {box: {count: 1, ttr: 10h}}}
          b: {components: {box: {count: 1, ttr: 1h}}}
        services:
          svc: {requires: [box], active: [a], standby: {sites: [b]}}
        customers:
          g: {count: 10, access: a, home: a, services: [svc]}
        links:
          a-b: {a: a, b: b}
        detection: {interval: 1m, failed_checks: 1}
        runbooks:
          failover:
            steps:
              - {id: scripted, duration: 10m, success: 0, retries: 2, fallback: manual}
              - id: manual
                duration: 20m
                effects: [{activate: {service: svc, site: b}}, {move: {to: b}}]
        disruptions:
          - {id: f, at: 1h, targets: [{component: a.box}], until: repaired}
    """)
    r = simulate(sc)
    # detected and declared at 10:00; three 10-minute attempts fail (10:30); manual 10:30-10:50
    scripted, manual = r.steps
    assert (scripted.step, scripted.outcome, scripted.attempts) == ("scripted", "failed", 3)
    assert (scripted.start_s, scripted.end_s) == (1 * H, 1 * H + 30 * M)
    assert (manual.step, manual.outcome) == ("manual", "fallback ok")
    assert manual.end_s == 1 * H + 50 * M
    assert r.metrics.rto_basic_s == 50 * M


RESTORE = """
drsim: 1
name: restore
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 20h}}}
  b: {}
  vault: {}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
  a-b: {a: a, b: b, bandwidth: 10Gbps}
  b-vault: {a: b, b: vault, bandwidth: 1Gbps}
services:
  svc:
    requires: []
    active: [a]
    standby: {sites: [b]}
    replication: REPLICATION
    data_size: 450GB
customers:
  g: {count: 10, access: pop, home: a, services: [svc]}
access_points: {pop: {}}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  failover:
    steps:
      - id: restore
        duration: 10m
        effects: [{restore: {service: svc, to: b}}, {activate: {service: svc, site: b}},
                  {move: {to: b}}]
disruptions:
  - {id: f, at: 14h30m, targets: [{site: a}], duration: 20h}
"""


def test_restore_takes_size_over_bottleneck_bandwidth_and_backup_rpo():
    repl = "{mode: backup, to: vault, interval: 6h}"
    r = simulate(parse(RESTORE.replace("REPLICATION", repl)))
    # restore 450 GB from vault over the 1 Gbps link: 450e9*8/1e9 = 3600 s, plus 10 min
    step = r.steps[0]
    assert step.end_s - step.start_s == 3600 + 600
    # backups at 00:00, 06:00, 12:00; failure at 14:30 → 2h30m of writes lost
    assert r.metrics.data_lost_s["svc"] == 2.5 * H
    assert r.metrics.rto_basic_s == 3600 + 600


@pytest.mark.parametrize(("repl", "lost"), [
    ("{mode: sync, to: vault}", 0.0),
    ("{mode: async, to: vault, lag: 45s}", 45.0),
])
def test_replication_modes_decide_data_lost(repl, lost):
    r = simulate(parse(RESTORE.replace("REPLICATION", repl)))
    assert r.metrics.data_lost_s["svc"] == lost


HOT = """
drsim: 1
name: hot
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 1h}}}
  b: {components: {box: {count: 1, ttr: 1h}}}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  svc: {requires: [box], active: [a], standby: {sites: [b], mode: hot}}
customers:
  g: {count: 10, access: pop, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 3}
disruptions:
  - {id: first, at: 1h, targets: [{component: a.box}], duration: 1h}
  - {id: second, at: 6h, targets: [{component: a.box}], duration: 1h}
"""


def test_hot_standby_takes_over_at_the_alert_and_stands_by_again():
    r = simulate(parse(HOT))
    # each fault: checks at +0, +1m, +2m → alert at +2m, when b takes the traffic; once a is
    # back the incident ends and b returns to standby, so the second fault costs 2m again.
    assert [(i.start_s, i.detected_s) for i in r.incidents] == [
        (1 * H, 1 * H + 2 * M), (6 * H, 6 * H + 2 * M)]
    assert [(i.start_s, i.end_s) for i in r.outages] == [
        (1 * H, 1 * H + 2 * M), (6 * H, 6 * H + 2 * M)]
    assert r.metrics.customer_minutes_lost == pytest.approx(10 * 4)


def test_hot_takeover_under_way_when_its_incident_ends_completes_for_the_next_alert():
    # switchover 10m. First fault 1h-1h05m: alert 1h02m starts the takeover (done 1h12m);
    # the incident ends at 1h05m. Second fault at 1h06m: alert at 1h08m finds the takeover
    # still under way, which completes for it at 1h12m (it used to be dropped with the first
    # incident, and the second went without a takeover for its whole 2 hours).
    r = simulate(parse(HOT.replace("mode: hot}", "mode: hot, switchover: 10m}")
                       .split("disruptions:")[0] + """disruptions:
  - {id: first, at: 1h, targets: [{component: a.box}], duration: 5m}
  - {id: second, at: 66m, targets: [{component: a.box}], duration: 2h}
"""))
    assert [(e.time_s, e.detail) for e in r.timeline if e.kind == "activated"] == [
        (1 * H + 12 * M, "hot standby at b")]
    assert [(i.start_s, i.end_s) for i in r.outages] == [
        (1 * H, 1 * H + 5 * M), (1 * H + 6 * M, 1 * H + 12 * M)]


def test_hot_standby_serving_while_home_is_short_of_capacity_is_not_handed_back():
    # a holds 5 customers, g has 10: g lacks service from the start; checks at 0, 1m, 2m →
    # alert at 2m and b takes over. Every element is up and g is assigned home, but it is
    # served by the failover site, so nobody is home: the incident stays open and b serves
    # to the end (it used to end at once, hand b back and start over every 2 minutes).
    r = simulate(parse(HOT.replace("  a: {components", "  a: {capacity: 5, components")
                       .split("disruptions:")[0]))
    assert [(i.start_s, i.detected_s, i.end_s) for i in r.incidents] == [(0.0, 2 * M, None)]
    assert [(i.start_s, i.end_s) for i in r.outages] == [(0.0, 2 * M)]
    assert r.metrics.customer_minutes_lost == pytest.approx(10 * 2)


def test_cancellable_failover_is_called_off_when_the_primary_returns_first():
    text = BASE.format(name="t", cap_a="null", cap_b="null", ttr="20m", shift="24x7",
                       roles="[]", window="", at="1h2m").replace(
        "    trigger: declared\n", "    trigger: declared\n    cancel_if_recovered: true\n")
    r = simulate(parse(text))
    # fault 10:02, declared 10:20; 'prepare' runs 10:20-10:30 (no effects); the box is
    # repaired at 10:22, so 'switch' is called off and no failback follows.
    assert [(s.step, s.outcome) for s in r.steps] == [("prepare", "ok"), ("switch", "cancelled")]
    ends = [e.detail for e in r.timeline if e.kind == "runbook_end"]
    assert ends == ["cancelled"]
    assert r.metrics.rto_basic_s == 20 * M
    assert r.incidents[0].end_s == 1 * H + 30 * M  # ends when the runbook stops
