"""The service rule, simulated: health across sites (and why not, in words), the nearest
active site, the latency budget at its boundary, site capacity and priorities.

Times are hours since the start unless said; every duration is fixed, so timelines follow
from the disruptions by hand.
"""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H = 3600.0


def hours(result, kinds):
    return [(e.time_s / H, e.kind, e.subject, e.detail) for e in result.timeline
            if e.kind in kinds]


def spells(result, group="users"):
    return [(i.start_s / H, None if i.end_s is None else i.end_s / H, i.what)
            for i in result.intervals if i.subject == group]


DEPS = """
drsim: 1
name: deps
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 1h}}}
  b: {components: {box: {count: 2, needed: 2, ttr: 1h}}}
  c: {components: {box: {count: 1, ttr: 1h}}}
links:
  a-b: {a: a, b: b}
  c-b: {a: c, b: b}
services:
  dns: {active: [a, c]}
  app: {active: [b], requires: [box], depends_on: [{service: dns, at: any}]}
  web: {active: [b], depends_on: [app]}
  auth: {active: [b], depends_on: [{service: dns, at: a}]}
customers:
  users: {count: 100, access: b, home: b, services: [web, auth]}
disruptions:
  - {id: cut-a, at: 1h, targets: [{link: a-b}], duration: 1h}
  - {id: a-down, at: 3h, targets: [{site: a}], duration: 1h}
  - {id: cut-c, at: 3h30m, targets: [{link: c-b}], duration: 30m}
  - {id: box, at: 5h, targets: [{component: b.box, units: 1}], duration: 1h}
  - {id: rot, at: 7h, targets: [{data: app, site: b}], until: repaired}
"""


def test_cross_site_and_same_site_dependencies_go_down_and_say_why():
    r = simulate(parse(DEPS))
    # 1h-2h a-b cut: dns at a (auth's) unreachable from b; app's `at: any` still has c.
    # 3h-4h a down: auth again; from 3h30m c-b is cut too, so app (and web, which needs app
    # at b) are down 3h30m-4h. 5h-6h one of b's two boxes down (needs 2): app and web.
    # 7h app's data at b is corrupted (no restore: down to the end)
    why_any = "needs dns at any (a: site a down; c: unreachable)"
    assert hours(r, {"service_down", "service_up"}) == [
        (1, "service_down", "auth@b", "needs dns at a (a: unreachable)"),
        (2, "service_up", "auth@b", ""),
        (3, "service_down", "dns@a", ""),
        (3, "service_down", "auth@b", "needs dns at a (a: site a down)"),
        (3.5, "service_down", "app@b", why_any),
        (3.5, "service_down", "web@b", f"needs app here: {why_any}"),
        (4, "service_up", "dns@a", ""), (4, "service_up", "app@b", ""),
        (4, "service_up", "web@b", ""), (4, "service_up", "auth@b", ""),
        (5, "service_down", "app@b", "box: 1 of 2 units up, needs 2"),
        (5, "service_down", "web@b", "needs app here: box: 1 of 2 units up, needs 2"),
        (6, "service_up", "app@b", ""), (6, "service_up", "web@b", ""),
        (7, "service_down", "app@b", "its data at b corrupted, not yet restored"),
        (7, "service_down", "web@b", "needs app here: its data at b corrupted, not yet "
                                     "restored"),
    ]
    # basic service needs web and auth: down 1-2h, 3-4h, 5-6h and from 7h
    assert [(s, e) for s, e, what in spells(r) if what == "basic"] == [
        (1, 2), (3, 4), (5, 6), (7, None)]


NEAREST = """
drsim: 1
name: nearest
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, seed: 1}
access_points: {pop: {}}
sites: {a: {}, b: {}, c: {}}
links:
  pop-a: {a: pop, b: a, latency: 10ms}
  pop-b: {a: pop, b: b, latency: LAT_B}
  pop-c: {a: pop, b: c, latency: 20ms}
services:
  svc: {active: [a, b, c]BUDGET}
customers:
  users: {count: 100, access: pop, home: a, services: [svc]}
disruptions:
  - {id: a-down, at: 1h, targets: [{site: a}], duration: 2h}
  - {id: cut-c, at: 2h, targets: [{link: pop-c}], duration: 2h}
"""


