"""A real drill judged by the model: each observed figure placed on its simulated distribution.

`simulate_figures` runs the scenario's trials exactly as `drsim run --trials` does (trial i
draws from (seed, i), so its metrics are that run's row i) and keeps, beside the metrics, each
runbook step's duration (end − start of its first run in the trial: RunResult.steps, which a
Monte Carlo row does not carry). `place` puts one observed value x among the n simulated
values of the same figure (NaN, "did not happen in that trial", is left out; +inf, "never
reached within the horizon", counts as worse than any value):

- below, equal: the shares of trials with a value < x and = x;
- percentile (mid-rank): below + equal / 2, with a 95% Clopper–Pearson interval for a
  binomial share out of n trials (the simulation's own uncertainty);
- P(as bad or worse): the share ≥ x. For every figure scored (times and data lost) larger is
  worse: a longer detection, recovery or step, more data lost;
- flag: "above P95" when fewer than 5% of trials were as bad or worse (share ≥ x < 5%),
  "below P5" when fewer than 5% were as good or better (share ≤ x < 5%). A value that is only
  a lower bound (a step stopped at its timebox) is flagged only above: the real value was
  at least as bad.

Over several drills, `calibration` tests the probability-integral transform of the observed
values against uniform: if the model is right, each observed figure's PIT is uniform on
[0, 1]. For values with ties in the simulation the PIT is randomised (below + U × equal,
U uniform, Czado, Gneiting & Held 2009), and a lower bound's PIT is drawn uniformly above the
bound's own (see pit), from a seeded generator so a report is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from drsim.calibrate.observed import STEP_PREFIX, Observed, figure_keys, step_key
from drsim.calibrate.records import DrillRecord, PageRecord, StatusUpdate, StepRun
from drsim.errors import TrialsFailed
from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.topology import Topology
from drsim.trial import Row, metrics_row

if TYPE_CHECKING:
    import pandas as pd

TAIL = 0.05  # a figure is flagged when fewer than 5% of trials were as bad (or as good)
LEVEL = 0.95  # confidence level of the percentile's interval and of the KS test (α = 5%)
BINS = 10  # the PIT histogram's bins


def figures_row(result: RunResult, scenario: Scenario) -> Row:
    """A trial's row (drsim/trial.py metrics_row) plus step_s.<runbook>.<step>: the duration
    of each step's first run in the trial (steps that never ran are absent: NaN)."""
    row = metrics_row(result, scenario)
    for s in result.steps:
        row.setdefault(step_key(s.runbook, s.step), s.end_s - s.start_s)
    return row


def simulate_figures(scenario: Scenario, trials: int, seed: int | None = None) -> pd.DataFrame:
    """Trials 0..trials-1 of `scenario` with root `seed` (default: the scenario's), one row
    each with every figure_keys(scenario) column. A trial that raises is a TrialsFailed."""
    import pandas as pd

    from drsim.sim.engine import simulate

    seed = scenario.simulation.seed if seed is None else seed
    topology = Topology(scenario)
    rows = []
    for i in range(trials):
        try:
            result = simulate(scenario, seed, i, topology)
        except Exception as e:  # the engine's fault, not the drill's: name the trial
            raise TrialsFailed(f"trial {i} of seed {seed} raised {type(e).__name__}: {e}; "
                               f"replay it with drsim run SCENARIO --trial {i} --seed {seed} "
                               "--debug") from None
        rows.append(figures_row(result, scenario))
    return pd.DataFrame(rows).reindex(columns=["trial", *figure_keys(scenario)])


@dataclass(frozen=True)
class Score:
    """One observed figure on its simulated distribution (see the module docstring)."""

    observed: Observed
    n: int  # trials in which the figure happened (its simulated values)
    p5_s: float
    median_s: float
    p95_s: float
    below_n: int  # trials with a value below the observed one
    equal_n: int  # trials with the same value
    ci: tuple[float, float]  # 95% interval of the percentile
    flag: str  # "", "above P95" or "below P5"

    @property
    def key(self) -> str:
        return self.observed.key

    @property
    def below(self) -> float:
        return self.below_n / self.n

    @property
    def equal(self) -> float:
        return self.equal_n / self.n

    @property
    def percentile(self) -> float:
        """Mid-rank: the share of trials below, plus half of those equal."""
        return (self.below_n + self.equal_n / 2) / self.n

    @property
    def p_worse(self) -> float:
        """P(as bad or worse): the share of trials with a value ≥ the observed one."""
        return (self.n - self.below_n) / self.n

    @property
    def outside(self) -> bool:
        return bool(self.flag)


