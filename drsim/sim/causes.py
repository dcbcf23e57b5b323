"""Why a customer group lacks a service (or is not fully recovered): the service rule's
tests, replayed for one group against the rule's answer, as a chain of causes.

The rule (world.compute_serving) only says who is served where; this module says why not,
in the same order as the rule tries: each candidate site's health (down elements, broken
components, corrupted data, placement, dependencies), the servers the group lives on, the
network path, then capacity, naming the groups placed ahead by priority. It runs only when
the state changes and only for groups without service, so it costs nothing while all is well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drsim.recorder import Cause
from drsim.scenario.schema import Dependency

if TYPE_CHECKING:
    from drsim.sim.world import Health, Serving, World


def unserved(world: World, group: str, svc: str, serving: Serving,
             memo: Health) -> tuple[Cause, ...]:
    """Why no site serves `svc` to `group`: every candidate site's first failed test."""
    down = world.down_set()
    chain: list[Cause] = []
    for site in world._candidates(group, svc, down):
        chain.extend(_refusal(world, group, svc, site, serving, memo, down))
    return tuple(chain)


def not_full(world: World, group: str) -> tuple[Cause, ...]:
    """Why `group` is not fully recovered: away from home, services served elsewhere or not
    at all, or its home short of redundancy the group relies on."""
    grp, chain = world.sc.customers[group], []
    home, assigned = grp.home, world.assigned[group]
    if assigned != home:
        chain.append(Cause("not_home", group, f"{group} is pointed at {assigned}, its home is "
                                              f"{home}"))
    for svc in grp.services:
        site = world.serving[group, svc]
        if site is None:
            chain.append(Cause("unserved", f"{svc}", f"{svc} is not served"))
        elif site != home:
            chain.append(Cause("away", f"{svc}@{site}", f"{svc} is served from {site}"))
    if home in world.down:
        chain.append(_site_down(world, home))
    for key in world.layout.reads[group].components:  # (home, component), by component
        lost = world.units_down.get(key, 0)
        if lost:
            comp = key[1]
            count = world.sc.sites[home].components[comp].count
            chain.append(Cause("redundancy", f"{home}.{comp}",
                               f"{comp} at {home}: {lost} of {count} units down",
                               world.degraded_since.get(key)))
    return tuple(chain)


def _refusal(world: World, group: str, svc: str, site: str, serving: Serving, memo: Health,
             down: frozenset[str]) -> list[Cause]:
    """The first of the rule's tests that `site` fails for (group, svc), as causes."""
    if not world._healthy(svc, site, memo):
        return unhealthy(world, svc, site, memo)
    grp = world.sc.customers[group]
    comps = world.sc.sites[site].components
    pinned = [c for c in grp.requires if c in comps and (site, c) in world._broken]
    if pinned:
        return [_broken(world, site, pinned[0], f" (the servers {group} lives on)")]
    budget = world.sc.services[svc].latency_budget
    if not world._reaches(grp.access, site, budget, down):
        # without a budget only a missing path refuses (no latency needed to tell)
        if budget is None or (lat := world.topo.latency(grp.access, site, down)) is None:
            return [_no_path(world, grp.access, site)]
        return [Cause("latency", site, f"{grp.access} to {site} takes {lat * 1000:.4g} ms, "
                                       f"over {svc}'s budget of {budget * 1000:.4g} ms")]
    ahead = _ahead(world, group, site, serving)
    cap = world.sc.sites[site].capacity
    if cap is not None and sum(world.sc.customers[h].count for h in ahead) + grp.count > cap:
        return [Cause("full", site, f"{site} is full (capacity {cap:,}: {_names(world, ahead)}"
                                    f" ahead by priority; {group} needs {grp.count:,})")]
    short = world.pools.shortfall(group, svc, site, serving, world.groups_by_priority,
                                  world.units_out())
    if short is not None:
        pool = sorted(world.pools.uses(group, svc, site))
        users = [h for h in ahead if any(p in world.pools.uses(h, s, site) for p in pool
                                         for s in world.sc.customers[h].services
                                         if serving.get((h, s)) == site)]
        return [Cause("no_room", site, f"{short} ({_names(world, users)} ahead by priority)")]
    return []  # the rule placed it elsewhere this instant (not reached in a settled state)


def unhealthy(world: World, svc: str, site: str, memo: Health) -> list[Cause]:
    """Why `svc` is not healthy at `site`, root causes included (dependencies followed)."""
    spec = world.sc.services[svc]
    if site not in world.active[svc]:
        return [Cause("not_active", f"{svc}@{site}", f"{svc} is not active at {site}")]
    if site in world.down:
        return [_site_down(world, site)]
    if (svc, site) in world.corrupted:
        return [Cause("data", f"{svc}@{site}", f"{svc} data at {site} corrupted, not yet "
                                               "restored", world.corrupted[svc, site])]
    broken = [c for c in spec.requires if (site, c) in world._broken]
    if broken:
        return [_broken(world, site, broken[0], "")]
    dep = next(d for d in spec.depends_on if not world._dependency_ok(d, site, memo))
    if isinstance(dep, str):
        return [Cause("dependency", f"{svc}@{site}", f"{svc} at {site} needs {dep} there"),
                *unhealthy(world, dep, site, memo)]
    return [Cause("dependency", f"{svc}@{site}", f"{svc} at {site} needs {dep.service}"
                                                 f" at {dep.at}"),
            *_remote(world, dep, site, memo)]


def _remote(world: World, dep: Dependency, site: str, memo: Health) -> list[Cause]:
    out: list[Cause] = []
    for there in (world.places[dep.service] if dep.anywhere else (dep.at,)):
        if not world._healthy(dep.service, there, memo):
            out.extend(unhealthy(world, dep.service, there, memo))
        else:
            out.append(_no_path(world, site, there))
    return out


def _site_down(world: World, site: str) -> Cause:
    return Cause("site_down", site, f"site {site} is down", world.down_since.get(site))


def _broken(world: World, site: str, comp: str, whose: str) -> Cause:
    c = world.sc.sites[site].components[comp]
    idle = world.units_idle[site, comp]
    up = c.count - world.units_down[site, comp] - idle
    spare = f", {idle} idle standby not in service" if idle else ""
    return Cause("component", f"{site}.{comp}",
                 f"{comp} at {site}: {up} of {c.count} units up, needs {c.k}{spare}{whose}",
                 world.broken_since.get((site, comp)))


def _no_path(world: World, source: str, site: str) -> Cause:
    """No up path from `source` to `site`: the links down are named (sites down on the way
    are causes of their own), since the latest of them went down."""
    cut = sorted(e for e in world.down if e in world.sc.links)
    links = f" (links down: {', '.join(cut)})" if cut else ""
    return Cause("unreachable", site, f"no network path from {source} to {site}{links}",
                 max((world.down_since[e] for e in cut), default=None))


def _ahead(world: World, group: str, site: str, serving: Serving) -> list[str]:
    """Groups placed before `group` (by priority) that the rule serves at `site`."""
    order = world.groups_by_priority
    return [h for h in order[:order.index(group)]
            if any(serving.get((h, s)) == site for s in world.sc.customers[h].services)]


def _names(world: World, groups: list[str]) -> str:
    """'enterprise 3,000 + smb 1,500' (or 'no group')."""
    return " + ".join(f"{h} {world.sc.customers[h].count:,}" for h in groups) or "no group"
