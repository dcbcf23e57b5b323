"""Strategy comparison with paired trials (common random numbers).

Every scenario runs trials 0..n-1 with the same root seed, so trial i of every variant draws
the same numbers wherever the variants share an element (DESIGN.md §5): the per-trial
differences against the baseline (the first scenario) carry far less noise than two
independent runs would. For each metric this module reports:

- each variant's estimate with its CI (t-interval of the mean; Wilson for a yes/no column);
- the paired difference against the baseline: the t-interval of the per-trial differences,
  and whether it excludes 0 (significant);
- P(best): the share of trials in which the variant is the best of all (lowest time, loss or
  downtime; highest P(objective met)); a tie splits the trial between the tied variants;
  Wilson interval;
- the variance-reduction factor of pairing: the half-width an independent-runs interval
  (Welch) would have from the same values ÷ the paired half-width. Its square is how many
  times more independent trials would buy the same precision.

Special values (stats.py conventions), and what is done with them:

- a failed trial (a row with an error) in any variant is left out of every variant, so the
  remaining trials stay paired;
- +inf (a recovery time never reached within the horizon: censored) cannot enter a mean: as in
  `drsim run`, an estimate is the mean of the trials that got there (so it understates the
  truth when some did not), and a difference uses the pairs where both got there. The
  censoring itself is compared through P(all_restored) and P(all_recovered), and P(best)
  ranks a censored trial below every finite one (two censored trials tie). The notes give
  the counts;
- NaN (not applicable: no incident in that trial, or a column the variant lacks) is left out:
  an estimate uses the trials where its variant has a value, a difference the trials where
  both have one, P(best) the trials where every variant has one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from drsim.errors import DrsimError
from drsim.montecarlo import Trials, WorkerPool, run_trials
from drsim.scenario.schema import Scenario
from drsim.stats import Estimate, completed, is_boolean_column, mean_ci, wilson_ci

HEADLINE = ("rto_basic_s", "rto_full_s", "customer_minutes_lost", "downtime_s",
            "unavailability")
CENSORING = ("all_restored", "all_recovered")

COLUMNS = ["metric", "variant", "baseline", "kind", "better", "n", "censored",
           "not_applicable", "estimate", "low", "high", "diff", "diff_low", "diff_high",
           "n_pairs", "significant", "independent_half_width", "paired_half_width",
           "variance_reduction", "p_best", "p_best_low", "p_best_high", "n_best"]


@dataclass
class Comparison:
    """The result of compare(): `frame` has one row per metric × variant (COLUMNS)."""

    names: list[str]
    scenarios: list[Scenario]
    seed: int
    trials: int  # trials used (completed in every variant)
    requested: int
    frame: pd.DataFrame
    level: float = 0.95
    notes: list[str] = field(default_factory=list)
    runs: list[Trials] = field(default_factory=list, repr=False)

    @property
    def baseline(self) -> str:
        return self.names[0]

    def __repr__(self) -> str:
        from drsim.report.notebook import comparison_repr

        return comparison_repr(self)

    def _repr_html_(self) -> str:
        from drsim.report.notebook import comparison_html

        return comparison_html(self)

    def row(self, metric: str, variant: str) -> pd.Series:
        got = self.frame[(self.frame.metric == metric) & (self.frame.variant == variant)]
        if got.empty:
            raise KeyError(f"no row for metric {metric!r} and variant {variant!r}")
        return got.iloc[0]

    def variance_reduction(self) -> pd.Series:
        """The factor per (metric, variant) where it is defined (finite, both widths > 0)."""
        f = self.frame
        vr = f.loc[np.isfinite(f.variance_reduction.astype(float)),
                   ["metric", "variant", "variance_reduction"]]
        return vr.set_index(["metric", "variant"])["variance_reduction"]


def default_metrics(frames: Sequence[pd.DataFrame]) -> list[str]:
    """The headline metrics, data lost per service and every objective's P(met), over the
    union of the variants' columns (a column a variant lacks counts as not applicable)."""
    cols: list[str] = []
    for f in frames:
        cols += [c for c in f.columns if c not in cols]
    return ([c for c in HEADLINE if c in cols] + sorted(c for c in cols
                                                        if c.startswith("data_lost_s."))
            + [c for c in CENSORING if c in cols] + [c for c in cols if c.startswith("met.")])


