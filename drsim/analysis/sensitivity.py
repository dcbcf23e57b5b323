"""Which inputs drive recovery time: runbook critical paths, global sensitivity, a tornado.

1. **Critical path.** Each trial is re-run exactly as run_trials runs it (simulate(scenario, seed,
   trial)), and for every finished run of every runbook the chain of steps that set its end
   is traced back from the last step to finish: a step's predecessor on the path is the
   `after` step that finished last (ties: all of them). A step's *contribution* is the stretch
   of the path it accounts for, from when its last predecessor finished (or the runbook
   started) to when it finished, waiting for staff and preconditions included; the
   contributions along a chain add up to the runbook's duration. The *criticality index* is
   the share of trials, among those where the runbook ran to the end, in which the step lay on
   the critical path of one of its runs.
2. **Global sensitivity.** Every non-fixed distribution of the scenario (step durations, ttr,
   call-out, ack and declare delays, replication lags, spare lead times, disruption times and
   durations; ttf too when random failures are on) is an input. SALib samples each input as a
   probability u in [0.05, 0.95]; the input is fixed at its u-quantile
   (Distribution → fixed(quantile(u))), the scenario run, the metric collected, and SALib
   computes Morris (μ*, σ) or Sobol (S1, ST) indices.
3. **Tornado.** Every input at its median, then one at a time at its P10 and P90; the swing of
   the metric, largest first.

A metric value of +inf (never reached in the horizon) counts as the horizon, and NaN (no
incident, so nothing to recover) as 0, so every model evaluation is a number.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from drsim.distributions import Distribution, fixed
from drsim.errors import DrsimError
from drsim.montecarlo import Job, WorkerPool
from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.sim.engine import simulate
from drsim.stats import resolve_metric
from drsim.topology import Topology
from drsim.trial import Row, columns, run_batch

ModelPath = tuple[str | int, ...]
GLOBAL_RANGE = (0.05, 0.95)  # the probabilities SALib samples each input over
TORNADO_RANGE = (0.10, 0.90)
METHODS = ("morris", "sobol")
_TOL = 1e-9


# ---- uncertain inputs --------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One uncertain input: a non-fixed distribution at `path` in the scenario model."""

    name: str
    path: ModelPath
    dist: Distribution


def uncertain_inputs(scenario: Scenario) -> list[Input]:
    """Every non-fixed distribution of the scenario, in a stable order (ttf only when random
    failures are on: otherwise it is never drawn)."""
    out = []
    for path, label, dist in _walk(scenario, (), ""):
        if dist.is_fixed:
            continue
        if path[-1] == "ttf" and not scenario.simulation.random_failures:
            continue
        out.append(Input(label, path, dist))
    return out


