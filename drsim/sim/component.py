"""Component units: random failures, scripted hits, and repair (spare part, staff, time).

Each unit is one process. A unit fails by its ttf draw (when random failures are on) or when
a disruption interrupts it with a Hit; it is then repaired — wait for a spare (stock, or
delivery after the lead time), wait for a person of the repair role (with call-out), work for
a ttr draw — or a runbook rebuilds it (Rebuilt interrupt), or the hit's duration ends.

Classic reliability semantics (see docs/scenario-format.md, "Standby units, failure
suspension, power"):

- **Ageing speed.** A unit's remaining time to failure is consumed at a speed: 1 while it is
  active, 0 while it is suspended (a service needing it is down, with suspend_failures /
  suspend_when_down) or an idle cold standby, `rate` while an idle warm standby. A change of
  speed freezes the remaining time and resumes it later (an accelerated-life clock: exact
  remaining time for any distribution; for exponential ttf the same as scaling the hazard).
- **Standby units.** `count − standby.units` units are active; when an active unit fails, the
  lowest-numbered idle standby is switched in after the switchover draw and works with the
  success probability (else it goes to repair and the next one is tried). A repaired unit
  takes a vacant active slot at once, abandoning a switchover still running for it (the
  race: whichever recovery comes first ends the outage); otherwise it becomes a standby.
- **Power.** A power loss takes every up unit down; they restart `restart` after power
  returns. Repairs at the site wait (and pause) while it has no power.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import ConditionValue

from drsim.recorder import Cause
from drsim.scenario.schema import Component
from drsim.sim.staff import Crew, Staff
from drsim.sim.streams import Streams
from drsim.sim.world import World

Proc = Generator[simpy.Event, object, str]


@dataclass(frozen=True)
class Hit:
    """A disruption takes the unit down, for `duration_s` or (None) until repaired."""

    disruption: str
    duration_s: float | None


@dataclass(frozen=True)
class Rebuilt:
    """A runbook step rebuilt the unit: it is up now."""

    step: str


@dataclass(frozen=True)
class PowerLoss:
    """The site lost power (disruption `disruption`): the unit is down until power returns."""

    disruption: str


@dataclass(frozen=True)
class SwitchFailed:
    """A switchover onto this standby unit failed: it is counted failed and goes to repair."""

    reason: str


Failure = Hit | PowerLoss | SwitchFailed


class ComponentActor:
    """All units of one component at one site."""

    def __init__(self, env: simpy.Environment, world: World, staff: Staff, site: str, cid: str,
                 comp: Component, streams: Streams, random_failures: bool) -> None:
        self.env, self.world, self.staff = env, world, staff
        self.site, self.cid, self.comp = site, cid, comp
        self.name = f"{site}.{cid}"
        self.streams = streams
        self.random = random_failures and comp.ttf is not None
        self.spares = (simpy.Container(env, init=comp.spare.stock) if comp.spare else None)
        self.down = [False] * comp.count
        self.procs: list[simpy.Process] = []
        standby = comp.standby.units if comp.standby else 0
        self.idle = [u >= comp.count - standby for u in range(comp.count)]  # standby, not serving
        self.vacancies = 0  # active slots whose unit failed and no unit has taken over yet
        self.switching: dict[int, simpy.Process] = {}  # standby unit → its switchover in progress
        self.starved = False  # a vacancy waits with no standby unit left (recorded once)
        self.suspended = False
        self.varying = comp.standby is not None  # ageing speed can change (set by suspension)
        self.retime = env.event()  # fires when any unit's ageing speed changes
        self.unpowered = 0  # overlapping power losses in force
        self.unpowered_unit = [False] * comp.count  # down only for a power loss
        self.power_exposed = False  # a power target names this site (repairs may pause)
        self.power_back = env.event()
        self.power_cut = env.event()
        self.due: list[float] = []  # spares on order: when each is due

    def start(self) -> None:
        self.procs = [self.env.process(self.live(u)) for u in range(self.comp.count)]
        if self.comp.standby:
            self.world.set_idle(self.site, self.cid, sum(self.idle))

    def hit(self, units: int | None, disruption: str, duration_s: float | None) -> None:
        """Take down `units` up units (all when None), lowest unit numbers first. A unit down
        only for a power loss can still be hit (a fire burns switched-off servers too)."""
        up = [u for u in range(self.comp.count) if not self.down[u] or self.unpowered_unit[u]]
        for u in up[: units if units is not None else len(up)]:
            self.down[u] = True  # now, so a second hit in this instant picks other units
            self.unpowered_unit[u] = False
            self.procs[u].interrupt(Hit(disruption, duration_s))

    def rebuild(self, step: str, units: int | None = None) -> None:
        """Bring up `units` down units (all when None), lowest unit numbers first."""
        down = [u for u in range(self.comp.count) if self.down[u]]
        for u in down[: units if units is not None else len(down)]:
            self.down[u] = False  # now, so a second rebuild in this instant picks other units
            self.procs[u].interrupt(Rebuilt(step))

    # ---- one unit's life -------------------------------------------------------------------

    def rng(self, unit: int, purpose: str) -> np.random.Generator:
        """Unit `unit`'s own stream for one purpose (ttf, ttr, spare, restart, switchover,
        switchover-works): `component:<site>.<id>#<unit + 1>:<purpose>`. A draw never depends
        on what other units or purposes drew, so a variant changing repairs (staff, spares)
        leaves every time to failure as it was (common random numbers)."""
        return self.streams(f"component:{self.name}#{unit + 1}:{purpose}")

    def live(self, unit: int) -> Generator[simpy.Event, object, None]:
        while True:
            cause = yield from (self.age(unit) if self.varying else self.await_failure(unit))
            self.fail(unit, cause)
            if self.instant_repair(cause):  # down and up in one step: no refresh sees it down
                self.recover(unit, "repaired at once (ttr 0s)")
                continue
            how = yield from self.recover_from(unit, cause)
            while isinstance(how, Hit) or self.unpowered:
                if isinstance(how, Hit):  # hit while down for power: recover from the hit
                    self.world.rec.event(self.env.now, "component_hit", self.name,
                                         f"{how.disruption} strikes a unit down for power")
                    how = yield from self.recover_from(unit, how)
                    continue
                # its fault is over (cleared, rebuilt) but the site has no power: nothing
                # comes up unpowered; the unit restarts when power returns, like the others
                self.down[unit] = True
                self.world.rec.event(self.env.now, "component_waiting", self.name,
                                     f"{how}, but the site has no power: the unit restarts "
                                     "when power returns")
                self.unpowered_unit[unit] = True
                how = yield from self.restart(unit)
            self.recover(unit, how)

    def instant_repair(self, cause: Failure | None) -> bool:
        """A repair that takes no time at all: ttr 0s, no spare, no person, power on."""
        ttr = self.comp.ttr
        return (not isinstance(cause, PowerLoss)
                and not (isinstance(cause, Hit) and cause.duration_s is not None)
                and ttr is not None and ttr.is_fixed and ttr.params[0] == 0
                and self.spares is None and self.comp.repair_role is None
                and not self.unpowered)

    def recover_from(self, unit: int, cause: Failure | None
                     ) -> Generator[simpy.Event, object, str | Hit]:
        if isinstance(cause, Hit) and cause.duration_s is not None:
            return (yield from self.hold(cause.duration_s))
        if isinstance(cause, PowerLoss):
            self.unpowered_unit[unit] = True
            return (yield from self.restart(unit))
        return (yield from self.repair(unit))

    def await_failure(self, unit: int) -> Generator[simpy.Event, object, Failure | None]:
        ttf = self.comp.ttf
        due = (self.env.now + ttf.sample(self.rng(unit, "ttf"))
               if self.random and ttf is not None else None)
        try:
            yield self.env.timeout(due - self.env.now) if due is not None else self.env.event()
            return None
        except simpy.Interrupt as stop:
            return failure(stop)

    def age(self, unit: int) -> Generator[simpy.Event, object, Failure | None]:
        """Wait for the unit's failure while its ageing speed may change: the remaining time
        to failure (in active-equivalent seconds) is used up at the current speed."""
        ttf = self.comp.ttf
        remaining = ttf.sample(self.rng(unit, "ttf")) if self.random and ttf is not None else None
        while True:
            speed, since, retime = self.speed(unit), self.env.now, self.retime
            try:
                if remaining is None or speed == 0:
                    yield retime
                    continue
                fired = yield self.env.timeout(remaining / speed) | retime
                assert isinstance(fired, ConditionValue)
                if retime not in fired:
                    return None
                remaining = max(0.0, remaining - (self.env.now - since) * speed)
            except simpy.Interrupt as stop:
                return failure(stop)

    def speed(self, unit: int) -> float:
        if self.suspended:
            return 0.0
        if self.idle[unit]:
            assert self.comp.standby is not None
            return self.comp.standby.speed
        return 1.0

    def fail(self, unit: int, cause: Failure | None) -> None:
        """Book the unit down; an active unit leaves a vacancy a standby unit is switched into."""
        self.down[unit] = True
        self.world.unit_down(self.site, self.cid, why_down(cause))
        if self.comp.standby is None:
            return
        if unit in self.switching:
            self.abandon(unit, f"standby unit {unit} failed during the switchover")
        if not self.idle[unit]:
            self.vacancies += 1
        self.idle[unit] = False
        self.fill()
        self.changed()

    def recover(self, unit: int, how: str) -> None:
        """Book the unit up: into a vacant active slot (abandoning a switchover still running
        for it: the repair came first), else back to standby."""
        self.down[unit] = False
        self.unpowered_unit[unit] = False
        if self.comp.standby is not None:
            if self.vacancies > 0:
                self.vacancies -= 1
                if len(self.switching) > self.vacancies:
                    newest = max(self.switching)
                    self.abandon(newest, f"unit {unit} back in service first ({how})")
            else:
                self.idle[unit] = True
            self.changed()
        self.world.unit_up(self.site, self.cid, how)

    def changed(self) -> None:
        """Unit roles changed: tell the world how many are idle, and re-time the ageing."""
        self.world.set_idle(self.site, self.cid, sum(
            1 for u in range(self.comp.count) if self.idle[u] and not self.down[u]))
        self.kick()

    def kick(self) -> None:
        old, self.retime = self.retime, self.env.event()
        old.succeed()

    def suspend(self, on: bool, why: str) -> None:
        """Freeze (or resume) the ageing of every unit; called after each world refresh."""
        if on == self.suspended:
            return
        self.suspended = on
        self.world.rec.event(self.env.now, "ageing_paused" if on else "ageing_resumed",
                             self.name, why)
        self.kick()

    # ---- standby switchover ------------------------------------------------------------------

    def fill(self) -> None:
        """Start switchovers while vacancies outnumber them and idle standby units are left."""
        assert self.comp.standby is not None
        while self.vacancies > len(self.switching):
            spare = next((u for u in range(self.comp.count) if self.idle[u]
                          and not self.down[u] and u not in self.switching), None)
            if spare is None:
                if not self.starved:
                    self.world.rec.event(self.env.now, "switchover_impossible", self.name,
                                         "no standby unit left; waiting for a repair")
                self.starved = True
                return
            self.starved = False
            delay_s = self.comp.standby.switchover.sample(self.rng(spare, "switchover"))
            if delay_s == 0:
                self.switch(spare, 0.0)  # instant: in this very instant, no outage recorded
            else:
                self.switching[spare] = self.env.process(self.switch_over(spare, delay_s))

    def switch_over(self, spare: int, delay_s: float) -> Generator[simpy.Event, object, None]:
        self.world.rec.event(self.env.now, "switchover_started", self.name,
                             f"standby unit {spare}, takes {delay_s:.0f}s")
        try:
            yield self.env.timeout(delay_s)
        except simpy.Interrupt:
            return  # abandoned; abandon() recorded why
        del self.switching[spare]
        self.switch(spare, delay_s)
        self.fill()
        self.changed()

    def switch(self, spare: int, delay_s: float) -> None:
        """The switchover onto `spare` finishes: it serves, or (failed) goes to repair."""
        assert self.comp.standby is not None
        ok = (self.comp.standby.success >= 1
              or self.rng(spare, "switchover-works").random() < self.comp.standby.success)
        if ok:
            self.idle[spare] = False
            self.vacancies -= 1
            self.world.rec.event(self.env.now, "switchover_done", self.name,
                                 f"standby unit {spare} in service after {delay_s:.0f}s")
            self.changed()
            return
        self.world.rec.event(self.env.now, "switchover_failed", self.name,
                             f"standby unit {spare} did not take over (success "
                             f"{self.comp.standby.success:.0%}); it goes to repair")
        self.down[spare] = True
        self.procs[spare].interrupt(SwitchFailed(f"switchover onto standby unit {spare} failed"))

    def abandon(self, spare: int, why: str) -> None:
        self.switching.pop(spare).interrupt()  # why is recorded here, not read there
        self.world.rec.event(self.env.now, "switchover_abandoned", self.name,
                             f"standby unit {spare}: {why}")

    # ---- recovery ----------------------------------------------------------------------------

    def hold(self, duration_s: float) -> Proc:
        try:
            yield self.env.timeout(duration_s)
            return "fault cleared"
        except simpy.Interrupt as stop:
            return rebuilt_by(stop)

    def restart(self, unit: int) -> Generator[simpy.Event, object, str | Hit]:
        """Down for a power loss: wait for power, then restart (or, hit meanwhile, the hit)."""
        try:
            yield from self.await_power()
            if self.comp.restart is not None:
                delay_s = self.comp.restart.sample(self.rng(unit, "restart"))
                if delay_s > 0:
                    yield self.env.timeout(delay_s)
            return "restarted after power returned"
        except simpy.Interrupt as stop:
            if isinstance(stop.cause, Hit):
                return stop.cause
            return rebuilt_by(stop)

    def repair(self, unit: int) -> Proc:
        why = (self.name, f"repair of unit {unit + 1}")  # what the repair waits for, if anything
        try:
            if self.unpowered:
                self.world.rec.event(self.env.now, "repair_waiting", self.name,
                                     "repair waits for power at the site")
                self.blocked(why, Cause("power", self.site, f"no power at {self.site}"))
            yield from self.await_power()
            if self.spares is not None:
                yield from self.take_spare(unit, why)
            held = yield from self.technician_inside(why)
            self.world.rec.unblocked(self.env.now, *why)
            who = ", ".join(p for _, p in held)  # before release(), which empties `held`
            try:
                assert self.comp.ttr is not None
                yield from self.work(self.comp.ttr.sample(self.rng(unit, "ttr")))
            finally:
                self.staff.release(held)
            return f"repaired by {who}" if who else "repaired"
        except simpy.Interrupt as stop:
            self.world.rec.unblocked(self.env.now, *why)
            return rebuilt_by(stop)

    def blocked(self, why: tuple[str, str], cause: Cause) -> None:
        self.world.rec.blocked(self.env.now, *why, (cause,))

    def work(self, work_s: float) -> Generator[simpy.Event, object, None]:
        """Hands-on repair time; it pauses (the person stays) while the site has no power."""
        if not self.power_exposed:
            yield self.env.timeout(work_s)
            return
        while True:
            yield from self.await_power()
            since, cut = self.env.now, self.power_cut
            fired = yield self.env.timeout(work_s) | cut
            assert isinstance(fired, ConditionValue)
            if cut not in fired:
                return
            work_s -= self.env.now - since
            self.world.rec.event(self.env.now, "repair_paused", self.name,
                                 f"power lost; {work_s:.0f}s of repair work left")

    def technician_inside(self, why: tuple[str, str]
                          ) -> Generator[simpy.Event, object, list[tuple[Crew, str]]]:
        """A person of the repair role, at work inside the site: if access closed while they
        were being called out, they stand down and try again once it opens."""
        while True:
            yield from self.await_access(why)
            held = yield from self.staff.acquire([self.comp.repair_role]
                                                 if self.comp.repair_role else [], why)
            if self.comp.repair_role is None or self.world.site_open(self.site):
                return held
            self.staff.release(held)

    def await_access(self, why: tuple[str, str]) -> Generator[simpy.Event, object, None]:
        """Hands-on repair needs people inside: wait while the site is closed to staff (work
        already started goes on)."""
        if self.comp.repair_role is None or self.world.site_open(self.site):
            return
        self.world.rec.event(self.env.now, "repair_waiting", self.name,
                             "repair waits for staff access to the site")
        self.blocked(why, Cause("access", self.site, f"{self.site} closed to staff"))
        yield from self.world.wait_until(lambda: self.world.site_open(self.site))

    def await_power(self) -> Generator[simpy.Event, object, None]:
        while self.unpowered:
            yield self.power_back

    def power_off(self, disruption: str) -> None:
        """The site loses power: every up unit goes down; repairs in progress pause."""
        self.unpowered += 1
        if self.unpowered > 1:
            return
        old, self.power_cut = self.power_cut, self.env.event()
        old.succeed()
        for u in range(self.comp.count):
            if not self.down[u]:
                self.down[u] = True
                self.procs[u].interrupt(PowerLoss(disruption))

    def power_on(self) -> None:
        self.unpowered -= 1
        if self.unpowered == 0:
            old, self.power_back = self.power_back, self.env.event()
            old.succeed()

    def take_spare(self, unit: int, why: tuple[str, str]) -> Generator[simpy.Event, object, None]:
        """One-for-one stocking: every spare taken is reordered and arrives after the lead time
        (drawn from the stream of the unit that took it)."""
        assert self.spares is not None and self.comp.spare is not None
        lead_s = self.comp.spare.lead_time.sample(self.rng(unit, "spare"))
        self.due.append(self.env.now + lead_s)
        self.env.process(self.deliver_spare(lead_s))
        get = self.spares.get(1)
        if not get.triggered:
            self.blocked(why, Cause("spare", self.name, f"no spare {self.cid} in stock at "
                                    f"{self.site}", self.env.now, min(self.due)))
        try:
            yield get
        except simpy.Interrupt:
            if get.triggered:
                self.spares.put(1)
            else:
                get.cancel()
            raise

    def deliver_spare(self, lead_time_s: float) -> Generator[simpy.Event, object, None]:
        yield self.env.timeout(lead_time_s)
        assert self.spares is not None
        self.due.remove(min(self.due))  # the delivery due first is the one arriving now
        yield self.spares.put(1)
        self.world.rec.event(self.env.now, "spare_delivered", f"{self.site}.{self.cid}")


def why_down(cause: Failure | None) -> str:
    if cause is None:
        return "random failure"
    if isinstance(cause, Hit):
        return cause.disruption
    if isinstance(cause, PowerLoss):
        return f"power loss: {cause.disruption}"
    return cause.reason


def failure(stop: simpy.Interrupt) -> Failure:
    """What interrupted an up unit: always a failure. rebuild() interrupts only units booked
    down, and a unit is booked down while up only in the instant its own failure interrupt is
    on its way (an interrupt is urgent: it reaches the unit before anything else happens)."""
    assert isinstance(stop.cause, Hit | PowerLoss | SwitchFailed)
    return stop.cause


def rebuilt_by(stop: simpy.Interrupt) -> str:
    """How a unit held down came back: only a runbook's Rebuilt interrupts a repair."""
    assert isinstance(stop.cause, Rebuilt)
    return f"rebuilt by {stop.cause.step}"
