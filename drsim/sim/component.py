"""Component units: random failures, scripted hits, and repair (spare part, staff, time).

Each unit is one process. A unit fails by its ttf draw (when random failures are on) or when
a disruption interrupts it with a Hit; it is then repaired — wait for a spare (stock, or
delivery after the lead time), wait for a person of the repair role (with call-out), work for
a ttr draw — or a runbook rebuilds it (Rebuilt interrupt), or the hit's duration ends.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy

from drsim.scenario.schema import Component
from drsim.sim.staff import Staff
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


class ComponentActor:
    """All units of one component at one site."""

    def __init__(self, env: simpy.Environment, world: World, staff: Staff, site: str, cid: str,
                 comp: Component, streams: Streams, random_failures: bool) -> None:
        self.env, self.world, self.staff = env, world, staff
        self.site, self.cid, self.comp = site, cid, comp
        self.rng = streams(f"component:{site}.{cid}")
        self.random = random_failures and comp.ttf is not None
        self.spares = (simpy.Container(env, init=comp.spare.stock) if comp.spare else None)
        self.down = [False] * comp.count
        self.procs: list[simpy.Process] = []

    def start(self) -> None:
        self.procs = [self.env.process(self.live(u)) for u in range(self.comp.count)]

    def hit(self, units: int | None, disruption: str, duration_s: float | None) -> None:
        """Take down `units` up units (all when None), lowest unit numbers first."""
        up = [u for u in range(self.comp.count) if not self.down[u]]
        for u in up[: units if units is not None else len(up)]:
            self.down[u] = True  # now, so a second hit in this instant picks other units
            self.procs[u].interrupt(Hit(disruption, duration_s))

    def rebuild(self, step: str, units: int | None = None) -> None:
        """Bring up `units` down units (all when None), lowest unit numbers first."""
        down = [u for u in range(self.comp.count) if self.down[u]]
        for u in down[: units if units is not None else len(down)]:
            self.down[u] = False  # now, so a second rebuild in this instant picks other units
            self.procs[u].interrupt(Rebuilt(step))

    def live(self, unit: int) -> Generator[simpy.Event, object, None]:
        while True:
            cause = yield from self.await_failure()
            self.down[unit] = True
            self.world.unit_down(self.site, self.cid, cause.disruption
                                 if isinstance(cause, Hit) else "random failure")
            if isinstance(cause, Hit) and cause.duration_s is not None:
                how = yield from self.hold(cause.duration_s)
            else:
                how = yield from self.repair()
            self.down[unit] = False
            self.world.unit_up(self.site, self.cid, how)

    def await_failure(self) -> Generator[simpy.Event, object, Hit | None]:
        due = self.env.now + self.comp.ttf.sample(self.rng) if self.random else None
        while True:
            try:
                yield self.env.timeout(due - self.env.now) if due is not None else self.env.event()
                return None
            except simpy.Interrupt as stop:
                if isinstance(stop.cause, Hit):
                    return stop.cause  # a rebuild while up changes nothing; keep waiting

    def hold(self, duration_s: float) -> Proc:
        try:
            yield self.env.timeout(duration_s)
            return "fault cleared"
        except simpy.Interrupt as stop:
            return f"rebuilt by {stop.cause.step}"

    def repair(self) -> Proc:
        try:
            if self.spares is not None:
                yield from self.take_spare()
            held = yield from self.staff.acquire([self.comp.repair_role]
                                                 if self.comp.repair_role else [])
            who = ", ".join(p for _, p in held)  # before release(), which empties `held`
            try:
                assert self.comp.ttr is not None
                yield self.env.timeout(self.comp.ttr.sample(self.rng))
            finally:
                self.staff.release(held)
            return f"repaired by {who}" if who else "repaired"
        except simpy.Interrupt as stop:
            return f"rebuilt by {stop.cause.step}"

    def take_spare(self) -> Generator[simpy.Event, object, None]:
        """One-for-one stocking: every spare taken is reordered and arrives after the lead time."""
        assert self.spares is not None and self.comp.spare is not None
        self.env.process(self.deliver_spare(self.comp.spare.lead_time.sample(self.rng)))
        get = self.spares.get(1)
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
        yield self.spares.put(1)  # type: ignore[union-attr]
        self.world.rec.event(self.env.now, "spare_delivered", f"{self.site}.{self.cid}")
