"""Investment cost–benefit: what each option costs to own, what losses it avoids, and whether
it pays, with the Monte Carlo uncertainty carried through to every figure.

Money comes from each scenario's `costs` section. For every trial of a scenario:

    loss = Σ_groups downtime_s.<g> / 60 × customers(g) × downtime price of g's priority tier
         + Σ_services data_lost_s.<s> / 60 × data-loss price of s
    annual loss = loss × scale,  scale = costs.disruptions_per_year  (scripted faults), or
                                        365 d / horizon             (otherwise)

Every option runs with the baseline's seed, so trial i of every option sees the same random
numbers wherever the scenarios share elements (common random numbers): the avoided loss is the
mean of per-trial differences, with a paired t-interval. Costs of ownership are known numbers:

    TCO over N years = capital + N × operating   (sites, links, staff × heads, spares × stock)
    investment       = TCO(option) − TCO(baseline)
    net benefit      = N × avoided annual loss − investment
    ROI              = net benefit ÷ investment
    payback (years)  = extra capital ÷ (avoided annual loss − extra operating per year)

Net benefit and ROI are linear in the avoided loss and payback is monotone in it, so their
intervals are the avoided loss's interval carried through exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drsim.errors import DrsimError
from drsim.montecarlo import WorkerPool, run_trials
from drsim.scenario.schema import Costs, Scenario
from drsim.stats import Estimate, completed, is_horizon_based, mean_ci
from drsim.units import SECONDS_PER_YEAR, format_duration


class MissingCosts(DrsimError):
    """A scenario given to invest lacks the costs it needs."""


@dataclass(frozen=True)
class Ownership:
    """Known costs of owning a scenario's setup."""

    capital: float
    operating: float  # per year

    def tco(self, years: float) -> float:
        return self.capital + years * self.operating


def missing_costs(scenario: Scenario) -> list[str]:
    """What invest needs from `costs` and the scenario lacks (empty when complete)."""
    tiers = sorted({g.priority for g in scenario.customers.values()})
    tier_text = ", ".join(str(t) for t in tiers)
    costs = scenario.costs
    if costs is None:
        return [f"the costs section (at least costs.downtime: the cost of a customer-minute "
                f"for priority tier{'s' if len(tiers) > 1 else ''} {tier_text}; and the capital "
                "and operating costs of sites, links, staff and spares that differ between "
                "options)"]
    missing = [t for t in tiers if t not in costs.downtime]
    if not costs.downtime:
        return [f"costs.downtime (the cost of a customer-minute for priority "
                f"tier{'s' if len(tiers) > 1 else ''} {tier_text})"]
    if missing:
        return [f"costs.downtime price for tier{'s' if len(missing) > 1 else ''} "
                + ", ".join(map(str, missing))]
    return []


def require_costs(scenario: Scenario, label: str) -> Costs:
    gaps = missing_costs(scenario)
    if gaps:
        raise MissingCosts(f"{label}: invest needs costs this scenario does not give: "
                           + "; ".join(gaps) + ". Add them in a costs: section (see "
                           "docs/scenario-format.md#costs)")
    assert scenario.costs is not None
    return scenario.costs


def ownership(scenario: Scenario) -> Ownership:
    """Capital and yearly operating cost of everything priced in the scenario's costs."""
    costs = scenario.costs
    if costs is None:
        return Ownership(0.0, 0.0)
    capital = operating = 0.0
    for sid, c in costs.sites.items():
        if sid in scenario.sites:
            capital, operating = capital + c.capital, operating + c.operating
    for lid, c in costs.links.items():
        if lid in scenario.links:
            capital, operating = capital + c.capital, operating + c.operating
    for rid, c in costs.staff.items():
        if rid in scenario.staff:
            heads = scenario.staff[rid].headcount
            capital, operating = capital + heads * c.capital, operating + heads * c.operating
    for key, c in costs.spares.items():
        site, _, cid = key.partition(".")
        comp = scenario.sites[site].components.get(cid) if site in scenario.sites else None
        units = comp.spare.stock if comp is not None and comp.spare is not None else 0
        capital, operating = capital + units * c.capital, operating + units * c.operating
    return Ownership(capital, operating)


def annual_scale(scenario: Scenario) -> float:
    """Trials per year: costs.disruptions_per_year, else 365 d / horizon."""
    costs = scenario.costs
    if costs is not None and costs.disruptions_per_year is not None:
        return costs.disruptions_per_year
    return SECONDS_PER_YEAR / scenario.simulation.horizon


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame))
    x = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(x, nan=0.0)