def nearest(lat_b: str = "30ms", budget: str = ""):
    return simulate(parse(NEAREST.replace("LAT_B", lat_b).replace(
        "BUDGET", f", latency_budget: {budget}" if budget else "")))


def test_the_nearest_other_active_site_takes_over_then_the_next():
    r = nearest()
    # a down 1h-3h: c (20ms) is nearer than b (30ms), so users move to c (a stateless
    # service: nothing lost); at 2h c is cut off and b takes over; at 3h a is back
    assert hours(r, {"data_loss"}) == [(1, "data_loss", "svc", "failover a→c lost 0s of writes")]
    assert spells(r) == [(1, 3, "full")]


def test_without_a_path_a_site_ranks_last():
    # b nearer than c now (15ms): b takes over; nothing reaches b when its link is cut too
    r = simulate(parse(NEAREST.replace("LAT_B", "15ms").replace("BUDGET", "").replace(
        "{link: pop-c}", "{link: pop-b}")))
    # a down 1h-3h: b (15ms) first; at 2h b is cut off: its latency is unknown (ranked last),
    # c serves until a is back at 3h; no outage
    assert hours(r, {"data_loss"}) == [(1, "data_loss", "svc", "failover a→b lost 0s of writes")]
    assert spells(r) == [(1, 3, "full")]


@pytest.mark.parametrize(("budget", "out"), [("25ms", [(2, 3)]), ("30ms", []), ("19ms", [(1, 3)])])
def test_latency_budget_exactly_at_the_path_latency_is_within_it(budget, out):
    r = nearest(budget=budget)
    # c at 20ms, b at 30ms. 25ms: c serves 1h-2h, b is too far once c is cut → out 2h-3h.
    # 30ms: b is exactly at the budget, within it → no outage. 19ms: neither → out 1h-3h
    assert [(s, e) for s, e, what in spells(r) if what == "svc"] == out


STANDBY = """
drsim: 1
name: standby
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      pump: {count: 2, ttr: 2h, standby: {units: 1, mode: cold, switchover: 30m}}
services:
  svc: {requires: [pump], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
disruptions:
  - {id: hit, at: 1h, targets: [{component: a.pump, units: 1}], until: repaired}
"""


def test_a_standby_unit_put_in_service_brings_the_service_up_at_its_site():
    r = simulate(parse(STANDBY))
    # 1 of 2 pumps serves (the other is an idle standby): it fails at 1h, the standby is in
    # service 30m later; nothing else changes at 1h30m, yet svc@a is up again then
    assert hours(r, {"service_down", "service_up", "service_lost", "service_restored"}) == [
        (1, "service_down", "svc@a", ""), (1, "service_lost", "users", "svc (was at a)"),
        (1.5, "service_up", "svc@a", ""), (1.5, "service_restored", "users", "svc at a")]


FAILBACK = """
drsim: 1
name: failback
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d}
sites:
  a: {components: {box: {count: 1, ttr: 3h}, disk: {count: 1, ttr: 1h}}}
  b: {ttr: 1h, components: {box: {count: 1, ttr: 1h}, disk: {count: 1, ttr: 1h}}}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  db:
    requires: [disk]
    active: [a]
    standby: {sites: [b], mode: cold}
    replication: {mode: async, to: b, lag: 45s}
  svc:
    requires: [box]
    depends_on: [db]
    active: [a]
    standby: {sites: [b], mode: cold}
    replication: {mode: async, to: b, lag: 30s}
customers:
  g: {count: 10, access: pop, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  failover:
    steps:
      - id: switch
        duration: 15m
        effects: [{activate: {service: db, site: b}}, {activate: {service: svc, site: b}},
                  {move: {to: b}}]
  failback:
    trigger: {after: failover}
    steps:
      - id: back
        duration: 5m
        requires: {site_healthy: [a]}
        effects: [{move: {groups: all, to: home}}, {deactivate: {service: svc, site: b}},
                  {deactivate: {service: db, site: b}}]
disruptions:
  - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
EXTRA
"""


