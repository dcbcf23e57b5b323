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
from collections.abc import Callable, Generator
from functools import partial

import simpy

from drsim.scenario.schema import Scenario
from drsim.sim.paging import Pager
from drsim.sim.runbook import RunbookExecutor
from drsim.sim.staff import Staff
from drsim.sim.streams import Streams
from drsim.sim.world import Incident, World

Proc = Generator[simpy.Event, object, None]


class Streak:
    """Consecutive failing monitoring checks, as ONE scheduled event: the last (the
    `needed`-th) check, after that instant's changes (World.settled_at).

    Checks are every `interval` from t=0 and see the state after every change of their
    instant; what they check changes only at a refresh. So the checks in between are not
    events: the owner reports each refresh to `broken_by`, which notes since when the checks
    pass and, once they fail again, whether a check came in between. The last check calls
    `last_check(streak)`; the owner ignores it from a streak it has dropped."""

    def __init__(self, world: World, interval: float, needed: int, failing: bool,
                 last_check: Callable[[Streak], None]) -> None:
        now = world.env.now
        due_s, check_s = now, math.ceil(now / interval) * interval
        self.checks_s: list[float] = []  # when each check looks (the floats a timeout
        for _ in range(needed):  # chained from check to check would give)
            due_s += check_s - due_s
            self.checks_s.append(due_s)
            check_s += interval
        self.passing_s: float | None = None if failing else now  # since when checks pass
        world.settled_at(due_s).callbacks.append(lambda _: last_check(self))

    def broken_by(self, failing: bool, now: float) -> bool:
        """After a refresh: whether a check has passed since the streak began (known once
        the checks fail again; the last check sees for itself)."""
        if not failing:
            if self.passing_s is None:
                self.passing_s = now
            return False
        since, self.passing_s = self.passing_s, None
        return since is not None and any(since <= t < now for t in self.checks_s)


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
        self.checking: dict[str, Streak] = {}  # hot-standby services in their failing checks
        # the open incident's checks: the incident, its next alert's number, the streak
        # (None while the checks pass); None while an alert goes out
        self.outage: tuple[Incident, int, Streak | None] | None = None
        self.alerted: tuple[Incident, int] | None = None  # an alert out, customers still out
        self.responding: dict[int, simpy.Process] = {}  # incident → its page-and-declare
        self.degraded_rng = streams("detection:degraded")
        self.pager = Pager(env, world, self.det, staff, streams, self.wait_if_degraded)

    def start(self) -> None:
        self.world.on_incident = self.detect_outage
        if self.hot_services:
            self.world.after_refresh.append(self.watch_hot_standbys)
        self.world.after_refresh.append(self.watch_outage)  # after the hot standbys' checks

    def checks(self, failing: bool, last_check: Callable[[Streak], None]) -> Streak:
        """A streak of this monitoring's checks from now (`failing`: whether they fail now)."""
        return Streak(self.world, self.det.interval, self.det.failed_checks, failing,
                      last_check)

    def detect_outage(self, incident: Incident, alert: int = 1) -> None:
        """Check the incident's customers from now on, for its alert number `alert`."""
        self.outage = (incident, alert, self.checks(self.world.impacted(), self.outage_checked))

    def watch_outage(self) -> None:
        """After each refresh: after an alert, checks start again once everyone is served; a
        streak broken by customers served again starts over once they are out again; the
        incident's end ends the watch."""
        if self.alerted is not None:
            self.watch_on()
        if self.outage is None:
            return
        incident, alert, streak = self.outage
        if incident.end_s is not None:
            self.outage = None
            return
        out = self.world.impacted()
        if streak is None:  # the last check passed: start over once customers are out
            again = out
        else:
            again = streak.broken_by(out, self.env.now)
        if again:
            self.outage = (incident, alert, self.checks(True, self.outage_checked))

    def outage_checked(self, streak: Streak) -> None:
        """The last check of a streak: customers still out raise the alert."""
        if self.outage is None or self.outage[2] is not streak:
            return  # the streak broke, or the incident ended
        incident, alert, _ = self.outage
        if not self.world.impacted():
            self.outage = (incident, alert, None)  # checks pass until customers are out again
            return
        self.outage = None
        self.env.process(self.raise_alert(incident, alert))

    def raise_alert(self, incident: Incident, alert: int) -> Proc:
        """After `failed_checks` failing checks: the alert (late while monitoring is degraded)
        and the response; then, once everyone is served again, watch on for the next loss."""
        yield from self.wait_if_degraded()
        if incident.end_s is not None:
            return
        if incident.detected_s is None:
            incident.detected_s = self.env.now
        again = "" if alert == 1 else (f" (alert {alert}: customers lost service again after "
                                       "it was restored)")
        self.world.rec.event(self.env.now, "detected", f"incident {incident.number}",
                             f"alert after {self.det.failed_checks} failed checks{again}")
        self.runbooks.trigger("detected")
        self.respond(incident, alert)
        self.alerted = (incident, alert)
        self.watch_on()

    def watch_on(self) -> None:
        """After an alert: once everyone is served again, check for the next loss (alert
        numbers count on); the incident's end ends the watch."""
        assert self.alerted is not None
        incident, alert = self.alerted
        if incident.end_s is not None:
            self.alerted = None
        elif not self.world.impacted():
            self.alerted = None
            self.detect_outage(incident, alert + 1)

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

    def watch_hot_standbys(self) -> None:
        """After each refresh: check a hot-standby service failing its health checks (its
        takeover starts after the last of them), and stand by again where a takeover is no
        longer needed (a set look-up per refresh while all is well)."""
        failing, now = self.failing_now(), self.env.now
        for sid, streak in list(self.checking.items()):
            if streak.broken_by(sid in failing, now):
                del self.checking[sid]
                self.taking.discard(sid)
        for sid in sorted(failing - self.taking - self.failed):
            sb = self.sc.services[sid].standby
            assert sb is not None
            if set(sb.sites) - self.world.active[sid]:
                self.taking.add(sid)
                self.checking[sid] = self.checks(True, partial(self.standby_checked, sid))
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

    def standby_checked(self, sid: str, streak: Streak) -> None:
        """The last of the hot standby's health checks: the switchover, if they still fail."""
        if self.checking.get(sid) is not streak:
            return  # the streak broke
        del self.checking[sid]
        if sid in self.failing_now():
            self.env.process(self.switch_over(sid))
        else:
            self.taking.discard(sid)

    def switch_over(self, sid: str) -> Proc:
        """After `failed_checks` failing health checks, the switchover, then the takeover,
        which may fail (recorded; it starts the runbooks triggered by auto_failover_failed,
        and is not tried again until the service has recovered). A service whole again when
        the switchover ends calls it off."""
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

