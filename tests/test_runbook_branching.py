"""Runbooks that branch (when), fallback chains, discovery, preconditions on infrastructure
with timeouts, site access, staged restoration by a limited team, and re-runs in an incident.

Timelines are computed by hand (arithmetic in the comment above each expectation); times are
seconds since the scenario start. Detection checks every minute and alerts on the first
failing check, so a fault at 1h is detected at 1h and 'detected' runbooks start at 1h.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import parse

from drsim.errors import ScenarioError
from drsim.scenario import load_scenario
from drsim.scenario.loader import load_text
from drsim.scenario.validate import validate
from drsim.sim.engine import Drill, simulate

H, M = 3600.0, 60.0
ROOT = Path(__file__).resolve().parent.parent

BASE = """
drsim: 1
name: branching
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 2d, seed: 5}
access_points: {pop: {}}
sites:
  a:
    components:
      box: {count: 1, ttr: 40h}
      servers: {count: 10, needed: NEEDED, ttr: 100h}
  b: {ttr: 40h, components: {box: {count: 1}, servers: {count: 10, needed: NEEDED}}}
  c: {access: ACCESS, components: {box: {count: 1}, servers: {count: 10, needed: NEEDED}}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
  pop-c: {a: pop, b: c}
services:
  svc:
    requires: [box, servers]
    active: [a]
    standby: {sites: [b, c], mode: cold}
    replication: {mode: async, to: b, lag: 7m}
  console: {active: [b]}
customers:
  users: {count: 100, access: pop, home: a, services: [svc]}
staff:
  eng: {count: ENG}
detection: {interval: 1m, failed_checks: 1}
"""


def scenario(*parts: str, needed: int = 10, eng: int = 3, access: str = "open"):
    """BASE plus sections (each dedented on its own)."""
    base = BASE.replace("NEEDED", str(needed)).replace("ENG", str(eng)).replace("ACCESS",
                                                                                access)
    return parse(base + "".join(textwrap.dedent(p) for p in parts))


def events(result, kind):
    return [(e.time_s, e.subject, e.detail) for e in result.timeline if e.kind == kind]


def steps(result):
    """(step, start, end, outcome), in order of start, then end (records come in end order)."""
    return sorted(((s.step, s.start_s, s.end_s, s.outcome) for s in result.steps),
                  key=lambda x: (x[1], x[2]))


FAIL_A = "  - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}\n"

FAILOVER = """
runbooks:
  failover:
    trigger: detected
    steps:
      - id: to-b
        duration: 10m
        when: {site_up: [b]}
        effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]
      - id: to-c
        duration: 20m
        when: {site_down: [b]}
        effects: [{activate: {service: svc, site: c}}, {move: {groups: all, to: c}}]
