"""Questions a runbook step asks of the world: its `when` branch conditions and the
preconditions it waits for. Each answer that says no also says why, in words for the timeline."""

from __future__ import annotations

from datetime import datetime

from drsim.calendar import Calendar, parse_hours
from drsim.recorder import Cause
from drsim.scenario.schema import Preconditions, When
from drsim.sim.world import World


def service_up(world: World, spec: str) -> bool:
    """'svc': healthy at some site where it is active; 'svc@site': healthy at that site."""
    svc, _, site = spec.partition("@")
    if site:
        return site in world.active[svc] and world.healthy_at[svc, site]
    return world.served_somewhere(svc)


def data_lost_s(world: World, service: str) -> float:
    """Seconds of writes lost so far in this run by `service`, over all its failovers."""
    return sum(loss.lost_s for loss in world.rec.losses if loss.service == service)


def hours_calendar(hours: str, timezone: str) -> Calendar:
    start, end = parse_hours(hours)
    return Calendar(frozenset(range(7)), start, end, timezone)


def failed_when(world: World, when: When, origin: datetime, timezone: str,
                now_s: float) -> str | None:
    """The first condition of `when` that does not hold now (in words), or None."""
    for s in when.site_up:
        if not world.site_up(s):
            return f"site_up: {s} is down"
    for s in when.site_down:
        if world.site_up(s):
            return f"site_down: {s} is up"
    for spec in when.service_up:
        if not service_up(world, spec):
            return f"service_up: {spec} is not served"
    for spec in when.service_down:
        if service_up(world, spec):
            return f"service_down: {spec} is served"
    for spec in when.component_up:
        if not world.component_ok(*spec.split(".", 1)):
            return f"component_up: {spec} is below its needed units"
    for spec in when.component_down:
        if world.component_ok(*spec.split(".", 1)):
            return f"component_down: {spec} is working"
    if when.hours and not hours_calendar(when.hours, timezone).is_open(origin, now_s):
        return f"hours: now is outside {when.hours} ({timezone})"
    for svc, limit_s in sorted(when.data_lost_above.items()):
        lost = data_lost_s(world, svc)
        if not lost > limit_s:
            return f"data_lost_above: {svc} lost {lost:.0f}s, not above {limit_s:.0f}s"
    return None


def unmet_requirements(world: World, req: Preconditions) -> list[Cause]:
    """What the step still waits for (besides its maintenance window): the element, the
    condition in words, and since when the element has been down where that is known."""
    unmet = [Cause("condition", link, f"link {link} up", world.down_since.get(link))
             for link in req.link_up if not world.link_up(link)]
    unmet += [Cause("condition", s, f"site {s} fully healthy", world.down_since.get(s))
              for s in req.site_healthy if not world.site_fully_healthy(s)]
    unmet += [Cause("condition", spec, f"service {spec} up")
              for spec in req.service_up if not service_up(world, spec)]
    unmet += [Cause("condition", s, f"access to site {s}", world.down_since.get(s))
              for s in req.site_access if not (world.site_open(s) and world.site_up(s))]
    return unmet
