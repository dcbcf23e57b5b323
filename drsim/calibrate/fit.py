"""Censored maximum-likelihood fits of step durations and paging delays.

Each quantity (a runbook step `runbook.step`, `detection.ack_delay`, `detection.declare_delay`)
gets a Sample: exact durations, right-censored ones (the run was stopped at a timebox or was
still running: the duration is at least this) and interval-censored ones (a coarse log: between
these two). For each candidate family (lognormal, Weibull, gamma, exponential, all with loc 0)
the log-likelihood is

    Σ log f(x_exact) + Σ log S(x_right) + Σ log (F(hi) − F(lo))

maximised over the family's parameters; the family with the smallest AIC = 2k − 2 log L wins.
The likelihood is scipy.stats' own (its CensoredData carries the sample); the maximisation is
done here with scipy.optimize from a closed-form start, written out with scipy.special, because
scipy.stats' generic `fit` on censored data takes about 0.3 s a fit, too slow for a bootstrap
(tests/test_calibrate_fit.py checks that both give the same answer).

Rules (docs/calibration.md says the same):
  - fewer than MIN_OBS observations, or fewer than MIN_ENDED that ended (exact or interval),
    keep the expert's estimate, and the report says so;
  - MIN_EMPIRICAL or more observations, all exact, and the best family rejected by a
    Kolmogorov–Smirnov test at 5%: the empirical distribution (the observed durations) is used;
  - with a prior weight n0 > 0 the expert's estimate counts as n0 exact pseudo-observations
    placed at its quantiles (i − ½)/n0, i = 1..n0, added to the data before fitting;
  - uncertainty: BOOTSTRAP resamples of the observations (seeded), the chosen family refitted to
    each; the 5th and 95th percentiles of the refitted P90 are its 90% interval;
  - durations below 1 s are taken as 1 s (logs keep whole seconds; a zero has no log).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from drsim.distributions import Z90, Distribution
from drsim.units import format_duration

if TYPE_CHECKING:
    from drsim.calibrate.drill import Inputs
    from drsim.scenario import Scenario

MIN_OBS = 8
MIN_ENDED = 3
MIN_EMPIRICAL = 200
BOOTSTRAP = 200
LEAST_S = 1.0
FAMILIES = ("lognormal", "weibull", "gamma", "exponential")
N_PARAMS = {"lognormal": 2, "weibull": 2, "gamma": 2, "exponential": 1}
DETECTION = ("detection.ack_delay", "detection.declare_delay")


# ---- samples --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """What is known of one quantity's durations (seconds)."""

    exact: np.ndarray
    right: np.ndarray = field(default_factory=lambda: np.empty(0))
    lo: np.ndarray = field(default_factory=lambda: np.empty(0))
    hi: np.ndarray = field(default_factory=lambda: np.empty(0))

    @staticmethod
    def of(exact: Iterable[float] = (), right: Iterable[float] = (),
           interval: Iterable[tuple[float, float]] = ()) -> Sample:
        pairs = np.array(list(interval), dtype=float).reshape(-1, 2)
        return Sample(np.maximum(np.asarray(list(exact), dtype=float), LEAST_S),
                      np.maximum(np.asarray(list(right), dtype=float), LEAST_S),
                      np.maximum(pairs[:, 0], 0.0), np.maximum(pairs[:, 1], LEAST_S))

    @property
    def n(self) -> int:
        return len(self.exact) + len(self.right) + len(self.lo)

    @property
    def censored(self) -> int:
        return len(self.right) + len(self.lo)

    @property
    def ended(self) -> int:
        return len(self.exact) + len(self.lo)

    def censored_data(self) -> Any:
        """The sample as scipy.stats.CensoredData."""
        from scipy import stats

        return stats.CensoredData(uncensored=self.exact, right=self.right,
                                  interval=np.column_stack([self.lo, self.hi])
                                  if len(self.lo) else None)

    def resample(self, rng: np.random.Generator) -> Sample:
        """A bootstrap resample: n observations drawn with replacement, each keeping its
        censoring."""
        ne, nr = len(self.exact), len(self.right)
        pick = rng.integers(0, self.n, self.n)
        e, r, i = pick[pick < ne], pick[(pick >= ne) & (pick < ne + nr)] - ne, \
            pick[pick >= ne + nr] - ne - nr
        return Sample(self.exact[e], self.right[r], self.lo[i], self.hi[i])

    def with_prior(self, expert: Distribution, n0: int) -> Sample:
        """The sample plus n0 pseudo-observations at the expert's quantiles (i − ½)/n0."""
        if n0 <= 0:
            return self
        pseudo = [expert.quantile((i - 0.5) / n0) for i in range(1, n0 + 1)]
        return Sample(np.concatenate([self.exact, np.maximum(pseudo, LEAST_S)]), self.right,
                      self.lo, self.hi)

    def midpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, ended) for a Kaplan–Meier estimate: an interval-censored run counts as
        ending at its interval's midpoint."""
        t = np.concatenate([self.exact, (self.lo + self.hi) / 2, self.right])
        ended = np.concatenate([np.ones(len(self.exact) + len(self.lo), bool),
                                np.zeros(len(self.right), bool)])
        return t, ended


