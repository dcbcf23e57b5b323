"""Capacity that comes back with units: per-site pools of customer slots.

A component with `serves` gives its site a pool of (units up × serves) customer slots. A
customer group served at a site draws its `count` once from every pool there that its
services (through same-site dependencies) or its own pinned components require, however many
of its services use that pool. Groups are placed in priority order, so as units return,
groups come back in priority order; a group that does not fit stays out (groups are never
split) and a smaller, later group may still fit. The limit applies together with
`site.capacity`. Without any `serves` nothing here changes a result.
"""

from __future__ import annotations

from collections.abc import Mapping

from drsim.scenario.schema import Scenario

Pool = tuple[str, str]  # (site, component)


def requires_closure(sc: Scenario) -> dict[str, frozenset[str]]:
    """Components each service needs at its serving site: its `requires` and, through
    same-site dependencies, theirs (cross-site dependencies draw on their own site)."""
    out: dict[str, frozenset[str]] = {}

    def visit(svc: str) -> frozenset[str]:
        if svc not in out:
            s = sc.services[svc]
            comps = set(s.requires)
            for d in s.depends_on:
                if isinstance(d, str):
                    comps |= visit(d)
            out[svc] = frozenset(comps)
        return out[svc]

    for svc in sorted(sc.services):
        visit(svc)
    return out


class CapacityPools:
    """The pools of a scenario, and which pools a group uses at a site."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.serves: dict[Pool, int] = {
            (s, c): comp.serves for s, site in sorted(sc.sites.items())
            for c, comp in sorted(site.components.items()) if comp.serves is not None}
        self._needs = requires_closure(sc)
        self._uses: dict[tuple[str, str, str], frozenset[Pool]] = {}

    def uses(self, group: str, svc: str, site: str) -> frozenset[Pool]:
        """Pools at `site` that serving `svc` to `group` draws on."""
        key = (group, svc, site)
        got = self._uses.get(key)
        if got is None:
            comps = self._needs[svc] | set(self.sc.customers[group].requires)
            got = self._uses[key] = frozenset((site, c) for c in comps
                                              if (site, c) in self.serves)
        return got

    def units_key(self, units_down: Mapping[Pool, int]) -> tuple[tuple[Pool, int], ...]:
        """The part of the failure state that sizes the pools (empty without `serves`)."""
        if not self.serves:
            return ()
        return tuple(sorted((k, n) for k, n in units_down.items() if k in self.serves))

    def slots(self, pool: Pool, units_down: Mapping[Pool, int]) -> tuple[int, int]:
        """(units up, customer slots) of a pool now."""
        site, comp = pool
        up = self.sc.sites[site].components[comp].count - units_down.get(pool, 0)
        return up, up * self.serves[pool]

    def shortfall(self, group: str, svc: str, site: str,
                  serving: Mapping[tuple[str, str], str | None], order: list[str],
                  units_down: Mapping[Pool, int]) -> str | None:
        """Why `group` found no slots for `svc` at `site` (None: the pools had room), for the
        event log: the first pool too small once higher-priority groups took their share."""
        sc, count = self.sc, self.sc.customers[group].count
        before = order[:order.index(group)]
        for pool in sorted(self.uses(group, svc, site)):
            taken = sum(sc.customers[h].count for h in before
                        if any(serving.get((h, s)) == site and pool in self.uses(h, s, site)
                               for s in sc.customers[h].services))
            up, slots = self.slots(pool, units_down)
            if taken + count > slots:
                comp = sc.sites[site].components[pool[1]]
                return (f"no room at {site}: {pool[1]} {up} of {comp.count} units up × "
                        f"{comp.serves} = {slots} customers, {taken} taken by groups "
                        f"placed before it, {group} needs {count}")
        return None


class Placement:
    """One computation of the service rule: slots taken so far, and by whom."""

    def __init__(self, pools: CapacityPools, units_down: Mapping[Pool, int]) -> None:
        self.pools, self.units_down = pools, units_down
        self.taken: dict[Pool, int] = {}
        self.members: set[tuple[str, Pool]] = set()

    def fits(self, group: str, svc: str, site: str) -> bool:
        if not self.pools.serves:
            return True
        count = self.pools.sc.customers[group].count
        return all(self.taken.get(p, 0) + count <= self.pools.slots(p, self.units_down)[1]
                   for p in self.pools.uses(group, svc, site) if (group, p) not in self.members)

    def take(self, group: str, svc: str, site: str) -> None:
        if not self.pools.serves:
            return
        count = self.pools.sc.customers[group].count
        for p in self.pools.uses(group, svc, site):
            if (group, p) not in self.members:
                self.members.add((group, p))
                self.taken[p] = self.taken.get(p, 0) + count

