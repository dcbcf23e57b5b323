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
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
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
    r = simulate(parse(BASE.replace("TIERS", "\n".join(tiers)).replace("EXTRA", extra)))
    assert [(x.from_site, x.to_site, x.failed_at_s, x.lost_s) for x in r.losses] == [
        ("a", "b", 2.5 * H, lost)]
    assert [(e.time_s, e.detail) for e in r.timeline if e.kind == "data_loss"] == [
        (2.5 * H + 10 * M, f"failover a→b lost {lost}s of writes{how}")]