# ---- the likelihood of each family ----------------------------------------------------------
# theta is unconstrained (logs of positive parameters); natural() gives the family's own
# parameters: lognormal (mu, sigma), weibull (shape, scale), gamma (shape, scale),
# exponential (mean,).


def natural(family: str, theta: Sequence[float]) -> tuple[float, ...]:
    if family == "lognormal":
        return (float(theta[0]), math.exp(theta[1]))
    return tuple(math.exp(t) for t in theta)


def frozen(family: str, params: Sequence[float]) -> Any:
    """The scipy.stats distribution of a family's natural parameters (loc 0)."""
    from scipy import stats

    if family == "lognormal":
        return stats.lognorm(params[1], scale=math.exp(params[0]))
    if family == "weibull":
        return stats.weibull_min(params[0], scale=params[1])
    if family == "gamma":
        return stats.gamma(params[0], scale=params[1])
    return stats.expon(scale=params[0])


def _log_terms(family: str, p: Sequence[Any]) -> tuple[Callable[..., Any], ...]:
    """(log pdf, log sf, cdf) of a family, vectorised with scipy.special; the parameters may
    be numbers or arrays of shape (B, 1) (B parameter sets at once)."""
    from scipy import special

    if family == "lognormal":
        mu, s = p

        def z(x: Any) -> Any:
            return (np.log(x) - mu) / s

        return (lambda x: -np.log(x * s * math.sqrt(2 * math.pi)) - z(x) ** 2 / 2,
                lambda x: special.log_ndtr(-z(x)),
                lambda x: special.ndtr(z(x)))
    if family == "weibull":
        k, lam = p
        return (lambda x: np.log(k / lam) + (k - 1) * np.log(x / lam) - (x / lam) ** k,
                lambda x: -((x / lam) ** k),
                lambda x: -np.expm1(-((x / lam) ** k)))
    if family == "gamma":
        a, th = p
        return (lambda x: -special.gammaln(a) - a * np.log(th) + (a - 1) * np.log(x) - x / th,
                lambda x: np.log(special.gammaincc(a, x / th)),
                lambda x: special.gammainc(a, x / th))
    (m,) = p
    return (lambda x: -np.log(m) - x / m, lambda x: -x / m, lambda x: -np.expm1(-x / m))


def terms(family: str, params: Sequence[Any], sample: Sample) -> np.ndarray:
    """Each observation's log-likelihood term, in the order exact, right, interval: log f(x),
    log S(x), log(F(hi) − F(lo)). Shape (n,), or (B, n) for parameters of shape (B, 1)."""
    logpdf, logsf, cdf = _log_terms(family, params)
    parts = [logpdf(sample.exact), logsf(sample.right)]
    if len(sample.lo):
        lo = np.where(sample.lo > 0, sample.lo, 1e-300)
        parts.append(np.log(np.clip(cdf(sample.hi) - cdf(lo), 0, None)))
    shape = np.broadcast_shapes(*(np.shape(q) for q in params))[:-1] if np.ndim(params[0]) \
        else ()
    return np.concatenate([np.broadcast_to(q, (*shape, np.shape(x)[-1]))
                           for q, x in zip(parts, (sample.exact, sample.right, sample.lo),
                                           strict=False)], axis=-1)


