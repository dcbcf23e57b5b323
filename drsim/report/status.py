"""The public status page a provider would have shown during the drill, from a RunResult.

Pure data (no HTML): each service's state at a moment, per-day uptime, and the incident
updates a status-page editor would have posted. States follow the share of a service's
customers (customer-weighted) who were without it:

    0           Operational
    (0, 10%)    Degraded performance
    [10%, 50%)  Partial outage
    ≥ 50%       Major outage

Updates: Investigating at detection, Identified at declaration, Failover in progress when the
failover runbook starts (the first runbook in the incident triggered by detection or
declaration), Monitoring when every group has basic service again, Resolved at the incident end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from drsim.metrics import IncidentRecord
from drsim.recorder import Interval
from drsim.result import RunResult
from drsim.scenario.schema import AfterRunbook, Scenario

OPERATIONAL = "Operational"
DEGRADED = "Degraded performance"
PARTIAL = "Partial outage"
MAJOR = "Major outage"
STATES = (OPERATIONAL, DEGRADED, PARTIAL, MAJOR)
DEGRADED_BELOW = 0.10  # shares below this are "Degraded performance"
PARTIAL_BELOW = 0.50  # ... below this "Partial outage"; from here on "Major outage"


def state_of(share_without: float) -> str:
    """A service's status-page state from the share of its customers without it."""
    if share_without <= 0.0:
        return OPERATIONAL
    if share_without < DEGRADED_BELOW:
        return DEGRADED
    if share_without < PARTIAL_BELOW:
        return PARTIAL
    return MAJOR


@dataclass(frozen=True)
class ServiceState:
    service: str
    name: str
    share_without: float  # 0..1, customer-weighted
    state: str


@dataclass(frozen=True)
class UptimeDay:
    day: datetime  # local midnight (or the drill's start on the first day)
    start_s: float
    end_s: float
    availability: float  # 0..1, customer-weighted over the part of the day simulated
    outage_s: float  # customer-weighted outage time in the day

    @property
    def partial(self) -> bool:
        return self.end_s - self.start_s < 86_000.0


@dataclass(frozen=True)
class Update:
    status: str  # Investigating | Identified | Failover in progress | Monitoring | Resolved
    time_s: float
    message: str


@dataclass(frozen=True)
class StatusIncident:
    number: int
    title: str
    services: tuple[str, ...]
    start_s: float
    worst_s: float
    updates: tuple[Update, ...]  # oldest first
    resolved: bool


@dataclass(frozen=True)
class StatusPage:
    services: tuple[str, ...]
    names: dict[str, str]
    at_end: tuple[ServiceState, ...]
    worst_s: float | None  # the worst moment of the worst incident (None: no incident)
    at_worst: tuple[ServiceState, ...]
    uptime: dict[str, tuple[UptimeDay, ...]]
    incidents: tuple[StatusIncident, ...]

    @property
    def overall_at_end(self) -> str:
        return _overall(self.at_end)

    @property
    def overall_at_worst(self) -> str:
        return _overall(self.at_worst)


def _overall(states: tuple[ServiceState, ...]) -> str:
    return max((s.state for s in states), key=STATES.index, default=OPERATIONAL)


def _users(sc: Scenario, service: str) -> dict[str, int]:
    return {g: grp.count for g, grp in sorted(sc.customers.items()) if service in grp.services}


def _covers(i: Interval, t_s: float) -> bool:
    return i.start_s <= t_s and (i.end_s is None or i.end_s > t_s)


def share_without(result: RunResult, sc: Scenario, service: str, t_s: float) -> float:
    """Share of the service's customers without it at instant t_s (spells are [start, end))."""
    users = _users(sc, service)
    total = sum(users.values())
    if not total:
        return 0.0
    lacking = {i.subject for i in result.intervals
               if i.what == service and i.subject in users and _covers(i, t_s)}
    return sum(users[g] for g in lacking) / total


def states_at(result: RunResult, sc: Scenario, t_s: float) -> tuple[ServiceState, ...]:
    out = []
    for s in sorted(sc.services):
        share = share_without(result, sc, s, t_s)
        out.append(ServiceState(s, sc.services[s].name or s, share, state_of(share)))
    return tuple(out)


def _pain(result: RunResult, sc: Scenario, t_s: float) -> tuple[int, int]:
    """(customers without basic service, customer-services lost) at t_s."""
    basic = sum(sc.customers[i.subject].count for i in result.intervals
                if i.what == "basic" and i.subject in sc.customers and _covers(i, t_s))
    lost = sum(sc.customers[i.subject].count for i in result.outages
               if i.subject in sc.customers and _covers(i, t_s))
    return basic, lost


def worst_moment(result: RunResult, sc: Scenario, inc: IncidentRecord) -> float:
    """The earliest instant of the incident with the most customers without basic service
    (ties: the most customer-services lost)."""
    end = inc.end_s if inc.end_s is not None else result.horizon_s
    candidates = sorted({inc.start_s} | {i.start_s for i in result.intervals
                                         if inc.start_s <= i.start_s < end})
    return max(candidates, key=lambda t: (*_pain(result, sc, t), -t))


