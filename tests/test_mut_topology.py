"""Topology queries pinned to hand-computed values (what the mutation run of topology.py needs).

Node indices follow the Topology's order: sorted sites, then sorted access points. Every
number below is a sum or a minimum of the link latencies/bandwidths written in the YAML.
"""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.topology import Topology

NONE: frozenset[str] = frozenset()

# Nodes: a(0) b(1) c(2) pop(3). Two parallel b–pop links of equal latency (ties go to the
# smaller link id), one zero-latency link, and a route b → a → c through node index 0.
CHAIN = """
drsim: 1
name: chain
simulation: {start: "2026-03-10T09:00", horizon: 1d}
sites: {a: {}, b: {}, c: {}}
access_points: {pop: {}}
links:
  ab: {a: a, b: b, latency: 1ms, bandwidth: 5Gbps}
  ac: {a: c, b: a, latency: 2ms, bandwidth: 2Gbps}
  p1: {a: pop, b: b, latency: 4ms, bandwidth: 1Gbps}
  p2: {a: b, b: pop, latency: 4ms, bandwidth: 7Gbps}
  cpop: {a: pop, b: c, latency: 0s, bandwidth: 40Gbps}
services: {svc: {active: [a]}}
customers: {users: {count: 10, access: pop, home: a, services: [svc]}}
"""


@pytest.fixture(scope="module")
def chain() -> Topology:
    return Topology(parse(CHAIN))


def test_node_order_and_index(chain):
    assert chain.nodes == ["a", "b", "c", "pop"]
    assert chain.index == {"a": 0, "b": 1, "c": 2, "pop": 3}
    assert sorted(chain.graph.edges(keys=True)) == sorted(
        [("a", "b", "ab"), ("a", "c", "ac"), ("b", "pop", "p1"), ("b", "pop", "p2"),
         ("c", "pop", "cpop")])


def test_latencies_all_up(chain):
    # pop → c is the zero-latency link: 0 s, not "unreachable" (sparse matrices drop zeros)
    assert chain.latency("pop", "c", NONE) == 0.0
    assert chain.latency("c", "pop", NONE) == 0.0
    assert chain.latency("a", "a", NONE) == 0.0
    assert chain.latency("b", "c", NONE) == 0.003  # b–a 1ms + a–c 2ms
    assert chain.latency("c", "b", NONE) == 0.003  # the same, walked from the higher index
    # pop → a: pop–c 0 + c–a 2ms = 2ms beats pop–b 4ms + b–a 1ms = 5ms
    assert chain.latency("pop", "a", NONE) == 0.002
    # pop → b: pop–c 0 + c–a 2ms + a–b 1ms = 3ms beats the direct parallel links (4ms)
    assert chain.latency("pop", "b", NONE) == 0.003


def test_paths_walk_through_node_zero(chain):
    assert chain.path("b", "c", NONE) == ("b", "a", "c")
    assert chain.path("c", "b", NONE) == ("c", "a", "b")
    assert chain.path("pop", "a", NONE) == ("pop", "c", "a")
    assert chain.path("pop", "b", NONE) == ("pop", "c", "a", "b")
    assert chain.path("a", "a", NONE) == ("a",)
    assert chain.path("a", "b", NONE) == ("a", "b")


def test_bottleneck_takes_the_smallest_hop(chain):
    assert chain.bottleneck_bps("b", "c", NONE) == 2e9  # min(5G on ab, 2G on ac)
    assert chain.bottleneck_bps("a", "a", NONE) == float("inf")
    assert chain.bottleneck_bps("pop", "a", NONE) == 2e9  # min(40G, 2G)
    assert chain.bottleneck_bps("pop", "b", NONE) == 2e9  # min(40G, 2G, 5G)
    # ab down: pop → b direct, over equal-latency parallel links p1 (1G) and p2 (7G): the
    # smaller id, p1, carries it; with p1 down too, p2 alone
    assert chain.bottleneck_bps("pop", "b", frozenset({"ab"})) == 1e9
    assert chain.bottleneck_bps("pop", "b", frozenset({"ab", "p1"})) == 7e9
    assert chain._hop("b", "pop", NONE)["bandwidth"] == 1e9


