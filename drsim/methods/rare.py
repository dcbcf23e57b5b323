"""Rare-event estimate of long-run unavailability: importance sampling with balanced failure
biasing on the scenario's Markov chain (drsim.methods.markov), over regenerative cycles.

**The estimator.** The chain regenerates each time it returns to state 0 (everything up), so
the long-run unavailability is a ratio over one cycle (renewal–reward):

    U = E[Z] / E[τ],   Z = time without service in the cycle, τ = the cycle's length.

Both are sums over the states the embedded jump chain visits, each weighted by its expected
holding time 1/qᵢ (conditioning on the path: the exact expected time, less variance than a
drawn one). E[τ] is not rare: plain cycles estimate it. E[Z] is: a failure that takes the
system down needs several failures before a repair, each of probability ~λ/μ. So its cycles
are drawn under **balanced failure biasing** (Shahabuddin 1994; Nicola, Shahabuddin &
Nakayama 2001): in every state with both failure and repair transitions, failures together
get probability ½, shared equally among them, and repairs ½ in their original proportions;
in a state with failures only (all up), failures are equally likely. Biasing stops for good
once the cycle reaches a state where someone lacks service (from there on the original
dynamics run to the end of the cycle). Each biased cycle carries its likelihood ratio
L = Π P_ij / B_ij over its biased jumps, and E[Z] = E_B[L·Z] exactly: the estimate is
unbiased. With balanced biasing its relative error stays bounded as λ/μ → 0 (the number
of cycles for a given precision does not grow with rarity), where plain simulation needs
cycles ∝ 1/U.

**The interval.** Ȳ = mean of L·Z over n biased cycles, τ̄ = mean of τ over m plain cycles,
independent, so by the delta method the ratio's relative variance is
RE² = s²_Y/(n Ȳ²) + s²_τ/(m τ̄²), and the 95% interval is Û (1 ± 1.96 RE). `rel_error` is
that half-width relative to Û (1.96 RE).

Cycles are simulated all at once with numpy (one array operation per jump across every
cycle): the next state is drawn by a binary search of a uniform in the concatenated
cumulative rows of the (biased) jump matrix.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from drsim.errors import DrsimError
from drsim.methods.markov import Model
from drsim.methods.result import MethodResult

Z95 = 1.959963984540054
BATCH = 50_000
MAX_JUMPS = 100_000


@dataclass(frozen=True)
class Jumps:
    """An embedded jump matrix as concatenated cumulative rows: row i's entries are
    cum[ptr[i]:ptr[i+1]] = i + running sums of its probabilities (so every row lives in
    [i, i + 1]); `to` the target states, `ratio` P/B per entry."""

    ptr: np.ndarray
    cum: np.ndarray
    to: np.ndarray
    ratio: np.ndarray

    def step(self, states: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The entry (index into cum) each state jumps along, for uniforms u."""
        e = np.searchsorted(self.cum, states + u, side="right")
        return np.minimum(e, self.ptr[states + 1] - 1)  # rounding at a row's top end


def _jumps(model: Model) -> tuple[Jumps, Jumps, np.ndarray]:
    """(original, failure-biased) jump matrices and the expected holding times."""
    q = model.q.tocsr().copy()
    q.setdiag(0.0)
    q.eliminate_zeros()
    q.sort_indices()
    fail = model.failure.tocsr()
    out = np.asarray(q.sum(axis=1)).ravel()
    if (out <= 0).any():
        raise DrsimError("the chain has a state it never leaves; the rare method needs every "
                         "state to be left (use --method exact)")
    rows = np.repeat(np.arange(q.shape[0]), np.diff(q.indptr))
    p = q.data / out[rows]
    is_fail = np.asarray(fail[rows, q.indices]).ravel() > 0
    n_fail = np.bincount(rows, weights=is_fail, minlength=q.shape[0])
    p_rep = np.bincount(rows, weights=p * ~is_fail, minlength=q.shape[0])
    has_rep = p_rep[rows] > 0
    b = np.where(is_fail, np.where(has_rep, 0.5, 1.0) / np.maximum(n_fail[rows], 1),
                 np.where(n_fail[rows] > 0, 0.5, 1.0) * p / np.where(has_rep, p_rep[rows], 1))

    def cumulative(prob: np.ndarray) -> np.ndarray:
        run = np.cumsum(prob)
        start = np.concatenate([[0.0], run[q.indptr[1:-1] - 1]])
        return rows + run - start[rows]

    plain = Jumps(q.indptr, cumulative(p), q.indices, np.ones_like(p))
    biased = Jumps(q.indptr, cumulative(b), q.indices, p / b)
    return plain, biased, 1.0 / out


