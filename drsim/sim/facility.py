"""Whole-site and link outages: random ones from ttf/ttr, scripted ones from disruptions."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from drsim.distributions import Distribution
from drsim.sim.world import World


class FacilityActor:
    """A site or link that fails at random (ttf) and is restored after a ttr draw."""

    def __init__(self, env: simpy.Environment, world: World, element: str, kind: str,
                 ttf: Distribution, ttr: Distribution, rng: object) -> None:
        self.env, self.world, self.element, self.kind = env, world, element, kind
        self.ttf, self.ttr, self.rng = ttf, ttr, rng

    def start(self) -> None:
        self.env.process(self.fail_and_restore())

    def fail_and_restore(self) -> Generator[simpy.Event, object, None]:
        while True:
            yield self.env.timeout(self.ttf.sample(self.rng))  # type: ignore[arg-type]
            self.world.hit(self.element, self.kind)
            yield self.env.timeout(self.ttr.sample(self.rng))  # type: ignore[arg-type]
            self.world.heal(self.element, self.kind)


def outage(env: simpy.Environment, world: World, element: str, kind: str,
           duration_s: float) -> Generator[simpy.Event, object, None]:
    """A scripted outage of a site or link for a known duration."""
    world.hit(element, kind)
    yield env.timeout(duration_s)
    world.heal(element, kind)
