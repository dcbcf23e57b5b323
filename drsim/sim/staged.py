"""Staged work: a step's N units processed by k parallel workers, effects applied per batch.

Restoring a fleet is not one long task but many small ones done by a limited team: each
worker holds one person of every role of the step and takes the next unit as soon as it
finishes one; after every `batch` finished units the step's effects are applied once for
that batch (a rebuild brings up that many more units), so customers come back in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from drsim.recorder import Recorder
from drsim.scenario.schema import Staged, Step
from drsim.sim.staff import Staff

Result = tuple[float, tuple[str, ...], bool, int]


class StagedWork:
    """One run of a staged step: shared unit counters and the workers that drain them."""

    def __init__(self, env: simpy.Environment, rec: Recorder, staff: Staff, name: str,
                 step: Step, rng: np.random.Generator,
                 apply_batch: Callable[[int], None],
                 started: Callable[[str, str], None]) -> None:
        assert step.staged is not None
        self.env, self.rec, self.staff, self.name, self.step = env, rec, staff, name, step
        self.spec: Staged = step.staged
        self.rng, self.apply_batch, self.started = rng, apply_batch, started
        self.taken = self.finished = self.applied = 0
        self.started_s: list[float] = []
        self.who: list[str] = []

    def workers(self) -> int:
        """Workers that can run: as asked, unless fewer people of some role exist (or fewer
        units than workers); the timeline says why."""
        roles = sorted(set(self.step.roles))
        people = {r: self.staff.crews[r].role.count for r in roles}
        k = min([self.spec.workers, self.spec.units, *people.values()])
        short = [f"{people[r]} {r}" for r in roles if people[r] < self.spec.workers]
        if short:
            self.rec.event(self.env.now, "step_short_staffed", self.name,
                           f"{k} of {self.spec.workers} workers: only {', '.join(short)}")
        return k

    def run(self) -> Generator[simpy.Event, object, Result]:
        procs = [self.env.process(self.work_units(w + 1)) for w in range(self.workers())]
        yield simpy.AllOf(self.env, procs)
        start_s = min(self.started_s)  # workers() ≥ 1: someone started
        return start_s, tuple(self.who), True, 1

    def work_units(self, worker: int) -> Generator[simpy.Event, object, None]:
        # the step waits until its first worker can start
        held = yield from self.staff.acquire(self.step.roles,
                                             (self.name, "start") if worker == 1 else None)
        names = [p for _, p in held]
        for crew, person in held:  # every worker's people are busy with this step
            crew.busy_with[person] = self.name
        self.who.extend(p for p in names if p not in self.who)
        self.started_s.append(self.env.now)
        self.started(self.name, f"worker {worker}" + (f": {', '.join(names)}" if names else ""))
        try:
            while self.taken < self.spec.units:
                self.taken += 1
                yield self.env.timeout(self.spec.per_unit.sample(self.rng))
                self.finished += 1
                if (self.finished % self.spec.batch_size == 0
                        or self.finished == self.spec.units):
                    self.finish_batch()
        finally:
            self.staff.release(held)

    def finish_batch(self) -> None:
        units, self.applied = self.finished - self.applied, self.finished
        self.rec.event(self.env.now, "batch_done", self.name,
                       f"{self.finished} of {self.spec.units} units done")
        self.apply_batch(units)
