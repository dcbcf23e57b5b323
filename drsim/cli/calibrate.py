"""drsim calibrate: fit step durations and paging delays to a team's drill logs, paging
export and status-page history, and write them as a variant of the scenario."""

from __future__ import annotations

from pathlib import Path

import typer

from drsim.cli.common import (
    DEBUG,
    Applies,
    Mode,
    fail_usage,
    handle_errors,
    load,
    out_console,
    refuse_inapplicable,
)

# which options apply in which mode (every other option applies in every mode)
APPLIES: Applies = {
    "seed": [Mode("with --bootstrap above 1 (the seed draws the bootstrap resamples)",
                  "remove it, or set --bootstrap to 2 or more", lambda p: p["bootstrap"] > 1)],
}


def calibrate(
    ctx: typer.Context,
    scenario: Path = typer.Argument(..., help="The scenario to calibrate (its estimates are "
                                              "the expert's)."),
    log: Path | None = typer.Option(None, "--log", help="Drill log: CSV or JSON, one row per "
                                                        "step run (docs/calibration.md)."),
    pages: Path | None = typer.Option(None, "--pages", help="Paging export: PagerDuty "
                                                            "incidents + log entries JSON, or "
                                                            "CSV."),
    status: Path | None = typer.Option(None, "--status", help="Status-page history: "
                                                              "Statuspage incidents JSON."),
    map_path: Path | None = typer.Option(None, "--map", help="YAML mapping the logs' names to "
                                                             "the scenario's ids."),
    out: Path = typer.Option(..., "--out", help="The variant file to write (base + fitted "
                                                "durations)."),
    report: Path | None = typer.Option(None, "--report", help="Also write an HTML fit report "
                                                              "with a figure per quantity."),
    prior_weight: int = typer.Option(0, "--prior-weight", min=0,
                                     help="The expert's estimate counts as N0 observations."),
    bootstrap: int = typer.Option(200, "--bootstrap", min=0, max=10_000,
                                  help="Resamples for the P90 intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the bootstrap resamples."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out and --report files."),
    debug: bool = DEBUG,
) -> None:
    """Fit step durations and paging delays to real drills (censored maximum likelihood),
    and write them as a variant of the scenario."""
    with handle_errors(debug):
        refuse_inapplicable(ctx, APPLIES)
        if log is None and pages is None and status is None:
            fail_usage("drsim calibrate: give at least one of --log, --pages, --status")
        run(scenario, log, pages, status, map_path, out, report, prior_weight, bootstrap, seed,
            force)


def run(scenario_path: Path, log: Path | None, pages: Path | None, status: Path | None,
        map_path: Path | None, out: Path, report: Path | None, prior_weight: int,
        bootstrap: int, seed: int, force: bool) -> None:
    """Everything is read and checked before anything is written; the variant is validated
    (as `drsim validate` would) in its folder before it replaces anything."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from drsim.calibrate.drill import read_inputs
    from drsim.calibrate.fit import fit_all
    from drsim.calibrate.variant import variant_text
    from drsim.errors import ScenarioError
    from drsim.report.calibrate_text import render_fits, render_html
    from drsim.report.output import check_writable, write_atomic, write_atomic_with
    from drsim.scenario import check_scenario

    sc = load(scenario_path)
    for path in (out, report):
        if path is not None:
            check_writable(path, force)
    inputs = read_inputs(sc, log, pages, status, map_path, ZoneInfo(sc.simulation.timezone))
    fits = fit_all(sc, inputs, prior_weight, seed, bootstrap)
    sources = [str(p) for p in (log, pages, status) if p is not None]
    text = variant_text(scenario_path, out, sc.name, fits, sources)

    def write_checked(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
        try:
            check_scenario(tmp)  # a ScenarioError here leaves nothing behind
        except ScenarioError as e:
            raise ScenarioError([replace(i, file=str(out)) if i.file == str(tmp) else i
                                 for i in e.issues]) from None

    html = render_html(fits, sc.name, sources, inputs.records()) if report else None
    write_atomic_with(out, write_checked)
    if report is not None and html is not None:
        write_atomic(report, html)
    console = out_console(140)
    render_fits(fits, console, inputs.records() if status else ())
    console.print(f"fitted variant written to {out}" +
                  (f"; fit report to {report}" if report else ""), markup=False)