"""


# ---- when: branches ----------------------------------------------------------------------


def test_branch_not_taken_is_recorded_with_its_failing_condition():
    r = simulate(scenario(FAILOVER, """
        disruptions:
          - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
          - {id: b-down, at: 30m, targets: [{site: b}], duration: 2h}
    """))
    # at 1h b is down (30m..2h30m): to-b is not needed, to-c runs 1h → 1h20m
    assert steps(r) == [("to-b", 1 * H, 1 * H, "not needed"),
                        ("to-c", 1 * H, 1 * H + 20 * M, "ok")]
    assert events(r, "step_not_needed") == [(1 * H, "failover.to-b", "site_up: b is down")]
    assert events(r, "runbook_end") == [(1 * H + 20 * M, "failover", "completed")]
    # customers down 1h → 1h20m, then served at c
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 1 * H + 20 * M)]
    assert events(r, "service_restored")[0][2] == "svc at c"


def test_branch_taken_and_its_sibling_not_needed():
    r = simulate(scenario(FAILOVER + "disruptions:\n", FAIL_A))
    # b is up at 1h: to-b runs 1h → 1h10m; to-c's site_down: [b] fails
    assert steps(r) == [("to-c", 1 * H, 1 * H, "not needed"),
                        ("to-b", 1 * H, 1 * H + 10 * M, "ok")]
    assert events(r, "step_not_needed") == [(1 * H, "failover.to-c", "site_down: b is up")]


@pytest.mark.parametrize(("at", "outcome"), [("1h", "not needed"), ("14h", "ok")])
def test_hours_across_midnight_in_the_scenario_time_zone(at, outcome):
    r = simulate(scenario(f"""
        runbooks:
          night:
            trigger: detected
            steps:
              - {{id: night-fix, duration: 5m, when: {{hours: "22:00-06:00"}}}}
        disruptions:
          - {{id: fault, at: {at}, targets: [{{component: a.box}}], until: repaired}}
    """))
    # 1h = 10:00 UTC: outside 22:00-06:00; 14h = 23:00: inside (the span crosses midnight)
    assert steps(r)[0][3] == outcome
    if outcome == "not needed":
        assert events(r, "step_not_needed")[0][2] == "hours: now is outside 22:00-06:00 (UTC)"


@pytest.mark.parametrize(("limit", "outcome"), [("5m", "ok"), ("10m", "not needed")])
def test_data_lost_above_counts_the_losses_of_this_run(limit, outcome):
    reconcile = textwrap.indent(textwrap.dedent(f"""
        - id: reconcile
          after: [to-b]
          duration: 1h
          when: {{data_lost_above: {{svc: {limit}}}}}
    """), "      ")
    r = simulate(scenario(FAILOVER + reconcile, "disruptions:\n", FAIL_A))
    # the failover to b at 1h10m loses the 7m replication lag: 7m > 5m runs, 7m ≤ 10m does not
    assert events(r, "data_loss")[0][0] == 1 * H + 10 * M
    assert steps(r)[2] == ("reconcile", 1 * H + 10 * M,
                           1 * H + (70 if outcome == "ok" else 10) * M, outcome)


# ---- fallback chains and discovery ---------------------------------------------------------


def test_fallback_chain_with_discovery():
    r = simulate(scenario("""
        runbooks:
          fix:
            trigger: detected
            steps:
              - {id: restart, duration: 10m, success: 0%, discovery: 2m, fallback: reboot}
              - {id: reboot, duration: 10m, success: 0%, fallback: replace}
              - id: replace
                duration: 10m
                effects: [{rebuild: {site: a, component: box}}]
              - {id: verify, after: [restart], duration: 5m}
        disruptions:
    """, FAIL_A))
    # restart fails, noticed after discovery 2m (1h → 1h02m); reboot fails after its full 10m
    # (→ 1h12m); replace works (→ 1h22m) and rebuilds the box; verify follows the chain's
    # outcome (ok) → 1h22m → 1h27m
    assert steps(r) == [("restart", 1 * H, 1 * H + 2 * M, "failed"),
                        ("reboot", 1 * H + 2 * M, 1 * H + 12 * M, "fallback failed"),
                        ("replace", 1 * H + 12 * M, 1 * H + 22 * M, "fallback ok"),
                        ("verify", 1 * H + 22 * M, 1 * H + 27 * M, "ok")]
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 1 * H + 22 * M)]
    assert events(r, "runbook_end")[0][2] == "completed"


def test_discovery_mean_matches_the_geometric_closed_form():
    # success p = 0.4, discovery exponential mean 6m, duration 10m, retries enough:
    # E[failures] = (1 - p) / p = 1.5 → E[step] = 10m + 1.5 × 6m = 19m
    sc = scenario("""
        runbooks:
          fix:
            trigger: detected
            steps:
              - {id: try, duration: 10m, success: 40%, retries: 100,
                 discovery: {exponential: {mean: 6m}}}
        disruptions:
    """, FAIL_A)
    took = np.array([(lambda s: s.end_s - s.start_s)(simulate(sc, seed=7, trial=i).steps[0])
                     for i in range(600)])
    half = 2.576 * took.std(ddof=1) / math.sqrt(len(took))
    assert abs(took.mean() - 19 * M) < half
    assert len(set(took)) > 10


# ---- preconditions on infrastructure, timeouts, site access --------------------------------

REMOTE = """
runbooks:
  fix:
    trigger: detected
    steps:
      - id: remote-fix
        duration: 15m
        requires: {{service_up: ["console@b"], timeout: 30m, on_timeout: {on_timeout}}}
        fallback: drive
        effects: [{{rebuild: {{site: a, component: box}}}}]
      - id: drive
        duration: 2h
        requires: {{site_access: [a]}}
        effects: [{{rebuild: {{site: a, component: box}}}}]
      - {{id: report, after: [remote-fix], duration: 5m}}
