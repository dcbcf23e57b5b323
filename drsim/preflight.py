"""Pre-flight: how much work a command asks for, estimated before any of it starts.

A scenario with ten thousand units that fail every minute for a century, a billion trials, a
sweep of a thousand cells, or an `--until` precision no trial cap can reach would run for days
or exhaust memory before saying anything. Such requests are refused with the estimate, unless
`--force`. The estimates are orders of magnitude, from the scenario alone (nothing is run):

- **events per trial**: each random failure (a unit, site or link failing over the horizon:
  count × horizon ÷ mean time to failure) costs about EVENTS_PER_FAILURE simulated events
  (failure, detection checks, repair, refreshes; measured on the bundled years: 13–16), on
  top of BASE_EVENTS for the drill itself (its incidents, runbooks and paging);
- **memory**: the trial rows the command holds, BYTES_PER_VALUE per value (a row is kept as
  Python objects until the table is built);
- **--until**: a 95% interval within ±p of a mean needs about (1.96 · CV / p)² trials, CV being
  the metric's coefficient of variation; a target that would need more than the cap even for
  a metric as steady as CV = STEADY_CV can never be met.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from drsim.scenario.schema import Scenario
from drsim.trial import columns

EVENTS_PER_FAILURE = 16
BASE_EVENTS = 200
BYTES_PER_VALUE = 100
MAX_EVENTS_PER_TRIAL = 10**7  # about a minute of one core per trial
MAX_EVENTS = 10**10  # about a day of one core for the whole command
STEADY_CV = 0.1


@dataclass(frozen=True)
class Estimate:
    """The work a command asks for: `trials` of each of `cells` scenarios (a comparison's
    variants, a sweep's grid), `events_per_trial` each, `biggest` saying what makes most."""

    events_per_trial: float
    biggest: str
    trials: int
    cells: int
    values_per_row: int

    @property
    def events(self) -> float:
        return self.events_per_trial * self.trials * self.cells

    @property
    def memory_bytes(self) -> float:
        return float(self.trials) * self.cells * self.values_per_row * BYTES_PER_VALUE


def estimate(scenario: Scenario, trials: int, cells: int = 1) -> Estimate:
    """The events and memory of `trials` trials of `cells` scenarios like this one."""
    horizon = scenario.simulation.horizon
    sources: list[tuple[float, str]] = []
    if scenario.simulation.random_failures:
        for site_id, site in scenario.sites.items():
            if site.ttf is not None:
                sources.append((horizon / site.ttf.mean, f"site {site_id}"))
            for comp_id, comp in site.components.items():
                if comp.ttf is not None:
                    sources.append((comp.count * horizon / comp.ttf.mean,
                                    f"{comp.count:,} unit{'s' if comp.count != 1 else ''} of "
                                    f"{site_id}.{comp_id}"))
        for link_id, link in scenario.links.items():
            if link.ttf is not None:
                sources.append((horizon / link.ttf.mean, f"link {link_id}"))
    failures = sum(n for n, _ in sources)
    top = max(sources, default=(0.0, ""))
    biggest = (f"{about(failures)} random failures per trial, {about(top[0])} of them of "
               f"{top[1]}"
               if failures else "the drill itself")
    return Estimate(BASE_EVENTS + EVENTS_PER_FAILURE * failures, biggest, trials, cells,
                    len(columns(scenario)))


def beyond_limits(scenarios: list[Scenario], trials: int, until: float | None = None,
                  cells: int | None = None, keeps_rows: bool = True,
                  fewer: str = "fewer trials") -> list[str]:
    """What makes `trials` paired trials of each of `scenarios` (or of `cells` scenarios
    like them: a sweep's grid) too big to start. `keeps_rows`: the command holds a row per
    trial (sensitivity keeps only a mean per point); `fewer`: what to ask for less of."""
    worst = max((estimate(sc, trials, cells or len(scenarios)) for sc in scenarios),
                key=lambda e: e.events_per_trial)
    return problems(worst, until, keeps_rows, fewer)


def about(x: float) -> str:
    """A large count in words, to three figures: 80 billion, 3.15 million, 921, 1.5."""
    for scale, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if x >= scale:
            return f"{x / scale:,.3g} {name}"
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def physical_memory() -> float:
    """Bytes of RAM on this machine (inf where the OS does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def problems(est: Estimate, until: float | None = None, keeps_rows: bool = True,
             fewer: str = "fewer trials") -> list[str]:
    """What is beyond the limits, one line each (empty when nothing is)."""
    out = []
    if est.events_per_trial > MAX_EVENTS_PER_TRIAL:
        out.append(f"about {about(est.events_per_trial)} simulated events per trial "
                   f"({est.biggest}), more than {about(MAX_EVENTS_PER_TRIAL)}: one trial would "
                   "take minutes "
                   "to hours; check the times to failure and the horizon (simulate a shorter "
                   "horizon and annualise)")
    elif est.events > MAX_EVENTS:
        what = f"{est.trials:,} trials" + (f" × {est.cells:,} scenarios" if est.cells > 1 else "")
        out.append(f"about {about(est.events)} simulated events in all ({what}, about "
                   f"{about(est.events_per_trial)} each), more than {about(MAX_EVENTS)}: a day "
                   f"of one core or more; ask for {fewer}")
    ram = physical_memory()
    if keeps_rows and est.memory_bytes > ram / 2:
        cells = f" × {est.cells:,} scenarios" if est.cells > 1 else ""
        out.append(f"about {about(est.memory_bytes / 2**30)} GiB for the trial rows "
                   f"({est.trials:,} trials{cells} × {est.values_per_row} values), more than "
                   f"half of this machine's {about(ram / 2**30)} GiB; ask for fewer trials")
    if until is not None:
        needed = (1.96 * STEADY_CV / until) ** 2
        if needed > est.trials:
            out.append(f"--until ±{until:.3%}: even a metric as steady as a coefficient of "
                       f"variation of {STEADY_CV} needs about {needed:,.0f} trials for that, "
                       f"and at most {est.trials:,} will run; widen the target or raise --trials")
    return out
