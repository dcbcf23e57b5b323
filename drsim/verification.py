"""Verification: canonical systems written as ordinary drsim scenarios, simulated, and compared
with exact answers worked out here, independently of the simulator.

Each `Case` is a scenario (YAML text built here, read by the ordinary loader and validator),
the exact expected value of one metric, and how to measure that metric from the trial rows.
Every expected value is computed in this module from textbook reliability mathematics
(references in each formula's comment); nothing here calls the simulator's code or
`drsim.analytic` (which the tests cross-check against these formulas separately), so a bug in
the simulator cannot cancel out by appearing on both sides.

**The test.** A case runs on `seeds` independent root seeds (3 by default: `seed`, `seed + 1`,
...). Each (case, seed) pair gives a statistic (simulated mean − exact value) / standard
error and its two-sided p-value (Student t on n − 1 degrees of freedom for a mean; normal for
a proportion, whose variance under the exact value is known); the whole family of cases ×
seeds is judged by the Holm–Bonferroni procedure at family-wise level `alpha` (1% by
default). So an unbiased simulator passes with probability at least 99% whatever the base
seed — no seed is special — and a case fails when any of its seeds is rejected.

**Power.** Each case's trial count per seed is computed from its per-trial coefficient of
variation (measured in pilot runs, or exact for a proportion) so that a relative bias of
`bias` (2%) in its metric makes the case fail with probability at least `power` (90%):

    n = ⌈((c_{α/m} + z_p) · cv / bias)²⌉,   z_p = Φ⁻¹(1 − (1 − power)^{1/S})

with m = cases × seeds tests, S seeds (the case fails if at least one of its S seeds
rejects, each at the strictest Holm threshold α/m) and c_{α/m} the two-sided critical value
there (t on n − 1 degrees of freedom, so n is found by iteration). After the run, the
*minimum detectable relative bias* reported per case is the same formula solved for the bias
with the observed standard error (`detectable_bias`).

Availability cases compare *unavailability* with the exact time-average over the simulated
horizon starting with everything up, so the horizon's length introduces no bias. Their
parameters give many failure–repair cycles per trial and a low availability: the variance of
a time-average unavailability per cycle is about 2A²/cycles relative (exponential up and down
times), so a low A makes a 2% bias in the metric cheap to see. Such a metric moves by only
about A × 2% under a 2% bias in repair times, which is why two cases (`repair-weibull`,
`failure-lognormal`) measure one repair time and one lifetime directly (sensitivity 1).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import integrate, stats

from drsim.montecarlo import WorkerPool, run_trials
from drsim.scenario import Scenario, parse_scenario

HOUR = 3600.0
DEFAULT_SEED = 1  # base seed; any other passes as often (family-wise level, see above)
DEFAULT_SEEDS = 3
DEFAULT_ALPHA = 0.01  # family-wise error level over cases × seeds
DEFAULT_POWER = 0.90
DEFAULT_BIAS = 0.02  # relative bias every case must detect with `power`
QUICK = ("unit", "unit-point", "series", "parallel-shared-crew", "repair-weibull",
         "failure-lognormal")


@dataclass(frozen=True)
class Sample:
    """A simulated mean and its standard error over `n` trials."""

    value: float
    se: float
    n: int
    known_variance: bool = False  # True: a z test (the variance is the exact one under H0)

    @property
    def df(self) -> float | None:
        """Degrees of freedom of the t test (None: normal)."""
        return None if self.known_variance else self.n - 1


Measure = Callable[[pd.DataFrame, float], Sample]  # (trial rows, expected value)


@dataclass(frozen=True)
class Case:
    """One canonical system: a scenario, the exact value of a metric, and how to measure it.

    `expected` and measured values are in base units (a fraction, or seconds); `unit` and
    `scale` only say how to show them (`value / scale`, followed by `unit`). `cv` is the
    per-trial coefficient of variation of the metric (standard deviation ÷ mean) used to size
    the run.
    """

    id: str
    title: str
    yaml: str
    metric: str  # what is compared, in words
    expected: float
    formula: str  # the closed form, in words/symbols
    measure: Measure
    cv: float
    unit: str = ""
    scale: float = 1.0
    note: str = ""
    check: Callable[[pd.DataFrame], list[str]] = field(default=lambda frame: [])

    @property
    def analytic(self) -> float:
        return self.expected

    def scenario(self) -> Scenario:
        return parse_scenario(self.yaml, f"<verify:{self.id}>")


# ---- the statistics of the test ------------------------------------------------------------

_N = NormalDist()


def z_threshold(alpha: float, tests: int, df: float | None = None) -> float:
    """Two-sided critical value at the strictest Holm (= Bonferroni) level α/m: normal, or
    Student t with `df` degrees of freedom for a mean with an estimated variance."""
    q = 1 - alpha / (2 * tests)
    return float(stats.t.ppf(q, df)) if df is not None else _N.inv_cdf(q)


def z_power(power: float, seeds: int) -> float:
    """z such that each of `seeds` independent tests rejecting with probability Φ(z_p) makes
    at least one of them reject with probability `power`: Φ(z_p) = 1 − (1 − power)^{1/S}."""
    return _N.inv_cdf(1 - (1 - power) ** (1 / seeds))


def detectable_bias(rel_se: float, alpha: float, tests: int, power: float,
                    seeds: int, df: float | None = None) -> float:
    """Smallest relative bias δ detected with probability ≥ `power`: a biased mean shifts
    the test statistic by δ/rel_se, so one seed rejects with probability
    ≈ Φ(δ/rel_se − c) (c the critical value at α/m) and at least one of S with
    1 − (1 − that)^S. Solving for δ: δ = (c + z_p) · rel_se."""
    return (z_threshold(alpha, tests, df) + z_power(power, seeds)) * rel_se


def trials_needed(cv: float, alpha: float, tests: int, power: float, seeds: int,
                  bias: float, t_test: bool = True) -> int:
    """Trials per seed for `detectable_bias` ≤ `bias` when rel_se = cv / √n (with a t
    critical value on n − 1 degrees of freedom unless the variance is known)."""
    n = max(2, math.ceil(((z_threshold(alpha, tests) + z_power(power, seeds)) * cv / bias)
                         ** 2))
    while t_test and detectable_bias(cv / math.sqrt(n), alpha, tests, power, seeds,
                                     n - 1) > bias:
        n += max(1, n // 200)
    return n


def p_value(z: float, df: float | None = None) -> float:
    """Two-sided p-value: P(|Z| ≥ |z|) = erfc(|z|/√2), or Student t's with `df`."""
    if df is not None:
        return float(2 * stats.t.sf(abs(z), df))
    return math.erfc(abs(z) / math.sqrt(2))


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm–Bonferroni step-down (Holm 1979): sort the m p-values ascending, reject the i-th
    smallest (i = 0, 1, ...) while p_(i) ≤ α/(m − i), stop at the first that is not. Controls
    the family-wise error rate at α under any dependence. Returns rejected? per input."""
    m = len(p_values)
    rejected = [False] * m
    for rank, i in enumerate(sorted(range(m), key=lambda j: p_values[j])):
        if not p_values[i] <= alpha / (m - rank):  # NaN is never ≤: stops, and is not rejected
            break
        rejected[i] = True
    return rejected


# ---- measuring a metric from the trial rows -------------------------------------------------


def mean_of(column: str, cap: float | None = None) -> Measure:
    """The mean of a per-trial column (NaN → `cap` when given: a time-to-event not reached
    within the horizon counts as the horizon) and its standard error s/√n."""

    def measure(frame: pd.DataFrame, expected: float) -> Sample:
        x = frame[column].to_numpy(dtype=float)
        if cap is not None:
            x = np.minimum(np.nan_to_num(x, nan=cap, posinf=cap), cap)
        n = len(x)
        if n < 2:
            return Sample(math.nan, math.nan, n)
        return Sample(float(x.mean()), float(x.std(ddof=1)) / math.sqrt(n), n)

    return measure


def down_at_horizon(frame: pd.DataFrame, expected: float) -> Sample:
    """Share of trials still without service at the horizon, with the standard error of the
    score test, √(p₀(1 − p₀)/n) at the exact p₀. A trial is down at the end exactly when some
    loss of service was still open there, i.e. its `all_restored` is false."""
    n = len(frame)
    down = int((~frame["all_restored"].astype(bool)).sum())
    return Sample(down / n if n else math.nan, math.sqrt(expected * (1 - expected) / n)
                  if n else math.nan, n, known_variance=True)


# ---- exact answers, worked out here -----------------------------------------------------------
#
# One repairable unit with exponential failure (rate λ) and repair (rate μ), up at 0, is down
# at t with probability q(t) = λ/(λ+μ) (1 − e^{−(λ+μ)t}) (the two-state Markov chain's
# Kolmogorov equations, Rausand & Høyland, *System Reliability Theory*, 2nd ed., 2004, §8.3;
# Barlow & Proschan, *Statistical Theory of Reliability and Life Testing*, 1975, ch. 7).
# Products of such terms (independent units) are sums c·e^{−rt}, whose time average over
# [0, T] is exactly c·(1 − e^{−rT})/(rT). `ExpSum` keeps such sums.


class ExpSum(dict[float, float]):
    """f(t) = Σ c_r e^{−r t}, stored as {r: c}."""

    @staticmethod
    def const(c: float) -> ExpSum:
        return ExpSum({0.0: c})

    @staticmethod
    def down(lam: float, mu: float) -> ExpSum:
        """q(t) of one unit (see above)."""
        s = lam + mu
        return ExpSum({0.0: lam / s, s: -lam / s})

    def __add__(self, other: ExpSum) -> ExpSum:
        out = ExpSum(self)
        for r, c in other.items():
            out[r] = out.get(r, 0.0) + c
        return out

    def scaled(self, k: float) -> ExpSum:
        return ExpSum({r: k * c for r, c in self.items()})

    def __mul__(self, other: ExpSum) -> ExpSum:
        out = ExpSum()
        for (r1, c1), (r2, c2) in itertools.product(self.items(), other.items()):
            out[r1 + r2] = out.get(r1 + r2, 0.0) + c1 * c2
        return out

    def at(self, t: float) -> float:
        return sum(c * math.exp(-r * t) for r, c in self.items())

    def mean(self, horizon: float) -> float:
        """(1/T) ∫₀ᵀ f(t) dt = Σ c_r (1 − e^{−rT})/(rT), the r = 0 term c₀."""
        return sum(c if r == 0 else c * -math.expm1(-r * horizon) / (r * horizon)
                   for r, c in self.items())


def unit_time_average_down(lam: float, mu: float, horizon: float) -> float:
    """(1/T) ∫₀ᵀ q(t) dt = λ/(λ+μ) − λ(1 − e^{−(λ+μ)T})/((λ+μ)² T)."""
    s = lam + mu
    return lam / s - lam * -math.expm1(-s * horizon) / (s * s * horizon)


def k_of_n_down(n: int, k: int, lam: float, mu: float) -> ExpSum:
    """P(fewer than k of n independent identical units up) at t: the binomial tail
    Σ_{j>n−k} C(n, j) qʲ (1 − q)^{n−j} (Rausand & Høyland §6.4), as an ExpSum."""
    q = ExpSum.down(lam, mu)
    p = ExpSum.const(1.0) + q.scaled(-1.0)
    total = ExpSum()
    for j in range(n - k + 1, n + 1):
        term = ExpSum.const(float(math.comb(n, j)))
        for _ in range(j):
            term = term * q
        for _ in range(n - j):
            term = term * p
        total = total + term
    return total


def series_down(units: Sequence[tuple[float, float]]) -> ExpSum:
    """Series of independent units: down unless all are up, 1 − Π (1 − qᵢ(t))."""
    up = ExpSum.const(1.0)
    for lam, mu in units:
        up = up * (ExpSum.const(1.0) + ExpSum.down(lam, mu).scaled(-1.0))
    return ExpSum.const(1.0) + up.scaled(-1.0)


def ctmc_time_average_down(n: int, rates: dict[tuple[int, int], float], down: Sequence[int],
                           horizon: float, start: int = 0) -> float:
    """Expected fraction of [0, T] spent in the `down` states of a finite irreducible Markov
    chain started in `start`, via its deviation matrix (Kemeny & Snell, *Finite Markov
    Chains*, 1960; Coolen-Schrijner & van Doorn, *Prob. Eng. Inf. Sci.* 16, 2002):

        ∫₀ᵀ p(t) dt = T π + (e_start − π) D − (p(T) − π) D,   D = (Π − Q)⁻¹ − Π,

    with π the stationary law (πQ = 0, Σπ = 1) and Π the matrix with rows π. The last term
    is bounded by e^{−γT} ‖D‖ (γ the spectral gap); it is dropped and the function refuses
    horizons with γT < 40, where it could matter."""
    q = np.zeros((n, n))
    for (i, j), r in rates.items():
        q[i, j] += r
    q -= np.diag(q.sum(axis=1))
    a = np.vstack([q.T, np.ones(n)])
    pi = np.linalg.lstsq(a, np.r_[np.zeros(n), 1.0], rcond=None)[0]
    big_pi = np.tile(pi, (n, 1))
    dev = np.linalg.inv(big_pi - q) - big_pi
    gap = min(-ev.real for ev in np.linalg.eigvals(q) if abs(ev) > 1e-12 * np.abs(q).max())
    if gap * horizon < 40:
        raise ValueError(f"horizon too short for the expansion (γT = {gap * horizon:.1f})")
    start_row = np.eye(n)[start]
    avg = pi + (start_row - pi) @ dev / horizon
    return float(avg[list(down)].sum())


def mttff_restricted_1oo2(lam: float, mu: float, horizon: float) -> float:
    """E[min(T, H)] for T the time to first system failure of two identical parallel units
    with repair, both new (states 2 up → 1 up at 2λ; 1 up → 2 up at μ, → failed at λ).
    The survival function's Laplace transform is S*(s) = (s + 3λ + μ)/(s² + (3λ+μ)s + 2λ²)
    (Rausand & Høyland §8.5; S*(0) = MTTFF = (3λ+μ)/(2λ²)); with r₁, r₂ the (negative) roots
    of the denominator, S(t) = Σᵢ (rᵢ + 3λ + μ)/(rᵢ − rⱼ) e^{rᵢt}, so
    E[min(T, H)] = ∫₀ᴴ S = Σᵢ (rᵢ + 3λ + μ)/(rᵢ − rⱼ) · (e^{rᵢH} − 1)/rᵢ."""
    b, c = 3 * lam + mu, 2 * lam * lam
    disc = math.sqrt(b * b - 4 * c)
    r = ((-b + disc) / 2, (-b - disc) / 2)
    return sum((r[i] + b) / (r[i] - r[1 - i]) * math.expm1(r[i] * horizon) / r[i]
               for i in (0, 1))


def backup_age_at_exponential_failure(lam: float, interval: float) -> float:
    """E[T mod I] for T ~ exponential(λ) and backups at 0, I, 2I, ...: by memorylessness
    T = K·I + R with R independent of K and distributed as an exponential truncated to
    [0, I) (Ross, *Introduction to Probability Models*, §5.2), so
    E[R] = 1/λ − I e^{−λI}/(1 − e^{−λI})."""
    return 1 / lam - interval / math.expm1(lam * interval)


def backup_age_cv(lam: float, interval: float) -> float:
    """Coefficient of variation of R above: E[R²] = ∫₀ᴵ r² λe^{−λr} dr / (1 − e^{−λI})
    = (2/λ² − e^{−λI}(I² + 2I/λ + 2/λ²)) / (1 − e^{−λI})."""
    tail = math.exp(-lam * interval)
    second = (2 / lam**2 - tail * (interval**2 + 2 * interval / lam + 2 / lam**2)) / (1 - tail)
    mean = backup_age_at_exponential_failure(lam, interval)
    return math.sqrt(second - mean**2) / mean


# ---- scenario text --------------------------------------------------------------------------


def _h(hours: float) -> str:
    return f"{hours:g}h"


def _exp(hours: float) -> str:
    return f"{{exponential: {{mean: {_h(hours)}}}}}"


def _head(name: str, horizon_h: float, random_failures: bool = True) -> str:
    return (f"drsim: 1\nname: \"{name}\"\n"
            f"simulation: {{start: \"2026-01-05T00:00\", timezone: UTC, "
            f"horizon: {_h(horizon_h)}, random_failures: {str(random_failures).lower()}}}\n")


def _one_site(name: str, horizon_h: float, component: str, extra: str = "") -> str:
    """One site `a` with one component `box` that the one service needs; one group."""
    return (_head(name, horizon_h)
            + f"sites:\n  a:\n    components:\n      box: {component}\n"
            + "services:\n  svc: {requires: [box], active: [a]}\n"
            + "customers:\n  users: {count: 1, access: a, home: a, services: [svc]}\n"
            + extra)


def _units(ttf_h: float, ttr_h: float, count: int = 1, needed: int | None = None,
           role: str | None = None) -> str:
    parts = [f"count: {count}"]
    if needed is not None:
        parts.append(f"needed: {needed}")
    parts += [f"ttf: {_exp(ttf_h)}", f"ttr: {_exp(ttr_h)}"]
    if role:
        parts.append(f"repair_role: {role}")
    return "{" + ", ".join(parts) + "}"


def _rates(ttf_h: float, ttr_h: float) -> tuple[float, float]:
    """(λ, μ) per second from mean hours."""
    return 1.0 / (ttf_h * HOUR), 1.0 / (ttr_h * HOUR)


UNAVAIL = mean_of("unavailability")


# ---- the canonical systems --------------------------------------------------------------------


def unit_steady() -> Case:
    ttf, ttr, horizon = 10.0, 20.0, 2000.0
    lam, mu = _rates(ttf, ttr)
    return Case(
        "unit", "One repairable unit",
        _one_site("one repairable unit", horizon, _units(ttf, ttr)),
        f"unavailability over {_h(horizon)}",
        unit_time_average_down(lam, mu, horizon * HOUR),
        "λ/(λ+μ) − λ(1−e^{−(λ+μ)T})/((λ+μ)²T)", UNAVAIL, cv=0.065,
        note=f"MTTF {_h(ttf)}, MTTR {_h(ttr)}, both exponential; time average of q(t) over "
             "the horizon from 'up'")


def unit_point() -> Case:
    ttf, ttr, horizon = 2.0, 8.0, 10.0
    lam, mu = _rates(ttf, ttr)
    p = ExpSum.down(lam, mu).at(horizon * HOUR)
    return Case(
        "unit-point", "One repairable unit, point unavailability",
        _one_site("one repairable unit, point availability", horizon, _units(ttf, ttr)),
        f"P(down at t = {_h(horizon)})", p, "λ/(λ+μ)(1 − e^{−(λ+μ)t})", down_at_horizon,
        cv=math.sqrt((1 - p) / p),
        note="a trial is down at t when its last outage is still open at the horizon t; "
             "cv = √((1−p)/p) exactly")


def series() -> Case:
    site, link, box, horizon = (20.0, 10.0), (15.0, 5.0), (10.0, 10.0), 2000.0
    yaml = (_head("series: site, link, component", horizon)
            + f"sites:\n  a:\n    ttf: {_exp(site[0])}\n    ttr: {_exp(site[1])}\n"
            + f"    components:\n      box: {_units(*box)}\n"
            + "access_points:\n  pop: {}\n"
            + f"links:\n  pop-a: {{a: pop, b: a, ttf: {_exp(link[0])}, ttr: {_exp(link[1])}}}\n"
            + "services:\n  svc: {requires: [box], active: [a]}\n"
            + "customers:\n  users: {count: 1, access: pop, home: a, services: [svc]}\n")
    units = [_rates(*site), _rates(*link), _rates(*box)]
    return Case(
        "series", "Series: site, link and component", yaml,
        f"unavailability over {_h(horizon)}", series_down(units).mean(horizon * HOUR),
        "(1/T)∫ 1 − Π(1 − qᵢ(t)) dt", UNAVAIL, cv=0.045,
        note="service needs the site, the one link from the access point and the component, "
             "each failing and repaired independently")


def parallel() -> Case:
    ttf, ttr, horizon = 10.0, 20.0, 2000.0
    lam, mu = _rates(ttf, ttr)
    return Case(
        "parallel", "Two in parallel, independent repair",
        _one_site("two units in parallel", horizon, _units(ttf, ttr, 2, 1)),
        f"unavailability over {_h(horizon)}", k_of_n_down(2, 1, lam, mu).mean(horizon * HOUR),
        "(1/T)∫ q(t)² dt", UNAVAIL, cv=0.10,
        note=f"1-out-of-2, MTTF {_h(ttf)}, MTTR {_h(ttr)}; steady (λ/(λ+μ))² = 4/9")


def parallel_shared_crew() -> Case:
    ttf, ttr, horizon = 10.0, 20.0, 2000.0
    lam, mu = _rates(ttf, ttr)
    return Case(
        "parallel-shared-crew", "Two in parallel, one repair crew",
        _one_site("two units in parallel", horizon, _units(ttf, ttr, 2, 1, "crew"),
                  "staff:\n  crew: {count: 1}\n"),
        f"unavailability over {_h(horizon)}",
        ctmc_time_average_down(3, {(0, 1): 2 * lam, (1, 0): mu, (1, 2): lam, (2, 1): mu},
                               [2], horizon * HOUR),
        "birth–death chain 0,1,2 down: 2λ, λ up; μ, μ down", UNAVAIL, cv=0.085,
        note="one repair at a time; steady π₂ = 2λ²/(μ²+2λμ+2λ²) = 8/13")


def mttff() -> Case:
    ttf, ttr, horizon = 10.0, 10.0, 40.0
    lam, mu = _rates(ttf, ttr)
    return Case(
        "mttff-1oo2", "1-out-of-2 with repair, time to first failure",
        _one_site("1-out-of-2, first failure", horizon, _units(ttf, ttr, 2, 1)),
        f"E[min(time to first outage, {_h(horizon)})]",
        mttff_restricted_1oo2(lam, mu, horizon * HOUR),
        "Σᵢ (rᵢ+3λ+μ)/(rᵢ−rⱼ) · (e^{rᵢH}−1)/rᵢ", mean_of("first_incident_s", horizon * HOUR),
        cv=0.74, unit="h", scale=HOUR,
        note="restricted mean of the first-passage time (→ MTTFF (3λ+μ)/(2λ²) = 20h as "
             "H → ∞); a trial without an outage counts H")


def k_of_n() -> Case:
    n, k, ttf, ttr, horizon = 4, 2, 10.0, 15.0, 2000.0
    lam, mu = _rates(ttf, ttr)
    return Case(
        "k-of-n", f"{k}-out-of-{n}, independent repair",
        _one_site(f"{k}-out-of-{n}", horizon, _units(ttf, ttr, n, k)),
        f"unavailability over {_h(horizon)}",
        k_of_n_down(n, k, lam, mu).mean(horizon * HOUR),
        f"(1/T)∫ Σ_{{j>{n - k}}} C({n},j) qʲ(1−q)^{{{n}−j}} dt", UNAVAIL, cv=0.09,
        note=f"P(fewer than {k} of {n} up), binomial tail of q(t); steady q = 0.6")


def _two_sites(name: str, horizon_h: float, main: str, standby: str, extra: str) -> str:
    return (_head(name, horizon_h)
            + f"sites:\n  main:\n{main}  backup:\n    components:\n      box: {{ttr: 1h}}\n"
            + "access_points:\n  pop: {}\n"
            + "links:\n  pop-main: {a: pop, b: main}\n  pop-backup: {a: pop, b: backup}\n"
            + "services:\n  svc:\n    requires: [box]\n    active: [main]\n"
            + f"    standby: {{sites: [backup], mode: {standby}}}\n"
            + "customers:\n  users: {count: 1, access: pop, home: main, services: [svc]}\n"
            + extra)


def cold_standby() -> Case:
    ttf, ttr, switch_h, c, horizon = 5.0, 10.0, 2.0, 0.5, 2000.0
    lam, mu = _rates(ttf, ttr)
    sigma = 1 / (switch_h * HOUR)
    extra = (
        "detection: {interval: 1s, failed_checks: 1}\n"
        "runbooks:\n"
        "  failover:\n    trigger: detected\n    steps:\n"
        f"      - {{id: switch, duration: {_exp(switch_h)}, success: {c}, retries: 0, effects: "
        "[{activate: {service: svc, site: backup}}, {move: {groups: all, to: backup}}]}\n"
        "  failback:\n    trigger: {after: failover}\n    steps:\n"
        "      - {id: return, duration: 0s, requires: {site_healthy: [main]}, effects: "
        "[{move: {groups: all, to: home}}, {deactivate: {service: svc, site: backup}}]}\n")
    main = f"    components:\n      box: {_units(ttf, ttr)}\n"
    # 0 primary serving; 1 primary down, switchover running; 2 primary repaired while the
    # switchover still runs (served at home); 3 served by the standby; 4 switchover failed.
    rates = {(0, 1): lam, (1, 2): mu, (1, 3): c * sigma, (1, 4): (1 - c) * sigma,
             (2, 0): sigma, (2, 1): lam, (3, 0): mu, (4, 0): mu}
    return Case(
        "cold-standby", "Cold standby, switchover success c",
        _two_sites("cold standby, imperfect switchover", horizon, main, "cold", extra),
        f"unavailability over {_h(horizon)}",
        ctmc_time_average_down(5, rates, [1, 4], horizon * HOUR),
        "5-state chain: fail λ, switch cσ/(1−c)σ, repair μ", UNAVAIL, cv=0.12,
        note=f"c = {c}, switchover ~ exponential (mean {_h(switch_h)}) as one runbook step "
             "with no retries; failback when the primary is repaired. Detection (one check "
             "a second) adds < 1 s per failure (~1e-4 relative)")


def backup_data_lost() -> Case:
    interval, mean_h, horizon = 4.0, 4.0, 200.0
    lam = 1 / (mean_h * HOUR)
    extra = (
        "runbooks:\n  failover:\n    trigger: detected\n    steps:\n"
        "      - {id: switch, duration: 0s, effects: [{activate: {service: svc, site: backup}}, "
        "{move: {groups: all, to: backup}}]}\n"
        "disruptions:\n"
        f"  - {{id: crash, at: {_exp(mean_h)}, targets: [{{component: main.box}}], "
        "duration: 1h}\n")
    main = "    components:\n      box: {ttr: 1h}\n"
    yaml = _two_sites("periodic backups", horizon, main, "cold", extra).replace(
        "    standby: {sites: [backup], mode: cold}\n",
        "    standby: {sites: [backup], mode: cold}\n"
        f"    replication: {{mode: backup, to: backup, interval: {_h(interval)}}}\n")
    yaml = yaml.replace("random_failures: true", "random_failures: false")
    return Case(
        "backup-data-lost", "Periodic backups, data lost", yaml,
        "mean data lost on failover", backup_age_at_exponential_failure(lam, interval * HOUR),
        "1/λ − I/(e^{λI} − 1)", mean_of("data_lost_s.svc"),
        cv=backup_age_cv(lam, interval * HOUR), unit="h", scale=HOUR,
        note=f"backup every {_h(interval)}; the primary fails at an exponential time (mean "
             f"{_h(mean_h)}; P(after the {_h(horizon)} horizon) = e^-50) and service fails "
             "over: lost = T mod I")


def active_passive() -> Case:
    ttf, ttr, horizon = 2.0, 1.0, 500.0
    check_min, checks = 10.0, 3
    lam, mu = _rates(ttf, ttr)
    a, b = (checks - 1) * check_min * 60, checks * check_min * 60  # failover D ~ U[a, b]
    main = f"    ttf: {_exp(ttf)}\n    ttr: {_exp(ttr)}\n    components:\n      box: {{ttr: 1h}}\n"
    extra = f"detection: {{interval: {check_min:g}m, failed_checks: {checks}}}\n"
    return Case(
        "active-passive", "Two sites, active/passive, failover time",
        _two_sites("active/passive sites", horizon, main, "hot", extra),
        f"unavailability over {_h(horizon)}",
        active_passive_time_average_down(lam, mu, a, b, horizon * HOUR),
        "(λ/T)[g∞∫₀^{T−b}A + A∞∫₀ᵇ(b−u)e^{−μu}P(D>u)du]", UNAVAIL, cv=0.075,
        note="the active site fails (MTTF 2h, MTTR 1h); the hot passive site takes over at "
             f"the alert, {checks} failed checks {check_min:g} min apart: failover time D "
             "uniform on [20, 30] min; the outage lasts min(R, D); customers return when the "
             "site is repaired")


def active_passive_time_average_down(lam: float, mu: float, a: float, b: float,
                                     horizon: float) -> float:
    """Expected fraction of [0, T] without service when the active site (exponential λ, μ,
    up at 0) fails and each outage lasts min(R, D), R ~ exponential(μ) the repair and
    D ~ uniform[a, b] the failover. Failures happen at rate λA(s) (A the site's point
    availability), and one at s costs G(T − s), G(v) = E[min(R, D, v)] = ∫₀ᵛ e^{−μu}P(D>u)du
    (the expected-downtime integral of a renewal argument; Ross, *Stochastic Processes*,
    1996, §3.4). For s ≤ T − b, G = g∞ = E[min(R, D)]; on the last b seconds A(s) equals
    A∞ = μ/(λ+μ) up to e^{−(λ+μ)(T−b)} (≈ e^{−2000}), so
    E[downtime] = λ g∞ ∫₀^{T−b} A(s)ds + λ A∞ ∫₀ᵇ (b − u) e^{−μu} P(D > u) du."""
    def survive_d(u: float) -> float:
        return 1.0 if u < a else (b - u) / (b - a)

    g_inf = integrate.quad(lambda u: math.exp(-mu * u) * survive_d(u), 0, b, points=[a])[0]
    s = lam + mu
    cut = horizon - b
    up_time = mu / s * cut + lam / (s * s) * -math.expm1(-s * cut)  # ∫₀ᶜᵘᵗ A(s) ds
    tail = integrate.quad(lambda u: (b - u) * math.exp(-mu * u) * survive_d(u), 0, b,
                          points=[a])[0]
    return lam * (g_inf * up_time + mu / s * tail) / horizon


def series_suspended() -> Case:
    units_h, horizon = ((20.0, 10.0), (40.0, 20.0), (10.0, 2.0)), 2000.0
    comps = "".join(f"      c{i}: {_units(ttf, ttr)}\n" for i, (ttf, ttr) in enumerate(units_h))
    yaml = (_head("series with failure suspension", horizon)
            + f"sites:\n  a:\n    components:\n{comps}"
            + "services:\n  svc: {requires: [c0, c1, c2], active: [a], suspend_failures: true}\n"
            + "customers:\n  users: {count: 1, access: a, home: a, services: [svc]}\n")
    rates: dict[tuple[int, int], float] = {}
    for i, u in enumerate(units_h, start=1):
        rates[0, i], rates[i, 0] = _rates(*u)
    rho = sum(ttr / ttf for ttf, ttr in units_h)
    return Case(
        "series-suspended", "Series with failure suspension", yaml,
        f"unavailability over {_h(horizon)}",
        ctmc_time_average_down(4, rates, [1, 2, 3], horizon * HOUR),
        "star chain: up → unit i down at λᵢ, back at μᵢ", UNAVAIL, cv=0.08,
        note="three components in series that stop ageing while the service is down: at most "
             f"one is ever down; steady 1 − A = Σρ/(1 + Σρ) = {rho / (1 + rho):.4f}, ρᵢ = λᵢ/μᵢ")


def standby_units(warm: bool) -> Case:
    ttf, switch_h, c, horizon = 10.0, 2.0, 0.8, 2000.0
    ttr = 20.0 if warm else 10.0
    lam, mu = _rates(ttf, ttr)
    w = 0.5 if warm else 0.0
    # 0 one active, one idle standby; 1 active failed, switchover running; 2 one active, one
    # in repair; 3 both in repair. Repairs are independent (μ each); a repaired unit takes
    # the vacant slot at once (ending a switchover still running) or becomes the standby.
    if warm:  # instant switchover that always works; the idle standby ages at w·λ: no state 1
        size, down = 3, [2]
        rates = {(0, 1): lam + w * lam, (1, 0): mu, (1, 2): lam, (2, 1): 2 * mu}
        standby = f"{{units: 1, mode: warm, rate: {w}}}"
    else:
        sigma = 1 / (switch_h * HOUR)
        size, down = 4, [1, 3]
        rates = {(0, 1): lam, (1, 2): c * sigma, (1, 3): (1 - c) * sigma, (1, 0): mu,
                 (2, 0): mu, (2, 3): lam, (3, 2): 2 * mu}
        standby = f"{{units: 1, mode: cold, switchover: {_exp(switch_h)}, success: {c}}}"
    comp = _units(ttf, ttr, 2)[:-1] + f", standby: {standby}}}"
    return Case(
        "standby-warm" if warm else "standby-cold",
        "Warm standby unit, 1-of-2" if warm else "Cold standby unit, imperfect switchover",
        _one_site("standby units", horizon, comp), f"unavailability over {_h(horizon)}",
        ctmc_time_average_down(size, rates, down, horizon * HOUR),
        "3-state chain (0, 1, 2 in repair): (1+w)λ, λ up; μ, 2μ down" if warm else
        "4-state chain: 0→1 λ, 1→2 cσ, 1→3 (1−c)σ, 1→0 μ, 2→3 λ, 3→2 2μ, 2→0 μ",
        UNAVAIL, cv=0.10 if warm else 0.105,
        note=("one active, one warm standby ageing at half speed, instant switchover" if warm
              else f"one active, one cold standby; switchover ~ exponential (mean "
                   f"{_h(switch_h)}), success {c}; a repair that finishes first ends the "
                   "outage"))


def repair_weibull() -> Case:
    shape, scale_h, horizon = 10, 10.0, 30.0
    yaml = (_one_site("one scripted failure, Weibull repair", horizon,
                      f"{{ttr: {{weibull: {{shape: {shape}, scale: {_h(scale_h)}}}}}}}",
                      "disruptions:\n  - {id: hit, at: 1h, targets: [{component: a.box}], "
                      "until: repaired}\n")
            .replace("random_failures: true", "random_failures: false"))
    g1, g2 = math.gamma(1 + 1 / shape), math.gamma(1 + 2 / shape)
    return Case(
        "repair-weibull", "Non-exponential repair (Weibull)", yaml,
        "outage = one repair time", scale_h * HOUR * g1, "η Γ(1 + 1/k)",
        mean_of("downtime_s"), cv=math.sqrt(g2 / g1**2 - 1), unit="h", scale=HOUR,
        note=f"a scripted failure at 1h, repaired after a Weibull time (shape k = {shape}, "
             f"scale η = {_h(scale_h)}): E[R] = η Γ(1+1/k) (Rausand & Høyland §2.6); "
             "cv = √(Γ(1+2/k)/Γ(1+1/k)² − 1) exactly. Sensitivity 1 to a repair-time bias")


def failure_lognormal() -> Case:
    median_h, p90_h, horizon = 100.0, 120.0, 250.0
    sigma = math.log(p90_h / median_h) / _N.inv_cdf(0.9)
    comp = (f"{{ttf: {{lognormal: {{median: {_h(median_h)}, p90: {_h(p90_h)}}}}}, "
            "ttr: 1h}")
    return Case(
        "failure-lognormal", "Non-exponential failure (lognormal)",
        _one_site("one unit, lognormal life", horizon, comp), "time to first outage",
        median_h * HOUR * math.exp(sigma**2 / 2), "median · e^{σ²/2}, σ = ln(p90/median)/z₀.₉",
        mean_of("first_incident_s", horizon * HOUR), cv=math.sqrt(math.expm1(sigma**2)),
        unit="h", scale=HOUR,
        note=f"life lognormal with median {_h(median_h)} and 90th percentile {_h(p90_h)}: "
             "E[T] = e^{μ+σ²/2} with μ = ln median (Johnson, Kotz & Balakrishnan, "
             "*Continuous Univariate Distributions* vol. 1, ch. 14); cv = √(e^{σ²} − 1) "
             f"exactly; P(T > {_h(horizon)}) < 1e-10. Sensitivity 1 to a failure-time bias")


def cases() -> list[Case]:
    """Every canonical system, in the order the table shows them."""
    return [unit_steady(), unit_point(), series(), parallel(), parallel_shared_crew(), mttff(),
            k_of_n(), cold_standby(), backup_data_lost(), active_passive(), series_suspended(),
            standby_units(False), standby_units(True), repair_weibull(), failure_lognormal()]


all_cases = cases


def select(ids: Sequence[str]) -> list[Case]:
    """The cases with these ids (ValueError naming the known ones otherwise)."""
    every = {c.id: c for c in cases()}
    unknown = [i for i in ids if i not in every]
    if unknown:
        raise ValueError(f"unknown case {', '.join(unknown)}; known: {', '.join(every)}")
    return [every[i] for i in ids]


# ---- running them ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How a verification run is judged and sized: family-wise level `alpha` over
    `tests` = cases × seeds, `seeds` root seeds per case, and the relative `bias` each case
    must detect with probability `power`."""

    tests: int
    seeds: int = DEFAULT_SEEDS
    alpha: float = DEFAULT_ALPHA
    power: float = DEFAULT_POWER
    bias: float = DEFAULT_BIAS

    def trials(self, case: Case) -> int:
        """Sized for 95% of `bias`, so that the detectable bias reported from the observed
        standard errors (the worst of the seeds, each ± a few % around cv/√n) stays within
        `bias`."""
        return trials_needed(case.cv, self.alpha, self.tests, self.power, self.seeds,
                             0.95 * self.bias, t_test=case.measure is not down_at_horizon)

    def detectable(self, rel_se: float, df: float | None = None) -> float:
        return detectable_bias(rel_se, self.alpha, self.tests, self.power, self.seeds, df)


