"""A Markovian scenario → one continuous-time Markov chain, or a refusal naming the element.

**Which scenarios are Markovian** (what the exact and rare methods accept): random failures
on (`simulation.random_failures: true`), and every element that can fail —

- a site or link with exponential `ttf` and exponential `ttr`;
- a component with exponential `ttf` and `ttr` (or `ttr: 0s`: never down), k-of-n
  (`needed`), repaired by anyone at once (no `repair_role`: every failed unit in repair) or by
  a `repair_role` whose people are on shift 24x7 with no call-out delay and repair nothing
  else (c people = c repair crews: min(failed, c) repairs at a time);
- standby units (`standby`): cold or warm, an instant switchover (`0s`) for any number of
  units, or an exponential switchover for one active and one standby unit, each with its
  `success` probability;

and nothing that waits on a clock or a person outside that: no scripted `disruptions`, no
`runbooks` (their steps wait for detection, which checks at fixed intervals), no hot standby
(it waits for detection too), no spare-part stock, no failure suspension, no service
dependencies, no capacity limits (`capacity`, `serves`). Anything else is refused with one
line naming the element and what the exact method would need; `--method des` answers it.

**The chain.** Elements fail and are repaired independently of each other (a site's random
failure does not touch its components in drsim: only a power disruption does), so the chain
is the product of one small chain per element (a *block*): a site or link has states up/down;
a component with n identical units has states "j units failed" (plus "switchover running"
with an exponential switchover), so grouping identical units keeps it at n + 1 states instead
of 2ⁿ. The joint generator is the Kronecker sum of the blocks' generators. Whether customer
group g has basic service in a joint state is decided by drsim's own service rule (the
group's essential services, each at its home site or, when active at several sites, any
other active site that is up, has its required components at k, and is reachable from the
group's access point over up links), evaluated once per distinct set of failed elements.
Components no group's essential service or servers use are left out (they are independent
of everything that matters, so leaving them out changes no answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from drsim.errors import DrsimError

if TYPE_CHECKING:
    from scipy import sparse

    from drsim.distributions import Distribution
    from drsim.scenario.schema import Component, Link, Scenario, Site

MAX_STATES = 200_000


class NotMarkovian(DrsimError):
    """The scenario has an element the exact and rare methods cannot model: `reasons` holds
    one line per element (`path: what; what the method needs (use --method des)`)."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        super().__init__(reasons[0] + more)


@dataclass(frozen=True)
class Block:
    """One element's own chain: generator `q`, which transitions are failures (moving away
    from all-up, for failure biasing), and which local states put the element out
    (a site or link down; a component below `needed` working units)."""

    element: str  # 'sites.a', 'links.x', 'components.a.box'
    q: np.ndarray
    failure: np.ndarray  # bool, same shape as q
    out: np.ndarray  # bool per local state
    labels: tuple[str, ...]

    @property
    def size(self) -> int:
        return int(self.q.shape[0])


@dataclass(frozen=True)
class Model:
    """The joint chain: generator `q` (sparse, rates per second), the failure transitions,
    and per customer group (`groups`, with `customers` each) which states give it basic
    service. State 0 is everything up."""

    blocks: tuple[Block, ...]
    groups: tuple[str, ...]
    customers: np.ndarray
    q: sparse.csr_matrix
    failure: sparse.csr_matrix
    up: np.ndarray  # bool [group, state]
    horizon_s: float
    notes: tuple[str, ...] = field(default=())

    @property
    def size(self) -> int:
        return int(self.q.shape[0])

    @property
    def weights(self) -> np.ndarray:
        """Customer share of each group (sums to 1)."""
        return self.customers / self.customers.sum()

    def down_weight(self) -> np.ndarray:
        """Per state, the customer-weighted share without basic service (drsim's
        'unavailability' per unit time)."""
        return self.weights @ (~self.up).astype(float)


# ---- what is Markovian --------------------------------------------------------------------


def _rate(dist: Distribution | None, path: str, what: str, reasons: list[str]) -> float | None:
    """1 / mean of an exponential `dist` (None when absent), else a reason."""
    if dist is None:
        return None
    if dist.family == "exponential":
        return 1.0 / dist.params[0]
    shown = f"fixed at {dist.describe()}" if dist.is_fixed else dist.describe()
    reasons.append(f"{path}: {what} is {shown}; the exact method needs exponential "
                   "(use --method des)")
    return None


def _is_zero(dist: Distribution | None) -> bool:
    return dist is not None and dist.is_fixed and dist.params[0] == 0


