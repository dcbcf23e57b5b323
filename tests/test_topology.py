"""Topology queries: latency, reachability and bottleneck bandwidth under failures."""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate
from drsim.topology import Topology

NET = """
drsim: 1
name: net
simulation: {start: "2026-03-10T09:00", horizon: 1d}
sites: {a: {}, b: {}}
access_points: {pop: {}}
links:
  primary: {a: pop, b: a, latency: 2ms, bandwidth: 10Gbps}
  backup: {a: pop, b: a, latency: 5ms, bandwidth: 1Gbps}
  pop-b: {a: pop, b: b, latency: 20ms, bandwidth: 100Gbps}
services: {svc: {active: [a]}}
customers: {users: {count: 100, access: pop, home: a, services: [svc]}}
disruptions: [{id: cut, at: 1h, targets: [{link: primary}], duration: 4h}]
"""


def test_latency_path_and_bottleneck_follow_failures():
    topo = Topology(parse(NET))
    none: frozenset[str] = frozenset()
    assert topo.latency("pop", "a", none) == 0.002
    assert topo.latency("b", "a", none) == 0.022  # b → pop → a over the primary link
    assert topo.bottleneck_bps("b", "a", none) == 10e9
    cut = frozenset({"primary"})
    assert topo.latency("pop", "a", cut) == 0.005  # the parallel backup link
    assert topo.bottleneck_bps("b", "a", cut) == 1e9
    assert topo.latency("pop", "a", frozenset({"primary", "backup"})) is None
    assert topo.latency("b", "a", frozenset({"pop"})) is None  # a failed node carries nothing


def test_parallel_link_is_redundancy():
    r = simulate(parse(NET))
    assert r.metrics.customer_minutes_lost == 0 and not r.incidents