def loglik(family: str, params: Sequence[float], sample: Sample) -> float:
    """log L of the sample under the family with these natural parameters (scipy.stats'
    CensoredData likelihood, written out)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _loglik(family, params, sample)


def _loglik(family: str, params: Sequence[float], sample: Sample) -> float:
    """loglik without its floating-point guard (the optimiser sets it once)."""
    total = float(np.sum(terms(family, params, sample)))
    return total if math.isfinite(total) else -math.inf


def _theta(family: str, params: Sequence[float]) -> list[float]:
    """natural() undone."""
    if family == "lognormal":
        return [float(params[0]), math.log(params[1])]
    return [math.log(p) for p in params]


def _start(family: str, sample: Sample) -> list[float]:
    """A starting point: the family's closed-form fit to every observation taken as exact."""
    x = np.concatenate([sample.exact, sample.right, (sample.lo + sample.hi) / 2])
    logs = np.log(x)
    mu, sd = float(np.mean(logs)), max(float(np.std(logs)), 0.05)
    mean = float(np.mean(x))
    if family == "lognormal":
        return [mu, math.log(sd)]
    if family == "weibull":
        k = min(max(1.2 / sd, 0.2), 50.0)
        return [math.log(k), mu + 0.5772 / k]
    if family == "gamma":
        cv2 = max(float(np.var(x)) / mean**2, 1e-3)
        return [math.log(1 / cv2), math.log(mean * cv2)]
    return [math.log(mean)]


@dataclass(frozen=True)
class Candidate:
    """One family fitted by maximum likelihood."""

    family: str
    params: tuple[float, ...]
    loglik: float
    aic: float

    def quantile(self, q: float) -> float:
        return to_distribution(self.family, self.params).quantile(q)


def mle(family: str, sample: Sample, start: Sequence[float] | None = None) -> Candidate:
    """The maximum-likelihood fit of one family to the (censored) sample, the search started
    from `start` (natural parameters, e.g. the fit to the whole sample when refitting a
    bootstrap resample) or from a closed-form guess."""
    from scipy import optimize

    def nll(theta: np.ndarray) -> float:
        value = -_loglik(family, natural(family, list(theta)), sample)
        return value if math.isfinite(value) else 1e300

    x0 = _start(family, sample) if start is None else _theta(family, start)
    if family == "exponential" and not len(sample.lo):
        # closed form: the mean is the total time observed over the runs that ended
        theta = [math.log((sample.exact.sum() + sample.right.sum()) / max(len(sample.exact), 1))]
    else:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            res = optimize.minimize(nll, x0, method="Nelder-Mead",
                                    options={"xatol": 1e-5, "fatol": 1e-7, "maxiter": 4000})
        theta = list(res.x)
    params = natural(family, theta)
    ll = loglik(family, params, sample)
    return Candidate(family, params, ll, 2 * N_PARAMS[family] - 2 * ll)


def fit_sample(sample: Sample, families: Sequence[str] = FAMILIES) -> list[Candidate]:
    """Every family fitted, best (smallest AIC) first."""
    return sorted((mle(f, sample) for f in families), key=lambda c: c.aic)


# ---- into drsim's own distributions ---------------------------------------------------------


def to_distribution(family: str, params: Sequence[float]) -> Distribution:
    if family == "lognormal":
        return Distribution("lognormal", (float(params[0]), float(params[1])))
    return Distribution(family, tuple(float(p) for p in params))


