"""drsim compare / sweep / show: strategies side by side, parameter grids, merged variants."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console

from drsim.analysis.compare import compare as run_compare
from drsim.analysis.compare import unrelated_scenarios
from drsim.analysis.sweep import parse_set
from drsim.analysis.sweep import sweep as run_sweep
from drsim.cli.common import (
    DASK,
    DEBUG,
    OWN_WORKERS,
    Applies,
    Mode,
    check_choice,
    handle_errors,
    load,
    out_console,
    oversized,
    refuse_beyond_limits,
    refuse_inapplicable,
    validated,
)
from drsim.cli.figures import PLOT_HELP, check_plot, per_metric, write_plot
from drsim.errors import DrsimError
from drsim.montecarlo import BACKENDS
from drsim.report.compare_text import render_comparison, render_sweep
from drsim.report.output import check_writable, write_atomic
from drsim.scenario import load_scenario
from drsim.scenario.variants import base_chain, dump, load_resolved
from drsim.stats import resolve_metric
from drsim.trial import columns

TRIALS_HELP = "Paired trials per scenario (trial i of each uses the same random numbers)."
SEED = typer.Option(None, "--seed", min=0, help="Root seed for every scenario (default: the "
                                                "first scenario's).")
WORKERS = typer.Option(None, "--workers", min=1, help="Worker processes (default: all cores).")
BACKEND = typer.Option("local", "--backend", help="local (process pool) or dask.")
SCHEDULER = typer.Option(None, "--scheduler", help="Dask scheduler address.")
METRIC = typer.Option(None, "--metric", help="Show only this metric (repeatable), e.g. "
                                             "rto_basic_s or met.voice-rto.rto.")
CSV = typer.Option(None, "--csv", help="Write the result table (one row per metric and "
                                       "variant or cell) as CSV.")
FORCE = typer.Option(False, "--force", help="Overwrite an existing --csv or --plot file.")



def _unrelated(paths: list[Path]) -> bool:
    try:
        return bool(unrelated_scenarios([load_scenario(p) for p in paths], _names(paths)))
    except DrsimError:
        return True  # the command itself reports the bad file


UNRELATED = Mode("when a scenario differs from the first in both its sites and its customer "
                 "groups", "remove it", lambda p: _unrelated(p["scenarios"]))

# which options apply in which mode (every other option applies in every mode)
APPLIES: Applies = {
    "workers": [OWN_WORKERS], "scheduler": [DASK],
    "force": [Mode("with --csv or --plot (it lets them overwrite), or beyond the pre-flight "
                   "limits (it runs anyway)", "remove it",
                   lambda p: bool(p["csv"] or p["plot"]) or _oversized(p))],
}


def _oversized(p: Any) -> bool:
    """Beyond the pre-flight limits: sweep's grid has cells, each like the base scenario."""
    if "settings" in p:
        return oversized([p["scenario"]], p["trials"],
                         cells=lambda: math.prod(len(parse_set(s)[1]) for s in p["settings"]))
    return oversized(p["scenarios"], p["trials"])


COMPARE_APPLIES: Applies = {**APPLIES, "unrelated": [UNRELATED]}


def _console() -> Console:
    return out_console(160)


def _names(paths: list[Path]) -> list[str]:
    """Short labels: file stems, or the paths as given when two stems are the same."""
    stems = [p.stem for p in paths]
    return stems if len(set(stems)) == len(stems) else [str(p) for p in paths]


def _once_each(paths: list[Path]) -> None:
    """Refuse a file given twice: compared with itself it differs by nothing, by construction."""
    seen: dict[Path, Path] = {}
    for p in paths:
        first = seen.setdefault(p.resolve(), p)
        if first is not p:
            same = "" if str(first) == str(p) else f" (the same file as {first})"
            raise DrsimError(f"{p}: given twice{same}; compare each scenario once")


def _check_metrics(metrics: list[str] | None, columns: list[str]) -> list[str] | None:
    if not metrics:
        return None
    frame = pd.DataFrame(columns=columns)
    try:
        return [resolve_metric(frame, m) for m in metrics]
    except ValueError as e:
        raise DrsimError(f"--metric: {e}") from None


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, frame.to_csv(index=False))


