"""`drsim run --method exact|rare`: answer from the scenario's Markov chain, without trials."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from drsim.report.output import write_json

if TYPE_CHECKING:
    from rich.console import Console

    from drsim.scenario.schema import Scenario

RARE_TARGET = 0.05  # the rare method runs until its 95% interval is within ±5%
RARE_SECONDS = 20.0  # or this much CPU has gone


def answer(sc: Scenario, method: str, seed: int, json_out: Path | None,
           console: Console) -> None:
    """Build the chain (NotMarkovian: one line, exit 2), solve or estimate, print, and write
    --json."""
    from drsim.methods import exact, markov, rare
    from drsim.report.method_text import render_exact, render_rare

    model = markov.build(sc)
    if method == "exact":
        solved = exact.solve(model, sc.name)
        if json_out is not None:
            write_json(json_out, solved.to_dict())
        render_exact(solved, console, sc.name)
    else:
        estimated = rare.estimate(model, seed, target=RARE_TARGET, max_seconds=RARE_SECONDS,
                                  scenario=sc.name)
        if json_out is not None:
            write_json(json_out, {**estimated.to_dict(), "seed": seed})
        render_rare(estimated, console, sc.name)
    if sc.objectives:
        console.print(f"note: objectives are checked per trial; --method {method} does not "
                      "check them (use --method des)")
