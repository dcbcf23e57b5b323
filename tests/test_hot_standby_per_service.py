"""A hot standby is automatic failover with its own health checks: it watches its service
alone, takes over after that service's failed checks, and stands by again as soon as every
group has the service without it. Times computed by hand (seconds since the start)."""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

TWO = """
drsim: 1
name: two services
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 1}}}
  b: {components: {box: {count: 1}}}
  c: {components: {box: {count: 2}}}
access_points: {pop: {}, far: {}}
links:
  pop-a: {a: pop, b: a, latency: 1ms}
  pop-c: {a: pop, b: c, latency: 2ms}
  far-b: {a: far, b: b, latency: 1ms}
  far-c: {a: far, b: c, latency: 2ms}
services:
  web: {requires: [box], active: [a], standby: {sites: [c], mode: hot}}
  mail: {requires: [box], active: [b], standby: {sites: [c], mode: hot}}
customers:
  shop: {count: 10, access: pop, home: a, services: [web]}
  office: {count: 5, access: far, home: b, services: [mail]}
detection: {interval: 5m, failed_checks: 3}
disruptions:
DISRUPTIONS
"""


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def run(disruptions: str):
    return simulate(parse(TWO.replace("DISRUPTIONS", disruptions)))


def test_an_alert_about_one_service_does_not_move_another():
    # a.box fails at 1h: web's checks at 1h, 1h05, 1h10 → web taken over at c at 1h10;
    # mail (healthy at b) stays put: only web is activated, and web stands by at 3h
    r = run("  - {id: f, at: 1h, targets: [{component: a.box}], duration: 2h}\n")
    assert events(r, "activated", "deactivated") == [
        (1 * H + 10 * M, "activated", "web", "hot standby at c"),
        (3 * H, "deactivated", "web", "hot standby at c back to standby")]
    assert r.metrics.groups["shop"].downtime_s == 10 * M
    assert r.metrics.groups["office"].downtime_s == 0


def test_a_service_lost_later_in_the_incident_gets_its_own_checks():
    # web lost at 1h (taken over 1h10); mail lost at 1h22 while the incident is open: its
    # checks at 1h25, 1h30, 1h35 → taken over at 1h35, 13 min after its loss (before,
    # any alert activated every hot standby, so mail's was already there at 1h10)
    r = run("  - {id: f, at: 1h, targets: [{component: a.box}], duration: 2h}\n"
            "  - {id: g, at: 82m, targets: [{component: b.box}], duration: 2h}\n")
    assert events(r, "activated") == [
        (1 * H + 10 * M, "activated", "web", "hot standby at c"),
        (1 * H + 35 * M, "activated", "mail", "hot standby at c")]
    assert r.metrics.groups["office"].downtime_s == 13 * M
    assert [i.detected_s for i in r.incidents] == [1 * H + 10 * M]


def test_a_standby_stands_by_once_its_service_is_whole_though_the_incident_is_open():
    # web lost 1h–3h (taken over 1h10, stands by at 3h, though b.box is down 2h–6h and the
    # incident stays open); web lost again 4h–5h: detected again, 10 min of outage again
    r = run("  - {id: f, at: 1h, targets: [{component: a.box}], duration: 2h}\n"
            "  - {id: g, at: 2h, targets: [{component: b.box}], duration: 4h}\n"
            "  - {id: h, at: 4h, targets: [{component: a.box}], duration: 1h}\n")
    assert [(t, k, s) for t, k, s, _ in events(r, "activated", "deactivated")] == [
        (1 * H + 10 * M, "activated", "web"),
        (2 * H + 10 * M, "activated", "mail"),
        (3 * H, "deactivated", "web"),
        (4 * H + 10 * M, "activated", "web"),
        (5 * H, "deactivated", "web"),
        (6 * H, "deactivated", "mail")]
    assert r.metrics.groups["shop"].downtime_s == 20 * M
    assert [(i.start_s, i.end_s) for i in r.incidents] == [(1 * H, 6 * H)]


def test_a_failed_takeover_is_not_retried_until_the_service_recovers():
    # success 0%: web's first attempt fails at 1h10 (recorded once, not every 10 min while
    # a is down); a is back at 3h; lost again 4h: a new attempt at 4h10, which fails too
    text = TWO.replace("standby: {sites: [c], mode: hot}}\n  mail",
                       "standby: {sites: [c], mode: hot, success: 0%}}\n  mail")
    r = simulate(parse(text.replace(
        "DISRUPTIONS", "  - {id: f, at: 1h, targets: [{component: a.box}], duration: 2h}\n"
                       "  - {id: h, at: 4h, targets: [{component: a.box}], duration: 1h}\n")))
    assert [t for t, *_ in events(r, "auto_failover_failed")] == [1 * H + 10 * M,
                                                                   4 * H + 10 * M]
    assert r.metrics.groups["shop"].downtime_s == 3 * H


