"""drsim run: simulate one drill, print its story and metrics, optionally write JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from drsim.cli.common import DEBUG, handle_errors, load
from drsim.report.output import check_writable, write_json
from drsim.report.text import render_run
from drsim.sim.engine import simulate


def run(
    scenario: Path | None = typer.Argument(
        None, help="Scenario file; without one, the bundled New York → Chicago drill."),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (default: the scenario's)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the whole result as JSON."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
    timeline: bool = typer.Option(True, "--timeline/--no-timeline",
                                  help="Print the incident timeline."),
    debug: bool = DEBUG,
) -> None:
    """Run one drill and print its story, its metrics and its timeline."""
    with handle_errors(debug):
        if seed is not None and seed < 0:
            raise typer.BadParameter("seed must be ≥ 0", param_hint="--seed")
        sc = load(scenario)
        if json_out is not None:
            check_writable(json_out, force)
        result = simulate(sc, seed=seed)
        if json_out is not None:
            write_json(json_out, result.to_dict())
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
        render_run(result, console, timeline=timeline)
        if json_out is not None:
            console.print(f"Result written to {json_out}")
