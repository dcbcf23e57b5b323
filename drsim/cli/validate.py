"""drsim validate: check scenario files, reporting every problem in every file."""

from __future__ import annotations

from pathlib import Path

import typer

from drsim.cli.common import err_console
from drsim.errors import ScenarioError
from drsim.scenario import check_scenario


def validate(files: list[Path] = typer.Argument(..., help="Scenario files to check.")) -> None:
    """Check scenario files: prints 'ok' per good file (after its warnings, on stderr), every
    problem of the others (exit 2)."""
    problems = 0
    for path in files:
        try:
            _, warnings = check_scenario(path)
        except ScenarioError as e:
            problems += len(e.issues)
            for issue in e.issues:
                err_console.print(str(issue), markup=False)
        else:
            for warning in warnings:
                err_console.print(str(warning), markup=False)
            typer.echo(f"{path}: ok")
    if problems:
        err_console.print(f"{problems} problem{'s' if problems != 1 else ''} found.",
                          markup=False)
        raise typer.Exit(2)
