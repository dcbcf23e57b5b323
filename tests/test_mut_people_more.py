"""Mutation tests for paging and staff: orders within one instant, and an answer that comes
after the incident is over. Timelines computed by hand; times are seconds since the start."""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


LATE_ANSWER = """
drsim: 1
name: late-answer
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 4h}
sites:
  a: {components: {box: {count: 1, ttr: 10m}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  ops: {count: 1}
detection: {interval: 1m, failed_checks: 1, ack_delay: 30m, page: [ops]}
disruptions:
  - {id: f, at: 1h, targets: [{component: a.box}], until: repaired}
"""


def test_an_answer_after_the_incident_ended_acknowledges_nothing():
    r = simulate(parse(LATE_ANSWER))
    # alert at 1h, ops#1 paged (no escalation: level 1 waits for its answer); the box is
    # repaired at 1h10 and the incident ends; ops#1 answers at 1h + 30m = 1h30, when there is
    # no incident to acknowledge: nothing is acknowledged or declared
    assert events(r, "paged") == [(1 * H, "paged", "ops#1", "")]
    assert events(r, "incident_end")[0][0] == 1 * H + 10 * M
    assert events(r, "acknowledged", "declared") == []
    assert r.incidents[0].acknowledged_s is None and r.metrics.tta_s is None


# Two units down at 0; one technician. Unit 0 is repaired 0 → 1h; unit 1 waits for the tech.
# At 1h, in this order within the instant: unit 0's repair ends and tech#1 is handed back
# (the pool grants them to unit 1's waiting request); step r fails (success 0) and its
# fallback rb, taking 0s, ends in the same instant and rebuilds the box — interrupting unit 1
# after its request was granted but before it resumed. tech#1 must go back to the pool, or
# the next repair waits for a person who never returns.
SAME_INSTANT = """
drsim: 1
name: same-instant
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      box: {count: 2, needed: 1, ttr: 1h, repair_role: tech}
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
      - {id: r, duration: 1h, success: 0, fallback: rb}
      - {id: rb, duration: 0s, effects: [{rebuild: {site: a, component: box}}]}
disruptions:
  - {id: f1, at: 0s, targets: [{component: a.box}], until: repaired}
  - {id: f2, at: 3h, targets: [{component: a.box}], until: repaired}
"""


def test_a_technician_granted_in_the_instant_of_a_rebuild_goes_back_to_the_pool():
    r = simulate(parse(SAME_INSTANT))
    # each incident: unit 0 repaired by tech#1 after 1h, unit 1 rebuilt by rb in that
    # instant; at 3h tech#1 is free again and repairs unit 0 by 4h
    up = [(t, d) for t, _, _, d in events(r, "component_up")]
    assert up == [(1 * H, "repaired by tech#1; 1 units still down"), (1 * H, "rebuilt by fix.rb"),
                  (4 * H, "repaired by tech#1; 1 units still down"), (4 * H, "rebuilt by fix.rb")]
    assert r.metrics.groups["users"].downtime_s == 2 * H  # 0 → 1h and 3h → 4h
