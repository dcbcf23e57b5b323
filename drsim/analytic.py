"""Exact reference answers for canonical systems, used to verify the simulator.

Two kinds of answer, which the tests check against each other:

- **closed forms** for the textbook systems (one repairable unit, series, parallel, k-out-of-n,
  1-out-of-2 mean time to first failure, periodic backups, ...);
- **continuous-time Markov chains** (CTMCs) solved with scipy: a generator matrix Q (row i,
  column j ≠ i: the rate of going from state i to state j; each row sums to 0), its stationary
  distribution (πQ = 0, Σπ = 1), its time-average distribution over [0, T] from a given start
  (so a finite simulation horizon introduces no bias), and mean times to absorption from the
  fundamental matrix N = (−Q_TT)⁻¹.

Rates are per second and times are seconds, as everywhere in drsim (any consistent unit
works). λ ("lam") is a failure rate, 1 / mean time to failure; μ ("mu") a repair rate,
1 / mean time to repair. Every model assumes exponential times.

`drsim verify` does not use this module: `drsim.verification` works out its exact values
itself, by other methods (sums of exponentials, a deviation matrix rather than a matrix
exponential), and tests/test_verify.py checks that the two agree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy import integrate, stats

# ---- Markov-chain machinery ----------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """A CTMC: generator `q`, which states count as *up* (the system delivers service), the
    state it starts in, and a label per state (for reading and debugging)."""

    q: np.ndarray
    up: np.ndarray  # bool per state
    start: int = 0
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_generator(self.q)

    @property
    def size(self) -> int:
        return self.q.shape[0]

    def steady_unavailability(self) -> float:
        """Long-run fraction of time the system is down."""
        return float(steady_state(self.q)[~self.up].sum())

    def mean_unavailability(self, horizon: float) -> float:
        """Expected fraction of [0, horizon] the system is down, starting in `start`."""
        return float(time_average(self.q, self.start, horizon)[~self.up].sum())

    def mean_time_to_failure(self) -> float:
        """Expected time from `start` until the system first enters a down state."""
        return mean_time_to_absorption(self.q, np.flatnonzero(~self.up), self.start)

    def survival(self, t: float) -> float:
        """P(the system has not failed yet by time t), starting in `start`."""
        return survival(self.q, np.flatnonzero(~self.up), self.start, t)


def check_generator(q: np.ndarray, tol: float = 1e-9) -> None:
    """Raise ValueError unless `q` is square with non-negative off-diagonal entries and
    rows summing to zero."""
    q = np.asarray(q, dtype=float)
    if q.ndim != 2 or q.shape[0] != q.shape[1]:
        raise ValueError(f"a generator must be square, got shape {q.shape}")
    off = q - np.diag(np.diag(q))
    if (off < 0).any():
        raise ValueError("a generator's off-diagonal rates must be >= 0")
    scale = max(1.0, float(np.abs(q).max()))
    if np.abs(q.sum(axis=1)).max() > tol * scale:
        raise ValueError("every row of a generator must sum to 0")


def generator(n: int, rates: dict[tuple[int, int], float]) -> np.ndarray:
    """An n-state generator from {(from, to): rate}; the diagonal makes rows sum to 0.
    Rates to the same pair add up."""
    q = np.zeros((n, n))
    for (i, j), r in rates.items():
        if i != j:
            q[i, j] += r
    q[np.diag_indices(n)] = -q.sum(axis=1)
    return q


def steady_state(q: np.ndarray) -> np.ndarray:
    """Stationary distribution π of an irreducible CTMC: πQ = 0 with Σπ = 1.

    Solved as one linear system: Qᵀπ = 0 with one (redundant) balance equation replaced by
    the normalisation Σπ = 1.
    """
    q = np.asarray(q, dtype=float)
    a = q.T.copy()
    a[-1, :] = 1.0
    b = np.zeros(q.shape[0])
    b[-1] = 1.0
    return scipy.linalg.solve(a, b)


def time_average(q: np.ndarray, start: int, horizon: float) -> np.ndarray:
    """Expected fraction of [0, horizon] spent in each state, starting in state `start`:
    (1/T) ∫₀ᵀ p₀ e^{Qt} dt.

    The integral comes from one matrix exponential (Van Loan): for M = [[QT, I], [0, 0]],
    the top-right block of e^M is ∫₀¹ e^{QTs} ds = (1/T) ∫₀ᵀ e^{Qt} dt.
    """
    if horizon <= 0:
        raise ValueError("horizon must be > 0")
    n = q.shape[0]
    m = np.zeros((2 * n, 2 * n))
    m[:n, :n] = q * horizon
    m[:n, n:] = np.eye(n)
    avg = scipy.linalg.expm(m)[:n, n:]
    return avg[start]


def transient(q: np.ndarray, start: int, t: float) -> np.ndarray:
    """Distribution over states at time t, starting in state `start`: p₀ e^{Qt}."""
    return scipy.linalg.expm(np.asarray(q, dtype=float) * t)[start]


def _transient_block(q: np.ndarray, absorbing: Sequence[int] | np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    keep = np.setdiff1d(np.arange(q.shape[0]), np.asarray(absorbing, dtype=int))
    return keep, q[np.ix_(keep, keep)]


def mean_time_to_absorption(q: np.ndarray, absorbing: Sequence[int] | np.ndarray,
                            start: int) -> float:
    """Expected time from `start` until the chain first enters one of the `absorbing` states.

    With Q_TT the generator restricted to the other (transient) states, the fundamental
    matrix N = (−Q_TT)⁻¹ holds the expected time spent in each transient state; the mean
    time to absorption is the row sum of N for the start state.
    """
    keep, qtt = _transient_block(np.asarray(q, dtype=float), absorbing)
    if start not in keep:
        return 0.0
    n = scipy.linalg.solve(-qtt, np.eye(len(keep)))
    return float(n[np.flatnonzero(keep == start)[0]].sum())


def survival(q: np.ndarray, absorbing: Sequence[int] | np.ndarray, start: int,
             t: float) -> float:
    """P(not yet absorbed at time t) from `start`: p₀ e^{Q_TT t} 1."""
    keep, qtt = _transient_block(np.asarray(q, dtype=float), absorbing)
    if start not in keep:
        return 0.0
    return float(scipy.linalg.expm(qtt * t)[np.flatnonzero(keep == start)[0]].sum())


def independent(chains: Sequence[Chain]) -> tuple[np.ndarray, np.ndarray]:
    """The joint generator of independent chains (the Kronecker sum of their generators)
    and each joint state's tuple of component states, as an array (rows: joint states)."""
    q: np.ndarray = np.zeros((1, 1))
    for c in chains:
        q = np.kron(q, np.eye(c.size)) + np.kron(np.eye(q.shape[0]), c.q)
    states = np.array(list(itertools.product(*[range(c.size) for c in chains])))
    return q, states


