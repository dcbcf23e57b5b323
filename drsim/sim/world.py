"""The mutable state of one trial and the rule that decides who has service.

A customer group has a service when a path exists from its access point to a site where the
service is active and healthy (site up, required components k-of-n up, dependencies healthy
there, or at their site reachable over up links), within the latency budget, and the site has
capacity left (site.capacity, and per-unit pools of components with `serves`). Groups are placed in
priority order, so when a site is short of capacity the lowest-priority groups stay down.
Every change marks the world dirty; one refresh per instant recomputes service and records
what changed, so simultaneous changes never produce zero-length outages.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import simpy
from simpy.events import EventPriority

from drsim.recorder import DataLoss, Recorder
from drsim.scenario.schema import Dependency, Scenario
from drsim.sim import causes
from drsim.sim.capacity import CapacityPools, Placement, Pool
from drsim.sim.protection import Protection, failover_loss
from drsim.sim.rule import Served, shared_coupling
from drsim.sim.streams import Streams
from drsim.topology import Topology

Serving = dict[tuple[str, str], str | None]  # (group, service) → the site serving it, or None
Health = dict[tuple[str, str], bool]  # (service, site) → healthy there (the rule's memo)
# down sites and links, components below k, placement version, pool sizes (World.state_key)
StateKey = tuple[frozenset[str], frozenset[tuple[str, str]], int, tuple[tuple[Pool, int], ...]]
# what placement_version stands for: active (service, site) pairs, groups pointed away from
# home, corrupted (service, site) pairs
PlacementKey = tuple[frozenset[tuple[str, str]], tuple[tuple[str, str], ...],
                     frozenset[tuple[str, str]]]
RuleKey = tuple[frozenset[str], frozenset[tuple[str, str]], PlacementKey,
                tuple[tuple[Pool, int], ...]]
Unserved = tuple[tuple[str, str], ...]  # (group, service) pairs without a site, sorted
Changes = tuple[tuple[tuple[str, str], str | None], ...]  # ((group, service), site) now
Moves = tuple[tuple[str, str, bool], ...]  # (service, site, healthy now), recording order
Taken = tuple[tuple[str, str], ...]  # (service, site) hot standbys that took over, sorted
_ABSENT = object()
ANSWERS_BUDGET = 500_000  # (group, service) pairs kept in the shared answers (~100 MB at most)


class RuleAnswers:
    """The service rule's answers by whole state, shared by every trial that shares one
    Topology (one scenario): random failures revisit the same few states (all well, one
    element down) in every trial, so most refreshes are a dictionary look-up. The key holds
    everything compute_serving reads, by content (not placement_version, which only counts
    changes within one trial), so a cached answer is the one the rule would compute now."""

    def __init__(self, pairs: int) -> None:
        self.limit = max(16, ANSWERS_BUDGET // max(1, pairs))  # memory stays bounded
        self.answers: dict[RuleKey, tuple[Serving, Health]] = {}
        # by the id of answers held here (an entry keeps them alive, so no id is reused
        # while it stands): the unserved pairs of an answer, the pairs served differently
        # and the places whose health differs from one answer to another (trials make the
        # same moves between the same few states)
        self._unserved: dict[int, tuple[Serving, Unserved, frozenset[str]]] = {}
        self._changes: dict[tuple[int, int], tuple[Serving, Serving, Changes]] = {}
        self._moves: dict[tuple[int, int], tuple[Health, Health, Moves]] = {}
        # (state, hot standbys that took over) → would a group lose service if they stood by
        self._needed: dict[tuple[RuleKey, Taken], bool] = {}

    def get(self, key: RuleKey, compute: Callable[[], tuple[Serving, Health]]
            ) -> tuple[Serving, Health]:
        got = self.answers.get(key)
        if got is None:
            if len(self.answers) >= self.limit:
                self.answers.clear()
            got = self.answers[key] = compute()
        return got

    def unserved(self, serving: Serving) -> tuple[Unserved, frozenset[str]]:
        """The (group, service) pairs `serving` leaves without a site, sorted, and the
        services they lack."""
        got = self._unserved.get(id(serving))
        if got is None:
            if len(self._unserved) >= self.limit:
                self._unserved.clear()
            pairs = tuple(sorted(k for k, site in serving.items() if site is None))
            got = self._unserved[id(serving)] = (serving, pairs,
                                                 frozenset(svc for _, svc in pairs))
        return got[1], got[2]

    def changes(self, old: Serving, new: Serving) -> Changes:
        """The pairs `new` serves differently from `old` (or `old` lacks), in `new`'s order."""
        got = self._changes.get((id(old), id(new)))
        if got is None:
            if len(self._changes) >= self.limit:
                self._changes.clear()
            got = self._changes[id(old), id(new)] = (old, new, tuple(
                (k, site) for k, site in new.items() if old.get(k, _ABSENT) != site))
        return got[2]

    def moves(self, old: Health, new: Health, find: Callable[[], Moves]) -> Moves:
        """The places whose health differs between the states of two answers (by their
        health memos: health is a function of the state alone), found once by `find`."""
        got = self._moves.get((id(old), id(new)))
        if got is None:
            if len(self._moves) >= self.limit:
                self._moves.clear()
            got = self._moves[id(old), id(new)] = (old, new, find())
        return got[2]

    def standby_needed(self, key: RuleKey, taken: Taken, find: Callable[[], bool]) -> bool:
        """World.needs_hot_standby in the state `key` names, found once by `find`: the
        answer hangs on that state and the standbys that would stand by alone (the serving
        it compares against is the state's own answer)."""
        got = self._needed.get((key, taken))
        if got is None:
            if len(self._needed) >= self.limit:
                self._needed.clear()
            got = self._needed[key, taken] = find()
        return got


