"""A status-page history: Atlassian Statuspage's incident JSON.

The file is what `GET /api/v2/incidents.json` of a public page (or `GET /v1/pages/{id}/
incidents` of the management API) returns: `{"incidents": [...]}` or the list itself. From each
incident: `id` (or `name`), and each of its `incident_updates[]`: `status` (investigating,
identified, monitoring, resolved, ...), `created_at` (`display_at` when given, the time shown
to customers) and `affected_components[]` with `name` and `new_status` (operational,
degraded_performance, partial_outage, major_outage, under_maintenance). An update without
affected components takes the incident's `components[]` (`name`, `status`) when it is the
incident's first update.
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
    did_you_mean,
    fail,
    json_records,
    load_json,
    parse_time,
    read_text,
)
from drsim.calibrate.records import StatusUpdate
from drsim.errors import show

STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem",
            "scheduled", "in_progress", "verifying", "completed")
COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance")


def read_status(path: str | Path, tz: tzinfo = UTC) -> list[StatusUpdate]:
    """Every update of every incident in the Statuspage export at `path`, in time order per
    incident; an InputError lists every problem."""
    text = read_text(path)
    data = load_json(path, text) if text.lstrip()[:1] in "[{" else None
    if data is None:
        raise fail(str(path), "<file>", "not JSON; export the incidents as Statuspage's "
                                        "incidents.json")
    problems: list[InputIssue] = []
    updates: list[StatusUpdate] = []
    seen: dict[str, str] = {}
    for where, i, inc in json_records(path, data, "incidents"):
        row = Row(inc if isinstance(inc, dict) else {}, where, i)
        try:
            if not isinstance(inc, dict):
                raise FieldProblem("<record>", f"expected an incident object, got "
                                           f"{type(inc).__name__}")
            ident = str(inc.get("id") or inc.get("name") or "")
            if not ident:
                raise FieldProblem("id", "missing; each incident has an `id` or a `name`")
            if ident in seen:
                raise FieldProblem("id", f"{show(ident)} already at {seen[ident]}; remove the "
                                     "duplicate")
            seen[ident] = where
            updates += _updates(row, ident, tz)
        except FieldProblem as e:
            problems.append(row.problem(e))
    if problems:
        raise InputError(problems)
    return updates



def _updates(row: Row, ident: str, tz: tzinfo) -> list[StatusUpdate]:
    items = row.fields.get("incident_updates")
    if not isinstance(items, list) or not items:
        raise FieldProblem("incident_updates", "missing or empty; each incident has its updates"
                       f"{did_you_mean('incident_updates', row.fields)}")
    out = []
    for j, u in enumerate(items):
        field = f"incident_updates[{j}]"
        if not isinstance(u, dict):
            raise FieldProblem(field, f"expected an update object, got {type(u).__name__}")
        status = u.get("status")
        if status not in STATUSES:
            raise FieldProblem(f"{field}.status", f"{show(status)} is not a Statuspage status"
                           f"{did_you_mean(str(status), STATUSES)}; one of "
                           f"{', '.join(STATUSES)}")
        at = _time(u, field, tz)
        comps = u.get("affected_components")
        pairs = _components(comps, f"{field}.affected_components", "new_status") \
            if comps else ()
        if not pairs and j == len(items) - 1 and row.fields.get("components"):
            # updates are listed newest first: the oldest takes the incident's components
            pairs = _components(row.fields["components"], "components", "status")
        out.append(StatusUpdate(incident=ident, at=at, status=status, components=pairs,
                                source=f"{row.where}.{field}"))
    out.sort(key=lambda s: s.at)
    return out


def _time(u: dict[str, Any], field: str, tz: tzinfo) -> datetime:
    key = "display_at" if u.get("display_at") else "created_at"
    if not u.get(key):
        raise FieldProblem(f"{field}.created_at", "missing; each update has the time it was posted")
    try:
        return parse_time(u[key], tz)
    except ValueError as e:
        raise FieldProblem(f"{field}.{key}", str(e)) from None


def _components(items: Any, field: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(items, list):
        raise FieldProblem(field, "expected a list of components")
    out = []
    for k, c in enumerate(items):
        if not isinstance(c, dict) or not c.get("name"):
            raise FieldProblem(f"{field}[{k}]", "expected {\"name\": ..., \"" + key + "\": ...}")
        status = c.get(key)
        if status not in COMPONENT_STATUSES:
            raise FieldProblem(f"{field}[{k}].{key}", f"{show(status)} is not a component status"
                           f"{did_you_mean(str(status), COMPONENT_STATUSES)}; one of "
                           f"{', '.join(COMPONENT_STATUSES)}")
        out.append((str(c["name"]), str(status)))
    return tuple(out)
