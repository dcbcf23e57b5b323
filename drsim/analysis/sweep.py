"""Parameter sweeps: a grid of scenario values, every cell run on the same paired trials.

`--set staff.network_engineer.count=1,2,3 --set links.nyc-chi.bandwidth=1Gbps,10Gbps` makes
the 3 × 2 cartesian product. Each cell is the base scenario with those values set
(scenario/variants.set_value: dotted path, values read like YAML values, so units work), and
every cell runs trials 0..n-1 with the same root seed, so cells differ only by what was set
(common random numbers). The statistics are compare()'s, with the first cell as the baseline:
each row of the frame is one cell × metric with its estimate and CI, and the paired
difference against the first cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from drsim.analysis.compare import Comparison, compare
from drsim.errors import DrsimError, ScenarioError
from drsim.scenario.loader import RawDoc
from drsim.scenario.schema import Scenario
from drsim.scenario.validate import validate
from drsim.scenario.variants import load_resolved, parse_value, patch_for, set_value

MAX_CELLS = 1000


@dataclass
class Sweep:
    """parameters: the dotted paths; cells: one tuple of values (as written) per cell, in grid
    order (the last parameter varies fastest); frame: one row per cell × metric."""

    parameters: list[str]
    cells: list[tuple[str, ...]]
    comparison: Comparison
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def seed(self) -> int:
        return self.comparison.seed

    def __repr__(self) -> str:
        from drsim.report.notebook import sweep_repr

        return sweep_repr(self)

    def _repr_html_(self) -> str:
        from drsim.report.notebook import sweep_html

        return sweep_html(self)

    @property
    def trials(self) -> int:
        return self.comparison.trials

    def table(self, metric: str, column: str = "estimate") -> pd.Series:
        """One metric's `column` per cell, parameters as the index."""
        f = self.frame[self.frame.metric == metric]
        return f.set_index(self.parameters)[column]


def split_values(text: str) -> list[str]:
    """'1,2,3' → ['1', '2', '3']; commas inside brackets, braces or quotes do not split, so a
    value may be a distribution: '{uniform: {low: 5m, high: 10m}},15m'."""
    out, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return out


def parse_set(text: str) -> tuple[str, list[str]]:
    """'staff.network_engineer.count=1,2,3' → ('staff.network_engineer.count', ['1','2','3'])."""
    path, sep, values = text.partition("=")
    items = split_values(values) if sep else []
    if not sep or not path.strip() or not items or any(not v for v in items):
        raise DrsimError(f"--set {text}: write PATH=V1,V2,..., e.g. "
                         "--set staff.network_engineer.count=1,2,3")
    return path.strip(), items


def cell_scenarios(base: RawDoc, settings: Sequence[tuple[str, Sequence[str]]]
                   ) -> tuple[list[tuple[str, ...]], list[Scenario]]:
    """Every cell's values and validated scenario; every path and value is checked (and every
    problem reported) before anything runs."""
    if not settings:
        raise DrsimError("a sweep needs at least one --set PATH=V1,V2,...")
    paths = [p for p, _ in settings]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        raise DrsimError(f"--set {dup[0]} is given twice; give all its values in one --set")
    problems = []
    for path, values in settings:
        for v in values:
            try:
                patch_for(base, path, parse_value(v))
            except DrsimError as e:
                problems.append(f"--set {path}={v}: {e}")
                break
    if problems:
        raise DrsimError("\n".join(problems))
    cells = list(itertools.product(*(list(v) for _, v in settings)))
    if len(cells) > MAX_CELLS:
        raise DrsimError(f"the grid has {len(cells)} cells, more than {MAX_CELLS}; sweep "
                         "fewer values")
    scenarios, bad = [], []
    for cell in cells:
        raw = base
        for path, value in zip(paths, cell, strict=True):
            raw = set_value(raw, path, value)
        try:
            scenarios.append(validate(raw))
        except ScenarioError as e:
            what = ", ".join(f"{p}={v}" for p, v in zip(paths, cell, strict=True))
            bad += [f"cell {what}: {i.path}: {i.message}" for i in e.issues]
    if bad:
        raise DrsimError("\n".join(dict.fromkeys(bad)))
    return cells, scenarios


def sweep(base: str | Path | RawDoc, settings: Sequence[tuple[str, Sequence[str]]]
          | dict[str, Sequence[str]], trials: int = 200, seed: int | None = None,
          workers: int | None = None, backend: str = "local", scheduler: str | None = None,
          metrics: Sequence[str] | None = None, level: float = 0.95) -> Sweep:
    """Run the grid of `settings` ([(path, [values...]), ...] or {path: [values]}) on the
    base scenario (a file, possibly a variant, or a parsed document), paired across cells."""
    raw = base if isinstance(base, RawDoc) else load_resolved(base)
    items = list(settings.items()) if isinstance(settings, dict) else list(settings)
    items = [(p, [str(v) for v in vs]) for p, vs in items]
    cells, scenarios = cell_scenarios(raw, items)
    if seed is None:
        seed = validate(raw).simulation.seed
    names = [", ".join(f"{p}={v}" for (p, _), v in zip(items, cell, strict=True))
             for cell in cells]
    comparison = compare(scenarios, names, trials, seed, workers, backend, scheduler, metrics,
                         level)  # every cell on one pool of workers
    params = [p for p, _ in items]
    by_name = dict(zip(names, cells, strict=True))
    frame = comparison.frame.copy()
    for k, p in enumerate(params):
        frame.insert(k, p, [by_name[n][k] for n in frame.variant])
    frame = frame.rename(columns={"variant": "cell", "baseline": "first_cell"})
    return Sweep(params, cells, comparison, frame, list(comparison.notes))
