"""One real drill's headline figures, measured the way drsim's metrics measure a trial.

`observe(record, scenario, components)` turns a DrillRecord into figures keyed as the columns
of a trial row (drsim/trial.py) plus one per runbook step, in seconds from the fault's start:

- `ttd_s`, `tta_s`, `declared_after_s`: the first page (earliest `created`): its `created`,
  `acknowledged`, `declared` − its `started`;
- `rto_basic_s.<group>`: status-page updates: the end of the group's last outage spell −
  `started`; `rto_basic_s`: the worst of the groups that had an outage;
- `rto_full_s`: the last status update whose status is `resolved` − `started`; without one,
  the first page's `resolved` − `started`;
- `data_lost_s.<service>`: only from the record's `figures` (`data_lost_s:<service>`): no
  input format records it;
- `step_s.<runbook>.<step>`: step runs: the first run's start → the last run's end (`start` +
  `lower_s`); a run stopped at its timebox, or known only within an interval, makes it a
  lower bound.

The fault's start (`started`) is the first page's `started`: without it, no figure measured
from the fault is given (step durations still are). A group is in an outage while any
status-page component mapped to it is `major_outage` or `partial_outage` (degraded
performance and maintenance are not losses of service); an update with status `resolved`
sets every component back to operational; a group still down at the last update gives a
lower bound. Figures the record cannot give are absent, never zero. Of the record's own
`figures` (keys as in records.py) only data lost is taken; the rest are derived here.

The status page says when customers were told, not the instant service changed, and a
resolved incident can be closed after the last customer is home: `rto_full_s` read from it
is the incident's end, an upper bound on the simulated full recovery of every group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from drsim.calibrate.records import DrillRecord, PageRecord, StatusUpdate, StepRun
from drsim.distributions import did_you_mean
from drsim.errors import DrsimError
from drsim.scenario.schema import Scenario
from drsim.trial import columns

OUTAGE_STATES = frozenset({"major_outage", "partial_outage"})
STEP_PREFIX = "step_s."


@dataclass(frozen=True)
class Observed:
    """One figure of a real drill: its value in seconds, where it came from (record and
    field), and whether it is only a lower bound (a step stopped at its timebox, a group
    still down when the record ends)."""

    key: str
    value_s: float
    source: str
    at_least: bool = False


def step_key(runbook: str, step: str) -> str:
    """The figure (and simulated column) of one step's duration: step_s.<runbook>.<step>."""
    return f"{STEP_PREFIX}{runbook}.{step}"


def step_keys(scenario: Scenario) -> list[str]:
    return [step_key(rb, s.id) for rb in sorted(scenario.runbooks)
            for s in scenario.runbooks[rb].steps]


def figure_keys(scenario: Scenario) -> list[str]:
    """Every figure a drill of this scenario can be scored on, in table order."""
    skip = ("trial", "error", "incidents", "first_incident_s", "all_restored", "all_recovered",
            "customer_minutes_lost", "downtime_s", "unavailability")
    keys = [c for c in columns(scenario)
            if c not in skip and not c.startswith(("met.", "downtime_s.", "rto_full_s."))]
    return keys + step_keys(scenario)


def observe(record: DrillRecord, scenario: Scenario,
            components: Mapping[str, Sequence[str]] | None = None) -> dict[str, Observed]:
    """The figures of one drill (see the module's table), keyed as figure_keys(scenario).
    `components` maps each status-page component to the customer groups it stands for."""
    out: dict[str, Observed] = {}
    page = min(record.pages, key=lambda p: p.created) if record.pages else None
    start = page.started if page is not None else None
    if page is not None and start is not None:
        out.update(_page_figures(page, start))
        out.update(_status_figures(record.updates, start, components or {}, scenario, page))
    out.update(_step_figures(record.steps, scenario))
    out.update(_given_figures(record, scenario))
    return {k: out[k] for k in figure_keys(scenario) if k in out}


