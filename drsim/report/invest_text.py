"""Terminal tables for investment (cost–benefit) and sensitivity results."""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drsim.analysis.invest import Investment
from drsim.analysis.sensitivity import Sensitivity
from drsim.report.trials_text import format_value
from drsim.stats import Estimate
from drsim.units import format_duration


def money(x: float, currency: str = "") -> str:
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    sign = "-" if x < 0 else ""
    x = abs(x)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= size:
            text = f"{x / size:,.2f}{suffix}"
            break
    else:
        text = f"{x:,.0f}"
    return f"{sign}{text}" + (f" {currency}" if currency else "")


def _ci(e: Estimate | None, fmt: Callable[[float], str] = money) -> str:
    if e is None:
        return "—"
    return f"{fmt(e.value)} [{fmt(e.low)}, {fmt(e.high)}]"


def _years(x: float) -> str:
    if math.isnan(x):
        return "—"
    return "never" if math.isinf(x) else f"{x:.1f} y"


def _pct(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x * 100:,.0f}%"


def render_investment(inv: Investment, console: Console) -> None:
    cur = inv.currency
    pct = f"{inv.level * 100:g}%"
    console.print(f"[bold]Investment over {inv.years:g} years[/bold] (amounts in {cur}; "
                  f"\\[brackets]: {pct} CI; seed {inv.seed}, paired trials)")
    own = Table(title="Cost of ownership and expected annual loss", title_justify="left")
    for col in ("option", "trials", "capital", "operating / y", f"TCO {inv.years:g} y",
                "expected annual loss", "of which downtime", "of which data loss",
                "downtime / y", "frontier"):
        own.add_column(col, justify="left" if col == "option" else "right")
    for o in inv.options:
        own.add_row(escape(o.label), f"{o.trials:,}", money(o.capital), money(o.operating),
                    money(o.tco),
                    _ci(o.annual_loss), money(o.annual_downtime_cost.value),
                    money(o.annual_data_loss_cost.value),
                    format_duration(o.annual_downtime_s.value), "yes" if o.pareto else "")
    console.print(own)
    vs = Table(title=f"Against the baseline ({inv.baseline.label})", title_justify="left")
    for col in ("option", "investment", "avoided loss / y", f"net benefit {inv.years:g} y",
                "ROI", "payback"):
        vs.add_column(col, justify="left" if col == "option" else "right")
    for o in inv.options[1:]:
        vs.add_row(escape(o.label), money(o.investment), _ci(o.avoided_loss), _ci(o.net_benefit),
                   _ci(o.roi, _pct),
                   _ci(o.payback_years, _years) if o.payback_years else "—")
    console.print(vs)
    console.print("Pareto frontier (TCO against expected downtime per year): "
                  + ", ".join(inv.frontier))
    for note in inv.notes:
        console.print(f"Note: {note}", markup=False)


def render_sensitivity(s: Sensitivity, console: Console, top: int = 15) -> None:
    console.print(f"[bold]{s.scenario}[/bold]: what drives {s.metric} (seed {s.seed})")
    crit = Table(title="Runbook critical path", title_justify="left")
    for col in ("runbook", "step", "criticality", "mean contribution", "runs"):
        crit.add_column(col, justify="left" if col in ("runbook", "step") else "right")
    for c in sorted(s.critical, key=lambda c: (c.runbook, -np_nan0(c.criticality))):
        crit.add_row(c.runbook, c.step, _pct(c.criticality),
                     format_duration(c.mean_contribution_s)
                     if math.isfinite(c.mean_contribution_s) else "—", f"{c.runs:,}")
    console.print(crit)
    if s.indices:
        name = "Morris" if s.method == "morris" else "Sobol"
        idx = Table(title=f"Global sensitivity ({name}, {s.evaluations:,} runs in all; "
                          f"inputs over their P5–P95)", title_justify="left")
        idx.add_column("input")
        keys = list(s.indices[0].values)
        for k in keys:
            idx.add_column(k, justify="right")
        for x in s.indices[:top]:
            idx.add_row(escape(x.name), *(_index(k, v, s.metric) for k, v in x.values.items()))
        console.print(idx)
        tor = Table(title=f"Tornado: each input at P10 / P90, others at median ({s.metric} at "
                          f"median: {format_value(s.metric, s.median_value)})",
                    title_justify="left")
        for col in ("input", "P10 → P90 of input", f"{s.metric} at P10", "at P90", "swing"):
            tor.add_column(col, justify="left" if col == "input" else "right")
        for b in s.tornado[:top]:
            tor.add_row(escape(b.name), f"{format_duration(b.input_low)} → "
                                f"{format_duration(b.input_high)}",
                        format_value(s.metric, b.metric_low), format_value(s.metric, b.metric_high),
                        format_value(s.metric, b.swing))
        console.print(tor)
        if len(s.indices) > top:
            console.print(f"({len(s.indices) - top} more inputs not shown; --json has all)")
    for note in s.notes:
        console.print(f"Note: {note}", markup=False)


def np_nan0(x: float) -> float:
    return 0.0 if math.isnan(x) else x


def _index(key: str, value: float, metric: str) -> str:
    if math.isnan(value):
        return "—"
    if key.startswith(("S1", "ST")):
        return f"{value:.3f}"
    return format_value(metric, value) if value >= 0 else "-" + format_value(metric, -value)
