"""Local date-times that daylight saving makes impossible or ambiguous.

A scenario writes its instants as local date-times in simulation.timezone (the start, a
disruption's `at`, an ad-hoc copy's `taken_at`). When the clocks jump forward, an hour of
local times never happens (the gap): such a time is refused. When they go back, an hour
happens twice (the fold): drsim takes the first occurrence (Python's fold=0, the offset in
force before the change), and says so in a warning.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from drsim.errors import Issue
from drsim.scenario.loader import PathKey, RawDoc

FOLD_RULE = "the first of the two (the offset in force before the clocks go back)"


def local_times(data: Any) -> list[tuple[PathKey, str]]:
    """Every local date-time the scenario writes, with its path."""
    d = _dict(data)
    sim = _dict(d.get("simulation"))
    out: list[tuple[PathKey, str]] = []
    if isinstance(sim.get("start"), str):
        out.append((("simulation", "start"), sim["start"]))
    disruptions = d.get("disruptions")
    for i, dis in enumerate(disruptions if isinstance(disruptions, list) else []):
        if isinstance(dis, dict) and _is_datetime(dis.get("at")):
            out.append((("disruptions", i, "at"), dis["at"]))
    for sv, svc in _dict(d.get("services")).items():
        tiers = svc.get("protection") if isinstance(svc, dict) else None
        for j, tier in enumerate(tiers if isinstance(tiers, list) else []):
            if isinstance(tier, dict) and isinstance(tier.get("taken_at"), str):
                out.append((("services", sv, "protection", j, "taken_at"), tier["taken_at"]))
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_datetime(value: Any) -> bool:
    return isinstance(value, str) and ("T" in value or value[:1].isdigit() and "-" in value)


def dst_issues(raw: RawDoc) -> tuple[list[Issue], list[Issue]]:
    """(problems, warnings): local times in a DST gap, and local times in a DST fold."""
    d = _dict(raw.data)
    name = _dict(d.get("simulation")).get("timezone", "UTC")
    try:
        tz = ZoneInfo(name)
    except (ValueError, TypeError, OSError, KeyError):
        return [], []  # an unknown time zone is reported by the schema
    problems, warnings = [], []
    for path, text in local_times(d):
        try:
            naive = datetime.fromisoformat(text)
        except ValueError:
            continue  # reported by the schema
        if naive.tzinfo is not None:
            continue
        first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
        jump = _offset(second) - _offset(first)
        if _exists(first, naive) and jump == timedelta(0):
            continue
        if not _exists(first, naive):
            becomes = (first.astimezone(UTC).astimezone(tz)).replace(tzinfo=None)
            problems.append(raw.issue(path, f"'{text}' does not exist in {name}: the clocks "
                                      f"jump forward {_span(jump)} that day and skip it; write "
                                      f"a time outside the gap, e.g. "
                                      f"'{becomes.isoformat(timespec='minutes')}'"))
        else:
            warnings.append(raw.issue(path, f"warning: '{text}' happens twice in {name} (the "
                                      f"clocks go back {_span(-jump)} that day); drsim takes "
                                      f"{FOLD_RULE}, UTC{_utc(first)}; for the second, write "
                                      "an offset from the start or a time outside the fold"))
    return problems, warnings


def _offset(dt: datetime) -> timedelta:
    off = dt.utcoffset()
    return off if off is not None else timedelta(0)


def _exists(aware: datetime, naive: datetime) -> bool:
    """Whether the local time survives a round trip through UTC (a gap time does not)."""
    back = aware.astimezone(UTC).astimezone(aware.tzinfo).replace(tzinfo=None)
    return back == naive


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes % 60 else f"{minutes // 60}h"


def _utc(dt: datetime) -> str:
    minutes = int(_offset(dt).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
