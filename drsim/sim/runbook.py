"""Runbook executor: steps as a DAG, each waiting for its predecessors, preconditions and
staff, then attempting its work with retries, a fallback step, and effects on the world."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from datetime import datetime

import simpy

from drsim.recorder import Cause, PendingStep, StepRecord
from drsim.scenario.schema import Effect, Runbook, Scenario, Step
from drsim.sim.conditions import failed_when, unmet_requirements
from drsim.sim.protection import RestorePlan, finish_restore, plan_restore
from drsim.sim.staff import Staff
from drsim.sim.staged import StagedWork
from drsim.sim.streams import Streams, Substreams
from drsim.sim.world import World

Proc = Generator[simpy.Event, object, bool]
STARTS = {"detected": "when the incident is detected", "declared": "when a disaster is declared",
          "auto_failover_failed": "when automatic failover fails"}  # a runbook's trigger


class RunbookExecutor:
    """Starts runbooks on their triggers and carries out their steps."""

    def __init__(self, env: simpy.Environment, world: World, staff: Staff, scenario: Scenario,
                 streams: Streams, origin: datetime,
                 rebuild: Callable[[str, str | None, str, int | None], None]) -> None:
        self.env, self.world, self.staff, self.sc = env, world, staff, scenario
        self.streams, self.origin, self.rebuild = streams, origin, rebuild
        self.running: set[str] = set()
        self.plans: dict[int, RestorePlan] = {}  # restore effect → its planned copy
        self.changed: set[str] = set()  # runbooks whose steps have applied an effect
        self.windows = {w: cal.in_zone(scenario.simulation.timezone)
                        for w, cal in scenario.maintenance_windows.items()}
        self.launched: list[str] = []  # runbooks started, in order
        self.state: dict[str, tuple[str, float]] = {}  # unfinished step → (state, since)

    def trigger(self, on: str) -> None:
        """Start every idle runbook whose trigger is `on` ('detected', 'declared')."""
        for rid in sorted(self.sc.runbooks):
            if self.sc.runbooks[rid].trigger == on:
                self.launch(rid)

    def launch(self, rid: str) -> None:
        if rid not in self.running:
            self.running.add(rid)
            self.launched.append(rid)
            self.world.runbooks_running += 1
            self.env.process(self.execute_runbook(rid))

    def execute_runbook(self, rid: str) -> Generator[simpy.Event, object, None]:
        book: Runbook = self.sc.runbooks[rid]
        self.world.rec.event(self.env.now, "runbook_start", rid)
        done = {s.id: self.env.event() for s in book.steps}
        fallbacks = {s.fallback for s in book.steps if s.fallback}
        steps = {s.id: s for s in book.steps}
        for step in book.steps:
            if step.id not in fallbacks:
                self.env.process(self.run_step(rid, step, steps, done))
        yield simpy.AllOf(self.env, [done[s] for s in done if s not in fallbacks])
        outcomes = [done[s].value for s in done if s not in fallbacks]
        ok = all(v is True for v in outcomes)
        verdict = "completed" if ok else ("cancelled" if "cancelled" in outcomes else "failed")
        self.world.rec.event(self.env.now, "runbook_end", rid, verdict)
        self.running.discard(rid)
        self.changed.discard(rid)
        self.world.runbooks_running -= 1
        self.world.touch()
        if ok:
            for other in sorted(self.sc.runbooks):
                trig = self.sc.runbooks[other].trigger
                if not isinstance(trig, str) and trig.after == rid:
                    self.launch(other)

    def run_step(self, rid: str, step: Step, steps: dict[str, Step],
                 done: dict[str, simpy.Event]) -> Generator[simpy.Event, object, None]:
        key, now = f"{rid}.{step.id}", self.env.now
        self.state[key] = ("waiting", now)
        if step.after:
            ahead = [a for a in step.after if not done[a].triggered]
            if ahead:
                self.world.rec.blocked(now, key, "start", tuple(
                    Cause("after", f"{rid}.{a}", f"{rid}.{a} to finish", now) for a in ahead))
            yield simpy.AllOf(self.env, [done[a] for a in step.after])
        upstream = [done[a].value for a in step.after]
        if not all(v is True for v in upstream) or self.called_off(rid):
            now = self.env.now
            cancelled = "cancelled" in upstream or self.called_off(rid)
            outcome = "cancelled" if cancelled else "skipped"
            self.record(StepRecord(rid, step.id, now, now, (), outcome, 0, 0.0))
            done[step.id].succeed(outcome)
            return
        ok = yield from self.run_branch(rid, step)
        current = step
        while not ok and current.fallback:  # a fallback may have its own fallback
            current = steps[current.fallback]
            ok = yield from self.run_branch(rid, current, role="fallback")
        fallback, seen = step.fallback, {step.id}
        while fallback and fallback not in seen:  # steps after a fallback follow the chain
            if not done[fallback].triggered:
                done[fallback].succeed(ok)
            seen.add(fallback)
            fallback = steps[fallback].fallback
        done[step.id].succeed(ok)

    def run_branch(self, rid: str, step: Step, role: str = "") -> Proc:
        """Perform `step` unless its `when` conditions say it is not needed now (a branch
        not taken: recorded with the failing condition; successors proceed)."""
        if step.when is not None:
            why = failed_when(self.world, step.when, self.origin,
                              self.sc.simulation.timezone, self.env.now)
            if why is not None:
                now = self.env.now
                self.record(StepRecord(rid, step.id, now, now, (), "not needed", 0, 0.0))
                self.world.rec.event(now, "step_not_needed", f"{rid}.{step.id}", why)
                return True
        return (yield from self.perform(rid, step, role))

    def record(self, done: StepRecord) -> None:
        """Log a finished step (it no longer waits or works)."""
        key = f"{done.runbook}.{done.step}"
        self.state.pop(key, None)
        self.world.rec.unblocked(done.end_s, key, "start")
        self.world.rec.steps.append(done)

    def started(self, key: str, who: str) -> None:
        """A step's work begins: its wait (if any) ends here."""
        now = self.env.now
        if self.state.get(key, ("",))[0] != "working":  # staged work: its first worker
            self.state[key] = ("working", now)
        self.world.rec.unblocked(now, key, "start")
        self.world.rec.event(now, "step_start", key, who)

    def pending(self) -> list[PendingStep]:
        """Steps not done at the horizon: those of started runbooks still waiting or at work,
        and runbooks that never started although the incident (or a runbook they follow) did;
        why each waits is in the open cause chains."""
        out = [PendingStep(*self.split(key), state, since, "")
               for key, (state, since) in sorted(self.state.items(), key=lambda kv: kv[1][1])]
        for rid, book in sorted(self.sc.runbooks.items()):
            trig = book.trigger
            if rid in self.launched:
                continue
            if isinstance(trig, str) and self.world.incidents:
                since = self.world.incidents[0].start_s
                out.append(PendingStep(rid, "", "not started", since,
                                       f"it starts {STARTS[trig]}, which had not happened"))
            elif not isinstance(trig, str) and trig.after in self.running:
                out.append(PendingStep(rid, "", "not started", self.env.now,
                                       f"it starts when runbook {trig.after} completes"))
        return out

    @staticmethod
    def split(key: str) -> tuple[str, str]:
        """'runbook.step' → (runbook, step) (runbook ids have no dots)."""
        rid, _, step = key.partition(".")
        return rid, step

    def called_off(self, rid: str) -> bool:
        """A cancellable runbook that has changed nothing yet is called off once customers
        have service again (say, the primary came back before the failover got going)."""
        return (self.sc.runbooks[rid].cancel_if_recovered and rid not in self.changed
                and not self.world.impacted())

    def perform(self, rid: str, step: Step, role: str = "") -> Proc:
        rng = self.streams.of(f"step:{rid}.{step.id}")
        ready_s = self.env.now
        self.state.setdefault(f"{rid}.{step.id}", ("waiting", ready_s))
        gave_up = yield from self.await_preconditions(rid, step)
        if gave_up is not None:
            return self.give_up(rid, step, role, ready_s, gave_up)
        if step.staged is not None:
            start_s, who, ok, attempts = yield from self.work_staged(rid, step, rng)
        else:
            start_s, who, ok, attempts = yield from self.work(rid, step, rng)
        if ok and step.effects and step.staged is None:
            self.changed.add(rid)
            for effect in step.effects:
                self.apply(effect, f"{rid}.{step.id}")
        outcome = ("ok" if ok else "failed") if not role else (f"{role} ok" if ok else
                                                               f"{role} failed")
        self.record(StepRecord(rid, step.id, start_s, self.env.now, who, outcome, attempts,
                               start_s - ready_s))
        self.world.rec.event(self.env.now, "step_end", f"{rid}.{step.id}", outcome)
        return ok

    def work(self, rid: str, step: Step, rng: Substreams) -> Generator[
            simpy.Event, object, tuple[float, tuple[str, ...], bool, int]]:
        """Attempts with retries; a failed attempt costs a duration draw, or a discovery
        draw (the time to notice the failure) when the step has one."""
        key = f"{rid}.{step.id}"
        held = yield from self.staff.acquire(step.roles, (key, "start"))
        start_s, attempts, ok = self.env.now, 0, False
        self.started(key, ", ".join(p for _, p in held))
        try:
            while not ok and attempts <= step.retries:
                attempts += 1
                transfer_s = yield from self.transfer_time(key, step)
                if step.discovery is None:
                    yield self.env.timeout(step.duration.sample(rng("duration")) + transfer_s)
                    ok = step.success >= 1.0 or bool(rng("success").random() < step.success)
                else:
                    ok = step.success >= 1.0 or bool(rng("success").random() < step.success)
                    yield self.env.timeout(step.duration.sample(rng("duration")) + transfer_s
                                           if ok else step.discovery.sample(rng("discovery")))
                ok = self.copies_found(step, f"{rid}.{step.id}") and ok
                if not ok:
                    self.world.rec.event(self.env.now, "step_attempt_failed", f"{rid}.{step.id}",
                                         f"attempt {attempts} of {step.retries + 1}")
        finally:
            who = tuple(p for _, p in held)
            self.staff.release(held)
        return start_s, who, ok, attempts

    def work_staged(self, rid: str, step: Step, rng: Substreams) -> Generator[
            simpy.Event, object, tuple[float, tuple[str, ...], bool, int]]:
        def apply_batch(units: int) -> None:
            self.changed.add(rid)
            for effect in step.effects:
                self.apply(effect, f"{rid}.{step.id}", units)
        job = StagedWork(self.env, self.world.rec, self.staff, f"{rid}.{step.id}", step,
                         rng("per_unit"), apply_batch, self.started)
        return (yield from job.run())

    def give_up(self, rid: str, step: Step, role: str, ready_s: float, why: str) -> bool:
        """A step whose preconditions timed out: it fails (its fallback runs) or is skipped."""
        now, skip = self.env.now, step.requires.on_timeout == "skip"
        outcome = "skipped" if skip else (f"{role} failed" if role else "failed")
        self.record(StepRecord(rid, step.id, now, now, (), outcome, 0, now - ready_s))
        self.world.rec.event(now, "step_timeout", f"{rid}.{step.id}",
                             f"{why}; {'skipped' if skip else 'failed without an attempt'}")
        return skip

    def await_preconditions(self, rid: str, step: Step) -> Generator[simpy.Event, object,
                                                                      str | None]:
        """Wait until the window is open and every precondition holds; None when they do,
        or why the step gave up once `requires.timeout` has passed."""
        req = step.requires
        window = self.windows[req.window] if req.window else None
        deadline_s = self.env.now + (req.timeout if req.timeout is not None else math.inf)
        told, key = "", f"{rid}.{step.id}"
        while True:
            now = self.env.now
            wait_s = window.wait_s(self.origin, now) if window else 0.0
            unmet = ([Cause("window", str(req.window), f"maintenance window {req.window}",
                            None, now + wait_s)] if wait_s > 0
                     else unmet_requirements(self.world, req))
            if not unmet:
                return None
            self.world.rec.blocked(now, key, "start", tuple(unmet))
            waiting = ", ".join(c.detail for c in unmet)
            if self.env.now >= deadline_s:
                assert req.timeout is not None
                return f"gave up after {req.timeout / 60:g} min waiting for {waiting}"
            if waiting != told:
                self.world.rec.event(self.env.now, "step_waiting", f"{rid}.{step.id}",
                                     f"waits for {waiting}")
                told = waiting
            wake = self.env.timeout(wait_s) if wait_s > 0 else self.world.change
            yield wake | self.env.timeout(deadline_s - self.env.now) if req.timeout else wake

    def transfer_time(self, key: str, step: Step) -> Generator[simpy.Event, object, float]:
        """Seconds to restore the data of every restore effect (protection.plan_restore:
        unusable copies' discovery + size ÷ throughput or bottleneck bandwidth)."""
        total = 0.0
        for effect in step.effects:
            if effect.restore is None:
                continue
            r, told = effect.restore, ""
            while True:
                plan = plan_restore(self.world, r.service, r.to, r.from_)
                if not plan.wait:
                    break
                if plan.wait != told:  # say why once per reason, not at every change
                    told = plan.wait
                    self.world.rec.event(self.env.now, "restore_waiting", r.service,
                                         f"to {r.to}: {plan.wait}")
                    self.world.rec.blocked(self.env.now, key, "restore", (Cause(
                        "restore", r.service, f"restore of {r.service} to {r.to}: {plan.wait}",
                        self.env.now),))
                yield self.world.change  # no path or copy yet: wait for the world to change
            self.world.rec.unblocked(self.env.now, key, "restore")
            self.plans[id(effect)] = plan
            total += plan.time_s
        return total

    def copies_found(self, step: Step, by: str) -> bool:
        """False (the attempt fails) when a restore effect found no usable copy at all."""
        for effect in step.effects:
            plan = self.plans.get(id(effect))
            if plan is not None and plan.source is None:
                self.world.rec.event(self.env.now, "restore_failed", by, plan.detail())
                return False
        return True

    def apply(self, effect: Effect, by: str, units: int | None = None) -> None:
        now, rec, world = self.env.now, self.world.rec, self.world
        if effect.activate:
            world.place(effect.activate.service, effect.activate.site, True)
            rec.event(now, "activated", effect.activate.service, f"at {effect.activate.site}")
        elif effect.deactivate:
            world.place(effect.deactivate.service, effect.deactivate.site, False)
            rec.event(now, "deactivated", effect.deactivate.service,
                      f"at {effect.deactivate.site}")
        elif effect.move:
            groups = (sorted(self.sc.customers) if effect.move.groups == "all"
                      else effect.move.groups)
            for g in groups:
                world.assign(g, self.sc.customers[g].home if effect.move.to == "home"
                             else effect.move.to)
            rec.event(now, "moved", ", ".join(groups), f"to {effect.move.to}")
        elif effect.restore:
            plan = self.plans.pop(id(effect))
            rec.event(now, "restored", effect.restore.service,
                      f"data at {effect.restore.to} {plan.detail()}")
            finish_restore(world, plan)
        elif effect.rebuild:
            self.rebuild(effect.rebuild.site, effect.rebuild.component, by,
                         units if units is not None else effect.rebuild.units)
        world.touch()
