"""`drsim run --method exact|rare`: answer from the scenario's Markov chain, without trials."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from drsim.report.output import write_json

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console

    from drsim.scenario.schema import Scenario

RARE_TARGET = 0.05  # the rare method runs until its 95% interval is within ±5%
RARE_SECONDS = 20.0  # or this much CPU has gone


def answer(sc: Scenario, method: str, seed: int, json_out: Path | None, console: Console,
           approximate: bool = False, path: Path | None = None) -> None:
    """Build the chain (not Markovian: one line per reason at its place in `path`, exit 2,
    nothing written), solve or estimate, print, and write --json."""
    from drsim.methods import exact, markov, rare
    from drsim.report.method_text import render_exact, render_rare

    with reasons_placed(sc, path):
        model = markov.build(sc, approximate)
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


@contextmanager
def reasons_placed(sc: Scenario, path: Path | None) -> Iterator[None]:
    """A NotMarkovian refusal as a ScenarioError: each reason one issue, at the line of the
    element it names in the scenario file (`path`; None: the bundled scenario)."""
    from drsim.errors import Issue, ScenarioError
    from drsim.methods.markov import NotMarkovian

    try:
        yield
    except NotMarkovian as e:
        from drsim.bundled import default_scenario
        from drsim.scenario.variants import load_resolved

        raw = load_resolved(path if path is not None else default_scenario())
        issues = []
        for reason in e.reasons:
            where = e.path(reason)
            key: tuple[str | int, ...] = tuple(where.split(".")) if where else ()
            if key[:1] == ("disruptions",):  # a list: its items are placed by index
                key = ("disruptions", [d.id for d in sc.disruptions].index(str(key[1])))
            line, col, file = raw.place(key, key=True)
            issues.append(Issue(line, col, where, reason.removeprefix(f"{where}: "), file))
        raise ScenarioError(issues) from None
