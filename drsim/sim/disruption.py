"""Disruption injector: scripted and correlated faults at an offset or a date-time."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime

import simpy

from drsim.calendar import sim_seconds
from drsim.scenario.schema import Disruption, Scenario
from drsim.sim.component import ComponentActor
from drsim.sim.facility import outage
from drsim.sim.streams import Streams
from drsim.sim.world import World


class DisruptionInjector:
    """Fires every disruption once; each hits all of its targets in the same instant."""

    def __init__(self, env: simpy.Environment, world: World, scenario: Scenario,
                 components: dict[tuple[str, str], ComponentActor], streams: Streams,
                 origin: datetime) -> None:
        self.env, self.world, self.sc, self.components = env, world, scenario, components
        self.streams, self.origin = streams, origin

    def start(self) -> None:
        for d in self.sc.disruptions:
            self.env.process(self.inject(d))

    def offset_s(self, d: Disruption) -> float:
        rng = self.streams(f"disruption:{d.id}")
        if isinstance(d.at, str):
            when = datetime.fromisoformat(d.at).replace(tzinfo=self.origin.tzinfo)
            return sim_seconds(self.origin, when)
        return d.at.sample(rng)

    def inject(self, d: Disruption) -> Generator[simpy.Event, object, None]:
        at_s = self.offset_s(d)
        if at_s < 0:
            return
        yield self.env.timeout(at_s)
        rng = self.streams(f"disruption:{d.id}")
        duration_s = d.duration.sample(rng) if d.duration else None
        self.world.rec.event(self.env.now, "disruption", d.id, d.description or "")
        for t in d.targets:
            if t.access:
                assert duration_s is not None  # validation refuses until: repaired
                self.env.process(self.close_access(t.access, duration_s, d.id))
                continue
            if t.component:
                site, _, cid = t.component.partition(".")
                self.components[site, cid].hit(t.units, d.id, duration_s)
                continue
            kind, element = ("site", t.site) if t.site else ("link", t.link)
            assert element is not None
            if duration_s is None:
                spec = (self.sc.sites[element] if kind == "site" else self.sc.links[element])
                restore = d.repair or spec.ttr
                assert restore is not None
                self.env.process(outage(self.env, self.world, element, kind, restore.sample(rng)))
            else:
                self.env.process(outage(self.env, self.world, element, kind, duration_s))

    def close_access(self, site: str, duration_s: float,
                     why: str) -> Generator[simpy.Event, object, None]:
        """Staff cannot enter `site` for the disruption's duration (the building is fine)."""
        self.world.close_access(site, True, why)
        yield self.env.timeout(duration_s)
        self.world.close_access(site, False, why)