@dataclass(frozen=True)
class SeedResult:
    """One (case, seed) run: the simulated mean, its z statistic and p-value."""

    seed: int
    sample: Sample
    trials: int
    errors: int
    problems: tuple[str, ...]
    seconds: float
    expected: float
    rejected: bool = False  # set by Holm over the whole family

    @property
    def z(self) -> float:
        return (self.sample.value - self.expected) / self.sample.se

    @property
    def p(self) -> float:
        return p_value(self.z, self.sample.df) if math.isfinite(self.z) else 0.0

    @property
    def rel_error(self) -> float:
        return (self.sample.value - self.expected) / self.expected

    @property
    def passed(self) -> bool:
        return not self.rejected and self.errors == 0 and not self.problems


@dataclass(frozen=True)
class CaseResult:
    """A case's exact value against its simulated estimate on every seed."""

    case: Case
    runs: tuple[SeedResult, ...]
    plan: Plan

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def expected(self) -> float:
        return self.case.expected

    analytic = expected

    @property
    def trials(self) -> int:
        return sum(r.trials for r in self.runs)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"seed {r.seed}: {p}" for r in self.runs for p in r.problems)

    @property
    def simulated(self) -> float:
        """Mean over every seed's trials."""
        n = sum(r.sample.n for r in self.runs)
        return sum(r.sample.value * r.sample.n for r in self.runs) / n if n else math.nan

    @property
    def se(self) -> float:
        """Standard error of `simulated` (independent seeds)."""
        n = sum(r.sample.n for r in self.runs)
        return math.sqrt(sum((r.sample.se * r.sample.n) ** 2 for r in self.runs)) / n \
            if n else math.nan

    @property
    def half_width(self) -> float:
        """Half-width of the pooled interval at the family's Bonferroni level 1 − α/m."""
        return z_threshold(self.plan.alpha, self.plan.tests) * self.se

    @property
    def ci(self) -> tuple[float, float]:
        return self.simulated - self.half_width, self.simulated + self.half_width

    @property
    def rel_error(self) -> float:
        return (self.simulated - self.expected) / self.expected

    @property
    def detectable_bias(self) -> float:
        """Relative bias this run detects with probability `plan.power`, from the largest
        per-seed standard error."""
        worst = max(self.runs, key=lambda r: r.sample.se)
        return self.plan.detectable(worst.sample.se / abs(self.expected), worst.sample.df)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.runs)