def _day_starts(result: RunResult) -> list[float]:
    """Sim seconds of each local midnight in the horizon, after the start, plus 0."""
    starts = [0.0]
    day = result.wall(0.0).replace(hour=0, minute=0, second=0, microsecond=0)
    while True:
        day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # DST-safe next midnight
        t = (day - result.origin).total_seconds()
        if t >= result.horizon_s:
            return starts
        starts.append(t)


def uptime_by_day(result: RunResult, sc: Scenario, service: str) -> tuple[UptimeDay, ...]:
    """Customer-weighted availability of a service in each local calendar day of the drill."""
    users = _users(sc, service)
    total = sum(users.values())
    spells = [i for i in result.intervals if i.what == service and i.subject in users]
    starts = _day_starts(result)
    out = []
    for a, b in zip(starts, [*starts[1:], result.horizon_s], strict=True):
        weighted = sum(users[i.subject] * max(0.0, min(b, i.end_s if i.end_s is not None
                                                       else result.horizon_s) - max(a, i.start_s))
                       for i in spells)
        outage = weighted / total if total else 0.0
        out.append(UptimeDay(result.wall(a), a, b, 1.0 - outage / (b - a), outage))
    return tuple(out)


def _failover_start(result: RunResult, sc: Scenario, start_s: float, end_s: float
                    ) -> tuple[float, str] | None:
    for e in result.timeline:
        if e.kind == "runbook_start" and start_s <= e.time_s <= end_s:
            rb = sc.runbooks.get(e.subject)
            if rb is not None and isinstance(rb.trigger, AfterRunbook):
                continue
            return e.time_s, e.subject
    return None


def _basic_back(result: RunResult, inc: IncidentRecord, end_s: float) -> float | None:
    """When every group had basic service again (None: some group never did)."""
    spells = [i for i in result.intervals if i.what == "basic"
              and i.start_s <= end_s and (i.end_s is None or i.end_s > inc.start_s)]
    if not spells:
        return inc.start_s
    if any(i.end_s is None for i in spells):
        return None
    return max(i.end_s for i in spells if i.end_s is not None)


def _names(sc: Scenario, ids: list[str]) -> str:
    names = [sc.services[s].name or s for s in ids]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def incident_updates(result: RunResult, sc: Scenario, inc: IncidentRecord) -> StatusIncident:
    end = inc.end_s if inc.end_s is not None else result.horizon_s
    hit = sorted({i.what for i in result.outages if i.what in sc.services
                  and i.start_s <= end and (i.end_s is None or i.end_s > inc.start_s)})
    which = _names(sc, hit) if hit else "our services"
    causes = [e.detail for e in result.timeline
              if e.kind == "disruption" and e.time_s <= inc.start_s and e.detail]
    updates: list[Update] = []
    if inc.detected_s is not None:
        updates.append(Update("Investigating", inc.detected_s,
                              f"We are investigating problems with {which}. Some customers "
                              "cannot use these services."))
    if inc.declared_s is not None:
        cause = f" The cause: {causes[-1].rstrip('.')}." if causes else ""
        updates.append(Update("Identified", inc.declared_s,
                              f"The issue has been identified and a disaster declared.{cause}"))
    failover = _failover_start(result, sc, inc.start_s, end)
    if failover is not None:
        rb = sc.runbooks.get(failover[1])
        what = f": {rb.description.rstrip('.')}" if rb is not None and rb.description else ""
        updates.append(Update("Failover in progress", failover[0],
                              f"We are failing over to our standby site{what}."))
    back = _basic_back(result, inc, end)
    if back is not None and (inc.end_s is None or back < inc.end_s):
        updates.append(Update("Monitoring", back,
                              "Every customer has basic service again. We are monitoring while we "
                              "restore full redundancy."))
    if inc.end_s is not None:
        updates.append(Update("Resolved", inc.end_s,
                              "This incident has been resolved; every service is back home with "
                              "full redundancy."))
    order = {u: k for k, u in enumerate(("Investigating", "Identified", "Failover in progress",
                                         "Monitoring", "Resolved"))}
    updates.sort(key=lambda u: (u.time_s, order[u.status]))
    title = f"{'Outage' if hit else 'Service disruption'} affecting {which}"
    return StatusIncident(inc.number, title, tuple(hit), inc.start_s,
                          worst_moment(result, sc, inc), tuple(updates), inc.end_s is not None)


def status_page(result: RunResult, sc: Scenario) -> StatusPage:
    incidents = tuple(incident_updates(result, sc, inc) for inc in result.incidents)
    worst_s = None
    if incidents:
        worst_s = max((i.worst_s for i in incidents),
                      key=lambda t: (*_pain(result, sc, t), -t))
    end_s = result.horizon_s
    return StatusPage(
        services=tuple(sorted(sc.services)),
        names={s: sc.services[s].name or s for s in sorted(sc.services)},
        at_end=states_at(result, sc, end_s),
        worst_s=worst_s,
        at_worst=states_at(result, sc, worst_s) if worst_s is not None else (),
        uptime={s: uptime_by_day(result, sc, s) for s in sorted(sc.services)},
        incidents=incidents)
