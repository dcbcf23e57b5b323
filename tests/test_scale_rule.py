"""The service rule re-evaluates only the groups a change can affect (sim/rule.py): every
answer must equal the full rule's for the same state, and the groups re-evaluated are the
ones derived by hand below."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drsim.scenario import load_scenario, parse_scenario
from drsim.sim.engine import Drill
from drsim.sim.rule import Coupling, _capacity_clusters
from drsim.sim.world import RuleAnswers, World, remote_services
from drsim.topology import Topology

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def checked(monkeypatch):
    """Every answer the incremental rule gives is compared with the full rule's for the same
    state (entries, their order, and the groups off home); the shared answers are bypassed
    so that every change is computed from the one before."""
    counts = {"incremental": 0, "full": 0}
    rule = World.compute_serving

    def both(self, key=None):
        incremental = self._rule_base is not None
        got, memo = rule(self, key)
        kept, self._rule_base = self._rule_base, None
        full, _ = rule(self, key)
        self._rule_base = kept
        assert list(got.items()) == list(full.items())
        assert got.off == full.off
        counts["incremental" if incremental else "full"] += 1
        return got, memo

    monkeypatch.setattr(World, "compute_serving", both)
    monkeypatch.setattr(RuleAnswers, "get", lambda self, key, compute: compute())
    return counts


def exp(h: float) -> dict:
    return {"exponential": {"mean": f"{h:g}h"}}


def mesh(n: int, *, capacity: bool = False, pools: bool = False, budget: bool = False,
         remote: bool = False, sites_fail: bool = False) -> str:
    """A ring of n sites with chords (gen_mesh's shape), failing often: overlapping failures
    of components, links and (optionally) whole sites within a month."""
    sites, aps, links, services, customers = {}, {}, {}, {}, {}
    for i in range(n):
        nxt = (i + 1) % n
        box = {"count": 2, "needed": 1, "ttf": exp(150), "ttr": exp(20)}
        if pools:
            box["serves"] = 800
        sites[f"s{i}"] = {"components": {"box": box}}
        if capacity and i % 2:
            sites[f"s{i}"]["capacity"] = 1800
        if sites_fail:
            sites[f"s{i}"].update(ttf=exp(400), ttr=exp(10))
        aps[f"p{i}"] = {}
        links[f"p{i}-s{i}"] = {"a": f"p{i}", "b": f"s{i}", "latency": "2ms",
                               "ttf": exp(100), "ttr": exp(30)}
        links[f"p{i}-s{nxt}"] = {"a": f"p{i}", "b": f"s{nxt}", "latency": "5ms",
                                 "ttf": exp(100), "ttr": exp(30)}
        links[f"s{i}-s{nxt}"] = {"a": f"s{i}", "b": f"s{nxt}", "latency": "10ms",
                                 "ttf": exp(200), "ttr": exp(20)}
        if i % 2 == 0:
            links[f"s{i}-s{(i + 3) % n}-x"] = {"a": f"s{i}", "b": f"s{(i + 3) % n}",
                                               "latency": "15ms", "ttf": exp(200),
                                               "ttr": exp(20)}
        services[f"v{i}"] = {"requires": ["box"], "active": [f"s{i}"],
                             "standby": {"sites": [f"s{nxt}"], "mode": "hot"}}
        if budget and i % 3 == 0:
            services[f"v{i}"]["latency_budget"] = "12ms"
        if remote and i % 4 == 1:
            services[f"v{i}"]["depends_on"] = [{"service": "v0", "at": "any"}]
        for g, count, prio in (("a", 1000, 1), ("b", 500, 2)):
            customers[f"{g}{i}"] = {"count": count, "access": f"p{i}", "home": f"s{i}",
                                    "services": [f"v{i}"], "priority": prio}
    doc = {"drsim": 1, "name": f"mesh of {n}",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "30d", "seed": 1,
                          "random_failures": True},
           "sites": sites, "access_points": aps, "links": links, "services": services,
           "customers": customers}
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.parametrize("options", [
    {}, {"capacity": True}, {"pools": True}, {"budget": True}, {"remote": True},
    {"sites_fail": True, "capacity": True, "budget": True, "remote": True},
], ids=lambda o: "+".join(o) or "plain")
@pytest.mark.parametrize("trial", [0, 1])
def test_each_answer_equals_the_full_rules_on_a_failing_mesh(checked, options, trial):
    sc = parse_scenario(mesh(12, **options))
    Drill(sc, trial=trial).run()
    assert checked["full"] == 1  # the first state only
    assert checked["incremental"] > 50  # a month of overlapping failures


BUNDLED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED)
def test_each_answer_equals_the_full_rules_on_the_bundled_scenarios(checked, path):
    sc = load_scenario(ROOT / path)
    for trial in range(2):
        Drill(sc, trial=trial).run()
    assert checked["full"] >= 1


def world_of(text: str) -> World:
    world = Drill(parse_scenario(text)).world
    world.refresh()
    return world


def affected_after(world: World, change) -> set[str] | None:
    """The groups re-evaluated when `change` is applied to the world's settled state."""
    before = world._rule_base
    assert before is not None
    change(world)
    world.refresh()
    after = world._rule_base
    assert after is not None
    return world._coupling.affected(before[0], after[0], before[1].off)


def test_a_broken_component_re_evaluates_the_groups_at_its_site_only():
    # both units of box at s3 down: only s3 is touched, and the groups whose home or access
    # point is s3 are a3, b3 (home s3); p2's groups a2, b2 (home s2) are left alone
    world = world_of(mesh(10))
    got = affected_after(world, lambda w: (w.unit_down("s3", "box", "t"),
                                           w.unit_down("s3", "box", "t")))
    assert got == {"a3", "b3"}
    # v3 is now unserved (its hot standby at s4 takes over later, not in this refresh):
    # a3, b3 are off home and re-evaluated at every later change, here a link failure that
    # disconnects nothing (s5-s6: the ring still joins them the other way round)
    assert world.serving["a3", "v3"] is None and world._rule_base[1].off == {"a3", "b3"}
    assert affected_after(world, lambda w: w.hit("s5-s6", "link")) == {"a3", "b3"}


def test_a_link_that_disconnects_nothing_re_evaluates_no_group():
    world = world_of(mesh(10))
    before = world.serving
    assert affected_after(world, lambda w: w.hit("s1-s2", "link")) == set()
    assert world.serving is before  # nothing changed: the very same answer object


def test_groups_re_evaluated_to_the_same_answers_keep_the_answer_object():
    # box at s2 broken (both units down): a2, b2 lose v2, a new answer object with exactly
    # those two entries changed; then a link failure elsewhere re-evaluates a2, b2 (off home)
    # to the same answers: the answer object is kept
    world = world_of(mesh(10))
    before = world.serving
    world.unit_down("s2", "box", "t")
    world.unit_down("s2", "box", "t")
    world.refresh()
    broken = world.serving
    assert broken is not before
    assert [k for k in before if before[k] != broken[k]] == [("a2", "v2"), ("b2", "v2")]
    assert affected_after(world, lambda w: w.hit("s6-s7", "link")) == {"a2", "b2"}
    assert world.serving is broken


def test_an_access_point_cut_off_re_evaluates_its_groups():
    # p4's two links down: p4 alone in its component, its groups a4, b4 no longer reach s4
    # (the first link down disconnects nothing: p4 still reaches s4 through s5)
    world = world_of(mesh(10))
    assert affected_after(world, lambda w: w.hit("p4-s5", "link")) == set()
    assert affected_after(world, lambda w: w.hit("p4-s4", "link")) == {"a4", "b4"}
    assert world.serving["a4", "v4"] is None


def test_a_site_down_re_evaluates_the_groups_at_home_there():
    # s6 down: groups with home s6 (a6, b6); access point p5 is dual-homed to s6 but its
    # groups live at s5 and still reach it: untouched
    world = world_of(mesh(10, sites_fail=True))
    assert affected_after(world, lambda w: w.hit("s6", "site")) == {"a6", "b6"}


def test_groups_with_a_remote_dependency_or_a_latency_budget_are_always_re_evaluated():
    # remote: v1, v5, v9 depend on v0 anywhere (i % 4 == 1) → a1 b1 a5 b5 a9 b9 always;
    # budget: v0, v3, v6, v9 (i % 3 == 0) → a0 b0 a3 b3 a6 b6 a9 b9 when any link changes
    world = world_of(mesh(10, budget=True, remote=True))
    remote = {"a1", "b1", "a5", "b5", "a9", "b9"}
    budget = {"a0", "b0", "a3", "b3", "a6", "b6", "a9", "b9"}
    assert affected_after(world, lambda w: w.unit_down("s2", "box", "t")) == remote
    assert affected_after(world, lambda w: w.hit("s1-s2", "link")) == remote | budget


def test_groups_sharing_capacity_are_re_evaluated_together():
    # capacity at the odd sites; v_i runs at s_i with a hot standby at s_i+1, so groups of
    # v_i may be placed at s_i and s_i+1: the groups of v0..v9 at odd site s_j are those of
    # v_j (home) and v_j-1 (standby). Clusters: {a0 b0 a1 b1} (s1), {a2 b2 a3 b3} (s3), ...
    sc = parse_scenario(mesh(10, capacity=True))
    clusters = _capacity_clusters(sc)
    assert clusters["a0"] == clusters["b1"] == {"a0", "b0", "a1", "b1"}
    assert clusters["a8"] == {"a8", "b8", "a9", "b9"}
    assert len(set(clusters.values())) == 5
    world = world_of(mesh(10, capacity=True))
    # a broken box at s2 touches a2, b2 (home s2); their cluster (s3) adds a3, b3
    got = affected_after(world, lambda w: (w.unit_down("s2", "box", "t"),
                                           w.unit_down("s2", "box", "t")))
    assert got == {"a2", "b2", "a3", "b3"}


def test_without_limits_no_group_shares_capacity():
    sc = parse_scenario(mesh(10))
    assert _capacity_clusters(sc) == {}
    coupling = Coupling(sc, Topology(sc), remote_services(sc))
    assert not coupling.capacity and coupling.always == coupling.budgeted == frozenset()
