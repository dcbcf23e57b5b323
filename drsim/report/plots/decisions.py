"""Figures that help decide: paired comparison, sweep, cost/downtime Pareto, tornado."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drsim.report.plots.common import STEP_COLOURS, legend, new_axes, unique_gids
from drsim.report.plots.distributions import duration_unit, is_duration, metric_label
from drsim.stats import resolve_metric
from drsim.units import format_duration

# ---- decisions: comparison, sweep, investment, tornado ---------------------------------------

_BETTER, _WORSE, _NEUTRAL = "#2e9d4a", "#d63b3b", "#4c78a8"


def _frame_metric(frame: pd.DataFrame, metric: str) -> str:
    """The metric's name as the result frame has it ('rto_basic' finds 'rto_basic_s');
    ValueError with the known names otherwise."""
    return resolve_metric(pd.DataFrame(columns=list(dict.fromkeys(frame["metric"]))), metric)


_KIND = {"rto": "RTO", "rpo": "RPO"}


def decision_label(name: str) -> str:
    """metric_label, plus P(...) for the yes/no columns of a comparison."""
    base, _, part = name.partition(".")
    if base == "met":  # met.<objective id>.<kind>: the objective as the scenario names it
        objective, _, kind = part.rpartition(".")
        return f"P({objective} met: {_KIND.get(kind, kind)} target)"
    if base in ("all_restored", "all_recovered"):
        return f"P({base.replace('_', ' ')})"
    return metric_label(name)


def _unit(name: str, values: Any) -> tuple[str, float]:
    """(unit, divisor) to show a metric's values: hours or minutes for durations (by the
    largest magnitude), none otherwise."""
    if not is_duration(name):
        return "", 1.0
    return duration_unit(np.abs(np.asarray(values, dtype=float)).ravel())


def _with_unit(text: str, unit: str) -> str:
    return f"{text} ({unit})" if unit else text


def _errors(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error-bar lengths below and above each value; NaN (no bar) where an end is not finite."""
    below = np.where(np.isfinite(low), value - low, np.nan)
    above = np.where(np.isfinite(high), high - value, np.nan)
    return np.vstack([np.maximum(below, 0.0), np.maximum(above, 0.0)])


def _gid_errorbar(container: Any, gid: str) -> None:
    """The data line gets `gid`, the interval's line collection 'ci:' + the same name."""
    line, _, bars = container.lines
    line.set_gid(gid)
    for b in bars:
        b.set_gid("ci:" + gid.partition(":")[2])


def plot_comparison(comparison: Any, metric: str, ax: Axes | None = None) -> Figure:
    """Paired differences of `metric` against the baseline (Comparison.frame): one point with
    its confidence interval per variant other than the baseline (gid 'diff:<variant>'), the
    baseline itself as the zero line (gid 'zero'). Green: significantly better, red:
    significantly worse (by the metric's 'better' direction), blue: not significant."""
    name = _frame_metric(comparison.frame, metric)
    rows = comparison.frame[comparison.frame["metric"] == name]
    others = rows[~rows["baseline"].astype(bool)]
    fig, ax = new_axes(ax, (8, 1.8 + 0.5 * max(len(others), 1)))
    d = others[["diff", "diff_low", "diff_high"]].to_numpy(dtype=float)
    unit, scale = _unit(name, d[np.isfinite(d)])
    for y, (_, r) in enumerate(others.iterrows()):
        value = float(r["diff"])
        if bool(r["significant"]):
            good = (value < 0) == (r["better"] == "lower")
            colour, label = (_BETTER, "significantly better") if good else \
                (_WORSE, "significantly worse")
        else:
            colour, label = _NEUTRAL, "not significant"
        err = _errors(np.array([value]), np.array([float(r["diff_low"])]),
                      np.array([float(r["diff_high"])])) / scale
        eb = ax.errorbar([value / scale], [y], xerr=err, fmt="o", color=colour, capsize=4,
                         ms=6, label=label)
        _gid_errorbar(eb, f"diff:{r['variant']}")
        if not math.isfinite(value):
            ax.text(0.5, y, "no paired values (not applicable, or never reached)",
                    transform=ax.get_yaxis_transform(), ha="center", va="center",
                    fontsize=8, color="#777777", gid=f"na:{r['variant']}")
    ax.axvline(0.0, color="#333333", lw=1.2, ls="--", gid="zero",
               label=f"baseline ({comparison.baseline})")
    ax.set_yticks(range(len(others)), [str(v) for v in others["variant"]])
    ax.set_ylim(max(len(others), 1) - 0.5, -0.5)
    text = decision_label(name)
    ax.set_xlabel(_with_unit(f"{text}: variant − {comparison.baseline}", unit))
    ax.set_ylabel("Variant")
    level = getattr(comparison, "level", 0.95)
    ax.set_title(f"Paired differences against {comparison.baseline} "
                 f"({comparison.trials} paired trials, {level:.0%} CI)", fontsize=10)
    if others.empty:
        ax.text(0.5, 0.5, "only the baseline: nothing to compare", transform=ax.transAxes,
                ha="center", va="center", gid="note")
    legend(ax, loc="best", bbox_to_anchor=None)
    unique_gids(ax)
    return fig


