"""Mutation tests for drsim/metrics.py: what the linear-metrics comparison does not pin."""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H = 3600.0

NEVER_BACK = """
drsim: 1
name: never-back
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 5h}
sites:
  a:
    components:
      box: {count: 1}
services:
  voice: {requires: [box], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [voice]}
disruptions:
  - {id: out, at: 1h, targets: [{component: a.box}], duration: 10h}
objectives:
  - {id: svc, service: voice, rto: 1h}
  - {id: grp, group: users, rto: 1h}
"""


def test_a_service_still_down_at_the_horizon_never_meets_its_rto():
    r = simulate(parse(NEVER_BACK))
    # the box is out from 1h for 10h, past the 5h horizon: voice is lost 1h → (open), so
    # neither the service's nor the group's RTO is ever achieved (None), and neither is met
    assert [(i.subject, i.what, i.start_s, i.end_s) for i in r.intervals
            if i.what == "voice"] == [("users", "voice", 1 * H, None)]
    got = {o.id: (o.achieved, o.met) for o in r.metrics.objectives}
    assert got == {"svc": (None, False), "grp": (None, False)}
    assert r.metrics.groups["users"].downtime_s == 4 * H  # 1h → 5h
