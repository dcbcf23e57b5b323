"""Solve the scenario's Markov chain (drsim.methods.markov): exact answers, per customer group.

For a generator Q (rates per second) and start state 0 (everything up):

- **steady state** π: πQ = 0, Σπ = 1. Chains up to `DENSE` states are solved by the
  Grassmann–Taksar–Heyman elimination (subtractions only of like-signed terms, so even a
  probability of 1e-15 comes out to full relative precision); larger ones by one sparse LU
  of the equations with π₀ = 1 pinned (`Pinned`: no dense Σ row to fill the factors in).
- **time average over the horizon** T from all-up, what a drsim trial measures: the expected
  time in each state X = ∫₀ᵀ p(t) dt satisfies X Q = p(T) − p(0) (integrate p′ = pQ) and
  Σ X = T, one linear solve once p(T) = p(0) e^{QT} is known (scipy's expm / expm_multiply;
  for a large chain with a hot standby's takeover, see `at_horizon`).
- **MTTF** of a group from all-up: the mean time to absorption in its down states,
  (−Q_TT) m = 1 over the states from which it can still lose service.
- **outage frequency**: Σ over up states i and down states j of π_i q_ij (steady, per
  second; × a year), and the expected number of outages within the horizon, Σ X_i q_ij.

`residual` reports how exact the numbers are: max |πQ| relative to the largest rate (the
solver's backward error; ~1e-16 means the answers are exact to rounding).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from drsim.methods.markov import Model
from drsim.methods.result import MethodResult
from drsim.units import SECONDS_PER_YEAR

DENSE = 800  # states up to which the dense GTH and expm are used


@dataclass(frozen=True)
class GroupAnswer:
    """One customer group's exact figures (times in seconds, rates per year)."""

    group: str
    customers: int
    unavailability: float  # expected fraction of the horizon without basic service, from all-up
    steady_unavailability: float  # long-run fraction
    mttf_s: float  # mean time from all-up to the first loss of basic service (inf: never)
    outages_per_year: float  # long-run rate of losses of basic service
    downtime_per_year_s: float  # long-run time without basic service per 365-day year
    expected_outages: float  # within the horizon, from all-up


@dataclass(frozen=True, kw_only=True)
class ExactResult(MethodResult):
    """The exact method's answer: per group, and customer-weighted over all groups
    (`unavailability`: over the horizon from all up, DES's mean 'unavailability')."""

    method: str = "exact"
    states: int
    horizon_s: float
    groups: tuple[GroupAnswer, ...]
    steady_unavailability: float
    residual: float

    @property
    def how_exact(self) -> str:
        shown = "below 1e-15" if self.residual < 1e-15 else f"{self.residual:.0e}"
        model = "the approximating Markov model" if self.approximation else "the Markov model"
        return f"exact for {model}: {self.states:,} states, solver residual {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {**self.stated(), "states": self.states, "horizon_s": self.horizon_s,
                "steady_unavailability": self.steady_unavailability,
                "residual": self.residual,
                "groups": [{k: (None if isinstance(v, float) and math.isinf(v) else v)
                            for k, v in asdict(g).items()} for g in self.groups]}


