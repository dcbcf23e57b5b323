"""engine.simulate(): build the simpy world for one trial, start every actor, run, measure.

Actors are constructed without side effects, then started here in one place, in sorted-id
order, so the wiring can be inspected without running and no result depends on dict order.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import simpy

from drsim.errors import SimulationError
from drsim.metrics import IncidentRecord, compute
from drsim.recorder import Recorder
from drsim.result import RunResult
from drsim.scenario.schema import Link, Scenario, Site
from drsim.sim.component import ComponentActor
from drsim.sim.detection import Monitor
from drsim.sim.disruption import DisruptionInjector
from drsim.sim.facility import FacilityActor
from drsim.sim.runbook import RunbookExecutor
from drsim.sim.staff import Crew, Staff
from drsim.sim.streams import Streams
from drsim.sim.suspension import Suspension
from drsim.sim.world import World
from drsim.topology import Topology


class Drill:
    """The elaborated model of one trial: every actor built, none started."""

    # False: the result's timeline is left empty (a Monte Carlo row never reads it, so its
    # events are never made records: recorder.Recorder keeps them as tuples)
    timeline = True

    def __init__(self, scenario: Scenario, seed: int | None = None, trial: int = 0,
                 topology: Topology | None = None, env: simpy.Environment | None = None) -> None:
        sc = scenario
        self.scenario, self.trial = sc, trial
        self.seed = sc.simulation.seed if seed is None else seed
        self.env = env or simpy.Environment()
        self.origin = sc.simulation.origin
        self.recorder = Recorder(self.origin)
        self.streams = Streams(self.seed, trial)
        self.topology = topology or Topology(sc)
        self.world = World(self.env, sc, self.topology, self.recorder, self.streams)
        tz = sc.simulation.timezone
        self.staff = Staff({r: Crew(self.env, r, sc.staff[r], tz, self.origin, self.recorder,
                                    self.streams) for r in sorted(sc.staff)})
        random = sc.simulation.random_failures
        failing: tuple[tuple[str, Mapping[str, Site | Link]], ...] = (("site", sc.sites),
                                                                      ("link", sc.links))
        self.components = {
            (s, c): ComponentActor(self.env, self.world, self.staff, s, c, comp, self.streams,
                                   random)
            for s in sorted(sc.sites) for c, comp in sorted(sc.sites[s].components.items())}
        self.facilities = [
            FacilityActor(self.env, self.world, eid, kind, spec.ttf, spec.ttr,
                          self.streams(f"{kind}:{eid}:ttf"), self.streams(f"{kind}:{eid}:ttr"))
            for kind, table in failing
            for eid, spec in sorted(table.items())
            if random and spec.ttf is not None and spec.ttr is not None]
        self.suspension = Suspension(self.world, sc, self.components)
        if self.suspension:
            self.world.after_refresh.append(self.suspension.refresh)
        self.runbooks = RunbookExecutor(self.env, self.world, self.staff, sc, self.streams,
                                        self.origin, self.rebuild)
        self.monitor = Monitor(self.env, self.world, sc, self.staff, self.runbooks, self.streams)
        self.disruptions = DisruptionInjector(self.env, self.world, sc, self.components,
                                              self.streams, self.origin)

    def rebuild(self, site: str, component: str | None, by: str,
                units: int | None = None) -> None:
        for (s, c), actor in self.components.items():
            if s == site and (component is None or c == component):
                actor.rebuild(by, units)

    def start(self) -> None:
        for actor in self.components.values():
            actor.start()
        for facility in self.facilities:
            facility.start()
        self.monitor.start()
        self.disruptions.start()
        self.world.refresh()

    def run(self) -> RunResult:
        self.start()
        horizon = self.scenario.simulation.horizon
        try:
            with cycles_collected_after():
                self.env.run(until=horizon)
        except simpy.Interrupt as e:  # an interrupt that reached no handler: an engine bug
            raise SimulationError(f"unhandled interrupt in the engine: {e.cause!r}") from e
        return self.result()

    def result(self) -> RunResult:
        rec, sc = self.recorder, self.scenario
        horizon = sc.simulation.horizon
        rec.close()
        incidents = [IncidentRecord(i.number, i.start_s, i.detected_s, i.acknowledged_s,
                                    i.declared_s, i.end_s, tuple(sorted(i.groups)))
                     for i in self.world.incidents]
        metrics = compute(sc, rec.intervals, incidents, rec.losses, horizon)
        return RunResult(sc.name, self.seed, self.trial, self.origin, horizon,
                         tuple(rec.events) if self.timeline else (), tuple(rec.intervals),
                         tuple(rec.steps),
                         tuple(rec.losses), tuple(incidents), metrics, tuple(rec.whys),
                         tuple(self.runbooks.pending()))


@contextmanager
def cycles_collected_after(drill_garbage: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector paused while a trial runs. A trial allocates
    millions of short-lived objects, so the collector would run hundreds of times, each
    full pass walking every long-lived object (scenario, topology, the shared caches): a
    quarter of a trial's time on a 10-site year (issue 13). What a trial leaves in cycles
    is collected when the collector runs next, after it; nothing simulated depends on it.

    `drill_garbage`: the block is the whole trial (building the drill, running it,
    measuring it) and the drill is garbage by its end, so one pass over the youngest
    generation frees its cycles there. Re-enabled while the drill was alive, the collector
    walked every object the trial had made (all still reachable) and moved them to older
    generations to be walked again by full passes: a fifth of a 10-site trial more."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            if drill_garbage:
                gc.collect(0)
            gc.enable()


def simulate(scenario: Scenario, seed: int | None = None, trial: int = 0,
             topology: Topology | None = None, timeline: bool = True) -> RunResult:
    """Run one trial of `scenario` and return everything it produced (`timeline` False:
    without its event records, which a Monte Carlo row never reads)."""
    with cycles_collected_after(drill_garbage=True):
        drill = Drill(scenario, seed, trial, topology)
        drill.timeline = timeline
        result = drill.run()
        del drill  # garbage before the collector runs: its cycles are freed at once
        return result
