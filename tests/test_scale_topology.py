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



def test_a_failure_is_derived_from_a_state_labelled_before_the_recent_ones(monkeypatch):
    topo = ring_with_tail()
    fresh = spy(topo, monkeypatch)
    first = frozenset({"r0"})
    topo.labels(first)
    ghosts = [frozenset({f"g{i}", f"h{i}"}) for i in range(topology.RECENT_KEPT)]
    for state in ghosts:  # two elements away from every other state: each afresh
        topo.labels(state)
    # s5 fails with r0 down: no recent state is one element away, but {r0} was labelled;
    # s5's neighbours s4 and s6 are still joined (s4-s0 chord, s0-s7-s6): derived
    assert same_components(topo, first | {"s5"})
    assert fresh == [first, *ghosts]

# ---- latency searches carried over from a state one element away (Topology._searches) ----

def kite() -> Topology:
    """p0 -1- a -2- b -1- d -1- e, p0 -3- c -2- d, c -1- f (ms). From p0, all up: a 1,
    b 1+2 = 3, c 3, d 3+1 = 4 (through c: 3+2 = 5), f 3+1 = 4, e 4+1 = 5."""
    doc = {"drsim": 1, "name": "kite",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "1d"},
           "sites": {s: {} for s in "abcdef"}, "access_points": {"p0": {}},
           "links": {f"{a}-{b}": {"a": a, "b": b, "latency": f"{ms}ms"}
                     for a, b, ms in [("p0", "a", 1), ("a", "b", 2), ("b", "d", 1),
                                      ("d", "e", 1), ("p0", "c", 3), ("c", "d", 2),
                                      ("c", "f", 1)]},
           "services": {"v": {"active": ["a"]}},
           "customers": {"g": {"count": 1, "access": "p0", "home": "a", "services": ["v"]}}}
    return Topology(parse_scenario(yaml.safe_dump(doc)))


def searches(monkeypatch) -> list[frozenset[str]]:
    """The states searched afresh, in order (a search carried over does not show)."""
    fresh: list[frozenset[str]] = []
    start = topology._Search.__init__

    def spied(self, topo, source, down):
        fresh.append(down)
        start(self, topo, source, down)

    monkeypatch.setattr(topology._Search, "__init__", spied)
    return fresh


def ms(topo: Topology, down: set[str], *places: str, source: str = "p0") -> list[float | None]:
    lat = [topo.latency(source, p, frozenset(down)) for p in places]
    return [None if x is None else round(x * 1000, 6) for x in lat]


def test_a_failure_off_the_paths_found_keeps_the_search_and_one_on_them_does_not(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, set(), *"abcdef") == [1, 3, 3, 4, 5, 4]
    # c-d is on no path found (d is nearer through b): carried over, the same latencies
    assert ms(topo, {"c-d"}, *"abcdef") == [1, 3, 3, 4, 5, 4]
    # a-b carries the paths to b, d, e: afresh; b, d, e are cut off (c-d is down too)
    assert ms(topo, {"c-d", "a-b"}, *"abcdef") == [1, None, 3, None, None, 4]
    assert fresh == [frozenset(), frozenset({"c-d", "a-b"})]


def test_a_failed_place_leaves_the_search_only_if_no_path_went_through_it(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, set(), "e") == [5]  # settles all but f (4, still in view: tie with d)
    assert ms(topo, {"e"}, *"abcdef") == [1, 3, 3, 4, None, 4]  # a leaf: carried over
    assert ms(topo, {"e", "b"}, *"abcdef") == [1, None, 3, 5, None, 4]  # d came through b
    assert fresh == [frozenset(), frozenset({"e", "b"})]


def test_a_place_failed_while_in_view_is_never_settled_from_its_stale_entry(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, set(), "a") == [1]  # settled p0, a; b and c in view at 3
    # c fails in view (nothing reached through it yet): carried over; f, behind it, is then
    # unreachable (settling c from its old entry would give f 3 + 1 = 4)
    assert ms(topo, {"c"}, *"abcdef") == [1, 3, None, 4, 5, None]
    assert fresh == [frozenset()]


def test_a_repair_that_brings_no_place_nearer_keeps_the_search(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"c-d"}, *"abcdef") == [1, 3, 3, 4, 5, 4]
    assert ms(topo, set(), *"abcdef") == [1, 3, 3, 4, 5, 4]  # c-d back: 3+2 > 4, 4+2 > 3
    assert ms(topo, {"e"}, *"abcdef") == [1, 3, 3, 4, None, 4]  # e fails, a leaf
    assert ms(topo, set(), *"abcdef") == [1, 3, 3, 4, 5, 4]  # e back (settled again at 5)
    assert fresh == [frozenset({"c-d"})]


