"""Mutation tests for drsim/sim/runbook.py, second batch: effects whose only trace is what
happens later (a deactivated site no longer takes traffic), and waits told once per reason.
Timelines computed by hand; times are seconds since the start."""

from __future__ import annotations

from conftest import parse
from test_protection import BASE, HOURLY, run

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def spells(r, group, what):
    return [(i.start_s, i.end_s) for i in r.intervals if i.subject == group and i.what == what]


# svc runs at a and b (two active sites: a group whose site fails is served by the other
# one it reaches; the users enter at edge, linked to both).
# Both fail 1h → 1h10 (an incident); the runbook then stands svc down at b (1h01). When a
# fails alone at 3h, b no longer takes the users: they lose svc until a is back.
DEACTIVATE = """
drsim: 1
name: deactivate
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 6h}
sites:
  edge: {}
  a: {}
  b: {}
links:
  e-a: {a: edge, b: a, latency: 5ms}
  e-b: {a: edge, b: b, latency: 9ms}
services:
  svc: {active: [a, b]}
customers:
  users: {count: 10, access: edge, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  drop-b:
    trigger: detected
    steps:
      - {id: off, duration: 1m, effects: [{deactivate: {service: svc, site: b}}]}
disruptions:
  - {id: both-a, at: 1h, targets: [{site: a}], duration: 10m}
  - {id: both-b, at: 1h, targets: [{site: b}], duration: 10m}
  - {id: a-again, at: 3h, targets: [{site: a}], duration: 30m}
"""


def test_a_deactivated_site_no_longer_serves_when_the_other_fails():
    r = simulate(parse(DEACTIVATE))
    assert events(r, "deactivated") == [(1 * H + 1 * M, "deactivated", "svc", "at b"),
                                        (3 * H + 1 * M, "deactivated", "svc", "at b")]
    # 1h → 1h10 both sites down; 3h → 3h30 a down and b stood down: 10 + 30 min
    assert spells(r, "users", "svc") == [(1 * H, 1 * H + 10 * M), (3 * H, 3 * H + 30 * M)]
    assert r.metrics.groups["users"].downtime_s == 40 * M


# one box that stays down unless a runbook rebuilds it; 100 users need it
BOX = """
drsim: 1
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 30d}}}
services:
  voice: {requires: [box], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [voice]}
"""

WINDOW = "name: window" + BOX + """detection: {interval: 1s, failed_checks: 1}
maintenance_windows:
  night: {days: all, hours: "02:00-05:00"}
disruptions:
  - {id: out, at: 1h59m59s, targets: [{component: a.box}], until: repaired}
runbooks:
  fix:
    trigger: detected
    steps:
      - id: reboot
        duration: 10m
        requires: {window: night}
        effects: [{rebuild: {site: a, component: box}}]
"""


def test_a_step_ready_one_second_before_its_window_waits_that_second():
    r = simulate(parse(WINDOW))
    # fault and alert (checks every second) at 01:59:59 = 7199 s; the window opens at
    # 02:00 = 7200 s: the step waits 1 s (told once), then reboots 02:00 → 02:10
    assert events(r, "step_waiting") == [
        (2 * H - 1, "step_waiting", "fix.reboot", "waits for maintenance window night")]
    assert [(s.step, s.start_s, s.end_s, s.waited_s) for s in r.steps] == [
        ("reboot", 2 * H, 2 * H + 10 * M, 1.0)]
    assert spells(r, "users", "voice") == [(2 * H - 1, 2 * H + 10 * M)]


CHAIN = "name: chain" + BOX + """detection: {interval: 1m, failed_checks: 1}
disruptions:
  - {id: out, at: 1h, targets: [{component: a.box}], until: repaired}
runbooks:
  fix:
    trigger: detected
    steps:
      - {id: s1, duration: 1m, success: 0%, fallback: f1}
      - {id: f1, duration: 2m, success: 0%, fallback: f2}
      - {id: f2, duration: 3m}
      - {id: after-f1, after: [f1], duration: 4m}
      - {id: after-f2, after: [f2], duration: 5m,
         effects: [{rebuild: {site: a, component: box}}]}
"""


def test_steps_after_each_fallback_of_a_chain_follow_the_chain_outcome():
    r = simulate(parse(CHAIN))
    # alert 1h: s1 fails 1h → 1h01, its fallback f1 fails 1h01 → 1h03, f1's fallback f2
    # succeeds 1h03 → 1h06: the chain succeeded, so the steps after f1 and after f2 both
    # run from 1h06 (4m and 5m); the runbook completes at 1h11, when the box is rebuilt
    assert [(s.step, s.start_s, s.end_s, s.outcome) for s in r.steps] == [
        ("s1", 1 * H, 1 * H + 1 * M, "failed"),
        ("f1", 1 * H + 1 * M, 1 * H + 3 * M, "fallback failed"),
        ("f2", 1 * H + 3 * M, 1 * H + 6 * M, "fallback ok"),
        ("after-f1", 1 * H + 6 * M, 1 * H + 10 * M, "ok"),
        ("after-f2", 1 * H + 6 * M, 1 * H + 11 * M, "ok")]
    assert events(r, "runbook_end") == [(1 * H + 11 * M, "runbook_end", "fix", "completed")]
    assert spells(r, "users", "voice") == [(1 * H, 1 * H + 11 * M)]


def test_a_restore_waiting_for_a_copy_says_so_once_while_the_world_changes():
    extra = ("  - {id: vault-down, at: 1h, targets: [{site: vault}], duration: 3h}\n"
             "  - {id: cut, at: 3h, targets: [{link: a-b}], duration: 10m}")
    r = run([HOURLY], unusable="0", extra=extra)
    # 02:30: the only copy sits in the vault, down 01:00-04:00: the restore waits, and says
    # so once, though the world changes at 03:00 and 03:10 (a-b cut) with the same reason;
    # at 04:00 it copies the 02:00 snapshot over 1 Gbps: 3600 s + 10 min → 05:10
    assert events(r, "restore_waiting") == [
        (2.5 * H, "restore_waiting", "db", "to a: every copy's site is down")]
    assert [e.time_s for e in r.timeline if e.kind == "link_down"] == [3 * H]
    assert r.steps[0].end_s == 5 * H + 10 * M
    assert events(r, "restored") == [
        (5 * H + 10 * M, "restored", "db", "data at a from hourly at vault")]


MOVE_SOME = """
drsim: 1
name: move-some
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 6h}
sites:
  edge: {}
  a: {}
  b: {}
links:
  e-a: {a: edge, b: a}
  e-b: {a: edge, b: b}
services:
  svc: {active: [a], standby: {sites: [b]}}
customers:
  first: {count: 10, access: edge, home: a, services: [svc]}
  second: {count: 20, access: edge, home: a, services: [svc]}
  third: {count: 30, access: edge, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  move-first:
    trigger: detected
    steps:
      - id: go
        duration: 5m
        effects: [{activate: {service: svc, site: b}}, {move: {groups: [first, second], to: b}}]
disruptions:
  - {id: a-down, at: 1h, targets: [{site: a}], duration: 2h}
"""


def test_a_move_of_named_groups_moves_only_those_and_names_them():
    r = simulate(parse(MOVE_SOME))
    # a down 1h → 3h; at 1h05 svc starts at b and only `first` and `second` move there;
    # `third` stays assigned to a and is without svc until a is back at 3h
    assert events(r, "moved") == [(1 * H + 5 * M, "moved", "first, second", "to b")]
    assert spells(r, "first", "svc") == spells(r, "second", "svc") == [(1 * H, 1 * H + 5 * M)]
    assert spells(r, "third", "svc") == [(1 * H, 3 * H)]


def test_a_step_with_two_roles_names_both_people_at_its_start():
    text = CHAIN.replace("name: chain", "name: roles").replace(
        "detection:", "staff:\n  ops: {count: 1}\n  dba: {count: 1}\ndetection:").replace(
        "{id: s1, duration: 1m, success: 0%, fallback: f1}",
        "{id: s1, duration: 1m, success: 0%, fallback: f1, roles: [ops, dba]}")
    r = simulate(parse(text))
    # s1 holds one person of each role, taken in sorted-role order: dba#1, then ops#1
    assert events(r, "step_start")[0] == (1 * H, "step_start", "fix.s1", "dba#1, ops#1")


def test_a_restore_with_no_usable_copy_fails_the_attempt_and_says_why():
    r = run([HOURLY])  # the only tier's copies are always found unusable, after 20 min
    # wipe 02:30; the restore step looks for a copy: 20 min to find the 02:00 snapshot
    # unusable, plus its 10 min of work → fails at 03:00 with no usable copy
    assert events(r, "restore_failed", "step_attempt_failed") == [
        (3 * H, "restore_failed", "recover.restore",
         "failed: no usable copy; passed over hourly: copy found unusable after 1200s"),
        (3 * H, "step_attempt_failed", "recover.restore", "attempt 1 of 1")]


def _restore_step(step: str):
    """test_protection's scenario (hourly snapshots to the vault, always usable; the data
    at a wiped at 02:30) with the restore step written as `step`."""
    assert "{id: restore, duration: 10m, effects: [{restore: RESTORE}]}" in BASE
    text = (BASE.replace("TIERS", HOURLY.replace("UNUSABLE", "0")).replace("AT", "2h30m")
            .replace("EXTRA", "")
            .replace("{id: restore, duration: 10m, effects: [{restore: RESTORE}]}", step)
            .replace("RESTORE", "{service: db, to: a}"))
    return simulate(parse(text))


def test_a_restore_after_another_effect_and_with_a_discovery_time_still_copies_the_data():
    # the 02:00 snapshot, 450 GB over the vault's 1 Gbps link: 450e9 × 8 / 1e9 = 3600 s,
    # plus 10 min of work: 02:30 → 03:40, whether the step has a discovery time (it
    # succeeds, so its duration and the copy count) or another effect before the restore
    for step in ("{id: restore, duration: 10m, discovery: 1m, effects: [{restore: RESTORE}]}",
                 "{id: restore, duration: 10m, effects: [{move: {groups: all, to: home}}, "
                 "{restore: RESTORE}]}"):
        r = _restore_step(step)
        assert [(s.step, s.start_s, s.end_s, s.outcome) for s in r.steps] == [
            ("restore", 2.5 * H, 3 * H + 40 * M, "ok")]
        assert r.losses[0].lost_s == 30 * M


CANCELLABLE = "name: cancellable" + BOX + """detection: {interval: 1m, failed_checks: 1}
disruptions:
  - {id: blip, at: 1h, targets: [{component: a.box}], duration: 5m}
runbooks:
  fix:
    trigger: detected
    cancel_if_recovered: true
    steps:
      - {id: s1, duration: 10m, effects: [{move: {groups: all, to: home}}]}
      - {id: s2, after: [s1], duration: 10m}
"""


def test_a_cancellable_runbook_that_has_changed_something_is_not_called_off():
    r = simulate(parse(CANCELLABLE))
    # the box is back at 1h05, before s2 is ready (1h10); but s1 applied an effect at 1h10,
    # so the runbook goes on: s2 runs 1h10 → 1h20
    assert [(s.step, s.start_s, s.end_s, s.outcome) for s in r.steps] == [
        ("s1", 1 * H, 1 * H + 10 * M, "ok"), ("s2", 1 * H + 10 * M, 1 * H + 20 * M, "ok")]
    assert events(r, "runbook_end") == [(1 * H + 20 * M, "runbook_end", "fix", "completed")]


def test_two_restores_in_one_step_take_the_sum_of_their_copy_times():
    r = _restore_step("{id: restore, duration: 10m, "
                      "effects: [{restore: RESTORE}, {restore: RESTORE}]}")
    # each restore copies the 02:00 snapshot over 1 Gbps (3600 s): 2 × 3600 s + 10 min of
    # work = 7800 s → 02:30 + 2h10 = 04:40, when both are recorded
    assert [(s.start_s, s.end_s) for s in r.steps] == [(2.5 * H, 4 * H + 40 * M)]
    assert [t for t, *_ in events(r, "restored")] == [4 * H + 40 * M] * 2
