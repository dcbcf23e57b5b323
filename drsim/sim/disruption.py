"""Disruption injector: scripted and correlated faults at an offset or a date-time.

A disruption strikes all its targets in one instant; its cascades then spread after a delay
and with a probability (fire between halls), nesting. Every draw has its own stream:
`disruption:<id>:at`, `:duration`, `:restore:<site or link>`; a cascade's
`cascade:<disruption>/<index>[/<index>...]:after`, `:spreads`, `:duration`, `:restore:<...>`.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import datetime

import simpy

from drsim.calendar import sim_seconds
from drsim.scenario.schema import Cascade, Disruption, Scenario
from drsim.sim.component import ComponentActor
from drsim.sim.facility import outage, power_outage
from drsim.sim.streams import Streams, Substreams
from drsim.sim.world import World


class DisruptionInjector:
    """Fires every disruption once; each hits all of its targets in the same instant."""

    def __init__(self, env: simpy.Environment, world: World, scenario: Scenario,
                 components: dict[tuple[str, str], ComponentActor], streams: Streams,
                 origin: datetime) -> None:
        self.env, self.world, self.sc, self.components = env, world, scenario, components
        self.streams, self.origin = streams, origin

    def start(self) -> None:
        for site in sorted(power_sites(self.sc.disruptions)):
            for (s, _), actor in sorted(self.components.items()):
                if s == site:
                    actor.power_exposed = True  # its repairs may pause for power
        for d in self.sc.disruptions:
            self.env.process(self.inject(d))

    def offset_s(self, d: Disruption) -> float:
        if isinstance(d.at, str):
            when = datetime.fromisoformat(d.at).replace(tzinfo=self.origin.tzinfo)
            return sim_seconds(self.origin, when)
        return d.at.sample(self.streams(f"disruption:{d.id}:at"))

    def inject(self, d: Disruption) -> Generator[simpy.Event, object, None]:
        at_s = self.offset_s(d)
        if at_s < 0:
            return
        yield self.env.timeout(at_s)
        self.world.rec.event(self.env.now, "disruption", d.id, d.description or "")
        self.strike(d.id, d, self.streams.of(f"disruption:{d.id}"))

    def strike(self, fault: str, d: Disruption | Cascade, rng: Substreams) -> None:
        """Hit every target of `d` now, then let its cascades spread from this instant."""
        duration_s = d.duration.sample(rng("duration")) if d.duration else None
        for t in d.targets:
            if t.data:
                assert t.site is not None
                self.world.corrupt(t.data, t.site, fault)
                continue
            if t.access:
                assert duration_s is not None  # validation refuses until: repaired
                self.env.process(self.close_access(t.access, duration_s, fault))
                continue
            if t.component:
                site, _, cid = t.component.partition(".")
                self.components[site, cid].hit(t.units, fault, duration_s)
                continue
            kind, element = (("site", t.site) if t.site else ("link", t.link) if t.link
                             else ("power", t.power))
            assert element is not None
            if duration_s is None:
                spec = (self.sc.links[element] if kind == "link" else self.sc.sites[element])
                restore = d.repair or spec.ttr
                assert restore is not None
                span_s = restore.sample(rng(f"restore:{element}"))
            else:
                span_s = duration_s
            if kind == "power":
                actors = [a for (s, _), a in sorted(self.components.items()) if s == element]
                self.env.process(power_outage(self.env, self.world, element, actors, fault,
                                              span_s))
            else:
                self.env.process(outage(self.env, self.world, element, kind, span_s))
        for i, c in enumerate(d.cascade):
            self.env.process(self.spread(f"{fault}/{i}", c))

    def spread(self, fault: str, c: Cascade) -> Generator[simpy.Event, object, None]:
        """A cascade: after its delay and with its probability (each drawn from its own
        stream, `cascade:<disruption>/<index>[/<index>...]:after` and `:spreads`), strike
        its targets."""
        rng = self.streams.of(f"cascade:{fault}")
        delay_s = c.after.sample(rng("after"))
        spreads = c.probability >= 1 or rng("spreads").random() < c.probability
        yield self.env.timeout(delay_s)
        if not spreads:
            self.world.rec.event(self.env.now, "cascade_spared", fault,
                                 f"did not spread (probability {c.probability:.0%})")
            return
        self.world.rec.event(self.env.now, "disruption", fault,
                             c.description or f"spread from {fault.rpartition('/')[0]}")
        self.strike(fault, c, rng)

    def close_access(self, site: str, duration_s: float,
                     why: str) -> Generator[simpy.Event, object, None]:
        """Staff cannot enter `site` for the disruption's duration (the building is fine)."""
        self.world.close_access(site, True, why)
        yield self.env.timeout(duration_s)
        self.world.close_access(site, False, why)


def power_sites(faults: Sequence[Disruption | Cascade]) -> set[str]:
    """Every site a power target names, cascades included."""
    found = {t.power for d in faults for t in d.targets if t.power}
    for d in faults:
        found |= power_sites(d.cascade)
    return found
