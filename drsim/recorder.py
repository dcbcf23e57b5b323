"""The only way actors report: typed, frozen records of what happened and when.

Also tracks status intervals (when a customer group lost a service, when it had no basic
service, when it was not yet fully recovered), closing them as the state changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    time_s: float
    kind: str
    subject: str
    detail: str = ""


@dataclass(frozen=True)
class Interval:
    """A span during which `subject` (group) lacked `what` (a service, 'basic' or 'full')."""

    subject: str
    what: str
    start_s: float
    end_s: float | None  # None: still open at the horizon

    def length_s(self, horizon_s: float) -> float:
        return (self.end_s if self.end_s is not None else horizon_s) - self.start_s


@dataclass(frozen=True)
class StepRecord:
    runbook: str
    step: str
    start_s: float
    end_s: float
    who: tuple[str, ...]
    outcome: str  # ok | failed | skipped | fallback
    attempts: int
    waited_s: float  # time spent waiting for preconditions and staff before the first attempt


@dataclass(frozen=True)
class DataLoss:
    service: str
    from_site: str
    to_site: str
    failed_at_s: float
    lost_s: float


@dataclass(frozen=True)
class Cause:
    """One link of a cause chain: what holds something up (`kind`: site_down, full, window,
    staff, spare, ...), which element (`subject`), in words (`detail`), since when it has
    held (`since_s`) and when it is due to end, if known (`until_s`: a window opening, a
    spare's delivery, a person's arrival)."""

    kind: str
    subject: str
    detail: str
    since_s: float | None = None
    until_s: float | None = None


@dataclass(frozen=True)
class Why:
    """From start_s to end_s (None: still so at the horizon) `subject` (a customer group, a
    runbook step 'runbook.step', a component 'site.component') lacked or waited for `what`
    (a service, 'full', 'start', 'restore', 'repair') because of `chain`, nearest cause
    first. A new record starts whenever the chain changes."""

    subject: str
    what: str
    start_s: float
    end_s: float | None
    chain: tuple[Cause, ...]


@dataclass(frozen=True)
class PendingStep:
    """A step of a started runbook still not done at the horizon: `state` is 'waiting' (for
    its predecessors, window, preconditions or people), 'working' or 'not started' (its
    runbook never started); since when, and why in words."""

    runbook: str
    step: str
    state: str
    since_s: float
    detail: str


RawEvent = tuple[float, str, str, str]  # an Event's fields, as recorded


@dataclass
class Recorder:
    """Collects events, status intervals, step records and data losses during one run.

    Events are kept as plain tuples while the run goes (a trial records thousands, and a
    Monte Carlo trial never shows one); `events` makes them records when first read."""

    origin: datetime
    _raw: list[RawEvent] = field(default_factory=list)
    _events: list[Event] = field(default_factory=list)  # the first of _raw, as records
    intervals: list[Interval] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    losses: list[DataLoss] = field(default_factory=list)
    whys: list[Why] = field(default_factory=list)
    _open: dict[tuple[str, str], float] = field(default_factory=dict)
    _why: dict[tuple[str, str], tuple[float, tuple[Cause, ...]]] = field(default_factory=dict)

    def event(self, time_s: float, kind: str, subject: str, detail: str = "") -> None:
        self._raw.append((time_s, kind, subject, detail))

    @property
    def events(self) -> list[Event]:
        """Every event recorded so far, in order (records built only for the new ones)."""
        if len(self._events) < len(self._raw):
            self._events.extend(Event(*e) for e in self._raw[len(self._events):])
        return self._events

    def status(self, time_s: float, subject: str, what: str, ok: bool) -> bool:
        """Record that `subject` has (ok) or lacks `what`; True when this changed anything."""
        key = (subject, what)
        if ok and key in self._open:
            start = self._open.pop(key)
            if start < time_s:  # lost and regained in one instant: no interval, no downtime
                self.intervals.append(Interval(subject, what, start, time_s))
            return True
        if not ok and key not in self._open:
            self._open[key] = time_s
            return True
        return False

    def blocked(self, time_s: float, subject: str, what: str, chain: tuple[Cause, ...]) -> None:
        """`subject` lacks or waits for `what` because of `chain` from now (no change when
        the chain is the one already open; a new chain closes the old one here)."""
        key = (subject, what)
        got = self._why.get(key)
        if got is not None:
            if got[1] == chain:
                return
            self._end_why(key, time_s)
        self._why[key] = (time_s, chain)

    def unblocked(self, time_s: float, subject: str, what: str) -> None:
        """`subject` has `what` (or stopped waiting for it) from now."""
        if (subject, what) in self._why:
            self._end_why((subject, what), time_s)

    def _end_why(self, key: tuple[str, str], time_s: float) -> None:
        start, chain = self._why.pop(key)
        if start < time_s:  # a reason that held for no time explains nothing
            self.whys.append(Why(key[0], key[1], start, time_s, chain))

    def close(self) -> None:
        """At the horizon: intervals and reasons still open stay open (end None)."""
        for (subject, what), start in sorted(self._open.items(), key=lambda kv: (kv[1], kv[0])):
            self.intervals.append(Interval(subject, what, start, None))
        self._open.clear()
        self.intervals.sort(key=lambda i: (i.start_s, i.subject, i.what))
        for (subject, what), (start, chain) in self._why.items():
            self.whys.append(Why(subject, what, start, None, chain))
        self._why.clear()
        self.whys.sort(key=lambda w: (w.start_s, w.subject, w.what))



def to_jsonable(obj: Any) -> Any:
    """Frozen records → plain dicts for JSON."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: to_jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj
