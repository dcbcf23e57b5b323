"""What happened in a real drill or incident, as plain records.

Every input reader (drill log, paging export, status-page history) turns its file into these,
and both `drsim calibrate` and `drsim score` read only these, so a new input format is one new
reader. Times are timezone-aware datetimes; durations are seconds, as everywhere in drsim.
`source` says where a record came from (`drills.csv:14`, `incidents.json[3]`) so every message
about it can point at the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# How much a run of a step tells us about its duration:
#   exact     it started and finished: duration = end - start;
#   right     it was stopped at a timebox or still running when the log ended: duration > lower;
#   interval  the log is coarse: lower <= duration <= upper.
Censoring = Literal["exact", "right", "interval"]


@dataclass(frozen=True)
class StepRun:
    """One execution of one step in one drill."""

    drill: str
    step: str  # the scenario's "runbook.step" once mapped; the log's own name before
    start: datetime
    censoring: Censoring
    lower_s: float  # exact: the duration; right: time run so far; interval: lower bound
    upper_s: float | None  # interval only: upper bound; None otherwise
    outcome: Literal["success", "failed", "retried"] | None = None
    people: tuple[str, ...] = ()
    notes: str = ""
    source: str = ""

    @property
    def duration_s(self) -> float | None:
        """The observed duration when it is known exactly, else None."""
        return self.lower_s if self.censoring == "exact" else None


@dataclass(frozen=True)
class PageRecord:
    """One paged incident: when the page was created (detection), acknowledged, resolved.
    `declared` is when it was declared a disaster (failover decided), where the export has it."""

    incident: str
    created: datetime
    acknowledged: datetime | None = None
    declared: datetime | None = None
    resolved: datetime | None = None
    started: datetime | None = None  # when the fault began, if known (time to detect)
    source: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """One update on a public status page: its status (investigating, identified, monitoring,
    resolved, ...) and the affected components with their state (major_outage, ...)."""

    incident: str
    at: datetime
    status: str
    components: tuple[tuple[str, str], ...] = ()  # (component name, its status)
    source: str = ""


@dataclass(frozen=True)
class DrillRecord:
    """Everything known of one real drill or incident, after mapping names to the scenario.
    Observed headline figures (seconds from the fault, None when the record does not say) are
    derived by the reader from whatever inputs it was given; `score` places each on the
    simulated distribution of the same metric."""

    drill: str
    steps: tuple[StepRun, ...] = ()
    pages: tuple[PageRecord, ...] = ()
    updates: tuple[StatusUpdate, ...] = ()
    # Headline figures, keyed as drsim's metrics are (ttd_s, tta_s, declared_after_s,
    # rto_basic_s, rto_full_s, data_lost_s:<service>, rto_basic_s:<group>, ...).
    figures: dict[str, float] = field(default_factory=dict)
