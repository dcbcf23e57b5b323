"""drsim replay: one drill against scaled wall-clock time, as a live board or a paced feed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.live import Live

from drsim.calendar import wall_clock
from drsim.cli.common import (
    DEBUG,
    Applies,
    Mode,
    err_console,
    handle_errors,
    load,
    out_console,
    refuse_inapplicable,
    stdout,
)
from drsim.report.replay import Board, Clock, Replay, event_line, play, terminal_keys
from drsim.report.text import why_lines
from drsim.units import format_duration


def _board_shown(p: Any) -> bool:
    return bool(p["live"]) and sys.stdout.isatty()


TERMINAL = Mode("on a terminal (the output here is not one, so the feed is printed as lines)",
                "remove it, or run drsim replay in a terminal",
                lambda p: not p["live"] or sys.stdout.isatty())
BOARD = Mode("to the live board (on a terminal, without --no-live)", "remove it",
             _board_shown)
PACED = Mode("with --speed above 0 (a paced replay)", "remove it or give --speed N above 0",
             lambda p: p["speed"] > 0)
SEEN = Mode("with --speed above 0 or on the live board (at --speed 0 the printed feed is the "
            "same)", "remove it or give --speed N above 0",
            lambda p: p["until_end"] or p["speed"] > 0 or _board_shown(p))

# which options apply in which mode (every other option applies in every mode)
APPLIES: Applies = {"live": [TERMINAL], "feed": [BOARD], "skip_quiet": [PACED],
                    "until_end": [SEEN]}


def replay(
    ctx: typer.Context,
    scenario: Path | None = typer.Argument(
        None, help="Scenario file; without one, the bundled New York → Chicago drill."),
    speed: float = typer.Option(600.0, "--speed", min=0,
                                help="Simulated seconds per real second (600: ten minutes a "
                                     "second; 0: as fast as possible)."),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="Root seed (default: the scenario's)."),
    live: bool = typer.Option(True, "--live/--no-live",
                              help="Show the live board, or print the feed as plain lines "
                                   "(one per event, still paced by --speed)."),
    until_end: bool = typer.Option(True, "--until-end/--horizon",
                                   help="Stop at the last event, or run the clock on to the "
                                        "scenario's horizon."),
    skip_quiet: float = typer.Option(10.0, "--skip-quiet", min=0, metavar="SECONDS",
                                     help="A quiet stretch longer than this many real seconds "
                                          "is skipped to one second before the next event; "
                                          "0 never skips (--speed exact throughout)."),
    feed: int = typer.Option(12, "--feed", min=1, help="Events shown on the board."),
    debug: bool = DEBUG,
) -> None:
    """Replay one drill in real time: clock, sites and links, customer groups, runbook steps
    and events as they happen. Keys: space pause/resume, + faster, - slower, q quit."""
    with handle_errors(debug):
        refuse_inapplicable(ctx, APPLIES)
        sc = load(scenario)
        drill = Replay(sc, seed, until_end)
        clock = Clock(speed)
        try:
            if live and sys.stdout.isatty():
                _board(drill, clock, skip_quiet, feed)
            else:
                _lines(drill, clock, skip_quiet)
            if drill.done:  # the whole drill was shown: say why it went as it did
                out = stdout()
                for line in why_lines(drill.preview, sc):
                    print(line, file=out)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def _lines(drill: Replay, clock: Clock, skip_quiet: float) -> None:
    out = stdout()

    def show(events: list) -> None:
        for e in events:
            print(event_line(drill.origin, e), file=out, flush=True)

    def skipped(span_s: float) -> None:
        err_console.print(f"(skipped {format_duration(span_s)} of quiet)", markup=False)

    play(drill, clock, show, skip_quiet=skip_quiet, on_skip=skipped)
    drill.result()  # checks the replay against the simulated drill


def _board(drill: Replay, clock: Clock, skip_quiet: float, feed: int) -> None:
    console = out_console()
    board = Board(drill, clock, feed)
    with terminal_keys(sys.stdin) as keys, \
            Live(board.render(0.0, console=console), console=console,
                 auto_refresh=False) as live:
        finished = play(drill, clock, board.take,
                        lambda now_s: live.update(board.render(now_s, console=console),
                                                  refresh=True),
                        keys, skip_quiet, on_skip=board.skipped)
        at = min(clock.now(), drill.stop_s)
        live.update(board.render(at, finished, console), refresh=True)
    drill.result()
    total = len(drill.preview.timeline)
    when = f"{wall_clock(drill.origin, at):%a %d %b %Y %H:%M:%S %Z}"
    if finished:
        console.print(f"Replay finished at {when}: {len(drill.events)} of {total} events, the "
                      f"same as drsim run with seed {drill.drill.seed}.")
    else:
        console.print(f"Replay stopped at {when} after {len(drill.events)} of {total} events.")