def cycles(model: Model, n: int, rng: np.random.Generator, bias: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """n regenerative cycles from state 0: (per cycle and target row, L·Z) and τ per cycle.
    Targets: row 0 the customer-weighted down share, then one row per group."""
    plain, biased, hold = _jumps(model)
    targets = np.vstack([model.down_weight(), (~model.up).astype(float)])  # [1 + G, S]
    any_down = targets[0] > 0
    state = np.zeros(n, dtype=np.int64)
    weight = np.ones(n)
    z = np.zeros((targets.shape[0], n))
    tau = np.zeros(n)
    on = np.full(n, bias)
    live = np.arange(n)
    for _ in range(MAX_JUMPS):
        s = state[live]
        h = hold[s]
        tau[live] += h
        z[:, live] += targets[:, s] * h
        u = rng.random(len(live))
        use = on[live]
        e = np.where(use, biased.step(s, u), plain.step(s, u))
        weight[live] *= np.where(use, biased.ratio[e], 1.0)
        nxt = plain.to[e]
        on[live] = use & ~any_down[nxt]
        state[live] = nxt
        live = live[nxt != 0]
        if not len(live):
            return z * weight, tau
    raise DrsimError(f"a cycle made more than {MAX_JUMPS:,} jumps without returning to all-up; "
                     "use --method exact or des")


@dataclass(frozen=True, kw_only=True)
class RareResult(MethodResult):
    """Long-run unavailability (customer-weighted) estimated by importance sampling, with
    its 95% interval."""

    method: str = "rare"
    low: float
    high: float
    rel_error: float  # half-width of the 95% interval relative to the estimate
    groups: tuple[tuple[str, float, float], ...]  # (group, estimate, relative half-width)
    cycles: int

    @property
    def how_exact(self) -> str:
        return (f"95% CI ±{100 * self.rel_error:.1f}% (importance sampling, "
                f"{self.cycles:,} cycles)")

    def to_dict(self) -> dict[str, Any]:
        return {**self.stated(), "ci95": [self.low, self.high], "rel_error": self.rel_error,
                "cycles": self.cycles,
                "groups": [{"group": g, "steady_unavailability": u, "rel_error": r}
                           for g, u, r in self.groups]}


def _ratio(y: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Û per target row and its relative 95% half-width (delta method, see module doc)."""
    ybar, tbar = y.mean(axis=1), tau.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        re2 = (y.var(axis=1, ddof=1) / (y.shape[1] * ybar**2)
               + tau.var(ddof=1) / (len(tau) * tbar**2))
    return ybar / tbar, Z95 * np.sqrt(re2)


def estimate(model: Model, seed: int = 0, cycles_n: int | None = None, target: float = 0.1,
             max_seconds: float = 10.0, scenario: str = "") -> RareResult:
    """Estimate the long-run unavailability: `cycles_n` biased cycles (and as many plain
    ones), or batches of BATCH until the 95% relative half-width is within `target` (or
    `max_seconds` of CPU have gone)."""
    if not (~model.up).any():
        raise DrsimError("no state of the chain leaves a group without service: the "
                         "unavailability is 0 (use --method exact)")
    started = time.process_time()
    rng = np.random.default_rng(seed)
    ys, taus = [], []
    while True:
        n = cycles_n if cycles_n is not None else BATCH
        y, _ = cycles(model, n, rng, bias=True)
        _, tau = cycles(model, n, rng, bias=False)
        ys.append(y)
        taus.append(tau)
        u, re = _ratio(np.hstack(ys), np.concatenate(taus))
        spent = time.process_time() - started
        if cycles_n is not None or (math.isfinite(re[0]) and re[0] <= target) \
                or spent > max_seconds:
            break
    total = sum(t.size for t in taus)
    return RareResult(scenario=scenario, unavailability=float(u[0]),
                      low=float(u[0] * (1 - re[0])), high=float(u[0] * (1 + re[0])),
                      rel_error=float(re[0]),
                      groups=tuple((g, float(u[i + 1]), float(re[i + 1]))
                                   for i, g in enumerate(model.groups)),
                      cycles=total, seconds=spent, approximation=model.approximation)


__all__ = ["RareResult", "cycles", "estimate"]
