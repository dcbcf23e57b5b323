"""`when:` branch conditions and step preconditions, each simulated with its answer in words.

One drill, hand-set: Sunday 2026-03-15 09:00 UTC. At 30m site c goes down, link pop-c is cut
and one of the four a.servers units (needed 3) fails; at 1h a.box fails, svc goes down at a
(its only active site) and is detected at once (1m checks, 1 failed check), so every
`detected` step below becomes ready at 1h = 10:00 UTC. Steps have no `after`: they all run
in parallel, each with its own `when` (or `requires`), so each says alone why it is not needed.
"""

from __future__ import annotations

import textwrap

from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: conditions
simulation: {start: "2026-03-15T09:00", timezone: UTC, horizon: 2d, seed: 5}
access_points: {pop: {}}
sites:
  a: {components: {box: {count: 1, ttr: 40h}, servers: {count: 4, needed: 3, ttr: 40h}}}
  b: {components: {box: {count: 1}}}
  c: {components: {box: {count: 1}}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
  pop-c: {a: pop, b: c}
services:
  svc: {requires: [box], active: [a], standby: {sites: [b], mode: cold}}
  console: {active: [b]}
customers:
  users: {count: 100, access: pop, home: a, services: [svc]}
staff: {eng: {count: 20}}
detection: {interval: 1m, failed_checks: 1}
disruptions:
  - {id: c-down, at: 30m, targets: [{site: c}], duration: 2h}
  - {id: cut, at: 30m, targets: [{link: pop-c}], duration: 2h}
  - {id: one-server, at: 30m, targets: [{component: a.servers, units: 1}], until: repaired}
  - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
runbooks:
  check:
    trigger: detected
    steps:
"""


def drill(steps: str):
    return simulate(parse(BASE + textwrap.indent(textwrap.dedent(steps), " " * 6)))


def outcomes(result):
    return {s.step: (s.start_s, s.end_s, s.outcome) for s in result.steps}


def said(result, kind):
    return {e.subject.split(".", 1)[1]: e.detail for e in result.timeline if e.kind == kind}


def test_each_when_condition_that_fails_names_itself():
    r = drill("""
        - {id: site-up, duration: 5m, when: {site_up: [a, c]}}
        - {id: site-down, duration: 5m, when: {site_down: [c, b]}}
        - {id: svc-at-a, duration: 5m, when: {service_up: ["svc@a"]}}
        - {id: console-down, duration: 5m, when: {service_down: [console]}}
        - {id: comp-up, duration: 5m, when: {component_up: [a.servers, b.box, a.box]}}
        - {id: comp-down, duration: 5m, when: {component_down: [a.box, a.servers]}}
        - {id: hours, duration: 5m, when: {hours: "10:01-11:00"}}
        - {id: lost, duration: 5m, when: {data_lost_above: {svc: 0s}}}
    """)
    # at 1h = 10:00: a up (only its box failed), c down; b up; svc active at a but unhealthy
    # there (so svc@a is not served, although a is active); console healthy at b; a.box 0 of 1
    # up; a.servers 3 of 4 up = exactly its needed 3, so it works; 10:00 is before 10:01;
    # nothing was lost yet (0s is not above 0s)
    assert said(r, "step_not_needed") == {
        "site-up": "site_up: c is down",
        "site-down": "site_down: b is up",
        "svc-at-a": "service_up: svc@a is not served",
        "console-down": "service_down: console is served",
        "comp-up": "component_up: a.box is below its needed units",
        "comp-down": "component_down: a.servers is working",
        "hours": "hours: now is outside 10:01-11:00 (UTC)",
        "lost": "data_lost_above: svc lost 0s, not above 0s",
    }
    assert set(outcomes(r).values()) == {(1 * H, 1 * H, "not needed")}


def test_when_conditions_that_all_hold_run_the_step():
    r = drill("""
        - id: holds
          duration: 5m
          when:
            site_up: [a, b]
            site_down: [c]
            service_up: [console, "console@b"]
            service_down: [svc, "svc@a", "svc@b"]
            component_up: [a.servers, b.box]
            component_down: [a.box]
            hours: "10:00-10:30"
    """)
    # every condition holds at 10:00 on a Sunday (the span covers all seven days): the step
    # runs 1h → 1h05m
    assert outcomes(r) == {"holds": (1 * H, 1 * H + 5 * M, "ok")}
    assert said(r, "step_not_needed") == {}


def test_unmet_preconditions_are_listed_in_order_and_the_step_gives_up_at_its_timeout():
    r = drill("""
        - id: blocked
          duration: 5m
          requires:
            link_up: [pop-a, pop-c]
            site_healthy: [b, a]
            service_up: [console, svc]
            site_access: [b, c]
            timeout: 30m
            on_timeout: skip
        - id: clear
          duration: 5m
          requires:
            link_up: [pop-a, pop-b]
            site_healthy: [b]
            service_up: [console, "console@b"]
            site_access: [a, b]
    """)
    # pop-c is cut; a has a unit down (and its box), b is whole; svc is served nowhere; c is
    # open to staff but down, so nobody can get in. Nothing changes before the 30m timeout.
    assert said(r, "step_waiting") == {
        "blocked": "waits for link pop-c up, site a fully healthy, service svc up, "
                   "access to site c"}
    assert said(r, "step_timeout") == {
        "blocked": "gave up after 30 min waiting for link pop-c up, site a fully healthy, "
                   "service svc up, access to site c; skipped"}
    assert outcomes(r)["blocked"][2] == "skipped"
    assert outcomes(r)["clear"] == (1 * H, 1 * H + 5 * M, "ok")
