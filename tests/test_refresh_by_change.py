"""A refresh looks only at what changed (issue 13): service health at the sites touched, at
the (service, site) placed or whose data changed and at the services needing it there, and
remote services everywhere; the groups homed at touched sites; the answers' transitions and
unserved pairs cached. After every refresh the world must equal a full recomputation, and
the events must come in the order the full loop recorded them."""

from __future__ import annotations

from conftest import parse
from hypothesis import given, settings
from hypothesis import strategies as st
from test_speed_caches import apply, full_health

from drsim.sim.engine import Drill
from drsim.topology import Topology

# same-site chains only (web needs app needs db, at the same site): nothing is remote, so
# a placement of db must reach app and web through Layout.follows
WORLD = """
drsim: 1
name: same-site chain
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 2, needed: 1, ttr: 1h}}}
  b: {components: {box: {count: 1, ttr: 1h}}}
  c: {components: {box: {count: 1, ttr: 1h}}}
access_points: {p: {}}
links:
  a-b: {a: a, b: b, latency: 5ms}
  b-c: {a: b, b: c, latency: 5ms}
  p-a: {a: p, b: a, latency: 1ms}
  p-b: {a: p, b: b, latency: 3ms}
services:
  db: {active: [a], requires: [box], standby: {sites: [b, c], mode: hot}}
  app: {active: [a], depends_on: [db], standby: {sites: [b, c], mode: hot}}
  web: {active: [a], depends_on: [app], standby: {sites: [b], mode: hot}}
  mail: {active: [b]}
customers:
  big: {count: 100, access: p, home: a, services: [web], priority: 1}
  small: {count: 80, access: p, home: a, services: [app], priority: 2}
  far: {count: 10, access: p, home: b, services: [mail], priority: 3}
"""
SCENARIO = parse(WORLD)
SITES = ("a", "b", "c")
ELEMENTS = (*(("site", s) for s in SITES), *(("link", k) for k in ("a-b", "b-c", "p-a", "p-b")))
CHANGES = st.one_of(
    st.tuples(st.just("hit"), st.sampled_from(ELEMENTS)),
    st.tuples(st.just("heal"), st.sampled_from(ELEMENTS)),
    st.tuples(st.just("unit"), st.sampled_from(SITES), st.booleans()),
    st.tuples(st.just("place"), st.sampled_from(("db", "app", "web", "mail")),
              st.sampled_from(SITES), st.booleans()),
    st.tuples(st.just("assign"), st.sampled_from(("big", "small", "far")),
              st.sampled_from(SITES)),
    st.tuples(st.just("data"), st.sampled_from(("db", "app")), st.sampled_from(SITES),
              st.booleans()),
)


def world_of():
    world = Drill(SCENARIO, topology=Topology(SCENARIO)).world
    world.refresh()
    return world


def test_no_service_is_remote_here():
    assert world_of().layout.remote_places == ()
    assert world_of().layout.follows["db"] == {"db", "app", "web"}
    assert world_of().layout.follows["web"] == {"web"}


def test_placing_what_others_need_brings_them_up_too_in_recording_order():
    world = world_of()
    world.place("web", "b", True)  # web at b needs app, app needs db: all down at b still
    world.place("app", "b", True)
    world.refresh()
    assert world.healthy_at["web", "b"] is False and world.healthy_at["app", "b"] is False
    seen = len(world.rec.events)
    world.place("db", "b", True)  # only db placed; app and web at b follow it up
    world.refresh()
    assert world.healthy_at == full_health(world)
    ups = [(e.kind, e.subject) for e in world.rec.events[seen:] if e.kind == "service_up"]
    assert ups == [("service_up", "db@b"), ("service_up", "app@b"), ("service_up", "web@b")]


def test_corrupted_data_takes_down_the_services_that_need_it_at_that_site_only():
    world = world_of()
    seen = len(world.rec.events)
    world.corrupt("db", "a", "test")
    world.refresh()
    downs = [e.subject for e in world.rec.events[seen:] if e.kind == "service_down"]
    assert downs == ["db@a", "app@a", "web@a"]  # services as listed; mail@b untouched
    assert world.healthy_at == full_health(world)
    world.data_restored("db", "a")
    world.refresh()
    assert all(world.healthy_at[s, "a"] for s in ("db", "app", "web"))


def test_a_site_hit_reaches_only_its_own_places():
    world = world_of()
    seen = len(world.rec.events)
    world.hit("b", "site")
    world.refresh()
    downs = [e.subject for e in world.rec.events[seen:] if e.kind == "service_down"]
    assert downs == ["mail@b"]  # the only service up at b
    assert world.impacted() and world._unserved == (("far", "mail"),)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CHANGES, min_size=1, max_size=3), min_size=1, max_size=25))
def test_incremental_health_equals_a_full_recomputation(instants):
    topology = Topology(SCENARIO)
    for _ in range(2):  # the second trial takes answers and transitions from the store
        world = Drill(SCENARIO, topology=topology).world
        world.refresh()
        for changes in instants:
            for change in changes:
                apply(world, change)
            world.refresh()
            fresh, _ = world.compute_serving()
            assert world.serving == fresh
            assert world.healthy_at == full_health(world)
            assert world._unserved == tuple(sorted(k for k, s in fresh.items() if s is None))
            assert world._away == {g for g, site in world.assigned.items()
                                   if site != world.sc.customers[g].home}


def test_a_group_whose_home_fails_again_within_an_instant_gets_a_new_reason():
    # by hand: a down at 0 (why "full" of big from 0, site a down since 0); at 10 a comes
    # back and fails again in the same instant: the reason now says "since 10", so the
    # first record ends at 10 and a second starts there (nothing else about big moved)
    world = world_of()
    world.hit("a", "site")
    world.refresh()
    world.env.run(until=10)
    world.heal("a", "site")
    world.hit("a", "site")
    world.refresh()
    world.rec.close()
    spans = [(w.start_s, w.end_s, w.chain[-1].since_s) for w in world.rec.whys
             if (w.subject, w.what) == ("big", "full")]
    assert spans == [(0.0, 10.0, 0.0), (10.0, None, 10.0)]



def test_the_answers_outlive_a_topology_for_the_next_one_of_the_same_scenario():
    # each run_trials call builds a new Topology; the answers (a function of the scenario
    # alone) carry over to it when the scenario object is the very same, the last one only
    from drsim.sim.world import shared_answers

    first = shared_answers(Topology(SCENARIO), SCENARIO)
    assert shared_answers(Topology(SCENARIO), SCENARIO) is first
    other = parse(WORLD)  # equal content, another object: its own answers
    mine = shared_answers(Topology(other), other)
    assert mine is not first
    assert shared_answers(Topology(SCENARIO), SCENARIO) is not first  # only the last kept


def test_a_refresh_nobody_waits_for_schedules_no_event():
    # world.change is yielded by processes waiting for the next change; with no waiter a
    # refresh keeps the same event (nothing to wake, nothing scheduled), with one it fires
    world = world_of()
    before = world.change
    world.hit("b", "site")
    world.refresh()
    assert world.change is before and not before.triggered
    woken = []
    world.change.callbacks.append(lambda ev: woken.append(world.env.now))
    world.heal("b", "site")
    world.refresh()
    assert world.change is not before and before.triggered
    world.env.run(until=1)
    assert woken == [0]