_ANSWERS: weakref.WeakKeyDictionary[Topology, RuleAnswers] = weakref.WeakKeyDictionary()
# the last scenario's answers, kept for the next Topology built on the very same scenario
# object: each run_trials call builds its own Topology, and a benchmark, `verify` or a
# sensitivity analysis calls it again and again on one scenario (only the last is kept, so
# a sweep over many variants holds no more than before)
_LAST: list[tuple[weakref.ref[Scenario], RuleAnswers]] = []


def shared_answers(topology: Topology, scenario: Scenario) -> RuleAnswers:
    """The answers shared by all worlds built on `topology` (created with the first, or
    taken over from the last Topology of the same scenario object)."""
    got = _ANSWERS.get(topology)
    if got is None:
        if _LAST and _LAST[0][0]() is scenario:
            got = _LAST[0][1]
        else:
            pairs = sum(len(g.services) for g in scenario.customers.values())
            got = RuleAnswers(pairs)
        _ANSWERS[topology] = got
        _LAST[:] = [(weakref.ref(scenario), got)]
    return got


Place = tuple[int, str, str]  # (rank in the order service health is recorded, service, site)


class Layout:
    """What a refresh looks up by what changed, fixed by the scenario: built with its first
    world and shared by all worlds built on the same Topology (one scenario), so a refresh
    reads only the places and groups at the sites that changed, never every one."""

    def __init__(self, sc: Scenario) -> None:
        self.places = {s: sorted(set(svc.active) | set(svc.standby.sites if svc.standby else ()))
                       for s, svc in sc.services.items()}
        self.remote = remote_services(sc)  # health may hang on other sites and links
        # every place in recording order (services as listed, their sites sorted); those of
        # services whose health hangs on their own site only, by site; the remote ones
        self.all_places: tuple[Place, ...] = tuple(
            (rank, svc, site) for rank, (svc, site) in enumerate(
                (svc, site) for svc in sc.services for site in self.places[svc]))
        self.places_at: dict[str, list[Place]] = {}
        for place in self.all_places:
            if place[1] not in self.remote:
                self.places_at.setdefault(place[2], []).append(place)
        self.remote_places = tuple(p for p in self.all_places if p[1] in self.remote)
        self.place_of = {(svc, site): p for p in self.all_places for _, svc, site in [p]}
        needed_by: dict[str, list[str]] = {}  # svc → services needing it at their site
        needed_anywhere: dict[str, list[str]] = {}  # svc → services needing it, anywhere
        for other, spec in sc.services.items():
            for d in spec.depends_on:
                if isinstance(d, str):
                    needed_by.setdefault(d, []).append(other)
                needed_anywhere.setdefault(d if isinstance(d, str) else d.service,
                                           []).append(other)
        # svc → the services whose health at a site follows svc's there: itself and those
        # needing it at the same site, directly or through others
        self.follows = {svc: _followers(svc, needed_by) for svc in sc.services}
        # hot standbys, and svc → the hot-standby services whose health checks fail when a
        # group lacks svc: each watches its own service and those needing it, at any depth
        self.hot = sorted(s for s, spec in sc.services.items()
                          if spec.standby and spec.standby.mode == "hot")
        self.watchers: dict[str, list[str]] = {}
        for sid in self.hot:
            for svc in sorted(_followers(sid, needed_anywhere)):
                self.watchers.setdefault(svc, []).append(sid)
        self.homed: dict[str, tuple[str, ...]] = {}  # site → the groups it is home to
        for g in sorted(sc.customers):
            self.homed[sc.customers[g].home] = (*self.homed.get(sc.customers[g].home, ()), g)
        # group → the keys _track_groups reads: its essential services (all, when none is
        # marked) and the components at home it relies on
        self.reads = {g: GroupReads(grp.home, tuple((g, s) for s in grp.services),
                                    tuple((g, s) for s in grp.services
                                          if sc.services[s].essential)
                                    or tuple((g, s) for s in grp.services),
                                    tuple((grp.home, c) for c in sorted(components_used(sc, g))))
                      for g, grp in sc.customers.items()}


class GroupReads(NamedTuple):
    """Where a group's status lives in the world's tables: its home, its (group, service)
    keys in serving (all, and the essential ones), its (home, component) keys of the
    components it relies on there."""

    home: str
    services: tuple[tuple[str, str], ...]
    essential: tuple[tuple[str, str], ...]
    components: tuple[tuple[str, str], ...]