def scenario_value(dist: Distribution) -> Any:
    """The distribution as a scenario writes it (whole seconds; weibull and gamma shapes to 4
    significant digits), so the variant file reads like the base."""
    p = dist.params
    if dist.family == "lognormal":
        median, p90 = math.exp(p[0]), math.exp(p[0] + Z90 * p[1])
        return {"lognormal": {"median": _dur(median), "p90": _dur(max(p90, median + 1))}}
    if dist.family in ("weibull", "gamma"):
        return {dist.family: {"shape": float(f"{p[0]:.4g}"), "scale": _dur(p[1])}}
    if dist.family == "exponential":
        return {"exponential": {"mean": _dur(p[0])}}
    if dist.family == "empirical":
        return {"empirical": [_dur(v) for v in p]}
    return _dur(p[0]) if dist.family == "fixed" else None


def _dur(seconds: float) -> str:
    return format_duration(max(round(seconds), 1))


# ---- one quantity, fitted -------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """One quantity's calibration: what the data say and what the variant gets."""

    target: str  # runbook.step, or detection.ack_delay / detection.declare_delay
    sample: Sample
    expert: Distribution
    candidates: tuple[Candidate, ...] = ()  # best first; empty when the expert is kept
    distribution: Distribution | None = None  # what the variant gets (None: expert kept)
    p90_interval: tuple[float, float] | None = None
    note: str = ""
    source: str = ""  # the files the observations came from
    prior_weight: int = 0  # pseudo-observations of the expert's estimate in the fit

    @property
    def kept(self) -> bool:
        return self.distribution is None

    @property
    def family(self) -> str:
        return self.distribution.family if self.distribution else "expert"

    @property
    def aic(self) -> float | None:
        return self.candidates[0].aic if self.candidates else None


def fit_one(target: str, sample: Sample, expert: Distribution, prior_weight: int = 0,
            seed: int = 0, bootstrap: int = BOOTSTRAP, source: str = "") -> Fit:
    """Fit one quantity (or keep the expert's estimate when the data are too few)."""
    if sample.n < MIN_OBS or sample.ended < MIN_ENDED:
        return Fit(target, sample, expert, note=f"too few to fit (needs ≥ {MIN_OBS} "
                   f"observations, ≥ {MIN_ENDED} of them ended): the expert's estimate is kept",
                   source=source)
    data = sample.with_prior(expert, prior_weight)
    candidates = fit_sample(data)
    best = candidates[0]
    dist = to_distribution(best.family, best.params)
    note = f"{best.family} by AIC"
    if prior_weight > 0:
        note += f", with the expert's estimate as {prior_weight} pseudo-observations"
    if sample.n >= MIN_EMPIRICAL and not sample.censored and _rejected(best, sample.exact):
        dist = Distribution("empirical", tuple(float(v) for v in np.sort(sample.exact)))
        note = f"empirical: {best.family} (best by AIC) rejected by a KS test at 5%"
    rng = np.random.default_rng([seed, zlib.crc32(target.encode())])
    interval = p90_interval(sample, best, expert, prior_weight, rng, bootstrap)
    return Fit(target, sample, expert, tuple(candidates), dist, interval, note, source,
               prior_weight)


def _rejected(best: Candidate, exact: np.ndarray) -> bool:
    from scipy import stats

    return bool(stats.kstest(exact, frozen(best.family, best.params).cdf).pvalue < 0.05)


def p90_interval(sample: Sample, best: Candidate, expert: Distribution, prior_weight: int,
                 rng: np.random.Generator, bootstrap: int) -> tuple[float, float] | None:
    """The 90% bootstrap interval (5th, 95th percentiles) of the fitted P90: `bootstrap`
    resamples of the observations (drawn with replacement, each keeping its censoring; the
    prior's pseudo-observations are kept as they are), the chosen family refitted to each."""
    if bootstrap < 2:
        return None
    n = sample.n
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=bootstrap)
    data = sample.with_prior(expert, prior_weight)
    ne = len(sample.exact)
    pseudo = np.ones((bootstrap, len(data.exact) - ne))
    weights = np.concatenate([counts[:, :ne], pseudo, counts[:, ne:]], axis=1)
    ended = weights[:, :len(data.exact)].sum(1) + weights[:, len(data.exact)
                                                          + len(data.right):].sum(1)
    theta = mle_weighted(best.family, data, weights[ended > 0], best.params)
    p90 = quantiles(best.family, theta, 0.9)
    p90 = p90[np.isfinite(p90)]
    if len(p90) < 2:
        return None
    lo, hi = np.percentile(p90, [5, 95])
    return float(lo), float(hi)