def _label_names(n: int, names: Sequence[str] | None) -> list[str]:
    names = list(names) if names else [f"v{i}" for i in range(n)]
    if len(names) != n or len(set(names)) != n:
        raise ValueError(f"need {n} distinct names, got {names}")
    return names


def _only(what: str, a: Sequence[str], b: Sequence[str], name_a: str, name_b: str,
          shown: int = 4) -> str:
    """'sites differ (only in A: x, y; only in B: z)', or '' when the ids are the same."""
    if set(a) == set(b):
        return ""

    def ids(xs: set[str]) -> str:
        s = sorted(xs)
        return ", ".join(s[:shown]) + (f" and {len(s) - shown} more" if len(s) > shown else "")

    parts = [f"only in {n}: {ids(x)}" for n, x in ((name_a, set(a) - set(b)),
                                                    (name_b, set(b) - set(a))) if x]
    return f"{what} differ ({'; '.join(parts)})"


def unrelated_scenarios(scenarios: Sequence[Scenario], names: Sequence[str]) -> str:
    """What makes a scenario unrelated to the baseline (the first), or ''. Strategies of one
    estate share its sites or its customer groups (a strategy may add a backup site; a what-if
    may add a customer group); a scenario that differs from the baseline in both describes
    another estate, and a paired comparison with it means nothing."""
    base, base_name = scenarios[0], names[0]
    for sc, name in zip(scenarios[1:], names[1:], strict=True):
        sites = _only("sites", list(base.sites), list(sc.sites), base_name, name)
        groups = _only("customer groups", list(base.customers), list(sc.customers), base_name,
                       name)
        if sites and groups:
            return f"{name} is not a strategy for {base_name}'s estate: {sites}, and {groups}"
    return ""


def compare(scenarios: Sequence[Scenario], names: Sequence[str] | None = None,
            trials: int = 1000, seed: int | None = None, workers: int | None = None,
            backend: str = "local", scheduler: str | None = None,
            metrics: Sequence[str] | None = None, level: float = 0.95,
            unrelated: bool = False) -> Comparison:
    """Run every scenario for `trials` paired trials (one seed: the baseline's unless given)
    and compare them against the first (the baseline). Scenarios of another estate (other
    sites and other customer groups: unrelated_scenarios) are refused unless `unrelated`."""
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    problem = unrelated_scenarios(scenarios, _label_names(len(scenarios), names))
    if problem and not unrelated:
        raise DrsimError(f"{problem}; pass unrelated=True to compare them anyway")
    seed = scenarios[0].simulation.seed if seed is None else seed
    with WorkerPool.shared(workers, backend, scheduler) as pool:  # one pool for every run
        runs = [run_trials(sc, trials, seed, pool=pool).stop_if_interrupted()
                for sc in scenarios]
    result = compare_frames([r.frame for r in runs], scenarios, names, seed, metrics, level)
    result.runs = runs
    result.requested = trials
    other = sorted({sc.simulation.seed for sc in scenarios} - {seed})
    if other:
        result.notes.append(f"Every variant ran with root seed {seed} (common random numbers); "
                            f"the seed{'s' if len(other) > 1 else ''} "
                            f"{', '.join(map(str, other))} written in some files "
                            f"{'were' if len(other) > 1 else 'was'} not used.")
    return result