# ---- one repairable unit ---------------------------------------------------------------


def unit_chain(lam: float, mu: float) -> Chain:
    """One unit: state 0 up, 1 down; fails at rate λ, is repaired at rate μ."""
    return Chain(generator(2, {(0, 1): lam, (1, 0): mu}), np.array([True, False]), 0,
                 ("up", "down"))


def unit_availability(lam: float, mu: float) -> float:
    """Steady-state availability of one repairable unit: μ / (λ + μ) = MTTF / (MTTF + MTTR)."""
    return mu / (lam + mu)


def point_availability(lam: float, mu: float, t: float) -> float:
    """A(t) = P(up at time t) of one unit that starts up: μ/(λ+μ) + λ/(λ+μ) e^{−(λ+μ)t}."""
    s = lam + mu
    return 1.0 + lam / s * math.expm1(-s * t)  # = 1 − λ/(λ+μ) (1 − e^{−(λ+μ)t}), exact at t=0


def mean_availability(lam: float, mu: float, horizon: float) -> float:
    """Time-average availability over [0, T] of one unit that starts up:
    (1/T) ∫₀ᵀ A(t) dt = μ/(λ+μ) + λ/((λ+μ)² T) (1 − e^{−(λ+μ)T})."""
    s = lam + mu
    return mu / s + lam / (s * s * horizon) * -math.expm1(-s * horizon)


# ---- series, parallel, k-out-of-n (independent units) -------------------------------------


def series_availability(availabilities: Sequence[float]) -> float:
    """A series system of independent units works while all do: Π Aᵢ."""
    return math.prod(availabilities)


