"""The drsim command line: one module per command group, wired into one typer app.

Each command's module is imported only when that command runs (or its help is shown), so
`drsim --help` and `drsim validate` never pay for pandas, scipy or matplotlib: COMMANDS
below names every command's module, function and one-line summary (the summary is what
`drsim --help` lists, and the command's own short help). SHORT_OPTIONS gives the common
long options their one-letter forms, the same on every command that has them.
"""

from __future__ import annotations

import signal
import sys
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

# name → (module in drsim.cli, function, the one-line summary drsim --help lists)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("init", "init", "Write a commented starter scenario to edit."),
    "import": ("importer", "import_command", "Write a scenario from a network graph (GraphML)."),
    "run": ("run", "run", "Run one drill, or many trials, and report what it costs."),
    "validate": ("validate", "validate", "Check scenario files; every problem of each."),
    "schema": ("catalogue", "schema", "Print the JSON Schema of the scenario format."),
    "scenarios": ("catalogue", "scenarios", "List the bundled example drills."),
    "verify": ("verify", "verify", "Check the simulator against closed-form answers."),
    "show": ("compare", "show", "Print a scenario fully merged, as YAML."),
    "compare": ("compare", "compare", "Compare strategies on paired trials."),
    "sweep": ("compare", "sweep", "Run a grid of parameter values on paired trials."),
    "invest": ("invest", "invest", "Weigh options by loss avoided, cost and ROI."),
    "sensitivity": ("invest", "sensitivity", "What drives a recovery metric."),
    "plot": ("figures", "plot", "Draw one figure to a png, svg or pdf file."),
    "export": ("figures", "export", "Write a results folder's trials as csv, json or parquet."),
    "replay": ("replay", "replay", "Replay one drill in real time."),
    "explain": ("explain", "explain", "Say why a group was down or a step waited."),
    "score": ("score", "score", "Score a real drill against the model (exit 1 outside P5–P95)."),
    "calibrate": ("calibrate", "calibrate", "Fit step durations to real drills and incidents."),
}

# long option → its short form, on every command that has the long option
SHORT_OPTIONS = {"--trials": "-n", "--seed": "-s", "--out": "-o", "--workers": "-j",
                 "--force": "-f", "--metric": "-m"}


def load_command(name: str) -> Any:
    """The click command `name`, its module imported now, with the short options added."""
    module, function, summary = COMMANDS[name]
    callback = getattr(import_module(f"drsim.cli.{module}"), function)
    command = get_command_from_info(CommandInfo(name=name, callback=callback,
                                                short_help=summary),
                                    pretty_exceptions_short=True, rich_markup_mode=None)
    for param in command.params:
        long = [o for o in param.opts if o in SHORT_OPTIONS]
        if long and SHORT_OPTIONS[long[0]] not in param.opts:
            param.opts.insert(0, SHORT_OPTIONS[long[0]])
    return command


class LazyGroup(TyperGroup):
    """A typer group whose commands are imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The summaries from COMMANDS: listing the commands imports none of them."""
        rows = [(n, COMMANDS[n][2]) for n in COMMANDS]
        rows += [(n, c.get_short_help_str()) for n, c in self.commands.items()
                 if n not in COMMANDS and not c.hidden]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def all_commands() -> dict[str, Any]:
    """Every command of the app, loaded (for tests and documentation)."""
    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    return {n: group.get_command(ctx, n) for n in group.list_commands(ctx)}  # type: ignore[attr-defined]


def version() -> str:
    from drsim import __version__

    return __version__


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"drsim {version()}")
        raise typer.Exit()


app = typer.Typer(
    name="drsim", cls=LazyGroup, no_args_is_help=True, rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Disaster-recovery drill simulator: recovery times, data loss and downtime of "
         "failover and failback, by discrete-event simulation.")


@app.callback()
def drsim(
    version: bool = typer.Option(False, "--version", "-V", is_eager=True,
                                 callback=show_version, help="Print drsim's version and exit."),
) -> None:
    pass  # the options of the group itself (the help text is the app's)


def _terminate(signum: int, frame: Any) -> None:
    from drsim.errors import Terminated

    raise Terminated()


def main() -> None:
    """Entry point: drsim errors become one line per problem and exit status 2; SIGTERM stops
    a command like Ctrl-C does (exit 143, not a silent death that leaves workers behind)."""
    from drsim.errors import DrsimError, Terminated

    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except (DrsimError, KeyboardInterrupt, Terminated) as e:  # outside a command's handler
        from drsim.cli.common import handle_errors

        with handle_errors("--debug" in sys.argv):
            raise e from None
    except OSError as e:  # help, listings and schemas are printed by click, unguarded
        if not refused_output(e):
            raise
        from drsim.cli.common import handle_errors
        from drsim.errors import WriteError
        from drsim.report.output import null_stdout

        null_stdout()  # so that Python's own flush at exit does not fail again
        with handle_errors("--debug" in sys.argv):
            raise WriteError("standard output", e) from None


def refused_output(error: OSError) -> bool:
    """True when `error` is the OS refusing a write that click made to standard output (a full
    device, an I/O error): no file named, and raised by a write or flush."""
    import errno

    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_name if tb is not None else ""
    return (error.filename is None and where in {"echo", "write", "flush"}
            and error.errno in {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT})
