"""A readable terminal summary of one drill (rich tables), from a RunResult."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drsim.report.objectives import availability_period, is_yearly
from drsim.report.story import clock, incident_story
from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.units import format_duration

_MARK = {True: "[green]met[/green]", False: "[red]BREACHED[/red]"}


def _fmt(kind: str, value: float | None) -> str:
    if value is None:
        return "not reached"
    if kind == "availability":
        return f"{value * 100:.3f}%"
    return format_duration(value)


def render_run(result: RunResult, console: Console, timeline: bool = True,
               scenario: Scenario | None = None) -> None:
    """The story, recovery, groups and objectives tables (and the timeline) of one run;
    `scenario` tells a horizon run (availability per year) from a drill (by horizon without)."""
    m = result.metrics
    trial = f", trial {result.trial}" if result.trial else ""
    console.print(f"[bold]{escape(result.scenario)}[/bold]  seed {result.seed}{trial}, starts "
                  f"{result.origin:%a %d %b %Y %H:%M %Z}, "
                  f"horizon {format_duration(result.horizon_s)}")
    console.print()
    for paragraph in incident_story(result):
        console.print(escape(paragraph))
        console.print()
    for line in why_lines(result, scenario):
        console.print(escape(line), highlight=False)
    summary = Table(title="Recovery", show_header=False)
    summary.add_row("incidents", str(m.incidents))
    summary.add_row("time to detect", format_duration(m.ttd_s))
    summary.add_row("time to declare", format_duration(m.declared_after_s))
    summary.add_row("time to basic service (worst group)",
                    format_duration(m.rto_basic_s) if m.all_restored else "not reached")
    summary.add_row("time to full recovery (worst group)",
                    format_duration(m.rto_full_s) if m.all_recovered else "not reached")
    summary.add_row("customer-minutes lost", f"{m.customer_minutes_lost:,.0f}")
    for svc, lost in m.data_lost_s.items():
        if lost > 0:
            summary.add_row(f"data lost: {svc}", format_duration(lost))
    console.print(summary)
    groups = Table(title="Customer groups")
    for col in ("group", "customers", "basic back after", "fully recovered after", "downtime",
                "availability"):
        groups.add_column(col, justify="left" if col == "group" else "right")
    for g in m.groups.values():
        groups.add_row(g.group, f"{g.customers:,}",
                       format_duration(g.rto_basic_s) if g.restored else "not reached",
                       format_duration(g.rto_full_s) if g.recovered else "not reached",
                       format_duration(g.downtime_s), f"{g.availability * 100:.3f}%")
    console.print(groups)
    if m.objectives:
        render_objectives(result, console, is_yearly(result.horizon_s, scenario))
    if timeline:
        render_timeline(result, console)


def why_lines(result: RunResult, scenario: Scenario | None) -> list[str]:
    """'Why:' each outage phase by phase, and the steps not finished at the horizon."""
    from drsim.report.why import Explainer

    why = Explainer(result, scenario)
    lines, late = why.outages(), why.unfinished()
    out = ["Why:", *lines, ""] if lines else []
    return out + (["Not finished at the horizon:", *late, ""] if late else [])


def render_objectives(result: RunResult, console: Console, yearly: bool) -> None:
    """The objectives table; availability with its period (per year for a horizon run, over
    the drill's horizon for a drill), and under the table what share of the year's downtime
    budget each availability objective's drill used."""
    obj = Table(title="Objectives")
    for col in ("objective", "kind", "applies to", "target", "achieved", ""):
        obj.add_column(col)
    notes = []
    for o in result.metrics.objectives:
        p = availability_period(o, result.horizon_s, yearly)
        target, achieved = _fmt(o.kind, o.target), _fmt(o.kind, o.achieved)
        if p is not None:  # the period is in the achieved column; the verdict's is its own
            target, achieved = p.target_text(), p.achieved_text()
            notes.append(f"{o.id}: {p.budget_text()}")
        obj.add_row(escape(o.id), o.kind, escape(o.subject), target, achieved, _MARK[o.met])
    console.print(obj)
    if notes and not yearly:
        console.print("An availability target is per year; over a drill it is judged pro rata, "
                      "for the drill's own horizon (docs/metrics.md).")
    for line in notes:
        console.print(escape(line))


def render_timeline(result: RunResult, console: Console) -> None:
    table = Table(title="Incident timeline")
    for col in ("when", "since incident 1", "what", "subject", "detail"):
        table.add_column(col)
    start = result.incidents[0].start_s if result.incidents else 0.0
    for e in result.timeline:
        rel = e.time_s - start
        table.add_row(clock(result, e.time_s) + result.wall(e.time_s).strftime(":%S"),
                      format_duration(rel) if rel >= 0 else "",
                      e.kind.replace("_", " "), escape(e.subject), escape(e.detail))
    console.print(table)
