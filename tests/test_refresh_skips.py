"""What a refresh no longer works out again (issue 13): whether a hot standby that took over
is still needed is answered once per (state, standbys taken) and shared by every trial of
the scenario; the services some group lacks are the answer's own set. A question asked
after a change the refresh has not seen yet must still be answered for the state as it is
now, never from the cache of the last refresh's state."""

from __future__ import annotations

from conftest import parse
from test_hot_standby_per_service import TWO

from drsim.sim.engine import Drill
from drsim.topology import Topology

# shop (pop, home a) uses web; office (far, home b) uses mail; both have a hot standby at c
WORLD = TWO.replace("DISRUPTIONS", "  []")  # no disruptions: each test makes its changes
SCENARIO = parse(WORLD)


def world_on(topology, scenario=SCENARIO):
    world = Drill(scenario, topology=topology).world
    world.refresh()
    return world


def take_over_web(world):
    """Site a down, then web's hot standby at c in service (what detection.take_over does)."""
    world.hit("a", "site")
    world.refresh()
    world.place("web", "c", True)
    world.hot.add(("web", "c"))
    world.refresh()


def test_lacking_is_the_set_of_services_some_group_lacks_after_each_refresh():
    world = world_on(Topology(SCENARIO))
    assert world.lacking() == frozenset()
    world.hit("a", "site")
    world.hit("b", "site")
    world.refresh()
    assert world.lacking() == {"web", "mail"}  # shop and office both down
    world.place("web", "c", True)
    world.refresh()
    assert world.lacking() == {"mail"}  # shop served at c, office still down


def test_the_standby_is_needed_while_home_is_down_and_not_once_it_is_back():
    world = world_on(Topology(SCENARIO))
    take_over_web(world)
    assert world.serving["shop", "web"] == "c"
    # standing c by again would leave shop without web (a down): needed
    assert world.needs_hot_standby() and world.needs_hot_standby("web")
    assert not world.needs_hot_standby("mail")  # no mail standby took over: nothing to lose
    world.heal("a", "site")
    world.refresh()
    assert not world.needs_hot_standby()  # a back: shop is served at a without c


def test_a_change_the_refresh_has_not_seen_is_answered_for_the_state_now():
    # a hook after a refresh may change the state (a standby standing by) and ask again
    # before the next refresh: the answer cached for the refreshed state (needed, a down)
    # is not the answer now that a is back
    world = world_on(Topology(SCENARIO))
    take_over_web(world)
    assert world.needs_hot_standby("web")
    world.heal("a", "site")  # no refresh yet
    assert not world.needs_hot_standby("web")


def test_a_second_trial_in_the_same_state_asks_the_rule_nothing_more():
    scenario = parse(WORLD)  # its own answers (the other tests' answers are SCENARIO's)
    topology = Topology(scenario)
    first = world_on(topology, scenario)
    take_over_web(first)
    assert first.needs_hot_standby("web")
    second = world_on(topology, scenario)  # another trial of the same scenario
    take_over_web(second)
    asked = []
    second._standby_needed = lambda taken: asked.append(taken) or False
    assert second.needs_hot_standby("web")  # the shared answer, not the spy's False
    assert asked == []
    assert not second.needs_hot_standby("mail")  # nothing taken over for mail: a new
    assert asked == [()]  # question (none cached yet), worked out by the world


def active_pairs(world):
    return frozenset((svc, site) for svc, sites in world.active.items() for site in sites)


def test_the_placement_key_follows_every_placement_and_the_standby_question():
    # placement_key copies a set of (service, site) pairs kept beside world.active; it must
    # name exactly the active places after placements and after needs_hot_standby (which
    # stands the takeovers by for a moment and back)
    world = world_on(Topology(SCENARIO))
    assert world.placement_key()[0] == {("web", "a"), ("mail", "b")} == active_pairs(world)
    take_over_web(world)
    world.hot.add(("mail", "c"))
    world.place("mail", "c", True)
    world.refresh()
    world.heal("a", "site")  # dirty: needs_hot_standby works it out, moving c in and out
    assert world.needs_hot_standby("web") is False
    assert world.needs_hot_standby() is False
    assert world.placement_key()[0] == {("web", "a"), ("web", "c"), ("mail", "b"),
                                        ("mail", "c")} == active_pairs(world)
    world.place("web", "c", False)
    world.place("mail", "b", False)
    assert world.placement_key()[0] == {("web", "a"), ("mail", "c")} == active_pairs(world)