def compare_frames(frames: Sequence[pd.DataFrame], scenarios: Sequence[Scenario],
                   names: Sequence[str] | None = None, seed: int = 0,
                   metrics: Sequence[str] | None = None,
                   level: float = 0.95) -> Comparison:
    """The statistics of compare() from trial frames (one per scenario, same seed)."""
    names = _label_names(len(frames), names)
    notes: list[str] = []
    ok = [completed(f).set_index("trial") for f in frames]
    common = sorted(set.intersection(*(set(f.index) for f in ok)))
    all_trials = set().union(*(set(f["trial"]) for f in frames))
    dropped = len(all_trials) - len(common)
    if dropped:
        notes.append(f"{dropped} trial{'s' if dropped > 1 else ''} failed (or were missing) in "
                     "at least one variant and are left out of every variant, so the others "
                     "stay paired.")
    ok = [f.loc[common] for f in ok]
    metrics = list(metrics) if metrics else default_metrics(frames)
    rows: list[dict[str, object]] = []
    for metric in metrics:
        rows += _metric_rows(metric, ok, names, level, notes)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if len(frames) > 1:
        notes.append(_pairing_note(frame))
    if len(common) and (len({sc.simulation.horizon for sc in scenarios}) > 1):
        notes.append("The variants simulate different horizons: totals such as "
                     "customer-minutes cover different spans; compare per-time figures.")
    return Comparison(names, list(scenarios), seed, len(common), len(all_trials), frame, level,
                      [n for n in notes if n])


def _values(metric: str, f: pd.DataFrame) -> np.ndarray:
    """The column as floats: yes/no as 1/0, a missing column as NaN, +inf kept (censored)."""
    if metric not in f.columns:
        return np.full(len(f), math.nan)
    col = f[metric]
    if is_boolean_column(metric, col):
        return pd.to_numeric(col.map(lambda v: math.nan if v is None or v != v
                                     else float(bool(v))), errors="coerce").to_numpy(dtype=float)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _estimate(x: np.ndarray, boolean: bool, level: float) -> Estimate:
    known = x[np.isfinite(x)]
    if boolean:
        return wilson_ci(float(known.sum()), len(known), level)
    e = mean_ci(known, level)
    if len(known) >= 2 and known.min() == known.max():
        e = Estimate(e.value, e.value, e.value, e.n)  # exactly constant: no rounding dust
    return e


def _paired(x: np.ndarray, base: np.ndarray,
            level: float) -> tuple[Estimate, float, float, float]:
    """Paired difference x − base with its t-interval; the Welch half-width the same values
    would give as independent samples; the paired half-width; their ratio."""
    both = np.isfinite(x) & np.isfinite(base)
    d = x[both] - base[both]
    n = len(d)
    if n < 2:
        e = mean_ci(d, level)
        return e, math.nan, math.nan, math.nan
    e = mean_ci(d, level)
    paired = e.half_width
    if d.max() - d.min() <= 1e-9 * max(1.0, abs(e.value)):  # the same in every trial, up
        e, paired = Estimate(e.value, e.value, e.value, n), 0.0  # to float rounding
    va, vb = _var(x[both]), _var(base[both])
    se2 = va / n + vb / n
    if se2 > 0:
        df = se2 ** 2 / ((va / n) ** 2 / (n - 1) + (vb / n) ** 2 / (n - 1))
        independent = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(se2)
    else:
        independent = 0.0
    if paired > 0:
        ratio = independent / paired
    else:
        ratio = math.inf if independent > 0 else math.nan
    return e, independent, paired, ratio


def _var(x: np.ndarray) -> float:
    return 0.0 if x.min() == x.max() else float(np.var(x, ddof=1))  # no rounding dust


