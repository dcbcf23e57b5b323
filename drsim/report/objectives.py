"""Objectives as people read them: every availability target with its period.

An availability objective (`availability: 99.5%`) is a yearly target: 99.5% per year allows
(1 − 0.995) × 365 days = 43h 48m of downtime a year (its downtime budget). drsim.metrics
judges it over the simulated horizon: met when the (customer-weighted) availability over the
horizon is at least the target. What that means depends on the run (docs/metrics.md):

- a horizon run (random failures, or a horizon of 30 days or more) estimates the year: the
  availability over the horizon is the annualised availability, shown "per year", with the
  downtime it implies per year;
- a drill (a short scripted horizon) is judged pro rata over its own window: 99.5% over a
  2-day drill allows 0.5% of 2 days = 14m 24s down. Its availability is shown "over the
  drill's 2 days", never as if it were the year's, beside the share of the year's downtime
  budget the drill used (3h 57m of 43h 48m = 9.0%).

Pure presentation: nothing here changes a verdict; it reads RunResult metrics and the
Scenario's horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

from drsim.metrics import ObjectiveResult
from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.units import SECONDS_PER_YEAR, format_duration


def humanise(seconds: float) -> str:
    """A duration in words, largest units first, zeros left out: '2 days', '1 day 6 hours',
    '90 minutes' is '1 hour 30 minutes'; under a minute, seconds."""
    whole = round(seconds)
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        n, whole = divmod(whole, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    if whole and not parts:
        parts.append(f"{whole} second{'s' if whole != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


def percent(x: float, digits: int = 3) -> str:
    """A fraction as a percentage with up to `digits` decimals, trailing zeros left out
    (99.5%, 99.955%); never rounded up to 100% unless it is 1 (99.99996% stays below)."""
    for d in range(digits, 10):
        text = f"{x * 100:.{d}f}"
        if x >= 1.0 or float(text) < 100.0:
            break
    return text.rstrip("0").rstrip(".") + "%" if "." in text else text + "%"


@dataclass(frozen=True)
class AvailabilityPeriod:
    """An availability objective's result read against its period (all times in seconds).

    yearly: a horizon run (the achieved value is the year's); else a drill judged pro rata.
    downtime_s: customer-weighted downtime over the horizon, (1 − achieved) × horizon.
    allowed_s: the downtime the target allows over the horizon, (1 − target) × horizon.
    budget_s: the downtime the target allows in a year, (1 − target) × 365 days.
    per_year_s: the downtime per year at the achieved rate, downtime × year ÷ horizon.
    used: the share of a year's budget the horizon's downtime used (downtime ÷ budget);
    +inf for a 100% target (no budget at all) with any downtime.
    """

    yearly: bool
    horizon_s: float
    target: float
    achieved: float
    downtime_s: float
    allowed_s: float
    budget_s: float
    per_year_s: float
    used: float

    @property
    def period(self) -> str:
        return "per year" if self.yearly else f"over the drill's {humanise(self.horizon_s)}"

    def target_text(self) -> str:
        """'99.5% per year'."""
        return f"{percent(self.target, 6)} per year"

    def achieved_text(self) -> str:
        """'99.97% per year' or '91.773% over the drill's 2 days'."""
        return f"{percent(self.achieved)} {self.period}"

    def budget_text(self) -> str:
        """What the numbers mean in downtime. A horizon run: '2h 38m 46s down per year;
        99.95% per year allows 4h 22m 48s'. A drill: '3h 56m 56s down over the drill's 2 days,
        9.0% of the year's budget (99.5% per year allows 1d 19h 48m a year, 14m 24s pro rata
        over 2 days)'."""
        allows = f"{percent(self.target, 6)} per year allows {format_duration(self.budget_s)}"
        if self.yearly:
            return f"{format_duration(self.per_year_s)} down per year; {allows}"
        used = "more than all" if self.used == float("inf") else f"{self.used:.1%}"
        return (f"{format_duration(self.downtime_s)} down {self.period}, {used} of the year's "
                f"budget ({allows} a year, {format_duration(self.allowed_s)} pro rata over "
                f"{humanise(self.horizon_s)})")


def availability_period(o: ObjectiveResult, horizon_s: float,
                        yearly: bool) -> AvailabilityPeriod | None:
    """The period reading of an availability objective's result; None for rto and rpo."""
    if o.kind != "availability" or o.achieved is None:
        return None
    downtime = max(0.0, 1.0 - o.achieved) * horizon_s
    budget = (1.0 - o.target) * SECONDS_PER_YEAR
    used = downtime / budget if budget > 0 else (0.0 if downtime == 0 else float("inf"))
    return AvailabilityPeriod(
        yearly=yearly, horizon_s=horizon_s, target=o.target, achieved=o.achieved,
        downtime_s=downtime, allowed_s=(1.0 - o.target) * horizon_s, budget_s=budget,
        per_year_s=downtime * SECONDS_PER_YEAR / horizon_s, used=used)


def objective_dict(o: ObjectiveResult, horizon_s: float, yearly: bool) -> dict[str, object]:
    """One objective's result for --json: the engine's fields, and for availability its period
    (`"year"` or `"drill"`), downtime, the downtime allowed over the horizon, the year's
    budget, the downtime per year and the share of the year's budget used."""
    out: dict[str, object] = {"id": o.id, "kind": o.kind, "subject": o.subject,
                              "target": o.target, "achieved": o.achieved, "met": o.met}
    p = availability_period(o, horizon_s, yearly)
    if p is not None:
        out |= {"period": "year" if yearly else "drill", "period_s": horizon_s,
                "period_text": p.period, "downtime_s": p.downtime_s, "allowed_s": p.allowed_s,
                "budget_per_year_s": p.budget_s, "downtime_per_year_s": p.per_year_s,
                "budget_used": None if p.used == float("inf") else p.used}
    return out


def is_yearly(horizon_s: float, scenario: Scenario | None) -> bool:
    """A horizon run (availability per year) rather than a drill: random failures or a
    horizon of 30 days or more (stats.is_horizon_based); by the horizon alone without the
    scenario."""
    from drsim.stats import HORIZON_BASED_S, is_horizon_based  # pandas: imported when used

    return is_horizon_based(scenario) if scenario is not None else horizon_s >= HORIZON_BASED_S


def objectives_json(result: RunResult, scenario: Scenario | None) -> list[dict[str, object]]:
    """Every objective's result of one run, availability with its period (objective_dict)."""
    yearly = is_yearly(result.horizon_s, scenario)
    return [objective_dict(o, result.horizon_s, yearly) for o in result.metrics.objectives]


def availability_label(objective_id: str, target: float, scenario: Scenario) -> str:
    """How often an availability objective was met, as its Monte Carlo row reads:
    'enterprise-availability: availability ≥ 99.5% per year' for a horizon run,
    '…: availability ≥ 99.5% over each trial's 2 days' for a drill (judged pro rata)."""
    horizon = scenario.simulation.horizon
    if is_yearly(horizon, scenario):
        return f"{objective_id}: availability ≥ {percent(target, 6)} per year"
    return (f"{objective_id}: availability ≥ {percent(target, 6)} over each trial's "
            f"{humanise(horizon)}")


def proportion_labels(scenario: Scenario) -> dict[str, str]:
    """Trial-frame column → label for every availability objective of the scenario
    ('met.<id>.availability'); other columns keep their usual labels."""
    return {f"met.{o.id}.availability": availability_label(o.id, o.availability, scenario)
            for o in scenario.objectives if o.availability is not None}


def drill_json(result: RunResult, scenario: Scenario | None) -> dict[str, object]:
    """RunResult.to_dict() with a top-level "objectives": each objective's result, and for
    availability its period, downtime budget and the share of it used (objective_dict)."""
    return {**result.to_dict(), "objectives": objectives_json(result, scenario)}
