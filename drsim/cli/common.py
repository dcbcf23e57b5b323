"""What every command shares: loading scenarios and reporting DrsimError without a traceback."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import typer

from drsim.bundled import default_scenario
from drsim.distributions import did_you_mean
from drsim.errors import DrsimError, ScenarioError, Terminated, TrialsFailed, WriteError
from drsim.report.output import GuardedStream

if TYPE_CHECKING:
    from rich.console import Console

    from drsim.scenario import Scenario
    from drsim.scenario.loader import RawDoc


class PlainStderr:
    """Whole lines to stderr, exactly as given (never wrapped, no markup or emoji codes):
    what error lines need, without importing rich's console on the way to them."""

    def print(self, text: str, markup: bool = False) -> None:
        typer.echo(text, err=True)


err_console = PlainStderr()


def stdout() -> GuardedStream:
    """Standard output for plain lines, its failed writes reported as WriteError (exit 74)."""
    return GuardedStream(sys.stdout, "standard output")


def out_console(default_width: int = 120, stderr: bool = False) -> Console:
    """The console a command prints its tables to (stdout, or stderr when stdout carries
    `--json -`): as wide as the terminal, or COLUMNS when set; when neither (output to a
    file or a pipe), `default_width`."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    wide = stream.isatty() or (os.environ.get("COLUMNS") or "").isdigit()
    file = GuardedStream(stream, "standard error") if stderr else stdout()
    return Console(highlight=False, file=cast("IO[str]", file),
                   width=None if wide else default_width)


# The exit statuses of every command (README "Exit status" and docs/monte-carlo.md list the
# same codes, a test checks; `drsim run --help` prints this table)
EXIT_OK, EXIT_BREACHED, EXIT_BAD_INPUT, EXIT_SIGINT, EXIT_SIGTERM = 0, 1, 2, 130, 143
EXIT_TRIALS_FAILED, EXIT_IO = 70, 74  # sysexits.h: EX_SOFTWARE, EX_IOERR
EXIT_WORKER_LOST = 75  # sysexits.h EX_TEMPFAIL: a worker kept dying; --resume may succeed
EXIT_STATUSES = {
    EXIT_OK: "every objective met",
    EXIT_BREACHED: "an objective breached (one drill: in that drill; many trials: in at least "
                   "one finished trial), unless --allow-breach; drsim score: a drill's figure "
                   "outside the simulated P5–P95 band",
    EXIT_BAD_INPUT: "bad input (a scenario problem, an output that exists, a results folder "
                    "that is corrupt or in use by another run)",
    EXIT_TRIALS_FAILED: "a trial raised an error: the run is not complete (its folder is kept "
                        "and --resume runs the failed trials again)",
    EXIT_IO: "an output could not be written (read-only, not a folder, disk full)",
    EXIT_WORKER_LOST: "a worker process kept dying (killed by a signal, likely out of memory): "
                      "finished trials are kept and --resume continues",
    EXIT_SIGINT: "stopped by Ctrl-C",
    EXIT_SIGTERM: "stopped by SIGTERM (finished trials are kept)",
}


@contextlib.contextmanager
def handle_errors(debug: bool = False) -> Iterator[None]:
    """Print a DrsimError as one line per problem and exit 2 (traceback only with --debug); an
    output the OS refused exits 74 and a failed trial 70; Ctrl-C exits 130 and SIGTERM 143,
    as a shell reports a process killed by them."""
    try:
        try:
            yield
        finally:  # a full device fails here, not at exit where nobody can say so
            stdout().flush()
    except KeyboardInterrupt:
        err_console.print("interrupted (Ctrl-C)", markup=False)
        raise SystemExit(EXIT_SIGINT) from None
    except Terminated:
        err_console.print("interrupted (SIGTERM)", markup=False)
        raise SystemExit(EXIT_SIGTERM) from None
    except ScenarioError as e:
        if debug:
            raise
        for issue in e.issues:
            err_console.print(str(issue), markup=False)
        n = len(e.issues)
        err_console.print(f"{n} problem{'s' if n != 1 else ''} found; nothing was run or written.",
                          markup=False)
        raise SystemExit(EXIT_BAD_INPUT) from None
    except DrsimError as e:
        if debug:
            raise
        err_console.print(f"error: {e}", markup=False)
        code = EXIT_IO if isinstance(e, WriteError) else \
            EXIT_TRIALS_FAILED if isinstance(e, TrialsFailed) else \
            getattr(e, "exit_status", EXIT_BAD_INPUT)
        raise SystemExit(code) from None


def load(path: Path | None) -> Scenario:
    """The scenario at `path`, or the bundled default drill; its warnings go to stderr."""
    from drsim.scenario.variants import load_resolved

    return validated(load_resolved(path if path is not None else default_scenario()))


def validated(raw: RawDoc) -> Scenario:
    """A scenario's merged document validated, its warnings printed to stderr: every command
    that reads a scenario says what in it cannot make sense before it runs anything."""
    from drsim.scenario.validate import validate_with_warnings

    scenario, warnings = validate_with_warnings(raw)
    for warning in warnings:
        err_console.print(str(warning), markup=False)
    return scenario


def refuse_beyond_limits(scenarios: list[Scenario], trials: int, force: bool,
                         until: float | None = None, cells: int | None = None,
                         **how: Any) -> None:
    """Stop before any work when the command asks for more than drsim.preflight allows (one
    error line per limit), unless --force."""
    from drsim.preflight import beyond_limits

    limits = beyond_limits(scenarios, trials, until, cells, **how)
    if limits and not force:
        raise DrsimError("\nerror: ".join(f"{line}; pass --force to run it anyway"
                                           for line in limits))


def oversized(paths: Sequence[Path], trials: int | Callable[[list[Scenario]], int],
              until: float | None = None, cells: Callable[[], int] | None = None,
              **how: Any) -> bool:
    """Whether the trials asked for (a count, or one worked out from the loaded scenarios)
    are beyond drsim.preflight's limits (so --force applies: it runs them). Bad input is
    left for the command itself to report."""
    from drsim.preflight import beyond_limits
    from drsim.scenario import load_scenario

    try:
        scenarios = [load_scenario(x) for x in paths]
        count = trials if isinstance(trials, int) else trials(scenarios)
        return bool(beyond_limits(scenarios, count, until, cells() if cells else None, **how))
    except DrsimError:
        return False


DEBUG = typer.Option(False, "--debug", help="Show a traceback on errors.")


def fail_usage(message: str) -> None:
    err_console.print(f"error: {message}", markup=False)
    sys.exit(2)


# ---- options that never lie: refused where they would change nothing --------------------------


@dataclass(frozen=True)
class Mode:
    """When an option does something: `when` reads as 'applies only <when>', `fix` says how
    to get there, and `test` tells from the command's parameter values whether we are there."""

    when: str
    fix: str
    test: Callable[[Mapping[str, Any]], bool]


