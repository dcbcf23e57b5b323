"""Which method `drsim run --method auto` uses, and why.

**The question is availability** when the run asks for nothing a trial or a drill story
would be needed for: no `--trials` (a number of trials), `--out` (trial rows), `--report`
(distributions and a worst trial's story), `--until` (a metric's CI), `--trial` (one
drill), and the scenario has no
objectives (rto/rpo/availability objectives are checked per trial by DES). Then, if the
scenario is Markovian (drsim.methods.markov), auto answers with the exact method; otherwise
with DES — Monte Carlo trials (`--trials`, default 1000), after which a note suggests
`--method rare` when fewer than `FEW_OUTAGES` trials saw an outage.

**Auto never approximates on its own.** A scenario that is Markovian but for a hot standby's
detection delay is answered by DES, with a note that `--approximate` would let the exact
method answer it (a phase-type approximation); with `--approximate` auto uses the exact
method on the approximating chain, and the answer says so.
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
    from drsim.methods.markov import NotMarkovian, build, hot_standby

    try:
        build(sc, bool(params.get("approximate")))
    except NotMarkovian as e:
        if e.approximable:
            return Choice("des", "auto chose des: the exact method would have to approximate "
                                 f"({e.reasons[0]})")
        return Choice("des", f"auto chose des: not Markovian ({_first(e.reasons)})")
    other = not_availability(sc, params)
    if other:
        return Choice("des", f"auto chose des: {other}")
    markovian = ("Markovian with the phase-type approximation --approximate allows"
                 if params.get("approximate") and hot_standby(sc) else "Markovian")
    return Choice("exact", f"auto chose exact: the scenario is {markovian} and the question is "
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
        hint = (f"--method rare --approximate estimates it by importance sampling on a "
                f"phase-type approximation ({e.reasons[0]})" if e.approximable else
                f"--method rare needs a Markovian scenario ({_first(e.reasons)})")
    return (f"only {with_outage} of {trials:,} trials saw an outage, too few for a firm "
            f"availability; {hint}")


def _first(reasons: list[str]) -> str:
    """The first reason, and how many more `--method exact` would list."""
    more = len(reasons) - 1
    return reasons[0] + (f"; and {more} more reason{'s' if more > 1 else ''}, each listed by "
                         "--method exact" if more else "")
