"""Staff: named people per role, their shift calendar, and call-out when off shift.

A person off shift is called out: they arrive after the call-out delay or at the start of
their next shift, whichever is sooner, and then stay available for `callout_hold`. A role may
be made of several rotas (follow the sun): each person belongs to one rota and keeps its
calendar (in its own time zone) and call-out delay; people are numbered across the rotas in
order (`sre#1`, `sre#2` from the first rota, then the second's).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime

import simpy
from simpy.resources.store import FilterStoreGet

from drsim.calendar import Calendar
from drsim.distributions import Distribution
from drsim.recorder import Cause, Recorder
from drsim.scenario.schema import Role
from drsim.sim.streams import Streams


class Crew:
    """The people of one role: a FIFO pool, so who does what is deterministic."""

    def __init__(self, env: simpy.Environment, role_id: str, role: Role, timezone: str,
                 origin: datetime, recorder: Recorder, streams: Streams) -> None:
        self.env, self.id, self.role, self.origin, self.rec = env, role_id, role, origin, recorder
        self.streams = streams  # each person's call-outs: their own `staff:<person>:callout`
        self.people: list[str] = []
        self.calendars: dict[str, Calendar] = {}
        self.callouts: dict[str, Distribution] = {}
        for rota in role.rotas():
            calendar = rota.shift.in_zone(timezone)
            for _ in range(rota.count):
                person = f"{role_id}#{len(self.people) + 1}"
                self.people.append(person)
                self.calendars[person], self.callouts[person] = calendar, rota.callout
        self.pool = simpy.FilterStore(env)
        self.pool.items.extend(self.people)
        self.called_in_until: dict[str, float] = {}
        self.busy_with: dict[str, str] = {}  # person → the task holding them (cause chains)

    def on_shift(self, person: str, t_s: float) -> bool:
        return self.calendars[person].is_open(self.origin, t_s)

    def ready(self, person: str, t_s: float) -> bool:
        """Can `person` start at t_s: on their rota's shift, or already called in."""
        return self.on_shift(person, t_s) or self.called_in_until.get(person, -1.0) > t_s

    def request(self) -> FilterStoreGet:
        """Ask for a person, preferring one who can start now (on shift or already called
        in) over calling out someone else: extra staff must never make a drill slower."""
        now = self.env.now
        ready = [p for p in self.pool.items if self.ready(p, now)]
        if ready:
            first = ready[0]
            return self.pool.get(lambda p: p == first)
        return self.pool.get()

    def busy(self) -> Cause:
        """Why a request waits: everyone of the role is at work on something else."""
        tasks = ", ".join(f"{p} on {self.busy_with.get(p, 'a task starting now')}"
                          for p in self.people if p not in self.pool.items)
        return Cause("staff", self.id, f"all {len(self.people)} of role {self.id} busy ({tasks})",
                     self.env.now)

    def first_ready(self) -> str:
        """Whom a page reaches: the first person on shift in any rota (busy or not: pages
        reach people at work too), else the role's first person, who is called out."""
        now = self.env.now
        return next((p for p in self.people if self.on_shift(p, now)), self.people[0])

    def arrival_delay_s(self, person: str) -> float:
        """Seconds before `person` can start work now (0 on shift or already called in)."""
        now = self.env.now
        if self.ready(person, now):
            return 0.0
        delay = min(self.callouts[person].sample(self.streams(f"staff:{person}:callout")),
                    self.calendars[person].wait_s(self.origin, now))
        self.called_in_until[person] = now + delay + self.role.callout_hold
        self.rec.event(now, "callout", person, f"off shift; arrives in {delay / 60:.0f} min")
        return delay


def task(by: tuple[str, str]) -> str:
    """What a person holding for `by` is busy with: 'failover.prepare' (a step), or
    'nyc.box (repair of unit 1)'."""
    return by[0] if by[1] == "start" else f"{by[0]} ({by[1]})"


class Staff:
    """All crews; acquires several roles for one task in sorted-role order (no deadlock)."""

    def __init__(self, crews: dict[str, Crew]) -> None:
        self.crews = crews

    def acquire(self, roles: list[str], by: tuple[str, str] | None = None
                ) -> Generator[simpy.Event, object, list[tuple[Crew, str]]]:
        """Process helper: wait for one person of each role, and for any call-outs. `by`
        (subject, what) names the task: its waits are recorded as cause chains, and people
        it holds are shown busy with it."""
        held: list[tuple[Crew, str]] = []
        try:
            for role in sorted(set(roles)):
                crew = self.crews[role]
                get = crew.request()
                label = task(by) if by is not None else "other work"
                if get.triggered:  # named now: others asking in this instant see who has them
                    crew.busy_with[str(get.value)] = label
                elif by is not None:
                    crew.rec.blocked(crew.env.now, *by, (crew.busy(),))
                try:
                    person = yield get
                except simpy.Interrupt:
                    if get.triggered:
                        crew.pool.put(get.value)  # granted in this same instant: give it back
                    else:
                        get.cancel()
                    raise
                held.append((crew, str(person)))
                crew.busy_with[str(person)] = label
            delays = [(crew.arrival_delay_s(p), crew, p) for crew, p in held]
            delay = max((d for d, _, _ in delays), default=0.0)
            if delay > 0:
                env = self.env_of(held)
                if by is not None:
                    held[0][0].rec.blocked(env.now, *by, tuple(
                        Cause("callout", p, f"{p} ({crew.id}) is off shift, called out",
                              env.now, env.now + d) for d, crew, p in delays if d > 0))
                yield env.timeout(delay)
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
            crew.busy_with.pop(person, None)  # until a new holder names itself
            crew.pool.put(person)
        held.clear()
