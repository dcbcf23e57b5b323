"""Sites and links that fail at random (fixed ttf/ttr draws, so the timeline is exact), scripted
outages, and power losses: the events facility.py records, to the second and word for word."""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

RANDOM = """
drsim: 1
name: facility
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 23h, random_failures: true}
sites:
  a: {ttf: 10h, ttr: 2h}
  b: {}
links:
  a-b: {a: a, b: b, latency: 1ms, ttf: 7h, ttr: 30m}
services:
  svc: {active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
"""


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def test_random_site_and_link_failures_follow_their_fixed_ttf_and_ttr():
    r = simulate(parse(RANDOM))
    # site a: down 10h, up 10h+2h = 12h, down again 12h+10h = 22h (still down at 23h)
    # link a-b: down 7h, up 7h30m, down 14h30m, up 15h, down 22h, up 22h30m; at 22h the
    # site's timeout (scheduled at 12h) fires before the link's (scheduled at 15h)
    assert events(r, "site_down", "site_up", "link_down", "link_up") == [
        (7 * H, "link_down", "a-b", ""), (7.5 * H, "link_up", "a-b", ""),
        (10 * H, "site_down", "a", ""), (12 * H, "site_up", "a", ""),
        (14.5 * H, "link_down", "a-b", ""), (15 * H, "link_up", "a-b", ""),
        (22 * H, "site_down", "a", ""), (22 * H, "link_down", "a-b", ""),
        (22.5 * H, "link_up", "a-b", "")]
    # the group is down 10h-12h and 22h-23h (horizon): 3 h of downtime
    assert r.metrics.groups["users"].downtime_s == 3 * H


def test_without_random_failures_a_site_with_ttf_never_fails():
    r = simulate(parse(RANDOM.replace("random_failures: true", "random_failures: false")))
    assert events(r, "site_down", "link_down") == []
    assert r.metrics.groups["users"].downtime_s == 0


POWER = """
drsim: 1
name: power
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
sites:
  a:
    components:
      box: {count: 2, ttr: 1h, restart: 10m}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
disruptions:
  - {id: grid, at: 1h, targets: [{power: a}], duration: 2h}
  - {id: cut, at: 5h, targets: [{site: a}], duration: 20m}
"""


def test_power_loss_and_scripted_site_outage_record_their_events_in_order():
    r = simulate(parse(POWER))
    # power off 1h → site down, both units down; power on 3h → site up at once, units restart
    # 10m later (3h10m); the scripted outage 5h-5h20m takes only the site
    assert events(r, "power_off", "power_on", "site_down", "site_up") == [
        (1 * H, "power_off", "a", "grid"), (1 * H, "site_down", "a", ""),
        (3 * H, "power_on", "a", "grid; components restart"), (3 * H, "site_up", "a", ""),
        (5 * H, "site_down", "a", ""), (5 * H + 20 * M, "site_up", "a", "")]
    assert events(r, "component_down", "component_up") == [
        (1 * H, "component_down", "a.box", "1 of 2 units down (power loss: grid)"),
        (1 * H, "component_down", "a.box", "2 of 2 units down (power loss: grid)"),
        (3 * H + 10 * M, "component_up", "a.box",
         "restarted after power returned; 1 units still down"),
        (3 * H + 10 * M, "component_up", "a.box", "restarted after power returned")]
    # down 1h → 3h10m and 5h → 5h20m
    assert r.metrics.groups["users"].downtime_s == 2 * H + 10 * M + 20 * M