def gth(q: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible generator by GTH elimination (Grassmann,
    Taksar & Heyman 1985): only off-diagonal rates are used, no subtraction cancels."""
    a = np.array(q, dtype=float)
    np.fill_diagonal(a, 0.0)
    n = a.shape[0]
    for k in range(n - 1, 0, -1):
        s = a[k, :k].sum()
        if s <= 0:
            raise ValueError("the chain is not irreducible")
        a[:k, k] /= s
        a[:k, :k] += np.outer(a[:k, k], a[k, :k])
    x = np.zeros(n)
    x[0] = 1.0
    for k in range(1, n):
        x[k] = x[:k] @ a[:k, k]
    return x / x.sum()


class Pinned:
    """Solutions z of z Q = rhs with z₀ = 0 (Q is singular; rhs sums to 0), from one sparse
    LU of the other states' equations: no dense row (Σ = 1) to fill the factors in."""

    def __init__(self, model: Model) -> None:
        from scipy.sparse.linalg import splu

        self.size = model.size
        self.lu = splu(model.q.T.tocsc()[1:, :][:, 1:].tocsc(), permc_spec="MMD_AT_PLUS_A")

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        z = np.zeros(self.size)
        z[1:] = self.lu.solve(rhs[1:])
        return z


def steady_state(model: Model, pinned: Pinned | None = None) -> np.ndarray:
    if model.size <= DENSE:
        return gth(model.q.toarray())
    # π Q = 0 with π₀ = 1: the other columns' equations, Σ_i≠0 π_i q_ij = −q_0j
    rhs = -np.asarray(model.q[0].toarray()).ravel()
    pi = (pinned or Pinned(model)).solve(rhs)
    pi[0] = 1.0
    return np.maximum(pi, 0.0) / np.maximum(pi, 0.0).sum()


def at_horizon(model: Model, pi: np.ndarray | None = None) -> np.ndarray:
    """p(T) from state 0.

    A large chain with a hot standby's takeover (`model.kept`) is stiff (detection phases
    last seconds, the horizon a year), beyond expm_multiply: there the elements' own
    distribution at T is exact (they evolve independently of the takeover: the product of
    each element's e^{Q_b T}), and the takeover's mode given the elements is taken as in the
    long run (`pi`), which it reaches within minutes of each element change."""
    start = np.zeros(model.size)
    start[0] = 1.0
    t = model.horizon_s
    if model.size <= DENSE:
        import scipy.linalg

        return start @ scipy.linalg.expm(model.q.toarray() * t)
    if model.kept is not None:
        return _settled_modes(model, steady_state(model) if pi is None else pi)
    from scipy.sparse.linalg import expm_multiply

    return np.asarray(expm_multiply(model.q.T.tocsc() * t, start))


def _settled_modes(model: Model, pi: np.ndarray) -> np.ndarray:
    """p(T) as the exact element distribution at T times the long-run mode given it."""
    import scipy.linalg

    assert model.kept is not None
    elements = np.ones(1)
    for b in model.blocks:
        elements = np.kron(elements, scipy.linalg.expm(b.q * model.horizon_s)[0])
    element = model.kept // len(model.modes)
    settled = np.bincount(element, weights=pi, minlength=elements.size)
    return elements[element] * pi / settled[element]


def occupation(model: Model, pi: np.ndarray | None = None,
               pinned: Pinned | None = None) -> np.ndarray:
    """X = ∫₀ᵀ p(t) dt from state 0: X Q = p(T) − e₀ with Σ X = T (see the module doc)."""
    n, t = model.size, model.horizon_s
    rhs = at_horizon(model, pi)
    rhs[0] -= 1.0
    if n == 1:
        return np.array([t])
    if n <= DENSE:
        a = model.q.toarray().T.copy()
        a[0, :] = 1.0
        rhs[0] = t
        import scipy.linalg

        return np.asarray(scipy.linalg.solve(a, rhs))
    # every solution is z + cπ (z₀ = 0); Σ X = T fixes c
    pinned = pinned or Pinned(model)
    pi = steady_state(model, pinned) if pi is None else pi
    z = pinned.solve(rhs)
    return z + (t - z.sum()) * pi


def mean_time_to_down(model: Model, down: np.ndarray) -> float:
    """Mean time from state 0 until the first state in `down` (inf when it never comes)."""
    if down[0]:
        return 0.0
    if not down.any():
        return math.inf
    from scipy.sparse.linalg import spsolve

    # the states from which `down` can be reached (from the others the time is infinite):
    # grow the set by every state with a transition into it until it stops growing
    q = model.q.tocsr()
    moves = (abs(q) > 0).astype(float)
    can = down.copy()
    while True:
        grown = can | (moves @ can.astype(float) > 0)
        if (grown == can).all():
            break
        can = grown
    if not can[0]:
        return math.inf
    keep = np.flatnonzero(can & ~down)
    sub = -q[keep][:, keep]
    m = spsolve(sub.tocsc(), np.ones(len(keep)))
    return float(np.atleast_1d(m)[int(np.flatnonzero(keep == 0)[0])])


def solve(model: Model, scenario: str = "") -> ExactResult:
    """Every exact figure of the model."""
    started = time.process_time()
    pinned = Pinned(model) if model.size > DENSE else None
    pi = steady_state(model, pinned)
    x = occupation(model, pi, pinned)
    q = model.q.tocsr()
    scale = float(abs(q).max()) if q.nnz else 1.0
    residual = float(np.abs(pi @ q).max()) / scale if q.nnz else 0.0
    t = model.horizon_s
    answers = []
    for i, g in enumerate(model.groups):
        up = model.up[i]
        into_down = np.asarray(q[:, ~up].sum(axis=1)).ravel() * up  # rate of losing service
        u_steady = float(pi[~up].sum())
        answers.append(GroupAnswer(
            group=g, customers=int(model.customers[i]),
            unavailability=float(x[~up].sum()) / t, steady_unavailability=u_steady,
            mttf_s=mean_time_to_down(model, ~up),
            outages_per_year=float(pi @ into_down) * SECONDS_PER_YEAR,
            downtime_per_year_s=u_steady * SECONDS_PER_YEAR,
            expected_outages=float(x @ into_down)))
    w = model.weights
    return ExactResult(
        scenario=scenario, states=model.size, horizon_s=t, groups=tuple(answers),
        unavailability=float(sum(wi * a.unavailability for wi, a in zip(w, answers,
                                                                           strict=True))),
        steady_unavailability=float(sum(wi * a.steady_unavailability
                                        for wi, a in zip(w, answers, strict=True))),
        residual=residual, seconds=time.process_time() - started,
        approximation=model.approximation)


__all__ = ["DENSE", "ExactResult", "GroupAnswer", "gth", "occupation", "solve",
           "steady_state"]
