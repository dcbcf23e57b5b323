"""Scenario → network graph; cached queries keyed by the set of failed elements.

Topology questions (which sites can an access point reach, at what latency, through what
bottleneck) depend only on which sites and links are down, so answers are memoised on that
frozen set. The graph of record is a networkx MultiGraph (parallel links are redundancy).
Latencies and components come from plain searches over adjacency lists (one Dijkstra per
source and failure state, run only as far as asked): a new failure state then costs no
sparse matrix to build. Paths still run in scipy's compiled Dijkstra on a sparse matrix of
the links that are up, whose tie-breaks between equally short paths they keep.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from drsim.scenario.schema import Scenario

EPS = 1e-12  # sparse matrices drop zeros: a zero-latency link weighs this much instead
LABELS_KEPT = 4096  # component labellings kept (one array of places each, often shared)
RECENT_KEPT = 8  # the last states labelled (or searched from a place), where a change looks
# for the state before it
SEARCH_PLACES = 1_000_000  # places kept over all latency searches (~50 bytes each, ~50 MB)


class Topology:
    """The network of sites and access points joined by links."""

    def __init__(self, scenario: Scenario) -> None:
        g: nx.MultiGraph[str] = nx.MultiGraph()
        g.add_nodes_from(sorted(scenario.sites))
        g.add_nodes_from(sorted(scenario.access_points))
        for lid in sorted(scenario.links):
            link = scenario.links[lid]
            g.add_edge(link.a, link.b, key=lid, latency=link.latency, bandwidth=link.bandwidth)
        self.graph = g
        self.nodes = list(g.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        ids = sorted(scenario.links)
        self._link_ids = ids
        self._link_index = {k: i for i, k in enumerate(ids)}
        self._a = np.array([self.index[scenario.links[k].a] for k in ids], dtype=np.int64)
        self._b = np.array([self.index[scenario.links[k].b] for k in ids], dtype=np.int64)
        self._lat = np.array([scenario.links[k].latency for k in ids], dtype=float) + EPS
        self._matrix = lru_cache(maxsize=1024)(self._up_matrix)
        self._rows = lru_cache(maxsize=65536)(self._shortest_from)
        # (source, failure state) → its latency search; source → the last states searched
        self._search_memo: dict[tuple[str, frozenset[str]], _Search] = {}
        self._searched: dict[str, list[frozenset[str]]] = {}
        self._searches_kept = max(64, SEARCH_PLACES // len(self.nodes))  # (a site at least)
        self._label_memo: dict[frozenset[str], np.ndarray] = {}
        self._recent: list[frozenset[str]] = []  # the last states labelled (for repairs)
        # place → (link, the place at its other end), for the searches of _labels
        self._adjacent: dict[str, list[tuple[str, str]]] = {n: [] for n in self.nodes}
        # by index: (place at the other end, link weight as scipy sees it, link), for _Search
        self._weighted: list[list[tuple[int, float, str]]] = [[] for _ in self.nodes]
        self._link_ends: dict[str, tuple[str, str]] = {}
        self._link_at: dict[str, tuple[int, int, float]] = {}  # by index, weight as above
        for i, k in enumerate(ids):
            a, b = self._link_ends[k] = scenario.links[k].a, scenario.links[k].b
            ia, ib, w = self._link_at[k] = int(self._a[i]), int(self._b[i]), float(self._lat[i])
            self._adjacent[a].append((k, b))
            self._adjacent[b].append((k, a))
            self._weighted[ia].append((ib, w, k))
            self._weighted[ib].append((ia, w, k))

    def _up_matrix(self, down: frozenset[str]) -> csr_matrix:
        """Adjacency of the links that are up between places that are up."""
        up = np.ones(len(self._link_ids), dtype=bool)
        if down:  # (a few elements: index them rather than test every link and place)
            up[[self._link_index[k] for k in down if k in self._link_index]] = False
            dead = np.zeros(len(self.nodes), dtype=bool)
            dead[[self.index[k] for k in down if k in self.index]] = True
            up &= ~dead[self._a] & ~dead[self._b]
        a, b, w = self._a[up], self._b[up], self._lat[up]
        order = np.argsort(w, kind="stable")  # parallel links: keep the fastest
        a, b, w = a[order], b[order], w[order]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        _, first = np.unique(lo * len(self.nodes) + hi, return_index=True)
        n = len(self.nodes)
        return csr_matrix((w[first], (lo[first], hi[first])), shape=(n, n))

    def _shortest_from(self, source: str,
                       down: frozenset[str]) -> tuple[np.ndarray, np.ndarray] | None:
        if source in down:
            return None
        # scipy-stubs accept only arrays of indices; one int (1-D results) is allowed at run time
        dist, pred = dijkstra(self._matrix(down), directed=False,  # type: ignore[call-overload]
                              indices=self.index[source], return_predecessors=True)
        return dist, pred

    def _searches(self, source: str, down: frozenset[str]) -> _Search | None:
        """The latency search from `source` avoiding `down` (None: the source is down): kept,
        or carried over from a state one element away searched lately from `source` (a
        failure off its paths, or a repair that shortens none, leaves it true), else new."""
        if source in down:
            return None
        got = self._search_memo.get((source, down))
        recent = self._searched.setdefault(source, [])
        if got is None:
            for near in reversed(recent):
                if len(near ^ down) == 1:
                    (x,) = near ^ down
                    got = self._search_memo[source, near].moved(self, x, down)
                    if got is not None:
                        break
            if got is None:
                got = _Search(self, self.index[source], down)
            if len(self._search_memo) >= self._searches_kept:
                self._search_memo.clear()
                self._searched.clear()
                recent = self._searched[source] = []
            self._search_memo[source, down] = got
        if not recent or recent[-1] != down:
            recent[:] = [*recent[-(RECENT_KEPT - 1):], down]
        return got

    def _labels(self, down: frozenset[str]) -> np.ndarray:
        """A labelling of the connected components avoiding `down`, derived when it can be
        from the labelling of a state one element away (a failure or a repair changes the
        components only around that element), else computed anew. Any labelling of
        the same components gives the same answers: only equality of labels is read."""
        got = self._label_memo.get(down)
        if got is None:
            got = self._derived_labels(down)
            if got is None:
                got = self._component_labels(down)
            if len(self._label_memo) >= LABELS_KEPT:
                self._label_memo.clear()
                self._recent.clear()
            self._label_memo[down] = got
        if not self._recent or self._recent[-1] != down:
            self._recent = [*self._recent[-(RECENT_KEPT - 1):], down]
        return got

    def _component_labels(self, down: frozenset[str]) -> np.ndarray:
        """Each place labelled with the index of the first place of its component (a search
        from each place not yet labelled; a failed place is alone)."""
        labels = [-1] * len(self.nodes)
        for first, name in enumerate(self.nodes):
            if labels[first] >= 0:
                continue
            labels[first] = first
            todo = [] if name in down else [first]
            while todo:
                for v, _, k in self._weighted[todo.pop()]:
                    if labels[v] < 0 and k not in down and self.nodes[v] not in down:
                        labels[v] = first
                        todo.append(v)
        return np.array(labels)

    def _derived_labels(self, down: frozenset[str]) -> np.ndarray | None:
        for near in reversed(self._recent):  # one element failed or repaired since a state
            before = self._label_memo.get(near)  # labelled lately (the last, most often)
            if before is not None and len(near) + 1 == len(down) and near < down:
                (x,) = down - near
                return self._after_failure(x, down, before)
            if before is not None and len(near) == len(down) + 1 and down < near:
                (x,) = near - down
                return self._after_repair(x, down, before)
        for x in down:  # one more element failed than in a state labelled earlier
            before = self._label_memo.get(down - {x})
            if before is not None:
                return self._after_failure(x, down, before)
        return None

    def _after_failure(self, x: str, down: frozenset[str],
                       before: np.ndarray) -> np.ndarray | None:
        """The labels once `x` fails on top of `before`, or None when its component may have
        split (then they are computed anew)."""
        if x in self._link_index:
            u, v = self._link_ends[x]
            if u in down or v in down or before[self.index[u]] != before[self.index[v]]:
                return before  # it joined nothing that is not joined otherwise
            return before if self._joined(u, {v}, down) else None
        if x not in self.index:
            return before  # not part of the network
        near = {w for k, w in self._adjacent[x] if k not in down and w not in down}
        if len(near) > 1 and not self._joined(min(near), near - {min(near)}, down):
            return None
        after = before.copy()
        after[self.index[x]] = int(before.max()) + 1  # alone now
        return after

    def _after_repair(self, x: str, down: frozenset[str], before: np.ndarray) -> np.ndarray:
        """The labels once `x` (down in `before`) is back: the components it joins merge."""
        if x in self._link_index:
            ends = [self._link_ends[x]] if not set(self._link_ends[x]) & down else []
        elif x in self.index:
            ends = [(x, w) for k, w in self._adjacent[x] if k not in down and w not in down]
        else:
            return before
        after = before
        for u, v in ends:
            lu, lv = after[self.index[u]], after[self.index[v]]
            if lu != lv:
                after = after.copy() if after is before else after
                after[after == lv] = lu
        return after

    def _joined(self, source: str, targets: set[str], down: frozenset[str]) -> bool:
        """Whether `source` reaches every one of `targets` avoiding `down` (a search that
        stops as soon as it has found them: around a failed element, a few hops)."""
        left, seen, todo = set(targets), {source}, deque([source])
        while todo:
            for k, w in self._adjacent[todo.popleft()]:
                if w not in seen and k not in down and w not in down:
                    seen.add(w)
                    left.discard(w)
                    if not left:
                        return True
                    todo.append(w)
        return not left

    def labels(self, down: frozenset[str]) -> np.ndarray:
        """The connected component of each place (by Topology.index) avoiding `down` (a
        failed place has no link up: it is alone in its component)."""
        return self._labels(down)

    def connected(self, a: str, b: str, down: frozenset[str]) -> bool:
        """Is there any path from a to b avoiding `down` elements? (One labelling of the
        network per failure state answers it for every pair.)"""
        if a in down:  # (a failed b has no link up, so the labels already tell it apart;
            return False  # a failed a must be refused here, or a == b would match itself)
        labels = self._labels(down)
        return bool(labels[self.index[a]] == labels[self.index[b]])

    def latency(self, source: str, target: str, down: frozenset[str]) -> float | None:
        """Lowest one-way latency from source to target avoiding `down` elements, or None."""
        search = self._searches(source, down)  # a failed target has no link up: inf
        if search is None:
            return None
        d = search.distance(self.index[target])
        return None if d == np.inf else round(d, 9)  # drop the EPS per hop

    def nearest(self, source: str, sites: Iterable[str], down: frozenset[str]) -> list[str]:
        """`sites` nearest first from `source` avoiding `down`: by latency (as latency()
        gives it, unreachable last), then by id."""
        search = self._searches(source, down)
        if search is None:
            return sorted(sites)  # (nothing is reachable from a failed place: all tie)
        index = self.index
        return sorted(sites, key=lambda s: (round(search.distance(index[s]), 9), s))

    def path(self, a: str, b: str, down: frozenset[str]) -> tuple[str, ...] | None:
        """Places along the lowest-latency path from a to b, or None."""
        row = self._rows(a, down)
        if row is None or row[0][self.index[b]] == np.inf:
            return None
        pred, nodes, i = row[1], [b], self.index[b]
        while pred[i] >= 0:
            i = int(pred[i])
            nodes.append(self.nodes[i])
        return tuple(reversed(nodes))

    def bottleneck_bps(self, a: str, b: str, down: frozenset[str]) -> float | None:
        """Smallest bandwidth along the lowest-latency path from a to b (inf if a == b)."""
        if a == b:
            return math.inf
        nodes = self.path(a, b, down)
        if nodes is None:
            return None
        return min(self._hop(u, v, down)["bandwidth"] for u, v in pairwise(nodes))

    def _hop(self, u: str, v: str, down: frozenset[str]) -> dict:
        """The link a hop takes: the lowest-latency one of the parallel links that are up."""
        links = [(d["latency"], k, d) for k, d in self.graph[u][v].items() if k not in down]
        return min(links)[2]  # (latency, id): ids are unique, so the dicts are never compared


class _Search:
    """Dijkstra from one place avoiding `down`, run only as far as the places asked about
    (the places nearer than the farthest one asked are settled once, and kept).

    Its distances are the very floats scipy's Dijkstra gives: each is the least, over paths,
    of the weights summed from the source along the path, however ties are settled (float
    addition is monotone and every weight is positive, so no path found later is shorter).
    That holds for a search carried over to a state one element away (moved) as long as
    what Dijkstra keeps true stays true: settled places have their least latency, each
    place in view has the least over its settled neighbours, and none of them is nearer
    than the place settled last."""

    __slots__ = ("dist", "done", "down", "heap", "last", "nodes", "parent", "via", "weighted")

    def __init__(self, topo: Topology, start: int, down: frozenset[str]) -> None:
        self.nodes, self.weighted, self.down = topo.nodes, topo._weighted, down
        self.dist = [math.inf] * len(topo.nodes)
        self.dist[start] = 0.0
        self.done = bytearray(len(topo.nodes))
        self.heap = [(0.0, start)]
        self.last = 0.0  # the latency of the place settled last
        # the place and the link each place was reached through (its path back)
        self.parent = [-1] * len(topo.nodes)
        self.via: list[str | None] = [None] * len(topo.nodes)

    def distance(self, target: int) -> float:
        """Lowest latency (+ EPS per hop) to place `target` (inf: not reachable)."""
        if self.done[target]:
            return self.dist[target]  # (asked again, most often: the search went past it)
        dist, done, heap, down, parent, via = (self.dist, self.done, self.heap, self.down,
                                               self.parent, self.via)
        while not done[target] and heap:
            d, u = heapq.heappop(heap)
            if done[u] or d != dist[u]:
                continue  # a stale entry: its place was settled, or is in view, nearer
            done[u], self.last = 1, d
            for v, w, k in self.weighted[u]:
                if d + w < dist[v] and k not in down and self.nodes[v] not in down:
                    dist[v], parent[v], via[v] = d + w, u, k
                    heapq.heappush(heap, (d + w, v))
        return dist[target]

    def moved(self, topo: Topology, x: str, down: frozenset[str]) -> _Search | None:
        """This search carried over to `down`, where only `x` failed or was repaired; None
        when it cannot be (a path it found goes through x, or x brings a place nearer than
        one settled) and must start afresh."""
        new = _Search.__new__(_Search)
        new.nodes, new.weighted, new.down, new.last = self.nodes, self.weighted, down, self.last
        new.dist, new.done, new.heap = self.dist.copy(), self.done.copy(), self.heap.copy()
        new.parent, new.via = self.parent.copy(), self.via.copy()
        if x in down:  # failed: its place or link leaves every path that avoided it
            if x in topo._link_at:
                a, b, _ = topo._link_at[x]
                return None if x in (self.via[a], self.via[b]) else new
            i = topo.index.get(x)
            if i is not None:
                if any(self.parent[v] == i for v, _, _ in self.weighted[i]):
                    return None
                new.dist[i] = math.inf  # (unreachable; its entries in the heap are stale)
            return new
        if x in topo._link_at:  # repaired: it joins what the search settled, if it can
            a, b, w = topo._link_at[x]
            if self.nodes[a] in down or self.nodes[b] in down:
                return new
            return new if new._relax(a, b, w, x) and new._relax(b, a, w, x) else None
        i = topo.index.get(x)
        if i is None:
            return new  # not part of the network
        new.done[i] = 0  # (if settled before it failed, it is settled anew)
        for v, w, k in self.weighted[i]:
            if k not in down and self.nodes[v] not in down and not new._relax(v, i, w, k):
                return None
        return new

    def _relax(self, u: int, v: int, w: float, k: str) -> bool:
        """Bring `v` in view through link `k` from `u` if `u` is settled (an unsettled `u`
        relaxes its links when it is); False when `v` would then be nearer than the place
        settled last (a settled `v` is never farther than that: it would be too)."""
        if not self.done[u]:
            return True
        d = self.dist[u] + w
        if d < self.dist[v]:
            if d < self.last:
                return False
            self.dist[v], self.parent[v], self.via[v] = d, u, k
            heapq.heappush(self.heap, (d, v))
        return True