def _since(start: datetime, at: datetime) -> float:
    """Seconds from start to at, in UTC (a difference of two local times of one zone would
    ignore a daylight-saving change between them)."""
    return (at.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def _page_figures(page: PageRecord, start: datetime) -> dict[str, Observed]:
    out = {}
    for key, field in (("ttd_s", "created"), ("tta_s", "acknowledged"),
                       ("declared_after_s", "declared")):
        at = getattr(page, field)
        if at is not None:
            out[key] = Observed(key, _since(start, at),
                                f"{_where(page.source)}page {page.incident}: {field} − started")
    return out


def _where(source: str) -> str:
    return f"{source}: " if source else ""


def _status_figures(updates: Iterable[StatusUpdate], start: datetime,
                    components: Mapping[str, Sequence[str]], scenario: Scenario,
                    page: PageRecord) -> dict[str, Observed]:
    ordered = sorted(updates, key=lambda u: u.at)
    out: dict[str, Observed] = {}
    for group in sorted(scenario.customers):
        mine = {c for c, groups in components.items() if group in groups}
        spell = _last_outage(ordered, mine)
        if spell is not None:
            end, at_least, source = spell
            key = f"rto_basic_s.{group}"
            out[key] = Observed(key, _since(start, end), source, at_least)
    if out:  # so far only the groups' figures
        top = max(out.values(), key=lambda o: (o.value_s, o.at_least))
        out["rto_basic_s"] = Observed("rto_basic_s", top.value_s,
                                      f"worst group ({top.key}): {top.source}", top.at_least)
    resolved = [u for u in ordered if u.status == "resolved"]
    if resolved:
        out["rto_full_s"] = Observed("rto_full_s", _since(start, resolved[-1].at),
                                     f"{_where(resolved[-1].source)}status update 'resolved'"
                                     " − page started")
    elif page.resolved is not None:
        out["rto_full_s"] = Observed("rto_full_s", _since(start, page.resolved),
                                     f"{_where(page.source)}page {page.incident}: resolved − "
                                     "started")
    return out


def _last_outage(updates: list[StatusUpdate],
                 mine: set[str]) -> tuple[datetime, bool, str] | None:
    """(end of the last outage spell of these components, still down at the end, the update
    that ended it), or None when none of them was ever out."""
    state: dict[str, str] = {}
    down_since: StatusUpdate | None = None
    last: tuple[datetime, bool, str] | None = None
    for u in updates:
        if u.status == "resolved":
            state = dict.fromkeys(state, "operational")
        state.update((name, status) for name, status in u.components if name in mine)
        down = any(s in OUTAGE_STATES for s in state.values())
        if down and down_since is None:
            down_since = u
        elif not down and down_since is not None:
            down_since = None
            last = (u.at, False, f"{_where(u.source)}status update at {u.at.isoformat()}")
    if down_since is not None and updates:
        end = updates[-1]
        return (end.at, True, f"{_where(end.source)}still out at the last status update")
    return last


def _step_figures(runs: Iterable[StepRun], scenario: Scenario) -> dict[str, Observed]:
    known = {f"{rb}.{s.id}" for rb in scenario.runbooks for s in scenario.runbooks[rb].steps}
    by_step: dict[str, list[StepRun]] = {}
    for run in runs:
        if run.step not in known:
            hint = did_you_mean(run.step, known)
            raise DrsimError(f"{_where(run.source)}step '{run.step}' is not a step of "
                             f"{scenario.name}; name it runbook.step{hint}")
        by_step.setdefault(run.step, []).append(run)
    out = {}
    for step, mine in by_step.items():
        runbook, _, sid = step.partition(".")
        key = step_key(runbook, sid)
        first = min(r.start for r in mine)
        ends = [_since(first, r.start) + r.lower_s for r in mine]
        censored = any(r.censoring != "exact" for r in mine)
        where = mine[0].source if len(mine) == 1 else \
            f"{len(mine)} runs from {min(mine, key=lambda r: r.start).source}"
        out[key] = Observed(key, max(ends), f"{_where(where)}end − start" if len(mine) == 1
                            else f"{where}: first start → last end", censored)
    return out


def _given_figures(record: DrillRecord, scenario: Scenario) -> dict[str, Observed]:
    """Data lost per service, from the record's `figures` (no record field carries it). The
    other entries are the reader's own summary: they are checked, not used, so that every
    figure here is measured from the same fault start (the reader may measure status-page
    figures from the first update when the fault's start is unknown)."""
    keys = figure_keys(scenario)
    out = {}
    for name, value in record.figures.items():
        key = name.replace(":", ".", 1)
        if key not in keys:
            raise DrsimError(f"drill {record.drill}: figure '{name}' is not a figure of "
                             f"{scenario.name}{did_you_mean(key, keys)}; known: "
                             f"{', '.join(k.replace('.', ':', 1) for k in keys)}")
        if key.startswith("data_lost_s."):
            out[key] = Observed(key, float(value), f"drill {record.drill}: figures['{name}']")
    return out
