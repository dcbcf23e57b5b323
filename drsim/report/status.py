"""The public status page a provider would have shown during the drill, from a RunResult.

Pure data (no HTML): each service's state at a moment, per-day uptime, and the incident
updates a status-page editor would have posted. States follow the share of a service's
customers (customer-weighted) who were without it:

    0           Operational
    (0, 10%)    Degraded performance
    [10%, 50%)  Partial outage
    ≥ 50%       Major outage

Updates (see incident_updates): Investigating at detection, Identified at declaration, an
Update as each batch of customers gets basic service back, Maintenance when the failback work
starts, Monitoring when every group has basic service again, Resolved at the incident end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    status: str  # one of ORDER: Investigating | Identified | Update | Maintenance | ...
    time_s: float  # when it appeared (for a page that was down: late, see due_s)
    message: str
    due_s: float | None = None  # when it was due, if it appeared late; None: on time


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


def _covers(i: Interval, t_s: float, closed: bool = False) -> bool:
    return i.start_s <= t_s and (i.end_s is None or i.end_s > t_s or (closed and i.end_s == t_s))


def share_without(result: RunResult, sc: Scenario, service: str, t_s: float,
                  closed: bool = False) -> float:
    """Share of the service's customers without it at instant t_s (spells are [start, end);
    closed: also spells ending at t_s, i.e. just before whatever happened at t_s)."""
    users = _users(sc, service)
    total = sum(users.values())
    if not total:
        return 0.0
    lacking = {i.subject for i in result.intervals
               if i.what == service and i.subject in users and _covers(i, t_s, closed)}
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


def _basic_spells(result: RunResult, inc: IncidentRecord, end_s: float) -> list[Interval]:
    """Spells without basic service that began in this incident."""
    return [i for i in result.intervals if i.what == "basic" and i.subject in inc.groups
            and inc.start_s <= i.start_s <= end_s]


def _names(sc: Scenario, ids: list[str]) -> str:
    return _join([sc.services[s].name or s for s in ids])


def _join(words: list[str]) -> str:
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _scope(share: float) -> str:
    """'all' only when it is everyone (customer-weighted), else 'some'."""
    return "all" if share >= 1.0 - 1e-9 else "some"


def unavailable(result: RunResult, sc: Scenario, services: list[str], t_s: float,
                still: bool = False, closed: bool = False) -> str:
    """'Voice calling and Voicemail are unavailable to some customers; Cloud fax is
    unavailable to all customers.' — each service by the share of its customers without it."""
    by_scope: dict[str, list[str]] = {}
    for s in services:
        share = share_without(result, sc, s, t_s, closed)
        if share > 0.0:
            by_scope.setdefault(_scope(share), []).append(s)
    parts = [f"{_names(sc, ids)} {'are' if len(ids) > 1 else 'is'}{' still' if still else ''} "
             f"unavailable to {scope} customers"
             for scope, ids in sorted(by_scope.items())]
    return "; ".join(parts)


def _place(sc: Scenario, where: str) -> str:
    """A site or access point in customer words: its display name, never its id."""
    if where in sc.sites:
        return f"our {sc.sites[where].name}" if sc.sites[where].name else "one of our sites"
    ap = sc.access_points.get(where)
    return f"the {ap.name}" if ap is not None and ap.name else "a network interconnect"


def cause_in_words(result: RunResult, sc: Scenario, inc: IncidentRecord) -> str:
    """What failed, as a customer is told it: from the failures at the incident's start (a
    hardware failure in a site, a site's outage, a network connection), never internal ids."""
    fails = [e for e in result.timeline if e.kind in ("component_down", "site_down", "link_down")
             and e.time_s <= inc.start_s]
    if not fails:
        return "a failure in our systems"
    last = fails[-1].time_s
    words: list[str] = []
    for e in fails:
        if e.time_s != last:
            continue
        if e.kind == "component_down":
            w = f"a hardware failure in {_place(sc, e.subject.split('.', 1)[0])}"
        elif e.kind == "site_down":
            w = f"an outage of {_place(sc, e.subject)}"
        else:
            link = sc.links[e.subject]
            w = f"a failure of the network connection between {_place(sc, link.a)} and " \
                f"{_place(sc, link.b)}"
        if w not in words:
            words.append(w)
    return _join(words)


def _assignments(result: RunResult, sc: Scenario, t_s: float) -> dict[str, str]:
    """Each group's assigned site at t_s (its home, changed by recorded moves)."""
    where = {g: grp.home for g, grp in sc.customers.items()}
    for e in result.timeline:
        if e.time_s > t_s:
            break
        if e.kind == "moved" and e.detail.startswith("to "):
            to = e.detail[3:]
            for g in e.subject.split(", "):
                if g in where:
                    where[g] = sc.customers[g].home if to == "home" else to
    return where