def series_mean_availability(units: Sequence[tuple[float, float]], horizon: float) -> float:
    """Time-average availability over [0, T] of independent (λᵢ, μᵢ) units in series, all
    starting up: (1/T) ∫₀ᵀ Π Aᵢ(t) dt, expanded into exponentials and integrated exactly."""
    # Π (aᵢ + bᵢ e^{−sᵢt}) = Σ over subsets S of Π_{i∉S} aᵢ Π_{i∈S} bᵢ e^{−(Σ_{i∈S} sᵢ) t}
    total = 0.0
    for chosen in itertools.product((False, True), repeat=len(units)):
        coef, rate = 1.0, 0.0
        for pick, (lam, mu) in zip(chosen, units, strict=True):
            s = lam + mu
            coef *= lam / s if pick else mu / s
            rate += s if pick else 0.0
        total += coef * (1.0 if rate == 0 else -math.expm1(-rate * horizon) / (rate * horizon))
    return total


def parallel_availability(availabilities: Sequence[float]) -> float:
    """Independent units in parallel (each with its own repair) work while any does:
    1 − Π (1 − Aᵢ)."""
    return 1.0 - math.prod(1.0 - a for a in availabilities)


def k_of_n_availability(n: int, k: int, a: float) -> float:
    """k-out-of-n of identical independent units of availability a: P(at least k up) =
    Σ_{j=k}^{n} C(n, j) aʲ (1 − a)^{n−j}."""
    return float(stats.binom.sf(k - 1, n, a))


def k_of_n_mean_availability(n: int, k: int, lam: float, mu: float, horizon: float) -> float:
    """Time-average over [0, T] of P(at least k of n up), identical independent units
    starting up: (1/T) ∫₀ᵀ P(Binomial(n, A(t)) ≥ k) dt."""
    value, _ = integrate.quad(lambda t: k_of_n_availability(n, k,
                                                            point_availability(lam, mu, t)),
                              0.0, horizon, limit=200, epsabs=1e-13, epsrel=1e-11)
    return value / horizon


def k_of_n_chain(n: int, k: int, lam: float, mu: float, crews: int | None = None) -> Chain:
    """k-out-of-n as a birth-death chain on the number of units down (state j = j down):
    failures at (n − j)λ, repairs at min(j, crews)μ (crews=None: every unit its own repair,
    i.e. independent units). Up while at most n − k units are down."""
    rates = {}
    for j in range(n):
        rates[j, j + 1] = (n - j) * lam
        rates[j + 1, j] = min(j + 1, crews if crews is not None else n) * mu
    up = np.arange(n + 1) <= n - k
    return Chain(generator(n + 1, rates), up, 0, tuple(f"{j} down" for j in range(n + 1)))


# ---- two units in parallel (1-out-of-2) ----------------------------------------------------


def parallel2_chain(lam: float, mu: float, shared_crew: bool = False) -> Chain:
    """Two identical units in parallel (system up while one is): states 0, 1, 2 units down.
    With independent repair both down units are repaired at once (rate 2μ from state 2);
    with one shared repair crew only one at a time (rate μ)."""
    return k_of_n_chain(2, 1, lam, mu, crews=1 if shared_crew else None)


def parallel2_shared_crew_unavailability(lam: float, mu: float) -> float:
    """Steady-state unavailability of two parallel units with one repair crew:
    π₂ = 2λ² / (μ² + 2λμ + 2λ²) (balance: π₁ = (2λ/μ) π₀, π₂ = (λ/μ) π₁)."""
    return 2 * lam**2 / (mu**2 + 2 * lam * mu + 2 * lam**2)


def mttff_1oo2(lam: float, mu: float) -> float:
    """Mean time to first system failure of 1-out-of-2 with repair, both units new:
    (3λ + μ) / (2λ²). (From both up the chain leaves at 2λ; from one down it fails at λ or
    is repaired at μ; only one unit is ever under repair before the first system failure, so
    a shared crew gives the same answer.)"""
    return (3 * lam + mu) / (2 * lam**2)


# ---- cold standby with imperfect switchover ------------------------------------------------


