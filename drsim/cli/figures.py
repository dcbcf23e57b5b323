"""drsim plot and drsim export: any figure on its own (png, svg, pdf), and results as files.

`plot` draws the distributions of a results folder (drsim run --trials N --out DIR), or the
timeline, status strips or topology of one drill of a scenario file (simulated like drsim
run). `export` writes a results folder's trials (and summary) as csv, json or parquet.
Everything is checked before any work; files appear whole (temp file + rename) or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import typer
from rich.console import Console

from drsim.calendar import sim_seconds
from drsim.cli.common import (
    DEBUG,
    Applies,
    Mode,
    check_choice,
    handle_errors,
    load,
    out_console,
    refuse_inapplicable,
)
from drsim.errors import DrsimError
from drsim.report.export import FORMATS, export_results, read_results
from drsim.report.output import check_writable, write_atomic_with
from drsim.scenario.schema import Scenario
from drsim.stats import resolve_metric
from drsim.units import format_duration, parse_duration

# kind → (column, 'hist' | 'cdf') for a results folder; None: the column is chosen per folder
DISTRIBUTIONS: dict[str, tuple[str | None, str]] = {
    "rto-cdf": ("rto_basic_s", "cdf"),
    "rto-hist": ("rto_basic_s", "hist"),
    "rto-full-cdf": ("rto_full_s", "cdf"),
    "downtime-hist": ("downtime_s", "hist"),
    "rpo-hist": (None, "hist"),
}
DRILL_KINDS = ("timeline", "status", "topology")
KINDS = (*DISTRIBUTIONS, *DRILL_KINDS)
IMAGE_FORMATS = ("png", "svg", "pdf")


def figure_kind(kind: str | None, source: Path) -> str:
    """The figure kind drawn: --kind, else the default for the source (a results folder's
    rto-cdf, a scenario's timeline)."""
    return kind or ("rto-cdf" if source.is_dir() else "timeline")


def _kind(p: Any) -> str:
    return figure_kind(p["kind"], Path(p["source"]))


DISTRIBUTION = Mode("to a results folder's distribution kinds (" + ", ".join(DISTRIBUTIONS)
                    + ")", "remove it or plot a results folder",
                    lambda p: _kind(p) in DISTRIBUTIONS)
DRILL = Mode("to a scenario file's kinds (" + ", ".join(DRILL_KINDS) + ")",
             "remove it or plot a scenario file", lambda p: _kind(p) in DRILL_KINDS)

SPAN = Mode("with --kind timeline or status", "remove it or draw a timeline or status figure",
            lambda p: _kind(p) in ("timeline", "status"))

# which options apply to which figure kinds (every other option applies to all)
APPLIES: Applies = {
    "metric": [DISTRIBUTION], "objective": [DISTRIBUTION], "seed": [DRILL],
    "at": [DRILL, Mode("with --kind topology", "remove it or add --kind topology",
                       lambda p: _kind(p) == "topology")],
    "by_site": [DRILL, Mode("with --kind status", "remove it or add --kind status",
                            lambda p: _kind(p) == "status")],
    "from_": [DRILL, SPAN],
    "to": [DRILL, SPAN],
}


def plot(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="A results folder (for rto-cdf, rto-hist, "
                                            "rto-full-cdf, downtime-hist, rpo-hist) or a "
                                            "scenario file (for timeline, status, topology)."),
    kind: str | None = typer.Option(None, "--kind", help="One of: " + ", ".join(KINDS)
                                    + " (default: rto-cdf for a folder, timeline for a "
                                      "scenario)."),
    out: Path = typer.Option(..., "--out", help="Image file; png, svg or pdf by its suffix."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    metric: str | None = typer.Option(None, "--metric",
                                      help="Distribution kinds: the trial column to plot "
                                           "instead, e.g. rto_basic_s.enterprise; for rpo-hist "
                                           "a service id."),
    objective: str | None = typer.Option(None, "--objective",
                                         help="Distribution kinds: draw this target (a "
                                              "duration like 4h for times) with P(met)."),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="Scenario kinds: root seed of the drill."),
    at: str | None = typer.Option(None, "--at", help="topology: the moment shown, as an offset "
                                                     "('5h') or local date-time "
                                                     "('2026-03-10T14:00'); default: when the "
                                                     "failover finished."),
    by_site: bool = typer.Option(False, "--by-site",
                                 help="status: add a strip per service × site."),
    from_: str | None = typer.Option(None, "--from", help="timeline, status: show from this "
                                                          "moment, an offset ('5h') or local "
                                                          "date-time ('2026-03-10T14:00'); "
                                                          "default: a little before the first "
                                                          "incident."),
    to: str | None = typer.Option(None, "--to", help="timeline, status: show until this "
                                                     "moment (as --from); default: a little "
                                                     "after the incident's full recovery."),
    debug: bool = DEBUG,
) -> None:
    """Draw one figure of a results folder or of one drill, to a png, svg or pdf file."""
    with handle_errors(debug):
        fmt = image_format(out)
        folder = source.is_dir()
        kind = figure_kind(kind, source)
        check_kind(kind, source, folder)
        refuse_inapplicable(ctx, APPLIES)
        target = parse_objective(objective)
        check_writable(out, force)
        if folder:
            fig = distribution_figure(source, kind, metric, target)
        else:
            fig = drill_figure(source, kind, seed, at, by_site, (from_, to))
        write_atomic_with(out, lambda tmp: fig.savefig(tmp, format=fmt, dpi=150))
        out_console().print(f"{kind} figure written to {out}", markup=False)


