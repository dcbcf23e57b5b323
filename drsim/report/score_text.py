"""`drsim score` in words: a table per drill (each figure on its simulated distribution), a
line per drill when there are several, the PIT calibration check, and the JSON form."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from drsim.calibrate.score import BINS, Calibration, Score
from drsim.units import format_duration

PHASES = {"ttd_s": "time to detect", "tta_s": "time to acknowledge",
          "declared_after_s": "time to declare", "rto_basic_s": "basic service, all groups",
          "rto_full_s": "full recovery"}


@dataclass(frozen=True)
class DrillScore:
    """One drill's figures placed on the simulated distributions."""

    drill: str
    scores: tuple[Score, ...]

    @property
    def outside(self) -> list[Score]:
        return [s for s in self.scores if s.outside]


def label(key: str) -> str:
    """A figure's name for people: 'time to detect', 'basic service: smb-central',
    'data lost: voice', 'step failover.open-bridge'."""
    if key in PHASES:
        return PHASES[key]
    kind, _, subject = key.partition(".")
    return {"rto_basic_s": f"basic service: {subject}", "data_lost_s": f"data lost: {subject}",
            "step_s": f"step {subject}"}.get(kind, key)


def seconds(value: float) -> str:
    return "never (horizon)" if value == math.inf else format_duration(value)


def percent(x: float) -> str:
    return f"{x * 100:.1f}%"


def short_duration(value: float) -> str:
    """A table cell: '2d04h', '3h04m', '20m13s', '45s' (to the minute from an hour up);
    'never' for a recovery not reached within the horizon."""
    if value == math.inf:
        return "never"
    s = int(round(value))
    if s >= 86400:
        return f"{s // 86400}d{(s % 86400 + 1800) // 3600:02d}h"
    if s >= 3600:
        m = (s + 30) // 60
        return f"{m // 60}h{m % 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def render_drill(result: DrillScore, trials: int, console: Console) -> None:
    """One row per figure: observed, the simulated P5 / median / P95, the percentile with its
    95% interval, P(as bad or worse) and the flag."""
    table = Table(title=f"Drill {result.drill} against {trials} simulated trials "
                        "(larger is worse for every figure)", title_justify="left")
    table.add_column("figure", no_wrap=True)
    for name in ("observed", "P5", "median", "P95"):
        table.add_column(name, justify="right")
    table.add_column("percentile (95% CI)", justify="right", no_wrap=True)
    table.add_column("P(as bad or worse)", justify="right")
    table.add_column("flag", no_wrap=True)
    for s in result.scores:
        bound = "≥ " if s.observed.at_least else ""
        pct = f"{bound}{percent(s.percentile)} ({s.ci[0] * 100:.1f}–{s.ci[1] * 100:.1f})"
        worse = f"≤ {percent(s.p_worse)}" if s.observed.at_least else percent(s.p_worse)
        table.add_row(label(s.key).removeprefix("step "),
                      bound + short_duration(s.observed.value_s), short_duration(s.p5_s),
                      short_duration(s.median_s), short_duration(s.p95_s), pct, worse,
                      f"[bold red]{s.flag}[/]" if s.flag else "")
    console.print(table)
    console.print("Phases are measured from the fault's start; steps (runbook.step) are "
                  "durations.", markup=False)
    _notes(result, trials, console)


def _notes(result: DrillScore, trials: int, console: Console) -> None:
    short = sorted({s.n for s in result.scores if s.n < trials})
    if short:
        console.print(f"Some figures happened in fewer trials than {trials} (n = "
                      f"{', '.join(map(str, short))}): their percentiles are of those trials.",
                      markup=False)


def render_drills(results: Sequence[DrillScore], console: Console) -> None:
    """Several drills: one line each, the figures outside the band named; drills whose
    records gave no figure are counted, not listed."""
    table = Table(title="Drills against the model", title_justify="left")
    for name in ("drill", "figures scored", "outside P5–P95"):
        table.add_column(name)
    for r in results:
        if r.scores:
            out = ", ".join(f"{label(s.key)} ({s.flag}, {percent(s.percentile)})"
                            for s in r.outside)
            table.add_row(r.drill, str(len(r.scores)), out or "none")
    console.print(table)
    empty = [r.drill for r in results if not r.scores]
    if empty:
        console.print(f"{len(empty)} record{'s' if len(empty) != 1 else ''} gave no figure to "
                      f"score ({', '.join(empty[:3])}{', ...' if len(empty) > 3 else ''}): a "
                      "page without the fault's start, a status-page incident without a page.",
                      markup=False)


def render_calibration(check: Calibration, by_figure: dict[str, Calibration], drills: int,
                       console: Console) -> None:
    """The PIT histogram as a row of counts, the KS test's verdict, and one row per figure
    seen in enough drills."""
    console.print(f"\nCalibration over {drills} drills: {check.n} observed figures, "
                  "each at its percentile (PIT) on the model's distribution", markup=False)
    if check.n < 2:
        console.print("Too few figures for a test: score more drills.", markup=False)
        return
    table = Table(title_justify="left", show_header=True)
    for i in range(BINS):
        table.add_column(f"{i * 100 // BINS}–{(i + 1) * 100 // BINS}%", justify="right")
    table.add_row(*map(str, check.histogram))
    console.print(table)
    expected = check.n / BINS
    console.print(f"A calibrated model puts about {expected:.1f} in each bin. Mean PIT "
                  f"{check.mean:.2f} (0.50 expected); KS test against uniform: D = "
                  f"{check.statistic:.3f}, p = {check.p_value:.3g}: {check.verdict}.",
                  markup=False)
    if by_figure:
        per = Table(title="Per figure (drills are independent: the sharper test)",
                    title_justify="left")
        for name, justify in (("figure", "left"), ("drills", "right"), ("mean PIT", "right"),
                              ("KS p", "right"), ("verdict", "left")):
            per.add_column(name, justify=justify)  # type: ignore[arg-type]
        for key, c in by_figure.items():
            per.add_row(label(key), str(c.n), f"{c.mean:.2f}", f"{c.p_value:.3g}", c.short)
        console.print(per)


def _number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def score_dict(s: Score) -> dict[str, Any]:
    """A figure's score as JSON values (an infinite time, never reached within the horizon,
    is null with `never`)."""
    return {"figure": s.key, "label": label(s.key), "observed_s": s.observed.value_s,
            "at_least": s.observed.at_least, "source": s.observed.source, "n": s.n,
            "p5_s": _number(s.p5_s), "median_s": _number(s.median_s),
            "p95_s": _number(s.p95_s), "never": [q for q, v in (
                ("p5_s", s.p5_s), ("median_s", s.median_s), ("p95_s", s.p95_s))
                if v == math.inf],
            "percentile": s.percentile, "percentile_ci": list(s.ci),
            "p_worse": s.p_worse, "flag": s.flag or None}


def calibration_dict(check: Calibration) -> dict[str, Any]:
    """The test's numbers and verdict; the PIT values themselves under `pit`."""
    return {"n": check.n, "pit": list(check.values), "histogram": list(check.histogram),
            "mean": _number(check.mean), "ks_statistic": _number(check.statistic),
            "p_value": _number(check.p_value),
            "verdict": check.verdict if check.n >= 2 else None}