Applies = Mapping[str, Sequence[Mode]]  # parameter name → every mode it needs


def with_one_of(when: str, *names: str, fix: str = "remove it") -> Mode:
    """Applies when any of the parameters `names` is given (not None)."""
    return Mode(when, fix, lambda p: any(p[n] is not None for n in names))


# the Monte Carlo backends (drsim run, compare, sweep)
DASK = Mode("with --backend dask", "remove it or add --backend dask",
            lambda p: p["backend"] == "dask")
OWN_WORKERS = Mode("without --scheduler (a running Dask cluster brings its own workers)",
                   "remove one of them",
                   lambda p: p["backend"] != "dask" or p["scheduler"] is None)


def given_by_user(ctx: typer.Context, name: str) -> bool:
    """True when the command line (not a default) set parameter `name`."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def option_label(param: Any, value: Any) -> str:
    """The option as the user wrote it: --no-timeline for a false --timeline/--no-timeline."""
    opts = param.secondary_opts if (getattr(param, "secondary_opts", None) and value is False) \
        else param.opts
    return max(opts, key=lambda o: (o.startswith("--"), len(o)))


def refuse_inapplicable(ctx: typer.Context, applies: Applies) -> None:
    """Every option the user gave that would change nothing in this mode: one line each,
    `drsim run: --workers applies only with ...; remove it or ...`, then exit 2 before any
    work. Options not in `applies` apply in every mode."""
    command = ctx.command_path.replace(ctx.find_root().info_name or "", "drsim", 1)
    problems = []
    for param in ctx.command.params:
        name = param.name or ""
        if name not in applies or not given_by_user(ctx, name):
            continue
        missing = next((m for m in applies[name] if not m.test(ctx.params)), None)
        if missing is not None:
            problems.append(f"{command}: {option_label(param, ctx.params[name])} applies "
                            f"only {missing.when}; {missing.fix}")
    for line in problems:
        err_console.print(line, markup=False)
    if problems:
        raise typer.Exit(2)


def check_choice(option: str, value: str, allowed: Sequence[str]) -> str:
    """`value` when it is one of `allowed`; otherwise a DrsimError naming the option and
    listing the allowed values (with a did-you-mean for a close misspelling)."""
    if value in allowed:
        return value
    raise DrsimError(f"{option} {value}: unknown; use one of {', '.join(allowed)}"
                     f"{did_you_mean(value, allowed)}")
