"""Whole-site and link outages (random ones from ttf/ttr, scripted ones from disruptions),
and power losses at a site."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Protocol

import numpy as np
import simpy

from drsim.distributions import Distribution
from drsim.sim.world import World


class Powered(Protocol):
    """Something at a site that stops without power (a component's units)."""

    def power_off(self, disruption: str) -> None: ...

    def power_on(self) -> None: ...


class FacilityActor:
    """A site or link that fails at random (ttf) and is restored after a ttr draw; times to
    failure and times to restore come from two streams (`<kind>:<id>:ttf`, `<kind>:<id>:ttr`),
    so changing one distribution leaves the other's draws as they were."""

    def __init__(self, env: simpy.Environment, world: World, element: str, kind: str,
                 ttf: Distribution, ttr: Distribution, ttf_rng: np.random.Generator,
                 ttr_rng: np.random.Generator) -> None:
        self.env, self.world, self.element, self.kind = env, world, element, kind
        self.ttf, self.ttr, self.ttf_rng, self.ttr_rng = ttf, ttr, ttf_rng, ttr_rng

    def start(self) -> None:
        self.env.process(self.fail_and_restore())

    def fail_and_restore(self) -> Generator[simpy.Event, object, None]:
        while True:
            yield self.env.timeout(self.ttf.sample(self.ttf_rng))
            self.world.hit(self.element, self.kind)
            yield self.env.timeout(self.ttr.sample(self.ttr_rng))
            self.world.heal(self.element, self.kind)


def outage(env: simpy.Environment, world: World, element: str, kind: str,
           duration_s: float) -> Generator[simpy.Event, object, None]:
    """A scripted outage of a site or link for a known duration."""
    world.hit(element, kind)
    yield env.timeout(duration_s)
    world.heal(element, kind)


def power_outage(env: simpy.Environment, world: World, site: str, units: Sequence[Powered],
                 disruption: str, duration_s: float) -> Generator[simpy.Event, object, None]:
    """A site without power for a known duration: the site is down and every component unit
    there goes down (repairs pause); when power returns the site is up at once and each unit
    comes back after its component's restart time."""
    world.rec.event(env.now, "power_off", site, disruption)
    world.hit(site, "site")
    for actor in units:
        actor.power_off(disruption)
    yield env.timeout(duration_s)
    world.rec.event(env.now, "power_on", site, f"{disruption}; components restart")
    for actor in units:
        actor.power_on()
    world.heal(site, "site")
