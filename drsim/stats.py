"""Statistics of trials: t-intervals for means, Wilson intervals for probabilities,
distribution-free (order-statistic) intervals for quantiles, and the summary of a frame of
trials (one row per trial, columns of drsim.trial.columns) with notes in plain English.

Pure functions of numpy arrays and pandas frames; scipy supplies the distributions.
Column conventions: NaN = not applicable in that trial (no incident), +inf = never reached
within the horizon (censored); a row with an `error` is a failed trial and is left out.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
from scipy import stats

from drsim.units import SECONDS_PER_YEAR, format_duration

if TYPE_CHECKING:
    from drsim.scenario.schema import Scenario


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval."""

    value: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


NO_VALUES = Estimate(math.nan, math.nan, math.nan, 0)  # an estimate from no values at all


def mean_ci(values: np.ndarray, level: float = 0.95) -> Estimate:
    """Mean of finite values with a Student t confidence interval."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, -math.inf, math.inf, 1)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    t = float(stats.t.ppf(0.5 + level / 2, n - 1))
    return Estimate(mean, mean - t * sem, mean + t * sem, n)


def wilson_ci(successes: float, n: int, level: float = 0.95) -> Estimate:
    """Proportion with the Wilson score interval (good near 0 and 1, unlike Wald).
    successes may be fractional (a tie split between variants counts as a share)."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, where
    high = 1.0 if successes == n else min(1.0, centre + half)  # rounding leaves 1 - 1e-16
    return Estimate(p, low, high, n)


# ---------------------------------------------------------------------------------------------
# Order-statistic (distribution-free) intervals for quantiles
# ---------------------------------------------------------------------------------------------

QUANTILES = (0.5, 0.9, 0.95, 0.99)
MIN_FINITE = 10  # fewer finite values than this: an interval is reported but means little
MAX_PROPORTION_HALF_WIDTH = 0.10  # a probability known only to ±10 points is "too wide"
HORIZON_BASED_S = 30 * 86400.0  # horizons at least this long are annualised
_BOOLEAN = ("all_restored", "all_recovered")
_NOT_METRICS = ("trial", "error")


@dataclass(frozen=True)
class Quantile:
    """The p-quantile of a sample with a distribution-free confidence interval.

    value is the smallest sample value with at least a fraction p of the sample at or below
    it (numpy's 'inverted_cdf'); +inf means "not reached" (censored values at the top).
    low = x(lo_rank) and high = x(hi_rank) in the sorted sample (ranks from 1); lo_rank 0 means
    no lower bound (low = -inf) and hi_rank n + 1 no upper bound (high = +inf): too few values
    for that side of the interval. high is also +inf when x(hi_rank) itself is censored.
    """

    p: float
    value: float
    low: float
    high: float
    n: int
    lo_rank: int = 0
    hi_rank: int = 0

    @property
    def high_censored(self) -> bool:
        """The upper end is +inf because that order statistic was never reached (not because
        there are too few values for an upper bound)."""
        return 1 <= self.hi_rank <= self.n and self.high == math.inf


def quantile_ci(values: np.ndarray, p: float, level: float = 0.95) -> Quantile:
    """The p-quantile of values (NaN dropped, ±inf kept) with an equal-tailed interval
    [x(l), x(u)] from order statistics: the count of values below the true quantile is
    Binomial(n, p), so P(x(l) <= q_p <= x(u)) >= level whatever the distribution."""
    x = np.asarray(values, dtype=float)
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    if n == 0:
        return Quantile(p, math.nan, math.nan, math.nan, 0)
    value = float(np.quantile(x, p, method="inverted_cdf"))
    alpha = 1.0 - level
    lo_rank = int(stats.binom.ppf(alpha / 2, n, p))  # 1-based rank; 0 → no lower bound
    hi_rank = int(stats.binom.ppf(1 - alpha / 2, n, p)) + 1  # n + 1 → no upper bound
    low = float(x[lo_rank - 1]) if lo_rank >= 1 else -math.inf
    high = float(x[hi_rank - 1]) if hi_rank <= n else math.inf
    return Quantile(p, value, low, high, n, lo_rank, hi_rank)