def _axis_values(values: list[str]) -> tuple[list[float], bool]:
    """Numbers when every value reads as one (x spaced by value), else positions 0..n-1 with
    the values as written as tick labels (e.g. '1Gbps', '10Gbps')."""
    try:
        return [float(v) for v in values], True
    except ValueError:
        return [float(i) for i in range(len(values))], False


def plot_sweep(sweep: Any, metric: str, ax: Axes | None = None) -> Figure:
    """`metric` (estimate and confidence interval per cell, Sweep.frame) against the first
    swept parameter, one line per value of the other parameters (gid 'line:<their values>',
    one point per cell); values that are all numbers are spaced by value, others evenly in the
    order given."""
    name = _frame_metric(sweep.frame, metric)
    rows = sweep.frame[sweep.frame["metric"] == name]
    first, rest = sweep.parameters[0], list(sweep.parameters[1:])
    xs_text = list(dict.fromkeys(str(v) for v in rows[first]))
    xs, numeric = _axis_values(xs_text)
    where = dict(zip(xs_text, xs, strict=True))
    fig, ax = new_axes(ax, (8, 4.5))
    est = rows[["estimate", "low", "high"]].to_numpy(dtype=float)
    unit, scale = _unit(name, est[np.isfinite(est)])
    groups = list(dict.fromkeys(tuple(str(r[p]) for p in rest) for _, r in rows.iterrows()))
    for j, key in enumerate(groups):
        sub = rows[[tuple(str(r[p]) for p in rest) == key for _, r in rows.iterrows()]]
        shift = 0.0 if numeric else (j - (len(groups) - 1) / 2) * min(0.25 / len(groups), 0.08)
        x = np.array([where[str(v)] for v in sub[first]]) + shift
        v = sub["estimate"].to_numpy(dtype=float)
        err = _errors(v, sub["low"].to_numpy(dtype=float), sub["high"].to_numpy(dtype=float))
        label = (key[0] if len(rest) == 1 else
                 ", ".join(f"{p}={k}" for p, k in zip(rest, key, strict=True)) or name)
        eb = ax.errorbar(x, v / scale, yerr=err / scale, fmt="-o", capsize=4, ms=5,
                         color=STEP_COLOURS[j % len(STEP_COLOURS)], label=label)
        _gid_errorbar(eb, f"line:{label}")
    if not numeric or len(xs) <= 12:
        ax.set_xticks(xs, xs_text)
    ax.set_xlabel(first)
    text = decision_label(name)
    ax.set_ylabel(_with_unit(text, unit))
    level = getattr(sweep.comparison, "level", 0.95)
    ax.set_title(f"{text}\nby {first} ({sweep.trials} paired trials per cell, {level:.0%} CI)",
                 fontsize=10)
    if rest:
        ax.legend(fontsize=8, title=", ".join(rest), title_fontsize=8, loc="best")
    unique_gids(ax)
    return fig