def cold_standby_chain(lam: float, mu: float, c: float, sigma: float | None = None) -> Chain:
    """A primary (fails at λ, repaired at μ) with a cold standby that takes over by a
    switchover succeeding with probability c; the standby itself does not fail, and service
    returns to the primary (failback) as soon as the primary is repaired.

    With switchover rate σ (mean switchover time 1/σ; None = instantaneous) the states are
      0 primary up, serving;          1 primary down, switching (service down);
      2 primary repaired during the switchover, which still runs (service up at the primary);
      3 served by the standby, primary down;   4 switchover failed, waiting for repair (down).
    Transitions: 0→1 λ; 1→2 μ; 1→3 cσ; 1→4 (1−c)σ; 2→0 σ (whatever the outcome, service is
    back home); 2→1 λ (the primary fails again while the switchover still runs); 3→0 μ;
    4→0 μ. Instantaneous switchover leaves states 0, 3, 4 with 0→3 cλ and 0→4 (1−c)λ.
    """
    if sigma is None:
        q = generator(3, {(0, 1): c * lam, (0, 2): (1 - c) * lam, (1, 0): mu, (2, 0): mu})
        return Chain(q, np.array([True, True, False]), 0, ("primary", "standby", "down"))
    q = generator(5, {(0, 1): lam, (1, 2): mu, (1, 3): c * sigma, (1, 4): (1 - c) * sigma,
                      (2, 0): sigma, (2, 1): lam, (3, 0): mu, (4, 0): mu})
    return Chain(q, np.array([True, False, True, True, False]), 0,
                 ("primary", "switching", "repaired while switching", "standby", "failed"))


def cold_standby_unavailability(lam: float, mu: float, c: float) -> float:
    """Steady-state unavailability of cold standby with instantaneous switchover of success
    probability c (perfect standby, failback on repair): (1 − c) λ / (λ + μ)."""
    return (1 - c) * lam / (lam + mu)


# ---- data lost under periodic backups --------------------------------------------------


def backup_data_lost_mean(interval: float, low: float = 0.0, high: float | None = None) -> float:
    """Expected data lost (seconds of writes) when backups are taken at 0, I, 2I, ... and the
    failure time is uniform on [low, high]: E[t mod I]. Over a whole number of intervals
    (the default: one interval) it is I/2."""
    high = interval if high is None else high
    if high <= low:
        raise ValueError("high must be > low")

    def integral_to(x: float) -> float:  # ∫₀ˣ (t mod I) dt
        whole, rest = divmod(x, interval)
        return whole * interval**2 / 2 + rest**2 / 2

    return (integral_to(high) - integral_to(low)) / (high - low)


# ---- two sites, active/passive, with a failover time -----------------------------------


def failover_downtime_mean(mu: float, failover: float, jitter: float = 0.0) -> float:
    """Expected customer downtime per primary failure, E[min(R, D)], when the repair time R
    is exponential (rate μ) and service moves to the passive site after a failover time D,
    uniform on [failover, failover + jitter] (jitter 0: fixed). Whichever comes first —
    repair or failover — ends the outage. E[min(R, D)] = (1 − E[e^{−μD}]) / μ."""
    if jitter == 0:
        lst = math.exp(-mu * failover)
    else:
        lst = math.exp(-mu * failover) * -math.expm1(-mu * jitter) / (mu * jitter)
    return (1 - lst) / mu


def active_passive_unavailability(lam: float, mu: float, failover: float,
                                  jitter: float = 0.0) -> float:
    """Steady-state unavailability of two sites, active/passive: the active site fails at λ
    and is repaired at μ; the passive site (assumed never to fail) serves after a failover
    time D ~ uniform[failover, failover + jitter]; customers return to the active site as
    soon as it is repaired. Renewal-reward over one up/down cycle:
    U = E[min(R, D)] / (1/λ + 1/μ) = λμ E[min(R, D)] / (λ + μ)."""
    return lam * mu * failover_downtime_mean(mu, failover, jitter) / (lam + mu)