def run_seed(case: Case, trials: int, seed: int, workers: int | None = None) -> SeedResult:
    """Simulate one case on one root seed."""
    started = time.perf_counter()
    # Ctrl-C or SIGTERM stop verify (not just this case's run); so does a worker kept dying
    result = run_trials(case.scenario(), trials=trials, seed=seed,
                        workers=workers).stop_if_interrupted()
    frame = result.frame
    errors = int(frame["error"].notna().sum())
    good = frame[frame["error"].isna()]
    problems = list(case.check(good))
    if errors:
        first = frame.loc[frame["error"].notna(), "error"].iloc[0]
        problems.append(f"{errors} trials raised, e.g. {first}")
    if len(frame) < trials:
        problems.append(f"only {len(frame)} of {trials} trials ran")
    sample = case.measure(good, case.expected) if len(good) else Sample(math.nan, math.nan, 0)
    return SeedResult(seed, sample, len(frame), errors, tuple(problems),
                      time.perf_counter() - started, case.expected)


def verify(cases: Sequence[Case] | None = None, trials: int | None = None,
           seed: int = DEFAULT_SEED, workers: int | None = None,
           progress: Callable[[Case, SeedResult], None] | None = None,
           seeds: int = DEFAULT_SEEDS, alpha: float = DEFAULT_ALPHA,
           power: float = DEFAULT_POWER, bias: float = DEFAULT_BIAS) -> list[CaseResult]:
    """Simulate every case on root seeds `seed`, `seed + 1`, ... (`seeds` of them), each with
    the trials its plan needs (or `trials` per seed when given), judge the whole family with
    Holm–Bonferroni at `alpha`, and return one CaseResult per case, in order."""
    chosen = list(all_cases() if cases is None else cases)
    plan = Plan(len(chosen) * seeds, seeds, alpha, power, bias)
    runs: list[list[SeedResult]] = []
    with WorkerPool.shared(workers):  # every case and seed on one pool of workers
        for case in chosen:
            n = trials or plan.trials(case)
            runs.append([])
            for k in range(seeds):
                run = run_seed(case, n, seed + k, workers)
                runs[-1].append(run)
                if progress:
                    progress(case, run)
    flat = [r for rs in runs for r in rs]
    rejected = iter(holm([r.p for r in flat], alpha))
    return [CaseResult(case, tuple(SeedResult(**{**r.__dict__, "rejected": next(rejected)})
                                   for r in rs), plan)
            for case, rs in zip(chosen, runs, strict=True)]


def run_case(case: Case, trials: int | None = None, seed: int = DEFAULT_SEED,
             workers: int | None = None, seeds: int = 1, alpha: float = DEFAULT_ALPHA,
             power: float = DEFAULT_POWER, bias: float = DEFAULT_BIAS) -> CaseResult:
    """One case alone (its own family of `seeds` tests)."""
    return verify([case], trials, seed, workers, seeds=seeds, alpha=alpha, power=power,
                  bias=bias)[0]


__all__ = ["Case", "CaseResult", "ExpSum", "Plan", "Sample", "SeedResult", "cases",
           "detectable_bias", "down_at_horizon", "holm", "mean_of", "run_case", "select",
           "trials_needed", "verify"]
