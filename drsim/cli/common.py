"""What every command shares: loading scenarios and reporting DrsimError without a traceback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console

from drsim.bundled import default_scenario
from drsim.errors import DrsimError, ScenarioError
from drsim.scenario import Scenario, load_scenario

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def handle_errors(debug: bool = False) -> Iterator[None]:
    """Print a DrsimError as one line per problem and exit 2 (traceback only with --debug)."""
    try:
        yield
    except ScenarioError as e:
        if debug:
            raise
        for issue in e.issues:
            err_console.print(str(issue), markup=False)
        n = len(e.issues)
        err_console.print(f"{n} problem{'s' if n != 1 else ''} found; nothing was run or written.",
                          markup=False)
        raise SystemExit(2) from None
    except DrsimError as e:
        if debug:
            raise
        err_console.print(f"error: {e}", markup=False)
        raise SystemExit(2) from None


def load(path: Path | None) -> Scenario:
    """The scenario at `path`, or the bundled default drill."""
    return load_scenario(path if path is not None else default_scenario())


DEBUG = typer.Option(False, "--debug", help="Show a traceback on errors.")


def fail_usage(message: str) -> None:
    err_console.print(f"error: {message}", markup=False)
    sys.exit(2)
