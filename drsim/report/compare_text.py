"""Terminal tables of a comparison (analysis/compare.py) and of a sweep (analysis/sweep.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from rich.console import Console
from rich.table import Table

from drsim.analysis.compare import Comparison
from drsim.analysis.sweep import Sweep
from drsim.report.trials_text import format_value, label
from drsim.units import format_duration


def _is_probability(row: pd.Series) -> bool:
    return bool(row["kind"] == "probability")


def _value(metric: str, x: float, probability: bool) -> str:
    if probability:
        return "—" if math.isnan(x) else f"{x * 100:.1f}%"
    return format_value(metric, x)


def _half(metric: str, h: float, probability: bool) -> str:
    if probability:
        return f"{h * 100:.1f} pp"
    if metric.partition(".")[0].endswith("_s"):
        return format_duration(h)
    return format_value(metric, h)


def estimate_cell(row: pd.Series) -> str:
    """'2h 45m ± 3m 10s' (a mean) or '71.3% (66.0–76.2%)' (a probability)."""
    m, p = str(row["metric"]), _is_probability(row)
    if row["n"] == 0 or math.isnan(row["estimate"]):
        return "—"
    text = _value(m, row["estimate"], p)
    if p:
        return f"{text} [dim]({row['low'] * 100:.1f}–{row['high'] * 100:.1f}%)[/dim]"
    if not (math.isfinite(row["low"]) and math.isfinite(row["high"])):
        return f"{text} ± ?"
    return f"{text} ± {_half(m, (row['high'] - row['low']) / 2, p)}"


def _signed(metric: str, x: float, probability: bool) -> str:
    if probability:
        return f"{x * 100:+.1f} pp"
    if x == 0:
        return "0"
    sign = "+" if x > 0 else "-"
    return sign + format_value(metric, abs(x))


def diff_cell(row: pd.Series) -> str:
    if row["baseline"]:
        return "[dim]baseline[/dim]"
    m, p = str(row["metric"]), _is_probability(row)
    if row["n_pairs"] < 2 or math.isnan(row["diff"]):
        return "—"
    text = _signed(m, row["diff"], p)
    if row["diff_low"] == row["diff_high"]:
        return f"{text} [dim](exact)[/dim]"
    lo, hi = _signed(m, row["diff_low"], p), _signed(m, row["diff_high"], p)
    return f"{text} [dim]({lo} … {hi})[/dim]"


def _best_cell(row: pd.Series) -> str:
    if row["n_best"] == 0:
        return "—"
    return (f"{row['p_best'] * 100:.0f}% [dim]({row['p_best_low'] * 100:.0f}–"
            f"{row['p_best_high'] * 100:.0f}%)[/dim]")


def _vr_cell(row: pd.Series) -> str:
    vr = float(row["variance_reduction"])
    if row["baseline"] or math.isnan(vr):
        return "" if row["baseline"] else "—"
    return "∞ (exact)" if vr == math.inf else f"{vr:.2f}×"


def _sig_cell(row: pd.Series) -> str:
    if row["baseline"]:
        return ""
    if not row["significant"]:
        return "no"
    good = (row["diff"] < 0) == (row["better"] == "lower")
    return "[green]yes, better[/green]" if good else "[red]yes, worse[/red]"


def render_comparison(c: Comparison, console: Console,
                      metrics: Sequence[str] | None = None) -> None:
    pct = f"{c.level * 100:g}%"
    console.print(f"[bold]Comparison[/bold]  {c.trials:,} paired trials (seed {c.seed}), "
                  f"baseline [bold]{c.baseline}[/bold]")
    for name, sc in zip(c.names, c.scenarios, strict=True):
        console.print(f"  {name}: {sc.name}", markup=False, highlight=False)
    table = Table(title=f"Estimates with {pct} CI; paired difference against the baseline")
    for col, just in (("metric", "left"), ("variant", "left"), (f"estimate ({pct} CI)", "right"),
                      (f"Δ vs baseline ({pct} CI)", "right"), ("significant", "left"),
                      ("P(best)", "right"), ("pairing gain", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    f = c.frame if not metrics else c.frame[c.frame.metric.isin(metrics)]
    for metric, group in f.groupby("metric", sort=False):
        first = True
        for _, row in group.iterrows():
            name = label(str(metric)) if first else ""
            if first and row["kind"] == "probability":
                name = f"P({name})"
            table.add_row(name, str(row["variant"]), estimate_cell(row), diff_cell(row),
                          _sig_cell(row), _best_cell(row), _vr_cell(row))
            first = False
        table.add_section()
    console.print(table)
    shown = set(f.metric)
    notes = [n for n in c.notes if n.split(":")[0].split(",")[0] in shown
             or n.split(":")[0].split(",")[0] not in set(c.frame.metric)]
    console.print(f"[dim]P(best): share of trials in which the variant is best (lowest; highest "
                  f"for P(...)), ties split, Wilson {pct} CI. Pairing gain: the width of an "
                  "independent-runs interval for the difference ÷ the paired interval's width "
                  "(its square: how many times more independent trials the same precision "
                  "would take).[/dim]")
    _notes(notes, console)


def render_sweep(s: Sweep, console: Console, metrics: Sequence[str] | None = None) -> None:
    pct = f"{s.comparison.level * 100:g}%"
    console.print(f"[bold]Sweep[/bold]  {len(s.cells)} cells × {s.trials:,} paired trials "
                  f"(seed {s.seed})")
    default = ["rto_basic_s", "rto_full_s", "customer_minutes_lost", "unavailability"]
    have = list(dict.fromkeys(s.frame.metric))
    chosen = [m for m in (metrics or default) if m in have]
    table = Table(title=f"Mean ± {pct} CI per cell (P(...) with its CI for yes/no metrics)")
    for p in s.parameters:
        table.add_column(p)
    for m in chosen:
        name = label(m)
        if s.frame.loc[s.frame.metric == m, "kind"].iloc[0] == "probability":
            name = f"P({name})"
        table.add_column(name, justify="right")
    rows = {m: s.frame[s.frame.metric == m].reset_index(drop=True) for m in chosen}
    for i, cell in enumerate(s.cells):
        table.add_row(*cell, *(estimate_cell(rows[m].iloc[i]) for m in chosen))
    console.print(table)
    _notes(s.notes, console)


def _notes(notes: Sequence[str], console: Console) -> None:
    if notes:
        console.print("[bold]Notes[/bold]")
        for n in notes:
            console.print(f"• {n}", highlight=False, markup=False)
