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
`runbooks` (their steps wait for detection, which checks at fixed intervals), no spare-part
stock, no failure suspension, no service dependencies, no capacity limits (`capacity`,
`serves`). Anything else is refused with one line per element naming it and what the exact
method would need (every reason, not the first); `--method des` answers it.

**A hot standby** waits for detection too (the alert comes a nearly fixed time after the
loss), so it is refused unless `build(..., approximate=True)` (`--approximate`): then its
takeover is a `Takeover` whose detection delay is an Erlang of the same mean and variance (a
phase-type approximation, stated in `Model.approximation`; see `_detection_delay`), for a
scenario with that one service. The chain is then the element chain times the takeover's
modes (`_with_takeover`), restricted to the states reachable from all up.

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

import re
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
    """The scenario has elements the exact and rare methods cannot model: `reasons` holds one
    line per element (`path: what; what the method needs (use --method des)`), every one of
    them; `approximable` says they all go away with the phase-type approximation."""

    def __init__(self, reasons: list[str], approximable: bool = False) -> None:
        self.reasons = reasons
        self.approximable = approximable
        super().__init__("\n".join(reasons))

    def path(self, reason: str) -> str:
        """The scenario path a reason names ('' when it names none)."""
        head = reason.split(": ", 1)[0]
        return head if re.fullmatch(r"[A-Za-z0-9_.-]+", head) else ""


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
    # with a hot standby's takeover (approximated): each state's mode, the product index
    # (element state × mode) of each kept (reachable) state, and what was approximated
    modes: tuple[str, ...] = ()
    kept: np.ndarray | None = None
    approximation: str = ""

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
    for disruption in sc.disruptions:
        reasons.append(f"disruptions.{disruption.id}: scripted faults strike at given "
                       "times, not at exponential rates; the exact method needs random "
                       "failures only (use --method des)")
    for rid in sorted(sc.runbooks):
        reasons.append(f"runbooks.{rid}: runbook steps wait for detection (checks at fixed "
                       "intervals) and people; the exact method needs exponential times "
                       "(use --method des)")
    for sid, svc in sorted(sc.services.items()):
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


# ---- a hot standby's takeover: detection approximated by a phase-type delay ---------------

MAX_PHASES = 150  # Erlang phases for the detection delay (3(2k − 1)² for k failed checks)


@dataclass(frozen=True)
class Takeover:
    """A hot standby's automatic takeover, as drsim's monitoring does it for one service:
    once its customers lose it, the alert comes after the `failed_checks`-th failing check
    (a delay between (k − 1)·interval and k·interval, uniform within, mean `delay_s`; here an
    Erlang of `phases` phases with that mean), then the switchover (exponential at
    `switch_rate`, or instant when None) activates `sites` with probability `success` (else
    the takeover has failed until the service is back). The standby stands down, and a
    takeover under way stops, as soon as the customers are served without it."""

    service: str
    sites: tuple[str, ...]
    delay_s: float
    phases: int
    switch_rate: float | None
    success: float
    described: str

    @property
    def modes(self) -> tuple[str, ...]:
        detecting = tuple(f"detecting {i}/{self.phases}" for i in range(1, self.phases + 1))
        switching = ("switching",) if self.switch_rate is not None else ()
        return ("standing by", *detecting, *switching, "taken over", "takeover failed")


def _detection_delay(sc: Scenario) -> tuple[float, int, str]:
    """(mean, Erlang phases, wording) of the alert's delay after a loss of service.

    Checks run every I from the simulation start and the alert comes on the k-th failing one,
    so a loss at a uniformly random phase of the check grid is alerted after U(0, I] + (k − 1)I:
    mean D = (k − ½)I, variance I²/12, squared coefficient of variation 1/(12(k − ½)²) =
    1/(3(2k − 1)²). An Erlang-n of mean D has SCV 1/n, so n = 3(2k − 1)² phases match both
    moments (3 for k = 1, 27 for k = 2, 75 for k = 3); beyond MAX_PHASES only the mean."""
    from drsim.units import format_duration as fmt

    interval, k = sc.detection.interval, sc.detection.failed_checks
    mean = (k - 0.5) * interval
    matched = 3 * (2 * k - 1) ** 2
    n = min(MAX_PHASES, matched)
    moments = "mean and variance" if n == matched else f"mean (variance {matched / n:.2g}×)"
    return mean, n, (f"detection delay (checks every {fmt(interval)}, alert on the {_nth(k)} "
                     f"failing one: {fmt((k - 1) * interval)} to {fmt(k * interval)} after the "
                     f"loss, mean {fmt(mean)}) by an Erlang-{n} delay of the same {moments}")


