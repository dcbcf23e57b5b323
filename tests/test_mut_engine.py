"""engine.Drill / simulate(): which actors are built, from which seed and random stream, and
what an interrupt that reaches no handler becomes. Times are hand-derived from fixed ttf/ttr;
the exponential draws of site b are golden (seeded stream "site:b:ttf" of drsim.sim.streams).
"""

from __future__ import annotations

import pytest
import simpy
from conftest import parse

from drsim.errors import SimulationError
from drsim.sim.engine import Drill, simulate
from drsim.topology import Topology

H = 3600.0

FACILITIES = """
drsim: 1
name: fac
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 2d, seed: 11,
             random_failures: %s}
sites:
  a: {ttf: 10h, ttr: 1h, components: {box: {count: 1, ttr: 1h}}}
  b: {ttf: {exponential: {mean: 20h}}, ttr: 2h, components: {box: {count: 1, ttr: 1h}}}
  c: {ttf: 5h, components: {box: {count: 1, ttr: 1h}}}
links:
  l: {a: a, b: b, latency: 1ms, ttf: 30h, ttr: 30m}
  m: {a: a, b: c, latency: 1ms, ttr: 30m}
services: {svc: {requires: [box], active: [a]}}
customers: {users: {count: 10, access: a, home: a, services: [svc]}}
"""


def facility_events(r):
    return [(e.time_s, e.kind, e.subject) for e in r.timeline
            if e.kind in ("site_down", "site_up", "link_down", "link_up")]


def test_random_site_and_link_failures_follow_ttf_and_ttr():
    r = simulate(parse(FACILITIES % "true"))
    # a: down every 10h of uptime for 1h: 10h–11h, 21h–22h, 32h–33h, 43h–44h;
    # l: down at 30h for 30m; c and m lack a ttr or a ttf: they never fail at random;
    # b: exponential ttf (golden draws of stream "site:b:ttf", seed 11, trial 0: 16665.84 s,
    # then 65565.12 s and 45534.26 s of uptime after each 2h ttr; the 4th failure, at 48.07 h,
    # is past the horizon)
    assert facility_events(r) == [
        (16665.839404107, "site_down", "b"), (16665.839404107 + 2 * H, "site_up", "b"),
        (10 * H, "site_down", "a"), (11 * H, "site_up", "a"),
        (21 * H, "site_down", "a"), (22 * H, "site_up", "a"),
        (89430.95618922122, "site_down", "b"), (89430.95618922122 + 2 * H, "site_up", "b"),
        (30 * H, "link_down", "l"), (30.5 * H, "link_up", "l"),
        (32 * H, "site_down", "a"), (33 * H, "site_up", "a"),
        (142165.21682651446, "site_down", "b"), (142165.21682651446 + 2 * H, "site_up", "b"),
        (43 * H, "site_down", "a"), (44 * H, "site_up", "a")]
    assert (r.seed, r.trial, r.scenario, r.horizon_s) == (11, 0, "fac", 48 * H)
    # users at a lose svc for the 4 hours a is down: 10 customers × 240 minutes
    assert r.metrics.customer_minutes_lost == 2400.0
    assert r.metrics.incidents == 4


def test_without_random_failures_nothing_fails():
    r = simulate(parse(FACILITIES % "false"))
    assert r.timeline == () and r.metrics.incidents == 0
    assert Drill(parse(FACILITIES % "false")).facilities == []


def test_seed_and_trial_choose_the_streams():
    sc = parse(FACILITIES % "true")
    r = simulate(sc, seed=12, trial=3)
    assert (r.seed, r.trial) == (12, 3)
    assert site_b(r)[:2] == [(35933.58257093585, "site_down", "b"),
                             (35933.58257093585 + 2 * H, "site_up", "b")]
    r1 = simulate(sc, trial=1)  # the scenario's seed, 11, trial 1
    assert (r1.seed, r1.trial) == (11, 1)
    assert site_b(r1)[:2] == [(28940.59951574786, "site_down", "b"),
                              (28940.59951574786 + 2 * H, "site_up", "b")]


def site_b(r):
    return [e for e in facility_events(r) if e[2] == "b"]


def test_drill_wiring_in_sorted_order():
    sc = parse(FACILITIES % "true")
    topo = Topology(sc)
    env = simpy.Environment()
    d = Drill(sc, topology=topo, env=env)
    assert d.topology is topo and d.env is env and d.seed == 11 and d.trial == 0
    assert list(d.components) == [("a", "box"), ("b", "box"), ("c", "box")]
    assert [(f.element, f.kind) for f in d.facilities] == [("a", "site"), ("b", "site"),
                                                           ("l", "link")]
    assert d.facilities[0].ttf_rng is d.streams("site:a:ttf")
    assert d.facilities[0].ttr_rng is d.streams("site:a:ttr")
    assert d.facilities[2].ttf_rng is d.streams("link:l:ttf")
    assert d.facilities[2].ttr_rng is d.streams("link:l:ttr")
    assert d.origin == sc.simulation.origin


def test_an_interrupt_that_reaches_no_handler_is_an_engine_error():
    d = Drill(parse(FACILITIES % "false"))
    env = d.env

    def victim():
        yield env.timeout(10 * H)

    proc = env.process(victim())

    def killer():
        yield env.timeout(1 * H)
        proc.interrupt("stray")

    env.process(killer())
    with pytest.raises(SimulationError) as err:
        d.run()
    assert str(err.value) == "unhandled interrupt in the engine: 'stray'"