def place(observed: Observed, simulated: Iterable[float]) -> Score | None:
    """Where `observed` falls among the simulated values (NaN dropped); None if none."""
    values = np.asarray(simulated if hasattr(simulated, "__len__") else list(simulated),
                        dtype=float)
    values = np.sort(values[~np.isnan(values)])
    n = len(values)
    if n == 0:
        return None
    x = observed.value_s
    below = int(np.searchsorted(values, x, side="left"))
    equal = int(np.searchsorted(values, x, side="right")) - below
    worse, better = (n - below) / n, (below + equal) / n
    flag = "above P95" if worse < TAIL else \
        "below P5" if better < TAIL and not observed.at_least else ""
    # the inverted-CDF quantile: the smallest value with at least p·n trials at or below it
    q5, q50, q95 = (float(values[max(0, math.ceil(p * n - 1e-9) - 1)]) for p in (0.05, 0.5, 0.95))
    return Score(observed, n, q5, q50, q95, below, equal,
                 percentile_ci(below + equal / 2, n), flag)


def percentile_ci(k: float, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Clopper–Pearson interval of a binomial share k/n (k may be a mid-rank half)."""
    from scipy.stats import beta

    a = (1 - level) / 2
    low = 0.0 if k <= 0 else float(beta.ppf(a, k, n - k + 1))
    high = 1.0 if k >= n else float(beta.ppf(1 - a, k + 1, n - k))
    return low, high


def score_drill(observed: dict[str, Observed], simulated: pd.DataFrame) -> list[Score]:
    """Every observed figure the simulation also has, placed; in the order of `observed`."""
    out = []
    for key, obs in observed.items():
        if key in simulated:
            placed = place(obs, simulated[key])
            if placed is not None:
                out.append(placed)
    return out


def pit(score: Score, rng: np.random.Generator) -> float:
    """The randomised probability-integral transform of an observed figure: below + U ×
    equal. For a lower bound c (a step stopped at its timebox) the real value's PIT is, if
    the model is right, uniform on [F(c), 1]: it is drawn there (D-calibration's treatment
    of right-censored values, Haider et al. 2020), so that the slow runs cut short still
    count, as slow."""
    if score.observed.at_least:
        low = score.below + score.equal
        return low + float(rng.uniform()) * (1.0 - low)
    return score.below + float(rng.uniform()) * score.equal


@dataclass(frozen=True)
class Calibration:
    """The PIT values of many drills' figures tested against uniform (Kolmogorov–Smirnov)."""

    values: tuple[float, ...]
    statistic: float
    p_value: float
    histogram: tuple[int, ...] = field(default=())  # counts in BINS equal bins of [0, 1]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def short(self) -> str:
        """The verdict in a word or two."""
        return self.verdict.split(":")[0].split(" (")[0]

    @property
    def verdict(self) -> str:
        """In words: consistent with the model, or how it is not."""
        if self.n < 2:
            return "too few figures for a test: score more drills"
        if self.p_value >= 1 - LEVEL:
            return "consistent with the model (KS test at 5%)"
        tails = sum(1 for u in self.values if u < 0.1 or u > 0.9) / self.n
        if abs(self.mean - 0.5) * math.sqrt(12 * self.n) >= 2:  # the mean's z against U(0,1)
            return ("systematically optimistic: the observed values sit high (real drills "
                    "took longer than the model says)" if self.mean > 0.5 else
                    "systematically pessimistic: the observed values sit low (real drills "
                    "were faster than the model says)")
        return ("too confident: too many observed values in the tails (the model's spread "
                "is too narrow)" if tails > 0.2 else
                "too cautious: too few observed values in the tails (the model's spread is "
                "too wide)")


def calibration(values: Sequence[float]) -> Calibration:
    """KS test of `values` (PITs in [0, 1]) against the uniform distribution."""
    from scipy.stats import kstest

    u = tuple(float(v) for v in values)
    if len(u) < 2:
        return Calibration(u, math.nan, math.nan, _histogram(u))
    test = kstest(u, "uniform")
    return Calibration(u, float(test.statistic), float(test.pvalue), _histogram(u))


def _histogram(values: Sequence[float]) -> tuple[int, ...]:
    counts, _ = np.histogram(values, bins=BINS, range=(0.0, 1.0))
    return tuple(int(c) for c in counts)


MIN_DRILLS = 5  # a figure seen in fewer drills gets no calibration test of its own


def pit_values(scored: Sequence[Sequence[Score]], seed: int = 0) -> list[tuple[str, float]]:
    """(figure, PIT) for every observed figure of every drill, drill by drill; ties and lower
    bounds randomised from `seed` (see pit)."""
    rng = np.random.default_rng(seed)
    return [(s.key, pit(s, rng)) for drill in scored for s in drill]


def calibrate_drills(scored: Sequence[Sequence[Score]], seed: int = 0) -> Calibration:
    """Every figure of every drill tested together. Figures of one drill are not independent
    (a slow step makes a slow recovery), so read the p-value as approximate; the test per
    figure (calibrate_by_figure) has independent drills."""
    return calibration([u for _, u in pit_values(scored, seed)])


def calibrate_by_figure(scored: Sequence[Sequence[Score]], seed: int = 0,
                        least: int = MIN_DRILLS) -> dict[str, Calibration]:
    """One test per figure observed in at least `least` drills (the same PITs as
    calibrate_drills), in the order figures first appear."""
    by: dict[str, list[float]] = {}
    for key, u in pit_values(scored, seed):
        by.setdefault(key, []).append(u)
    return {k: calibration(v) for k, v in by.items() if len(v) >= least}


def headline_outside(scores: Iterable[Score]) -> list[Score]:
    """The figures outside the P5–P95 band: any one makes `drsim score` exit 1."""
    return [s for s in scores if s.outside]


def is_step(key: str) -> bool:
    return key.startswith(STEP_PREFIX)


def record_of_run(result: RunResult, drill: str = "simulated") -> DrillRecord:
    """A simulated trial written down as a real drill would be: a page (fault start,
    created at the alert, acknowledged, declared, resolved at the incident's end), one
    status-page component per customer group (named as the group) going to major_outage and
    back with its basic service, a final 'resolved' update at the end of full recovery of
    every group, and one exact step run per step's first run. Data lost goes in `figures`.
    For tests and worked examples: observe() of it gives back the trial's own metrics."""
    if not result.incidents:
        return DrillRecord(drill)
    inc = result.incidents[0]
    at = result.wall

    def when(t: float | None) -> Any:
        return None if t is None else at(t)

    end = inc.end_s if inc.end_s is not None else result.horizon_s
    page = PageRecord(f"{drill}-page", created=at(inc.detected_s if inc.detected_s is not None
                                                  else inc.start_s),
                      acknowledged=when(inc.acknowledged_s), declared=when(inc.declared_s),
                      resolved=when(inc.end_s), started=at(inc.start_s))
    updates = [StatusUpdate(drill, at(i.start_s), "identified", ((i.subject, "major_outage"),))
               for i in result.intervals if i.what == "basic" and i.start_s <= end]
    updates += [StatusUpdate(drill, at(i.end_s), "monitoring", ((i.subject, "operational"),))
                for i in result.intervals
                if i.what == "basic" and i.end_s is not None and i.start_s <= end]
    full = [i.end_s for i in result.intervals if i.what == "full" and i.start_s <= end]
    if full and None not in full:
        done = max(t for t in full if t is not None)
        updates.append(StatusUpdate(drill, at(done), "resolved"))
    seen: set[tuple[str, str]] = set()
    runs = []
    for s in result.steps:
        if (s.runbook, s.step) not in seen:
            seen.add((s.runbook, s.step))
            runs.append(StepRun(drill, f"{s.runbook}.{s.step}", at(s.start_s), "exact",
                                s.end_s - s.start_s, None))
    lost = {f"data_lost_s:{svc}": v for svc, v in result.metrics.data_lost_s.items()}
    return DrillRecord(drill, tuple(runs), (page,),
                       tuple(sorted(updates, key=lambda u: u.at)), lost)