def min_trials_for_upper_bound(p: float, level: float = 0.95) -> int:
    """Fewest values for the p-quantile's interval to have a finite upper end (p^n <= α/2)."""
    return math.ceil(math.log((1 - level) / 2) / math.log(p))


# ---------------------------------------------------------------------------------------------
# Summary of a frame of trials
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSummary:
    """One numeric column over the trials that did not fail.

    n: finite values (the mean, sd and t-interval use only these); not_applicable: NaN values
    (e.g. no incident, so no recovery time); censored: +inf values (never reached within the
    horizon). Quantiles are over finite and censored values together, so they may be +inf.
    """

    name: str
    n: int
    not_applicable: int
    censored: int
    mean: Estimate
    sd: float
    quantiles: tuple[Quantile, ...]

    def quantile(self, p: float) -> Quantile:
        return next(q for q in self.quantiles if math.isclose(q.p, p))


@dataclass(frozen=True)
class ProportionSummary:
    """A yes/no column (an objective met, every group restored...): P(yes) with a Wilson
    interval over the trials that did not fail."""

    name: str
    successes: int
    estimate: Estimate


@dataclass(frozen=True)
class ErrorCount:
    message: str
    count: int


@dataclass(frozen=True)
class Annualised:
    """Horizon-based figures scaled to a 365-day year (× 365 d / horizon), with CIs.

    availability: 1 − mean customer-weighted unavailability; weighted_downtime_s: the same as
    time per year; downtime_s: the worst group's time without basic service per year.
    """

    horizon_s: float
    scale: float  # years per trial horizon, inverted: 365 d / horizon
    trials_with_outage: int
    availability: Estimate
    weighted_downtime_s: Estimate
    downtime_s: Estimate
    customer_minutes_lost: Estimate
    incidents: Estimate


@dataclass(frozen=True)
class Summary:
    scenario: str
    level: float
    trials: int
    failed: int
    errors: tuple[ErrorCount, ...]
    metrics: tuple[MetricSummary, ...]
    proportions: tuple[ProportionSummary, ...]
    annual: Annualised | None
    notes: tuple[str, ...]

    @property
    def succeeded(self) -> int:
        return self.trials - self.failed

    def metric(self, name: str) -> MetricSummary:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"no metric {name!r}; known: {', '.join(m.name for m in self.metrics)}")

    def proportion(self, name: str) -> ProportionSummary:
        for p in self.proportions:
            if p.name == name:
                return p
        raise KeyError(f"no proportion {name!r}; known: "
                       f"{', '.join(p.name for p in self.proportions)}")

    def to_dict(self) -> dict[str, object]:
        """Strict JSON: NaN and ±inf become None. Why a number is None is told by the counts
        beside it: a quantile that is None with "censored": true was not reached within the
        horizon; an interval end that is None has no bound with this many trials; a mean that
        is None had no finite values (n = 0)."""
        return {
            "scenario": self.scenario, "level": self.level, "trials": self.trials,
            "failed": self.failed,
            "errors": [{"message": e.message, "count": e.count} for e in self.errors],
            "metrics": {m.name: _metric_dict(m) for m in self.metrics},
            "proportions": {p.name: {"successes": p.successes, **_estimate_dict(p.estimate)}
                            for p in self.proportions},
            "annual": None if self.annual is None else _annual_dict(self.annual),
            "notes": list(self.notes),
        }


def _json_number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _estimate_dict(e: Estimate) -> dict[str, object]:
    return {"value": _json_number(e.value), "low": _json_number(e.low),
            "high": _json_number(e.high), "n": e.n}


def _metric_dict(m: MetricSummary) -> dict[str, object]:
    return {
        "n": m.n, "not_applicable": m.not_applicable, "censored": m.censored,
        "mean": _json_number(m.mean.value), "mean_low": _json_number(m.mean.low),
        "mean_high": _json_number(m.mean.high), "sd": _json_number(m.sd),
        "quantiles": {f"p{round(q.p * 100):d}": {
            "value": _json_number(q.value), "censored": q.value == math.inf,
            "low": _json_number(q.low), "high": _json_number(q.high),
            "high_censored": q.high_censored,
        } for q in m.quantiles},
    }