def _metric_rows(metric: str, frames: list[pd.DataFrame], names: list[str], level: float,
                 notes: list[str]) -> list[dict[str, object]]:
    boolean = metric.startswith("met.") or any(
        metric in f.columns and is_boolean_column(metric, f[metric]) for f in frames)
    xs = [_values(metric, f) for f in frames]
    base = xs[0]
    better = "higher" if boolean else "lower"
    best_share, n_best = _p_best(xs, better)
    rows = []
    for i, x in enumerate(xs):
        censored = int(np.isinf(x).sum())
        est = _estimate(x, boolean, level)
        if i == 0:
            diff, ind, pw, vr = Estimate(0.0, 0.0, 0.0, est.n), math.nan, math.nan, math.nan
        else:
            diff, ind, pw, vr = _paired(x, base, level)
        pb = wilson_ci(best_share[i], n_best, level)
        significant = bool(i > 0 and diff.n >= 2 and (diff.low > 0 or diff.high < 0))
        rows.append({
            "metric": metric, "variant": names[i], "baseline": i == 0,
            "kind": "probability" if boolean else "mean", "better": better,
            "n": est.n, "censored": censored, "not_applicable": int(np.isnan(x).sum()),
            "estimate": est.value, "low": est.low, "high": est.high,
            "diff": diff.value, "diff_low": diff.low, "diff_high": diff.high,
            "n_pairs": diff.n, "significant": significant, "independent_half_width": ind,
            "paired_half_width": pw, "variance_reduction": vr, "p_best": pb.value,
            "p_best_low": pb.low, "p_best_high": pb.high, "n_best": n_best,
        })
    cens = [(names[i], int(np.isinf(x).sum())) for i, x in enumerate(xs) if np.isinf(x).any()]
    if cens:
        which = ", ".join(f"{n} {k}" for n, k in cens)
        notes.append(f"{metric}: never reached within the horizon in some trials ({which} of "
                     f"{len(base)}); estimates are means of the trials that got there (so they "
                     "understate), differences use pairs where both got there, P(best) ranks a "
                     "trial that never got there last; compare all_restored / all_recovered.")
    missing = [names[i] for i, x in enumerate(xs) if np.isnan(x).all() and len(x)]
    if missing and len(missing) < len(xs):
        notes.append(f"{metric}: no value in {', '.join(missing)} (no such column, or it never "
                     "applied); left out of its differences and of P(best).")
    partial = [(names[i], int(np.isnan(x).sum())) for i, x in enumerate(xs)
               if 0 < np.isnan(x).sum() < len(x)]
    if partial:
        which = ", ".join(f"{n} {k}" for n, k in partial)
        notes.append(f"{metric}: not applicable in some trials ({which}; no incident, or "
                     "nothing of that kind); each estimate uses its own trials with a value, "
                     "each difference the trials where both have one.")
    return rows


def _p_best(xs: list[np.ndarray], better: str) -> tuple[list[float], int]:
    """Trials won by each variant (ties split), over trials where every variant has a value."""
    m = np.vstack(xs) if xs else np.empty((0, 0))
    keep = ~np.isnan(m).any(axis=0)
    m = m[:, keep]
    if better == "higher":
        m = -m
    if m.shape[1] == 0:
        return [0.0] * len(xs), 0
    best = m.min(axis=0)
    tol = 1e-9 * np.maximum(1.0, np.abs(best))
    winners = m <= best + tol
    share = winners / winners.sum(axis=0)
    return [float(s) for s in share.sum(axis=1)], int(m.shape[1])


def _pairing_note(frame: pd.DataFrame) -> str:
    vr = frame.variance_reduction.astype(float)
    finite = vr[np.isfinite(vr)]
    exact = int(((frame.paired_half_width == 0) & (frame.independent_half_width > 0)).sum())
    text = ""
    if len(finite):
        lo, hi, med = float(finite.min()), float(finite.max()), float(finite.median())
        text = (f"Pairing: the paired intervals of the differences are {lo:.3g}× to {hi:.3g}× "
                f"narrower than independent runs of the same size would give (median "
                f"{med:.3g}×); matching that without pairing would take about "
                f"{med * med:.3g}× as many trials.")
    if exact:
        text += (" " if text else "") + (f"{exact} difference{'s are' if exact > 1 else ' is'} "
                                         "exactly the same in every trial (zero-width paired "
                                         "interval) although the values themselves vary.")
    return text
