"""Detection and paging: monitoring checks, the alert, the page, the disaster declaration.

Checks run every `interval` from the simulation start. The alert fires on the
`failed_checks`-th consecutive failing check. Monitoring keeps watching for the whole
incident: when every customer has service again and someone loses it again before the
incident ends, the same check rule raises a new alert, which re-runs `detected` runbooks and,
after the declaration rules, `declared` ones. While a service monitoring `requires` is down
everywhere, an alert goes out only after `degraded_delay` (people notice by other means).
On the first alert the paged roles acknowledge (see paging.py); after the decision delay the
incident commander declares a disaster, if customers are still down.

A hot standby is automatic failover: its own health checks (the same interval and count of
failed checks) watch its service alone, so it takes over once that service has lacked
customers for the checks, after its switchover time, and may fail to; it stands by again as
soon as every group has the service without it. An alert about another service never moves it.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from drsim.scenario.schema import Scenario
from drsim.sim.paging import Pager
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
        self.streams = streams
        self.hot = world.hot  # (service, site) taken over automatically
        self.hot_services = world.layout.hot  # services with a hot standby
        self.hot_set = frozenset(self.hot_services)
        self.watchers = world.layout.watchers  # service → hot standbys a loss of it fails
        self.taking: set[str] = set()  # services whose checks are failing or switchover runs
        self.failed: set[str] = set()  # takeover failed: no retry until the service recovers
        self.responding: dict[int, simpy.Process] = {}  # incident → its page-and-declare
        self.degraded_rng = streams("detection:degraded")
        self.pager = Pager(env, world, self.det, staff, streams, self.wait_if_degraded)

    def start(self) -> None:
        self.world.on_incident = lambda incident: self.env.process(self.handle(incident))
        if self.hot_services:
            self.world.after_refresh.append(self.watch_hot_standbys)

    def handle(self, incident: Incident) -> Proc:
        """Watch the incident to its end: one alert per loss of service inside it."""
        alert = 0
        while True:
            detected = yield from self.detect_outage(incident, alert + 1)
            if not detected:
                return
            alert += 1
            self.respond(incident, alert)
            yield from self.world.wait_until(  # keep watching once everyone is served again
                lambda: not self.world.impacted() or incident.end_s is not None)

    def respond(self, incident: Incident, alert: int) -> None:
        """Page and declare, unless the response to an earlier alert is still under way."""
        busy = self.responding.get(incident.number)
        if busy is not None and busy.is_alive:
            self.world.rec.event(self.env.now, "response_under_way", f"incident {incident.number}",
                                 f"alert {alert}: the response to the earlier alert is still "
                                 "under way; it declares if customers are still down")
            return
        self.responding[incident.number] = self.env.process(
            self.page_and_declare(incident, alert))

    def wait_if_degraded(self) -> Proc:
        """While a service monitoring or paging needs is down everywhere, alerts and pages
        go out only after the degraded delay: someone notices by other means."""
        down = [s for s in self.det.requires if not self.world.served_somewhere(s)]
        if not down:
            return
        delay = self.det.degraded_delay.sample(self.degraded_rng)
        self.world.rec.event(self.env.now, "detection_degraded", ", ".join(down),
                             f"{', '.join(down)} down everywhere: monitoring and paging impaired;"
                             f" word goes out by other means in {delay / 60:.0f} min")
        yield self.env.timeout(delay)

    def detect_outage(self, incident: Incident,
                      alert: int = 1) -> Generator[simpy.Event, object, bool]:
        interval, needed = self.det.interval, self.det.failed_checks
        failing = 0
        check_s = math.ceil(self.env.now / interval) * interval
        while failing < needed:
            yield self.world.settled_at(check_s)  # after the instant's changes
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
        yield from self.wait_if_degraded()
        if incident.end_s is not None:
            return False
        if incident.detected_s is None:
            incident.detected_s = self.env.now
        again = "" if alert == 1 else (f" (alert {alert}: customers lost service again after "
                                       "it was restored)")
        self.world.rec.event(self.env.now, "detected", f"incident {incident.number}",
                             f"alert after {needed} failed checks{again}")
        self.runbooks.trigger("detected")
        return True

    def watch_hot_standbys(self) -> None:
        """After each refresh: start the takeover of a hot-standby service failing its health
        checks, and stand by again where a takeover is no longer needed (a set look-up per
        refresh while all is well)."""
        failing = self.failing_now()
        for sid in sorted(failing - self.taking - self.failed):
            sb = self.sc.services[sid].standby
            assert sb is not None
            if set(sb.sites) - self.world.active[sid]:
                self.taking.add(sid)
                self.env.process(self.take_over_when_due(sid))
        self.failed &= failing
        for sid in sorted({svc for svc, _ in self.hot} - failing):
            if not self.world.needs_hot_standby(sid):
                self.stand_by(sid)

    def failing_now(self) -> set[str]:
        """The hot-standby services whose health checks fail now: each is down at one of its
        own active sites, or some group lacks it or a service that needs it."""
        out = {svc for svc, _ in self.world.down_at_home if svc in self.hot_set}
        for svc in self.world.lacking():
            out.update(self.watchers.get(svc, ()))
        return out

    def take_over_when_due(self, sid: str) -> Proc:
        """`failed_checks` consecutive checks failing, then the switchover: the takeover,
        which may fail (recorded; it starts the runbooks triggered by auto_failover_failed,
        and is not tried again until the service has recovered). A check that passes, or a
        service whole again when the switchover ends, calls it off."""
        interval, needed = self.det.interval, self.det.failed_checks
        check_s = math.ceil(self.env.now / interval) * interval
        for _ in range(needed):
            yield self.world.settled_at(check_s)
            if sid not in self.failing_now():
                self.taking.discard(sid)
                return
            check_s += interval
        sb = self.sc.services[sid].standby
        assert sb is not None
        yield self.env.timeout(sb.switchover.sample(self.streams(f"standby:{sid}:switchover"))
                               if sb.switchover else 0.0)
        self.taking.discard(sid)
        if sid not in self.failing_now():
            return
        if sb.success >= 1.0 or bool(self.streams(f"standby:{sid}:works").random()
                                     < sb.success):
            self.take_over(sid)
            self.world.touch()
            return
        self.world.rec.event(self.env.now, "auto_failover_failed", sid,
                             f"automatic takeover by the hot standby at "
                             f"{', '.join(sb.sites)} failed (succeeds {sb.success:.0%})")
        self.failed.add(sid)
        self.runbooks.trigger("auto_failover_failed")

    def take_over(self, sid: str) -> None:
        svc = self.sc.services[sid]
        assert svc.standby is not None
        new = set(svc.standby.sites) - self.world.active[sid]
        if new:
            for site in sorted(new):
                self.world.place(sid, site, True)
            self.hot.update((sid, site) for site in new)
            self.world.rec.event(self.env.now, "activated", sid,
                                 f"hot standby at {', '.join(sorted(new))}")

    def stand_by(self, sid: str) -> None:
        """`sid`'s hot standbys that took over go back to standing by."""
        for svc, site in sorted(self.hot):
            if svc == sid:
                self.hot.discard((svc, site))
                self.world.place(svc, site, False)
                self.world.rec.event(self.env.now, "deactivated", svc, f"hot standby at {site} "
                                     "back to standby")

    def page_and_declare(self, incident: Incident, alert: int = 1) -> Proc:
        if incident.acknowledged_s is None:
            who = yield from self.pager.acknowledge(incident)
            if who is None:
                return  # over before anyone answered
            incident.acknowledged_s = self.env.now
            self.world.rec.event(self.env.now, "acknowledged", f"incident {incident.number}",
                                 f"by {who}" if who else "")
        else:
            self.world.rec.event(self.env.now, "not_paged", f"incident {incident.number}",
                                 f"alert {alert}: responders already engaged (acknowledged at "
                                 f"{incident.acknowledged_s / 3600:.2f} h)")
        delay = self.det.declare_delay.sample(self.streams("detection:declare"))
        if self.det.declare_role:
            crew = self.staff.crews[self.det.declare_role]
            delay += crew.arrival_delay_s(crew.first_ready())
        yield self.env.timeout(delay)
        if incident.end_s is not None:
            return
        if not self.world.impacted():
            self.world.rec.event(self.env.now, "stood_down", f"incident {incident.number}",
                                 "service back before a disaster was declared")
            return
        if incident.declared_s is None:
            incident.declared_s = self.env.now
        again = "" if alert == 1 else f" again (alert {alert})"
        self.world.rec.event(self.env.now, "declared", f"incident {incident.number}",
                             f"disaster declared{again}")
        self.runbooks.trigger("declared")