def active_passive_mean_unavailability(lam: float, mu: float, failover: float,
                                       jitter: float, horizon: float) -> float:
    """Expected fraction of [0, T] without service for the active/passive model above,
    starting with the active site up (no horizon bias).

    Failures of the active site occur at rate λA(s) at time s (A the unit's point
    availability), and the outage that starts at s lasts min(R, D); so the expected downtime
    within [0, T] is ∫₀ᵀ λ A(s) G(T − s) ds with G(v) = E[min(R, D, v)] = ∫₀ᵛ e^{−μu} P(D > u) du.
    """
    a, b = failover, failover + jitter
    g_inf = failover_downtime_mean(mu, failover, jitter)

    def g(v: float) -> float:
        if v >= b:
            return g_inf
        head = -math.expm1(-mu * min(v, a)) / mu
        if v <= a or jitter == 0:
            return head
        part, _ = integrate.quad(lambda u: math.exp(-mu * u) * (b - u) / jitter, a, v)
        return head + part

    s = lam + mu
    cut = max(0.0, horizon - b)
    # ∫₀^cut λ A(s) g_inf ds, with ∫₀^x A = μx/s + λ/s² (1 − e^{−sx})
    bulk = lam * g_inf * (mu * cut / s + lam / s**2 * -math.expm1(-s * cut))
    tail, _ = integrate.quad(lambda x: lam * point_availability(lam, mu, x) * g(horizon - x),
                             cut, horizon, limit=200)
    return (bulk + tail) / horizon


# ---- failure suspension and standby units (component-level) -------------------------------


def series_suspended_availability(units: Sequence[tuple[float, float]]) -> float:
    """Steady-state availability of a series system whose working units stop ageing while
    the system is down (failure suspension): at most one unit is ever down, so the system
    alternates between up (leaving at Σλᵢ) and 'unit i down' (entered with probability
    λᵢ/Σλ, lasting 1/μᵢ). A = 1 / (1 + Σ λᵢ/μᵢ) — above Π Aᵢ, which lets units fail
    while the system is already down."""
    return 1.0 / (1.0 + sum(lam / mu for lam, mu in units))


def series_suspended_chain(units: Sequence[tuple[float, float]]) -> Chain:
    """The chain behind `series_suspended_availability`: state 0 up, state i unit i down."""
    rates: dict[tuple[int, int], float] = {}
    for i, (lam, mu) in enumerate(units, start=1):
        rates[0, i], rates[i, 0] = lam, mu
    n = len(units) + 1
    up = np.arange(n) == 0
    return Chain(generator(n, rates), up, 0, ("up", *(f"unit {i} down" for i in range(1, n))))


def standby_units_chain(lam: float, mu: float, c: float, sigma: float | None = None,
                        warm: float = 0.0) -> Chain:
    """One active unit and one standby unit of the same component (drsim's `standby:
    {units: 1}`), independent repair (rate μ per failed unit), the standby ageing at
    `warm` × λ while idle (0: cold). When the active unit fails the standby is switched in
    after an exponential time (rate σ; None = instantly) and works with probability c, else
    it goes to repair too. A repaired unit takes a vacant active slot at once (abandoning a
    switchover still running: the race) or becomes the standby; there is no failback.

    States: 0 one active, one idle standby (up);  1 active failed, switchover running (down);
    2 one active, the other in repair (up);  3 both in repair (down).
    Transitions: 0→1 λ (0→2 cλ, 0→3 (1−c)λ when instant); 0→2 warm·λ (the idle one fails);
    1→2 cσ; 1→3 (1−c)σ + warm·λ (the standby fails during the switchover); 1→0 μ (the
    repair comes first); 2→0 μ; 2→3 λ; 3→2 2μ (the first repaired unit serves).
    """
    rates: dict[tuple[int, int], float] = {(2, 0): mu, (2, 3): lam, (3, 2): 2 * mu}
    if sigma is None:  # no switching state: 0→2 (c + warm)λ, 0→3 (1−c)λ
        rates[0, 2], rates[0, 3] = c * lam + warm * lam, (1 - c) * lam
        keep = [0, 2, 3]
        q = generator(3, {(keep.index(i), keep.index(j)): r for (i, j), r in rates.items()})
        return Chain(q, np.array([True, True, False]), 0,
                     ("active + standby", "one in repair", "both in repair"))
    rates.update({(0, 1): lam, (0, 2): warm * lam, (1, 2): c * sigma,
                  (1, 3): (1 - c) * sigma + warm * lam, (1, 0): mu})
    return Chain(generator(4, rates), np.array([True, False, True, False]), 0,
                 ("active + standby", "switching", "one in repair", "both in repair"))
