"""Runbook executor: steps as a DAG, each waiting for its predecessors, preconditions and
staff, then attempting its work with retries, a fallback step, and effects on the world."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime

import simpy

from drsim.recorder import StepRecord
from drsim.scenario.schema import Effect, Runbook, Scenario, Step
from drsim.sim.protection import RestorePlan, finish_restore, plan_restore
from drsim.sim.staff import Staff
from drsim.sim.streams import Streams
from drsim.sim.world import World

Proc = Generator[simpy.Event, object, bool]


class RunbookExecutor:
    """Starts runbooks on their triggers and carries out their steps."""

    def __init__(self, env: simpy.Environment, world: World, staff: Staff, scenario: Scenario,
                 streams: Streams, origin: datetime,
                 rebuild: Callable[[str, str | None, str], None]) -> None:
        self.env, self.world, self.staff, self.sc = env, world, staff, scenario
        self.streams, self.origin, self.rebuild = streams, origin, rebuild
        self.running: set[str] = set()
        self.plans: dict[int, RestorePlan] = {}  # restore effect → its planned copy
        self.changed: set[str] = set()  # runbooks whose steps have applied an effect
        self.windows = {w: cal.in_zone(scenario.simulation.timezone)
                        for w, cal in scenario.maintenance_windows.items()}

    def trigger(self, on: str) -> None:
        """Start every idle runbook whose trigger is `on` ('detected', 'declared')."""
        for rid in sorted(self.sc.runbooks):
            if self.sc.runbooks[rid].trigger == on:
                self.launch(rid)

    def launch(self, rid: str) -> None:
        if rid not in self.running:
            self.running.add(rid)
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
        if step.after:
            yield simpy.AllOf(self.env, [done[a] for a in step.after])
        upstream = [done[a].value for a in step.after]
        if not all(v is True for v in upstream) or self.called_off(rid):
            now = self.env.now
            cancelled = "cancelled" in upstream or self.called_off(rid)
            outcome = "cancelled" if cancelled else "skipped"
            self.world.rec.steps.append(StepRecord(rid, step.id, now, now, (), outcome, 0, 0.0))
            done[step.id].succeed(outcome)
            return
        ok = yield from self.perform(rid, step)
        if not ok and step.fallback:
            ok = yield from self.perform(rid, steps[step.fallback], role="fallback")
        if step.fallback and not done[step.fallback].triggered:
            done[step.fallback].succeed(ok)  # steps after a fallback follow the pair's outcome
        done[step.id].succeed(ok)

    def called_off(self, rid: str) -> bool:
        """A cancellable runbook that has changed nothing yet is called off once customers
        have service again (say, the primary came back before the failover got going)."""
        return (self.sc.runbooks[rid].cancel_if_recovered and rid not in self.changed
                and not self.world.impacted())

    def perform(self, rid: str, step: Step, role: str = "") -> Proc:
        rng = self.streams(f"step:{rid}.{step.id}")
        ready_s = self.env.now
        yield from self.await_preconditions(step)
        held = yield from self.staff.acquire(step.roles)
        start_s, attempts, ok = self.env.now, 0, False
        self.world.rec.event(start_s, "step_start", f"{rid}.{step.id}",
                             ", ".join(p for _, p in held))
        try:
            while not ok and attempts <= step.retries:
                attempts += 1
                transfer_s = yield from self.transfer_time(step)
                yield self.env.timeout(step.duration.sample(rng) + transfer_s)
                ok = step.success >= 1.0 or bool(rng.random() < step.success)
                ok = self.copies_found(step, f"{rid}.{step.id}") and ok
                if not ok:
                    self.world.rec.event(self.env.now, "step_attempt_failed", f"{rid}.{step.id}",
                                         f"attempt {attempts} of {step.retries + 1}")
        finally:
            who = tuple(p for _, p in held)
            self.staff.release(held)
        if ok and step.effects:
            self.changed.add(rid)
            for effect in step.effects:
                self.apply(effect, f"{rid}.{step.id}")
        outcome = ("ok" if ok else "failed") if not role else (f"{role} ok" if ok else
                                                               f"{role} failed")
        self.world.rec.steps.append(StepRecord(rid, step.id, start_s, self.env.now, who, outcome,
                                               attempts, start_s - ready_s))
        self.world.rec.event(self.env.now, "step_end", f"{rid}.{step.id}", outcome)
        return ok

    def await_preconditions(self, step: Step) -> Generator[simpy.Event, object, None]:
        req = step.requires
        window = self.windows[req.window] if req.window else None
        while True:
            wait_s = window.wait_s(self.origin, self.env.now) if window else 0.0
            if wait_s > 0:
                yield self.env.timeout(wait_s)
                continue
            if all(self.world.link_up(link) for link in req.link_up) and all(
                    self.world.site_fully_healthy(s) for s in req.site_healthy):
                return
            yield self.world.change

    def transfer_time(self, step: Step) -> Generator[simpy.Event, object, float]:
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
                yield self.world.change  # no path or copy yet: wait for the world to change
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

    def apply(self, effect: Effect, by: str) -> None:
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
            self.rebuild(effect.rebuild.site, effect.rebuild.component, by)
        world.touch()
