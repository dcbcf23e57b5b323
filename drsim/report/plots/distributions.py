"""Distributions of a trial metric over many trials: histogram and empirical CDF."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drsim.report.plots.common import new_axes, unique_gids
from drsim.stats import completed, resolve_metric
from drsim.units import format_duration

# ---- distributions of trial metrics ---------------------------------------------------------

METRIC_LABELS = {
    "rto_basic_s": "Time to basic service (RTO basic, worst group)",
    "rto_full_s": "Time to full recovery (RTO full, worst group)",
    "downtime_s": "Downtime without basic service (worst group)",
    "ttd_s": "Time to detect",
    "tta_s": "Time to acknowledge",
    "declared_after_s": "Time to declare",
    "first_incident_s": "First incident start",
    "customer_minutes_lost": "Customer-minutes lost",
    "unavailability": "Unavailability (customer-weighted)",
    "incidents": "Incidents",
}


def metric_label(name: str) -> str:
    """A readable name for a trial column ('data_lost_s.voice' → 'Data lost (RPO), voice')."""
    base, _, part = name.partition(".")
    if base == "data_lost_s":
        return f"Data lost (RPO), {part}"
    label = METRIC_LABELS.get(base, base)
    return f"{label.split(' (')[0].replace(', worst group', '')}, {part}" if part else label


def is_duration(name: str) -> bool:
    return name.partition(".")[0].endswith("_s")


def duration_unit(values: np.ndarray, objective: float | None = None) -> tuple[str, float]:
    """('hours', 3600) when the largest finite value (or the objective) is 2 h or more,
    else ('minutes', 60)."""
    finite = values[np.isfinite(values)]
    top = max([float(finite.max()) if len(finite) else 0.0,
               objective if objective is not None else 0.0])
    return ("hours", 3600.0) if top >= 7200.0 else ("minutes", 60.0)


def met_fraction(values: np.ndarray, objective: float) -> tuple[int, int]:
    """(trials at or under the objective, trials where the metric applies): NaN (not
    applicable) is left out, +inf (never reached) counts as missed."""
    x = values[~np.isnan(values)]
    return int((x <= objective).sum()), len(x)


def spans_decades(values: np.ndarray) -> bool:
    """More than a decade between the smallest and the largest positive value: a heavy tail
    that a linear axis would squash into one bar."""
    positive = values[values > 0]
    return len(positive) >= 2 and float(positive.max()) > 10.0 * float(positive.min())


def dkw_half_width(n: int, level: float = 0.95) -> float:
    """Half-width ε of the Dvoretzky–Kiefer–Wolfowitz band: with probability at least
    `level` the true CDF lies within ±ε of the empirical one everywhere, ε = √(ln(2/α)/2n)."""
    return math.sqrt(math.log(2.0 / (1.0 - level)) / (2.0 * n))


def plot_distribution(frame: pd.DataFrame, metric: str, kind: str = "hist",
                      objective: float | None = None, label: str | None = None,
                      ax: Axes | None = None, bins: int = 30,
                      objective_name: str | None = None, level: float = 0.95) -> Figure:
    """Histogram or empirical CDF of a trial metric over the completed trials, durations in
    hours or minutes (the axis label says which); `objective` (in the metric's own units,
    seconds for durations) is drawn as a vertical line with P(met) in the legend, named
    `objective_name` (the scenario's objective) when given. Censored values (+inf: never
    reached within the horizon) are counted in the title; the CDF is over all trials where
    the metric applies, so it stops short of 1 by their share, and carries its `level` DKW
    confidence band. Values spanning more than a decade go on a log axis (zeros, which it
    cannot show, are counted in the title; the CDF starts at their share)."""
    if kind not in ("hist", "cdf"):
        raise ValueError(f"kind '{kind}': use 'hist' or 'cdf'")
    name = resolve_metric(frame, metric)
    values = pd.to_numeric(completed(frame)[name], errors="coerce").to_numpy(dtype=float)
    fig, ax = new_axes(ax, (8, 4.5))
    applies = values[~np.isnan(values)]
    finite = applies[np.isfinite(applies)]
    censored = int((applies == np.inf).sum())
    unit, scale = duration_unit(values, objective) if is_duration(name) else ("", 1.0)
    shown = finite / scale
    text = label or metric_label(name)
    log = spans_decades(shown)
    zeros = int((shown <= 0).sum()) if log else 0
    drawn = shown[shown > 0] if log else shown
    axis = ", ".join(part for part in (unit, "log scale" if log else "") if part)
    ax.set_xlabel(f"{text} ({axis})" if axis else text)
    if log:
        ax.set_xscale("log")
    if kind == "hist":
        if len(drawn):
            edges: Any = np.geomspace(drawn.min(), drawn.max(), bins + 1) if log else bins
            ax.hist(drawn, bins=edges, color="#4c78a8", edgecolor="white", gid="bars")
        ax.set_ylabel("Trials")
    else:
        if len(drawn):
            xs = np.sort(drawn)
            ys = (zeros + np.arange(0, len(xs) + 1)) / len(applies)
            x_steps = np.r_[xs[0], xs]
            eps = dkw_half_width(len(applies), level)
            ax.fill_between(x_steps, np.clip(ys - eps, 0, 1), np.clip(ys + eps, 0, 1),
                            step="post", color="#4c78a8", alpha=0.18, lw=0, gid="cdf-band",
                            label=f"{level:.0%} confidence band (DKW, ±{eps:.3f})")
            ax.step(x_steps, ys, where="post", color="#4c78a8", lw=1.8, gid="cdf",
                    label="empirical CDF")
        ax.set_ylabel("Fraction of trials at or below")
        ax.set_ylim(0, 1.02)
    if objective is not None:
        met, n = met_fraction(values, objective)
        p = f"{met / n:.1%}" if n else "n/a"
        target = format_duration(objective) if unit else f"{objective:g}"
        named = f"objective '{objective_name}'" if objective_name else "objective"
        ax.axvline(objective / scale, color="#d63b3b", ls="--", lw=1.5, gid="objective",
                   label=f"{named} {target}: P(met) = {p} ({met} of {n} trials)")
    title = f"{text}: {len(applies)} trials"
    if censored:
        title += (f"; {censored} ({censored / len(applies):.1%}) never reached within the "
                  "horizon" + (", not shown" if kind == "hist" else ", CDF ends below 1"))
    if zeros:
        title += f"; {zeros} at 0, left of the log axis"
    not_applicable = len(values) - len(applies)
    if not_applicable:
        title += f"; not applicable in {not_applicable}"
    ax.set_title(title, fontsize=10)
    if not len(shown):
        ax.text(0.5, 0.5, "no finite values to show", transform=ax.transAxes, ha="center",
                va="center", gid="note")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right" if kind == "cdf" else "upper right")
    unique_gids(ax)
    return fig