def plot_pareto(investment: Any, ax: Axes | None = None) -> Figure:
    """Total cost of ownership over the years against expected downtime per year (worst group;
    error bar: its confidence interval), every option a labelled point (gid 'option:<label>'),
    filled when on the Pareto frontier; the frontier (Option.pareto, cheapest first) as a step
    line (gid 'frontier'): for any budget, the least downtime it can buy."""
    from drsim.report.invest_text import money

    options = list(investment.options)
    fig, ax = new_axes(ax, (8, 5))
    shown = [o.annual_downtime_s.value for o in options] + [o.annual_downtime_s.high
                                                            for o in options]
    unit, scale = duration_unit(np.asarray(shown, dtype=float))
    for o in options:
        e = o.annual_downtime_s
        err = _errors(np.array([e.value]), np.array([e.low]), np.array([e.high])) / scale
        on = bool(o.pareto)
        eb = ax.errorbar([o.tco], [e.value / scale], yerr=err, fmt="o", ms=8, capsize=4,
                         color=_NEUTRAL if on else "#999999",
                         mfc=_NEUTRAL if on else "white",
                         label="on the Pareto frontier" if on else "dominated")
        _gid_errorbar(eb, f"option:{o.label}")
        ax.annotate(o.label, (o.tco, e.value / scale), xytext=(6, 6),
                    textcoords="offset points", fontsize=8, gid=f"label:{o.label}")
    front = sorted((o for o in options if o.pareto),
                   key=lambda o: (o.tco, o.annual_downtime_s.value))
    if front:
        ax.step([o.tco for o in front], [o.annual_downtime_s.value / scale for o in front],
                where="post", color=_NEUTRAL, lw=1.5, alpha=0.7, gid="frontier",
                label="Pareto frontier")
    ax.xaxis.set_major_formatter(lambda x, _: money(x))
    ax.set_xlabel(f"Total cost of ownership over {investment.years:g} years "
                  f"({investment.currency})")
    ax.set_ylabel(f"Expected downtime per year, worst group ({unit})")
    ax.margins(x=0.12, y=0.08)
    ax.set_title(f"Cost against expected downtime: {len(options)} options, "
                 f"{len(front)} on the frontier", fontsize=10)
    legend(ax, loc="best", bbox_to_anchor=None)
    unique_gids(ax)
    return fig


def plot_tornado(tornado_result: Any, ax: Axes | None = None,
                 top: int | None = None) -> Figure:
    """One-at-a-time tornado: per uncertain input, a bar from the metric with every input at
    its median (the baseline line, gid 'baseline') to the metric with that input at its P10
    (gid 'low:<input>') and one to it at its P90 ('high:<input>'); inputs sorted by swing,
    largest on top; `top` keeps the largest few. Takes a Sensitivity, or the
    (bars, median value) pair of analysis.sensitivity.tornado()."""
    from drsim.analysis.sensitivity import TORNADO_RANGE

    if hasattr(tornado_result, "tornado"):
        bars, median = tornado_result.tornado, tornado_result.median_value
        name = tornado_result.metric
    else:
        (bars, median), name = tornado_result, "metric"
    bars = sorted(bars, key=lambda b: -b.swing)[:top]
    fig, ax = new_axes(ax, (9, 1.6 + 0.4 * max(len(bars), 1)))
    values = [median] + [b.metric_low for b in bars] + [b.metric_high for b in bars]
    unit, scale = _unit(name, [v for v in values if math.isfinite(v)])
    lo_p, hi_p = (f"P{round(p * 100)}" for p in TORNADO_RANGE)
    for y, b in enumerate(bars):
        ax.barh(y, (b.metric_low - median) / scale, left=median / scale, height=0.6,
                color="#4c78a8", gid=f"low:{b.name}", label=f"input at its {lo_p}")
        ax.barh(y, (b.metric_high - median) / scale, left=median / scale, height=0.6,
                color="#f58518", gid=f"high:{b.name}", label=f"input at its {hi_p}")
    if math.isfinite(median):
        shown = format_duration(median) if unit else f"{median:,.4g}"
        ax.axvline(median / scale, color="#333333", lw=1.2, gid="baseline",
                   label=f"every input at its median: {shown}")
    ax.set_yticks(range(len(bars)), [b.name for b in bars])
    ax.set_ylim(max(len(bars), 1) - 0.5, -0.5)
    ax.use_sticky_edges = False  # bars start at the median: leave room to see its line
    ax.margins(x=0.05)
    ax.set_xlabel(_with_unit(decision_label(name), unit))
    ax.set_ylabel("Uncertain input")
    ax.set_title(f"Tornado: each input at its {lo_p} / {hi_p}, the others at their median",
                 fontsize=10)
    if not bars:
        ax.text(0.5, 0.5, "no uncertain input: nothing to rank", transform=ax.transAxes,
                ha="center", va="center", gid="note")
    legend(ax, loc="best", bbox_to_anchor=None)
    unique_gids(ax)
    return fig
