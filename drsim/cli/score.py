"""drsim score: a real drill (or incident) judged by the model. Each observed figure is placed
on the distribution of the same figure over the scenario's simulated trials; exit status 1
when any is outside the P5–P95 band, so a CI job can gate on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from drsim.cli.common import (
    DEBUG,
    EXIT_BREACHED,
    Applies,
    err_console,
    fail_usage,
    handle_errors,
    load,
    out_console,
    with_one_of,
)
from drsim.cli.common import refuse_inapplicable as refuse
from drsim.errors import DrsimError
from drsim.report.output import check_writable, is_stdout

if TYPE_CHECKING:
    from drsim.calibrate.score import Calibration
    from drsim.report.score_text import DrillScore
    from drsim.scenario.schema import Scenario

APPLIES: Applies = {
    "force": [with_one_of("with --json or --report (it lets them overwrite)", "json_out",
                          "report")],
}


def score(
    ctx: typer.Context,
    scenario: Path = typer.Argument(..., help="The scenario the drill rehearsed."),
    drill: Path | None = typer.Option(None, "--drill", "--log", metavar="FILE",
                                      help="The drill log: one row per step run (CSV or "
                                           "JSON); several drills in it are scored each."),
    pages: Path | None = typer.Option(None, "--pages", metavar="FILE",
                                      help="The paging export (PagerDuty JSON or CSV): "
                                           "detection, acknowledgement, declaration."),
    status: Path | None = typer.Option(None, "--status", metavar="FILE",
                                       help="The status-page history (Statuspage incidents "
                                            "JSON): when each group had service again."),
    map_path: Path | None = typer.Option(None, "--map", metavar="FILE",
                                         help="Log step names → runbook.step, status-page "
                                              "components → groups (YAML)."),
    trials: int = typer.Option(1000, "--trials", min=20,
                               help="Simulated trials to place the figures on."),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="Root seed (default: the scenario's)."),
    report: Path | None = typer.Option(None, "--report", metavar="FILE",
                                       help="Write an HTML report: the drill's timeline over "
                                            "the simulated bands."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the scores as JSON ('-': "
                                                              "to stdout)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --json or "
                                                      "--report file."),
    debug: bool = DEBUG,
) -> None:
    """Score a drill against the model: each figure's percentile among the simulated trials,
    P(as bad or worse), a flag outside P5–P95 (exit 1), and over several drills the PIT
    calibration check."""
    with handle_errors(debug):
        refuse(ctx, APPLIES)
        if drill is None and pages is None and status is None:
            fail_usage("drsim score: give the drill's records: --drill FILE (the drill log), "
                       "--pages FILE and/or --status FILE")
        from drsim.calibrate.drill import read_inputs
        from drsim.calibrate.observed import observe
        from drsim.calibrate.score import (
            calibrate_by_figure,
            calibrate_drills,
            score_drill,
            simulate_figures,
        )
        from drsim.report.score_text import DrillScore

        sc = load(scenario)
        inputs = read_inputs(sc, drill, pages, status, map_path)
        observed = [(r.drill, observe(r, sc, inputs.names.components))
                    for r in inputs.records()]
        if not any(figures for _, figures in observed):
            raise DrsimError("the records give no figure to score: a drill log needs finished "
                             "steps, a paging export the fault's start (started), a status page "
                             "a --map of its components to groups")
        for target in (json_out, report):
            if target is not None and not is_stdout(target):
                check_writable(target, force)
        seed = sc.simulation.seed if seed is None else seed
        sims = simulate_figures(sc, trials, seed)
        results = [DrillScore(name, tuple(score_drill(figures, sims)))
                   for name, figures in observed]
        scored = [r.scores for r in results]
        check = (calibrate_drills(scored, seed), calibrate_by_figure(scored, seed)) \
            if len(results) > 1 else None
        _write(sc, results, check, trials, seed, json_out, report)
        _print(results, check, trials, is_stdout(json_out))
        _gate(results)


def _gate(results: list[DrillScore]) -> None:
    """Exit 1 when any figure of any drill is outside P5–P95, naming each on stderr (one line
    per figure for one drill, one per drill for several)."""
    from drsim.report.score_text import label

    outside = [r for r in results if r.outside]
    for r in outside:
        if len(results) == 1:
            for s in r.outside:
                err_console.print(f"drill {r.drill}: {label(s.key)} {s.flag} (percentile "
                                  f"{s.percentile:.1%}, P(as bad or worse) {s.p_worse:.1%})")
        else:
            err_console.print(f"drill {r.drill}: {len(r.outside)} figure"
                              f"{'s' if len(r.outside) != 1 else ''} outside P5–P95")
    if outside:
        raise SystemExit(EXIT_BREACHED)


Checks = tuple["Calibration", dict[str, "Calibration"]]  # pooled, and per figure


def _print(results: list[DrillScore], check: Checks | None, trials: int,
           to_stderr: bool) -> None:
    from drsim.report.score_text import render_calibration, render_drill, render_drills

    console = out_console(130, stderr=to_stderr)
    if len(results) == 1:
        render_drill(results[0], trials, console)
    else:
        render_drills(results, console)
    if check is not None:
        render_calibration(check[0], check[1], len(results), console)


def _write(sc: Scenario, results: list[DrillScore], check: Checks | None, trials: int,
           seed: int, json_out: Path | None, report: Path | None) -> None:
    """The JSON and the HTML report, each written whole or not at all."""
    from drsim.report.output import write_atomic, write_json
    from drsim.report.score_text import calibration_dict, score_dict

    if json_out is not None:
        write_json(json_out, {
            "scenario": sc.name, "trials": trials, "seed": seed,
            "drills": [{"drill": r.drill, "figures": [score_dict(s) for s in r.scores],
                        "outside": [s.key for s in r.outside]} for r in results],
            "calibration": None if check is None else {
                **calibration_dict(check[0]),
                "by_figure": {k: calibration_dict(c) for k, c in check[1].items()}},
        })
    if report is not None:
        from drsim.report.score_html import render_score_report

        write_atomic(report, render_score_report(sc, results, check and check[0], trials,
                                                 seed))