def test_a_hot_standby_of_a_dependency_takes_over_when_its_home_fails():
    # nobody uses db directly; app at a needs db anywhere reachable. db's box at a fails at
    # 1h: db is down at its own active site, so its checks (1h, 1h05, 1h10) take it over at
    # c; app's customers are down 1h–1h10
    text = """
drsim: 1
name: dependency
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 6h, seed: 1}
sites:
  a: {components: {dbbox: {count: 1}}}
  c: {components: {dbbox: {count: 1}}}
links:
  a-c: {a: a, b: c, latency: 1ms}
services:
  db: {requires: [dbbox], active: [a], standby: {sites: [c], mode: hot}}
  app: {active: [a], depends_on: [{service: db, at: any}]}
customers:
  users: {count: 10, access: a, home: a, services: [app]}
detection: {interval: 5m, failed_checks: 3}
disruptions:
  - {id: f, at: 1h, targets: [{component: a.dbbox}], duration: 2h}
"""
    r = simulate(parse(text))
    assert [(t, k, s) for t, k, s, _ in events(r, "activated", "deactivated")] == [
        (1 * H + 10 * M, "activated", "db"), (3 * H, "deactivated", "db")]
    assert r.metrics.groups["users"].downtime_s == pytest.approx(10 * M)


def test_a_loss_shorter_than_the_checks_is_called_off_and_the_next_one_detected():
    # a.box down 1h–1h03: the 1h check fails, the 1h05 one passes, so the watch ends; down
    # again 2h–3h: checks 2h, 2h05, 2h10 → taken over at 2h10. shop: 3 + 10 min down
    r = run("  - {id: blip, at: 1h, targets: [{component: a.box}], duration: 3m}\n"
            "  - {id: f, at: 2h, targets: [{component: a.box}], duration: 1h}\n")
    assert [(t, k) for t, k, *_ in events(r, "activated", "deactivated")] == [
        (2 * H + 10 * M, "activated"), (3 * H, "deactivated")]
    assert r.metrics.groups["shop"].downtime_s == 13 * M


def test_an_active_site_down_brings_the_standby_in_though_nobody_lost_service():
    # web active at a and b, standby c: a.box down 1h–3h, shop is served from b all along,
    # but web's checks see it down at its own site a: c joins at 1h10 and stands by at 3h
    text = TWO.replace("web: {requires: [box], active: [a], standby",
                       "web: {requires: [box], active: [a, b], standby").replace(
        "  far-c:", "  pop-b: {a: pop, b: b, latency: 3ms}\n  far-c:")
    r = simulate(parse(text.replace(
        "DISRUPTIONS", "  - {id: f, at: 1h, targets: [{component: a.box}], duration: 2h}\n")))
    assert [(t, k, s) for t, k, s, _ in events(r, "activated", "deactivated")] == [
        (1 * H + 10 * M, "activated", "web"), (3 * H, "deactivated", "web")]
    assert r.metrics.groups["shop"].downtime_s == 0


def test_changes_during_the_checks_and_switchover_start_no_second_attempt():
    # web: switchover 20m, never works. a.box down 1h–4h: checks 1h, 1h05, 1h10, then the
    # 20 min switchover fails at 1h30, once, though b.box's blips at 1h03 and 1h20 refresh
    # the world during the checks and during the switchover
    text = TWO.replace("standby: {sites: [c], mode: hot}}\n  mail",
                       "standby: {sites: [c], mode: hot, switchover: 20m, success: 0%}}\n"
                       "  mail")
    r = simulate(parse(text.replace(
        "DISRUPTIONS", "  - {id: f, at: 1h, targets: [{component: a.box}], duration: 3h}\n"
                       "  - {id: g, at: 63m, targets: [{component: b.box}], duration: 1m}\n"
                       "  - {id: h, at: 80m, targets: [{component: b.box}], duration: 1m}\n")))
    assert [(t, s) for t, _, s, _ in events(r, "auto_failover_failed")] == [
        (1 * H + 30 * M, "web")]
    assert r.metrics.groups["shop"].downtime_s == 3 * H


def test_a_group_without_a_service_needing_it_two_levels_up_fails_its_checks():
    # app (same site) needs api, api needs db at c, where db is only a hot standby: db is
    # healthy at its own site a, but users lack app from the start, and app needs db
    # through api, so db's checks (0, 5m, 10m) take it over at c at 10m; it stays in
    # service, since standing by would take app down again
    text = """
drsim: 1
name: chain
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 2h, seed: 1}
sites: {a: {}, c: {}}
links:
  a-c: {a: a, b: c, latency: 1ms}
services:
  db: {active: [a], standby: {sites: [c], mode: hot}}
  api: {active: [a], depends_on: [{service: db, at: c}]}
  app: {active: [a], depends_on: [api]}
customers:
  users: {count: 10, access: a, home: a, services: [app]}
detection: {interval: 5m, failed_checks: 3}
"""
    r = simulate(parse(text))
    assert [(t, k, s) for t, k, s, _ in events(r, "activated", "deactivated")] == [
        (10 * M, "activated", "db")]
    assert r.metrics.groups["users"].downtime_s == 10 * M


def test_degraded_monitoring_delays_the_alert_not_the_takeover():
    # monitoring needs web, down everywhere from 1h: the alert due at 1h10 waits the 1 h
    # degraded delay (to 2h10), but web's standby has its own checks and takes over at 1h10
    text = TWO.replace("failed_checks: 3}", "failed_checks: 3, requires: [web], "
                                            "degraded_delay: 1h}")
    r = simulate(parse(text.replace(
        "DISRUPTIONS", "  - {id: f, at: 1h, targets: [{component: a.box}], duration: 2h}\n")))
    assert [(t, k) for t, k, *_ in events(r, "detection_degraded", "activated", "detected")] == [
        (1 * H + 10 * M, "detection_degraded"), (1 * H + 10 * M, "activated"),
        (2 * H + 10 * M, "detected")]
    assert r.metrics.groups["shop"].downtime_s == 10 * M
