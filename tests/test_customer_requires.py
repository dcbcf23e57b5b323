"""Customers pinned to the servers they live on: a fault takes down only the groups on the
failed units, and a failover site without those servers serves them all."""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

PINNED = """
drsim: 1
name: pinned
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}
sites:
  a:
    components:
      core: {count: 1, ttr: 1h}
      pod-1: {count: 2, needed: 1, ttr: 1h}
      pod-2: {count: 2, needed: 1, ttr: 1h}
  b: {components: {core: {count: 1, ttr: 1h}}}
links:
  a-b: {a: a, b: b}
services:
  voice: {requires: [core], active: [a], standby: {sites: [b]}}
customers:
  on-pod-1: {count: 100, access: a, home: a, services: [voice], requires: [pod-1]}
  on-pod-2: {count: 300, access: a, home: a, services: [voice], requires: [pod-2]}
  anywhere: {count: 50, access: a, home: a, services: [voice]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  failover:
    trigger: detected
    steps:
      - id: move
        duration: 30m
        effects:
          - activate: {service: voice, site: b}
          - move: {groups: [on-pod-1], to: b}
disruptions:
  - {id: pod-fault, at: 1h, targets: [{component: a.pod-1}], duration: 5h}
"""


def test_only_the_groups_on_the_failed_servers_go_down_and_fail_over():
    r = simulate(parse(PINNED))
    down = {(i.subject, i.start_s, i.end_s) for i in r.intervals if i.what == "basic"}
    # both pod-1 units down at 1h: only on-pod-1 loses voice; detected at the 1h check
    # (interval 1m, 1 failed check), the 30m step moves it to b (no pods there) at 1h30m
    assert down == {("on-pod-1", 1 * H, 1 * H + 30 * M)}
    full = {(i.subject, i.start_s, i.end_s) for i in r.intervals if i.what == "full"}
    # away from home until the end of the run (no failback), home site degraded until 6h
    assert ("on-pod-1", 1 * H, None) in full
    assert not any(g in ("on-pod-2", "anywhere") for g, _, _ in full)
    m = r.metrics
    assert m.customer_minutes_lost == 100 * 30


def test_a_partial_fault_of_pinned_servers_above_k_takes_nobody_down():
    text = PINNED.replace("targets: [{component: a.pod-1}]",
                          "targets: [{component: a.pod-1, units: 1}]")
    r = simulate(parse(text))
    assert not [i for i in r.intervals if i.what == "basic"]


ACCESS = """
drsim: 1
name: repair needs access
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 1h, repair_role: eng}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  eng: {count: 1}
disruptions:
  - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
  - {id: lockdown, at: 30m, targets: [{access: a}], duration: 2h}
"""


def test_a_repair_waits_while_the_site_is_closed_to_staff():
    r = simulate(parse(ACCESS))
    # box fails at 1h; the site is closed 30m → 2h30m, so the engineer starts at 2h30m and
    # works 1h: up at 3h30m (without the lockdown: 2h)
    assert [(i.start_s, i.end_s) for i in r.intervals if i.what == "basic"] == [
        (1 * H, 3 * H + 30 * M)]
    waits = [e for e in r.timeline if e.kind == "repair_waiting"]
    assert [(e.time_s, e.detail) for e in waits] == [
        (1 * H, "repair waits for staff access to the site")]
    open_again = parse(ACCESS.replace("duration: 2h", "duration: 10m"))
    assert [(i.start_s, i.end_s) for i in simulate(open_again).intervals
            if i.what == "basic"] == [(1 * H, 2 * H)]


def test_a_move_is_not_needed_once_the_pinned_servers_are_back():
    text = PINNED.replace("""      - id: move
        duration: 30m""", """      - {id: prepare, duration: 30m}
      - id: move
        after: [prepare]
        when: {component_down: [a.pod-1]}
        duration: 30m""").replace("duration: 5h}", "duration: 20m}")
    r = simulate(parse(text))
    # pod-1 down 1h → 1h20m; prepare ends at 1h30m, when pod-1 works again: no move
    assert [(s.step, s.outcome) for s in r.steps] == [("prepare", "ok"), ("move", "not needed")]
    skipped = [e for e in r.timeline if e.kind == "step_not_needed"]
    assert [(e.time_s, e.detail) for e in skipped] == [
        (1 * H + 30 * M, "component_down: a.pod-1 is working")]
    assert [(i.start_s, i.end_s) for i in r.intervals if i.what == "basic"] == [
        (1 * H, 1 * H + 20 * M)]
    # still down at 1h30m (fault of 5h): the move runs, done at 2h
    r = simulate(parse(text.replace("duration: 20m}", "duration: 5h}")))
    assert [(s.step, s.outcome, s.end_s) for s in r.steps][-1] == ("move", "ok", 2 * H)


def test_a_technician_called_out_while_access_closes_waits_outside():
    text = ACCESS.replace("eng: {count: 1}",
                          'eng: {count: 1, shift: {days: all, hours: "20:00-21:00"}, callout: 30m}'
                          ).replace("at: 30m, targets: [{access: a}], duration: 2h",
                                    "at: 1h10m, targets: [{access: a}], duration: 1h")
    r = simulate(parse(text))
    # box fails at 1h (10:00, off shift): the engineer is called out, arrives at 1h30m, but
    # the site closed at 1h10m (until 2h10m); work starts when it opens (the engineer is
    # still called in) and takes 1h: up at 3h10m
    assert [(i.start_s, i.end_s) for i in r.intervals if i.what == "basic"] == [
        (1 * H, 3 * H + 10 * M)]
