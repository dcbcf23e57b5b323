"""Capacity that comes back with units: components.X.serves.

At a site, the groups using services that require X share (units of X up × serves) customer
slots; a group takes its whole count once per pool and is never split; groups are placed in
priority order, a group that does not fit stays out and a later, smaller one may still fit.
"""

from __future__ import annotations

import math

import numpy as np
from conftest import parse

from drsim.sim.engine import simulate

H = 3600.0

FOUR_UNITS = """
drsim: 1
name: serves
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 1d, seed: 1}
sites:
  a:
    capacity: CAP
    components:
      call-servers: {count: 4, needed: 1, serves: 1000, ttr: 1h}
services:
  voice: {requires: [call-servers], active: [a]}
  mail: {active: [a]}
customers:
  g1: {count: 1500, access: a, home: a, services: [voice, mail], priority: 1}
  g2: {count: 1500, access: a, home: a, services: [voice], priority: 2}
  g3: {count: 1000, access: a, home: a, services: [voice], priority: 3}
detection: {interval: 1m, failed_checks: 1}
disruptions:
  - {id: u1, at: 1h, targets: [{component: a.call-servers, units: 1}], duration: 7h}
  - {id: u2, at: 2h, targets: [{component: a.call-servers, units: 1}], duration: 5h}
  - {id: u3, at: 3h, targets: [{component: a.call-servers, units: 1}], duration: 3h}
  - {id: u4, at: 4h, targets: [{component: a.call-servers, units: 1}], duration: 1h}
"""


def spells(r, what="voice"):
    return {g: [(i.start_s / H, None if i.end_s is None else i.end_s / H)
                for i in r.intervals if i.subject == g and i.what == what]
            for g in ("g1", "g2", "g3")}


def test_units_failing_and_returning_one_by_one_bring_groups_back_in_priority_order():
    r = simulate(parse(FOUR_UNITS.replace("CAP", "null")))
    # units up: 4 (0-1h), 3 (1-2h), 2 (2-3h), 1 (3-4h), 0 (4-5h), 1 (5-6h), 2 (6-7h),
    # 3 (7-8h), 4 (8h-). Slots = up × 1000, filled in priority order g1 1500, g2 1500, g3 1000:
    #   4000: all;  3000: g1+g2 = 3000, g3 would make 4000 > 3000 → out
    #   2000: g1 = 1500; g2 → 3000 > 2000 out; g3 → 2500 > 2000 out
    #   1000: g1 1500 > 1000 out; g2 out; g3 1000 ≤ 1000 in (the small group fits)
    #   0 up: below needed (1): voice unhealthy, everyone out
    assert spells(r) == {"g1": [(3, 6)], "g2": [(2, 7)], "g3": [(1, 3), (4, 5), (6, 8)]}
    # mail needs no call-servers: g1 keeps it throughout
    assert spells(r, "mail")["g1"] == []
    # each loss for want of slots says so; the loss at 4h is voice itself failing (0 < k)
    lost = [(e.time_s / H, e.subject, e.detail) for e in r.timeline if e.kind == "service_lost"]
    assert lost[1] == (2, "g2", "voice (was at a); no room at a: call-servers 2 of 4 units "
                       "up × 1000 = 2000 customers, 1500 taken by groups placed before it, g2 "
                       "needs 1500")
    assert lost[3] == (4, "g3", "voice (was at a)")
    # customer-minutes: g1 1500 × 3h + g2 1500 × 5h + g3 1000 × (2 + 1 + 2)h
    assert r.metrics.customer_minutes_lost == (1500 * 3 + 1500 * 5 + 1000 * 5) * 60


def test_the_site_capacity_still_applies_on_top_of_the_pool():
    r = simulate(parse(FOUR_UNITS.replace("CAP", "2500")))
    # site capacity 2500: with every unit up g1 (1500) fits, g2 (→ 3000) does not, g3
    # (→ 2500) does. Pool and site both checked: 3 up (3000 slots) → g1, g3 (2500 ≤ 2500
    # and ≤ 3000); 2 up (2000): g1, then g3 → 2500 > 2000 out; 1 up: g3 only; 0: none.
    assert spells(r) == {"g1": [(3, 6)], "g2": [(0, None)], "g3": [(2, 3), (4, 5), (6, 7)]}


