"""Staged steps: units drained by parallel workers, effects applied per batch, the team size.

Times are seconds since the scenario start; every unit takes a fixed time, so the timeline
follows from counting: k workers finish k units together, the next k one unit-time later.
"""

from __future__ import annotations

import textwrap

from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: staged
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 2d, seed: 5}
sites:
  a: {components: {box: {count: 1, ttr: 40h}, servers: {count: 7, ttr: 100h}}}
services:
  svc: {requires: [box, servers], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
staff:
  eng: {count: ENG}
  dba: {count: 1}
detection: {interval: 1m, failed_checks: 1}
disruptions:
  - {id: wipe, at: 1h, targets: [{component: a.servers}], until: repaired}
runbooks:
  rebuild:
    trigger: detected
    steps:
"""


def drill(steps: str, eng: int = 3):
    return simulate(parse(BASE.replace("ENG", str(eng))
                          + textwrap.indent(textwrap.dedent(steps), " " * 6)))


def events(result, kind):
    return [(e.time_s, e.detail) for e in result.timeline if e.kind == kind]


def test_batches_of_three_and_a_last_short_batch_bring_units_back():
    r = drill("""
        - id: reimage
          roles: [eng]
          duration: 0s
          staged: {units: 7, workers: 3, per_unit: 1h, batch: 3}
          effects: [{rebuild: {site: a, component: servers}}]
    """)
    # 3 workers from 1h: units 1-3 done at 2h (batch 1), 4-6 at 3h (batch 2), the 7th at 4h:
    # not a multiple of 3 but the last unit, so a batch of 1
    assert events(r, "batch_done") == [(2 * H, "3 of 7 units done"), (3 * H, "6 of 7 units done"),
                                       (4 * H, "7 of 7 units done")]
    assert [t for t, _ in events(r, "component_up")] == [2 * H] * 3 + [3 * H] * 3 + [4 * H]
    assert events(r, "step_start") == [(1 * H, "worker 1: eng#1"), (1 * H, "worker 2: eng#2"),
                                       (1 * H, "worker 3: eng#3")]
    assert events(r, "step_short_staffed") == []
    # all 7 servers are needed (needed defaults to count): users are back when the last is
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 4 * H)]
    (step,) = r.steps
    assert (step.start_s, step.end_s, step.outcome, step.who, step.attempts) == (
        1 * H, 4 * H, "ok", ("eng#1", "eng#2", "eng#3"), 1)
    assert {e.subject for e in r.timeline
            if e.kind in ("batch_done", "step_start")} == {"rebuild.reimage"}


def test_fewer_units_than_workers_use_only_as_many_workers_and_batch_once():
    r = drill("""
        - id: reimage
          roles: [eng]
          duration: 0s
          staged: {units: 2, workers: 4, per_unit: 30m}
    """, eng=4)
    # min(4 workers, 2 units, 4 eng) = 2 workers, nobody short; both units done at 1h30m,
    # one batch (batch defaults to all units)
    assert events(r, "step_short_staffed") == []
    assert events(r, "step_start") == [(1 * H, "worker 1: eng#1"), (1 * H, "worker 2: eng#2")]
    assert events(r, "batch_done") == [(1 * H + 30 * M, "2 of 2 units done")]
    assert r.steps[0].who == ("eng#1", "eng#2")


def test_every_short_role_is_named_and_workers_without_roles_hold_nobody():
    r = drill("""
        - id: both
          roles: [eng, dba, eng]
          duration: 0s
          staged: {units: 2, workers: 3, per_unit: 1h}
        - id: nobody
          duration: 0s
          staged: {units: 4, workers: 2, per_unit: 15m, batch: 2}
    """, eng=2)
    # both: min(3, 2 units, 2 eng, 1 dba) = 1 worker (both roles short of 3, in name
    # order), who holds one of each role (taken in name order) and does the 2 units
    # 1h → 3h. nobody: 2 workers, no people: units done 2 at 1h15m, 2 at 1h30m
    assert events(r, "step_short_staffed") == [(1 * H, "1 of 3 workers: only 1 dba, 2 eng")]
    starts = sorted(d for _, d in events(r, "step_start"))
    assert starts == ["worker 1", "worker 1: dba#1, eng#1", "worker 2"]
    assert [(s.step, s.start_s, s.end_s) for s in sorted(r.steps, key=lambda s: s.step)] == [
        ("both", 1 * H, 3 * H), ("nobody", 1 * H, 1 * H + 30 * M)]
    assert events(r, "batch_done") == [(1 * H + 15 * M, "2 of 4 units done"),
                                       (1 * H + 30 * M, "4 of 4 units done"),
                                       (3 * H, "2 of 2 units done")]


def test_a_worker_that_waits_for_a_busy_person_starts_later_and_the_step_starts_first():
    r = drill("""
        - {id: hold, roles: [eng], duration: 30m}
        - id: reimage
          roles: [eng]
          duration: 0s
          staged: {units: 3, workers: 2, per_unit: 1h}
    """, eng=2)
    starts = [(t, d) for t, d in events(r, "step_start")]
    steps = {s.step: (s.start_s, s.end_s) for s in r.steps}
    assert steps["hold"] == (1 * H, 1 * H + 30 * M)
    # hold takes eng#1 (its step starts first) 1h → 1h30m: worker 1 starts at 1h, worker 2
    # at 1h30m. Units: 1h → 2h (worker 1), 1h30m → 2h30m (worker 2), 2h → 3h (worker 1).
    # The step starts with its first worker, at 1h
    assert starts == [(1 * H, "eng#1"), (1 * H, "worker 1: eng#2"),
                      (1 * H + 30 * M, "worker 2: eng#1")]
    assert r.steps[-1].who == ("eng#2", "eng#1")
    assert steps["reimage"] == (1 * H, 3 * H)
    assert events(r, "batch_done") == [(3 * H, "3 of 3 units done")]
