"""Failure suspension: components of a series system stop ageing while the system is down.

Textbook series systems assume a down system puts no stress on its working parts (a stopped
production line does not wear its other machines), which gives A = 1 / (1 + Σ λᵢ/μᵢ) instead
of Π Aᵢ. A component at a site stops ageing while any service that suspends it is down
there: services with `suspend_failures: true` suspend every component they require;
components with `suspend_when_down: true` are suspended by every service requiring them.
"Down" means active at the site and not healthy there (a standby site that serves nothing is
not down). After every world refresh the rule is re-evaluated.
"""

from __future__ import annotations

from collections import defaultdict

from drsim.scenario.schema import Scenario
from drsim.sim.component import ComponentActor
from drsim.sim.world import World


class Suspension:
    """Decides, after each refresh, which components are suspended and tells them."""

    def __init__(self, world: World, scenario: Scenario,
                 components: dict[tuple[str, str], ComponentActor]) -> None:
        self.world = world
        self.watch: dict[tuple[str, str], list[str]] = defaultdict(list)
        for svc_id, svc in sorted(scenario.services.items()):
            for site in sorted(world.places[svc_id]):
                comps = scenario.sites[site].components
                for cid in svc.requires:
                    if cid in comps and (svc.suspend_failures or comps[cid].suspend_when_down):
                        self.watch[site, cid].append(svc_id)
        self.actors = {key: components[key] for key in sorted(self.watch)}
        for actor in self.actors.values():
            actor.varying = True  # wiring, before start: its ageing speed can now change

    def __bool__(self) -> bool:
        return bool(self.watch)

    def refresh(self) -> None:
        w = self.world
        for (site, cid), actor in self.actors.items():
            down = [s for s in self.watch[site, cid]
                    if site in w.active[s] and not w.healthy_at[s, site]]
            actor.suspend(bool(down), ", ".join(f"{s}@{site} down" for s in down)
                          or "services needing it are up")
