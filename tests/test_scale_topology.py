"""Component labels derived from a state one element away (topology.Topology._labels): a
failure or a repair changes the components only around that element. Every derived labelling
must describe the same components as a fresh computation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import yaml

from drsim import topology
from drsim.scenario import parse_scenario
from drsim.topology import Topology


def network(sites: list[str], aps: list[str], links: list[tuple[str, str, str]]) -> Topology:
    doc = {"drsim": 1, "name": "net",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "1d"},
           "sites": {s: {} for s in sites}, "access_points": {p: {} for p in aps},
           "links": {k: {"a": a, "b": b, "latency": "1ms"} for k, a, b in links},
           "services": {"v": {"active": [sites[0]]}},
           "customers": {"g": {"count": 1, "access": aps[0], "home": sites[0],
                               "services": ["v"]}}}
    return Topology(parse_scenario(yaml.safe_dump(doc)))


def ring_with_tail() -> Topology:
    """A ring s0..s7 with a chord s0-s4, parallel links s1=s2, a tail s7-t0-t1-t2 (bridges),
    access point p0 dual-homed (s0, s3), p1 single-homed on t2."""
    ring = [(f"r{i}", f"s{i}", f"s{(i + 1) % 8}") for i in range(8)]
    links = [*ring, ("chord", "s0", "s4"), ("twin", "s1", "s2"), ("t-a", "s7", "t0"),
             ("t-b", "t0", "t1"), ("t-c", "t1", "t2"), ("p0a", "p0", "s0"),
             ("p0b", "p0", "s3"), ("p1a", "p1", "t2")]
    return network([f"s{i}" for i in range(8)] + ["t0", "t1", "t2"], ["p0", "p1"], links)


def same_components(topo: Topology, down: frozenset[str]) -> bool:
    """topo.labels(down) against networkx's components of the graph without `down`."""
    g = nx.Graph()
    g.add_nodes_from(topo.nodes)
    g.add_edges_from((u, v) for u, v, k in topo.graph.edges(keys=True)
                     if k not in down and u not in down and v not in down)
    labels = topo.labels(down)
    expect = {frozenset(c) for c in nx.connected_components(g)}
    got: dict[int, set[str]] = {}
    for n, i in topo.index.items():
        got.setdefault(int(labels[i]), set()).add(n)
    return {frozenset(c) for c in got.values()} == expect


def spy(topo: Topology, monkeypatch) -> list[frozenset[str]]:
    """The states `topo` labels afresh (scipy), in order; derived labellings do not show."""
    fresh: list[frozenset[str]] = []
    compute = topo._component_labels
    monkeypatch.setattr(topo, "_component_labels", lambda d: fresh.append(d) or compute(d))
    return fresh


@pytest.mark.parametrize("seed", range(6))
def test_labels_derived_through_failures_and_repairs_match_a_fresh_computation(seed):
    topo = ring_with_tail()
    elements = [*topo.nodes, *sorted(k for _, _, k in topo.graph.edges(keys=True)), "power"]
    rng = np.random.default_rng(seed)
    down: set[str] = set()
    for _ in range(300):
        x = elements[rng.integers(len(elements))]
        (down.discard if x in down else down.add)(x)  # one element fails or is repaired
        assert same_components(topo, frozenset(down)), sorted(down)


def test_a_failure_or_repair_one_element_away_needs_no_fresh_computation(monkeypatch):
    topo = ring_with_tail()
    fresh = spy(topo, monkeypatch)
    empty: frozenset[str] = frozenset()
    topo.labels(empty)  # the first state is computed
    # r3 on the ring (the chord keeps it joined); the tail's bridge t-b then splits t1, t2
    # off: computed afresh; its repair merges them back (derived); s5 down (its neighbours
    # s4, s6 still joined via s7-s0-s4); s5 back; the twin of r1 (s1-s2 still joined)
    for step in [{"r3"}, {"r3", "t-b"}, {"r3"}, {"r3", "s5"}, {"r3"}, {"r3", "twin"}]:
        assert same_components(topo, frozenset(step))
    assert fresh == [empty, frozenset({"r3", "t-b"})]



def test_a_repair_is_derived_from_a_recent_state_even_when_not_the_last(monkeypatch):
    topo = ring_with_tail()
    fresh = spy(topo, monkeypatch)
    first = frozenset({"r3", "s5"})
    assert same_components(topo, first)  # nothing labelled yet: afresh (1)
    assert same_components(topo, first)  # labelled: remembered, not recomputed
    # r3 repaired: derived from {r3, s5} (the empty state was never labelled)
    assert same_components(topo, frozenset({"s5"}))
    # s4 fails next to the failed s5: its live neighbours s3 (r3) and s0 (chord) are still
    # joined (s3-s2-s1-s0), so derived; s5 (down) is not a neighbour to look for
    assert same_components(topo, frozenset({"s4", "s5"}))
    assert fresh == [first]
    # three elements down, then two of them repaired at once: not one element away, so
    # afresh (2, 3); then t-b back with r1 still down, two states before: derived
    assert same_components(topo, frozenset({"r0", "r4", "s6"}))
    assert same_components(topo, frozenset({"r0"}))
    assert same_components(topo, frozenset({"t-b", "r1"}))  # afresh (4)
    assert same_components(topo, frozenset({"r5"}))  # afresh (5)
    assert same_components(topo, frozenset({"r1"}))  # t-b repaired, {t-b, r1} is 2 back
    assert fresh == [first, frozenset({"r0", "r4", "s6"}), frozenset({"r0"}),
                     frozenset({"t-b", "r1"}), frozenset({"r5"})]


@pytest.mark.parametrize("between, derived", [(topology.RECENT_KEPT - 1, True),
                                              (topology.RECENT_KEPT, False)])
def test_a_repair_looks_back_over_the_last_recent_kept_states(monkeypatch, between, derived):
    topo = ring_with_tail()
    fresh = spy(topo, monkeypatch)
    before = frozenset({"r0", "r4"})
    topo.labels(before)
    for i in range(between):  # states of elements outside the network, each afresh
        topo.labels(frozenset({f"ghost{i}"}))
    assert same_components(topo, frozenset({"r4"}))  # r0 repaired
    # RECENT_KEPT = 8 states are kept: `before` and 7 more (derived), not 8 more (afresh)
    assert len(fresh) == 1 + between + (0 if derived else 1)


def test_the_labellings_kept_are_bounded_and_then_forgotten(monkeypatch):
    monkeypatch.setattr(topology, "LABELS_KEPT", 4)
    topo = ring_with_tail()
    fresh = spy(topo, monkeypatch)
    first = frozenset({"r0", "r1"})
    topo.labels(first)
    for i in range(3):  # derived from `first` (not part of the network): 4 kept
        topo.labels(first | {f"ghost{i}"})
    assert fresh == [first] and len(topo._label_memo) == 4
    topo.labels(frozenset({"r5"}))  # a fifth: the four are forgotten, it is kept alone
    assert len(topo._label_memo) == 1
    assert same_components(topo, first)  # forgotten: labelled afresh again
    assert fresh == [first, frozenset({"r5"}), first]
