"""Per-unit capacity pools, simulated: pools reached through same-site dependencies and
through a group's own pinned components, a group fitting exactly, and the reason a group
left out is given (the first pool too small, counting only groups placed before it there).

Times are hours since the start; durations are fixed.
"""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H = 3600.0

POOLS = """
drsim: 1
name: pools
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, seed: 1}
sites:
  a:
    components:
      cs: {count: 3, needed: 1, serves: 120, ttr: 1h}
      db: {count: 2, needed: 1, serves: 150, ttr: 1h}
services:
  voice: {requires: [cs], active: [a]}
  portal: {requires: [db], depends_on: [voice], active: [a]}
customers:
  g1: {count: 100, access: a, home: a, services: [portal], priority: 1}
  g2: {count: 80, access: a, home: a, services: [voice], priority: 2}
  g3: {count: 100, access: a, home: a, services: [portal], priority: 3}
  g4: {count: 60, access: a, home: a, services: [voice], requires: [db], priority: 4}
disruptions:
  - {id: cs-unit, at: 1h, targets: [{component: a.cs, units: 1}], duration: 1h}
  - {id: db-unit, at: 3h, targets: [{component: a.db, units: 1}], duration: 1h}
"""


def test_pools_through_dependencies_and_pinned_components():
    r = simulate(parse(POOLS))
    # portal needs voice at the same site, so portal groups draw on cs and db; g4 lives on
    # db, so it draws on db too. All up: cs 3 × 120 = 360 ≥ 100+80+100+60 = 340, db 2 × 150
    # = 300 ≥ 100+100+60 = 260: everyone in.
    # 1h-2h cs 240: g1 100, g2 180, g3 → 280 > 240 out, g4 → 240 ≤ 240 fits exactly.
    # 3h-4h db 150: g1 100; g3 → 200 > 150 out; g4 → 100 + 60 = 160 > 150 out (g3, left
    # out, takes nothing). cs (360) has room for both.
    out = {g: [(i.start_s / H, i.end_s / H) for i in r.intervals
               if i.subject == g and i.what in ("voice", "portal")] for g in ("g1", "g2",
                                                                               "g3", "g4")}
    assert out == {"g1": [], "g2": [], "g3": [(1, 2), (3, 4)], "g4": [(3, 4)]}
    lost = [(e.time_s / H, e.subject, e.detail) for e in r.timeline if e.kind == "service_lost"]
    assert lost == [
        (1, "g3", "portal (was at a); no room at a: cs 2 of 3 units up × 120 = 240 customers, "
                  "180 taken by groups placed before it, g3 needs 100"),
        (3, "g3", "portal (was at a); no room at a: db 1 of 2 units up × 150 = 150 customers, "
                  "100 taken by groups placed before it, g3 needs 100"),
        (3, "g4", "voice (was at a); no room at a: db 1 of 2 units up × 150 = 150 customers, "
                  "100 taken by groups placed before it, g4 needs 60"),
    ]
    # 100 customers × 2h + 60 × 1h
    assert r.metrics.customer_minutes_lost == (100 * 120 + 60 * 60)


def test_the_reason_names_the_first_pool_too_small_not_one_exactly_full():
    r = simulate(parse("""
        drsim: 1
        name: exact
        simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, seed: 1}
        sites:
          a:
            components:
              aa: {count: 1, serves: 100, ttr: 1h}
              bb: {count: 2, needed: 1, serves: 50, ttr: 1h}
        services:
          s: {requires: [aa, bb], active: [a]}
        customers:
          h1: {count: 50, access: a, home: a, services: [s], priority: 1}
          h2: {count: 50, access: a, home: a, services: [s], priority: 2}
        disruptions:
          - {id: unit, at: 1h, targets: [{component: a.bb, units: 1}], duration: 1h}
    """))
    # all up: aa 100 = 50 + 50, exactly full (fits), bb 100. 1h-2h bb 1 × 50: h1 fits, h2 →
    # 100 > 50 out. aa (50 taken + 50 = 100, not more than 100) is not the reason; bb is
    assert [(i.subject, i.start_s / H, i.end_s / H) for i in r.intervals if i.what == "s"] == [
        ("h2", 1, 2)]
    assert [e.detail for e in r.timeline if e.kind == "service_lost"] == [
        "s (was at a); no room at a: bb 1 of 2 units up × 50 = 50 customers, 50 taken by "
        "groups placed before it, h2 needs 50"]