def test_a_repair_that_brings_a_settled_place_nearer_searches_afresh(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    # a-b down: b only through c, d: 3+2+1 = 6; all settled (the last, b and e, at 6)
    assert ms(topo, {"a-b"}, *"abcdef") == [1, 6, 3, 5, 6, 4]
    assert ms(topo, set(), *"abcdef") == [1, 3, 3, 4, 5, 4]  # a-b back: b 1+2 = 3 < 6
    assert fresh == [frozenset({"a-b"}), frozenset()]
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"b"}, *"abcdef") == [1, None, 3, 5, 6, 4]  # the last, e, at 6
    assert ms(topo, set(), *"abcdef") == [1, 3, 3, 4, 5, 4]  # b back at 1+2 = 3 < 6
    assert fresh == [frozenset({"b"}), frozenset()]


def test_a_repair_next_to_a_partial_search_only_brings_places_into_view(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"a-b"}, "a") == [1]  # settled p0 (0), a (1): the last at 1
    assert ms(topo, set(), "d", "b", "e") == [4, 3, 5]  # a-b back: b in view at 3 >= 1
    assert ms(topo, {"b", "f"}, "a") == [1]  # two away from both: afresh; p0, a settled
    assert ms(topo, {"f"}, *"bdef") == [3, 4, 5, None]  # b back: in view at 1+2 = 3 >= 1
    assert fresh == [frozenset({"a-b"}), frozenset({"b", "f"})]


def test_the_searches_kept_are_bounded_and_then_forgotten(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    topo._searches_kept = 2
    assert ms(topo, {"a-b"}, "b") == [6]
    assert ms(topo, {"b"}, "d") == [5]  # two away from {a-b}: afresh; two kept
    assert len(topo._search_memo) == 2
    assert ms(topo, {"d"}, "b") == [3]  # a third: the two are forgotten, it is kept alone
    assert len(topo._search_memo) == 1
    assert ms(topo, {"a-b"}, "b") == [6]  # forgotten: searched afresh again
    assert fresh == [frozenset({"a-b"}), frozenset({"b"}), frozenset({"d"}),
                     frozenset({"a-b"})]


def test_a_search_from_a_failed_place_is_none_and_its_repair_searches_afresh(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"p0"}, "a", "e") == [None, None]
    assert topo.nearest("p0", ["f", "b", "c"], frozenset({"p0"})) == ["b", "c", "f"]
    assert ms(topo, set(), "e") == [5]
    assert fresh == [frozenset()]


def test_nearest_ranks_by_latency_then_id_with_the_unreachable_last():
    topo = kite()
    # b and c tie at 3, d and f at 4: by id within a tie
    assert topo.nearest("p0", ["e", "f", "d", "c", "b"], frozenset()) == ["b", "c", "d", "f", "e"]
    # c down: f cut off; both unreachable, after the reachable, by id
    assert topo.nearest("p0", ["f", "e", "c", "d", "b"], frozenset({"c"})) == [
        "b", "d", "e", "c", "f"]
    assert topo.nearest("d", ["a", "p0", "c"], frozenset()) == ["c", "a", "p0"]  # 2, 3, 4


def random_network(rng: np.random.Generator) -> Topology:
    """Random multigraphs: parallel links, zero latencies, sums that round differently
    (0.1 + 0.2 against 0.3)."""
    sites, aps = [f"s{i}" for i in range(rng.integers(2, 9))], ["p0", "p1"]
    nodes = sites + aps
    links = [("base", "p0", "s0", 1.0)]
    for j in range(int(rng.integers(2, 18))):
        a, b = rng.choice(len(nodes), 2, replace=False)
        links.append((f"l{j}", nodes[a], nodes[b],
                      float(rng.choice([0, 0.1, 0.2, 0.3, 1, 2, 2.5, 3]))))
    doc = {"drsim": 1, "name": "net",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "1d"},
           "sites": {s: {} for s in sites}, "access_points": {p: {} for p in aps},
           "links": {k: {"a": a, "b": b, "latency": f"{lat}ms"} for k, a, b, lat in links},
           "services": {"v": {"active": [sites[0]]}},
           "customers": {"g": {"count": 1, "access": "p0", "home": "s0", "services": ["v"]}}}
    return Topology(parse_scenario(yaml.safe_dump(doc)))


@pytest.mark.parametrize("seed", range(12))
def test_searches_carried_over_give_scipys_very_floats(seed):
    """Random walks of one failure or repair at a time (and a jump now and then), each
    state asked a few latencies from a few places, partial searches included: every
    distance is the float scipy's Dijkstra on the sparse matrix gives (_shortest_from)."""
    rng = np.random.default_rng(seed)
    topo = random_network(rng)
    elements = [*topo.nodes, *topo._link_ids]
    down: set[str] = set()
    for _ in range(40):
        if rng.random() < 0.1:
            down = {elements[i] for i in rng.choice(len(elements), 2, replace=False)}
        else:
            x = elements[rng.integers(len(elements))]
            (down.discard if x in down else down.add)(x)
        state = frozenset(down)
        for source in rng.choice(topo.nodes, 3):
            want = topo._shortest_from(str(source), state)
            search = topo._searches(str(source), state)
            assert (want is None) == (search is None)
            for t in rng.choice(len(topo.nodes), int(rng.integers(1, len(topo.nodes) + 1))):
                got = search.distance(int(t)) if search is not None else None
                assert want is None or got == want[0][t], (sorted(state), source, t)