def _served_from(result: RunResult, sc: Scenario, groups: list[str], t_s: float) -> list[str]:
    """Sites other than their home that served these groups again at t_s."""
    sites = set()
    for e in result.timeline:
        if e.time_s == t_s and e.kind == "service_restored" and e.subject in groups:
            site = e.detail.rsplit(" at ", 1)[-1]
            if site in sc.sites and site != sc.customers[e.subject].home:
                sites.add(site)
    return sorted(sites)


def _away(result: RunResult, sc: Scenario, t_s: float) -> tuple[float, list[str]]:
    """(share of all customers served away from home at t_s, the sites serving them)."""
    where = _assignments(result, sc, t_s)
    away = [g for g in sorted(where) if where[g] != sc.customers[g].home]
    total = sum(grp.count for grp in sc.customers.values())
    return (sum(sc.customers[g].count for g in away) / total if total else 0.0,
            sorted({where[g] for g in away}))


def _homes(sc: Scenario, inc: IncidentRecord) -> str:
    return _join([_place(sc, h) for h in sorted({sc.customers[g].home for g in inc.groups})])


def _identified(result: RunResult, sc: Scenario, inc: IncidentRecord, end_s: float) -> Update:
    assert inc.declared_s is not None
    moves = [e.detail[3:] for e in result.timeline if e.kind == "moved"
             and inc.declared_s <= e.time_s <= end_s and e.detail[3:] in sc.sites]
    backups = sorted({m for m in moves if any(sc.customers[g].home != m for g in inc.groups)})
    plan = (f" We are moving the affected customers to {_join([_place(sc, b) for b in backups])}."
            if backups else " Our engineers are working to restore service.")
    return Update("Identified", inc.declared_s,
                  f"The cause has been identified: {cause_in_words(result, sc, inc)}.{plan}")


def _restorations(result: RunResult, sc: Scenario, inc: IncidentRecord, end_s: float,
                  hit: list[str]) -> list[Update]:
    """One update per instant some groups get basic service back; the last is Monitoring."""
    spells = _basic_spells(result, inc, end_s)
    times = sorted({i.end_s for i in spells if i.end_s is not None and i.end_s <= end_s})
    out = []
    for k, t in enumerate(times):
        batch = sorted({i.subject for i in spells if i.end_s == t})
        sites = _served_from(result, sc, batch, t)
        src = f" from {_join([_place(sc, s) for s in sites])}" if sites else ""
        if any(_covers(i, t) for i in spells):
            out.append(Update("Update", t, f"Service has been restored for some of the affected "
                                           f"customers{src}. We are still working to restore "
                                           "service for the others."))
            continue
        who = "all affected customers" if k == 0 else "the remaining affected customers"
        out.append(Update("Monitoring", t, f"Service has been restored for {who}{src}. "
                                           + _monitoring(result, sc, hit, t)))
    return out


def _monitoring(result: RunResult, sc: Scenario, hit: list[str], t_s: float) -> str:
    """Every customer has basic service again: where from, what is still missing."""
    share, sites = _away(result, sc, t_s)
    lines = ["Every customer has basic service again."]
    if sites:
        lines.append(f"{_scope(share).capitalize()} customers are served from "
                     f"{_join([_place(sc, s) for s in sites])} for now.")
    missing = unavailable(result, sc, hit, t_s, still=True)
    if missing:
        lines.append(f"{missing[0].upper()}{missing[1:]}.")
    lines.append("We are monitoring while we restore full service.")
    return " ".join(lines)


def _maintenance(result: RunResult, sc: Scenario, inc: IncidentRecord, end_s: float
                 ) -> Update | None:
    """The first step of a runbook that follows another (the failback) starting: the work to
    restore the primary site begins."""
    for e in result.timeline:
        if e.kind != "step_start" or not inc.start_s <= e.time_s <= end_s:
            continue
        rb = sc.runbooks.get(e.subject.split(".", 1)[0])
        if rb is None or not isinstance(rb.trigger, AfterRunbook):
            continue
        share, sites = _away(result, sc, e.time_s)
        back = (f" {_scope(share).capitalize()} customers served from "
                f"{_join([_place(sc, s) for s in sites])} will be moved back; brief "
                "interruptions are possible." if sites else "")
        return Update("Maintenance", e.time_s,
                      f"Maintenance to restore {_homes(sc, inc)} has started.{back}")
    return None


ORDER = ("Investigating", "Identified", "Update", "Maintenance", "Monitoring", "Resolved")