disruptions:
  - {{id: fault, at: 1h, targets: [{{component: a.box}}], until: repaired}}
  - {{id: b-down, at: 1h, targets: [{{site: b}}], duration: 3h}}
  - {{id: lockout, at: 1h, targets: [{{access: a}}], duration: 1h}}
"""


def test_tooling_down_times_out_then_the_fallback_waits_for_site_access():
    r = simulate(scenario(REMOTE.format(on_timeout="fail")))
    # remote-fix waits for console@b (b down 1h → 4h); gives up at 1h + 30m and fails
    # without an attempt; drive waits for access to a (closed 1h → 2h): 2h → 4h, rebuilds
    assert steps(r)[:2] == [("remote-fix", 1.5 * H, 1.5 * H, "failed"),
                            ("drive", 2 * H, 4 * H, "fallback ok")]
    assert r.steps[0].waited_s == 30 * M and r.steps[1].waited_s == 30 * M
    assert events(r, "step_timeout") == [(1.5 * H, "fix.remote-fix", "gave up after 30 min "
                                          "waiting for service console@b up; failed without an "
                                          "attempt")]
    assert (1.5 * H, "fix.drive", "waits for access to site a") in events(r, "step_waiting")
    assert events(r, "access_closed") == [(1 * H, "a", "lockout")]
    assert events(r, "access_open") == [(2 * H, "a", "lockout")]
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 4 * H)]


def test_on_timeout_skip_records_the_reason_and_successors_proceed():
    r = simulate(scenario(REMOTE.format(on_timeout="skip")))
    # skipped at 1h30m (no fallback: the step did not fail); report 1h30m → 1h35m
    assert steps(r) == [("remote-fix", 1.5 * H, 1.5 * H, "skipped"),
                        ("report", 1.5 * H, 1.5 * H + 5 * M, "ok")]
    assert events(r, "step_timeout")[0][2].endswith("; skipped")


def test_closed_site_by_configuration_blocks_staff():
    parts = ("""
        runbooks:
          fix:
            trigger: detected
            steps:
              - {id: on-site, duration: 5m, requires: {site_access: [c], timeout: 1h,
                 on_timeout: skip}}
        disruptions:
    """, FAIL_A)
    # c is closed to staff by configuration and never opens: skipped after 1h, at 2h
    r = simulate(scenario(*parts, access="closed"))
    assert steps(r) == [("on-site", 2 * H, 2 * H, "skipped")]
    assert events(r, "step_waiting") == [(1 * H, "fix.on-site", "waits for access to site c")]
    # open (the default): 1h → 1h05m
    assert steps(simulate(scenario(*parts))) == [("on-site", 1 * H, 1 * H + 5 * M, "ok")]


# ---- staged restoration ----------------------------------------------------------------------

STAGED = """
runbooks:
  rebuild:
    trigger: detected
    steps:
      - id: reimage
        roles: [eng]
        duration: 0s
        staged: {{units: 10, workers: 3, per_unit: 1h, batch: 5}}
        effects: [{{rebuild: {{site: a, component: servers}}}}]
disruptions:
  - {{id: wipe, at: 1h, targets: [{{component: a.servers}}], until: repaired}}