def losses(result):
    return [(x.service, x.from_site, x.to_site, x.failed_at_s / H, x.lost_s)
            for x in result.losses]


def test_a_failback_standing_down_a_service_and_its_dependency_together_loses_nothing():
    r = simulate(parse(FAILBACK.replace("EXTRA", "")))
    # failover at 1h15m loses svc's 30s lag (a failed at 1h). a's box is back at 4h; 'back'
    # runs 4h-4h05m and stands svc and db down at b in the same step as the move: b could
    # still run svc (its db included) up to that instant, so nothing more is lost
    assert losses(r) == [("svc", "a", "b", 1, 30.0)]


@pytest.mark.parametrize("target", ["{component: b.box}", "{component: b.disk}", "{site: b}"])
def test_a_standby_that_fails_at_the_instant_of_the_failback_loses_its_lag(target):
    extra = f"  - {{id: b-down, at: 4h5m, targets: [{target}], until: repaired}}"
    r = simulate(parse(FAILBACK.replace("EXTRA", extra)))
    # b's box (svc's), its disk (db's, which svc needs there) or b itself fails at 4h05m
    # as the move happens: b could not have run svc, so this is a failover off a failed
    # site: the newest copy (b's replica, 30s behind) is what a gets
    assert losses(r) == [("svc", "a", "b", 1, 30.0), ("svc", "b", "a", 4 + 5 / 60, 30.0)]
    assert hours(r, {"data_loss"})[-1][3] == "failover b→a lost 30s of writes"


NESTED = """
drsim: 1
name: nested
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 1h}}}
  b: {}
  c: {}
links:
  a-b: {a: a, b: b}
  a-c: {a: a, b: c}
services:
  resolver: {active: [a], requires: [box]}
  dns: {active: [a], depends_on: [resolver]}
  auth: {active: [b, c], depends_on: [{service: dns, at: a}]}
customers:
  users: {count: 100, access: b, home: b, services: [auth]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  drain:
    trigger: detected
    steps:
      - {id: off, duration: 90m, effects: [{deactivate: {service: auth, site: c}}]}
disruptions:
  - {id: box, at: 1h, targets: [{component: a.box}], duration: 1h}
"""


def test_a_remote_dependency_down_for_its_own_dependency_and_a_site_stood_down():
    r = simulate(parse(NESTED))
    # 1h-2h a.box down: resolver down at a, so dns (same-site dependency) too, so auth at b
    # and c (dns needed at a). The runbook starts at 1h and stands auth down at c at 2h30m,
    # after everything came back at 2h. Only auth has a cross-site dependency: only its
    # changes say why
    why = "needs dns at a (a: needs resolver here: box: 0 of 1 units up, needs 1)"
    assert hours(r, {"service_down", "service_up"}) == [
        (1, "service_down", "resolver@a", ""), (1, "service_down", "dns@a", ""),
        (1, "service_down", "auth@b", why), (1, "service_down", "auth@c", why),
        (2, "service_up", "resolver@a", ""), (2, "service_up", "dns@a", ""),
        (2, "service_up", "auth@b", ""), (2, "service_up", "auth@c", ""),
        (2.5, "service_down", "auth@c", "not active here")]



CACHED = """
drsim: 1
name: cached
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 40h}}}
  b: {components: {box: {count: 1, ttr: 1h}}}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  svc: {requires: [box], active: [a], standby: {sites: [b], mode: cold}}
customers:
  users: {count: 100, access: pop, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  failover:
    trigger: detected
    steps:
      - {id: up, duration: 0s, effects: [{activate: {service: svc, site: b}}]}
      - {id: move, after: [up], duration: 10m, effects: [{move: {to: b}}]}
disruptions:
  - {id: fault, at: 1h, targets: [{component: a.box}], until: repaired}
  - {id: rot, at: 2h, targets: [{data: svc, site: a}], until: repaired}
"""