def test_a_group_counts_once_per_pool_however_many_services_use_it():
    text = FOUR_UNITS.replace("CAP", "null").replace(
        "mail: {active: [a]}", "mail: {active: [a], requires: [call-servers]}")
    # g1 takes 1500 slots once for voice and mail: the timeline is the same as above
    r = simulate(parse(text))
    assert spells(r) == {"g1": [(3, 6)], "g2": [(2, 7)], "g3": [(1, 3), (4, 5), (6, 8)]}
    assert spells(r, "mail")["g1"] == [(3, 6)]


def test_without_serves_nothing_changes():
    text = FOUR_UNITS.replace("CAP", "null").replace(", serves: 1000", "")
    r = simulate(parse(text))
    # k = 1 of 4: service lost only while all four are down, 4h-5h, by every group
    assert spells(r) == {"g1": [(4, 5)], "g2": [(4, 5)], "g3": [(4, 5)]}


MC = """
drsim: 1
name: serves-mc
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 200d, seed: SEED,
             random_failures: true}
sites:
  a:
    components:
      call-servers:
        {count: 4, needed: 1, serves: 1000, ttf: {exponential: {mean: 10h}},
         ttr: {exponential: {mean: 10h}}}
services:
  voice: {requires: [call-servers], active: [a]}
customers:
  g1: {count: 1500, access: a, home: a, services: [voice], priority: 1}
  g2: {count: 1500, access: a, home: a, services: [voice], priority: 2}
  g3: {count: 1000, access: a, home: a, services: [voice], priority: 3}
"""


def test_monte_carlo_downtime_of_each_group_matches_the_binomial_closed_form():
    # each unit independently up half the time (exp 10h up, exp 10h repair, no queue):
    # P(k up) = C(4, k) / 16. From the table above, g1 lacks voice when k ∈ {0, 1},
    # g2 when k ∈ {0, 1, 2}, g3 when k ∈ {0, 2, 3}:
    expected = {"g1": (1 + 4) / 16, "g2": (1 + 4 + 6) / 16, "g3": (1 + 6 + 4) / 16}
    shares = {g: [] for g in expected}
    for seed in range(12):
        r = simulate(parse(MC.replace("SEED", str(seed))))
        for g in expected:
            shares[g].append(1 - r.metrics.groups[g].availability)
    for g, p in expected.items():
        mean = float(np.mean(shares[g]))
        se = float(np.std(shares[g], ddof=1)) / math.sqrt(len(shares[g]))
        # 99 % confidence interval of the mean of 12 trials: t(0.995, 11 dof) = 3.106
        assert abs(mean - p) < 3.106 * se, (g, mean, p, se)
        assert se < 0.02


def test_an_idle_standby_unit_adds_no_capacity():
    """3 units, one a cold standby: 2 serving × 100 slots. The 200-customer group fits; the
    100-customer group does not, from the start and through a switchover (the repaired unit
    becomes the standby)."""
    sc = parse("""
        drsim: 1
        name: idle standby adds no capacity
        simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}
        sites:
          a:
            components:
              app: {count: 3, needed: 1, ttr: 2h, serves: 100, standby: {units: 1}}
        services:
          svc: {requires: [app], active: [a]}
        customers:
          big: {count: 200, access: a, home: a, services: [svc], priority: 1}
          small: {count: 100, access: a, home: a, services: [svc], priority: 2}
        disruptions:
          - {id: f, at: 1h, targets: [{component: a.app, units: 1}], until: repaired}
    """)
    r = simulate(sc)
    assert [(i.subject, i.start_s, i.end_s) for i in r.intervals if i.what == "basic"] == [
        ("small", 0.0, None)]