def _annual_dict(a: Annualised) -> dict[str, object]:
    return {
        "horizon_s": a.horizon_s, "scale": a.scale, "trials_with_outage": a.trials_with_outage,
        "availability": _estimate_dict(a.availability),
        "weighted_downtime_s_per_year": _estimate_dict(a.weighted_downtime_s),
        "downtime_s_per_year": _estimate_dict(a.downtime_s),
        "customer_minutes_lost_per_year": _estimate_dict(a.customer_minutes_lost),
        "incidents_per_year": _estimate_dict(a.incidents),
    }


# ---------------------------------------------------------------------------------------------
# Building the summary
# ---------------------------------------------------------------------------------------------


def is_boolean_column(name: str, column: pd.Series | None = None) -> bool:
    """Yes/no columns: objectives met (`met.<objective>.<kind>`), all_restored, all_recovered
    (and any column of bool dtype)."""
    if name.startswith("met.") or name in _BOOLEAN:
        return True
    return column is not None and pd.api.types.is_bool_dtype(column)


def completed(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of trials that did not fail."""
    if "error" not in frame.columns:
        return frame
    return frame.loc[frame["error"].isna()]


def summarise_metric(name: str, values: np.ndarray | pd.Series,
                     level: float = 0.95) -> MetricSummary:
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    finite = x[np.isfinite(x)]
    sd = float(finite.std(ddof=1)) if len(finite) >= 2 else math.nan
    if len(finite) >= 2 and finite.min() == finite.max():
        sd = 0.0  # exactly: the same value in every trial (numpy leaves rounding dust)
    return MetricSummary(
        name=name, n=len(finite), not_applicable=int(np.isnan(x).sum()),
        censored=int((x == math.inf).sum()), mean=mean_ci(finite, level), sd=sd,
        quantiles=tuple(quantile_ci(x, p, level) for p in QUANTILES))


def summarise_proportion(name: str, values: pd.Series,
                         level: float = 0.95) -> ProportionSummary:
    known = values.dropna()
    successes = int(known.astype(bool).sum())
    return ProportionSummary(name, successes, wilson_ci(successes, len(known), level))


def is_horizon_based(scenario: Scenario) -> bool:
    """Random failures, or a horizon of at least 30 days: figures per year make sense."""
    sim = scenario.simulation
    return bool(sim.random_failures) or sim.horizon >= HORIZON_BASED_S


def _scaled(e: Estimate, k: float) -> Estimate:
    """k × a nonnegative quantity's estimate; the interval is cut at 0 (it cannot be less)."""
    return Estimate(e.value * k, max(0.0, e.low * k), e.high * k, e.n)


def annualise(ok: pd.DataFrame, horizon_s: float, level: float = 0.95) -> Annualised:
    """Per-year figures from completed trials of a horizon-based scenario."""
    scale = SECONDS_PER_YEAR / horizon_s

    def ci(col: str) -> Estimate:
        if col not in ok.columns:
            return NO_VALUES
        return mean_ci(pd.to_numeric(ok[col], errors="coerce").to_numpy(dtype=float), level)

    u = ci("unavailability")
    availability = Estimate(1.0 - u.value, max(0.0, 1.0 - u.high), min(1.0, 1.0 - u.low), u.n)
    down = pd.to_numeric(ok.get("downtime_s", pd.Series(dtype=float)), errors="coerce")
    return Annualised(
        horizon_s=horizon_s, scale=scale, trials_with_outage=int((down > 0).sum()),
        availability=availability, weighted_downtime_s=_scaled(u, SECONDS_PER_YEAR),
        downtime_s=_scaled(ci("downtime_s"), scale),
        customer_minutes_lost=_scaled(ci("customer_minutes_lost"), scale),
        incidents=_scaled(ci("incidents"), scale))


def summarise(frame: pd.DataFrame, scenario: Scenario, level: float = 0.95) -> Summary:
    """Everything a planner reads from a set of trials: counts, per-metric mean ± t-interval,
    sd and P50/P90/P95/P99 with order-statistic intervals, P(yes) with Wilson intervals for
    objectives, per-year figures for horizon-based scenarios, and notes on what is shaky."""
    failed_mask = (frame["error"].notna() if "error" in frame.columns
                   else pd.Series(False, index=frame.index))
    errors = tuple(ErrorCount(str(msg), n) for msg, n in sorted(
        Counter(frame.loc[failed_mask, "error"]).items() if failed_mask.any() else [],
        key=lambda kv: (-kv[1], str(kv[0]))))
    ok = frame.loc[~failed_mask]
    metrics, proportions = [], []
    for name in frame.columns:
        if name in _NOT_METRICS:
            continue
        if is_boolean_column(name, frame[name]):
            proportions.append(summarise_proportion(name, ok[name], level))
        elif _is_numeric(frame[name]):
            metrics.append(summarise_metric(name, ok[name], level))
    annual = (annualise(ok, scenario.simulation.horizon, level)
              if is_horizon_based(scenario) else None)
    summary = Summary(scenario=scenario.name, level=level, trials=len(frame),
                      failed=int(failed_mask.sum()), errors=errors, metrics=tuple(metrics),
                      proportions=tuple(proportions), annual=annual, notes=())
    return replace(summary, notes=tuple(_notes(summary)))


def _is_numeric(column: pd.Series) -> bool:
    """Numbers (NaN and inf included), even in an object column left by failed trials."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool)
               for v in column.dropna())


def relative_half_width(frame: pd.DataFrame, metric: str, level: float = 0.95) -> float:
    """Half-width of the metric's CI ÷ |its estimate|, over completed trials: the t-interval
    of the mean of finite values, or the Wilson interval of P(yes) for a yes/no column.
    inf when undefined (fewer than two values, or an estimate of 0). `metric` may omit a
    trailing `_s` ('rto_full' for 'rto_full_s')."""
    name = resolve_metric(frame, metric)
    ok = completed(frame)
    if is_boolean_column(name, frame[name]):
        known = ok[name].dropna()
        e = wilson_ci(int(known.astype(bool).sum()), len(known), level)
        if e.n < 2:
            return math.inf
    else:
        e = mean_ci(pd.to_numeric(ok[name], errors="coerce").to_numpy(dtype=float), level)
    if e.n < 2 or not math.isfinite(e.half_width) or e.value == 0 or math.isnan(e.value):
        return math.inf
    return e.half_width / abs(e.value)


def resolve_metric(frame: pd.DataFrame, metric: str) -> str:
    """The frame's column for a metric name (`rto_full` finds `rto_full_s`); ValueError with
    the known names otherwise."""
    for name in (metric, f"{metric}_s"):
        if name in frame.columns and name not in _NOT_METRICS:
            return name
    known = [c for c in frame.columns if c not in _NOT_METRICS]
    close = difflib.get_close_matches(metric, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ValueError(f"unknown metric '{metric}'{hint}; known: {', '.join(known)}")


# ---------------------------------------------------------------------------------------------
# Notes in plain English
# ---------------------------------------------------------------------------------------------


def _names(names: list[str]) -> str:
    if len(names) > 4:
        names = [*names[:3], f"{len(names) - 3} more"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _label(p: float) -> str:
    return f"P{round(p * 100):d}"


_Key = TypeVar("_Key", bound=Hashable)


def _grouped(items: list[tuple[_Key, str]]) -> list[tuple[_Key, list[str]]]:
    """(key, name) pairs → (key, names) in first-seen order, so copies of one figure per
    customer group make one sentence, not five."""
    out: dict[_Key, list[str]] = {}
    for key, name in items:
        out.setdefault(key, []).append(name)
    return list(out.items())


def _notes(s: Summary) -> list[str]:
    notes: list[str] = []
    pct_level = f"{s.level * 100:g}%"
    ok = s.succeeded
    if s.failed:
        kinds = len(s.errors)
        notes.append(f"{s.failed} of {s.trials} trials failed with an error "
                     f"({kinds} distinct message{'s' if kinds > 1 else ''}) and are left out of "
                     "every figure; the rest are summarised.")
    if ok == 0:
        notes.append("No trial finished, so there is nothing to summarise.")
        return notes
    few_trials = ok < MIN_FINITE
    if few_trials:
        notes.append(f"Only {ok} trial{'s' if ok > 1 else ''} finished: every interval here is "
                     f"rough; run at least {MIN_FINITE}, better a few hundred.")
    if s.annual is not None:
        notes += _annual_notes(s, pct_level)

    censored = [((m.censored, m.n + m.censored,
                  tuple(_label(q.p) for q in m.quantiles if q.value == math.inf)), m.name)
                for m in s.metrics if m.censored]
    for (cens, n, not_reached), names in _grouped(censored):
        finite = n - cens
        plural = "s" if len(names) > 1 else ""
        text = (f"{_names(names)}: {cens} of {n} trials never got there within the horizon "
                f"(counted as not reached). ")
        text += (f"The mean{plural} and interval{plural} use only the {finite} trials that "
                 "did, so they understate the true figure"
                 if finite else "No trial got there, so there is no mean")
        if not_reached:
            text += f"; {_names(list(not_reached))} {'is' if len(not_reached) == 1 else 'are'} "
            text += "'not reached'"
        notes.append(text + ".")

    if not few_trials:
        scarce = [((m.n,), m.name) for m in s.metrics
                  if 0 < m.n < MIN_FINITE]
        for (n,), names in _grouped(scarce):
            notes.append(f"Only {n} trial{'s' if n > 1 else ''} gave a value for "
                         f"{_names(names)}: too few for {'its' if len(names) == 1 else 'their'} "
                         "mean and interval to mean much; run more trials.")
    never = [m.name for m in s.metrics if m.n == 0 and m.censored == 0]
    if never:
        notes.append(f"{_names(never)} did not apply in any trial (no incident, or nothing of "
                     "that kind happened), so there is nothing to estimate.")
    partial = [((m.not_applicable,), m.name) for m in s.metrics
               if 0 < m.not_applicable < ok]
    for (na,), names in _grouped(partial):
        notes.append(f"{_names(names)}: a value in {ok - na} of {ok} trials (in the other "
                     f"{na} it did not apply: no incident, or that step never happened); "
                     f"figures are over those {ok - na} only.")
    constant = [m.name for m in s.metrics if m.n >= 2 and m.sd == 0]
    if constant and len(constant) == len([m for m in s.metrics if m.n >= 2]):
        notes.append("Every trial gave the same value for every metric (nothing random "
                     "reached the results), so the intervals have zero width.")
    elif constant:
        notes.append(f"{_names(constant)} had the same value in every trial, so "
                     f"{'its interval has' if len(constant) == 1 else 'their intervals have'} "
                     "zero width.")
    if not few_trials:
        short = [q for q in QUANTILES if ok < min_trials_for_upper_bound(q, s.level)]
        if short:
            need = ", ".join(f"{_label(q)} needs {min_trials_for_upper_bound(q, s.level)}"
                             for q in short)
            notes.append(f"With {ok} trials, {_names([_label(q) for q in short])} "
                         f"{'has' if len(short) == 1 else 'have'} no upper {pct_level} "
                         f"confidence bound ({need} trials with a value).")
    for p in s.proportions:
        e = p.estimate
        if e.n and e.half_width > MAX_PROPORTION_HALF_WIDTH:
            notes.append(f"P({p.name}) = {_pct(e.value)} from {e.n} trials, but its "
                         f"{pct_level} interval is {_pct(e.low)} to {_pct(e.high)}: too wide "
                         "to rely on; run more trials.")
    return notes


def _annual_notes(s: Summary, pct_level: str) -> list[str]:
    a = s.annual
    assert a is not None
    ok = s.succeeded
    notes = []
    if not math.isclose(a.horizon_s, SECONDS_PER_YEAR):
        notes.append(f"Per-year figures scale each {format_duration(a.horizon_s)} trial "
                     f"by 365 days ÷ horizon = {a.scale:.4g}.")
    if a.trials_with_outage == 0:
        bound = wilson_ci(0, ok, s.level).high
        notes.append(f"No trial saw an outage: availability is 100% in all {ok}, which shows "
                     f"only that the chance of an outage in {format_duration(a.horizon_s)} is "
                     f"below about {_pct(bound)} ({pct_level} confidence); run more trials to "
                     "measure it.")
    elif a.trials_with_outage < MIN_FINITE:
        notes.append(f"Only {a.trials_with_outage} of {ok} trials saw an outage: availability, "
                     "downtime and customer-minutes per year rest on those few, and their "
                     "intervals mean little; run more trials.")
    return notes
