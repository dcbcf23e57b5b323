"""Every real graph topohub ships (203 Internet Topology Zoo networks, 26 SNDlib ones)
imports into a scenario, and a sample runs a year of random failures. The hand-worked values
are in test_import_topology.py; here the rules are checked on real data: one place per node,
one link per edge (self-loops dropped), unique ASCII ids, and the latency of a Topology Zoo
link never below the straight line through glass (great circle / 200,000 km/s)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

pytest.importorskip("topohub")

from topohub_graphs import as_graphml, keys  # noqa: E402

from drsim import simulate  # noqa: E402
from drsim.importers import graphml  # noqa: E402
from drsim.importers.topology import FIBRE_KM_PER_S, Importer, haversine_km  # noqa: E402
from drsim.scenario import parse_scenario  # noqa: E402

ALL = keys("topozoo", "sndlib")
SAMPLE = ["topozoo/Abilene", "topozoo/Geant2012", "topozoo/Arpanet196912", "sndlib/polska",
          "sndlib/germany50"]


def test_the_package_ships_the_zoo_and_sndlib():
    assert len(keys("topozoo")) == 203 and len(keys("sndlib")) == 26
    assert set(SAMPLE) <= set(ALL)


@pytest.mark.parametrize("key", ALL)
def test_every_graph_imports(key):
    g = graphml.parse(as_graphml(key), key)
    sk = Importer(g).run()
    loops = sum(1 for e in g.edges if e.attrs["source"] == e.attrs["target"])
    assert len(sk.nodes) == len(g.nodes) and len(sk.links) == len(g.edges) - loops
    ids = [n.id for n in sk.nodes]
    assert len({i.casefold() for i in ids}) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", i) for i in ids)
    where = {n.id: n.location for n in sk.nodes}
    for link in sk.links:
        if link.how == "coordinates":
            a, b = where[link.a], where[link.b]
            assert a is not None and b is not None
            assert link.latency_s >= haversine_km(a, b) / FIBRE_KM_PER_S
        else:
            assert link.how == "distance" and key.startswith("sndlib/")


@pytest.mark.parametrize("key", SAMPLE)
def test_a_year_of_random_failures_on_a_real_graph(key):
    sk = Importer(graphml.parse(as_graphml(key), key)).run()
    scenario = parse_scenario(sk.text, key)
    result = simulate(scenario)
    assert result.horizon_s == 365 * 86400
    assert sorted(result.metrics.groups) == sorted(scenario.customers)
    kinds = Counter(e.kind for e in result.timeline)
    # Poisson counts: a link is cut 365 d / (its mean ttf) times a year and a site fails
    # 365 / 730 = 0.5 times (the time spent down, hours a year, is left out); the counts
    # of a year lie within 4 standard deviations (√mean) of their means
    year = 365 * 86400.0
    cuts = sum(year / link.ttf.mean for link in scenario.links.values())
    sites = 0.5 * len(scenario.sites)
    for kind, mean in (("link_down", cuts), ("site_down", sites)):
        assert abs(kinds[kind] - mean) <= 4 * mean ** 0.5 + 1, (kind, kinds[kind], mean)
    assert kinds["link_down"] > 0