def _natural_rows(family: str, theta: np.ndarray) -> list[np.ndarray]:
    """natural() of B parameter sets at once: a list of (B, 1) arrays."""
    cols = [theta[:, j:j + 1] for j in range(theta.shape[1])]
    if family == "lognormal":
        return [cols[0], np.exp(cols[1])]
    return [np.exp(c) for c in cols]


def _weighted_ll(family: str, theta: np.ndarray, sample: Sample,
                 weights: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        t = terms(family, _natural_rows(family, theta), sample)
        ll = np.sum(np.where(weights > 0, weights * t, 0.0), axis=1)
    return np.where(np.isfinite(ll), ll, -np.inf)


def mle_weighted(family: str, sample: Sample, weights: np.ndarray,
                 start: Sequence[float], iterations: int = 60) -> np.ndarray:
    """Maximum-likelihood fits of one family to B reweighted copies of the sample at once
    (weights (B, n): how many times each observation counts, in the order of `terms`), by
    Newton's method with central-difference derivatives and step halving, started at `start`
    (natural parameters). Returns the natural parameters, shape (B, k)."""
    k = N_PARAMS[family]
    theta = np.tile(np.asarray(_theta(family, start), dtype=float), (len(weights), 1))

    def f(th: np.ndarray) -> np.ndarray:
        return _weighted_ll(family, th, sample, weights)

    h = 1e-3
    eye = np.eye(k) * h
    now = f(theta)
    for _ in range(iterations):
        up = [f(theta + eye[j]) for j in range(k)]
        down = [f(theta - eye[j]) for j in range(k)]
        grad = np.stack([(up[j] - down[j]) / (2 * h) for j in range(k)], axis=1)
        hess = np.zeros((len(theta), k, k))
        for j in range(k):
            hess[:, j, j] = (up[j] - 2 * now + down[j]) / h**2
        if k == 2:
            both = (f(theta + eye[0] + eye[1]) - up[0] - up[1] + 2 * now - down[0] - down[1]
                    + f(theta - eye[0] - eye[1])) / (2 * h**2)
            hess[:, 0, 1] = hess[:, 1, 0] = both
        step = _ascent(grad, hess)
        step[~np.isfinite(step)] = 0.0
        scale = np.ones(len(theta))
        moved = np.zeros(len(theta), bool)
        for _halving in range(30):
            trial = theta + step * scale[:, None]
            better = (f(trial) > now) & ~moved
            theta[better] = trial[better]
            moved |= better
            if moved.all():
                break
            scale[~moved] /= 2
        now = f(theta)
        if np.max(np.abs(step * scale[:, None]) * moved[:, None], initial=0.0) < 1e-7:
            break
    return np.stack([np.ravel(c) for c in _natural_rows(family, theta)], axis=1)


def mle_many(family: str, samples: Sequence[Sample],
             start: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood fits of one family to many samples at once (vectorised): row b of
    a (B, width) array holds sample b's observations, padded with observations of weight 0.
    Returns the natural parameters (B, k) and each fit's log-likelihood (B,). The search
    starts from `start`, or from the fit to the first sample."""
    parts, masks = {}, []
    for name in ("exact", "right", "lo", "hi"):
        width = max(len(getattr(s, name)) for s in samples)
        rows = np.ones((len(samples), width))
        for b, s in enumerate(samples):
            rows[b, :len(getattr(s, name))] = getattr(s, name)
        parts[name] = rows
        if name != "hi":
            masks.append(np.array([[i < len(getattr(s, name)) for i in range(width)]
                                   for s in samples], dtype=float).reshape(len(samples), width))
    rows_sample = Sample(parts["exact"], parts["right"], parts["lo"], parts["hi"])
    weights = np.concatenate(masks, axis=1)
    params = mle_weighted(family, rows_sample, weights,
                          start if start is not None else mle(family, samples[0]).params)
    theta = np.stack([_theta(family, p) for p in params])
    return params, _weighted_ll(family, theta, rows_sample, weights)


def _ascent(grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """Newton's step where the Hessian is negative definite, else a gradient step; at most 1
    in size (the parameters are logs: a factor of e)."""
    k = grad.shape[1]
    step = grad / np.maximum(np.abs(np.diagonal(hess, axis1=1, axis2=2)), 1.0)
    if k == 1:
        ok = hess[:, 0, 0] < 0
        step[ok] = -grad[ok] / hess[ok, 0, :]
    else:
        det = hess[:, 0, 0] * hess[:, 1, 1] - hess[:, 0, 1] ** 2
        ok = (hess[:, 0, 0] < 0) & (det > 0)
        step[ok] = -np.linalg.solve(hess[ok], grad[ok][..., None])[..., 0]
    size = np.linalg.norm(step, axis=1, keepdims=True)
    return np.where(size > 1, step / np.maximum(size, 1e-300), step)


def quantiles(family: str, params: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of B fitted distributions (natural parameters, shape (B, k)) at once."""
    from scipy import special

    if family == "lognormal":
        return np.exp(params[:, 0] + special.ndtri(q) * params[:, 1])
    if family == "weibull":
        return params[:, 1] * (-math.log1p(-q)) ** (1 / params[:, 0])
    if family == "gamma":
        return special.gammaincinv(params[:, 0], q) * params[:, 1]
    return -params[:, 0] * math.log1p(-q)


# ---- a scenario's quantities from the inputs ------------------------------------------------


def samples(inputs: Inputs) -> dict[str, tuple[Sample, str]]:
    """Every quantity the inputs observe: (sample, the files it came from), in the order the
    quantities first appear (steps, then the paging delays)."""
    seen: dict[str, dict[str, list[Any]]] = {}
    files: dict[str, set[str]] = {}

    def add(target: str, kind: str, value: Any, source: str) -> None:
        seen.setdefault(target, {"exact": [], "right": [], "interval": []})[kind].append(value)
        files.setdefault(target, set()).add(source.split(":")[0].split("[")[0])

    for run in inputs.runs:
        if run.censoring == "interval":
            add(run.step, "interval", (run.lower_s, run.upper_s), run.source)
        else:
            add(run.step, run.censoring, run.lower_s, run.source)
    for page in inputs.pages:
        if page.acknowledged is not None:
            add(DETECTION[0], "exact", (page.acknowledged - page.created).total_seconds(),
                page.source)
        elif page.resolved is not None:  # over before anyone answered: the ack took longer
            add(DETECTION[0], "right", (page.resolved - page.created).total_seconds(),
                page.source)
        if page.declared is not None and page.acknowledged is not None:
            add(DETECTION[1], "exact", (page.declared - page.acknowledged).total_seconds(),
                page.source)
    return {t: (Sample.of(v["exact"], v["right"], v["interval"]), ", ".join(sorted(files[t])))
            for t, v in seen.items()}


def expert_estimate(scenario: Scenario, target: str) -> Distribution:
    if target in DETECTION:
        dist: Distribution = getattr(scenario.detection, target.split(".")[1])
        return dist
    book, step = target.split(".", 1)
    return next(s.duration for s in scenario.runbooks[book].steps if s.id == step)


def fit_all(scenario: Scenario, inputs: Inputs, prior_weight: int = 0, seed: int = 0,
            bootstrap: int = BOOTSTRAP) -> list[Fit]:
    """Every observed quantity of the scenario, fitted or kept, in scenario order."""
    found = samples(inputs)
    order = [f"{rb}.{s.id}" for rb, book in scenario.runbooks.items() for s in book.steps]
    order += list(DETECTION)
    return [fit_one(t, found[t][0], expert_estimate(scenario, t), prior_weight, seed,
                    bootstrap, found[t][1]) for t in order if t in found]