def incident_updates(result: RunResult, sc: Scenario, inc: IncidentRecord) -> StatusIncident:
    """The updates a status-page editor would post, at every change customers can see:
    Investigating at the alert, Identified (the cause in customer words) at declaration, an
    Update each time some customers get basic service back (and from where), Maintenance when
    the work to restore the primary site starts, Monitoring once every customer has basic
    service again, Resolved at the incident's end. 'Some' or 'all' customers follows the
    customer-weighted share; no runbook, step, role or component id is ever shown."""
    end = inc.end_s if inc.end_s is not None else result.horizon_s
    hit = sorted({i.what for i in result.outages if i.what in sc.services
                  and i.start_s <= end and (i.end_s is None or i.end_s > inc.start_s)})
    which = _names(sc, hit) if hit else "our services"
    updates: list[Update] = []
    if inc.detected_s is not None:
        # as the failing check saw it (a hot standby may take over in the same instant)
        scope = unavailable(result, sc, hit, inc.detected_s, closed=True)
        updates.append(Update("Investigating", inc.detected_s,
                              f"We are investigating an outage: {scope}." if scope else
                              f"We are investigating a problem with {which}."))
    if inc.declared_s is not None:
        updates.append(_identified(result, sc, inc, end))
    updates.extend(_restorations(result, sc, inc, end, hit))
    maint = _maintenance(result, sc, inc, end)
    if maint is not None:
        updates.append(maint)
    if not _basic_spells(result, inc, end):
        back = max((i.end_s for i in result.outages if i.subject in inc.groups
                    and inc.start_s <= i.start_s <= end and i.end_s is not None), default=None)
        if back is not None and back < end:
            updates.append(Update("Monitoring", back, "Every service is available again. We are "
                                                      "monitoring while we restore full service."))
    if inc.end_s is not None:
        # service back and everything home in one instant: one Resolved, no Monitoring
        same = [u for u in updates if u.status == "Monitoring" and u.time_s == inc.end_s]
        updates = [u for u in updates if u not in same]
        lead = f"{same[0].message.split('. ')[0]}. " if same else ""
        updates.append(Update("Resolved", inc.end_s,
                              f"{lead}This incident has been resolved. Every service is running "
                              f"normally from {_homes(sc, inc)} again."))
    updates.sort(key=lambda u: (u.time_s, ORDER.index(u.status)))
    title = f"{'Outage' if hit else 'Service disruption'} affecting {which}"
    return StatusIncident(inc.number, title, tuple(hit), inc.start_s,
                          worst_moment(result, sc, inc), tuple(updates), inc.end_s is not None)


def page_down_spells(result: RunResult, sc: Scenario) -> list[tuple[float, float]]:
    """When the status page could not be updated: some service in `status_page.requires`
    was healthy at none of its sites (from the recorded service_up/service_down events)."""
    needed = set(sc.status_page.requires)
    if not needed:
        return []
    healthy = {s: set(sc.services[s].active) for s in needed}
    spells: list[tuple[float, float]] = []
    down_since: float | None = None
    for e in result.timeline:
        svc, _, site = e.subject.partition("@")
        if e.kind not in ("service_up", "service_down") or svc not in needed:
            continue
        (healthy[svc].add if e.kind == "service_up" else healthy[svc].discard)(site)
        down = any(not sites for sites in healthy.values())
        if down and down_since is None:
            down_since = e.time_s
        elif not down and down_since is not None:
            spells.append((down_since, e.time_s))
            down_since = None
    if down_since is not None:
        spells.append((down_since, float("inf")))
    return spells


def _posted(update: Update, spells: list[tuple[float, float]], fallback_s: float | None,
            horizon_s: float) -> Update | None:
    """The update as it appeared: on time, after the page came back, or by the fallback
    channel, whichever is first; None if it never appeared within the run."""
    for start, end in spells:
        if start <= update.time_s < end:
            when = min(end, update.time_s + fallback_s if fallback_s is not None else end)
            if when > horizon_s:
                return None
            how = ("by other channels while our status page was down"
                   if when < end else "once our status page was back")
            return Update(update.status, when, f"{update.message} (Posted {how}.)",
                          due_s=update.time_s)
    return update


def _as_posted(incident: StatusIncident, result: RunResult, sc: Scenario,
               spells: list[tuple[float, float]]) -> StatusIncident:
    if not spells:
        return incident
    posted = [_posted(u, spells, sc.status_page.fallback, result.horizon_s)
              for u in incident.updates]
    kept = sorted((u for u in posted if u is not None),
                  key=lambda u: (u.time_s, ORDER.index(u.status)))
    return replace(incident, updates=tuple(kept))


def status_page(result: RunResult, sc: Scenario) -> StatusPage:
    spells = page_down_spells(result, sc)
    incidents = tuple(_as_posted(incident_updates(result, sc, inc), result, sc, spells)
                      for inc in result.incidents)
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
