"""RunResult: everything one simulated drill produced, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from drsim.calendar import wall_clock
from drsim.metrics import IncidentRecord, Metrics
from drsim.recorder import DataLoss, Event, Interval, PendingStep, StepRecord, Why, to_jsonable

if TYPE_CHECKING:
    import pandas as pd

    from drsim.report.tidy import TidyKind


@dataclass(frozen=True)
class RunResult:
    """One trial: the timeline, outage intervals, runbook step log, data losses, metrics, and
    the cause chains that say why (drsim/report/why.py reads them)."""

    scenario: str
    seed: int
    trial: int
    origin: datetime
    horizon_s: float
    timeline: tuple[Event, ...]
    intervals: tuple[Interval, ...]
    steps: tuple[StepRecord, ...]
    losses: tuple[DataLoss, ...]
    incidents: tuple[IncidentRecord, ...]
    metrics: Metrics
    whys: tuple[Why, ...] = ()  # cause chains: why each group lacked service, each step waited
    pending: tuple[PendingStep, ...] = ()  # steps not done at the horizon

    def wall(self, time_s: float) -> datetime:
        """Simulation seconds → local wall-clock time of the scenario."""
        return wall_clock(self.origin, time_s)

    @property
    def outages(self) -> tuple[Interval, ...]:
        """Intervals when a customer group lacked one of its services."""
        return tuple(i for i in self.intervals if i.what not in ("basic", "full"))

    # DataFrames (drsim/report/frames.py): wall-clock columns are tz-aware Timestamps.

    def timeline_frame(self) -> pd.DataFrame:
        """Every event: time_s, wall_clock, kind, subject, detail."""
        from drsim.report.frames import timeline_frame

        return timeline_frame(self)

    def outages_frame(self) -> pd.DataFrame:
        """Each spell a customer group lacked a service: group, service, start_s, end_s..."""
        from drsim.report.frames import outages_frame

        return outages_frame(self)

    def intervals_frame(self) -> pd.DataFrame:
        """Every status spell (a service, 'basic' or 'full'): subject, what, start_s, end_s..."""
        from drsim.report.frames import intervals_frame

        return intervals_frame(self)

    def steps_frame(self) -> pd.DataFrame:
        """Every runbook step run: runbook, step, start_s, end_s, who, outcome, attempts..."""
        from drsim.report.frames import steps_frame

        return steps_frame(self)

    def tidy(self, kind: TidyKind = "groups") -> pd.DataFrame:
        """Long format: kind="groups" → group, metric, value (rto_basic_s, rto_full_s,
        downtime_s, availability); kind="objectives" → objective, kind, subject, target,
        achieved, met (drsim/report/tidy.py)."""
        from drsim.report.tidy import tidy_groups, tidy_objectives

        if kind == "groups":
            return tidy_groups(self.metrics)
        if kind == "objectives":
            return tidy_objectives(self.metrics)
        raise ValueError(f"unknown kind {kind!r} for one run; use 'groups' or 'objectives'")

    def __repr__(self) -> str:
        from drsim.report.notebook import run_repr

        return run_repr(self)

    def _repr_html_(self) -> str:
        from drsim.report.notebook import run_html

        return run_html(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "seed": self.seed, "trial": self.trial,
            "start": self.origin.isoformat(), "horizon_s": self.horizon_s,
            "metrics": to_jsonable(self.metrics),
            "incidents": to_jsonable(self.incidents),
            "timeline": [{**to_jsonable(e), "wall_clock": self.wall(e.time_s).isoformat()}
                         for e in self.timeline],
            "outages": to_jsonable(self.outages),
            "status_intervals": to_jsonable(self.intervals),
            "steps": to_jsonable(self.steps),
            "data_losses": to_jsonable(self.losses),
            "causes": to_jsonable(self.whys),
            "pending_steps": to_jsonable(self.pending),
        }