def image_format(out: Path, option: str = "--out") -> str:
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in IMAGE_FORMATS:
        raise DrsimError(f"{option} {out}: unknown image type '{out.suffix or '(none)'}'; name "
                         "the file .png, .svg or .pdf")
    return fmt


# ---- --plot FILE on compare, sweep, invest and sensitivity ----------------------------------

PLOT_HELP = "Also draw {what} to this image file (png, svg or pdf by its suffix)."


def check_plot(out: Path | None, force: bool) -> str | None:
    """--plot FILE: its image format, checked (an existing file refused without --force)
    before any trial runs; None without --plot."""
    if out is None:
        return None
    fmt = image_format(out, "--plot")
    check_writable(out, force)
    return fmt


def per_metric(metrics: list[str], draw: Callable[[str, Any], Any], height: float) -> Any:
    """One metric's figure, or one panel per metric stacked in one figure."""
    if len(metrics) == 1:
        return draw(metrics[0], None)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, height * len(metrics)), layout="constrained")
    for ax, m in zip(fig.subplots(len(metrics), 1, squeeze=False)[:, 0], metrics, strict=True):
        draw(m, ax)
    return fig


def write_plot(out: Path, fmt: str, fig: Any, console: Console) -> None:
    write_atomic_with(out, lambda tmp: fig.savefig(tmp, format=fmt, dpi=150))
    console.print(f"Figure written to {out}", markup=False)


def check_kind(kind: str, source: Path, folder: bool) -> None:
    check_choice("--kind", kind, KINDS)
    if not source.exists():
        raise DrsimError(f"{source}: does not exist; give a results folder or a scenario file")
    if folder and kind in DRILL_KINDS:
        raise DrsimError(f"--kind {kind} draws one drill: give a scenario file, not the "
                         f"results folder {source}")
    if not folder and kind in DISTRIBUTIONS:
        raise DrsimError(f"--kind {kind} needs a results folder (drsim run --trials N --out "
                         f"DIR), not the file {source}")