"""


@pytest.mark.parametrize(("needed", "back_s"), [(5, 3 * H), (6, 5 * H)])
def test_staged_rebuild_in_batches(needed, back_s):
    r = simulate(scenario(STAGED.format(), needed=needed))
    # 3 workers, 1h a unit from 1h: units finish 3 at 2h, 3 at 3h (5th → batch 1 at 3h),
    # 3 at 4h, the 10th at 5h (batch 2). Batch 1 rebuilds units 0-4 at 3h; batch 2 the rest.
    assert [t for t, _, _ in events(r, "batch_done")] == [3 * H, 5 * H]
    assert [d for _, _, d in events(r, "batch_done")] == ["5 of 10 units done",
                                                          "10 of 10 units done"]
    ups = [t for t, _, _ in events(r, "component_up")]
    assert ups == [3 * H] * 5 + [5 * H] * 5
    # needed 5: batch 1 brings 5 of 10 up ≥ 5 → customers back at 3h; needed 6: at 5h
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, back_s)]
    assert steps(r) == [("reimage", 1 * H, 5 * H, "ok")]
    assert r.steps[0].who == ("eng#1", "eng#2", "eng#3")


def test_staged_with_fewer_people_than_workers():
    r = simulate(scenario(STAGED.format(), needed=5, eng=2))
    # only 2 eng: 2 workers; units finish 2 at 2h, 4 at 3h, 6 at 4h (the 5th → batch 1 at 4h),
    # 8 at 5h, 10 at 6h (batch 2)
    assert events(r, "step_short_staffed") == [(1 * H, "rebuild.reimage",
                                                "2 of 3 workers: only 2 eng")]
    assert [t for t, _, _ in events(r, "batch_done")] == [4 * H, 6 * H]
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 4 * H)]
    assert steps(r) == [("reimage", 1 * H, 6 * H, "ok")]


def test_staged_rebuild_with_its_own_units_is_refused():
    # a staged rebuild brings up what each batch finished; a `units` of its own used to be
    # ignored silently (units: 1 with batch 5 brought 5 up), so it is refused
    with pytest.raises(ScenarioError, match="a staged step's rebuild .* takes no units"):
        scenario(STAGED.format().replace("component: servers}", "component: servers, units: 1}"),
                 needed=5)


def test_staged_makespan_matches_the_closed_form():
    # N = 10 exponential units (mean 1h), k = 3 workers: while all are busy a unit finishes
    # at rate 3/h, N - k times; then the last k drain: E = (N - k)/k + H_k = 7/3 + 11/6 h
    sc = scenario(STAGED.format().replace("per_unit: 1h", "per_unit: {exponential: {mean: 1h}}"),
                  needed=5)
    took = np.array([simulate(sc, seed=3, trial=i).steps[0].end_s - 1 * H for i in range(500)])
    expected = (7 / 3 + 1 + 1 / 2 + 1 / 3) * H
    half = 2.576 * took.std(ddof=1) / math.sqrt(len(took))
    assert abs(took.mean() - expected) < half


def test_partial_rebuild_brings_up_the_lowest_numbered_units():
    r = simulate(scenario("""
        runbooks:
          fix:
            trigger: detected
            steps:
              - id: three
                duration: 30m
                effects: [{rebuild: {site: a, component: servers, units: 3}}]
        disruptions:
          - {id: wipe, at: 1h, targets: [{component: a.servers}], until: repaired}
    """, needed=3))
    # at 1h30m three of ten units come up (3 ≥ needed 3): customers back, 7 units still down
    ups = events(r, "component_up")
    assert [t for t, _, _ in ups] == [1.5 * H] * 3
    assert ups[-1][2] == "rebuilt by fix.three; 7 units still down"
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 1.5 * H)]


# ---- re-runs inside an open incident ---------------------------------------------------------


def test_serving_site_fails_and_comes_back_before_the_primary():
    r = simulate(scenario(FAILOVER, """
        disruptions:
          - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
          - {id: b-blip, at: 3h, targets: [{site: b}], duration: 30m}
    """))
    # failover to b done at 1h10m; b down 3h → 3h30m: monitoring sees the new loss at the
    # 3h check and the finished failover runs again; to-b is not needed (b down), to-c takes
    # 20m: served at c from 3h20m, before b is back at 3h30m (a still broken)
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 1 * H + 10 * M),
                                                         (3 * H, 3 * H + 20 * M)]
    assert events(r, "service_restored")[-1] == (3 * H + 20 * M, "users", "svc at c")


def test_a_finished_runbook_runs_again_in_the_same_incident():
    sc = scenario(FAILOVER, """
        disruptions:
          - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
          - {id: b-fire, at: 3h, targets: [{site: b}], until: repaired}
    """)
    drill = Drill(sc)
    drill.start()
    drill.env.run(until=3 * H + 1 * M)
    assert drill.world.incident is not None and drill.world.impacted()
    # monitoring noticed the new loss at the 3h check and started run 2; a trigger while it
    # runs starts nothing more
    drill.runbooks.trigger("detected")
    drill.env.run(until=sc.simulation.horizon)
    r = drill.result()
    # run 1 at 1h: to-b; run 2 at 3h: b is down, so to-c 3h → 3h20m
    assert steps(r) == [("to-c", 1 * H, 1 * H, "not needed"),
                        ("to-b", 1 * H, 1 * H + 10 * M, "ok"),
                        ("to-b", 3 * H, 3 * H, "not needed"),
                        ("to-c", 3 * H, 3 * H + 20 * M, "ok")]
    assert [t for t, _, _ in events(r, "runbook_start")] == [1 * H, 3 * H]
    assert [(o.start_s, o.end_s) for o in r.outages][-1] == (3 * H, 3 * H + 20 * M)


# ---- validation ------------------------------------------------------------------------------


def issues(text: str) -> list[str]:
    from drsim.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        validate(load_text(text, "t.yaml"))
    return [str(i) for i in info.value.issues]


def test_fallback_cycle_is_refused_with_its_path():
    text = (BASE.replace("NEEDED", "10").replace("ENG", "3") + textwrap.dedent("""
        runbooks:
          fix:
            steps:
              - {id: s1, duration: 1m, fallback: s2}
              - {id: s2, duration: 1m, fallback: s3}
              - {id: s3, duration: 1m, fallback: s2}
    """))
    found = issues(text)
    assert any("cycle among fallbacks of runbook 'fix': s2 → s3 → s2" in m for m in found)


# ---- the Facebook 2021 incident --------------------------------------------------------------


def test_facebook_backbone_incident():
    sc = load_scenario(ROOT / "scenarios" / "incidents" / "facebook-2021-backbone.yaml")
    r = simulate(sc)
    # the remote fix never starts: the tooling died with the backbone; it gives up after
    # 20 min and the fallback (travel on site) runs; traffic comes back in 4 batches of 3
    remote = next(s for s in r.steps if s.step == "remote-fix")
    assert (remote.outcome, remote.waited_s, remote.attempts) == ("failed", 20 * M, 0)
    assert events(r, "step_timeout")[0][2].startswith(
        "gave up after 20 min waiting for service tooling up")
    assert [d for _, _, d in events(r, "batch_done")] == [f"{n} of 12 units done"
                                                          for n in (3, 6, 9, 12)]
    # users are back with the 3rd batch (9 of 12 regions ≥ needed 9), not before
    assert events(r, "service_restored")[0][0] == events(r, "batch_done")[2][0]
    rto = np.array([simulate(sc, trial=i).metrics.rto_basic_s for i in range(100)])
    assert len(set(rto)) == 100 and np.percentile(rto, 90) > np.median(rto) + 30 * M
    assert rto.min() > 2 * H  # never fixed remotely: always travel + security + fix + ramp


@pytest.mark.parametrize(("when", "outcome", "why"), [
    ('{service_down: ["console@b"]}', "ok", None),
    ("{service_up: [console]}", "not needed", "service_up: console is not served"),
    ('{service_up: ["svc@c"]}', "not needed", "service_up: svc@c is not served"),
    ("{site_up: [a, c], service_down: [svc]}", "ok", None),
])
def test_service_conditions_read_health_at_active_sites(when, outcome, why):
    r = simulate(scenario(f"""
        runbooks:
          fix:
            trigger: detected
            steps:
              - {{id: check, duration: 5m, when: {when}}}
        disruptions:
          - {{id: fault, at: 1h, targets: [{{component: a.box}}], until: repaired}}
          - {{id: b-down, at: 30m, targets: [{{site: b}}], duration: 2h}}
    """))
    # at 1h: console (active only at b) is down with b; svc is down at a and not active at c
    assert steps(r) == [("check", 1 * H, 1 * H + (5 * M if outcome == "ok" else 0), outcome)]
    assert [d for _, _, d in events(r, "step_not_needed")] == ([why] if why else [])


def test_overlapping_access_closures_reopen_when_the_last_ends():
    r = simulate(scenario("""
        runbooks:
          fix:
            trigger: detected
            steps:
              - id: on-site
                duration: 30m
                requires: {site_access: [a]}
                effects: [{rebuild: {site: a, component: box}}]
        disruptions:
          - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
          - {id: storm, at: 30m, targets: [{access: a}], duration: 2h}
          - {id: lockdown, at: 2h, targets: [{access: a}], duration: 1h}
    """))
    # closed 30m → 2h30m (storm) and 2h → 3h (lockdown): open again only at 3h;
    # on-site 3h → 3h30m, the box is rebuilt then
    assert events(r, "access_closed") == [(0.5 * H, "a", "storm")]
    assert events(r, "access_open") == [(3 * H, "a", "lockdown")]
    assert steps(r) == [("on-site", 3 * H, 3.5 * H, "ok")]
    assert r.steps[0].waited_s == 2 * H
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H, 3.5 * H)]