def hot_standby(sc: Scenario) -> str | None:
    """The first service (by id) with a hot standby, or None."""
    return next((sid for sid, svc in sorted(sc.services.items())
                 if svc.standby is not None and svc.standby.mode == "hot"), None)


def _nth(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _takeover(sc: Scenario, approximate: bool, reasons: list[str],
              approximable: list[str]) -> Takeover | None:
    """The scenario's hot standby as a Takeover (with `approximate`), else the reason it is
    not Markovian (in `approximable` too when the approximation would take it)."""
    sid = hot_standby(sc)
    if sid is None:
        return None
    path = f"services.{sid}.standby"
    sb = sc.services[sid].standby
    assert sb is not None
    before = len(reasons)
    if len(sc.services) > 1:
        reasons.append(f"{path}: a hot standby is modelled (approximately) only for a scenario "
                       f"with one service, not {len(sc.services)} (the chain follows one "
                       "takeover); use --method des")
    switch_rate = None
    if sb.switchover is not None and not _is_zero(sb.switchover):
        switch_rate = _rate(sb.switchover, f"{path}.switchover", "the switchover", reasons)
    if len(reasons) > before:
        return None
    mean, n, wording = _detection_delay(sc)
    if not approximate:
        from drsim.units import format_duration as fmt

        interval, k = sc.detection.interval, sc.detection.failed_checks
        reason = (f"{path}: a hot standby takes over after detection, whose alert comes "
                  f"{fmt((k - 1) * interval)} to {fmt(k * interval)} after the loss (checks "
                  f"every {fmt(interval)}, alert on the {_nth(k)} failing one), not at an "
                  "exponential time; add --approximate for a phase-type approximation of "
                  "that delay, or use --method des")
        reasons.append(reason)
        approximable.append(reason)
        return None
    return Takeover(sid, tuple(sb.sites), mean, n, switch_rate, sb.success,
                    f"phase-type approximation of {path}'s {wording}; the rest of the chain "
                    "is the scenario's")


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


def _blocks(sc: Scenario, approximate: bool = False) -> tuple[list[Block], Takeover | None]:
    reasons = _scenario_reasons(sc)
    approximable: list[str] = []
    takeover = _takeover(sc, approximate, reasons, approximable)
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
        raise NotMarkovian(reasons, approximable=len(approximable) == len(reasons))
    return blocks, takeover


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
                broken: frozenset[tuple[str, str]],
                extra: frozenset[tuple[str, str]] = frozenset()) -> bool:
        grp, svc = self.sc.customers[group], self.sc.services[svc_id]
        if (site not in svc.active and (svc_id, site) not in extra) or site in down:
            return False
        if any((site, c) in broken for c in [*svc.requires, *grp.requires]):
            return False
        if svc.latency_budget is None:
            return self.topo.connected(grp.access, site, down)
        lat = self.topo.latency(grp.access, site, down)
        return lat is not None and lat <= svc.latency_budget

    def served(self, group: str, down: frozenset[str], broken: frozenset[tuple[str, str]],
               extra: frozenset[tuple[str, str]] = frozenset()) -> bool:
        """`extra`: (service, site) pairs a hot standby has activated besides `active`."""
        grp = self.sc.customers[group]
        for svc_id in _essential(self.sc, group):
            svc = self.sc.services[svc_id]
            active = [*svc.active, *(s for v, s in sorted(extra) if v == svc_id)]
            routed = len(svc.active) > 1 or (svc.standby is not None
                                             and svc.standby.mode == "hot")
            places = [grp.home] + ([s for s in active if s != grp.home] if routed else [])
            if not any(self.site_ok(group, svc_id, s, down, broken, extra) for s in places):
                return False
        return True


def _up_matrix(sc: Scenario, blocks: list[Block], groups: list[str],
               extra: frozenset[tuple[str, str]] = frozenset()) -> np.ndarray:
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
            up_by_key[i, j] = rule.served(g, frozenset(down), frozenset(broken), extra)
    return up_by_key[:, np.ravel(inverse)]