def components_used(sc: Scenario, group: str) -> frozenset[str]:
    """Components at its home site a group's service relies on: its services' `requires`
    (through same-site dependencies) and the servers it lives on."""
    grp, todo, seen = sc.customers[group], list(sc.customers[group].services), set()
    comps = set(grp.requires)
    while todo:
        svc = todo.pop()
        if svc not in seen:
            seen.add(svc)
            comps.update(sc.services[svc].requires)
            todo.extend(d for d in sc.services[svc].depends_on if isinstance(d, str))
    return frozenset(c for c in comps if c in sc.sites[grp.home].components)


def _followers(svc: str, needed_by: dict[str, list[str]]) -> frozenset[str]:
    out, todo = {svc}, [svc]
    while todo:
        for other in needed_by.get(todo.pop(), ()):
            if other not in out:
                out.add(other)
                todo.append(other)
    return frozenset(out)


_LAYOUTS: weakref.WeakKeyDictionary[Topology, Layout] = weakref.WeakKeyDictionary()


def shared_layout(topology: Topology, scenario: Scenario) -> Layout:
    """The layout shared by all worlds built on `topology` (created with the first)."""
    got = _LAYOUTS.get(topology)
    if got is None:
        got = _LAYOUTS[topology] = Layout(scenario)
    return got


@dataclass
class Incident:
    """One customer-visible incident: from the first outage until everything is back home."""

    number: int
    start_s: float
    detected_s: float | None = None
    acknowledged_s: float | None = None
    declared_s: float | None = None
    end_s: float | None = None
    groups: set[str] = field(default_factory=set)


