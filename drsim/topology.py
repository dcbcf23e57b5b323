"""Scenario → networkx graph; cached queries keyed by the set of failed elements.

Topology questions (which sites can an access point reach, at what latency, through what
bottleneck) depend only on which sites and links are down, so answers are memoised on that
frozen set: a trial with a handful of distinct failure states computes each once.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import networkx as nx

from drsim.scenario.schema import Scenario


class Topology:
    """The network of sites and access points joined by links."""

    def __init__(self, scenario: Scenario) -> None:
        g = nx.MultiGraph()  # parallel links between two places are redundancy, keep them all
        g.add_nodes_from(sorted(scenario.sites))
        g.add_nodes_from(sorted(scenario.access_points))
        for lid in sorted(scenario.links):
            link = scenario.links[lid]
            g.add_edge(link.a, link.b, key=lid, latency=link.latency, bandwidth=link.bandwidth)
        self.graph = g
        self._latency = lru_cache(maxsize=4096)(self._latencies_from)
        self._path = lru_cache(maxsize=4096)(self._shortest_path)

    def _view(self, down: frozenset[str]) -> nx.MultiGraph:
        if not down:
            return self.graph
        return nx.subgraph_view(self.graph, filter_node=lambda n: n not in down,
                                filter_edge=lambda a, b, key: key not in down)

    def _latencies_from(self, source: str, down: frozenset[str]) -> dict[str, float]:
        if source in down:
            return {}
        return dict(nx.single_source_dijkstra_path_length(self._view(down), source,
                                                          weight="latency"))

    def latency(self, source: str, target: str, down: frozenset[str]) -> float | None:
        """Lowest one-way latency from source to target avoiding `down` elements, or None."""
        return self._latency(source, down).get(target)

    def _shortest_path(self, a: str, b: str, down: frozenset[str]) -> tuple[str, ...] | None:
        if a in down or b in down:
            return None
        try:
            return tuple(nx.dijkstra_path(self._view(down), a, b, weight="latency"))
        except nx.NetworkXNoPath:
            return None

    def path(self, a: str, b: str, down: frozenset[str]) -> tuple[str, ...] | None:
        return self._path(a, b, down)

    def bottleneck_bps(self, a: str, b: str, down: frozenset[str]) -> float | None:
        """Smallest bandwidth along the lowest-latency path from a to b (inf if a == b)."""
        if a == b:
            return float("inf")
        nodes = self.path(a, b, down)
        if nodes is None:
            return None
        return min(self._hop(u, v, down)["bandwidth"] for u, v in pairwise(nodes))

    def _hop(self, u: str, v: str, down: frozenset[str]) -> dict:
        """The link a hop takes: the lowest-latency one of the parallel links that are up."""
        links = [(d["latency"], k, d) for k, d in self.graph[u][v].items() if k not in down]
        return min(links, key=lambda x: (x[0], x[1]))[2]
