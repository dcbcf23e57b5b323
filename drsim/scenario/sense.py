"""Models that validate but cannot make sense, checked with every site and link up.

A customer group whose access point has no link path to any site offering one of its
services can never be served it; a failover target that no customer of the service can reach
serves nobody after the failover; a site with no links is cut off from every other place.
These are warnings (the scenario still runs, and its numbers show the consequence), except a
scenario in which no group can reach any of its services at all: nothing it could simulate
would mean anything, so it is refused. Local times in a daylight-saving fold (scenario/times.py)
and calendar hours that the clocks skip or repeat are warned about here too, naming the rule
drsim applies.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from drsim.calendar import Calendar
from drsim.errors import Issue
from drsim.scenario.loader import PathKey, RawDoc
from drsim.scenario.schema import Scenario
from drsim.scenario.times import dst_issues

MAX_SCAN_DAYS = 366  # transitions repeat yearly: one year of days finds every kind


def _places(scenario: Scenario) -> dict[str, str]:
    """Each site and access point → a representative of its connected component (all links
    up), by union-find: `drsim validate` stays free of networkx (tests/test_startup.py)."""
    parent = {n: n for n in [*scenario.sites, *scenario.access_points]}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for _, link in sorted(scenario.links.items()):
        if link.a in parent and link.b in parent:
            parent[root(link.a)] = root(link.b)
    return {n: root(n) for n in parent}


def _offering(scenario: Scenario, service: str) -> list[str]:
    svc = scenario.services[service]
    return list(dict.fromkeys([*svc.active, *(svc.standby.sites if svc.standby else [])]))


def unservable(raw: RawDoc, scenario: Scenario) -> list[Issue]:
    """The refusal: no customer group can reach a site offering any of its services."""
    comp = _places(scenario)
    for g in scenario.customers.values():
        if any(comp.get(g.access) == comp.get(s) for sv in g.services
               for s in _offering(scenario, sv)):
            return []
    return [raw.issue(("customers",), "no customer group can reach any site offering its "
                      "services (no link path from any access point), so nothing can ever be "
                      "served; add links from the access points to the sites, or make the "
                      "groups' access their home site", key=True)]


def sense_warnings(raw: RawDoc, scenario: Scenario) -> list[Issue]:
    """Every warning, in file order: see the module doc."""
    out = [*_unreachable_services(raw, scenario), *_unreachable_targets(raw, scenario),
           *_lonely_sites(raw, scenario), *dst_issues(raw)[1], *_calendar_dst(raw, scenario)]
    return sorted(out)


def _unreachable_services(raw: RawDoc, scenario: Scenario) -> list[Issue]:
    comp = _places(scenario)
    out = []
    for gid, g in sorted(scenario.customers.items()):
        for i, sv in enumerate(g.services):
            sites = _offering(scenario, sv)
            if not any(comp.get(g.access) == comp.get(s) for s in sites):
                out.append(raw.issue(("customers", gid, "services", i), f"warning: customer "
                                     f"group '{gid}' (access '{g.access}') has no link path "
                                     f"to any site offering '{sv}' ({', '.join(sites)}), so it "
                                     "is never served it; add a link or remove the service"))
    return out


def _unreachable_targets(raw: RawDoc, scenario: Scenario) -> list[Issue]:
    comp = _places(scenario)
    out = []

    def check(path: PathKey, site: str, groups: list[str], what: str) -> None:
        if groups and not any(comp.get(scenario.customers[g].access) == comp.get(site)
                              for g in groups):
            out.append(raw.issue(path, f"warning: failover target '{site}' cannot be reached "
                                 f"from the access point of any customer group {what} "
                                 f"({', '.join(groups)}), so a failover there serves nobody; "
                                 "add a link from their access points"))

    for sv, svc in sorted(scenario.services.items()):
        users = sorted(g for g, c in scenario.customers.items() if sv in c.services)
        for i, site in enumerate(svc.standby.sites if svc.standby else []):
            check(("services", sv, "standby", "sites", i), site, users, f"using '{sv}'")
    for rid, rb in sorted(scenario.runbooks.items()):
        for i, step in enumerate(rb.steps):
            for j, eff in enumerate(step.effects):
                move = eff.move
                if move is None or move.to not in scenario.sites:
                    continue
                groups = sorted(scenario.customers) if move.groups == "all" else \
                    [g for g in move.groups if g in scenario.customers]
                check(("runbooks", rid, "steps", i, "effects", j, "move", "to"), move.to,
                      groups, "it moves")
    return out


def _lonely_sites(raw: RawDoc, scenario: Scenario) -> list[Issue]:
    if len(scenario.sites) + len(scenario.access_points) < 2:
        return []
    linked = {end for link in scenario.links.values() for end in (link.a, link.b)}
    return [raw.issue(("sites", sid), f"warning: site '{sid}' has no links, so nothing can "
                      "reach it from another place (no failover to it, no replication); add a "
                      "link or remove the site", key=True)
            for sid in sorted(scenario.sites) if sid not in linked]


def _clock_times(scenario: Scenario) -> list[tuple[PathKey, tuple[time, ...], str]]:
    """Every recurring local clock time: calendar hours (windows, shifts, rotas) and the
    clock times of snapshot and backup schedules, each with its path and time zone."""
    tz = scenario.simulation.timezone
    cals: list[tuple[PathKey, Calendar]] = [(("maintenance_windows", wid), cal) for wid, cal
                                            in sorted(scenario.maintenance_windows.items())]
    for rid, role in sorted(scenario.staff.items()):
        cals.append((("staff", rid, "shift"), role.shift))
        for i, rot in enumerate(role.rotations or []):
            cals.append((("staff", rid, "rotations", i, "shift"), rot.shift))
    out: list[tuple[PathKey, tuple[time, ...], str]] = [
        (p, (c.start, c.end), c.timezone or tz) for p, c in cals if not c.always]
    for sv, svc in sorted(scenario.services.items()):
        for j, tier in enumerate(svc.protection):
            if tier.schedule is not None and tier.schedule.at:
                out.append((("services", sv, "protection", j, "schedule", "at"),
                            tuple(time.fromisoformat(a) for a in tier.schedule.at), tz))
    return out


def _calendar_dst(raw: RawDoc, scenario: Scenario) -> list[Issue]:
    """Recurring clock times that fall in a skipped or repeated hour on a day of the run."""
    out = []
    origin = scenario.simulation.origin
    days = min(MAX_SCAN_DAYS, int(scenario.simulation.horizon // 86400) + 2)
    for path, clocks, zone in _clock_times(scenario):
        tz = ZoneInfo(zone)
        local = origin.astimezone(tz).date()
        for n in range(days):
            day = local + timedelta(days=n)
            found = _shifted(day, clocks, tz)
            if found:
                clock, how = found
                out.append(raw.issue(path, f"warning: on {day} {clock:%H:%M} {how} in {zone}; "
                                     "drsim reads it by the offset in force before the change "
                                     "(a skipped time falls that much later, a repeated one is "
                                     "its first occurrence); move the time off the change, "
                                     "e.g. after 03:00"))
                break
    return out


def _shifted(day: date, clocks: tuple[time, ...], tz: ZoneInfo) -> tuple[time, str] | None:
    for clock in clocks:
        naive = datetime.combine(day, clock)
        first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
        if first.utcoffset() == second.utcoffset():
            continue
        skipped = (first.utcoffset() or timedelta(0)) < (second.utcoffset() or timedelta(0))
        return clock, "does not exist (the clocks jump forward)" if skipped else \
            "happens twice (the clocks go back)"
    return None
