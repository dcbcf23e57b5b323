"""The drill log: one row per execution of one step (CSV with a header line, or JSON).

Columns (JSON: the same names as keys of each record, in a list or under "runs"):

    drill       the drill's id (any text): rows of one drill belong together
    step        the step's name as the log writes it (mapped to `runbook.step` by the map)
    start       when the step started (ISO 8601: 2026-03-10T10:42:00Z)
    end         when it finished                                   → exact duration
    stopped     or: when it was stopped at its timebox, or last seen still running
                                                                   → right-censored (> so far)
    end_after, end_before
                or: the log is coarse: it ended between these two times
                                                                   → interval-censored
    outcome     optional: success, failed or retried
    people      optional: who worked on it, separated by ';'
    notes       optional: free text

Exactly one of `end`, `stopped`, or the pair `end_after` + `end_before` is given per row.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, cast

from drsim.calibrate.inputs import FieldProblem, InputError, InputIssue, Row, parse_time, read_rows
from drsim.calibrate.records import StepRun
from drsim.errors import show

REQUIRED = ("drill", "step", "start")
OPTIONAL = ("end", "stopped", "end_after", "end_before", "outcome", "people", "notes")
OUTCOMES = ("success", "failed", "retried")
_ENDINGS = "give exactly one of end, stopped, or end_after with end_before"


def read_drill_log(path: str | Path, tz: tzinfo = UTC) -> list[StepRun]:
    """Every step run in the drill log at `path` (its `step` still the log's own name); an
    InputError lists every problem, one line each."""
    rows = read_rows(path, "runs", REQUIRED, OPTIONAL)
    runs: list[StepRun] = []
    problems: list[InputIssue] = []
    first: dict[tuple[str, str, datetime], str] = {}
    for row in rows:
        try:
            run = _run(row, tz)
        except FieldProblem as e:
            problems.append(row.problem(e))
            continue
        key = (run.drill, run.step, run.start)
        if key in first:
            problems.append(row.issue("<row>", f"same drill, step and start as {first[key]}; "
                                               "remove the duplicate"))
            continue
        first[key] = row.where
        runs.append(run)
    if problems:
        raise InputError(problems)
    return runs



def _time(row: Row, name: str, tz: tzinfo) -> datetime | None:
    text = row.text(name)
    if text is None:
        return None
    try:
        return parse_time(text, tz)
    except ValueError as e:
        raise FieldProblem(name, str(e)) from None


def _run(row: Row, tz: tzinfo) -> StepRun:
    drill, step = row.text("drill"), row.text("step")
    for name, value in (("drill", drill), ("step", step)):
        if value is None:
            raise FieldProblem(name, f"empty; every row names its {name}")
    start = _time(row, "start", tz)
    if start is None:
        raise FieldProblem("start", "empty; every row has the time the step started")
    end, stopped = _time(row, "end", tz), _time(row, "stopped", tz)
    after, before = _time(row, "end_after", tz), _time(row, "end_before", tz)
    given = [n for n, v in (("end", end), ("stopped", stopped), ("end_after", after),
                            ("end_before", before)) if v is not None]
    if given not in (["end"], ["stopped"], ["end_after", "end_before"]):
        raise FieldProblem(given[0] if given else "end",
                          f"{'none' if not given else ' and '.join(given)} given; {_ENDINGS}")
    censoring, lower, upper = "exact", 0.0, None
    if end is not None:
        lower = _after(start, end, "end")
    elif stopped is not None:
        censoring, lower = "right", _after(start, stopped, "stopped")
    else:
        assert after is not None and before is not None
        censoring, lower, upper = "interval", _after(start, after, "end_after"), \
            _after(start, before, "end_before")
        if not upper > lower:
            raise FieldProblem("end_before", "not after end_after; the step ended between "
                                            "end_after and a later end_before")
    return StepRun(drill=cast(str, drill), step=cast(str, step), start=start,
                   censoring=cast(Any, censoring), lower_s=lower, upper_s=upper,
                   outcome=_outcome(row), people=_people(row), notes=row.text("notes") or "",
                   source=row.where)


def _after(start: datetime, t: datetime, name: str) -> float:
    seconds = (t - start).total_seconds()
    if seconds < 0:
        raise FieldProblem(name, f"{t.isoformat()} is before start {start.isoformat()}; "
                                "check both times (and their dates and offsets)")
    if name != "end_after" and seconds == 0:
        raise FieldProblem(name, f"equals start {start.isoformat()}; a step takes some time")
    return seconds


def _outcome(row: Row) -> Any:
    text = row.text("outcome")
    if text is None:
        return None
    if text.lower() not in OUTCOMES:
        from drsim.distributions import did_you_mean

        raise FieldProblem("outcome", f"{show(text)} is not an outcome"
                                     f"{did_you_mean(text, OUTCOMES)}; use one of "
                                     f"{', '.join(OUTCOMES)} or leave it empty")
    return text.lower()


def _people(row: Row) -> tuple[str, ...]:
    value = row.fields.get("people")
    if isinstance(value, list):
        return tuple(str(p).strip() for p in value if str(p).strip())
    text = row.text("people")
    return tuple(p.strip() for p in text.split(";") if p.strip()) if text else ()
