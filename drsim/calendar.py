"""Recurring weekly calendars (staff shifts, maintenance windows) on the simulation clock.

A calendar is a set of weekdays and a local time-of-day span (which may cross midnight) in a
time zone. Simulation time is float seconds since the scenario's start instant; the calendar
converts through real, zone-aware datetimes, so DST shifts fall where they do in life.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Calendar:
    """Open on `days` (0=Mon) from `start` to `end` local time; `always` means 24x7.

    An empty timezone means "the scenario's"; `in_zone` fills it in before use.
    """

    days: frozenset[int]
    start: time
    end: time
    timezone: str
    always: bool = False

    def in_zone(self, default_tz: str) -> Calendar:
        """This calendar, with the scenario's time zone where it named none."""
        return self if self.timezone else replace(self, timezone=default_tz)

    def intervals_on(self, day: datetime) -> tuple[datetime, datetime] | None:
        """The open interval that begins on the local date of `day`, as aware datetimes."""
        if day.weekday() not in self.days:
            return None
        tz = ZoneInfo(self.timezone)
        begin = datetime.combine(day.date(), self.start, tzinfo=tz)
        end_day = day.date() + timedelta(days=1) if self.end <= self.start else day.date()
        return begin, datetime.combine(end_day, self.end, tzinfo=tz)

    def is_open(self, origin: datetime, t_s: float) -> bool:
        return self.wait_s(origin, t_s) == 0.0

    def wait_s(self, origin: datetime, t_s: float) -> float:
        """Seconds from sim time t_s until the calendar is open (0 when open now)."""
        if self.always:
            return 0.0
        return max(0.0, self._span(origin, t_s)[0] - t_s)

    def open_until_s(self, origin: datetime, t_s: float) -> float:
        """Sim time at which the open span containing (or next after) t_s closes."""
        if self.always:
            return float("inf")
        return self._span(origin, t_s)[1]

    def _span(self, origin: datetime, t_s: float) -> tuple[float, float]:
        return _next_span(self, origin, int(t_s // 3600), t_s)


def sim_seconds(origin: datetime, when: datetime) -> float:
    """Aware date-time → simulation seconds since `origin`, in real elapsed time (DST-safe)."""
    return (when.astimezone(UTC) - origin.astimezone(UTC)).total_seconds()


def wall_clock(origin: datetime, t_s: float) -> datetime:
    """Simulation seconds → the local date-time in origin's zone (DST-safe)."""
    return (origin.astimezone(UTC) + timedelta(seconds=t_s)).astimezone(origin.tzinfo)


@lru_cache(maxsize=65536)
def _spans_near(cal: Calendar, origin: datetime, hour: int) -> tuple[tuple[float, float], ...]:
    """Open spans (sim seconds) touching the 9 days around the given sim hour, sorted."""
    local = wall_clock(origin, hour * 3600.0).astimezone(ZoneInfo(cal.timezone))
    spans = []
    for offset in range(-1, 9):
        got = cal.intervals_on(local + timedelta(days=offset))
        if got:
            spans.append((sim_seconds(origin, got[0]), sim_seconds(origin, got[1])))
    return tuple(sorted(spans))


def _next_span(cal: Calendar, origin: datetime, hour: int, t_s: float) -> tuple[float, float]:
    for a, b in _spans_near(cal, origin, hour):
        if b > t_s:
            return (max(a, t_s) if a <= t_s else a, b)
    return (float("inf"), float("inf"))


ALWAYS = Calendar(frozenset(range(7)), time(0), time(0), "UTC", always=True)


def parse_days(text: str) -> frozenset[int]:
    """'mon-fri', 'sat,sun', 'all', 'weekdays' → weekday numbers; ValueError otherwise."""
    text = text.strip().lower()
    if text in ("all", "daily", "every day"):
        return frozenset(range(7))
    if text == "weekdays":
        return frozenset(range(5))
    if text == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for part in text.split(","):
        ends = [p.strip()[:3] for p in part.split("-")]
        if any(e not in DAY_NAMES for e in ends) or len(ends) > 2:
            raise ValueError(f"'{text}' is not a set of days; write e.g. 'mon-fri', 'sat,sun', "
                             "'all'")
        a, b = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time]:
    """'09:00-17:00' or '22:00-06:00' (crosses midnight) → (start, end)."""
    try:
        a, b = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(f"'{text}' is not a span of hours; write e.g. '09:00-17:00'") from None
    if a == b:
        raise ValueError(f"'{text}' is empty; start and end differ (use '24x7' for always)")
    return a, b