def _scenario_reasons(sc: Scenario) -> list[str]:
    """Whatever the scenario does outside the Markovian subset, one line each."""
    reasons = []
    if not sc.simulation.random_failures:
        reasons.append("simulation.random_failures: false, so nothing fails at random; the "
                       "exact method answers questions about random failures (set it true)")
    if sc.disruptions:
        reasons.append(f"disruptions.{sc.disruptions[0].id}: scripted faults strike at given "
                       "times, not at exponential rates; the exact method needs random "
                       "failures only (use --method des)")
    for rid in sorted(sc.runbooks):
        reasons.append(f"runbooks.{rid}: runbook steps wait for detection (checks at fixed "
                       "intervals) and people; the exact method needs exponential times "
                       "(use --method des)")
    for sid, svc in sorted(sc.services.items()):
        if svc.standby is not None and svc.standby.mode == "hot":
            reasons.append(f"services.{sid}.standby: a hot standby takes over after "
                           "detection (checks at fixed intervals, not exponential); use "
                           "--method des")
        if svc.depends_on:
            reasons.append(f"services.{sid}.depends_on: service dependencies are not in the "
                           "exact method's model (use --method des)")
        if svc.suspend_failures:
            reasons.append(f"services.{sid}.suspend_failures: failure suspension couples the "
                           "components' chains; use --method des")
    for site_id, site in sorted(sc.sites.items()):
        if site.capacity is not None:
            reasons.append(f"sites.{site_id}.capacity: capacity limits are not in the exact "
                           "method's model (use --method des)")
    return reasons


def _essential(sc: Scenario, group: str) -> list[str]:
    grp = sc.customers[group]
    return [s for s in grp.services if sc.services[s].essential] or list(grp.services)


def _used_components(sc: Scenario) -> set[tuple[str, str]]:
    """(site, component) pairs some group's basic service or servers depend on."""
    used: set[tuple[str, str]] = set()
    for g, grp in sc.customers.items():
        comps = set(grp.requires)
        for svc in _essential(sc, g):
            comps.update(sc.services[svc].requires)
        for site_id, site in sc.sites.items():
            used.update((site_id, c) for c in comps if c in site.components)
    return used


# ---- one block per element ------------------------------------------------------------------


def _two_state(element: str, lam: float, mu: float) -> Block:
    q = np.array([[-lam, lam], [mu, -mu]])
    return Block(element, q, np.array([[False, True], [False, False]]),
                 np.array([False, True]), ("up", "down"))


def _crews(sc: Scenario, comp: Component, path: str, roles_used: dict[str, str],
           reasons: list[str]) -> int | None:
    """How many units can be in repair at once (None: every failed unit)."""
    role_id = comp.repair_role
    if role_id is None:
        return None
    role = sc.staff[role_id]
    for rota in role.rotas():
        if not rota.shift.always or not _is_zero(rota.callout):
            reasons.append(f"{path}.repair_role: role '{role_id}' works shifts or has a "
                           "call-out delay; the exact method needs repairers on site 24x7 "
                           "with no call-out (use --method des)")
            return None
    paged = set(sc.detection.page_roles) | {e.role for e in sc.detection.escalation}
    if sc.detection.declare_role:
        paged.add(sc.detection.declare_role)
    if role_id in paged:
        reasons.append(f"{path}.repair_role: role '{role_id}' is also paged on alerts; the "
                       "exact method needs repairers who only repair (use --method des)")
    if role_id in roles_used:
        reasons.append(f"{path}.repair_role: role '{role_id}' also repairs "
                       f"{roles_used[role_id]}; the exact method needs one role per component "
                       "(use --method des)")
    roles_used[role_id] = path
    return role.headcount