def _walk(obj: Any, path: ModelPath, label: str) -> Iterator[tuple[ModelPath, str, Distribution]]:
    if isinstance(obj, Distribution):
        yield path, label, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name != "costs":
                yield from _walk(getattr(obj, name), (*path, name),
                                 f"{label}.{name}" if label else name)
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            yield from _walk(obj[key], (*path, key), f"{label}.{key}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            ident = getattr(item, "id", None)
            yield from _walk(item, (*path, i), f"{label}[{ident if ident else i}]")


def set_at(obj: Any, path: ModelPath, value: Any) -> Any:
    """A copy of `obj` with the value at `path` replaced (frozen models are copied, not
    changed; everything off the path is shared)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, BaseModel):
        return obj.model_copy(update={str(head): set_at(getattr(obj, str(head)), rest, value)})
    if isinstance(obj, dict):
        return {**obj, head: set_at(obj[head], rest, value)}
    if isinstance(obj, list | tuple):
        items = list(obj)
        assert isinstance(head, int)
        items[head] = set_at(items[head], rest, value)
        return type(obj)(items)
    raise TypeError(f"cannot set {head!r} in {type(obj).__name__}")


def fix_inputs(scenario: Scenario, inputs: Sequence[Input], probs: Sequence[float]) -> Scenario:
    """The scenario with input i fixed at its probs[i]-quantile."""
    for inp, u in zip(inputs, probs, strict=True):
        scenario = set_at(scenario, inp.path, fixed(max(0.0, inp.dist.quantile(float(u)))))
    return scenario


# ---- the critical path of runbook runs ----------------------------------------------------


@dataclass(frozen=True)
class StepCriticality:
    runbook: str
    step: str
    runs: int  # trials in which the runbook ran to the end
    critical: int  # of those, trials in which the step lay on a critical path
    mean_contribution_s: float  # its stretch of the path, over the trials where critical

    @property
    def criticality(self) -> float:
        return self.critical / self.runs if self.runs else math.nan


def runbook_runs(result: RunResult) -> list[tuple[str, float, float | None, list[Any]]]:
    """(runbook, start, end or None if unfinished, its step records) for each run."""
    runs: dict[str, list[list[Any]]] = {}
    for ev in result.timeline:
        if ev.kind == "runbook_start":
            runs.setdefault(ev.subject, []).append([ev.time_s, None, []])
        elif ev.kind == "runbook_end" and runs.get(ev.subject):
            runs[ev.subject][-1][1] = ev.time_s
    for rec in result.steps:
        mine = runs.get(rec.runbook, [])
        i = bisect.bisect_right([r[0] for r in mine], rec.start_s + _TOL) - 1
        if i >= 0:
            mine[i][2].append(rec)
    return [(rid, start, end, recs) for rid in sorted(runs) for start, end, recs in runs[rid]]


def critical_path(scenario: Scenario, runbook: str, start_s: float,
                  records: Sequence[Any]) -> dict[str, float]:
    """Step id → its contribution (seconds) for the steps on the critical path of one finished
    run of `runbook` that began at start_s, given that run's step records."""
    steps = {s.id: s for s in scenario.runbooks[runbook].steps}
    rec = {r.step: r for r in records}
    fallbacks = {s.fallback for s in steps.values() if s.fallback}

    def done_at(sid: str) -> float:  # when the step's `done` fired: after its fallback, if any
        end = rec[sid].end_s if sid in rec else -math.inf
        fb = steps[sid].fallback
        return max(end, rec[fb].end_s) if fb and fb in rec else end

    out: dict[str, float] = {}
    seen: set[str] = set()

    def visit(sid: str) -> None:
        if sid in seen or sid not in rec:
            return
        seen.add(sid)
        preds = [p for p in steps[sid].after if p in rec]
        ready = max((done_at(p) for p in preds), default=start_s)
        r, fb = rec[sid], steps[sid].fallback
        if r.outcome not in ("skipped", "cancelled"):
            out[sid] = r.end_s - ready
            if fb and fb in rec:
                out[fb] = rec[fb].end_s - r.end_s
        for p in preds:
            if abs(done_at(p) - ready) <= _TOL:
                visit(p)

    mains = [s for s in steps if s not in fallbacks and s in rec]
    if not mains:
        return out
    end = max(done_at(s) for s in mains)
    for sid in mains:
        if abs(done_at(sid) - end) <= _TOL:
            visit(sid)
    return out


def critical_steps(scenario: Scenario, trials: int, seed: int | None = None
                   ) -> list[StepCriticality]:
    """Criticality index and mean contribution of every runbook step over `trials` trials."""
    root = scenario.simulation.seed if seed is None else seed
    topology = Topology(scenario)
    ran: dict[str, int] = {}
    hits: dict[tuple[str, str], list[float]] = {}
    for trial in range(trials):
        try:
            result = simulate(scenario, root, trial, topology)
        except Exception:  # noqa: BLE001 — a failed trial is left out, as in run_trials
            continue
        per_trial: dict[tuple[str, str], float] = {}
        books: set[str] = set()
        for rid, start, end, recs in runbook_runs(result):
            if end is None:
                continue
            books.add(rid)
            for sid, c in critical_path(scenario, rid, start, recs).items():
                per_trial[(rid, sid)] = per_trial.get((rid, sid), 0.0) + c
        for rid in books:
            ran[rid] = ran.get(rid, 0) + 1
        for key, c in per_trial.items():
            hits.setdefault(key, []).append(c)
    out = []
    for rid in sorted(scenario.runbooks):
        for step in scenario.runbooks[rid].steps:
            got = hits.get((rid, step.id), [])
            out.append(StepCriticality(rid, step.id, ran.get(rid, 0), len(got),
                                       float(np.mean(got)) if got else math.nan))
    return out


# ---- global sensitivity and tornado ---------------------------------------------------------


@dataclass(frozen=True)
class InputIndex:
    """One input's indices: Morris mu_star/sigma (± conf), or Sobol S1/ST (± conf)."""

    name: str
    rank_by: float  # mu_star (Morris) or ST (Sobol): what the table is sorted on
    values: dict[str, float]


@dataclass(frozen=True)
class TornadoBar:
    name: str
    input_low: float  # the input's P10 (seconds)
    input_high: float  # its P90
    metric_low: float  # the metric with the input at P10, others at median
    metric_high: float

    @property
    def swing(self) -> float:
        return abs(self.metric_high - self.metric_low)


@dataclass(frozen=True)
class Sensitivity:
    scenario: str
    metric: str
    method: str
    seed: int
    inputs: tuple[Input, ...]
    critical: tuple[StepCriticality, ...]
    indices: tuple[InputIndex, ...]
    tornado: tuple[TornadoBar, ...]
    median_value: float  # the metric with every input at its median
    evaluations: int
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None
        return {
            "scenario": self.scenario, "metric": self.metric, "method": self.method,
            "seed": self.seed, "evaluations": self.evaluations,
            "median_value": num(self.median_value),
            "inputs": [{"name": i.name, "distribution": i.dist.family,
                        "params": list(i.dist.params)} for i in self.inputs],
            "critical_path": [{"runbook": c.runbook, "step": c.step, "runs": c.runs,
                               "critical": c.critical, "criticality": num(c.criticality),
                               "mean_contribution_s": num(c.mean_contribution_s)}
                              for c in self.critical],
            "indices": [{"name": x.name, **{k: num(v) for k, v in x.values.items()}}
                        for x in self.indices],
            "tornado": [{"name": b.name, "input_low": b.input_low, "input_high": b.input_high,
                         "metric_low": num(b.metric_low), "metric_high": num(b.metric_high),
                         "swing": num(b.swing)} for b in self.tornado],
            "notes": list(self.notes),
        }


class Model:
    """metric(scenario with inputs fixed at probabilities u): the mean over `repeats` trials
    (same seed, so every point sees the same remaining randomness). `many` evaluates points
    on the pool's workers, all at once (each point a job); the same numbers as one by one."""

    def __init__(self, scenario: Scenario, inputs: Sequence[Input], metric: str, seed: int,
                 repeats: int = 1, pool: WorkerPool | None = None) -> None:
        self.scenario, self.inputs, self.seed, self.repeats = scenario, list(inputs), seed, repeats
        self.metric = resolve_metric(pd.DataFrame(columns=columns(scenario)), metric)
        self.topology = Topology(scenario)
        self.pool = pool
        self.calls = 0

    def __call__(self, probs: Sequence[float]) -> float:
        self.calls += 1
        variant = fix_inputs(self.scenario, self.inputs, probs)
        return self._value(run_batch(variant, self.seed, list(range(self.repeats)),
                                     self.topology))

    def many(self, points: Sequence[Sequence[float]]) -> list[float]:
        """The model at every point, in order."""
        if self.pool is None or self.pool.settings[0] == 1:
            return [self(p) for p in points]
        self.calls += len(points)
        tasks = [(Job(fix_inputs(self.scenario, self.inputs, p), self.seed),
                  list(range(self.repeats))) for p in points]
        got: list[list[Row]] = [[] for _ in points]
        for k, chunk in self.pool.backend().run_tasks(tasks):
            got[k] += chunk.rows()
        return [self._value(sorted(rows, key=lambda r: int(r["trial"]))) for rows in got]

    def _value(self, rows: list[Row]) -> float:
        values = []
        for row in rows:
            if row.get("error"):
                raise DrsimError(f"a sensitivity run failed: {row['error']}")
            x = float(row[self.metric])
            values.append(self.scenario.simulation.horizon if x == math.inf
                          else 0.0 if math.isnan(x) else x)
        return float(np.mean(values))


def global_indices(model: Model, method: str, samples: int, seed: int
                   ) -> tuple[list[InputIndex], int]:
    """SALib indices of every input for the model; (indices sorted most important first,
    number of model evaluations)."""
    k = len(model.inputs)
    problem = {"num_vars": k, "names": [i.name for i in model.inputs],
               "bounds": [list(GLOBAL_RANGE)] * k}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's notes on sample sizes and constant outputs
        if method == "morris":
            from SALib.analyze import morris as morris_analyze
            from SALib.sample import morris as morris_sample

            x = morris_sample.sample(problem, samples, num_levels=4, seed=seed)
            y = np.array(model.many(x))
            res = morris_analyze.analyze(problem, x, y, num_levels=4, seed=seed,
                                         print_to_console=False)
            keys = ("mu_star", "mu_star_conf", "mu", "sigma")
            rank = "mu_star"
        elif method == "sobol":
            from SALib.analyze import sobol as sobol_analyze
            from SALib.sample import sobol as sobol_sample

            x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
            y = np.array(model.many(x))
            res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed,
                                        print_to_console=False)
            keys = ("ST", "ST_conf", "S1", "S1_conf")
            rank = "ST"
        else:
            raise DrsimError(f"unknown method '{method}'; use morris or sobol")
    out = [InputIndex(inp.name, float(np.nan_to_num(res[rank][i], nan=0.0)),
                      {key: float(res[key][i]) for key in keys})
           for i, inp in enumerate(model.inputs)]
    out.sort(key=lambda ix: -ix.rank_by)
    return out, len(x)


