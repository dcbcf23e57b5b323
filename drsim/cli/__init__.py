"""The drsim command line: one module per command group, wired into one typer app."""

from __future__ import annotations

import signal
import sys
from typing import Any

import typer

from drsim.cli import catalogue, compare, figures, invest, replay, run, validate, verify
from drsim.cli.common import handle_errors
from drsim.errors import Terminated

app = typer.Typer(
    name="drsim", no_args_is_help=True, add_completion=False,
    help="Disaster-recovery drill simulator: recovery times, data loss and downtime of "
         "failover and failback, by discrete-event simulation.")
app.command("run")(run.run)
app.command("validate")(validate.validate)
app.command("schema")(catalogue.schema)
app.command("scenarios")(catalogue.scenarios)
app.command("verify")(verify.verify)
app.command("show")(compare.show)
app.command("compare")(compare.compare)
app.command("sweep")(compare.sweep)
app.command("invest")(invest.invest)
app.command("sensitivity")(invest.sensitivity)
app.command("plot")(figures.plot)
app.command("export")(figures.export)
app.command("replay")(replay.replay)


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def main() -> None:
    """Entry point: drsim errors become one line per problem and exit status 2; SIGTERM stops
    a command like Ctrl-C does (exit 143, not a silent death that leaves workers behind)."""
    signal.signal(signal.SIGTERM, _terminate)
    with handle_errors("--debug" in sys.argv):
        app()
