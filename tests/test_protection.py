"""Data protection in tiers: hand-computed restore timelines and losses, the failback defect,
and a Monte Carlo check of the backup-schedule closed form.

Times are seconds since the scenario start (00:00 UTC). Monitoring checks every minute from
00:00 and alerts on the first failed check, with no acknowledge or declare delay, so a fault
at a whole minute is declared at that instant and the `recover` runbook starts at once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import parse
from scipy import stats

from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

H, M = 3600.0, 60.0
SIZE = 450e9  # bytes

BASE = """
drsim: 1
name: p
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 3d}
sites:
  a: {}
  b: {}
  vault: {}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
  a-vault: {a: a, b: vault, bandwidth: 1Gbps}
  a-b: {a: a, b: b, bandwidth: 10Gbps}
services:
  db:
    active: [a]
    standby: {sites: [b]}
    data_size: 450GB
    protection:
TIERS
customers:
  g: {count: 10, access: pop, home: a, services: [db]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  recover:
    steps:
      - {id: restore, duration: 10m, effects: [{restore: RESTORE}]}
disruptions:
  - {id: wipe, at: AT, targets: [{data: db, site: a}], until: repaired}
EXTRA
"""

HOURLY = ("      - {id: hourly, kind: snapshot, schedule: {every: 1h}, takes: 5m, at: vault, "
          "unusable: UNUSABLE, discovery: 20m}")
NIGHTLY = ("      - {id: nightly, kind: backup, schedule: {at: '02:00'}, takes: 40m, at: vault, "
           "restore: {throughput: 500MB/s}}")


def run(tiers: list[str], at: str = "2h30m", restore: str = "{service: db, to: a}",
        extra: str = "", unusable: str = "1"):
    text = (BASE.replace("TIERS", "\n".join(tiers).replace("UNUSABLE", unusable))
            .replace("RESTORE", restore).replace("AT", at).replace("EXTRA", extra))
    return simulate(parse(text))


def detail(result, kind: str) -> list[str]:
    return [e.detail for e in result.timeline if e.kind == kind]


def test_nightly_backup_running_at_failure_leaves_yesterdays_copy():
    r = run([NIGHTLY])
    # failure 02:30; tonight's 02:00 backup runs until 02:40, so the newest finished copy is
    # yesterday's 02:00 (t = -22h): lost = 2h30m - (-22h) = 24h30m
    assert [(x.from_site, x.to_site, x.failed_at_s, x.lost_s) for x in r.losses] == [
        ("a", "a", 2.5 * H, 24.5 * H)]  # in place: a → a
    # restore 02:30: 10 min of work + 450 GB ÷ 500 MB/s = 900 s → 02:55
    step = r.steps[0]
    assert (step.start_s, step.end_s) == (2.5 * H, 2.5 * H + 10 * M + 900)
    assert [(o.start_s, o.end_s) for o in r.outages] == [(2.5 * H, 2.5 * H + 25 * M)]
    assert r.metrics.data_lost_s["db"] == 24.5 * H


def test_backup_finished_before_failure_is_the_newest():
    r = run([NIGHTLY], at="2h45m")
    # 02:45: tonight's 02:00 backup finished at 02:40 → lost 45 min
    assert r.losses[0].lost_s == 45 * M


def test_clock_schedule_runs_on_the_local_clock_across_a_dst_change():
    # Europe/London: the run starts Sat 2026-03-28 00:00 GMT (= 00:00 UTC, t = 0); clocks go
    # forward at 01:00 GMT on Sun 29 March. Backup at 00:30 local on weekends only, done by
    # 00:40; the data is deleted at 12:00 BST on the 29th = 11:00 UTC (t = 35h). Newest
    # finished copy: Sun 00:30 GMT = 00:30 UTC (t = 24h30m) → lost 10h30m of real time
    # (the wall clocks read 11h30m apart).
    tier = ("      - {id: weekend, kind: backup, schedule: {days: 'sat,sun', at: ['00:30']}, "
            "takes: 10m, at: vault, restore: {throughput: 500MB/s}}")
    text = (BASE.replace("TIERS", tier).replace("AT", "'2026-03-29T12:00'").replace("EXTRA", "")
            .replace("RESTORE", "{service: db, to: a}")
            .replace('start: "2026-03-10T00:00", timezone: UTC',
                     'start: "2026-03-28T00:00", timezone: Europe/London'))
    r = simulate(parse(text))
    assert [(x.failed_at_s, x.lost_s) for x in r.losses] == [(35 * H, 10.5 * H)]


def test_weekday_backups_several_times_a_day():
    tier = ("      - {id: twice, kind: backup, schedule: {days: mon-fri, at: ['14:00', '02:00']},"
            " takes: 40m, at: vault, restore: {throughput: 500MB/s}}")
    # start Tue 2026-03-10 00:00 UTC; deletion Sat 14 March 10:00 (t = 4d10h). No backups at
    # the weekend: the newest is Fri 13 March 14:00 (t = 3d14h) → lost 20h
    text = (BASE.replace("TIERS", tier).replace("AT", "4d10h").replace("EXTRA", "")
            .replace("RESTORE", "{service: db, to: a}").replace("horizon: 3d", "horizon: 5d"))
    r = simulate(parse(text))
    assert r.losses[0].lost_s == 20 * H


def test_legacy_backup_replication_equals_its_protection_tier():
    # replication: {mode: backup, interval: 6h} is the tier 'replication': every 6h from the
    # start, instantly finished. Failure 02:30 → last backup 00:00 → 2h30m either way.
    legacy = BASE.replace("    protection:\nTIERS", "    replication: {mode: backup, to: vault, "
                          "interval: 6h}").replace("AT", "2h30m").replace("EXTRA", "")
    legacy = legacy.replace("RESTORE", "{service: db, to: a, from: replication}")
    tier = "      - {id: six, kind: backup, schedule: {every: 6h}, at: vault}"
    new = (BASE.replace("TIERS", tier).replace("AT", "2h30m").replace("EXTRA", "")
           .replace("RESTORE", "{service: db, to: a}"))
    a, b = simulate(parse(legacy)), simulate(parse(new))
    assert a.losses[0].lost_s == b.losses[0].lost_s == 2.5 * H
    # both restored over the 1 Gbps vault link: 450e9*8/1e9 = 3600 s + 10 min
    assert a.steps[0].end_s == b.steps[0].end_s == 2.5 * H + 600 + 3600


def test_unusable_tier_is_passed_over_and_its_discovery_charged():
    r = run([HOURLY, NIGHTLY])
    # newest first: hourly 02:00 snapshot (done 02:05) is newer than nightly (yesterday 02:00)
    # but it is unusable (p = 1): found after 20 min, then nightly is restored.
    # step: 10 min + 20 min discovery + 900 s restore = 2700 s
    step = r.steps[0]
    assert step.end_s - step.start_s == 10 * M + 20 * M + 900
    assert r.losses[0].lost_s == 24.5 * H
    assert "passed over hourly: copy found unusable after 1200s" in detail(r, "restored")[0]


def test_usable_newest_tier_is_used_first():
    r = run([HOURLY, NIGHTLY], unusable="0")
    # hourly 02:00 snapshot finished 02:05 ≤ 02:30 → lost 30 min; no throughput given, so
    # 450 GB over the 1 Gbps vault link: 450e9 * 8 / 1e9 = 3600 s; step 600 + 3600
    assert r.losses[0].lost_s == 30 * M
    assert r.steps[0].end_s - r.steps[0].start_s == 600 + 3600


def test_restore_from_tries_the_listed_tiers_in_order():
    r = run([HOURLY, NIGHTLY], unusable="0", restore="{service: db, to: a, from: nightly}")
    # from: nightly → the older copy even though hourly is newer: 24h30m lost, 600 + 900 s
    assert r.losses[0].lost_s == 24.5 * H
    assert r.steps[0].end_s - r.steps[0].start_s == 600 + 900


def test_no_usable_copy_fails_the_restore_and_the_service_stays_down():
    r = run([HOURLY], restore="{service: db, to: a, from: [hourly]}")
    # the only copy is unusable: the attempt takes 10 min + 20 min discovery and fails
    step = r.steps[0]
    assert (step.outcome, step.end_s - step.start_s) == ("failed", 30 * M)
    assert r.losses == ()
    assert "no usable copy" in detail(r, "restore_failed")[0]
    assert r.outages[0].end_s is None  # never restored: still down at the horizon


def test_tier_at_a_site_that_is_down_is_not_available():
    local = ("      - {id: local, kind: snapshot, schedule: {every: 6h}, at: a, "
             "restore: {duration: 1h}}")
    extra = "  - {id: vault-down, at: 1h, targets: [{site: vault}], duration: 1d}"
    r = run([HOURLY, local], unusable="0", extra=extra)
    # hourly (02:00) is newer but the vault is down; local 00:00 snapshot: lost 2h30m,
    # restore in place with its 1 h duration: step 10 min + 1 h
    assert r.losses[0].lost_s == 2.5 * H
    assert r.steps[0].end_s - r.steps[0].start_s == 10 * M + H
    assert "hourly: site vault is down" in detail(r, "restored")[0]


def test_adhoc_copy_holds_the_data_of_its_time():
    adhoc = ("      - {id: pre-upgrade, kind: adhoc, taken_at: '2026-03-10T01:00', takes: 15m, "
             "at: a, restore: {throughput: 4Gbps}}")
    r = run([adhoc])
    # copy of 01:00 (done 01:15) → lost 1h30m; 450e9 B ÷ (4e9/8 B/s) = 900 s
    assert r.losses[0].lost_s == 1.5 * H
    assert r.steps[0].end_s - r.steps[0].start_s == 600 + 900


def test_failover_without_restore_loses_the_async_replica_lag():
    replica = "      - {id: replica-b, kind: replica, mode: async, lag: 45s, at: b}"
    text = (BASE.replace("TIERS", replica).replace("AT", "2h30m").replace("EXTRA", "")
            .replace("[{restore: RESTORE}]", "[{activate: {service: db, site: b}}, "
                                              "{move: {to: b}}]"))
    r = simulate(parse(text))
    # customers move to b at 02:40; the copy there lags 45 s behind the 02:30 corruption
    assert [(x.from_site, x.to_site, x.lost_s) for x in r.losses] == [("a", "b", 45.0)]


# ---- the failback defect --------------------------------------------------------------------

FAILBACK = """
drsim: 1
name: failback
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 3h}}}
  b: {components: {box: {count: 1, ttr: 1h}}}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  svc:
    requires: [box]
    active: [a]
    standby: {sites: [b], mode: cold}
    replication: {mode: async, to: b, lag: 45s}