class World:
    """State of sites, components, links, service placement and customer assignment."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, topology: Topology,
                 recorder: Recorder, streams: Streams) -> None:
        self.env, self.sc, self.topo, self.rec, self.streams = (env, scenario, topology,
                                                                 recorder, streams)
        self.units_down: Counter[tuple[str, str]] = Counter()
        self.site_units_down: Counter[str] = Counter()  # the same, summed per site
        self._touched_sites: set[str] = set()  # sites (and links) changed since last refresh
        self._reassigned: set[str] = set()  # groups pointed elsewhere since last refresh
        # (service, site) placed, or whose data changed, since the last refresh
        self._replaced: set[tuple[str, str]] = set()
        self.down: Counter[str] = Counter()  # sites and links currently hit (overlapping hits)
        self.active = {s: set(svc.active) for s, svc in scenario.services.items()}
        # the same as (service, site) pairs, kept with it: the placement key copies it
        self._active_pairs = {(s, site) for s, sites in self.active.items() for site in sites}
        self.any_route = {s: len(svc.active) > 1 or bool(svc.standby and svc.standby.mode == "hot")
                          for s, svc in scenario.services.items()}
        self.assigned = {g: grp.home for g, grp in scenario.customers.items()}
        self.serving: dict[tuple[str, str], str | None] = {}
        self.last_site = {(g, s): grp.home for g, grp in scenario.customers.items()
                          for s in grp.services}
        self.healthy_at: dict[tuple[str, str], bool] = {}
        self.unhealthy_since: dict[tuple[str, str], float] = {}
        self.losses_seen: set[tuple[str, str, float]] = set()
        self.corrupted: dict[tuple[str, str], float] = {}  # (service, site) → since
        self.protection = Protection(scenario, streams)
        self.layout = shared_layout(topology, scenario)
        self.groups_by_priority = sorted(scenario.customers,
                                         key=lambda g: (scenario.customers[g].priority, g))
        self.runbooks_running = 0
        self.incident: Incident | None = None
        self.incidents: list[Incident] = []
        self.change = env.event()
        self._dirty = False
        self.placement_version = 0  # bumped whenever a service placement or assignment changes
        self._answers = shared_answers(topology, scenario)
        self._placement: tuple[int, PlacementKey] | None = None  # (version, its content)
        self._last_key: StateKey | None = None
        self._rule_key: RuleKey | None = None  # the state self.serving answers
        self._broken: frozenset[tuple[str, str]] = frozenset()  # components below k, now
        self.places = self.layout.places  # (shared: read only)
        self.closed: Counter[str] = Counter(s for s, site in scenario.sites.items()
                                            if site.access == "closed")  # no staff entry
        self.on_incident: Callable[[Incident], object] | None = None
        self.units_idle: Counter[tuple[str, str]] = Counter()  # standby units up, not serving
        self.after_refresh: list[Callable[[], None]] = []  # e.g. failure suspension
        self.remote = self.layout.remote  # health may hang on other sites and links
        self._coupling = shared_coupling(topology, scenario, self.remote)
        self._rule_base: tuple[RuleKey, Served] | None = None  # an answer, and its state
        self.pools = CapacityPools(scenario)
        self.hot: set[tuple[str, str]] = set()  # (service, site) a hot standby took over
        # (service, site) unhealthy where the scenario makes the service active
        self.down_at_home: set[tuple[str, str]] = set()
        # since when (for cause chains): elements down, components below k, with units down
        self.down_since: dict[str, float] = {}
        self.broken_since: dict[tuple[str, str], float] = {}
        self.degraded_since: dict[tuple[str, str], float] = {}
        self._out: set[tuple[str, str]] = set()  # (group, service) pairs explained as unserved
        self._unserved: Unserved = ()  # the pairs self.serving leaves without a site
        self._lacking: frozenset[str] = frozenset()  # the services they lack
        self._memo: Health | None = None  # the health memo of self.serving's answer
        self._group_seen: dict[str, tuple[object, ...]] = {}  # what _track_groups last read
        self._away: set[str] = set()  # groups pointed at a site other than their home

    # ---- changes ------------------------------------------------------------------------

    def touch(self) -> None:
        """Mark the state changed; one refresh runs at the end of this instant."""
        if not self._dirty:
            self._dirty = True
            self.env.timeout(0).callbacks.append(lambda _: self.refresh())

    def hit(self, element: str, kind: str) -> None:
        self.down[element] += 1
        self._touched_sites.add(element)
        if self.down[element] == 1:
            self.down_since[element] = self.env.now
            self.rec.event(self.env.now, f"{kind}_down", element)
        self.touch()

    def heal(self, element: str, kind: str) -> None:
        self.down[element] -= 1
        self._touched_sites.add(element)
        if self.down[element] == 0:
            del self.down[element]
            del self.down_since[element]
            self.rec.event(self.env.now, f"{kind}_up", element)
        self.touch()

    def unit_down(self, site: str, comp: str, cause: str) -> None:
        self.units_down[site, comp] += 1
        self.degraded_since.setdefault((site, comp), self.env.now)
        self.site_units_down[site] += 1
        self._touched_sites.add(site)
        count = self.sc.sites[site].components[comp].count
        self.rec.event(self.env.now, "component_down", f"{site}.{comp}",
                       f"{self.units_down[site, comp]} of {count} units down ({cause})")
        self.touch()

    def unit_up(self, site: str, comp: str, how: str) -> None:
        self.units_down[site, comp] -= 1
        self.site_units_down[site] -= 1
        self._touched_sites.add(site)
        left = self.units_down[site, comp]
        if left == 0:
            del self.units_down[site, comp]
            del self.degraded_since[site, comp]
        self.rec.event(self.env.now, "component_up", f"{site}.{comp}",
                       f"{how}; {left} units still down" if left else how)
        self.touch()

    def set_idle(self, site: str, comp: str, idle: int) -> None:
        """Standby units that are up but not in service (they do not count towards k)."""
        if self.units_idle[site, comp] != idle:
            self.units_idle[site, comp] = idle
            self._touched_sites.add(site)
            self.touch()

    def place(self, svc: str, site: str, active: bool) -> None:
        """Activate (or deactivate) `svc` at `site`."""
        (self.active[svc].add if active else self.active[svc].discard)(site)
        (self._active_pairs.add if active else self._active_pairs.discard)((svc, site))
        self._replaced.add((svc, site))
        self.placement_version += 1
        self.touch()

    def assign(self, group: str, site: str) -> None:
        """Point a customer group at the site that should serve it."""
        self.assigned[group] = site
        (self._away.discard if site == self.sc.customers[group].home else self._away.add)(group)
        self._reassigned.add(group)
        self.placement_version += 1
        self.touch()

    def corrupt(self, svc: str, site: str, cause: str) -> None:
        """The service's data at `site` is corrupted or deleted: unhealthy there until a
        restore to `site` completes."""
        self.corrupted.setdefault((svc, site), self.env.now)
        self.rec.event(self.env.now, "data_corrupted", f"{svc}@{site}",
                       f"{cause}: unhealthy there until its data is restored")
        self._replaced.add((svc, site))
        self.placement_version += 1
        self.touch()

    def data_restored(self, svc: str, site: str) -> None:
        if self.corrupted.pop((svc, site), None) is not None:
            self._replaced.add((svc, site))
            self.placement_version += 1
            self.touch()

    def book_loss(self, svc: str, from_site: str, to_site: str, failed_s: float, lost_s: float,
                  detail: str) -> None:
        """Record data lost once per failure of a service (a restore and the customer move
        after it describe the same loss)."""
        if (svc, from_site, failed_s) in self.losses_seen:
            return
        self.losses_seen.add((svc, from_site, failed_s))
        self.rec.losses.append(DataLoss(svc, from_site, to_site, failed_s, lost_s))
        self.rec.event(self.env.now, "data_loss", svc, detail)

    def close_access(self, site: str, closed: bool, why: str) -> None:
        """Close (or reopen) `site` to staff; overlapping closures count."""
        self.closed[site] += 1 if closed else -1
        if self.closed[site] == (1 if closed else 0):
            self.rec.event(self.env.now, "access_closed" if closed else "access_open", site, why)
        self.touch()

    def settled_at(self, t_s: float) -> simpy.Event:
        """An event at t_s that fires after everything else of that instant, this world's
        refresh included: a look at the state then sees the instant's outcome (a monitoring
        check at the instant service comes back finds it back). Exactly at t_s: simpy adds
        the delay to now, so a delay that rounds off is moved to the next float."""
        now = self.env.now
        delay = t_s - now
        while now + delay != t_s:  # ends: steps of delay (≤ t_s) are smaller than t_s's
            delay = math.nextafter(delay, math.inf if now + delay < t_s else -math.inf)
        return _Late(self.env, delay)

    def wait_until(self, ready: Callable[[], bool]) -> Generator[simpy.Event, object, None]:
        """Process helper: resume once `ready()` holds after some refresh."""
        while not ready():
            yield self.change

    # ---- questions -----------------------------------------------------------------------

    def site_up(self, site: str) -> bool:
        return site not in self.down

    def served_somewhere(self, svc: str) -> bool:
        """Whether `svc` is healthy at some site where it is placed."""
        return any(self.healthy_at[svc, s] for s in self.places[svc])  # set from the start

    def site_open(self, site: str) -> bool:
        """Whether staff can enter `site` (its access is not closed)."""
        return self.closed[site] <= 0

    def site_fully_healthy(self, site: str) -> bool:
        return site not in self.down and self.site_units_down[site] == 0

    def link_up(self, link: str) -> bool:
        return link not in self.down

    def all_elements_up(self) -> bool:
        return not self.down and not self.units_down

    def component_ok(self, site: str, comp: str) -> bool:
        c = self.sc.sites[site].components[comp]
        return (c.count - self.units_down.get((site, comp), 0)
                - self.units_idle.get((site, comp), 0) >= c.k)

    def units_out(self) -> Counter[tuple[str, str]]:
        """Units not serving: down, or up but idle as standby (they add no capacity)."""
        return self.units_down + self.units_idle if self.units_idle else self.units_down

    def down_set(self) -> frozenset[str]:
        return frozenset(self.down)

    # ---- the service rule ------------------------------------------------------------------

    def _healthy(self, svc: str, site: str, memo: dict[tuple[str, str], bool]) -> bool:
        key = (svc, site)
        if key not in memo:
            s = self.sc.services[svc]
            memo[key] = (site in self.active[svc] and self.site_up(site)
                         and (svc, site) not in self.corrupted
                         and all((site, c) not in self._broken for c in s.requires)
                         and all(self._dependency_ok(d, site, memo) for d in s.depends_on))
        return memo[key]

    def _dependency_ok(self, dep: str | Dependency, site: str,
                       memo: dict[tuple[str, str], bool]) -> bool:
        """A same-site dependency is healthy at `site`; a cross-site one is healthy at its
        site (or at some site, `at: any`) reachable from `site` over up links."""
        if isinstance(dep, str):
            return self._healthy(dep, site, memo)
        down = self.down_set()
        return any(self._healthy(dep.service, s, memo) and self.topo.connected(site, s, down)
                   for s in (self.places[dep.service] if dep.anywhere else (dep.at,)))

    def why_unhealthy(self, svc: str, site: str, memo: dict[tuple[str, str], bool]) -> str:
        """The first condition of the service rule's health test that fails, in words."""
        s = self.sc.services[svc]
        if site not in self.active[svc]:
            return "not active here"
        if not self.site_up(site):
            return f"site {site} down"
        if (svc, site) in self.corrupted:
            return f"its data at {site} corrupted, not yet restored"
        broken = [c for c in s.requires if (site, c) in self._broken]
        if broken:
            c = self.sc.sites[site].components[broken[0]]
            idle = self.units_idle.get((site, broken[0]), 0)  # up, but not serving
            up = c.count - self.units_down[site, broken[0]] - idle
            spare = f" ({idle} idle standby not in service)" if idle else ""
            return f"{broken[0]}: {up} of {c.count} units up, needs {c.k}{spare}"
        dep = next(d for d in s.depends_on if not self._dependency_ok(d, site, memo))
        if isinstance(dep, str):
            return f"needs {dep} here: {self.why_unhealthy(dep, site, memo)}"
        where = self.places[dep.service] if dep.anywhere else (dep.at,)
        said = [f"{x}: " + (self.why_unhealthy(dep.service, x, memo)
                            if not self._healthy(dep.service, x, memo) else "unreachable")
                for x in where]
        return f"needs {dep.service} at {dep.at} ({'; '.join(said)})"

    def _candidates(self, group: str, svc: str, down: frozenset[str]) -> Iterator[str]:
        """The assigned site first; then, for services routed to any active site, the other
        active sites nearest first (ranked only when the first one cannot serve)."""
        first = self.assigned[group]
        yield first
        if self.any_route[svc]:
            others = [s for s in self.active[svc] if s != first]
            yield from (self.topo.nearest(self.sc.customers[group].access, others, down)
                        if len(others) > 1 else others)  # (one other site: no ranking)

    def _pinned_ok(self, group: str, site: str) -> bool:
        """The components the group's customers live on are up at `site` (where it has them)."""
        comps = self.sc.sites[site].components
        return all((site, c) not in self._broken for c in self.sc.customers[group].requires
                   if c in comps)

    def _reaches(self, access: str, site: str, budget: float | None,
                 down: frozenset[str]) -> bool:
        if budget is None:
            return self.topo.connected(access, site, down)
        lat = self.topo.latency(access, site, down)
        return lat is not None and lat <= budget

    def compute_serving(self, key: RuleKey | None = None) -> tuple[Serving, Health]:
        """Who is served in the state `key` names (the current state, computed when not
        given). Groups are placed in priority order; starting from the last answer this world
        saw, only the groups the change can affect are placed again (sim/rule.py)."""
        if key is None:
            key = (self.down_set(), self._broken, self.placement_key(),
                   self.pools.units_key(self.units_out()))
        memo: dict[tuple[str, str], bool] = {}
        base = self._rule_base
        redo = None if base is None else self._coupling.affected(base[0], key, base[1].off)
        if base is None or redo is None:
            serving, order, off = Served(), self.groups_by_priority, set()
        else:  # only the groups re-evaluated, merged into the base answer below
            serving, order = Served(), sorted(redo, key=self._coupling.rank.__getitem__)
            off = set(base[1].off - redo)
        down = key[0]
        load: dict[str, int] = {}  # customers placed at each site with a capacity
        slots = Placement(self.pools, self.units_out())
        for g in order:
            grp = self.sc.customers[g]
            hosts: set[str] = set()
            for svc in grp.services:
                budget = self.sc.services[svc].latency_budget
                serving[g, svc] = None
                for site in self._candidates(g, svc, down):
                    if not (self._healthy(svc, site, memo) and self._pinned_ok(g, site)
                            and self._reaches(grp.access, site, budget, down)):
                        continue
                    cap = self.sc.sites[site].capacity
                    if (site not in hosts and cap is not None
                            and load.get(site, 0) + grp.count > cap):
                        continue
                    if not slots.fits(g, svc, site):
                        continue
                    if site not in hosts:
                        hosts.add(site)
                        load[site] = load.get(site, 0) + grp.count
                    slots.take(g, svc, site)
                    serving[g, svc] = site
                    break
            if self.assigned[g] != grp.home or any(serving[g, s] != grp.home
                                                   for s in grp.services):
                off.add(g)
        if base is not None and redo is not None:
            if off == base[1].off and all(base[1][k] == v for k, v in serving.items()):
                serving = base[1]  # nothing changed: the very same answer
            else:
                fresh, serving = serving, Served(base[1])  # (the base's order of entries)
                serving.update(fresh)
        serving.off = frozenset(off)
        self._rule_base = (key, serving)
        return serving, memo

    def state_key(self) -> StateKey:
        """Everything the service rule depends on: down elements, components below k, and
        the placement version. Redundancy lost above k does not change who is served."""
        broken = frozenset(k for k in self.units_down if not self.component_ok(*k))
        if broken != self._broken:
            self.broken_since = {k: self.broken_since.get(k, self.env.now) for k in broken}
            self._broken = broken
        return (frozenset(self.down), self._broken, self.placement_version,
                self.pools.units_key(self.units_out()))

    def refresh(self) -> None:
        """Recompute who is served; record outages, data losses, incidents; wake waiters."""
        self._dirty = False
        key = self.state_key()
        first = self._last_key is None
        changed: set[str] = set()
        if key != self._last_key:
            self._last_key = key
            serving, memo = self._serving_for(key)
            changed = self._apply_serving(serving, memo, None if first else self._touched_sites)
            self._explain(serving, memo)
        # a group's basic/full status moves only if its service, its assignment or its home
        # site (redundancy, power) changed
        self._track_groups(self.sc.customers if first else sorted(
            changed.union(self._reassigned, *(self.layout.homed.get(s, ())
                                              for s in self._touched_sites))))
        self._touched_sites.clear()
        self._reassigned.clear()
        self._replaced.clear()
        self._track_incident()
        for hook in self.after_refresh:
            hook()
        if self.change.callbacks:  # someone waits: wake them; the next change gets a new
            old, self.change = self.change, self.env.event()  # event (with no waiter the
            old.succeed()  # same one serves on: nothing to wake, nothing to schedule)

    def _serving_for(self, key: StateKey) -> tuple[Serving, Health]:
        """The service rule's answer for the state `key` names, from the shared answers
        (states recur: all well, one element down)."""
        if self._placement is None or self._placement[0] != key[2]:
            self._placement = (key[2], self.placement_key())
        rule_key = self._rule_key = (key[0], key[1], self._placement[1], key[3])
        got = self._answers.get(rule_key, lambda: self.compute_serving(rule_key))
        if isinstance(got[0], Served):  # (every answer is: the state the next one starts from)
            self._rule_base = (rule_key, got[0])
        return got

    def placement_key(self) -> PlacementKey:
        """The placement by content: where services are active, which groups are pointed
        away from home, which copies of data are corrupted."""
        return (frozenset(self._active_pairs),
                tuple(sorted((g, self.assigned[g]) for g in self._away)),
                frozenset(self.corrupted))

    def _apply_serving(self, serving: dict[tuple[str, str], str | None],
                       memo: dict[tuple[str, str], bool], sites: set[str] | None) -> set[str]:
        """Record what changed against the previous answer; return the groups it changed."""
        now = self.env.now
        self._track_health(memo, sites)
        changed: set[str] = set()
        for (g, svc), site in (() if serving is self.serving
                               else self._answers.changes(self.serving, serving)):
            changed.add(g)
            was = self.serving.get((g, svc), self.last_site[g, svc])
            if site is not None:
                self._check_data_loss(g, svc, site)
                self.last_site[g, svc] = site
            if self.rec.status(now, g, svc, site is not None):
                self.rec.event(now, "service_restored" if site else "service_lost", g,
                               f"{svc} at {site}" if site else f"{svc} (was at {was})"
                               + self._no_room(g, svc, serving))
        self.serving = serving
        self._unserved, self._lacking = self._answers.unserved(serving)
        return changed

    def _explain(self, serving: Serving, memo: Health) -> None:
        """Record why each group without a service lacks it (the chain changes with the
        state, so every state change re-asks for every group still without service)."""
        now = self.env.now
        out = set(self._unserved)
        for g, svc in self._out - out:
            self.rec.unblocked(now, g, svc)
        for g, svc in self._unserved:
            self.rec.blocked(now, g, svc, causes.unserved(self, g, svc, serving, memo))
        self._out = out

    def _no_room(self, group: str, svc: str, serving: dict[tuple[str, str], str | None]) -> str:
        """'; no room at ...' when per-unit capacity left the group out at its assigned site."""
        site = self.assigned[group]
        if not self.pools.serves or not self._healthy(svc, site, {}):
            return ""
        why = self.pools.shortfall(group, svc, site, serving,
                                   self.groups_by_priority, self.units_out())
        return f"; {why}" if why else ""

    def _track_health(self, memo: dict[tuple[str, str], bool],
                      sites: set[str] | None = None) -> None:
        """Record services going up or down at their sites (all of them at the first
        refresh, `sites` None). Health is a function of the state, and healthy_at always
        holds the last state's, so what moves between two states' answers is found once
        (_health_moves) and then looked up whenever a trial makes the same move."""
        now = self.env.now
        old, self._memo = self._memo, memo
        if sites is None or old is None:
            moves: Moves = tuple(
                (svc, site, ok) for _, svc, site in self.layout.all_places
                for ok in [self._healthy(svc, site, memo)]
                if ok != self.healthy_at.get((svc, site), site in self.sc.services[svc].active))
            self.healthy_at.update(((svc, site), self._healthy(svc, site, memo))
                                   for _, svc, site in self.layout.all_places)
        else:
            moves = self._answers.moves(old, memo, lambda: self._health_moves(memo, sites))
        for svc, site, ok in moves:
            self.rec.event(now, "service_up" if ok else "service_down", f"{svc}@{site}",
                           "" if ok or svc not in self.remote
                           else self.why_unhealthy(svc, site, memo))
            if not ok:
                self.unhealthy_since[svc, site] = now
            self.healthy_at[svc, site] = ok
            if site in self.sc.services[svc].active:
                (self.down_at_home.discard if ok else self.down_at_home.add)((svc, site))

    def _health_moves(self, memo: Health, sites: set[str]) -> Moves:
        """The places whose health now differs from healthy_at, in recording order. Only
        these can: places at `sites` (their state changed), the (service, site) placed or
        whose data changed and those needing it there (self._replaced), and the places of
        remote services (their health hangs on other sites and links)."""
        lay = self.layout
        places = sorted({*lay.remote_places,
                         *(p for s in sites for p in lay.places_at.get(s, ())),
                         *(lay.place_of[f, site] for svc, site in self._replaced
                           for f in lay.follows[svc] if (f, site) in lay.place_of)})
        return tuple((svc, site, ok) for _, svc, site in places
                     for ok in [self._healthy(svc, site, memo)]
                     if ok != self.healthy_at[svc, site])

    def _check_data_loss(self, group: str, svc: str, site: str) -> None:
        prev = self.last_site[group, svc]
        if prev == site or self.healthy_at.get((svc, prev), False) or self._stood_down(svc,
                                                                                        prev):
            return  # same site, or a planned move from a healthy site (resynced first)
        failed_at = self.unhealthy_since.get((svc, prev), self.env.now)
        if (svc, prev, failed_at) in self.losses_seen:
            return
        lost, how = failover_loss(self, svc, failed_at)
        self.book_loss(svc, prev, site, failed_at, lost,
                       f"failover {prev}→{site} lost {lost:.0f}s of writes{how}")

    def _stood_down(self, svc: str, site: str) -> bool:
        """The service stopped at `site` this very instant only because it was deactivated
        there (a failback that moves customers and stands the standby down in one step):
        a planned move from a site healthy up to the move loses nothing."""
        return (self.unhealthy_since.get((svc, site)) == self.env.now
                and site not in self.active[svc] and self._fit(svc, site))

    def _fit(self, svc: str, site: str) -> bool:
        """Could `svc` run at `site` if placed there (site, data, components, dependencies)?"""
        s = self.sc.services[svc]
        return (self.site_up(site) and (svc, site) not in self.corrupted
                and all((site, c) not in self._broken for c in s.requires)
                and all(self._fit(d, site) if isinstance(d, str)
                        else self._dependency_ok(d, site, {}) for d in s.depends_on))

    def _track_groups(self, groups: Iterable[str]) -> None:
        """Record each group's basic and full status, and why it is not full; the keys it
        reads come from the Layout (GroupReads, the same in every trial)."""
        now, serving, reads = self.env.now, self.serving, self.layout.reads
        for g in groups:
            home, keys, essential, comps = reads[g]
            sites = tuple([serving[k] for k in keys])
            units = tuple([(self.units_down.get(c, 0), self.degraded_since.get(c))
                           for c in comps])
            # everything its statuses and its reasons (causes.not_full) read: when none of
            # it moved, recording them again would change nothing
            seen = (self.assigned[g], sites, self.down_since.get(home), units)
            if self._group_seen.get(g) == seen:
                continue
            self._group_seen[g] = seen
            self.rec.status(now, g, "basic", all([serving[k] for k in essential]))
            # full: pointed home, served at home, home up with every unit it uses up
            full = (self.assigned[g] == home and home not in self.down
                    and not any([n for n, _ in units]) and all([s == home for s in sites]))
            self.rec.status(now, g, "full", full)
            if full:
                self.rec.unblocked(now, g, "full")
            else:
                self.rec.blocked(now, g, "full", causes.not_full(self, g))

    def impacted(self) -> bool:
        return bool(self._unserved)

    def all_clear(self) -> bool:
        return (not self.impacted() and self.runbooks_running == 0 and self.all_elements_up()
                and not any(site in self.sc.services[svc].active  # a data fault at a
                            for svc, site in self.corrupted)  # home ends with a restore
                and not self._away
                and not self.needs_hot_standby())

    def lacking(self) -> frozenset[str]:
        """Services some group lacks now (as of the last refresh)."""
        return self._lacking

    def needs_hot_standby(self, service: str | None = None) -> bool:
        """Would some group lose service if the hot standbys that took over (of `service`
        only, when given) stood by again? (Home short of capacity, or a dependency placed
        at the standby site.) Then not everyone is home: the incident stays open and the
        standbys keep serving."""
        if not self.hot:
            return False
        taken = tuple(sorted((svc, site) for svc, site in self.hot
                             if site in self.active[svc] and service in (None, svc)))
        if self._dirty or self._rule_key is None:  # the state moved since the last
            return self._standby_needed(taken)  # refresh: its cached answers do not apply
        return self._answers.standby_needed(self._rule_key, taken,
                                            lambda: self._standby_needed(taken))

    def _standby_needed(self, taken: Taken) -> bool:
        """needs_hot_standby worked out: the rule's answer with `taken` standing by again,
        against self.serving."""
        try:
            for svc, site in taken:
                self.active[svc].discard(site)
                self._active_pairs.discard((svc, site))
            key = (self.down_set(), self._broken, self.placement_key(),
                   self.pools.units_key(self.units_out()))
            serving, _ = self._answers.get(key, self.compute_serving)
        finally:
            for svc, site in taken:
                self.active[svc].add(site)
                self._active_pairs.add((svc, site))
        return any(site is None and self.serving.get(k) is not None
                   for k, site in serving.items())

    def _track_incident(self) -> None:
        now = self.env.now
        if self.incident is None and self.impacted():
            self.incident = Incident(len(self.incidents) + 1, now)
            self.incidents.append(self.incident)
            self.rec.event(now, "incident_start", f"incident {self.incident.number}")
            if self.on_incident:
                self.on_incident(self.incident)
        if self.incident is not None:
            self.incident.groups.update(g for g, _ in self._unserved)
            if self.all_clear():
                self.incident.end_s = now
                self.rec.event(now, "incident_end", f"incident {self.incident.number}",
                               "all groups home with full redundancy")
                self.incident = None


class _Late(simpy.Event):
    """A timeout scheduled behind every normal event of its instant (simpy orders events of
    one time by priority, then by scheduling order; timeouts and refreshes are NORMAL = 1)."""

    PRIORITY = EventPriority(2)

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, self.PRIORITY, delay)


def remote_services(sc: Scenario) -> frozenset[str]:
    """Services whose health can change with another site or a link: those with a cross-site
    dependency, and those depending (at the same site) on such a service."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for svc, spec in sorted(sc.services.items()):
            if svc not in out and any(not isinstance(d, str) or d in out
                                      for d in spec.depends_on):
                out.add(svc)
                changed = True
    return frozenset(out)