def compare(
    ctx: typer.Context,
    scenarios: list[Path] = typer.Argument(..., help="Baseline scenario, then the variants to "
                                                     "compare with it (scenario or variant "
                                                     "files)."),
    trials: int = typer.Option(1000, "--trials", min=2, help=TRIALS_HELP),
    seed: int | None = SEED,
    workers: int | None = WORKERS,
    backend: str = BACKEND,
    scheduler: str | None = SCHEDULER,
    metric: list[str] | None = METRIC,
    csv: Path | None = CSV,
    plot: Path | None = typer.Option(None, "--plot", help=PLOT_HELP.format(
        what="the paired differences against the first scenario, with CIs (one panel per "
             "--metric; default: the first metric)")),
    force: bool = FORCE,
    unrelated: bool = typer.Option(False, "--unrelated",
                                   help="Compare scenarios of different estates (other sites "
                                        "and other customer groups), which is refused "
                                        "otherwise."),
    debug: bool = DEBUG,
) -> None:
    """Compare strategies on paired trials: estimates, differences against the first, P(best)."""
    with handle_errors(debug):
        refuse_inapplicable(ctx, COMPARE_APPLIES)
        check_choice("--backend", backend, BACKENDS)
        _once_each(scenarios)
        scs = [load(p) for p in scenarios]  # every file validated before any run
        refuse_beyond_limits(scs, trials, force)
        problem = unrelated_scenarios(scs, _names(scenarios))
        if problem and not unrelated:
            raise DrsimError(f"{problem}; pass --unrelated to compare them anyway")
        cols = list(dict.fromkeys(c for sc in scs for c in columns(sc)))
        metrics = _check_metrics(metric, cols)
        if csv is not None:
            check_writable(csv, force)
        fmt = check_plot(plot, force)
        result = run_compare(scs, _names(scenarios), trials, seed, workers, backend, scheduler,
                             metrics, unrelated=True)
        if csv is not None:
            _write_csv(csv, result.frame)
        render_comparison(result, _console(), metrics)
        if plot is not None and fmt is not None:
            from drsim.report.plots import plot_comparison

            fig = per_metric(metrics or [result.frame.metric.iloc[0]],
                             lambda m, ax: plot_comparison(result, m, ax=ax),
                             1.8 + 0.5 * len(scs))
            write_plot(plot, fmt, fig, _console())


def sweep(
    ctx: typer.Context,
    scenario: Path = typer.Argument(..., help="Base scenario (or variant) file."),
    settings: list[str] = typer.Option(..., "--set", metavar="PATH=V1,V2,...",
                                       help="A scenario value to vary, by dotted path with "
                                            "units, e.g. links.nyc-chi.bandwidth=1Gbps,10Gbps "
                                            "(repeatable: the grid is every combination)."),
    trials: int = typer.Option(200, "--trials", min=2, help=TRIALS_HELP),
    seed: int | None = SEED,
    workers: int | None = WORKERS,
    backend: str = BACKEND,
    scheduler: str | None = SCHEDULER,
    metric: list[str] | None = METRIC,
    csv: Path | None = CSV,
    plot: Path | None = typer.Option(None, "--plot", help=PLOT_HELP.format(
        what="each cell's estimate with its CI against the first --set parameter (one panel "
             "per --metric; default: the first metric)")),
    force: bool = FORCE,
    debug: bool = DEBUG,
) -> None:
    """Run a grid of parameter values, every cell on the same paired trials."""
    with handle_errors(debug):
        refuse_inapplicable(ctx, APPLIES)
        check_choice("--backend", backend, BACKENDS)
        raw = load_resolved(scenario)
        sc = validated(raw)
        metrics = _check_metrics(metric, columns(sc))
        items = [parse_set(s) for s in settings]
        refuse_beyond_limits([sc], trials, force, cells=math.prod(len(v) for _, v in items))
        if csv is not None:
            check_writable(csv, force)
        fmt = check_plot(plot, force)
        result = run_sweep(raw, items, trials, seed, workers, backend, scheduler, metrics)
        if csv is not None:
            _write_csv(csv, result.frame)
        render_sweep(result, _console(), metrics)
        if plot is not None and fmt is not None:
            from drsim.report.plots import plot_sweep

            fig = per_metric(metrics or [result.frame.metric.iloc[0]],
                             lambda m, ax: plot_sweep(result, m, ax=ax), 4.5)
            write_plot(plot, fmt, fig, _console())


def show(
    scenario: Path = typer.Argument(..., help="Scenario or variant file."),
    debug: bool = DEBUG,
) -> None:
    """Print a scenario fully merged (a variant with its bases applied) as YAML."""
    with handle_errors(debug):
        raw = load_resolved(scenario)
        validated(raw)
        chain = base_chain(scenario)
        head = "# drsim show: " + " ← ".join(chain) + "\n" if len(chain) > 1 else ""
        typer.echo(head + dump(raw), nl=False)
