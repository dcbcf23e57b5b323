"""A RunResult as pandas DataFrames: the event timeline, outages, status intervals, steps.

Times come twice: simulation seconds (`*_s`, float; NaN for an interval still open at the
horizon) and wall-clock instants in the scenario's time zone (tz-aware pandas Timestamps;
NaT when open). Frames round-trip through Parquet unchanged and through CSV as ISO strings.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Protocol

import pandas as pd

from drsim.recorder import Event, Interval, StepRecord


class RunResult(Protocol):
    """What these frames read of a drsim.result.RunResult. A protocol, not an import: result.py
    imports this module (lazily) for its frame methods, so importing it back would close a
    circle (tests/test_api_structure.py keeps it open)."""

    @property
    def origin(self) -> datetime: ...
    @property
    def horizon_s(self) -> float: ...
    @property
    def timeline(self) -> tuple[Event, ...]: ...
    @property
    def intervals(self) -> tuple[Interval, ...]: ...
    @property
    def outages(self) -> tuple[Interval, ...]: ...
    @property
    def steps(self) -> tuple[StepRecord, ...]: ...

TIMELINE_COLUMNS = ["time_s", "wall_clock", "kind", "subject", "detail"]
INTERVAL_COLUMNS = ["subject", "what", "start_s", "end_s", "duration_s", "open", "start", "end"]
OUTAGE_COLUMNS = ["group", "service", "start_s", "end_s", "duration_s", "open", "start", "end"]
STEP_COLUMNS = ["runbook", "step", "start_s", "end_s", "duration_s", "who", "outcome",
                "attempts", "waited_s", "start", "end"]


def _wall(result: RunResult, times_s: list[float]) -> pd.Series:
    """Simulation seconds → tz-aware Timestamps in the scenario's zone (NaN → NaT)."""
    tz = result.origin.tzinfo
    origin = pd.Timestamp(result.origin)
    deltas = pd.to_timedelta(pd.Series(times_s, dtype=float), unit="s")
    return (origin.tz_convert("UTC") + deltas).dt.tz_convert(tz)


def timeline_frame(result: RunResult) -> pd.DataFrame:
    """One row per recorded event, in time order."""
    events = result.timeline
    frame = pd.DataFrame({
        "time_s": pd.Series([e.time_s for e in events], dtype=float),
        "kind": pd.Series([e.kind for e in events], dtype=object),
        "subject": pd.Series([e.subject for e in events], dtype=object),
        "detail": pd.Series([e.detail for e in events], dtype=object),
    })
    frame.insert(1, "wall_clock", _wall(result, frame["time_s"].tolist()))
    return frame[TIMELINE_COLUMNS]


def _spans(result: RunResult, intervals: tuple[Interval, ...], names: tuple[str, str],
           columns: list[str]) -> pd.DataFrame:
    ends = [math.nan if i.end_s is None else i.end_s for i in intervals]
    frame = pd.DataFrame({
        names[0]: pd.Series([i.subject for i in intervals], dtype=object),
        names[1]: pd.Series([i.what for i in intervals], dtype=object),
        "start_s": pd.Series([i.start_s for i in intervals], dtype=float),
        "end_s": pd.Series(ends, dtype=float),
        "duration_s": pd.Series([i.length_s(result.horizon_s) for i in intervals],
                                dtype=float),
        "open": pd.Series([i.end_s is None for i in intervals], dtype=bool),
    })
    frame["start"] = _wall(result, frame["start_s"].tolist())
    frame["end"] = _wall(result, ends)
    return frame[columns]


def intervals_frame(result: RunResult) -> pd.DataFrame:
    """Every status spell: `subject` (a customer group) lacked `what` (a service id, 'basic'
    or 'full'); duration_s counts an open spell up to the horizon."""
    return _spans(result, result.intervals, ("subject", "what"), INTERVAL_COLUMNS)


def outages_frame(result: RunResult) -> pd.DataFrame:
    """The spells when a customer group lacked one of its services."""
    return _spans(result, result.outages, ("group", "service"), OUTAGE_COLUMNS)


def steps_frame(result: RunResult) -> pd.DataFrame:
    """One row per runbook step run: who did it (comma-separated), outcome, attempts."""
    steps = result.steps
    frame = pd.DataFrame({
        "runbook": pd.Series([s.runbook for s in steps], dtype=object),
        "step": pd.Series([s.step for s in steps], dtype=object),
        "start_s": pd.Series([s.start_s for s in steps], dtype=float),
        "end_s": pd.Series([s.end_s for s in steps], dtype=float),
        "duration_s": pd.Series([s.end_s - s.start_s for s in steps], dtype=float),
        "who": pd.Series([", ".join(s.who) for s in steps], dtype=object),
        "outcome": pd.Series([s.outcome for s in steps], dtype=object),
        "attempts": pd.Series([s.attempts for s in steps], dtype="int64"),
        "waited_s": pd.Series([s.waited_s for s in steps], dtype=float),
    })
    frame["start"] = _wall(result, frame["start_s"].tolist())
    frame["end"] = _wall(result, frame["end_s"].tolist())
    return frame[STEP_COLUMNS]
