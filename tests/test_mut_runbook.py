"""Runbook executor: preconditions (link, window with timeout), retries with discovery, a
fallback, verdicts of runbooks, skipped successors, `after` triggers only on completion.
Exact timelines computed by hand; times are seconds since the start (Tue 09:00 UTC)."""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: runbook
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
detection: {interval: 1m, failed_checks: 1}
maintenance_windows:
  night: {days: all, hours: "23:00-02:00"}
runbooks:
  fo:
    steps:
      - {id: s1, duration: 10m, requires: {link_up: [a-b]}}
      - {id: s2, after: [s1], duration: 5m, success: 0%, retries: 2, discovery: 1m,
         fallback: s3}
      - id: s3
        duration: 7m
        effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]
  back:
    trigger: {after: fo}
    steps:
      - id: home
        duration: 4m
        requires: {site_healthy: [a]}
        effects: [{move: {groups: all, to: home}}, {deactivate: {service: svc, site: b}}]
  doomed:
    steps:
      - {id: d1, duration: 3m, success: 0%}
      - {id: d2, after: [d1], duration: 3m}
  never:
    trigger: {after: doomed}
    steps: [{id: n1, duration: 1m}]
  maint:
    steps:
      - {id: w, duration: 1m, requires: {window: night, timeout: 30m}}
disruptions:
  - {id: f, at: 1h, targets: [{component: a.box}], until: repaired}
  - {id: cut, at: 1h, targets: [{link: a-b}], duration: 30m}
