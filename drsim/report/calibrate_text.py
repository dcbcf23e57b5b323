"""What `drsim calibrate` prints (a rich table of the fits, and the customer-visible outages of
a status-page history) and its HTML report (the same table, a goodness-of-fit figure per
fitted quantity)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from drsim.units import format_duration

if TYPE_CHECKING:
    from rich.console import Console

    from drsim.calibrate.fit import Fit
    from drsim.calibrate.records import DrillRecord

COLUMNS = ("quantity", "n", "censored", "family", "AIC", "P50", "P90", "P90 90% CI",
           "expert P90", "P90 change")


def fit_rows(fits: Sequence[Fit]) -> list[dict[str, str]]:
    """One row per quantity, as printed (durations as drsim writes them)."""
    rows = []
    for f in fits:
        dist = f.distribution or f.expert
        p90 = dist.quantile(0.9)
        ci = f"{_minutes(f.p90_interval[0])} – {_minutes(f.p90_interval[1])}" \
            if f.p90_interval else "—"
        change = p90 / f.expert.quantile(0.9) - 1 if f.expert.quantile(0.9) > 0 else 0.0
        rows.append({"quantity": f.target, "n": str(f.sample.n),
                     "censored": str(f.sample.censored), "family": f.family,
                     "AIC": "—" if f.aic is None else f"{f.aic:.1f}",
                     "P50": format_duration(dist.quantile(0.5)),
                     "P90": format_duration(p90), "P90 90% CI": ci,
                     "expert P90": format_duration(f.expert.quantile(0.9)),
                     "P90 change": "kept" if f.kept else f"{change:+.0%}"})
    return rows


def _minutes(seconds: float) -> str:
    """A duration to the minute (interval ends: more digits would be false precision)."""
    return format_duration(max(round(seconds / 60), 1) * 60)


def outage_rows(records: Sequence[DrillRecord]) -> list[dict[str, str]]:
    """Per customer group: the status page's outages (count, median, longest)."""
    seen: dict[str, list[float]] = {}
    for r in records:
        for key, value in r.figures.items():
            if key.startswith("rto_basic_s:"):
                seen.setdefault(key.split(":", 1)[1], []).append(value)
    return [{"group": g, "outages": str(len(v)), "median": format_duration(float(np.median(v))),
             "longest": format_duration(max(v))} for g, v in sorted(seen.items())]


def render_fits(fits: Sequence[Fit], console: Console,
                records: Sequence[DrillRecord] = ()) -> None:
    from rich.table import Table

    table = Table(title="Calibration: fitted durations (P90 change: fitted against the "
                        "expert's estimate)", title_justify="left")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("quantity", "family") else "right")
    for row in fit_rows(fits):
        table.add_row(*(row[c] for c in COLUMNS))
    console.print(table)
    for f in fits:
        if f.kept:
            console.print(f"{f.target}: {f.note}", markup=False)
    outages = outage_rows(records)
    if outages:
        out = Table(title="Customer-visible outages on the status page (observed; an outcome "
                          "of the model, compare with `drsim run`, not fitted)",
                    title_justify="left")
        for col in ("group", "outages", "median", "longest"):
            out.add_column(col, justify="left" if col == "group" else "right")
        for row in outages:
            out.add_row(*row.values())
        console.print(out)


def render_html(fits: Sequence[Fit], scenario_name: str, sources: Sequence[str],
                records: Sequence[DrillRecord] = ()) -> str:
    """The self-contained HTML fit report: the table, then one figure with a panel per
    quantity (fitted CDF over the Kaplan–Meier estimate)."""
    from drsim.report.html import CSP, _env, svg_markup
    from drsim.report.plots.calibration import plot_fits

    figure = svg_markup(plot_fits(list(fits)), "fits") if fits else ""
    context: dict[str, Any] = {"csp": CSP, "name": scenario_name, "sources": list(sources),
                               "columns": COLUMNS, "rows": fit_rows(fits),
                               "outages": outage_rows(records), "figure": figure,
                               "notes": [f"{f.target}: {f.note}" for f in fits]}
    return _env.get_template("calibration.html.j2").render(**context)