def test_failures_of_links_and_places_combine(chain):
    ab_down = frozenset({"ab"})
    # b's only way out is pop: b → pop 4ms → c 0 → a 2ms = 6ms
    assert chain.latency("b", "a", ab_down) == 0.006
    assert chain.path("b", "a", ab_down) == ("b", "pop", "c", "a")
    assert chain.bottleneck_bps("b", "a", ab_down) == 1e9  # p1 1G, cpop 40G, ac 2G
    # a link and a place down together: both removed (c down, ab down → a is cut off)
    both = frozenset({"ab", "c"})
    assert chain.latency("b", "a", both) is None
    assert chain.path("b", "a", both) is None
    assert chain.bottleneck_bps("b", "a", both) is None
    assert chain.latency("b", "pop", both) == 0.004
    assert chain.connected("b", "pop", both) and not chain.connected("a", "b", both)
    # a place down: routes avoid it
    assert chain.latency("b", "c", frozenset({"a"})) == 0.004  # b → pop 4ms → c 0
    assert chain.path("b", "c", frozenset({"a"})) == ("b", "pop", "c")


def test_a_failed_place_is_unreachable_and_reaches_nothing(chain):
    a_down = frozenset({"a"})
    assert chain.latency("a", "b", a_down) is None  # failed source
    assert chain.latency("b", "a", a_down) is None  # failed target
    assert chain.latency("a", "a", a_down) is None  # even to itself
    assert chain.path("a", "b", a_down) is None
    assert chain.path("b", "a", a_down) is None
    assert chain.path("a", "a", a_down) is None
    assert not chain.connected("a", "a", a_down)
    assert not chain.connected("b", "a", a_down)
    assert not chain.connected("a", "b", a_down)
    assert chain.connected("b", "c", a_down)  # through pop


def test_connected_all_up_and_all_links_down(chain):
    assert all(chain.connected(x, y, NONE) for x in chain.nodes for y in chain.nodes)
    no_links = frozenset({"ab", "ac", "p1", "p2", "cpop"})
    assert chain.connected("pop", "pop", no_links)
    assert not chain.connected("pop", "c", no_links)
    # pop is the last node: with every link down the matrix still spans every node
    assert chain.latency("pop", "c", no_links) is None
    assert chain.latency("pop", "pop", no_links) == 0.0
    assert chain.path("pop", "b", no_links) is None


def test_latency_is_reported_to_the_nanosecond():
    topo = Topology(parse("""
        drsim: 1
        name: precise
        simulation: {start: "2026-03-10T09:00", horizon: 1d}
        sites: {a: {}}
        access_points: {pop: {}}
        links: {l: {a: pop, b: a, latency: 0.1234567891s}}
        services: {svc: {active: [a]}}
        customers: {users: {count: 10, access: pop, home: a, services: [svc]}}
    """))
    # 0.1234567891 s (+ 1e-12 s of the zero-latency guard) rounds to 9 decimals: 0.123456789
    assert topo.latency("pop", "a", NONE) == 0.123456789


def test_a_network_without_links():
    topo = Topology(parse("""
        drsim: 1
        name: islands
        simulation: {start: "2026-03-10T09:00", horizon: 1d}
        sites: {a: {}, b: {}}
        services: {svc: {active: [a]}}
        customers: {users: {count: 10, access: a, home: a, services: [svc]}}
    """))
    assert topo.nodes == ["a", "b"]
    assert topo.latency("a", "a", NONE) == 0.0
    assert topo.latency("a", "b", NONE) is None
    assert topo.latency("a", "b", frozenset({"b"})) is None
    assert topo.path("b", "a", NONE) is None
    assert not topo.connected("a", "b", NONE)
    assert topo.connected("b", "b", NONE)


def test_equal_latency_routes_take_the_fewest_hops():
    # a–b direct 2ms, or a–c–b 1ms + 1ms = 2ms: the same latency; each hop weighs 1e-12 s
    # more in the search, so the direct link wins, and the reported latency drops that dust
    topo = Topology(parse("""
        drsim: 1
        name: ties
        simulation: {start: "2026-03-10T09:00", horizon: 1d}
        sites: {a: {}, b: {}, c: {}}
        links:
          ab: {a: a, b: b, latency: 2ms, bandwidth: 1Gbps}
          ac: {a: a, b: c, latency: 1ms, bandwidth: 9Gbps}
          cb: {a: c, b: b, latency: 1ms, bandwidth: 9Gbps}
        services: {svc: {active: [a]}}
        customers: {users: {count: 10, access: a, home: a, services: [svc]}}
    """))
    assert topo.path("a", "b", NONE) == ("a", "b")
    assert topo.path("b", "a", NONE) == ("b", "a")
    assert topo.latency("a", "b", NONE) == 0.002
    assert topo.bottleneck_bps("a", "b", NONE) == 1e9
    assert topo.path("a", "b", frozenset({"ab"})) == ("a", "c", "b")
    assert topo.bottleneck_bps("a", "b", frozenset({"ab"})) == 9e9