def _component_block(element: str, comp: Component, lam: float, mu: float,
                     crews: int | None) -> Block:
    """Identical units grouped: state = units failed (and 'switching' with an exponential
    switchover). See the module docstring and `_standby_moves` for the transitions."""
    n = comp.count
    standby = comp.standby
    spare = standby.units if standby else 0
    active = n - spare
    k = comp.k
    sigma = None
    if standby is not None and not _is_zero(standby.switchover):
        sigma = 1.0 / standby.switchover.params[0]
    states = [(d, 0) for d in range(n + 1)] + ([(1, 1)] if sigma is not None else [])
    index = {s: i for i, s in enumerate(states)}
    size = len(states)
    q = np.zeros((size, size))
    fail = np.zeros((size, size), dtype=bool)

    def add(a: tuple[int, int], b: tuple[int, int], rate: float, is_failure: bool) -> None:
        if rate > 0:
            q[index[a], index[b]] += rate
            fail[index[a], index[b]] |= is_failure

    speed = standby.speed if standby else 0.0
    p = standby.success if standby else 1.0
    for d in range(n + 1):
        up = n - d
        working = min(active, up)
        idle = up - working
        repair = (d if crews is None else min(d, crews)) * mu
        if d > 0:
            add((d, 0), (d - 1, 0), repair, False)
        if sigma is not None and d == 0:  # one active, one standby: the active fails
            add((0, 0), (1, 1), lam, True)
            add((0, 0), (1, 0), speed * lam, True)  # the idle standby fails
            continue
        if working and idle and standby is not None:  # instant switchover, tried in turn
            for tried in range(idle):  # `tried` switchovers fail, the next works
                add((d, 0), (d + 1 + tried, 0), working * lam * (1 - p) ** tried * p, True)
            add((d, 0), (d + 1 + idle, 0), working * lam * (1 - p) ** idle, True)
        else:
            add((d, 0), (d + 1, 0), working * lam, True)
        add((d, 0), (d + 1, 0), idle * speed * lam, True)
    if sigma is not None:  # (1, 1): the active failed, the standby is being switched in
        add((1, 1), (1, 0), p * sigma, False)
        add((1, 1), (2, 0), (1 - p) * sigma + speed * lam, True)
        add((1, 1), (0, 0), mu if crews is None or crews >= 1 else 0.0, False)
    q[np.diag_indices(size)] = -q.sum(axis=1)
    out = np.array([(min(active, n - d) if s == 0 else 0) < k for d, s in states])
    labels = tuple(f"{d} failed" + (", switching" if s else "") for d, s in states)
    return Block(element, q, fail, out, labels)


def _component(sc: Scenario, site_id: str, cid: str, comp: Component,
               roles_used: dict[str, str], reasons: list[str]) -> Block | None:
    path = f"sites.{site_id}.components.{cid}"
    before = len(reasons)
    lam = _rate(comp.ttf, f"{path}.ttf", "failure", reasons)
    if comp.ttf is None or (_is_zero(comp.ttr) and comp.repair_role is None
                            and comp.spare is None):
        return None  # never fails, or is back in the same instant: never out
    mu = _rate(comp.ttr, f"{path}.ttr", "repair", reasons)
    if comp.ttr is None:
        reasons.append(f"{path}: ttf without ttr; the exact method needs an exponential ttr")
    if comp.spare is not None:
        reasons.append(f"{path}.spare: a spare-part stock is an inventory the exact method "
                       "does not model (use --method des)")
    if comp.suspend_when_down:
        reasons.append(f"{path}.suspend_when_down: failure suspension couples the chains; use "
                       "--method des")
    if comp.serves is not None:
        reasons.append(f"{path}.serves: capacity limits are not in the exact method's model "
                       "(use --method des)")
    if comp.repair_role is not None and sc.sites[site_id].access == "closed":
        reasons.append(f"sites.{site_id}.access: closed, so repairers never get in; use "
                       "--method des")
    standby = comp.standby
    if standby is not None:
        _rate(standby.switchover if not _is_zero(standby.switchover) else None,
              f"{path}.standby.switchover", "the switchover", reasons)
        if not _is_zero(standby.switchover) and (comp.count, standby.units) != (2, 1):
            reasons.append(f"{path}.standby: an exponential switchover is modelled for one "
                           f"active and one standby unit, not {comp.count - standby.units} "
                           f"and {standby.units}; use switchover: 0s or --method des")
    crews = _crews(sc, comp, path, roles_used, reasons)
    if len(reasons) > before or lam is None or mu is None:
        return None
    return _component_block(f"components.{site_id}.{cid}", comp, lam, mu, crews)


def _blocks(sc: Scenario) -> list[Block]:
    reasons = _scenario_reasons(sc)
    blocks: list[Block] = []
    elements: list[tuple[str, str, Site | Link]] = [
        *(("sites", k, v) for k, v in sorted(sc.sites.items())),
        *(("links", k, v) for k, v in sorted(sc.links.items()))]
    for kind, eid, el in elements:
        if el.ttf is None and el.ttr is None:
            continue
        lam = _rate(el.ttf, f"{kind}.{eid}.ttf", "failure", reasons)
        mu = _rate(el.ttr, f"{kind}.{eid}.ttr", "repair", reasons)
        if (el.ttf is None) != (el.ttr is None):
            reasons.append(f"{kind}.{eid}: give both ttf and ttr (exponential) or neither")
        elif lam is not None and mu is not None:
            blocks.append(_two_state(f"{kind}.{eid}", lam, mu))
    used = _used_components(sc)
    roles_used: dict[str, str] = {}
    for site_id, site in sorted(sc.sites.items()):
        for cid, comp in sorted(site.components.items()):
            if (site_id, cid) in used:
                block = _component(sc, site_id, cid, comp, roles_used, reasons)
                if block is not None:
                    blocks.append(block)
    if reasons:
        raise NotMarkovian(reasons)
    return blocks


# ---- the joint chain ------------------------------------------------------------------------


