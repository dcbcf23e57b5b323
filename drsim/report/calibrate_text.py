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

COLUMNS = ("quantity", "n", "cens.", "family", "AIC", "P50", "P90", "P90 90% CI",
           "expert P90", "change")
PRINTED = tuple(c for c in COLUMNS if c != "AIC")  # the terminal table (AIC: in the variant)


def fit_rows(fits: Sequence[Fit]) -> list[dict[str, str]]:
    """One row per quantity, as printed (durations as drsim writes them)."""
    rows = []
    for f in fits:
        dist = f.distribution or f.expert
        p90 = dist.quantile(0.9)
        ci = f"{_short(f.p90_interval[0])}–{_short(f.p90_interval[1])}" \
            if f.p90_interval else "—"
        change = p90 / f.expert.quantile(0.9) - 1 if f.expert.quantile(0.9) > 0 else 0.0
        rows.append({"quantity": f.target, "n": str(f.sample.n),
                     "cens.": str(f.sample.censored), "family": f.family,
                     "AIC": "—" if f.aic is None else f"{f.aic:.1f}",
                     "P50": _short(dist.quantile(0.5)), "P90": _short(p90), "P90 90% CI": ci,
                     "expert P90": _short(f.expert.quantile(0.9)),
                     "change": "kept" if f.kept else f"{change:+.0%}"})
    return rows


def _short(seconds: float) -> str:
    """A duration for the table: to the minute from 10 minutes up (the variant file keeps
    the seconds), to the second below."""
    return format_duration(round(seconds / 60) * 60 if seconds >= 600 else round(seconds))


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

    table = Table(title="Calibration: fitted durations (n observations, cens. of them "
                        "censored; change: fitted P90 against the expert's)", title_justify="left")
    for col in PRINTED:
        table.add_column(col, justify="left" if col in ("quantity", "family") else "right",
                         no_wrap=col == "quantity")
    for row in fit_rows(fits):
        table.add_row(*(row[c] for c in PRINTED))
    console.print(table)
    kept = [f.target for f in fits if f.kept]
    if kept:
        from drsim.calibrate.fit import MIN_ENDED, MIN_OBS

        console.print(f"Kept the expert's estimate (fitting needs ≥ {MIN_OBS} observations, "
                      f"≥ {MIN_ENDED} of them ended): {', '.join(kept)}", markup=False)
    outages = outage_rows(records)
    if outages:
        out = Table(title="Status-page outages per group (observed, not fitted: compare "
                          "with `drsim run`)", title_justify="left")
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