def tornado(model: Model) -> tuple[list[TornadoBar], float]:
    """One at a time: each input at its P10 and P90, every other at its median."""
    k = len(model.inputs)
    lo_p, hi_p = TORNADO_RANGE
    points = [[0.5] * k]
    for i in range(k):
        for p in (lo_p, hi_p):
            points.append([p if j == i else 0.5 for j in range(k)])
    median, *ends = model.many(points)
    bars = []
    for i, inp in enumerate(model.inputs):
        bars.append(TornadoBar(inp.name, inp.dist.quantile(lo_p), inp.dist.quantile(hi_p),
                               ends[2 * i], ends[2 * i + 1]))
    bars.sort(key=lambda b: -b.swing)
    return bars, median


def planned_trials(scenario: Scenario, method: str, trials: int, samples: int | None,
                   repeats: int) -> int:
    """Trials sensitivity() will simulate: the critical-path trials, then `repeats` at each
    point SALib samples (Morris: N·(k+1) for k inputs; Sobol, first order: N·(k+2)) and at
    each tornado point (all at median, and each input at its P10 and at its P90: 1 + 2k)."""
    k = len(uncertain_inputs(scenario))
    if not k:
        return trials
    n = samples or (10 if method == "morris" else 64)
    points = n * (k + 1) if method == "morris" else n * (k + 2)
    return trials + (points + 1 + 2 * k) * repeats


