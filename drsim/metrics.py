"""Recorded intervals → the numbers drsim reports. Pure functions, no simulation.

Definitions (also in docs/metrics.md):
- time to detect (ttd): incident start → alert. An incident starts with the first customer
  outage and ends when every group is home, every element repaired and no runbook runs.
- rto_basic of a group: incident start → end of its last loss of basic service (all its
  essential services) overlapping the incident; rto_full: → end of its last spell of not being
  fully recovered (home, all services at home, home site at full redundancy).
- customer-minutes lost: Σ over groups of customers × minutes without basic service.
- data lost (achieved RPO) per service: the largest loss of any failover.
- availability: 1 − downtime ÷ horizon (customer-weighted for a service or for all groups).

Cost: each (group, what) keeps its spells sorted, so finding a group's last spell in an
incident is a binary search, asked only of the incidents the group's spells come near (found
by two binary searches per spell in the incidents sorted by start, IncidentIndex):
O((hits × services + intervals) log intervals), not incidents × intervals
(benchmarks/metrics.py).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, pairwise

from drsim.recorder import DataLoss, Interval
from drsim.scenario.schema import Objective, Scenario


@dataclass(frozen=True)
class IncidentRecord:
    number: int
    start_s: float
    detected_s: float | None
    acknowledged_s: float | None
    declared_s: float | None
    end_s: float | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class GroupMetrics:
    group: str
    customers: int
    rto_basic_s: float | None  # None: not impacted, or (see restored) never restored
    rto_full_s: float | None
    restored: bool  # basic service back before the horizon (True when never lost)
    recovered: bool  # fully recovered before the horizon
    downtime_s: float  # without basic service, over the whole horizon
    service_downtime_s: dict[str, float]
    availability: float


@dataclass(frozen=True)
class ObjectiveResult:
    id: str
    kind: str  # rto | rpo | availability
    subject: str
    target: float
    achieved: float | None  # None: not achieved within the horizon (an RTO never met)
    met: bool


@dataclass(frozen=True)
class Metrics:
    incidents: int
    ttd_s: float | None
    tta_s: float | None
    declared_after_s: float | None
    rto_basic_s: float | None
    rto_full_s: float | None
    all_restored: bool
    all_recovered: bool
    customer_minutes_lost: float
    downtime_s: float  # the largest per-group loss of basic service
    data_lost_s: dict[str, float]
    groups: dict[str, GroupMetrics]
    objectives: tuple[ObjectiveResult, ...]

    @property
    def objectives_met(self) -> bool:
        return all(o.met for o in self.objectives)


class Spells(dict[tuple[str, str], list[Interval]]):
    """Intervals by (group, what), each list in time order, with sorted starts and ends so a
    question about one incident's window is two binary searches (spells of one key never
    overlap: a group lacks a thing or it does not)."""

    def window(self, key: tuple[str, str], start_s: float, end_s: float) -> Interval | None:
        """The last spell of `key` overlapping [start_s, end_s] (one that ends exactly at
        start_s, having begun before, does not), or None."""
        spells = self.get(key)
        if not spells:
            return None
        if key in self._tangled:
            hits = [i for i in spells if i.start_s <= end_s and not (
                (_INF if i.end_s is None else i.end_s) < start_s
                or i.end_s == start_s and i.start_s < start_s)]
            return max(hits, key=lambda i: i.start_s) if hits else None
        starts, ends = self._bounds[key]
        lo = bisect_left(ends, start_s)  # the first spell ending at or after start_s
        while lo < len(spells) and ends[lo] == start_s and spells[lo].start_s < start_s:
            lo += 1
        hi = bisect_right(starts, end_s) - 1  # the last spell starting by end_s
        return spells[hi] if lo <= hi else None

    def __init__(self, by_key: dict[tuple[str, str], list[Interval]]) -> None:
        super().__init__(by_key)
        self._bounds: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
        self._tangled: set[tuple[str, str]] = set()  # overlapping spells (hand-made logs)
        for key, spells in self.items():
            spells.sort(key=lambda i: i.start_s)
            ends = [_INF if i.end_s is None else i.end_s for i in spells]
            self._bounds[key] = ([i.start_s for i in spells], ends)
            if any(a > b for a, b in pairwise(ends)) or any(
                    a.end_s is None or a.end_s > b.start_s for a, b in pairwise(spells)):
                self._tangled.add(key)


_INF = float("inf")


def index_intervals(intervals: list[Interval] | tuple[Interval, ...]) -> Spells:
    """Intervals by (group, what), so each question reads only its own spells."""
    out: dict[tuple[str, str], list[Interval]] = {}
    for i in intervals:
        out.setdefault((i.subject, i.what), []).append(i)
    return Spells(out)


def _total(spells: Spells, group: str, what: str, horizon_s: float) -> float:
    return sum(i.length_s(horizon_s) for i in spells.get((group, what), ()))


def recovery_in(intervals: Spells, group: str, what: str, inc: IncidentRecord,
                horizon_s: float) -> tuple[bool, float | None]:
    """(hit, time to recover) of `group` lacking `what` ('basic', 'full' or a service) in
    incident `inc`; the time is None when it never recovered within the horizon."""
    end = inc.end_s if inc.end_s is not None else horizon_s
    last = intervals.window((group, what), inc.start_s, end)
    if last is None:
        return False, None
    return True, None if last.end_s is None else last.end_s - inc.start_s


class Reach:
    """Whether any spell of some keys comes near an incident, in one binary search: a cheap
    test that passes every incident a spell of them overlaps (and maybe a few more), so the
    exact questions (Spells.window) are asked only of the incidents a group was hit in, not
    of every incident for every group (an objective's service RTO; group_metrics finds its
    incidents from the spells' side, IncidentIndex)."""

    def __init__(self, spells: Spells, keys: Iterable[tuple[str, str]]) -> None:
        pairs = sorted((i.start_s, _INF if i.end_s is None else i.end_s)
                       for k in keys for i in spells.get(k, ()))
        self.starts = [a for a, _ in pairs]
        self.reach = list(accumulate((b for _, b in pairs), max))  # latest end so far

    def near(self, inc: IncidentRecord, horizon_s: float) -> bool:
        """Some spell starts by the incident's end and ends at or after its start."""
        n = bisect_right(self.starts, inc.end_s if inc.end_s is not None else horizon_s)
        return n > 0 and self.reach[n - 1] >= inc.start_s


class IncidentIndex:
    """Incidents by start, with the latest end so far, so the incidents a spell comes near
    are two binary searches away: a group's questions are asked of the incidents its own
    spells come near (and maybe a few more), never of every incident (cost in spells, not
    groups × incidents)."""

    def __init__(self, incidents: list[IncidentRecord], horizon_s: float) -> None:
        self.order = sorted(incidents, key=lambda i: i.start_s)
        self.starts = [i.start_s for i in self.order]
        self.reach = list(accumulate((horizon_s if i.end_s is None else i.end_s
                                      for i in self.order), max))  # latest end so far

    def near(self, spells: Iterable[Interval]) -> list[IncidentRecord]:
        """Every incident one of `spells` overlaps or touches (Reach.near's test), maybe a
        few more (where incidents overlap), by start. For a spell: the incidents starting
        by its end, from the first by which some incident has ended at or after its start."""
        hit: set[int] = set()
        for i in spells:
            lo = bisect_left(self.reach, i.start_s)
            hi = bisect_right(self.starts, _INF if i.end_s is None else i.end_s)
            hit.update(range(lo, hi))
        return [self.order[k] for k in sorted(hit)]


def group_metrics(sc: Scenario, intervals: Spells, incidents: list[IncidentRecord],
                  horizon_s: float) -> dict[str, GroupMetrics]:
    out = {}
    index = IncidentIndex(incidents, horizon_s)
    for g in sorted(sc.customers):
        grp = sc.customers[g]
        rto_b: list[float | None] = []
        rto_f: list[float | None] = []
        # only the incidents this group's spells come near can give it a recovery time (an
        # incident no spell overlaps adds nothing below; the order adds nothing: maxima)
        for inc in index.near(i for w in ("basic", "full", *grp.services)
                              for i in intervals.get((g, w), ())):
            hit, value = recovery_in(intervals, g, "basic", inc, horizon_s)
            if hit:
                rto_b.append(value)
            lost_any = any(recovery_in(intervals, g, s, inc, horizon_s)[0] for s in grp.services)
            hit, value = recovery_in(intervals, g, "full", inc, horizon_s)
            if lost_any and hit:
                rto_f.append(value)
        down = _total(intervals, g, "basic", horizon_s)
        out[g] = GroupMetrics(
            group=g, customers=grp.count,
            rto_basic_s=_worst(rto_b), rto_full_s=_worst(rto_f),
            restored=None not in rto_b, recovered=None not in rto_f, downtime_s=down,
            service_downtime_s={s: _total(intervals, g, s, horizon_s) for s in grp.services},
            availability=1.0 - down / horizon_s)
    return out


def _worst(values: list[float | None]) -> float | None:
    """The largest recovery time; None when any was never reached (or there were none)."""
    if not values or None in values:
        return None
    return max(v for v in values if v is not None)


def compute(sc: Scenario, intervals: list[Interval], incidents: list[IncidentRecord],
            losses: list[DataLoss], horizon_s: float) -> Metrics:
    spells = index_intervals(intervals)
    groups = group_metrics(sc, spells, incidents, horizon_s)
    impacted = [m for m in groups.values() if m.rto_basic_s is not None or not m.restored]
    hit_full = [m for m in groups.values() if m.rto_full_s is not None or not m.recovered]
    first = incidents[0] if incidents else None
    data_lost = dict.fromkeys(sorted(sc.services), 0.0)
    for x in losses:
        data_lost[x.service] = max(data_lost.get(x.service, 0.0), x.lost_s)
    return Metrics(
        incidents=len(incidents),
        ttd_s=_since(first, "detected_s"), tta_s=_since(first, "acknowledged_s"),
        declared_after_s=_since(first, "declared_s"),
        rto_basic_s=_worst([m.rto_basic_s for m in impacted]) if impacted else None,
        rto_full_s=_worst([m.rto_full_s for m in hit_full]) if hit_full else None,
        all_restored=all(m.restored for m in groups.values()),
        all_recovered=all(m.recovered for m in groups.values()),
        customer_minutes_lost=sum(m.customers * m.downtime_s / 60.0 for m in groups.values()),
        downtime_s=max((m.downtime_s for m in groups.values()), default=0.0),
        data_lost_s=data_lost, groups=groups,
        objectives=tuple(r for o in sc.objectives
                         for r in evaluate(o, sc, groups, spells, incidents, data_lost,
                                           horizon_s)))


def _since(incident: IncidentRecord | None, attr: str) -> float | None:
    if incident is None or getattr(incident, attr) is None:
        return None
    return float(getattr(incident, attr)) - incident.start_s


def evaluate(o: Objective, sc: Scenario, groups: dict[str, GroupMetrics],
             intervals: Spells, incidents: list[IncidentRecord],
             data_lost: dict[str, float], horizon_s: float) -> list[ObjectiveResult]:
    """Check one objective: one result per target it sets (rto, rpo, availability)."""
    results = []
    members = ([o.group] if o.group else sorted(g for g, grp in sc.customers.items()
                                                 if o.service is None or o.service in grp.services))
    subject = o.service or o.group or "all"
    if o.rto is not None:
        worst = _service_rto(o.service, members, intervals, incidents, horizon_s) \
            if o.service else _worst([groups[g].rto_basic_s for g in members
                                      if groups[g].rto_basic_s is not None
                                      or not groups[g].restored])
        never = worst is None and _any_unrestored(o.service, members, groups, intervals)
        achieved = None if never else (worst or 0.0)
        results.append(("rto", o.rto, achieved,
                        achieved is not None and at_most(achieved, o.rto)))
    if o.rpo is not None:
        services = [o.service] if o.service else sorted(
            {s for g in members for s in sc.customers[g].services})
        lost = max((data_lost[s] for s in services), default=0.0)
        results.append(("rpo", o.rpo, lost, at_most(lost, o.rpo)))
    if o.availability is not None:
        weight = sum(groups[g].customers for g in members)
        down = sum(groups[g].customers * (groups[g].service_downtime_s[o.service] if o.service
                                          else groups[g].downtime_s) for g in members)
        avail = 1.0 - down / (weight * horizon_s)
        results.append(("availability", o.availability, avail, at_most(o.availability, avail)))
    return [ObjectiveResult(o.id, kind, subject, target, achieved, met)
            for kind, target, achieved, met in results]


# A target is met at equality (≤ for times and data lost, ≥ for availability). Achieved values
# are sums and ratios of floats, so one equal to its target by hand may land an ulp past it
# (1 − 6048/86400 = 0.9299999999999999, not 0.93): equality is judged to 1e-12, relative, or
# absolute near 0 (a picosecond; 1e-12 of availability) — far below any real difference.
_SLACK = 1e-12


def at_most(value: float, limit: float) -> bool:
    """value ≤ limit, counting values within rounding error of the limit as equal."""
    return value <= limit or math.isclose(value, limit, rel_tol=_SLACK, abs_tol=_SLACK)


def _service_rto(svc: str, members: list[str], intervals: Spells,
                 incidents: list[IncidentRecord], horizon_s: float) -> float | None:
    reach = {g: Reach(intervals, [(g, svc)]) for g in members}
    values = [value for inc in incidents for g in members if reach[g].near(inc, horizon_s)
              for hit, value in [recovery_in(intervals, g, svc, inc, horizon_s)] if hit]
    return _worst(values)


def _any_unrestored(svc: str | None, members: list[str], groups: dict[str, GroupMetrics],
                    intervals: Spells) -> bool:
    if svc is None:
        return any(not groups[g].restored for g in members)
    return any(i.end_s is None for g in members for i in intervals.get((g, svc), ()))
