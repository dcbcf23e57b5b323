"""The speed-ups keep every answer: shared service-rule answers, health tracked only where it
can change, and libyaml under the scenario loader.

Random sequences of changes (elements down and up, units down and up, placements, groups
pointed elsewhere, data corrupted and restored) are applied to a world; after each refresh
its answers must equal a full recomputation from scratch: who is served where (the rule run
afresh, no cache), and every service's health at every site it may run (the test run
afresh, no memo).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import parse
from hypothesis import given, settings
from hypothesis import strategies as st

from drsim.scenario import loader
from drsim.sim.engine import Drill
from drsim.topology import Topology

ROOT = Path(__file__).resolve().parent.parent

# Three sites in a ring plus an access point; a capacity-limited site couples the groups; a
# same-site dependency (web needs app) and a cross-site one (app needs dns anywhere); hot
# standbys route to any active site.
WORLD = """
drsim: 1
name: cache check
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {capacity: 150, components: {box: {count: 2, needed: 1, ttr: 1h}}}
  b: {components: {box: {count: 2, needed: 2, ttr: 1h}}}
  c: {components: {box: {count: 1, ttr: 1h}}}
access_points: {p: {}}
links:
  a-b: {a: a, b: b, latency: 5ms}
  b-c: {a: b, b: c, latency: 5ms}
  c-a: {a: c, b: a, latency: 20ms}
  p-a: {a: p, b: a, latency: 1ms}
  p-b: {a: p, b: b, latency: 3ms}
services:
  dns: {active: [a, c]}
  app: {active: [a], requires: [box], depends_on: [{service: dns, at: any}],
        standby: {sites: [b, c], mode: hot}}
  web: {active: [a], depends_on: [app], standby: {sites: [b], mode: hot}}
customers:
  big: {count: 100, access: p, home: a, services: [web], priority: 1}
  small: {count: 80, access: p, home: a, services: [app], priority: 2}
  far: {count: 10, access: b, home: a, services: [web, app], priority: 3}
"""

SITES = ("a", "b", "c")
ELEMENTS = (*(("site", s) for s in SITES),
            *(("link", k) for k in ("a-b", "b-c", "c-a", "p-a", "p-b")))
CHANGES = st.one_of(
    st.tuples(st.just("hit"), st.sampled_from(ELEMENTS)),
    st.tuples(st.just("heal"), st.sampled_from(ELEMENTS)),
    st.tuples(st.just("unit"), st.sampled_from(SITES), st.booleans()),
    st.tuples(st.just("place"), st.sampled_from(("app", "web", "dns")),
              st.sampled_from(SITES), st.booleans()),
    st.tuples(st.just("assign"), st.sampled_from(("big", "small", "far")),
              st.sampled_from(SITES)),
    st.tuples(st.just("data"), st.sampled_from(("app", "web")), st.sampled_from(SITES),
              st.booleans()),
)
SCENARIO = parse(WORLD)


def apply(world, change) -> None:
    """One change through the world's own entry points (never an impossible one: an element
    is healed or a unit brought up only if it is down)."""
    what, *args = change
    if what == "hit":
        kind, element = args[0]
        world.hit(element, kind)
    elif what == "heal":
        kind, element = args[0]
        if world.down[element] > 0:
            world.heal(element, kind)
    elif what == "unit":
        site, down = args
        units = world.units_down[site, "box"]
        if down and units < world.sc.sites[site].components["box"].count:
            world.unit_down(site, "box", "test")
        elif not down and units > 0:
            world.unit_up(site, "box", "test")
    elif what == "place":
        world.place(*args)
    elif what == "assign":
        world.assign(*args)
    elif what == "data":
        svc, site, bad = args
        (world.corrupt(svc, site, "test") if bad else world.data_restored(svc, site))


def full_health(world) -> dict[tuple[str, str], bool]:
    """Every service's health at every site it may run, tested from scratch."""
    memo: dict[tuple[str, str], bool] = {}
    return {(svc, site): world._healthy(svc, site, memo)
            for svc in world.sc.services for site in world.places[svc]}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CHANGES, min_size=1, max_size=3), min_size=1, max_size=25))
def test_incremental_answers_equal_a_full_recomputation(instants):
    """Two trials share one topology (and so the rule's answers): the second replays the
    first's changes and gets its answers from the shared store; both must match the rule
    computed afresh after every refresh."""
    topology = Topology(SCENARIO)
    for _ in range(2):
        drill = Drill(SCENARIO, topology=topology)
        world = drill.world
        world.refresh()
        for changes in instants:
            for change in changes:
                apply(world, change)
            world.refresh()  # one refresh per instant, as the engine does
            fresh, _ = world.compute_serving()
            assert world.serving == fresh
            assert world.healthy_at == full_health(world)


def test_a_placement_elsewhere_is_tracked_without_any_element_changing():
    """Placing web at b changes its health there (and nothing at b was hit): tracked."""
    world = Drill(SCENARIO, topology=Topology(SCENARIO)).world
    world.refresh()
    assert world.healthy_at["web", "b"] is False  # web is not active at b
    world.place("web", "b", True)
    world.place("app", "b", True)  # web at b needs app there
    world.refresh()
    assert world.healthy_at["web", "b"] is True and world.healthy_at["app", "b"] is True
    events = [(e.kind, e.subject) for e in world.rec.events]
    assert ("service_up", "web@b") in events and ("service_up", "app@b") in events


def test_the_shared_answers_are_keyed_by_content_not_by_change_count():
    """A placement undone in the next instant is the state before it: one stored answer
    serves both (placement_version differs, the state does not)."""
    topology = Topology(SCENARIO)
    world = Drill(SCENARIO, topology=topology).world
    world.refresh()
    before = world.serving
    world.place("web", "b", True)
    world.refresh()
    world.place("web", "b", False)
    world.refresh()
    assert world.placement_version == 2
    assert world.serving is before  # the very answer stored for the first state


SCENARIOS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").rglob("*.yaml"))


@pytest.mark.skipif(not loader.yaml.__with_libyaml__, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", SCENARIOS)
def test_libyaml_reading_gives_the_same_data_and_places(path):
    text = (ROOT / path).read_text()
    fast, slow = loader._fast_load(text, path), loader._load(text, path)
    assert fast is not None  # a clean bundled scenario takes the fast road
    assert (fast.data, fast.marks, fast.key_marks) == (slow.data, slow.marks, slow.key_marks)


@pytest.mark.parametrize("text, line, message", [
    ("a: 1\na: 2\n", 2, "duplicate key 'a'"),  # a builder problem
    ("a: [1, 2\n", 2, "YAML syntax error"),  # a parser problem
    ("a: \x07\n", 1, "character #x0007 is not allowed"),  # a reader problem
])
def test_a_document_with_a_problem_is_read_again_by_pyyaml_for_its_message(text, line,
                                                                            message):
    assert loader._fast_load(text, "f.yaml") is None
    with pytest.raises(loader.ScenarioError) as e:
        loader.load_text(text, "f.yaml")
    issue = e.value.issues[0]
    assert issue.line == line and message in issue.message
