"""Detection and paging: monitoring checks, the alert, the page, the disaster declaration.

Checks run every `interval` from the simulation start. The alert fires on the
`failed_checks`-th consecutive failing check. Then the paged role acknowledges (ack delay,
plus a call-out when off shift), and after the decision delay the incident commander
declares a disaster, if customers are still down.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from drsim.scenario.schema import Scenario
from drsim.sim.runbook import RunbookExecutor
from drsim.sim.staff import Staff
from drsim.sim.streams import Streams
from drsim.sim.world import Incident, World

Proc = Generator[simpy.Event, object, None]


class Monitor:
    """Watches every incident the world opens, from first check to declaration."""

    def __init__(self, env: simpy.Environment, world: World, scenario: Scenario, staff: Staff,
                 runbooks: RunbookExecutor, streams: Streams) -> None:
        self.env, self.world, self.sc, self.staff, self.runbooks = (env, world, scenario,
                                                                     staff, runbooks)
        self.det = scenario.detection
        self.rng = streams("detection")
        self.hot: set[tuple[str, str]] = set()  # (service, site) taken over automatically

    def start(self) -> None:
        self.world.on_incident = lambda incident: self.env.process(self.handle(incident))
        self.world.on_incident_end = lambda incident: self.return_hot_standbys()

    def handle(self, incident: Incident) -> Proc:
        detected = yield from self.detect_outage(incident)
        if not detected:
            return
        yield from self.page_and_declare(incident)

    def detect_outage(self, incident: Incident) -> Generator[simpy.Event, object, bool]:
        interval, needed = self.det.interval, self.det.failed_checks
        failing = 0
        check_s = math.ceil(self.env.now / interval) * interval
        while failing < needed:
            yield self.env.timeout(check_s - self.env.now)
            if incident.end_s is not None:
                return False
            if self.world.impacted():
                failing += 1
                check_s += interval
            else:
                failing = 0
                yield from self.world.wait_until(
                    lambda: self.world.impacted() or incident.end_s is not None)
                check_s = math.ceil(self.env.now / interval) * interval
        incident.detected_s = self.env.now
        self.world.rec.event(self.env.now, "detected", f"incident {incident.number}",
                             f"alert after {needed} failed checks")
        self.fail_over_hot_standbys()
        self.runbooks.trigger("detected")
        return True

    def fail_over_hot_standbys(self) -> None:
        """Hot standbys take traffic automatically once monitoring has raised the alert."""
        for sid in sorted(self.sc.services):
            svc = self.sc.services[sid]
            if svc.standby and svc.standby.mode == "hot":
                new = set(svc.standby.sites) - self.world.active[sid]
                if new:
                    for site in sorted(new):
                        self.world.place(sid, site, True)
                    self.hot.update((sid, site) for site in new)
                    self.world.rec.event(self.env.now, "activated", sid,
                                         f"hot standby at {', '.join(sorted(new))}")
        self.world.touch()

    def return_hot_standbys(self) -> None:
        """Once everything is home again, hot standbys go back to standing by."""
        for sid, site in sorted(self.hot):
            self.world.place(sid, site, False)
            self.world.rec.event(self.env.now, "deactivated", sid, f"hot standby at {site} "
                                 "back to standby")
        if self.hot:
            self.hot.clear()
            self.world.touch()

    def first_person(self, role: str) -> str:
        """Who answers for a role: the first person of its rota (busy or not: pages reach
        people at work too)."""
        return f"{role}#1"

    def page_and_declare(self, incident: Incident) -> Proc:
        delay = self.det.ack_delay.sample(self.rng)
        if self.det.page:
            person = self.first_person(self.det.page)
            self.world.rec.event(self.env.now, "paged", person)
            delay += self.staff.crews[self.det.page].arrival_delay_s(person)
        yield self.env.timeout(delay)
        if incident.end_s is not None:
            return  # over before anyone answered
        incident.acknowledged_s = self.env.now
        self.world.rec.event(self.env.now, "acknowledged", f"incident {incident.number}")
        delay = self.det.declare_delay.sample(self.rng)
        if self.det.declare_role:
            person = self.first_person(self.det.declare_role)
            delay += self.staff.crews[self.det.declare_role].arrival_delay_s(person)
        yield self.env.timeout(delay)
        if incident.end_s is not None:
            return
        if not self.world.impacted():
            self.world.rec.event(self.env.now, "stood_down", f"incident {incident.number}",
                                 "service back before a disaster was declared")
            return
        incident.declared_s = self.env.now
        self.world.rec.event(self.env.now, "declared", f"incident {incident.number}",
                             "disaster declared")
        self.runbooks.trigger("declared")