def test_a_corruption_at_a_site_nobody_uses_changes_no_service():
    r = simulate(parse(CACHED))
    # a.box fails at 1h (back at 41h, past the horizon): svc is activated at b at once and
    # users moved there at 1h10m. a's data is corrupted at 2h: a serves nobody, users stay
    # at b (the service rule is recomputed: the same failed elements, a new placement)
    assert [(s, e) for s, e, what in spells(r) if what == "svc"] == [(1, 1 + 10 / 60)]
    assert hours(r, {"data_corrupted"}) == [
        (2, "data_corrupted", "svc@a", "rot: unhealthy there until its data is restored")]
    # not even a zero-length loss at 2h (the corruption is a new state, never an earlier one
    # that the service rule answered before: users unserved at a, 1h-1h10m), one alert
    assert hours(r, {"service_lost", "service_restored", "detected"}) == [
        (1, "service_lost", "users", "svc (was at a)"),
        (1, "detected", "incident 1", "alert after 1 failed checks"),
        (1 + 10 / 60, "service_restored", "users", "svc at b")]


OVERLAP = """
drsim: 1
name: overlap
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 2, needed: 1, ttr: 1h}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  check:
    trigger: detected
    steps:
      - {id: whole, duration: 0s, requires: {site_healthy: [a]}}
disruptions:
  - {id: s1, at: 1h, targets: [{site: a}], duration: 2h}
  - {id: s2, at: 2h, targets: [{site: a}], duration: 2h}
  - {id: u1, at: 30m, targets: [{component: a.box, units: 1}], duration: 6h}
  - {id: u2, at: 5h, targets: [{component: a.box, units: 1}], duration: 1h}
"""


def test_overlapping_hits_count_until_the_last_one_ends():
    r = simulate(parse(OVERLAP))
    # a is hit 1h-3h and 2h-4h: down 1h-4h. One box out 30m-6h30m, the other 5h-6h: both
    # out (below needed 1) 5h-6h. The site is whole only at 6h30m: the step runs then, and
    # the incident (from 1h, customers back 4h-5h) ends only then
    assert hours(r, {"site_down", "site_up", "component_down", "component_up"}) == [
        (0.5, "component_down", "a.box", "1 of 2 units down (u1)"),
        (1, "site_down", "a", ""), (4, "site_up", "a", ""),
        (5, "component_down", "a.box", "2 of 2 units down (u2)"),
        (6, "component_up", "a.box", "fault cleared; 1 units still down"),
        (6.5, "component_up", "a.box", "fault cleared")]
    assert [(s, e) for s, e, what in spells(r) if what == "svc"] == [(1, 4), (5, 6)]
    assert [(s.step, s.start_s / H) for s in r.steps] == [("whole", 6.5)]
    assert [t for t, kind, _, _ in hours(r, {"incident_start", "incident_end"})] == [1, 6.5]


def test_a_remote_dependency_on_a_component_waiting_for_its_standby_says_how_many_idle():
    sc = STANDBY.replace("""services:
  svc: {requires: [pump], active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}""", """  b: {}
links:
  a-b: {a: a, b: b}
services:
  svc: {requires: [pump], active: [a]}
  front: {active: [b], depends_on: [{service: svc, at: a}]}
customers:
  users: {count: 1, access: b, home: b, services: [front]}""")
    r = simulate(parse(sc))
    # 2 pumps, 1 needed, 1 an idle cold standby: the serving pump fails at 1h; for the 30m
    # switchover 2 - 1 down - 1 idle = 0 of 2 are up and serving. front at b needs svc at a
    # (a cross-site dependency: its changes say why)
    assert hours(r, {"service_down", "service_up"}) == [
        (1, "service_down", "svc@a", ""),
        (1, "service_down", "front@b",
         "needs svc at a (a: pump: 0 of 2 units up, needs 1 (1 idle standby not in service))"),
        (1.5, "service_up", "svc@a", ""), (1.5, "service_up", "front@b", "")]


