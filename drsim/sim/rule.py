"""Which customer groups a change of state can affect, so the service rule re-evaluates only
those (issue 13, scale): at a thousand sites one failure touches a handful of groups, and the
other two thousand keep their answer.

The rule (World.compute_serving) is a pure function of the state named by a RuleKey. Given
an answer for one state and a second state, a group keeps its answer when all of this holds:
it was served at home for every service and is pointed home in both states (the rule tries
the assigned site first, and a first choice that still qualifies ends the search); nothing
changed at its home or its access point (element up/down, components below k, placement,
corrupted data, pool sizes); its access point and home are connected in both states or in
neither (a changed link elsewhere leaves it alone); none of its services has a latency budget
(latency can move with any link) or a cross-site dependency (health can move with any site);
and no group it shares capacity with (a site's capacity or unit pools, at any site it could be
placed) is affected. Everything else is re-evaluated in priority order, as the full rule does.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from drsim.scenario.schema import Scenario
from drsim.sim.capacity import CapacityPools
from drsim.topology import Topology

if TYPE_CHECKING:
    from drsim.sim.world import RuleKey


class Served(dict[tuple[str, str], str | None]):
    """An answer of the service rule: (group, service) → the site serving it, or None. `off`
    holds the groups not served at home for some service, or pointed away from home: they
    are re-evaluated after any change."""

    off: frozenset[str] = frozenset()


class Coupling:
    """What each group's answer hangs on, fixed for a scenario (shared by every trial)."""

    def __init__(self, sc: Scenario, topo: Topology, remote: frozenset[str]) -> None:
        self.topo = topo
        self.nodes = frozenset(topo.index)  # sites and access points
        self.order = sorted(sc.customers, key=lambda g: (sc.customers[g].priority, g))
        self.rank = {g: i for i, g in enumerate(self.order)}
        by_place: defaultdict[str, set[str]] = defaultdict(set)
        for g, grp in sc.customers.items():
            by_place[grp.home].add(g)
            by_place[grp.access].add(g)
        self.by_place = {p: frozenset(gs) for p, gs in by_place.items()}
        self.always = frozenset(g for g, grp in sc.customers.items()
                                if any(s in remote for s in grp.services))
        self.budgeted = frozenset(g for g, grp in sc.customers.items()
                                  if any(sc.services[s].latency_budget is not None
                                         for s in grp.services))
        self.access = np.array([topo.index[sc.customers[g].access] for g in self.order])
        self.home = np.array([topo.index[sc.customers[g].home] for g in self.order])
        self.cluster = _capacity_clusters(sc)
        self.capacity = bool(self.cluster)

    def affected(self, old: RuleKey, new: RuleKey, off: frozenset[str]) -> set[str] | None:
        """The groups whose answer in state `new` may differ from their answer in state
        `old` (None: every group, when capacity couples groups pointed away from home)."""
        d0, b0, p0, u0 = old
        d1, b1, p1, u1 = new
        away = {g for g, _ in p0[1]} | {g for g, _ in p1[1]}
        if self.capacity and away:
            return None  # a group moved anywhere may share any site's capacity
        places = {e for e in d0 ^ d1 if e in self.nodes}
        places.update(site for site, _ in b0 ^ b1)
        if p0 is not p1:  # (one placement is shared by every state until it changes)
            places.update(site for _, site in p0[0] ^ p1[0])
            places.update(site for _, site in p0[2] ^ p1[2])
        if u0 != u1:
            places.update(site for (site, _), _ in set(u0) ^ set(u1))
        dirty = set(off) | away | self.always
        for p in places:
            dirty.update(self.by_place.get(p, ()))
        if d0 != d1:
            dirty |= self.budgeted
            l0, l1 = self.topo.labels(d0), self.topo.labels(d1)
            if l0 is not l1:  # (a failure that splits nothing keeps the very same labels)
                moved = (l0[self.access] == l0[self.home]) != (l1[self.access] == l1[self.home])
                dirty.update(self.order[i] for i in np.flatnonzero(moved))
        if self.capacity:
            for g in list(dirty):
                dirty |= self.cluster.get(g, frozenset())
        return dirty


def _capacity_clusters(sc: Scenario) -> dict[str, frozenset[str]]:
    """Group → the groups it shares capacity with: those that could be placed (at home, or
    at a site of a service routed to any active site) at a site with a capacity or a unit
    pool, joined transitively. Empty when no site limits capacity."""
    pools = CapacityPools(sc)
    limited = {s for s, site in sc.sites.items() if site.capacity is not None}
    limited |= {s for s, _ in pools.serves}
    if not limited:
        return {}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = x = parent[parent[x]]
        return x

    for g, grp in sorted(sc.customers.items()):
        where = {grp.home}
        for s in grp.services:
            svc = sc.services[s]
            if len(svc.active) > 1 or (svc.standby and svc.standby.mode == "hot"):
                where.update(svc.active, svc.standby.sites if svc.standby else ())
        for site in sorted(where & limited):
            parent[find("site:" + site)] = find("group:" + g)
    members: defaultdict[str, set[str]] = defaultdict(set)
    for g in sc.customers:
        if "group:" + g in parent:
            members[find("group:" + g)].add(g)
    return {g: frozenset(gs) for gs in members.values() for g in gs}


_COUPLING: weakref.WeakKeyDictionary[Topology, Coupling] = weakref.WeakKeyDictionary()


def shared_coupling(topology: Topology, scenario: Scenario,
                    remote: frozenset[str]) -> Coupling:
    """The Coupling shared by all worlds built on `topology` (one scenario)."""
    got = _COUPLING.get(topology)
    if got is None:
        got = _COUPLING[topology] = Coupling(scenario, topology, remote)
    return got
