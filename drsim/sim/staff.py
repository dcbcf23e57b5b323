"""Staff: named people per role, their shift calendar, and call-out when off shift.

A person off shift is called out: they arrive after the call-out delay or at the start of
their next shift, whichever is sooner, and then stay available for `callout_hold`.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime

import simpy

from drsim.recorder import Recorder
from drsim.scenario.schema import Role
from drsim.sim.streams import Streams


class Crew:
    """The people of one role: a FIFO pool, so who does what is deterministic."""

    def __init__(self, env: simpy.Environment, role_id: str, role: Role, timezone: str,
                 origin: datetime, recorder: Recorder, streams: Streams) -> None:
        self.env, self.id, self.role, self.origin, self.rec = env, role_id, role, origin, recorder
        self.calendar = role.shift.in_zone(timezone)
        self.rng = streams(f"staff:{role_id}")
        self.pool = simpy.FilterStore(env)
        self.pool.items.extend(f"{role_id}#{i + 1}" for i in range(role.count))
        self.called_in_until: dict[str, float] = {}

    def on_shift(self, t_s: float) -> bool:
        return self.calendar.is_open(self.origin, t_s)

    def request(self) -> simpy.Event:
        """Ask for a person, preferring one who can start now (on shift or already called
        in) over calling out someone else: extra staff must never make a drill slower."""
        now = self.env.now
        ready = [p for p in self.pool.items
                 if self.on_shift(now) or self.called_in_until.get(p, -1.0) > now]
        if ready:
            return self.pool.get(lambda p, first=ready[0]: p == first)
        return self.pool.get()

    def arrival_delay_s(self, person: str) -> float:
        """Seconds before `person` can start work now (0 on shift or already called in)."""
        now = self.env.now
        if self.on_shift(now) or self.called_in_until.get(person, -1.0) > now:
            return 0.0
        delay = min(self.role.callout.sample(self.rng), self.calendar.wait_s(self.origin, now))
        self.called_in_until[person] = now + delay + self.role.callout_hold
        self.rec.event(now, "callout", person, f"off shift; arrives in {delay / 60:.0f} min")
        return delay


class Staff:
    """All crews; acquires several roles for one task in sorted-role order (no deadlock)."""

    def __init__(self, crews: dict[str, Crew]) -> None:
        self.crews = crews

    def acquire(self, roles: list[str]) -> Generator[simpy.Event, object, list[tuple[Crew, str]]]:
        """Process helper: wait for one person of each role, and for any call-outs."""
        held: list[tuple[Crew, str]] = []
        try:
            for role in sorted(set(roles)):
                crew = self.crews[role]
                get = crew.request()
                try:
                    person = yield get
                except simpy.Interrupt:
                    if get.triggered:
                        crew.pool.put(get.value)  # granted in this same instant: give it back
                    else:
                        get.cancel()
                    raise
                held.append((crew, str(person)))
            delay = max((crew.arrival_delay_s(p) for crew, p in held), default=0.0)
            if delay > 0:
                yield self.env_of(held).timeout(delay)
        except BaseException:
            self.release(held)
            raise
        return held

    @staticmethod
    def env_of(held: list[tuple[Crew, str]]) -> simpy.Environment:
        return held[0][0].env

    @staticmethod
    def release(held: list[tuple[Crew, str]]) -> None:
        for crew, person in held:
            crew.pool.put(person)
        held.clear()