def _kron_sum(mats: list[np.ndarray], sizes: list[int]) -> sparse.csr_matrix:
    """Σ_b I ⊗ … ⊗ M_b ⊗ … ⊗ I (first block the most significant digit of a state)."""
    from scipy import sparse

    total = int(np.prod(sizes)) if sizes else 1
    out = sparse.csr_matrix((total, total))
    for b, m in enumerate(mats):
        left = int(np.prod(sizes[:b])) if b else 1
        right = int(np.prod(sizes[b + 1:])) if b + 1 < len(sizes) else 1
        term = sparse.kron(sparse.kron(sparse.identity(left, format="csr"),
                                       sparse.csr_matrix(m)),
                           sparse.identity(right, format="csr"), format="csr")
        out = out + term
    return out.tocsr()


class ServiceRule:
    """Which groups have basic service, given the failed elements (drsim's service rule for
    the Markovian subset: no capacity, no dependencies, no takeover)."""

    def __init__(self, sc: Scenario) -> None:
        from drsim.topology import Topology

        self.sc, self.topo = sc, Topology(sc)

    def site_ok(self, group: str, svc_id: str, site: str, down: frozenset[str],
                broken: frozenset[tuple[str, str]]) -> bool:
        grp, svc = self.sc.customers[group], self.sc.services[svc_id]
        if site not in svc.active or site in down:
            return False
        if any((site, c) in broken for c in [*svc.requires, *grp.requires]):
            return False
        if svc.latency_budget is None:
            return self.topo.connected(grp.access, site, down)
        lat = self.topo.latency(grp.access, site, down)
        return lat is not None and lat <= svc.latency_budget

    def served(self, group: str, down: frozenset[str],
               broken: frozenset[tuple[str, str]]) -> bool:
        grp = self.sc.customers[group]
        for svc_id in _essential(self.sc, group):
            active = self.sc.services[svc_id].active
            places = [grp.home] + ([s for s in active if s != grp.home] if len(active) > 1
                                   else [])
            if not any(self.site_ok(group, svc_id, s, down, broken) for s in places):
                return False
        return True


def _up_matrix(sc: Scenario, blocks: list[Block], groups: list[str]) -> np.ndarray:
    sizes = [b.size for b in blocks]
    digits = (np.indices(sizes).reshape(len(sizes), -1) if sizes
              else np.zeros((0, 1), dtype=int))
    outs = np.array([b.out[digits[i]] for i, b in enumerate(blocks)]) if blocks \
        else np.zeros((0, 1), dtype=bool)
    rule = ServiceRule(sc)
    keys, inverse = np.unique(outs.T, axis=0, return_inverse=True)
    up_by_key = np.zeros((len(groups), len(keys)), dtype=bool)
    for j, key in enumerate(keys):
        down, broken = set(), set()
        for b, is_out in zip(blocks, key, strict=True):
            if not is_out:
                continue
            kind, *rest = b.element.split(".")
            if kind == "components":
                broken.add((rest[0], rest[1]))
            else:
                down.add(rest[0])
        for i, g in enumerate(groups):
            up_by_key[i, j] = rule.served(g, frozenset(down), frozenset(broken))
    return up_by_key[:, np.ravel(inverse)]


def build(sc: Scenario) -> Model:
    """The scenario's CTMC, or NotMarkovian naming every element outside the subset."""
    from scipy import sparse

    blocks = _blocks(sc)
    sizes = [b.size for b in blocks]
    total = int(np.prod(sizes)) if sizes else 1
    if total > MAX_STATES:
        raise NotMarkovian([f"the exact chain has {total:,} states (more than "
                            f"{MAX_STATES:,}): {' × '.join(map(str, sizes))} over "
                            f"{len(blocks)} elements; use --method des"])
    q = _kron_sum([b.q - np.diag(np.diag(b.q)) for b in blocks], sizes)
    q = (q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())).tocsr()
    failure = _kron_sum([b.failure.astype(float) for b in blocks], sizes)
    groups = sorted(sc.customers)
    up = _up_matrix(sc, blocks, groups)
    customers = np.array([sc.customers[g].count for g in groups], dtype=float)
    return Model(tuple(blocks), tuple(groups), customers, q, failure.tocsr(), up,
                 sc.simulation.horizon)


def state_label(model: Model, state: int) -> str:
    """'sites.a: down, components.a.box: 1 failed' for a joint state (for reading)."""
    sizes = [b.size for b in model.blocks]
    digits = np.unravel_index(state, sizes) if sizes else ()
    return ", ".join(f"{b.element}: {b.labels[int(d)]}"
                     for b, d in zip(model.blocks, digits, strict=True)) or "(no element fails)"


__all__ = ["MAX_STATES", "Block", "Model", "NotMarkovian", "ServiceRule", "build",
           "state_label"]