def sensitivity(scenario: Scenario, metric: str = "rto_basic", method: str = "morris",
                trials: int = 200, samples: int | None = None, repeats: int = 1,
                seed: int | None = None, workers: int | None = 1) -> Sensitivity:
    """Critical path over `trials` trials; global indices (SALib) with `samples` base samples
    (Morris trajectories, default 10; Sobol N, a power of two, default 64) and a tornado, each
    point the mean of `repeats` trials; the points on `workers` processes (None: all cores),
    started once for the whole analysis."""
    with WorkerPool.shared(workers) as pool:
        return _sensitivity(scenario, metric, method, trials, samples, repeats, seed, pool)


def _sensitivity(scenario: Scenario, metric: str, method: str, trials: int,
                 samples: int | None, repeats: int, seed: int | None,
                 pool: WorkerPool) -> Sensitivity:
    if method not in METHODS:
        raise DrsimError(f"unknown method '{method}'; use morris or sobol")
    root = scenario.simulation.seed if seed is None else seed
    inputs = uncertain_inputs(scenario)
    try:
        model = Model(scenario, inputs, metric, root, repeats, pool)
    except ValueError as e:
        raise DrsimError(f"--metric: {e}") from None
    notes: list[str] = []
    critical = critical_steps(scenario, trials, root)
    if not any(c.runs for c in critical):
        notes.append("No runbook ran to the end in any trial, so there is no critical path.")
    indices: list[InputIndex] = []
    bars: list[TornadoBar] = []
    median = math.nan
    evaluations = 0
    if not inputs:
        notes.append("Every duration in the scenario is fixed: there is no uncertain input to "
                     "rank. Give the uncertain ones a distribution (e.g. lognormal).")
    else:
        n = samples or (10 if method == "morris" else 64)
        if method == "sobol" and n & (n - 1):
            raise DrsimError(f"--samples {n}: Sobol needs a power of two (e.g. 64, 128)")
        indices, evaluations = global_indices(model, method, n, root)
        bars, median = tornado(model)
        evaluations += 1 + 2 * len(inputs)
    return Sensitivity(scenario.name, model.metric, method, root, tuple(inputs),
                       tuple(critical), tuple(indices), tuple(bars), median, evaluations,
                       tuple(notes))
