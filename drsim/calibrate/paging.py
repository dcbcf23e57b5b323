"""The paging export: when each incident was paged, acknowledged, declared and resolved.

Two forms are read:

- PagerDuty's REST API v2 JSON: `{"incidents": [...], "log_entries": [...]}` as the
  `GET /incidents` and `GET /log_entries` responses give them (either list may be absent).
  From an incident: `id` (or `incident_number`), `created_at`, `acknowledgements[].at`,
  `resolved_at` (else `last_status_change_at` when `status` is `resolved`). From a log entry:
  `type` `acknowledge_log_entry` / `resolve_log_entry`, its `created_at` and `incident.id`.
  The earliest acknowledgement counts. PagerDuty has no field for when the fault began or when
  a disaster was declared: add `started_at` and `declared_at` to an incident where known.
- a CSV with the columns `incident, created` and optionally `acknowledged, resolved, started,
  declared` (times as in the drill log).

Order checks: acknowledged, declared and resolved are not before created; declared is not
before acknowledged (drsim's incident commander declares after the page is acknowledged);
created is not before started.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from drsim.calibrate.inputs import (
    FieldProblem,
    InputError,
    InputIssue,
    Row,
    check_columns,
    did_you_mean,
    fail,
    is_json,
    issue,
    json_records,
    load_json,
    parse_time,
    read_csv,
    read_text,
)
from drsim.calibrate.records import PageRecord
from drsim.errors import show

CSV_REQUIRED = ("incident", "created")
CSV_OPTIONAL = ("acknowledged", "resolved", "started", "declared")
# the PagerDuty incident fields read; others (title, urgency, service, ...) are ignored
PD_INCIDENT_TIMES = {"created_at": "created", "resolved_at": "resolved",
                     "started_at": "started", "declared_at": "declared"}
PD_LOG_TYPES = {"acknowledge_log_entry": "acknowledged", "resolve_log_entry": "resolved"}


def read_pages(path: str | Path, tz: tzinfo = UTC) -> list[PageRecord]:
    """Every incident of the paging export at `path`; an InputError lists every problem."""
    text = read_text(path)
    if is_json(path, text):
        return _from_pagerduty(path, load_json(path, text), tz)
    rows = read_csv(path, text, CSV_REQUIRED, CSV_OPTIONAL)
    problems: list[InputIssue] = []
    records: list[PageRecord] = []
    seen: dict[str, str] = {}
    for row in rows:
        try:
            times = {c: _time(row, c, tz) for c in ("created", *CSV_OPTIONAL)}
            name = row.text("incident")
            if name is None:
                raise FieldProblem("incident", "empty; every row names its incident")
            if name in seen:
                raise FieldProblem("incident", f"{show(name)} already on {seen[name]}; remove the "
                                           "duplicate")
            seen[name] = row.where
            records.append(_record(name, times, row))
        except FieldProblem as e:
            problems.append(row.problem(e))
    if problems:
        raise InputError(problems)
    return records



def _time(row: Row, name: str, tz: tzinfo) -> datetime | None:
    value = row.fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_time(value, tz)
    except ValueError as e:
        raise FieldProblem(name, str(e)) from None


def _record(name: str, t: dict[str, datetime | None], row: Row) -> PageRecord:
    created = t["created"]
    if created is None:
        raise FieldProblem("created", "empty; every incident has the time it was paged")
    for later, earlier in (("acknowledged", "created"), ("declared", "created"),
                           ("resolved", "created"), ("declared", "acknowledged"),
                           ("created", "started")):
        a, b = t.get(later), t.get(earlier)
        if a is not None and b is not None and a < b:
            raise FieldProblem(later, f"{a.isoformat()} is before {earlier} {b.isoformat()}; "
                                  "check both times (and their dates and offsets)")
    return PageRecord(incident=name, created=created, acknowledged=t.get("acknowledged"),
                      declared=t.get("declared"), resolved=t.get("resolved"),
                      started=t.get("started"), source=row.where)


def _from_pagerduty(path: str | Path, data: Any, tz: tzinfo) -> list[PageRecord]:
    name = str(path)
    if not isinstance(data, dict) or not ({"incidents", "incident"} & set(data)):
        raise fail(name, "<json>", "expected PagerDuty's {\"incidents\": [...], "
                                   "\"log_entries\": [...]}; see docs/calibration.md")
    incidents = data.get("incidents", [data.get("incident")])
    problems: list[InputIssue] = []
    found: dict[str, tuple[Row, dict[str, datetime | None]]] = {}
    for where, i, inc in json_records(path, {"incidents": incidents}, "incidents"):
        row = Row(inc if isinstance(inc, dict) else {}, where, i)
        try:
            ident = _incident_id(inc)
            if ident in found:
                raise FieldProblem("id", f"{show(ident)} already at {found[ident][0].where}; "
                                     "remove the duplicate")
            found[ident] = (row, _incident_times(row, tz))
        except FieldProblem as e:
            problems.append(row.problem(e))
    entries = data.get("log_entries") or []
    if not isinstance(entries, list):
        problems.append(issue(name, "log_entries", "expected a list of log entries"))
        entries = []
    for i, entry in enumerate(entries):
        row = Row(entry if isinstance(entry, dict) else {}, f"{name}[log_entries {i}]",
                  len(incidents) + i)
        try:
            _apply_log_entry(row, entry, found, tz)
        except FieldProblem as e:
            problems.append(row.problem(e))
    records = []
    for ident, (row, times) in found.items():
        try:
            records.append(_record(ident, times, row))
        except FieldProblem as e:
            problems.append(row.problem(e))
    if problems:
        raise InputError(problems)
    return records


def _incident_id(inc: Any) -> str:
    if not isinstance(inc, dict):
        raise FieldProblem("<record>", f"expected an incident object, got {type(inc).__name__}")
    for key in ("id", "incident_number"):
        if inc.get(key) not in (None, ""):
            return str(inc[key])
    raise FieldProblem("id", "missing; each incident has an `id` (or `incident_number`)")


def _incident_times(row: Row, tz: tzinfo) -> dict[str, datetime | None]:
    if "created_at" not in row.fields:
        raise FieldProblem("created_at", f"missing{did_you_mean('created_at', row.fields)}; each "
                                     "incident has the time it was created (paged)")
    times = {ours: _time(row, theirs, tz) for theirs, ours in PD_INCIDENT_TIMES.items()}
    if times["resolved"] is None and row.fields.get("status") == "resolved":
        times["resolved"] = _time(row, "last_status_change_at", tz)
    acks = row.fields.get("acknowledgements") or []
    if not isinstance(acks, list):
        raise FieldProblem("acknowledgements", "expected a list of {at, acknowledger}")
    for j, ack in enumerate(acks):
        if not isinstance(ack, dict) or "at" not in ack:
            raise FieldProblem(f"acknowledgements[{j}]", "expected {\"at\": time, ...}")
        _earliest(times, "acknowledged", _time(Row(ack, row.where, row.line), "at", tz))
    return times


def _earliest(times: dict[str, datetime | None], key: str, t: datetime | None) -> None:
    if t is not None and (times.get(key) is None or t < times[key]):  # type: ignore[operator]
        times[key] = t


def _apply_log_entry(row: Row, entry: Any, found: dict[str, tuple[Row, dict[str, Any]]],
                     tz: tzinfo) -> None:
    if not isinstance(entry, dict):
        raise FieldProblem("<record>", f"expected a log entry object, got {type(entry).__name__}")
    kind = entry.get("type")
    if kind not in PD_LOG_TYPES:
        return  # trigger, notify, annotate, assign ...: not a time drsim uses
    check_columns(row.where, [k for k in ("created_at", "incident") if k in entry],
                  ("created_at", "incident"), (), row.line, "field")
    inc = entry["incident"]
    ident = str(inc.get("id")) if isinstance(inc, dict) else str(inc)
    if ident not in found:
        raise FieldProblem("incident.id", f"{show(ident)} is not an incident of this export"
                                      f"{did_you_mean(ident, found)}; export the incidents "
                                      "with their log entries")
    _earliest(found[ident][1], PD_LOG_TYPES[kind], _time(row, "created_at", tz))


__all__ = ["read_pages", "CSV_REQUIRED", "CSV_OPTIONAL"]