def build(sc: Scenario, approximate: bool = False) -> Model:
    """The scenario's CTMC, or NotMarkovian naming every element outside the subset. With
    `approximate`, a hot standby's detection delay is a phase-type (Erlang) approximation
    (`Model.approximation` says so)."""
    from scipy import sparse

    blocks, takeover = _blocks(sc, approximate)
    sizes = [b.size for b in blocks]
    modes = len(takeover.modes) if takeover else 1
    total = (int(np.prod(sizes)) if sizes else 1) * modes
    if total > MAX_STATES:
        shown = " × ".join(map(str, sizes + ([modes] if takeover else [])))
        raise NotMarkovian([f"the exact chain has {total:,} states (more than "
                            f"{MAX_STATES:,}): {shown} over {len(blocks)} elements"
                            + (" and the takeover's modes" if takeover else "")
                            + "; use --method des"])
    q = _kron_sum([b.q - np.diag(np.diag(b.q)) for b in blocks], sizes)
    failure = _kron_sum([b.failure.astype(float) for b in blocks], sizes)
    groups = sorted(sc.customers)
    up = _up_matrix(sc, blocks, groups)
    kept = None
    if takeover is not None:
        extra = frozenset((takeover.service, s) for s in takeover.sites)
        q, failure, up, kept = _with_takeover(q, failure, up,
                                              _up_matrix(sc, blocks, groups, extra), takeover)
    q = (q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())).tocsr()
    customers = np.array([sc.customers[g].count for g in groups], dtype=float)
    return Model(tuple(blocks), tuple(groups), customers, q, failure.tocsr(), up,
                 sc.simulation.horizon, modes=takeover.modes if takeover else (), kept=kept,
                 approximation=takeover.described if takeover else "")


def _with_takeover(q: sparse.csr_matrix, failure: sparse.csr_matrix, up_base: np.ndarray,
                   up_hot: np.ndarray, t: Takeover
                   ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The element chain (off-diagonal `q`) times the takeover's modes, restricted to the
    states reachable from (all up, standing by); state = element state × modes + mode.

    The scenario has one service, so monitoring's 'someone lacks service' is 'some group is
    down without the standby' (`needed`). An element change into a state where nobody needs
    the standby puts the mode back to standing by (the standby stands down, a detection or
    takeover under way stops); into one where someone does, standing by starts detection
    (phase 1) and any other mode carries on. Detection advances through its phases at
    rate phases / delay; its end starts the switchover, whose end activates the standby with
    probability `success` (a failure is a failure transition for the rare method's biasing).
    A group is served in 'taken over' as with the standby sites active (`up_hot`), in every
    other mode as without them (`up_base`)."""
    from scipy import sparse
    from scipy.sparse.csgraph import breadth_first_order

    n_el, m, n = q.shape[0], len(t.modes), t.phases
    on, failed = m - 2, m - 1
    needed = np.asarray((~up_base).any(axis=0), dtype=bool)
    coo = q.tocoo()
    x, y = coo.row, coo.col
    is_fail = np.asarray(failure.tocsr()[x, y]).ravel() > 0
    mode = np.arange(m)
    to_mode = np.where(needed[y][:, None], np.where(mode == 0, 1, mode)[None, :], 0)
    rows: list[np.ndarray] = [(x[:, None] * m + mode).ravel()]
    cols: list[np.ndarray] = [(y[:, None] * m + to_mode).ravel()]
    rates = [np.repeat(coo.data, m)]
    flags = [np.repeat(is_fail, m)]
    step = n / t.delay_s
    moves = [(i, i + 1, step, False) for i in range(1, n)]
    p = t.success
    if t.switch_rate is None:
        moves += [(n, on, p * step, False), (n, failed, (1 - p) * step, True)]
    else:
        moves += [(n, n + 1, step, False), (n + 1, on, p * t.switch_rate, False),
                  (n + 1, failed, (1 - p) * t.switch_rate, True)]
    states = np.arange(n_el) * m
    for a, b, rate, flag in moves:
        if rate > 0:
            rows.append(states + a)
            cols.append(states + b)
            rates.append(np.full(n_el, rate))
            flags.append(np.full(n_el, flag))
    r, c = np.concatenate(rows), np.concatenate(cols)
    size = (n_el * m, n_el * m)
    joint = sparse.csr_matrix((np.concatenate(rates), (r, c)), shape=size)
    fail = sparse.csr_matrix((np.concatenate(flags).astype(float), (r, c)), shape=size)
    kept = np.sort(breadth_first_order(joint, 0, directed=True, return_predecessors=False))
    el, md = np.divmod(kept, m)
    up = np.where(md == on, up_hot[:, el], up_base[:, el])
    return (joint[kept][:, kept].tocsr(), (fail[kept][:, kept] > 0).astype(float).tocsr(),
            up, kept)


def state_label(model: Model, state: int) -> str:
    """'sites.a: down, components.a.box: 1 failed' for a joint state (for reading)."""
    index = int(model.kept[state]) if model.kept is not None else state
    element, mode = divmod(index, len(model.modes) or 1)
    sizes = [b.size for b in model.blocks]
    digits = np.unravel_index(element, sizes) if sizes else ()
    said = ", ".join(f"{b.element}: {b.labels[int(d)]}"
                     for b, d in zip(model.blocks, digits, strict=True)) or "(no element fails)"
    return f"{said}, standby: {model.modes[mode]}" if model.modes else said


__all__ = ["MAX_PHASES", "MAX_STATES", "Block", "Model", "NotMarkovian",
           "ServiceRule", "Takeover", "build", "hot_standby", "state_label"]
