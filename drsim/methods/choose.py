"""Which method `drsim run --method auto` uses, and why.

**The question is availability** when the run asks for nothing a trial or a drill story
would be needed for: no `--trials` (a number of trials), `--out` (trial rows), `--report`
(distributions and a worst trial's story), `--until` (a metric's CI), `--trial` (one
drill), and the scenario has no
objectives (rto/rpo/availability objectives are checked per trial by DES). Then, if the
scenario is Markovian (drsim.methods.markov), auto answers with the exact method; otherwise
with DES — Monte Carlo trials (`--trials`, default 1000), after which a note suggests
`--method rare` when fewer than `FEW_OUTAGES` trials saw an outage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drsim.scenario.schema import Scenario

METHODS = ("des", "exact", "rare", "auto")
FEW_OUTAGES = 10
TRIAL_QUESTIONS = {"trials": "--trials", "out": "--out", "report": "--report", "until": "--until",
                   "trial": "--trial"}


@dataclass(frozen=True)
class Choice:
    method: str  # des, exact or rare
    why: str  # one line: why auto chose it ('' when the user named the method)


def not_availability(sc: Scenario, params: Mapping[str, Any]) -> str:
    """Why the question is more than availability ('' when it is only availability)."""
    asked = [flag for name, flag in TRIAL_QUESTIONS.items() if params.get(name) is not None]
    if asked:
        return f"{' and '.join(asked)} ask{'s' if len(asked) == 1 else ''} for trials"
    if sc.objectives:
        return "the scenario's objectives are checked per trial"
    return ""


def choose(sc: Scenario, method: str, params: Mapping[str, Any]) -> Choice:
    if method != "auto":
        return Choice(method, "")
    from drsim.methods.markov import NotMarkovian, build

    try:
        build(sc)
    except NotMarkovian as e:
        return Choice("des", f"auto chose des: not Markovian ({e.reasons[0]})")
    other = not_availability(sc, params)
    if other:
        return Choice("des", f"auto chose des: {other}")
    return Choice("exact", "auto chose exact: the scenario is Markovian and the question is "
                           "availability")


def few_outages_note(with_outage: int, trials: int, sc: Scenario) -> str:
    """'' or a note that the DES availability rests on too few outages."""
    if with_outage >= FEW_OUTAGES:
        return ""
    from drsim.methods.markov import NotMarkovian, build

    try:
        build(sc)
        hint = "--method rare estimates it by importance sampling"
    except NotMarkovian as e:
        hint = f"--method rare needs a Markovian scenario ({e.reasons[0]})"
    return (f"only {with_outage} of {trials:,} trials saw an outage, too few for a firm "
            f"availability; {hint}")