def parse_objective(text: str | None) -> float | None:
    """'4h' → 14400.0 seconds; a plain number ('0.001') stays as it is."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_duration(text)
    except ValueError as e:
        raise DrsimError(f"--objective {text}: {e}") from None


def distribution_column(frame: pd.DataFrame, kind: str, metric: str | None) -> str:
    """The trial column a distribution kind plots (--metric, else the kind's own)."""
    column, _ = DISTRIBUTIONS[kind]
    try:
        if kind == "rpo-hist":
            lost = [c for c in frame.columns if str(c).startswith("data_lost_s.")]
            if metric is not None:
                return resolve_metric(frame, metric if metric.startswith("data_lost_s")
                                      else f"data_lost_s.{metric}")
            if not lost:
                raise DrsimError("these trials have no data_lost_s columns to plot")
            means = {c: pd.to_numeric(frame[c], errors="coerce").mean() for c in lost}
            return max(lost, key=lambda c: (means[c] if pd.notna(means[c]) else -1.0, c))
        return resolve_metric(frame, metric or str(column))
    except ValueError as e:
        raise DrsimError(f"--metric: {e}") from None


def distribution_figure(folder: Path, kind: str, metric: str | None,
                        objective: float | None) -> Any:
    from drsim.report.plots import plot_distribution

    frame, _, _ = read_results(folder)
    column = distribution_column(frame, kind, metric)
    return plot_distribution(frame, column, DISTRIBUTIONS[kind][1], objective=objective)


def parse_at(text: str, scenario: Scenario, option: str = "--at") -> float:
    """An offset ('5h') or local date-time ('2026-03-10T14:00') → simulation seconds."""
    if "T" in text:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise DrsimError(f"{option} {text}: not a date-time; write e.g. 2026-03-10T14:00 "
                             "or an offset like 5h") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(scenario.simulation.timezone))
        at_s = sim_seconds(scenario.simulation.origin, when)
    else:
        try:
            at_s = parse_duration(text)
        except ValueError as e:
            raise DrsimError(f"{option} {text}: {e}") from None
    if not 0.0 <= at_s <= scenario.simulation.horizon:
        raise DrsimError(f"{option} {text}: outside the drill (it runs from "
                         f"{scenario.simulation.start} for "
                         f"{format_duration(scenario.simulation.horizon)})")
    return at_s


def parse_span(texts: tuple[str | None, str | None],
               scenario: Scenario) -> tuple[float | None, float | None]:
    """--from and --to → simulation seconds (None where not given); --from before --to."""
    lo, hi = (None if t is None else parse_at(t, scenario, opt)
              for t, opt in zip(texts, ("--from", "--to"), strict=True))
    if lo is not None and hi is not None and not lo < hi:
        raise DrsimError(f"--from {texts[0]} --to {texts[1]}: --from must be before --to")
    return lo, hi


def figure_span(given: tuple[float | None, float | None], default: tuple[float, float],
                horizon_s: float) -> tuple[float, float] | None:
    """The span drawn: None (the figure's own default zoom) without --from and --to; a bound
    not given is the default's, or the drill's start or end when the default's would not be
    on the right side of the given one."""
    lo, hi = given
    if lo is None and hi is None:
        return None
    if lo is None:
        lo = default[0] if hi is not None and default[0] < hi else 0.0
    if hi is None:
        hi = default[1] if default[1] > lo else horizon_s
    return lo, hi


def drill_figure(path: Path, kind: str, seed: int | None, at: str | None,
                 by_site: bool, span: tuple[str | None, str | None] = (None, None)) -> Any:
    from drsim.report.plots import incident_span, plot_status, plot_timeline, plot_topology
    from drsim.sim.engine import simulate

    scenario = load(path)
    at_s = parse_at(at, scenario) if at is not None else None
    given = parse_span(span, scenario)
    result = simulate(scenario, seed=seed)
    shown = figure_span(given, incident_span(result), result.horizon_s)
    if kind == "timeline":
        return plot_timeline(result, scenario, span=shown)
    if kind == "status":
        return plot_status(result, scenario, by_site=by_site, span=shown)
    return plot_topology(scenario, result, at_s=at_s)


def export(
    results: Path = typer.Argument(..., help="A results folder (drsim run --trials N --out "
                                             "DIR)."),
    fmt: str = typer.Option("csv", "--format", help="csv, json (strict: NaN and inf are "
                                                    "null) or parquet."),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: beside the "
                                                        "folder, e.g. results/x.csv)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    debug: bool = DEBUG,
) -> None:
    """Write a results folder's trials (and summary) as csv, json or parquet."""
    with handle_errors(debug):
        check_choice("--format", fmt, FORMATS)
        path = export_results(results, fmt, out, force)
        out_console().print(f"Trials of {results} written to {path}", markup=False)
