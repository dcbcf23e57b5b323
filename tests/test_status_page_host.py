"""A status page that runs on the infrastructure that failed posts late (or by other means)."""

from __future__ import annotations

from conftest import parse

from drsim.report.status import page_down_spells, status_page
from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

HOSTED = """
drsim: 1
name: status page on the failed site
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}}
sites:
  a: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
  b: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
links:
  a-b: {{a: a, b: b}}
services:
  svc: {{requires: [box], active: [a]}}
  web: {{requires: [box], active: [{web_at}]}}
customers:
  users: {{count: 100, access: a, home: a, services: [svc]}}
detection: {{interval: 1m, failed_checks: 1}}
status_page: {{requires: [web]{fallback}}}
disruptions:
  - {{id: fault, at: 1h, targets: [{{component: a.box}}], duration: 3h}}
"""


def page(web_at: str = "a", fallback: str = ""):
    sc = parse(HOSTED.format(web_at=web_at, fallback=fallback))
    r = simulate(sc)
    return r, sc, [(u.status, u.time_s, u.due_s) for u in status_page(r, sc).incidents[0].updates]


def test_updates_wait_for_the_page_to_come_back():
    r, sc, updates = page()
    # box at a fails 1h..4h: web (hosted at a) is healthy nowhere in [1h, 4h)
    assert page_down_spells(r, sc) == [(1 * H, 4 * H)]
    # the alert at the 1h check and the declaration (no delays) are due at 1h and appear when
    # the page is back at 4h, just before Resolved at 4h (the incident ends with the box back)
    assert updates == [("Investigating", 4 * H, 1 * H), ("Identified", 4 * H, 1 * H),
                       ("Resolved", 4 * H, None)]
    first = status_page(r, sc).incidents[0].updates[0]
    assert first.message.endswith("(Posted once our status page was back.)")


def test_a_fallback_channel_posts_after_its_delay():
    _, _, updates = page(fallback=", fallback: 30m")
    # due at 1h, page down until 4h: the other channel posts it at 1h + 30m
    assert updates == [("Investigating", 1 * H + 30 * M, 1 * H),
                       ("Identified", 1 * H + 30 * M, 1 * H), ("Resolved", 4 * H, None)]


def test_a_page_hosted_elsewhere_is_on_time():
    r, sc, updates = page(web_at="b")
    assert page_down_spells(r, sc) == []
    assert updates == [("Investigating", 1 * H, None), ("Identified", 1 * H, None),
                       ("Resolved", 4 * H, None)]
