"""Putting the readers' records together: one DrillRecord per drill or incident.

Which records belong together:
  1. a drill log's runs by their `drill`; a page and a status-page incident join the drill
     whose id is their incident id;
  2. when the inputs hold exactly one drill, one paged incident and/or one status-page incident,
     they are the same event whatever their ids (the usual case for `drsim score`);
  3. any other page or status-page incident is an event of its own.

The headline figures (seconds, keyed as drsim's metrics are) each record derives:
  ttd_s, tta_s, declared_after_s   page created / acknowledged / declared − fault `started`
                                    (only where the export says when the fault began);
  step_s:<runbook.step>            the step's duration, when it finished (an exact run);
  rto_basic_s:<group>              from the start of the event (the fault's `started`, else the
                                    first status-page update) to the first update after which
                                    every status-page component mapped to the group is
                                    operational again (or the incident is resolved);
  rto_basic_s                      the largest of those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drsim.calibrate.mapping import NameMap, map_runs, read_map
from drsim.calibrate.records import DrillRecord, PageRecord, StatusUpdate, StepRun
from drsim.errors import Issue, ScenarioError

if TYPE_CHECKING:
    from drsim.scenario import Scenario

UP = "operational"


@dataclass(frozen=True)
class Inputs:
    """Everything read from a team's files, names mapped to the scenario's."""

    runs: tuple[StepRun, ...] = ()
    pages: tuple[PageRecord, ...] = ()
    updates: tuple[StatusUpdate, ...] = ()
    names: NameMap = field(default_factory=NameMap)

    def records(self) -> list[DrillRecord]:
        return drill_records(self.runs, self.pages, self.updates, self.names)


def read_inputs(scenario: Scenario, log: str | Path | None = None,
                pages: str | Path | None = None, status: str | Path | None = None,
                map_path: str | Path | None = None, tz: tzinfo = UTC) -> Inputs:
    """Read every file given and map its names to `scenario`; one ScenarioError (an
    InputError where the problem is in a log) lists the problems of every file."""
    from drsim.calibrate.drill_log import read_drill_log
    from drsim.calibrate.paging import read_pages
    from drsim.calibrate.statuspage import read_status

    problems: list[Issue] = []

    def attempt(read: Callable[[], Any], default: Any) -> Any:
        try:
            return read()
        except ScenarioError as e:
            problems.extend(e.issues)
            return default

    names = attempt(lambda: read_map(map_path, scenario), None)
    runs = attempt(lambda: read_drill_log(log, tz), []) if log is not None else []
    if runs and names is not None:
        runs = attempt(lambda: map_runs(runs, names), [])
    got_pages = attempt(lambda: read_pages(pages, tz), []) if pages is not None else []
    got_updates = attempt(lambda: read_status(status, tz), []) if status is not None else []
    if problems:
        raise ScenarioError(problems)
    return Inputs(tuple(runs), tuple(got_pages), tuple(got_updates), names)


def drill_records(runs: Sequence[StepRun] = (), pages: Sequence[PageRecord] = (),
                  updates: Sequence[StatusUpdate] = (),
                  names: NameMap | None = None) -> list[DrillRecord]:
    """The drills and incidents in the inputs, each with its headline figures (runs already
    mapped to scenario steps; `names` maps status-page components to groups)."""
    names = names or NameMap()
    drills = list(dict.fromkeys(r.drill for r in runs))
    incidents = list(dict.fromkeys(u.incident for u in updates))
    single = len(drills) <= 1 and len(pages) <= 1 and len(incidents) <= 1
    if single:
        ident = (drills or [p.incident for p in pages] or incidents or ["drill"])[0]
        return [_record(ident, list(runs), list(pages), list(updates), names)]
    out = [_record(d, [r for r in runs if r.drill == d], [p for p in pages if p.incident == d],
                   [u for u in updates if u.incident == d], names) for d in drills]
    done = set(drills)
    for p in pages:
        if p.incident not in done:
            done.add(p.incident)
            out.append(_record(p.incident, [], [p],
                               [u for u in updates if u.incident == p.incident], names))
    for i in incidents:
        if i not in done:
            done.add(i)
            out.append(_record(i, [], [], [u for u in updates if u.incident == i], names))
    return out


def _record(ident: str, runs: list[StepRun], pages: list[PageRecord],
            updates: list[StatusUpdate], names: NameMap) -> DrillRecord:
    figures: dict[str, float] = {}
    page = min(pages, key=lambda p: p.created) if pages else None
    start = page.started if page else None
    if page is not None and start is not None:
        for key, t in (("ttd_s", page.created), ("tta_s", page.acknowledged),
                       ("declared_after_s", page.declared)):
            if t is not None:
                figures[key] = (t - start).total_seconds()
    for run in runs:
        if run.duration_s is not None:
            figures.setdefault(f"step_s:{run.step}", run.duration_s)
    figures.update(group_outages(updates, names, start))
    groups = [v for k, v in figures.items() if k.startswith("rto_basic_s:")]
    if groups:
        figures["rto_basic_s"] = max(groups)
    return DrillRecord(drill=ident, steps=tuple(runs), pages=tuple(pages),
                       updates=tuple(sorted(updates, key=lambda u: u.at)), figures=figures)


def group_outages(updates: Iterable[StatusUpdate], names: NameMap,
                  start: datetime | None = None) -> dict[str, float]:
    """rto_basic_s:<group> for every group whose status-page components went down and came
    back in these updates (seconds from `start`, else from the first update)."""
    ups = sorted(updates, key=lambda u: u.at)
    if not ups:
        return {}
    t0 = start or ups[0].at
    state: dict[str, str] = {}
    down: set[str] = set()
    back: dict[str, float] = {}
    for u in ups:
        state.update(dict(u.components))
        for group in {g for comps in names.components.values() for g in comps}:
            mine = [c for c, gs in names.components.items() if group in gs and c in state]
            if any(state[c] != UP for c in mine):
                down.add(group)
                back.pop(group, None)
            elif group in down and group not in back and (mine or u.status == "resolved"):
                back[group] = (u.at - t0).total_seconds()
        if u.status == "resolved":
            for group in down - set(back):
                back[group] = (u.at - t0).total_seconds()
    return {f"rto_basic_s:{g}": s for g, s in sorted(back.items())}
