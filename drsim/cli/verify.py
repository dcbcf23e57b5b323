"""drsim verify: simulate canonical systems and compare them with their exact answers."""

from __future__ import annotations

import contextlib
import sys
import time

import typer
from rich.console import Console
from rich.table import Table

from drsim import verification
from drsim.cli.common import DEBUG, fail_usage, handle_errors
from drsim.verification import DEFAULT_SEED, Case, CaseResult


def _show(value: float, case: Case) -> str:
    """A fraction as a percentage; a time in the case's unit."""
    if case.unit:
        return f"{value / case.scale:.4g} {case.unit}"
    return f"{value:.4%}"


def results_table(results: list[CaseResult], level: float = 0.95) -> Table:
    table = Table(title=f"drsim verify: simulated vs closed-form answers ({level * 100:g}% CI)",
                  title_justify="left")
    for name in ("case", "system", "metric"):
        table.add_column(name)
    for name in ("analytic", "simulated", f"{level * 100:g}% CI", "rel. error", "trials"):
        table.add_column(name, justify="right")
    table.add_column("")
    for r in results:
        c = r.case
        verdict = "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]"
        table.add_row(c.id, c.title, c.metric, _show(r.analytic, c), _show(r.simulated, c),
                      f"{_show(r.ci[0], c)} – {_show(r.ci[1], c)}", f"{r.rel_error:+.2%}",
                      str(r.trials), verdict)
    return table


def verify(
    trials: int | None = typer.Option(None, "--trials", min=2,
                                      help="Trials per case (default: each case's own "
                                           "count, enough for about ±3% relative)."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", min=0, help="Root seed."),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="Worker processes (default: all cores)."),
    case: list[str] | None = typer.Option(None, "--case",
                                          help="Run only this case (repeatable)."),
    level: float = typer.Option(0.95, "--level", min=0.5, max=0.9999,
                                help="Confidence level of each case's interval (0.995 makes "
                                     "ten cases pass together 95% of the time)."),
    debug: bool = DEBUG,
) -> None:
    """Simulate canonical systems (one repairable unit, series, parallel, k-out-of-n, cold
    standby, backups, active/passive) and compare each with its closed-form or Markov-chain
    answer; exit 1 if any analytic value falls outside its simulated CI (95% by default)."""
    with handle_errors(debug):
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
        try:
            chosen = verification.select(case) if case else verification.cases()
        except ValueError as e:
            fail_usage(str(e))
            return
        started = time.perf_counter()
        status = (console.status("simulating…") if console.is_terminal
                  else contextlib.nullcontext())
        with status as live:
            def tick(r: CaseResult) -> None:
                if live is not None:
                    live.update(f"simulated {r.case.title}; running the next case…")

            results = verification.verify(chosen, trials, seed, workers, progress=tick,
                                          level=level)
        console.print(results_table(results, level))
        for r in results:
            for problem in r.problems:
                console.print(f"{r.case.id}: {problem}", style="red", markup=False)
        failed = [r for r in results if not r.passed]
        console.print(f"{len(results) - len(failed)} of {len(results)} cases passed "
                      f"(seed {seed}, {time.perf_counter() - started:.1f} s).")
        if failed:
            console.print(f"A case fails when its analytic value lies outside its {level * 100:g}% "
                          "CI, which happens by chance to one case in "
                          f"{1 / (1 - level):.0f}: rerun with more --trials or another --seed; "
                          "a miss that persists is an engine bug.")
            raise typer.Exit(1)