def trial_losses(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Per completed trial (indexed by trial): downtime cost, data-loss cost, their sum, and the
    worst group's downtime, all per trial (not yet per year)."""
    costs = require_costs(scenario, scenario.name)
    ok = completed(frame)
    down = np.zeros(len(ok))
    for gid, grp in scenario.customers.items():
        down += _column(ok, f"downtime_s.{gid}") / 60.0 * grp.count * costs.downtime[grp.priority]
    data = np.zeros(len(ok))
    for sid in scenario.services:
        data += _column(ok, f"data_lost_s.{sid}") / 60.0 * costs.data_loss_price(sid)
    out = pd.DataFrame({"downtime_cost": down, "data_loss_cost": data,
                        "loss": down + data, "downtime_s": _column(ok, "downtime_s"),
                        "customer_minutes_lost": _column(ok, "customer_minutes_lost")},
                       index=pd.Index(ok["trial"].astype(int).to_numpy(), name="trial"))
    return out


@dataclass(frozen=True)
class Option:
    """One scenario's figures; the vs-baseline ones are None for the baseline itself."""

    label: str
    scenario: str
    trials: int  # completed trials used
    capital: float
    operating: float  # per year
    tco: float  # over the horizon of years
    scale: float  # trials per year used to annualise
    annual_loss: Estimate
    annual_downtime_cost: Estimate
    annual_data_loss_cost: Estimate
    annual_downtime_s: Estimate  # worst group's downtime per year
    annual_customer_minutes: Estimate
    extra_capital: float = 0.0
    extra_operating: float = 0.0
    investment: float = 0.0  # extra TCO over the years
    avoided_loss: Estimate | None = None  # per year, paired with the baseline
    paired_trials: int = 0
    net_benefit: Estimate | None = None
    roi: Estimate | None = None
    payback_years: Estimate | None = None
    pareto: bool = False


@dataclass(frozen=True)
class Investment:
    """The baseline first, then each option; the frontier of TCO against downtime."""

    years: float
    currency: str
    seed: int
    level: float
    options: tuple[Option, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def baseline(self) -> Option:
        return self.options[0]

    def option(self, label: str) -> Option:
        for o in self.options:
            if o.label == label:
                return o
        raise KeyError(label)

    @property
    def frontier(self) -> list[str]:
        """Labels of the Pareto-optimal options, cheapest first."""
        return [o.label for o in sorted(self.options, key=lambda o: (o.tco, o.label)) if o.pareto]

    def to_dict(self) -> dict[str, Any]:
        return {"years": self.years, "currency": self.currency, "seed": self.seed,
                "level": self.level, "options": [_option_dict(o) for o in self.options],
                "frontier": self.frontier, "notes": list(self.notes)}


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _est(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"value": _num(e.value), "low": _num(e.low), "high": _num(e.high), "n": e.n}


def _option_dict(o: Option) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in o.__dict__.items():
        out[k] = _est(v) if isinstance(v, Estimate) or v is None else (
            _num(v) if isinstance(v, float) else v)
    return out


def _scaled(e: Estimate, k: float, shift: float = 0.0) -> Estimate:
    """k × e + shift for k ≥ 0 (a linear map keeps a t-interval's coverage exactly)."""
    return Estimate(k * e.value + shift, k * e.low + shift, k * e.high + shift, e.n)


def payback(extra_capital: float, extra_operating: float, avoided: float) -> float:
    """Years until the extra capital is repaid by the yearly avoided loss net of the extra
    operating cost; inf when it never is, 0 when nothing extra is paid up front."""
    net = avoided - extra_operating
    if net <= 0:
        return math.inf
    return max(0.0, extra_capital) / net


def _payback_ci(extra_capital: float, extra_operating: float, avoided: Estimate) -> Estimate:
    def p(x: float) -> float:
        return payback(extra_capital, extra_operating, x) if not math.isnan(x) else math.nan
    # payback falls as the avoided loss rises: the interval's ends swap
    return Estimate(p(avoided.value), p(avoided.high), p(avoided.low), avoided.n)


def pareto_flags(points: Sequence[tuple[float, float]]) -> list[bool]:
    """True for each (cost, downtime) point that no other point dominates (≤ in both and < in
    one); equal points are all kept."""
    flags = []
    for i, (c, d) in enumerate(points):
        dominated = any((c2 <= c and d2 <= d) and (c2 < c or d2 < d)
                        for j, (c2, d2) in enumerate(points) if j != i)
        flags.append(not dominated)
    return flags


def evaluate(scenarios: Sequence[Scenario], frames: Sequence[pd.DataFrame], years: float,
             labels: Sequence[str], seed: int, level: float = 0.95) -> Investment:
    """The investment figures from trial frames already run (first = baseline, same seed)."""
    if years <= 0:
        raise DrsimError(f"--years {years:g}: give a positive number of years")
    for sc, label in zip(scenarios, labels, strict=True):
        require_costs(sc, label)
    currencies = {sc.costs.currency for sc in scenarios if sc.costs is not None}
    if len(currencies) > 1:
        raise DrsimError("the scenarios price in different currencies ("
                         + ", ".join(sorted(currencies)) + "); use one currency throughout")
    notes: list[str] = []
    losses = [trial_losses(f, sc) for f, sc in zip(frames, scenarios, strict=True)]
    base_sc, base_loss = scenarios[0], losses[0]
    base_own = ownership(base_sc)
    base_scale = annual_scale(base_sc)
    results: list[Option] = []
    for sc, label, loss, frame in zip(scenarios, labels, losses, frames, strict=True):
        own, scale = ownership(sc), annual_scale(sc)
        failed = len(frame) - len(loss)
        if failed:
            notes.append(f"{label}: {failed} trial{'s' if failed > 1 else ''} failed with an "
                         "error and are left out.")
        if (sc.costs is not None and sc.costs.disruptions_per_year is None
                and not is_horizon_based(sc)):
            notes.append(f"{label}: losses per {format_duration(sc.simulation.horizon)} trial "
                         f"are scaled by 365 d / horizon = {scale:,.4g} per year, as if the "
                         "scripted disruption struck every horizon; set "
                         "costs.disruptions_per_year to how often it really happens.")
        annual = {k: mean_ci(loss[k].to_numpy() * scale, level)
                  for k in ("loss", "downtime_cost", "data_loss_cost", "downtime_s",
                            "customer_minutes_lost")}
        opt = Option(label=label, scenario=sc.name, trials=len(loss), capital=own.capital,
                     operating=own.operating, tco=own.tco(years), scale=scale,
                     annual_loss=annual["loss"], annual_downtime_cost=annual["downtime_cost"],
                     annual_data_loss_cost=annual["data_loss_cost"],
                     annual_downtime_s=annual["downtime_s"],
                     annual_customer_minutes=annual["customer_minutes_lost"])
        if results:  # an option: pair its trials with the baseline's
            both = pd.merge(base_loss[["loss"]].rename(columns={"loss": "loss_base"}),
                            loss[["loss"]], left_index=True, right_index=True, how="inner")
            avoided = mean_ci(both["loss_base"].to_numpy() * base_scale
                              - both["loss"].to_numpy() * scale, level)
            extra_cap = own.capital - base_own.capital
            extra_op = own.operating - base_own.operating
            investment = own.tco(years) - base_own.tco(years)
            net = _scaled(avoided, years, -investment)
            roi = (_scaled(avoided, years / investment, -1.0) if investment > 0
                   else None)
            opt = _replace(opt, extra_capital=extra_cap, extra_operating=extra_op,
                           investment=investment, avoided_loss=avoided, paired_trials=len(both),
                           net_benefit=net, roi=roi,
                           payback_years=_payback_ci(extra_cap, extra_op, avoided))
        results.append(opt)
    flags = pareto_flags([(o.tco, o.annual_downtime_s.value) for o in results])
    results = [_replace(o, pareto=f) for o, f in zip(results, flags, strict=True)]
    if any(o.investment <= 0 for o in results[1:]):
        notes.append("An option that costs no more than the baseline has no ROI (there is no "
                     "investment to return); judge it by its net benefit.")
    currency = base_sc.costs.currency if base_sc.costs is not None else ""
    return Investment(years, currency, seed, level, tuple(results), tuple(notes))


def _replace(o: Option, **changes: Any) -> Option:
    from dataclasses import replace

    return replace(o, **changes)


def invest(baseline: Scenario, options: Sequence[Scenario], years: float = 5,
           trials: int = 1000, seed: int | None = None, workers: int | None = None,
           labels: Sequence[str] | None = None, level: float = 0.95,
           backend: str = "local") -> Investment:
    """Run the baseline and every option with the same seed (paired trials) and weigh them."""
    scenarios = [baseline, *options]
    labels = list(labels) if labels is not None else [sc.name for sc in scenarios]
    for sc, label in zip(scenarios, labels, strict=True):
        require_costs(sc, label)  # before any trial runs
    root = baseline.simulation.seed if seed is None else seed
    frames = []
    with WorkerPool.shared(workers, backend) as pool:  # one pool for every run
        for sc in scenarios:
            frames.append(run_trials(sc, trials, root, pool=pool).stop_if_interrupted().frame)
    return evaluate(scenarios, frames, years, labels, root, level)