"""


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def steps(r):
    return [(s.runbook, s.step, s.start_s, s.end_s, s.outcome, s.attempts, s.waited_s)
            for s in r.steps]


def test_preconditions_retries_fallback_and_verdicts():
    r = simulate(parse(BASE))
    # fault and link cut at 1h: alert at the 1h check, declared at once (no delays); the
    # declared runbooks start in sorted order: doomed, fo, maint.
    # fo.s1 waits for link a-b (back 1h30), runs 1h30-1h40. s2: three attempts, each failing
    # after its 1m discovery (1h41, 1h42, 1h43), then the fallback s3 1h43-1h50 moves users
    # to b. a repaired at 6h: back.home 6h-6h04.
    # doomed.d1 1h-1h03 fails (no fallback); d2 skipped at 1h03; doomed 'failed', so 'never'
    # does not start. maint.w waits for the night window (23:00), gives up at 1h30.
    assert steps(r) == [
        ("doomed", "d1", 1 * H, 1 * H + 3 * M, "failed", 1, 0.0),
        ("doomed", "d2", 1 * H + 3 * M, 1 * H + 3 * M, "skipped", 0, 0.0),
        ("maint", "w", 1.5 * H, 1.5 * H, "failed", 0, 30 * M),
        ("fo", "s1", 1.5 * H, 1.5 * H + 10 * M, "ok", 1, 30 * M),
        ("fo", "s2", 1.5 * H + 10 * M, 1.5 * H + 13 * M, "failed", 3, 0.0),
        ("fo", "s3", 1.5 * H + 13 * M, 1.5 * H + 20 * M, "fallback ok", 1, 0.0),
        ("back", "home", 6 * H, 6 * H + 4 * M, "ok", 1, 4 * H + 10 * M)]  # ready at 1h50
    assert [s.who for s in r.steps] == [(), (), (), (), (), (), ()]  # nobody needed
    # a step that runs is framed by step_start and step_end (its outcome) at the times above;
    # d2 (skipped) and w (gave up before an attempt) never start, so they have neither
    assert events(r, "step_start", "step_end") == [
        (1 * H, "step_start", "doomed.d1", ""),
        (1 * H + 3 * M, "step_end", "doomed.d1", "failed"),
        (1.5 * H, "step_start", "fo.s1", ""),
        (1.5 * H + 10 * M, "step_end", "fo.s1", "ok"),
        (1.5 * H + 10 * M, "step_start", "fo.s2", ""),
        (1.5 * H + 13 * M, "step_end", "fo.s2", "failed"),
        (1.5 * H + 13 * M, "step_start", "fo.s3", ""),
        (1.5 * H + 20 * M, "step_end", "fo.s3", "fallback ok"),
        (6 * H, "step_start", "back.home", ""),
        (6 * H + 4 * M, "step_end", "back.home", "ok")]
    assert events(r, "step_waiting") == [
        (1 * H, "step_waiting", "fo.s1", "waits for link a-b up"),
        (1 * H, "step_waiting", "maint.w", "waits for maintenance window night"),
        (1.5 * H + 20 * M, "step_waiting", "back.home", "waits for site a fully healthy")]
    assert events(r, "step_timeout") == [
        (1.5 * H, "step_timeout", "maint.w",
         "gave up after 30 min waiting for maintenance window night; failed without an "
         "attempt")]
    assert [(t, d) for t, _, _, d in events(r, "step_attempt_failed")] == [
        (1 * H + 3 * M, "attempt 1 of 1"),
        (1.5 * H + 11 * M, "attempt 1 of 3"), (1.5 * H + 12 * M, "attempt 2 of 3"),
        (1.5 * H + 13 * M, "attempt 3 of 3")]
    assert [(t, s, d) for t, _, s, d in events(r, "runbook_start", "runbook_end")] == [
        (1 * H, "doomed", ""), (1 * H, "fo", ""), (1 * H, "maint", ""),
        (1 * H + 3 * M, "doomed", "failed"), (1.5 * H, "maint", "failed"),
        (1.5 * H + 20 * M, "fo", "completed"), (1.5 * H + 20 * M, "back", ""),
        (6 * H + 4 * M, "back", "completed")]
    assert [(t, k, s, d) for t, k, s, d in events(r, "activated", "moved", "deactivated")] == [
        (1.5 * H + 20 * M, "activated", "svc", "at b"),
        (1.5 * H + 20 * M, "moved", "users", "to b"),
        (6 * H + 4 * M, "moved", "users", "to home"),
        (6 * H + 4 * M, "deactivated", "svc", "at b")]
    assert r.metrics.groups["users"].downtime_s == 50 * M  # 1h → 1h50
    assert r.incidents[0].end_s == 6 * H + 4 * M


def test_a_step_inside_its_window_starts_at_once_and_skip_lets_successors_go():
    text = (BASE.replace("at: 1h, targets: [{component", "at: 14h30m, targets: [{component")
            .replace("{id: cut, at: 1h,", "{id: cut, at: 14h30m,")
            .replace("requires: {window: night, timeout: 30m}}",
                     "requires: {window: night, timeout: 30m}}\n"
                     "      - {id: x, duration: 2m, requires: {link_up: [a-b], timeout: 5m,"
                     " on_timeout: skip}}\n"
                     "      - {id: y, after: [x], duration: 1m}"))
    r = simulate(parse(text))
    # fault at 23:30, inside the 23:00-02:00 window: w runs 23:30-23:31. x waits for link
    # a-b (down until 00:00), gives up at 23:35 and is skipped; y runs 23:35-23:36
    got = {(s.runbook, s.step): (s.start_s, s.end_s, s.outcome) for s in r.steps}
    t0 = 14.5 * H
    assert got["maint", "w"] == (t0, t0 + 1 * M, "ok")
    assert got["maint", "x"] == (t0 + 5 * M, t0 + 5 * M, "skipped")
    assert got["maint", "y"] == (t0 + 5 * M, t0 + 6 * M, "ok")
    assert events(r, "step_timeout")[0] == (
        t0 + 5 * M, "step_timeout", "maint.x",
        "gave up after 5 min waiting for link a-b up; skipped")
    assert [d for _, _, s, d in events(r, "runbook_end") if s == "maint"] == ["completed"]


def test_a_fallback_that_times_out_is_recorded_as_a_failed_fallback():
    text = BASE.replace("      - id: s3\n        duration: 7m\n",
                        "      - id: s3\n        duration: 7m\n"
                        "        requires: {link_up: [a-b], timeout: 1m}\n")
    text = text.replace("{id: cut, at: 1h, targets: [{link: a-b}], duration: 30m}",
                        "{id: cut, at: 1h, targets: [{link: a-b}], duration: 30m}\n"
                        "  - {id: cut2, at: 1h40m, targets: [{link: a-b}], duration: 1h}")
    r = simulate(parse(text))
    # s1 1h30-1h40; the link is cut again at 1h40; s2 fails 1h41, 1h42, 1h43; its fallback
    # s3 waits for the link and gives up at 1h44: a failed fallback, fo fails
    got = {s.step: (s.start_s, s.end_s, s.outcome, s.who) for s in r.steps if s.runbook == "fo"}
    assert got["s3"] == (1 * H + 44 * M, 1 * H + 44 * M, "fallback failed", ())
    assert [d for _, _, s, d in events(r, "runbook_end") if s == "fo"] == ["failed"]


STAGED = """
drsim: 1
name: staged
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, seed: SEED}
sites:
  a: {components: {servers: {count: 4, ttr: 100h}}}
