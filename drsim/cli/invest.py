"""drsim invest (cost–benefit of options against a baseline) and drsim sensitivity (what
drives a recovery metric)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from drsim.analysis.invest import invest as run_invest
from drsim.analysis.invest import require_costs
from drsim.analysis.sensitivity import METHODS, planned_trials
from drsim.analysis.sensitivity import sensitivity as run_sensitivity
from drsim.cli.common import (
    DEBUG,
    Applies,
    Mode,
    check_choice,
    handle_errors,
    load,
    out_console,
    oversized,
    refuse_beyond_limits,
    refuse_inapplicable,
)
from drsim.cli.figures import PLOT_HELP, check_plot, write_plot
from drsim.report.invest_text import render_investment, render_sensitivity
from drsim.report.output import check_writable, is_stdout, write_json

# which options apply in which mode (every other option applies in every mode)
APPLIES: Applies = {
    "force": [Mode("with --json or --plot (it lets them overwrite), or beyond the pre-flight "
                   "limits (it runs anyway)", "remove it",
                   lambda p: bool(p["json_out"] or p["plot"]) or _sampled_oversized(p))],
}
INVEST_APPLIES: Applies = {
    "force": [Mode("with --json or --plot (it lets them overwrite), or beyond the pre-flight "
                   "limits (it runs anyway)", "remove it",
                   lambda p: bool(p["json_out"] or p["plot"]) or _oversized(p))],
}


def _oversized(p: Any) -> bool:
    return oversized([p["baseline"], *p["option"], *(p["more"] or [])], p["trials"])


# sensitivity keeps a mean per sampled point, not a row per trial
SAMPLED: dict[str, Any] = {"keeps_rows": False,
                           "fewer": "fewer --trials, --samples or --repeats"}


def _sampled_oversized(p: Any) -> bool:
    """Sensitivity's trials (critical path, sampled points, tornado) beyond the limits."""
    return oversized([p["scenario"]], lambda scs: planned_trials(
        scs[0], p["method"].lower(), p["trials"], p["samples"], p["repeats"]), **SAMPLED)


def _console(to_stderr: bool = False) -> Console:
    """The tables: on stdout, or on stderr when --json - has stdout."""
    return out_console(140, stderr=to_stderr)


def invest(
    ctx: typer.Context,
    baseline: Path = typer.Argument(..., help="The baseline scenario (what you have now)."),
    option: list[Path] = typer.Option(..., "--option", help="An option's scenario (or variant) "
                                                            "file; repeat for each option."),
    more: list[Path] | None = typer.Argument(
        None, help="More option files: a shell glob after --option (--option options/*.yaml) "
                   "expands into these."),
    years: float = typer.Option(5.0, "--years", min=0.01, help="Years of ownership weighed."),
    trials: int = typer.Option(1000, "--trials", min=2, help="Paired trials per scenario."),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="Root seed for every scenario (default: the "
                                         "baseline's)."),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="Worker processes (default: all cores)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the figures as JSON "
                                                                  "('-': to stdout)."),
    plot: Path | None = typer.Option(None, "--plot", help=PLOT_HELP.format(
        what="cost of ownership against expected downtime, with the Pareto frontier,")),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --json or --plot "
                                                      "file."),
    debug: bool = DEBUG,
) -> None:
    """Weigh options against a baseline: expected annual loss, avoided loss, TCO, net
    benefit, ROI, payback and the Pareto frontier, with confidence intervals."""
    with handle_errors(debug):
        refuse_inapplicable(ctx, INVEST_APPLIES)
        paths = [baseline, *option, *(more or [])]
        scenarios = [load(p) for p in paths]
        refuse_beyond_limits(scenarios, trials, force)
        labels = _labels(paths)
        for sc, label in zip(scenarios, labels, strict=True):
            require_costs(sc, label)  # before any trial runs
        if json_out is not None and not is_stdout(json_out):
            check_writable(json_out, force)
        fmt = check_plot(plot, force)
        result = run_invest(scenarios[0], scenarios[1:], years, trials, seed, workers, labels)
        if json_out is not None:
            write_json(json_out, result.to_dict())
        render_investment(result, _console(is_stdout(json_out)))
        if plot is not None and fmt is not None:
            from drsim.report.plots import plot_pareto

            write_plot(plot, fmt, plot_pareto(result), _console(is_stdout(json_out)))


def _labels(paths: list[Path]) -> list[str]:
    """File stems, or the paths themselves where two stems clash."""
    stems = [p.stem for p in paths]
    return [s if stems.count(s) == 1 else str(p) for s, p in zip(stems, paths, strict=True)]


def sensitivity(
    ctx: typer.Context,
    scenario: Path = typer.Argument(..., help="Scenario file."),
    metric: str = typer.Option("rto_basic", "--metric",
                               help="Trial metric to explain, e.g. rto_basic, rto_full, "
                                    "downtime, customer_minutes_lost."),
    method: str = typer.Option("morris", "--method", help="morris or sobol."),
    trials: int = typer.Option(200, "--trials", min=1,
                               help="Trials traced for the runbook critical path."),
    samples: int | None = typer.Option(None, "--samples", min=1,
                                       help="Morris trajectories (default 10) or Sobol base "
                                            "samples, a power of two (default 64)."),
    repeats: int = typer.Option(1, "--repeats", min=1,
                                help="Trials averaged at each sampled point."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Root seed."),
    workers: int = typer.Option(1, "--workers", min=1,
                                help="Worker processes for the sampled points, started once "
                                     "(default 1: in this process)."),
    top: int = typer.Option(15, "--top", min=1, help="Inputs shown in each table."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the figures as JSON "
                                                                  "('-': to stdout)."),
    plot: Path | None = typer.Option(None, "--plot", help=PLOT_HELP.format(
        what="the tornado (the --top inputs)")),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --json or --plot "
                                                      "file, or run beyond the pre-flight "
                                                      "limits."),
    debug: bool = DEBUG,
) -> None:
    """What drives a recovery metric: runbook critical path, Morris/Sobol indices (SALib) and
    a one-at-a-time tornado over the scenario's uncertain inputs."""
    with handle_errors(debug):
        refuse_inapplicable(ctx, APPLIES)
        method = check_choice("--method", method.lower(), METHODS)
        sc = load(scenario)
        if json_out is not None and not is_stdout(json_out):
            check_writable(json_out, force)
        fmt = check_plot(plot, force)
        refuse_beyond_limits([sc], planned_trials(sc, method, trials, samples, repeats), force,
                             **SAMPLED)
        result = run_sensitivity(sc, metric, method, trials, samples, repeats, seed, workers)
        if json_out is not None:
            write_json(json_out, result.to_dict())
        render_sensitivity(result, _console(is_stdout(json_out)), top)
        if plot is not None and fmt is not None:
            from drsim.report.plots import plot_tornado

            write_plot(plot, fmt, plot_tornado(result, top=top), _console(is_stdout(json_out)))
