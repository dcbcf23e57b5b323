"""Data protection, simulated: what a failover (customers moved off a failed site, no
restore) loses and the words it uses, for each way of choosing the copy.

Times are seconds since 2026-03-10 00:00 UTC. Site a fails at 2h30m = 9000 s, detected at
once; the failover runbook moves everyone to b 10 minutes later.
"""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: failover-loss
simulation: {start: "2026-03-10T00:00", timezone: TZ, horizon: 1d}
sites: {a: {}, b: {}, c: {}, vault: {}}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
  a-vault: {a: a, b: vault}
  b-vault: {a: b, b: vault}
  b-c: {a: b, b: c}
services:
  db:
    active: [a]
    standby: {sites: [b, c]}
    protection:
TIERS
customers:
  g: {count: 10, access: pop, home: a, services: [db]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  failover:
    trigger: detected
    steps:
      - {id: switch, duration: 10m, effects: [{activate: {service: db, site: b}}, {move: {to: b}}]}
disruptions:
  - {id: fire, at: 2h30m, targets: [{site: a}], duration: 20h}
EXTRA
"""

REPLICA_B = "      - {id: replica-b, kind: replica, mode: async, lag: 45s, at: b}"
REPLICA_C = "      - {id: replica-c, kind: replica, mode: async, lag: 45s, at: c}"
NIGHTLY = ("      - {id: nightly, kind: backup, schedule: {at: '02:00'}, takes: 40m, "
           "at: vault}")
BROKEN = ("      - {id: hourly, kind: snapshot, schedule: {every: 1h}, at: vault, "
          "unusable: 1}")
# the nightly backup of 02:00 is still running at 02:30 (done 02:40): the newest finished
# one is yesterday's, 24h30m = 88200 s old


def failover(tiers: list[str], extra: str = "", tz: str = "UTC"):
    return simulate(parse(BASE.replace("TIERS", "\n".join(tiers)).replace("EXTRA", extra)
                          .replace("TZ", tz)))


@pytest.mark.parametrize(("tiers", "extra", "lost", "how"), [
    # the async replica at b is the newest copy: 45 s behind
    ([REPLICA_B, NIGHTLY], "", 45, " (from replica-b)"),
    # a failover was seeded before: the vault being down now does not matter
    ([NIGHTLY], "  - {id: vault, at: 1h, targets: [{site: vault}], duration: 1d}", 88200,
     " (from nightly)"),
    # the replica at c (a standby site) is corrupted since 1h: yesterday's backup is used
    ([REPLICA_C, NIGHTLY], "  - {id: rot, at: 1h, targets: [{data: db, site: c}], "
                           "until: repaired}", 88200, " (from nightly)"),
    # every copy is unusable: all data since the start, 9000 s
    ([BROKEN], "", 9000, " (no usable copy: all data since the start)"),
])
def test_failover_loss_comes_from_the_newest_usable_copy_and_says_which(tiers, extra, lost,
                                                                        how):
    r = failover(tiers, extra)
    assert [(x.from_site, x.to_site, x.failed_at_s, x.lost_s) for x in r.losses] == [
        ("a", "b", 2.5 * H, lost)]
    assert [(e.time_s, e.detail) for e in r.timeline if e.kind == "data_loss"] == [
        (2.5 * H + 10 * M, f"failover a→b lost {lost}s of writes{how}")]


def snap(schedule: str, takes: str = "") -> list[str]:
    return [f"      - {{id: snap, kind: snapshot, schedule: {schedule}, at: vault{takes}}}"]


@pytest.mark.parametrize(("tier", "tz", "lost"), [
    # every 1h taking 40m: the 2h copy is done only at 2h40m, the 1h one at 1h40m: 1h30m old
    (snap("{every: 1h}", ", takes: 40m"), "UTC", 1.5 * H),
    # taking 2h: the 2h and 1h copies are unfinished (4h, 3h), the 0h one done at 2h
    (snap("{every: 1h}", ", takes: 2h"), "UTC", 2.5 * H),
    # every 6h taking 7h: the only copy (0h) is done at 7h: none finished, all 9000 s lost
    (snap("{every: 6h}", ", takes: 7h"), "UTC", 2.5 * H),
    # a copy at 02:30 that takes no time holds everything up to the failure at 02:30
    (snap("{at: '02:30'}"), "UTC", 0.0),
    # clock times are local: 02:00 in Berlin is 2h after the 00:00 (Berlin) start
    (snap("{at: '02:00'}"), "Europe/Berlin", 30 * M),
])
def test_scheduled_copies_at_their_boundaries(tier, tz, lost):
    r = failover(tier, tz=tz)
    assert [(x.failed_at_s, x.lost_s) for x in r.losses] == [(2.5 * H, lost)]


RESTORE = """
drsim: 1
name: restore
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites: {a: {}, b: {}, c: {}, vault: {}}
links:
  a-b: {a: a, b: b, bandwidth: 10Gbps}
  a-vault: {a: a, b: vault, bandwidth: 1Gbps}
  a-c: {a: a, b: c}
services:
  db:
    active: ACTIVE
    data_size: 450GB
    protection:
      - {id: local, kind: snapshot, schedule: {every: 6h}, at: a}
      - {id: broken, kind: snapshot, schedule: {every: 1h}, at: vault, unusable: 1}
      - {id: slow, kind: backup, schedule: {every: 12h}, takes: 13h, at: vault}
  web: {active: [c]}
customers:
  g: {count: 10, access: a, home: a, services: [db]}
  h: {count: 10, access: c, home: c, services: [web]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  recover:
    steps:
      - {id: restore, duration: 10m, effects: [{restore: {service: db, to: a, from: FROM}}]}
disruptions:
  - FAULT
"""
WIPE = "{id: wipe, at: 2h30m, targets: [{data: db, site: a}], until: repaired}"


def restore(active: str = "[a]", fault: str = WIPE, order: str = "null"):
    return simulate(parse(RESTORE.replace("ACTIVE", active).replace("FAULT", fault)
                          .replace("FROM", order)))


def said(result, kind):
    return [(e.time_s, e.detail) for e in result.timeline if e.kind == kind]


def test_a_restore_from_a_copy_at_the_target_itself_takes_no_transfer_time():
    r = restore()
    # newest first: broken's 02:00 copy (30m old) is unusable, found after 0 s (no
    # discovery time given); local's 00:00 copy sits at a itself: no network, no restore
    # speed given, so it takes no time. The step is its 10 minutes: 2h30m → 2h40m
    assert [(s.start_s, s.end_s, s.outcome) for s in r.steps] == [(2.5 * H, 2.5 * H + 10 * M,
                                                                   "ok")]
    assert said(r, "restored") == [(2.5 * H + 10 * M, "data at a from local at a; passed over "
                                                      "broken: copy found unusable after 0s")]
    assert said(r, "data_loss") == [(2.5 * H + 10 * M, "restore to a from local lost 9000s of "
                                                       "writes")]
    assert [(e.time_s, e.subject, e.detail) for e in r.timeline if e.kind == "data_corrupted"
            ] == [(2.5 * H, "db@a", "wipe: unhealthy there until its data is restored")]


def test_a_restore_from_a_healthy_active_site_copies_live_data_and_loses_nothing():
    c_down = "{id: c-down, at: 2h30m, targets: [{site: c}], duration: 1h}"
    r = restore(active="[a, b]", fault=f"{WIPE}\n  - {c_down}")
    # g is served at b (active-active) so only c's failure declares the incident at 2h30m.
    # b serves whole data: 450e9 B × 8 over the 10 Gbps a-b link = 360 s after the 10 min step
    assert [(s.start_s, s.end_s) for s in r.steps] == [(2.5 * H, 2.5 * H + 10 * M + 360)]
    assert said(r, "restored") == [(2.5 * H + 10 * M + 360,
                                    "data at a from the live copy at b (nothing lost)")]
    assert [d for _, d in said(r, "data_loss") if d.startswith("restore")] == []


def test_a_restore_over_healthy_data_books_no_loss():
    r = restore(fault="{id: c-down, at: 2h30m, targets: [{site: c}], duration: 1h}")
    # web's site fails, which declares the incident; the runbook restores db to a, where
    # its data is whole: the copy used (local, as above) overwrites live data: nothing lost
    assert said(r, "restored") == [(2.5 * H + 10 * M, "data at a from local at a; passed over "
                                                      "broken: copy found unusable after 0s")]
    assert r.losses == ()


@pytest.mark.parametrize(("order", "detail"), [
    # slow's 00:00 copy is done only at 13h; broken is unusable: both named, in order
    ("[slow, broken, local]", "data at a from local at a; passed over slow: no finished copy "
                              "before the failure, broken: copy found unusable after 0s"),
    ("[local]", "data at a from local at a"),
])
def test_a_restore_names_every_copy_it_passed_over(order, detail):
    r = restore(order=order)
    assert said(r, "restored") == [(2.5 * H + 10 * M, detail)]


def test_a_restore_after_a_site_failure_counts_from_the_failure_not_the_restore():
    r = simulate(parse("""
        drsim: 1
        name: site-failure
        simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
        sites: {a: {}, b: {}, vault: {}}
        access_points: {pop: {}}
        links:
          pop-a: {a: pop, b: a}
          pop-b: {a: pop, b: b}
          b-vault: {a: b, b: vault, bandwidth: 10Gbps}
        services:
          db:
            active: [a]
            standby: {sites: [b]}
            data_size: 450GB
            protection:
              - {id: hourly, kind: snapshot, schedule: {every: 1h}, at: vault}
        customers:
          g: {count: 10, access: pop, home: a, services: [db]}
        detection: {interval: 1m, failed_checks: 1}
        runbooks:
          recover:
            steps:
              - {id: prep, duration: 10m}
              - id: restore
                after: [prep]
                duration: 10m
                effects: [{restore: {service: db, to: b}}, {activate: {service: db, site: b}},
                          {move: {to: b}}]
        disruptions:
          - {id: fire, at: 2h30m, targets: [{site: a}], duration: 20h}
    """))
    # a fails at 2h30m; prep 2h30m-2h40m; the restore plans at 2h40m but writes stopped at
    # 2h30m: the 02:00 snapshot is 30m = 1800 s old. 450e9 B × 8 / 10 Gbps = 360 s:
    # done at 2h40m + 10m + 360 s
    assert [(x.from_site, x.to_site, x.failed_at_s, x.lost_s) for x in r.losses] == [
        ("a", "b", 2.5 * H, 1800.0)]
    assert said(r, "data_loss") == [(2.5 * H + 20 * M + 360,
                                     "restore to b from hourly lost 1800s of writes")]


def test_discovery_and_restore_times_come_from_their_own_named_streams():
    from drsim.sim.streams import Streams

    text = RESTORE.replace("ACTIVE", "[a]").replace("FAULT", WIPE).replace("FROM", "null")
    text = text.replace("at: vault, unusable: 1}",
                        "at: vault, unusable: 1, discovery: {exponential: {mean: 20m}}}")
    text = text.replace("schedule: {every: 6h}, at: a}",
                        "schedule: {every: 6h}, at: a, restore: {duration: "
                        "{exponential: {mean: 1h}}}}")
    sc = parse(text)
    r = simulate(sc, seed=7, trial=2)
    # each random time of a tier is drawn from the stream named after the service, the tier
    # and what is drawn, so adding a tier or a service never moves another one's draws
    tiers = {t.id: t for t in sc.services["db"].protection}
    streams = Streams(7, 2)
    found = tiers["broken"].discovery.sample(streams("protection:db.broken.discovery"))
    restored = tiers["local"].restore.duration.sample(streams("protection:db.local.restore"))
    assert 0 < found and 0 < restored
    assert r.steps[0].end_s - r.steps[0].start_s == pytest.approx(10 * M + found + restored,
                                                                  abs=1e-6)
    assert said(r, "restored")[0][1].endswith(f"copy found unusable after {found:.0f}s")


@pytest.mark.parametrize(("tiers", "name"), [
    ("    replication: {mode: async, to: b, lag: {exponential: {mean: 1m}}}\n",
     "protection:db.replication.lag@9000.0"),
    ("    protection:\n      - {id: rb, kind: replica, mode: async, at: b, "
     "lag: {exponential: {mean: 1m}}}\n", "protection:db.rb.lag@9000.0"),
])
def test_a_replica_lag_is_drawn_from_its_named_stream(tiers, name):
    from drsim.sim.streams import Streams

    sc = parse(BASE.replace("    protection:\nTIERS\n", tiers).replace("EXTRA", "")
               .replace("TZ", "UTC"))
    r = simulate(sc, seed=5, trial=1)
    # each tier (the legacy `replication` too) draws its lag from a stream keyed by the
    # failure instant (2.5 h = 9000 s): a variant meeting this failure meets this lag
    (tier,) = sc.services["db"].tiers
    lag = tier.lag.sample(Streams(5, 1)(name))
    assert [(x.failed_at_s, x.lost_s) for x in r.losses] == [(2.5 * H, lag)]


@pytest.mark.parametrize(("taken", "tz", "lost"), [
    # taken at 02:00 local (Berlin: 2h after the start), done 02:15: 30 minutes old
    ("2026-03-10T02:00", "Europe/Berlin", 30 * M),
    # taken at 02:15, done 02:30, exactly at the failure: usable, 15 minutes old
    ("2026-03-10T02:15", "UTC", 15 * M),
    # taken at 02:20, done 02:35, after the failure at 02:30: no copy, all 9000 s lost
    ("2026-03-10T02:20", "UTC", 2.5 * H),
])
def test_an_adhoc_copy_counts_in_local_time_once_finished(taken, tz, lost):
    r = failover([f"      - {{id: pre, kind: adhoc, taken_at: '{taken}', takes: 15m, "
                  "at: vault}"], tz=tz)
    assert [(x.failed_at_s, x.lost_s) for x in r.losses] == [(2.5 * H, lost)]


def test_the_discovery_times_of_several_broken_copies_add_up():
    text = RESTORE.replace("ACTIVE", "[a]").replace("FAULT", WIPE).replace(
        "FROM", "[broken, broken2, local]")
    text = text.replace("at: vault, unusable: 1}", "at: vault, unusable: 1, discovery: 20m}\n"
                        "      - {id: broken2, kind: snapshot, schedule: {every: 2h}, "
                        "at: vault, unusable: 1, discovery: 10m}")
    r = simulate(parse(text))
    # 10 min step + 20 min to find broken's copy bad + 10 min for broken2's; local (at a
    # itself) restores at once: 2h30m → 3h10m
    assert [(s.start_s, s.end_s) for s in r.steps] == [(2.5 * H, 2.5 * H + 40 * M)]
    assert said(r, "restored") == [(2.5 * H + 40 * M, (
        "data at a from local at a; passed over broken: copy found unusable after 1200s, "
        "broken2: copy found unusable after 600s"))]