RESTORED = """
drsim: 1
name: restored
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites: {a: {}, b: {}}
access_points: {pop: {}}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  db:
    active: [a]
    standby: {sites: [b], mode: cold}
    data_size: 1GB
    protection:
      - {id: local, kind: snapshot, schedule: {every: 6h}, at: a}
customers:
  users: {count: 10, access: pop, home: a, services: [db]}
detection: {interval: 1m, failed_checks: 1}
runbooks:
  recover:
    trigger: detected
    steps:
      - {id: up, duration: 0s, effects: [{activate: {service: db, site: b}}]}
      - {id: move, after: [up], duration: 10m, effects: [{move: {to: b}}]}
      - {id: restore, after: [move], duration: 10m,
         effects: [{restore: {service: db, to: a, from: null}}]}
disruptions:
  - {id: wipe, at: 1h, targets: [{data: db, site: a}], until: repaired}
"""


def test_a_restore_after_a_failover_is_a_new_state_not_an_earlier_one():
    r = simulate(parse(RESTORED))
    # a's data is wiped at 1h: users lose db; detected at once, db is activated at b at 1h
    # (users still assigned to a: out), moved to b at 1h10m; a's data is restored at 1h20m.
    # That is a state never seen before (restored, db at a and b, users at b): users stay
    # served at b, no loss at 1h20m, not even one of zero length
    assert hours(r, {"service_lost", "service_restored"}) == [
        (1, "service_lost", "users", "db (was at a)"),
        (1 + 10 / 60, "service_restored", "users", "db at b")]
    # the restore copies b's live data (db active and healthy there): 1 GB over links of the
    # default 1 Gbps, 8 s after the step's 10 minutes
    assert [(e.time_s, e.detail) for e in r.timeline if e.kind == "restored"] == [
        (H + 20 * 60 + 8, "data at a from the live copy at b (nothing lost)")]


UNREACHABLE = """
drsim: 1
name: unreachable
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
access_points: {pop: {}}
sites:
  a: {components: {cs: {count: 2, needed: 1, serves: 100, ttr: 1h}}}
links:
  pop-a: {a: pop, b: a}
services:
  voice: {requires: [cs], active: [a]}
customers:
  users: {count: 50, access: pop, home: a, services: [voice]}
disruptions:
  - {id: cut, at: 1h, targets: [{link: pop-a}], duration: 1h}
"""


def test_a_loss_with_room_left_at_a_healthy_site_says_only_where_it_was():
    r = simulate(parse(UNREACHABLE))
    # per-unit capacity (2 × 100 slots for 50 customers), voice healthy at a all along: the
    # users lose it only because their link is cut, 1h-2h. Nothing is short of room, so the
    # loss names the site it was at and nothing more
    assert hours(r, {"service_lost", "service_restored"}) == [
        (1, "service_lost", "users", "voice (was at a)"),
        (2, "service_restored", "users", "voice at a")]


STANDBY_ROT = """
drsim: 1
name: standby-rot
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites: {a: {}, b: {}}
services:
  svc: {active: [a], standby: {sites: [b], mode: cold}}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
disruptions:
  - {id: rot, at: 1h, targets: [{data: svc, site: b}], until: repaired}
  - {id: a-down, at: 2h, targets: [{site: a}], duration: 1h}
"""


def test_corrupt_data_at_a_standby_site_does_not_hold_the_incident_open():
    r = simulate(parse(STANDBY_ROT))
    # svc's copy at its cold standby b rots at 1h (never restored): nobody is served there,
    # no incident. a is down 2h-3h: the incident ends at 3h, when everyone is home again;
    # only corrupt data where the service is active keeps an incident open
    assert [(t, kind) for t, kind, _, _ in hours(r, {"incident_start", "incident_end"})] == [
        (2, "incident_start"), (3, "incident_end")]
