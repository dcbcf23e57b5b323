"""One Monte Carlo trial → one flat row of numbers; a batch of trials → rows, in trial order.

A row is what the statistics need and nothing more, so batches travel cheaply between
processes. A trial that raises becomes a row with its error and no metrics (desmod's rule:
one failed trial never loses the other 999).
"""

from __future__ import annotations

import math
import traceback
from typing import Any

from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.sim.engine import simulate
from drsim.topology import Topology

Row = dict[str, Any]


def columns(scenario: Scenario) -> list[str]:
    """Every column a trial row of this scenario has, in a stable order."""
    cols = ["trial", "error", "incidents", "first_incident_s", "ttd_s", "tta_s",
            "declared_after_s", "rto_basic_s", "rto_full_s", "all_restored", "all_recovered",
            "customer_minutes_lost", "downtime_s", "unavailability"]
    for g in sorted(scenario.customers):
        cols += [f"rto_basic_s.{g}", f"rto_full_s.{g}", f"downtime_s.{g}"]
    cols += [f"data_lost_s.{s}" for s in sorted(scenario.services)]
    for o in scenario.objectives:
        for kind, target in (("rto", o.rto), ("rpo", o.rpo), ("availability", o.availability)):
            if target is not None:
                cols.append(f"met.{o.id}.{kind}")
    return cols


def metrics_row(result: RunResult, scenario: Scenario) -> Row:
    """The numbers of one trial. Recovery times never reached are +inf (censored at the
    horizon, and counted as such by the statistics); times of things that never happened
    (no incident) are NaN."""
    m = result.metrics
    horizon = result.horizon_s
    weight = sum(g.customers for g in m.groups.values())
    first = result.incidents[0].start_s if result.incidents else math.nan
    row: Row = {
        "trial": result.trial, "error": None, "incidents": m.incidents,
        "first_incident_s": first,
        "ttd_s": _num(m.ttd_s), "tta_s": _num(m.tta_s),
        "declared_after_s": _num(m.declared_after_s),
        "rto_basic_s": _recovery(m.rto_basic_s, m.all_restored),
        "rto_full_s": _recovery(m.rto_full_s, m.all_recovered),
        "all_restored": m.all_restored, "all_recovered": m.all_recovered,
        "customer_minutes_lost": m.customer_minutes_lost, "downtime_s": m.downtime_s,
        "unavailability": sum(g.customers * g.downtime_s for g in m.groups.values())
        / (weight * horizon),
    }
    for g, gm in m.groups.items():
        row[f"rto_basic_s.{g}"] = _recovery(gm.rto_basic_s, gm.restored)
        row[f"rto_full_s.{g}"] = _recovery(gm.rto_full_s, gm.recovered)
        row[f"downtime_s.{g}"] = gm.downtime_s
    for s, lost in m.data_lost_s.items():
        row[f"data_lost_s.{s}"] = lost
    for o in m.objectives:
        row[f"met.{o.id}.{o.kind}"] = o.met
    return row


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _recovery(value: float | None, reached: bool) -> float:
    return math.inf if not reached else _num(value)


def run_trial(scenario: Scenario, seed: int, trial: int,
              topology: Topology | None = None) -> Row:
    try:
        # a row reads numbers only: no timeline
        return metrics_row(simulate(scenario, seed, trial, topology, timeline=False), scenario)
    except Exception as e:  # recorded, never raised: the other trials still count
        frames = traceback.extract_tb(e.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        return {"trial": trial, "error": f"{type(e).__name__}: {e}{where}"}


def run_batch(scenario: Scenario, seed: int, trials: list[int],
              topology: Topology | None = None) -> list[Row]:
    """Run the given trials in order, sharing one topology (its caches only save work: they
    never change an answer, so sharing them across trials keeps results reproducible)."""
    topology = topology or Topology(scenario)
    return [run_trial(scenario, seed, i, topology) for i in trials]