customers:
  g: {count: 10, access: pop, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  failover:
    steps:
      - id: switch
        duration: 15m
        effects: [{activate: {service: svc, site: b}}, {move: {to: b}}]
  failback:
    trigger: {after: failover}
    steps:
      - id: back
        duration: 5m
        requires: {site_healthy: [a]}
        effects: [{move: {groups: all, to: home}}, {deactivate: {service: svc, site: b}}]
disruptions:
  - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
objectives:
  - {id: rpo, service: svc, rpo: 45s}
"""


def test_failback_that_moves_home_and_stands_down_in_one_step_loses_nothing():
    r = simulate(parse(FAILBACK))
    # failover 01:00-01:15 loses the 45 s lag (a failed). The box is repaired at 04:00 and
    # 'back' runs 04:00-04:05, moving customers home while standing b down: b was healthy
    # up to that instant, so nothing is lost (before the fix a b → a loss was booked).
    assert [(x.from_site, x.to_site, x.failed_at_s, x.lost_s) for x in r.losses] == [
        ("a", "b", 1 * H, 45.0)]
    assert [e.time_s for e in r.timeline if e.kind == "data_loss"] == [1 * H + 15 * M]
    assert r.steps[1].end_s == 4 * H + 5 * M
    assert r.metrics.objectives[0].met


# ---- Monte Carlo: a backup of duration b every T ----------------------------------------


def test_periodic_backup_loses_uniform_b_to_t_plus_b():
    # backups start every T = 6h from 00:00 and take b = 1h; a corruption uniformly in
    # [1d, 3d) (a whole number of periods) finds the newest finished backup started
    # between b and T + b ago: lost ~ U[b, T + b], mean T/2 + b = 4h, sd T/√12.
    T, b, n = 6 * H, 1 * H, 400
    tier = "      - {id: six, kind: backup, schedule: {every: 6h}, takes: 1h, at: a}"
    text = (BASE.replace("TIERS", tier).replace("AT", "{uniform: {low: 1d, high: 3d}}")
            .replace("RESTORE", "{service: db, to: a}").replace("EXTRA", "")
            .replace("horizon: 3d", "horizon: 4d"))
    sc = parse(text)
    lost = np.array([simulate(sc, seed=11, trial=i).losses[0].lost_s for i in range(n)])
    half = 2.576 * lost.std(ddof=1) / np.sqrt(n)
    assert abs(lost.mean() - (T / 2 + b)) < half
    assert lost.min() >= b and lost.max() <= T + b
    assert stats.kstest(lost, stats.uniform(loc=b, scale=T).cdf).pvalue > 0.01


# ---- the GitLab incident scenario ---------------------------------------------------------

GITLAB = Path(__file__).resolve().parent.parent / "scenarios" / "incidents" / \
    "gitlab-2017-database.yaml"


@pytest.mark.skipif(not GITLAB.exists(), reason="scenario not written yet")
def test_gitlab_scenario_restores_from_a_tier_and_spreads():
    sc = load_scenario(GITLAB)
    rto, lost, by_hand = [], [], 0
    for i in range(300):
        r = simulate(sc, trial=i)
        assert r.losses, "the deletion always loses some writes"
        lost.append(r.metrics.data_lost_s["db"])
        rto.append(r.metrics.rto_basic_s)
        used = [e.detail for e in r.timeline if e.kind == "restored"]
        if used and "from lvm-by-hand" in used[0]:
            # the replica was found unusable: the 17:20 snapshot of the 23:27 deletion
            # loses 6h07m = 22020 s, and is copied over 60 Mbps: 300e9*8/60e6 = 40000 s
            by_hand += 1
            assert "replica-db2: copy found unusable" in used[0]
            assert r.metrics.data_lost_s["db"] == pytest.approx(22020.0)
            assert r.metrics.rto_basic_s > 40000.0
    assert 0 < by_hand < 60  # replica unusable in ~5% of 300 trials
    assert len(set(np.round(lost))) > 20 and len({x for x in rto if x}) > 20


def test_restore_waits_while_every_copy_sits_at_a_down_site():
    extra = "  - {id: vault-down, at: 1h, targets: [{site: vault}], duration: 3h}"
    r = run([HOURLY], unusable="0", extra=extra)
    # 02:30: the only copy is in the vault, down 01:00-04:00 → the step waits (recorded),
    # then restores the 02:00 snapshot (lost 30 min) over 1 Gbps: 3600 s + 10 min work
    # → ends 04:00 + 1h10m = 05:10
    assert detail(r, "restore_waiting") == ["to a: every copy's site is down"]
    assert r.losses[0].lost_s == 30 * M
    assert r.steps[0].end_s == 5 * H + 10 * M


def test_hot_standby_serving_a_site_whose_data_is_corrupted_keeps_the_incident_open():
    # data at a deleted at 1h (no restore); the hot standby b takes over at the alert, 1h02m
    # (3 failed checks a minute apart). The data fault is not repaired, so the incident stays
    # open and b keeps serving: one outage of 2 minutes, one incident, still open at 3h.
    # (It used to end at once, hand b back to standby and start over every 2 minutes.)
    r = simulate(parse("""
        drsim: 1
        name: p
        simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 3h}
        sites: {a: {}, b: {}}
        links: {a-b: {a: a, b: b}}
        services: {v: {active: [a], standby: {sites: [b], mode: hot}}}
        customers: {g: {count: 10, access: a, home: a, services: [v]}}
        disruptions:
          - {id: rm, at: 1h, targets: [{data: v, site: a}], until: repaired}
        """))
    assert [(i.start_s, i.end_s) for i in r.intervals if i.what == "v"] == [(1 * H, 1 * H + 2 * M)]
    assert [(i.start_s, i.end_s) for i in r.incidents] == [(1 * H, None)]
    assert [e.time_s for e in r.timeline if e.kind == "deactivated"] == []


def test_corrupted_data_at_a_standby_site_does_not_hold_an_incident_open():
    # v's data at the hot standby b is deleted at 10m (nobody is served there: no incident);
    # a is down 1h-1h30m: the takeover at 1h02m gives nothing (b's data is gone), a is back
    # at 1h30m and the incident ends then; only home data faults keep an incident open
    r = simulate(parse("""
        drsim: 1
        name: p
        simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 3h}
        sites: {a: {}, b: {}}
        links: {a-b: {a: a, b: b}}
        services: {v: {active: [a], standby: {sites: [b], mode: hot}}}
        customers: {g: {count: 10, access: a, home: a, services: [v]}}
        disruptions:
          - {id: rm, at: 10m, targets: [{data: v, site: b}], until: repaired}
          - {id: cut, at: 1h, targets: [{site: a}], duration: 30m}
        """))
    assert [(i.start_s, i.end_s) for i in r.incidents] == [(1 * H, 1.5 * H)]
    assert [(i.start_s, i.end_s) for i in r.intervals if i.what == "v"] == [(1 * H, 1.5 * H)]


def test_a_failover_move_does_not_find_a_copy_unusable_for_the_restore_after_it():
    # a down from 2h30m; the runbook moves customers to b (5m, at 2h35m: the failover loss
    # is that of the newest usable copy, rep, lag 2h), then restores to b from [hourly, rep].
    # The hourly snapshot is unusable: the restore, not the move, finds that out and pays
    # its 20m discovery: 10m + 20m + 450 GB over 1 Gbps (60m) → done at 2h35m + 90m = 4h05m.
    # (The move used to "discover" it, so the restore paid 0s and finished at 3h45m.)
    text = (BASE.replace("TIERS", HOURLY.replace("UNUSABLE", "1")
                         + "\n      - {id: rep, kind: replica, mode: async, lag: 2h, at: vault}")
            .replace("AT", "2h30m").replace("EXTRA", "")
            .replace("  a-b: {a: a, b: b, bandwidth: 10Gbps}",
                     "  a-b: {a: a, b: b, bandwidth: 10Gbps}\n  b-vault: {a: b, b: vault}")
            .replace("      - {id: restore, duration: 10m, effects: [{restore: RESTORE}]}",
                     "      - {id: go, duration: 5m, effects: [{activate: {service: db, site: b}},"
                     " {move: {to: b}}]}\n"
                     "      - {id: restore, after: [go], duration: 10m, effects: [{restore: "
                     "{service: db, to: b, from: [hourly, rep]}}]}")
            .replace("targets: [{data: db, site: a}], until: repaired",
                     "targets: [{site: a}], duration: 10h"))
    r = simulate(parse(text))
    assert [e.time_s for e in r.timeline if e.kind == "restored"] == [4 * H + 5 * M]
    assert detail(r, "restored") == [
        "data at b from rep at vault; passed over hourly: copy found unusable after 1200s"]
    assert [x.lost_s for x in r.losses] == [2 * H]