services:
  svc: {requires: [servers], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  rb:
    trigger: detected
    cancel_if_recovered: true
    steps:
      - id: reimage
        duration: 0s
        staged: {units: 4, workers: 1, per_unit: {uniform: {low: 10m, high: 20m}}, batch: 2}
        effects: [{rebuild: {site: a, component: servers}}]
      - {id: verify, after: [reimage], duration: 5m}
disruptions:
  - {id: wipe, at: 1h, targets: [{component: a.servers}], until: repaired}
"""


def test_staged_batches_rebuild_and_keep_a_cancellable_runbook_going():
    import numpy as np

    from drsim.sim.streams import stable_key
    for seed in (1, 2):
        r = simulate(parse(STAGED.replace("SEED", str(seed))))
        g = np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(0, stable_key("step:rb.reimage:per_unit"))))
        u = [g.uniform(600, 1200) for _ in range(4)]
        # one worker from the 1h alert: batch 1 (units 0, 1) at 1h + u1 + u2, batch 2 at
        # 1h + u1..u4, when all 4 needed servers are back. The batches applied an effect, so
        # the runbook is not called off when service returns: verify runs for 5m after.
        t1, t2 = 1 * H + u[0] + u[1], 1 * H + sum(u)
        ups = [(t, d) for t, _, _, d in events(r, "component_up")]
        assert ups == [(pytest.approx(t1), "rebuilt by rb.reimage; 3 units still down"),
                       (pytest.approx(t1), "rebuilt by rb.reimage; 2 units still down"),
                       (pytest.approx(t2), "rebuilt by rb.reimage; 1 units still down"),
                       (pytest.approx(t2), "rebuilt by rb.reimage")]
        verify = [s for s in r.steps if s.step == "verify"][0]
        assert (verify.start_s, verify.end_s, verify.outcome) == (
            pytest.approx(t2), pytest.approx(t2 + 5 * M), "ok")
        assert r.metrics.groups["users"].downtime_s == pytest.approx(sum(u))


DRAWS = """
drsim: 1
name: draws
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 11}
sites:
  a: {components: {box: {count: 1, ttr: 20h}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  rb:
    steps:
      - {id: p, duration: {uniform: {low: 0s, high: 1h}}, success: 100%, discovery: 1m}
      - {id: q, after: [p], duration: 10m, success: 50%, retries: 5}
disruptions:
  - {id: f, at: 1h, targets: [{component: a.box}], until: repaired}
"""


def test_which_draws_a_step_takes_success_duration_and_retries():
    from reference_streams import stream

    r = simulate(parse(DRAWS))
    got = {s.step: s for s in r.steps}
    # the runbook starts at the 1h alert (no delays). p is sure to succeed, so it draws no
    # success: its duration is the first draw of its duration stream, uniform on [0, 1h)
    p_s = stream(11, "step:rb.p:duration").uniform(0, H)
    assert (got["p"].start_s, got["p"].end_s, got["p"].outcome) == (H, H + p_s, "ok")
    # q succeeds at the first attempt k whose draw (its success stream) is below 0.5; each
    # attempt takes 10m
    u = stream(11, "step:rb.q:success").random(6)
    k = next(i for i, x in enumerate(u, 1) if x < 0.5)
    assert (got["q"].start_s, got["q"].end_s) == (H + p_s, H + p_s + k * 10 * M)
    assert (got["q"].outcome, got["q"].attempts) == ("ok", k)
    assert k > 1  # seed 11 makes q fail at least once: the retries are exercised