def test_the_first_of_the_recent_states_that_carries_over_is_taken(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"a-b"}, *"abcdef") == [1, 6, 3, 5, 6, 4]
    assert ms(topo, {"e"}, *"abcdef") == [1, 3, 3, 4, None, 4]  # two away: afresh
    # all up: one away from {e} (e back at 5: carried over) and from {a-b} (b nearer than
    # 6: it would not carry over); the last state searched is tried first, and taken
    assert ms(topo, set(), *"abcdef") == [1, 3, 3, 4, 5, 4]
    assert fresh == [frozenset({"a-b"}), frozenset({"e"})]


@pytest.mark.parametrize("between, carried", [(topology.RECENT_KEPT - 1, True),
                                              (topology.RECENT_KEPT, False)])
def test_a_search_looks_back_over_the_last_recent_kept_states(monkeypatch, between, carried):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"e"}, "e") == [None]
    for i in range(between):  # states two away from every other (outside the network)
        assert ms(topo, {f"g{i}", f"h{i}"}, "d") == [4]
    assert ms(topo, set(), "e") == [5]  # e back: carried over from {e} while it is recent
    assert len(fresh) == 1 + between + (0 if carried else 1)


def test_a_place_in_view_at_no_index_has_no_parent(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert topo.index["b"] == 1  # (sites by id, then access points)
    assert ms(topo, set(), "a") == [1]  # settled p0, a; b, c in view; d not yet (no parent)
    assert ms(topo, {"b"}, "d", "b") == [5, None]  # b reached nothing yet: carried over
    assert fresh == [frozenset()]


def test_a_link_repaired_is_on_the_paths_it_brings_into_view(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"a-b", "e"}, "a") == [1]  # partial: p0, a settled
    assert ms(topo, {"e"}, "b") == [3]  # a-b back: b in view (and settled) through it
    assert ms(topo, set(), "a") == [1]  # e back: carried over
    # a-b fails again: b came through it (from {}: afresh), and {a-b, e} is one away: b
    # is then 3 + 2 + 1 = 6 through c, d
    assert ms(topo, {"a-b"}, "b", "d") == [6, 5]
    assert fresh == [frozenset({"a-b", "e"})]
    # the same from d, where a comes into view through a-b from b (the other end)
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"a-b", "f"}, "b", source="d") == [1]  # d (0), b (1) settled
    assert ms(topo, {"f"}, "a", source="d") == [3]  # a-b back: a through b, 1 + 2
    assert ms(topo, set(), "a", source="d") == [3]  # f back: c (2) + 1 >= 3, carried over
    assert ms(topo, {"a-b"}, "a", source="d") == [6]  # d-c-p0-a: 2 + 3 + 1
    assert fresh == [frozenset({"a-b", "f"})]


def test_a_place_repaired_is_on_the_paths_it_brings_into_view(monkeypatch):
    topo, fresh = kite(), searches(monkeypatch)
    assert ms(topo, {"b", "f"}, "a") == [1]  # partial: p0, a settled
    assert ms(topo, {"f"}, "b") == [3]  # b back: in view through a-b, then settled
    assert ms(topo, set(), "a") == [1]  # f back (c not settled yet): carried over
    assert ms(topo, {"a-b"}, "b") == [6]  # b came through a-b: afresh (3 away from {b, f})
    assert fresh == [frozenset({"b", "f"}), frozenset({"a-b"})]


def test_nearest_ranks_by_the_latency_reported_to_the_nanosecond():
    doc = {"drsim": 1, "name": "fine",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "1d"},
           "sites": {"a": {}, "b": {}}, "access_points": {"p0": {}},
           "links": {"p0-a": {"a": "p0", "b": "a", "latency": "1.0000001ms"},
                     "p0-b": {"a": "p0", "b": "b", "latency": "1ms"}},
           "services": {"v": {"active": ["a"]}},
           "customers": {"g": {"count": 1, "access": "p0", "home": "a", "services": ["v"]}}}
    topo = Topology(parse_scenario(yaml.safe_dump(doc)))
    # 0.0010000001 s and 0.001 s are the same to the nanosecond: a tie, by id
    assert topo.latency("p0", "a", frozenset()) == topo.latency("p0", "b", frozenset()) == 0.001
    assert topo.nearest("p0", ["b", "a"], frozenset()) == ["a", "b"]


def test_paths_in_a_network_without_links_with_a_place_down():
    doc = {"drsim": 1, "name": "islands",
           "simulation": {"start": "2026-01-01T00:00", "horizon": "1d"},
           "sites": {"a": {}, "b": {}}, "services": {"v": {"active": ["a"]}},
           "customers": {"g": {"count": 1, "access": "a", "home": "a", "services": ["v"]}}}
    topo = Topology(parse_scenario(yaml.safe_dump(doc)))
    assert topo.path("a", "a", frozenset({"b"})) == ("a",)
    assert topo.path("a", "b", frozenset({"b"})) is None
