"""One self-contained HTML report: figures inline as SVG, CSS inline, no external requests.

Built from a Jinja2 template with autoescaping on, so every name and description from a
scenario is escaped; the only markup inserted unescaped is matplotlib's SVG (which escapes
its own text). A Content-Security-Policy in the page forbids every fetch and every script, so
even a mistake cannot make the report reach the network. Reports never simulate.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from drsim.report.objectives import availability_period, is_yearly, proportion_labels
from drsim.report.status import STATES, StatusPage, UptimeDay, status_page
from drsim.report.story import incident_story
from drsim.report.text import why_lines
from drsim.report.trials_text import breached_in, format_value, label, worst_trials
from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.units import format_duration

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from drsim.montecarlo import Trials
    from drsim.stats import Summary

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; " \
      "form-action 'none'"

_env = Environment(loader=PackageLoader("drsim.report", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class PageFigure:
    """A figure ready for the page: its caption and inline SVG markup."""

    caption: str
    svg: Markup


def svg_markup(fig: Figure, key: str) -> Markup:
    """A matplotlib Figure as inline <svg> markup: text kept as text (no font glyphs), no
    XML prolog, DOCTYPE or metadata, every id prefixed by `key` so several figures can share
    one page (repeated ids made unique). The figure is closed afterwards."""
    import matplotlib
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    try:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "drsim"}):
            fig.savefig(buf, format="svg", bbox_inches="tight")
    finally:
        plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    seen: dict[str, int] = {}

    def unique(m: re.Match[str]) -> str:  # a gid given to several artists repeats in the SVG
        n = seen[m[1]] = seen.get(m[1], 0) + 1
        return f'id="{key}-{m[1]}"' if n == 1 else f'id="{key}-{m[1]}-{n}"'

    text = re.sub(r'\bid="([^"]+)"', unique, text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{key}-\1"', text)
    text = text.replace("<svg ", '<svg role="img" ', 1)
    return Markup(text)


def _figure(caption: str, key: str, make: Callable[[], Figure]) -> PageFigure:
    return PageFigure(caption, svg_markup(make(), key))


def _plots() -> Any:
    from drsim.report import plots

    return plots


# ---------------------------------------------------------------- one drill


def _when(result: RunResult, t_s: float | None, seconds: bool = False) -> str:
    if t_s is None:
        return "—"
    if seconds:
        return result.wall(t_s).strftime("%a %d %b %H:%M:%S")
    return result.wall(t_s).strftime("%a %d %b %Y %H:%M %Z")


def _target(kind: str, value: float | None) -> str:
    if value is None:
        return "not reached"
    if kind == "availability":
        return f"{value * 100:.3f}%"
    return format_duration(value)


_DAY_CLASSES = ((1.0, "a100"), (0.999, "a999"), (0.99, "a99"), (0.95, "a95"))


def day_class(availability: float) -> str:
    """The colour class of a day's uptime bar."""
    return next((c for floor, c in _DAY_CLASSES if availability >= floor), "alow")


def _day_title(result: RunResult, name: str, d: UptimeDay) -> str:
    span = ""
    if d.partial:
        until = "24:00" if d.end_s < result.horizon_s else f"{result.wall(d.end_s):%H:%M}"
        span = f" (simulated {result.wall(d.start_s):%H:%M}–{until})"
    outage = "no outage" if d.outage_s <= 0 else \
        f"{format_duration(d.outage_s)} of outage (customer-weighted)"
    return f"{name}, {d.day:%a %d %b %Y}: {d.availability * 100:.2f}% uptime; {outage}{span}"


def run_context(result: RunResult, sc: Scenario) -> dict[str, Any]:
    m = result.metrics
    page: StatusPage = status_page(result, sc)
    plots = _plots()
    figures = [
        _figure("Incident timeline: runbook steps by staff role, with detection, declaration, "
                "failover and failback", "timeline", lambda: plots.plot_timeline(result, sc)),
        _figure("Status strips: each service and customer group, up, degraded or down over "
                "time", "status", lambda: plots.plot_status(result, sc)),
        _figure("Topology" + (" at the incident's worst moment" if page.worst_s is not None
                              else ""),
                "topology", lambda: plots.plot_topology(sc, result, at_s=page.worst_s)),
    ]
    start = result.incidents[0].start_s if result.incidents else None
    events = [{"when": _when(result, e.time_s, seconds=True), "iso": result.wall(e.time_s)
               .isoformat(), "since": format_duration(e.time_s - start)
               if start is not None and e.time_s >= start else "",
               "kind": e.kind.replace("_", " "), "subject": e.subject, "detail": e.detail}
              for e in result.timeline]
    yearly = is_yearly(result.horizon_s, sc)
    objectives = []
    for o in m.objectives:
        p = availability_period(o, result.horizon_s, yearly)
        objectives.append({
            "id": o.id, "kind": o.kind, "subject": o.subject,
            "target": p.target_text() if p else _target(o.kind, o.target),
            "achieved": p.achieved_text() if p else _target(o.kind, o.achieved),
            "met": o.met, "period": "" if p is None or yearly else " over the drill",
            "budget": p.budget_text() if p else ""})
    headline = [
        ("incidents", str(m.incidents)),
        ("time to detect", format_duration(m.ttd_s)),
        ("time to declare", format_duration(m.declared_after_s)),
        ("time to basic service (worst group)",
         format_duration(m.rto_basic_s) if m.all_restored else "not reached"),
        ("time to full recovery (worst group)",
         format_duration(m.rto_full_s) if m.all_recovered else "not reached"),
        ("customer-minutes lost", f"{m.customer_minutes_lost:,.0f}"),
        *((f"data lost: {s}", format_duration(v)) for s, v in m.data_lost_s.items() if v > 0),
    ]
    groups = [{"id": g.group, "name": sc.customers[g.group].name or g.group,
               "customers": f"{g.customers:,}",
               "basic": format_duration(g.rto_basic_s) if g.restored else "not reached",
               "full": format_duration(g.rto_full_s) if g.recovered else "not reached",
               "downtime": format_duration(g.downtime_s),
               "availability": f"{g.availability * 100:.3f}%"} for g in m.groups.values()]
    status = status_context(result, page)
    return {
        "kind": "run", "title": f"drsim drill report: {sc.name}", "name": sc.name,
        "description": sc.description or "", "seed": result.seed,
        "start": _when(result, 0.0), "timezone": sc.simulation.timezone,
        "horizon": format_duration(result.horizon_s),
        "version": version("drsim"), "csp": CSP,
        "objectives": objectives, "passed": sum(o["met"] for o in objectives),
        "breached": sum(not o["met"] for o in objectives),
        "headline": headline, "story": incident_story(result), "figures": figures,
        "why": why_lines(result, sc),
        "events": events, "groups": groups, "status": status, "states": STATES,
    }


def status_context(result: RunResult, page: StatusPage) -> dict[str, Any]:
    """The status page of one drill, ready for the template's status_page macro."""
    return {
        "overall_end": page.overall_at_end,
        "overall_worst": page.overall_at_worst if page.worst_s is not None else None,
        "worst_s": page.worst_s, "worst_when": _when(result, page.worst_s),
        "worst_iso": result.wall(page.worst_s).isoformat() if page.worst_s is not None else "",
        "end_when": _when(result, result.horizon_s),
        "rows": [{"id": s, "name": page.names[s],
                  "end": e, "worst": w,
                  "days": [{"cls": day_class(d.availability),
                            "title": _day_title(result, page.names[s], d),
                            "date": d.day.strftime("%Y-%m-%d"),
                            "availability": f"{d.availability:.6f}"} for d in page.uptime[s]],
                  "period": _period_uptime(page.uptime[s])}
                 for s, e, w in zip(page.services, page.at_end,
                                    page.at_worst or (None,) * len(page.services), strict=True)],
        "first_day": page.uptime[page.services[0]][0].day.strftime("%a %d %b")
        if page.services else "",
        "last_day": page.uptime[page.services[0]][-1].day.strftime("%a %d %b")
        if page.services else "",
        "incidents": [{"number": i.number, "title": i.title, "resolved": i.resolved,
                       "services": [page.names[s] for s in i.services],
                       "updates": [{"status": u.status, "time_s": f"{u.time_s:g}",
                                    "when": _when(result, u.time_s),
                                    "iso": result.wall(u.time_s).isoformat(),
                                    "message": u.message} for u in reversed(i.updates)]}
                      for i in reversed(page.incidents)],
    }


def _period_uptime(days: tuple[UptimeDay, ...]) -> str:
    total = sum(d.end_s - d.start_s for d in days)
    out = sum(d.outage_s for d in days)
    return f"{(1.0 - out / total) * 100:.3f}%" if total else "—"


def render_run_report(result: RunResult, sc: Scenario) -> str:
    """The HTML report of one drill: summary, story, timeline, status page."""
    return _env.get_template("report.html.j2").render(**run_context(result, sc))


# ---------------------------------------------------------------- many trials

_WORST_COLUMNS = ("incidents", "first_incident_s", "ttd_s", "declared_after_s", "rto_basic_s",
                  "rto_full_s", "downtime_s", "customer_minutes_lost")
# (metric, kind of plot); an objective line is drawn where one objective sets that target
_DISTRIBUTIONS = (("rto_basic_s", "cdf"), ("rto_full_s", "cdf"), ("downtime_s", "hist"),
                  ("customer_minutes_lost", "hist"))


def _objective_for(sc: Scenario, metric: str) -> tuple[float, str] | None:
    """The target an objective sets on this trial column, if one does exactly."""
    base, _, subject = metric.partition(".")
    for o in sc.objectives:
        if base == "rto_basic_s" and not subject and o.rto is not None and o.service is None \
                and o.group is None:
            return o.rto, o.id
        if base == "rto_basic_s" and subject and o.rto is not None and o.group == subject:
            return o.rto, o.id
        if base == "data_lost_s" and o.rpo is not None and o.service == subject:
            return o.rpo, o.id
    return None


def _finite(frame: Any, column: str) -> int:
    import numpy as np

    if column not in frame:
        return 0
    values = np.asarray(frame[column], dtype=float)
    return int(np.isfinite(values).sum())


def _cell(name: str, value: Any) -> str:
    if value is None:
        return "—"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return format_value(name, x)


def trials_context(trials: Trials, summary: Summary | None = None,
                   replayed: RunResult | None = None,
                   replay: Callable[[int], str] | None = None) -> dict[str, Any]:
    """The page of a Monte Carlo run. `replayed`: the worst trial re-simulated as one drill
    (by the caller: reports never simulate), whose story and status page the page shows;
    `replay(n)`: the command that replays trial n, printed beside each worst trial."""
    sc = trials.scenario
    s = summary if summary is not None else trials.summary()
    frame = trials.frame
    ok = frame[frame["error"].isna()] if len(frame) else frame
    plots = _plots()
    figures: list[PageFigure] = []
    metrics = [*_DISTRIBUTIONS,
               *((f"data_lost_s.{o.service}", "cdf") for o in sc.objectives
                 if o.rpo is not None and o.service)]
    for metric, kind in dict.fromkeys(metrics):
        if _finite(ok, metric) == 0:
            continue
        target = _objective_for(sc, metric)
        caption = f"{label(metric)}: {'cumulative distribution' if kind == 'cdf' else 'histogram'}"
        if target is not None:
            caption += f", with the objective {target[1]}"
        figures.append(_figure(
            caption, f"dist{len(figures)}",
            partial(plots.plot_distribution, ok, metric, kind=kind,
                    objective=target[0] if target else None,
                    objective_name=target[1] if target else None)))
    pct = f"{s.level * 100:g}%"

    def row(m: Any) -> dict[str, Any]:
        e = m.mean
        mean = "—" if e.n == 0 else format_value(m.name, e.value)
        half = "" if e.n == 0 or not math.isfinite(e.half_width) else (
            format_duration(e.half_width) if m.name.partition(".")[0].endswith("_s")
            else format_value(m.name, e.half_width))
        return {"label": label(m.name), "name": m.name, "mean": mean, "half": half,
                "quantiles": [format_value(m.name, q.value) if q.n else "—"
                              for q in m.quantiles],
                "qnames": [f"P{round(q.p * 100):d}" for q in m.quantiles],
                "n": f"{m.n:,}", "censored": f"{m.censored:,}" if m.censored else ""}

    rows = [row(m) for m in s.metrics] if s.succeeded else []
    names = proportion_labels(sc)
    proportions = [{"label": names.get(p.name) or label(p.name), "name": p.name,
                    "objective": p.name.startswith("met."),
                    "p": _pct(p.estimate.value),
                    "ci": "—" if not (math.isfinite(p.estimate.low)
                                      and math.isfinite(p.estimate.high))
                    else f"{_pct(p.estimate.low)} – {_pct(p.estimate.high)}",
                    "of": f"{p.successes:,} of {p.estimate.n:,}"} for p in s.proportions]
    met_cols = [str(c) for c in ok.columns if str(c).startswith("met.")]
    records = {int(r["trial"]): r for r in ok.to_dict("records")}
    worst = []
    for t in worst_trials(ok):
        r = records[t]
        met = sum(bool(r[c]) for c in met_cols)
        worst.append({"trial": t,
                      "cells": [_cell(c, r[c]) if c in r else "—" for c in _WORST_COLUMNS],
                      "objectives": f"{met} of {len(met_cols)}" if met_cols else "—",
                      "breached": breached_in(r, met_cols),
                      "command": replay(t) if replay is not None else ""})
    replayed_page = None
    if replayed is not None:
        replayed_page = {"trial": replayed.trial, "story": incident_story(replayed),
                         "why": why_lines(replayed, sc),
                         "command": replay(replayed.trial) if replay is not None else "",
                         "status": status_context(replayed, status_page(replayed, sc))}
    annual = None
    if s.annual is not None:
        a = s.annual

        def est(e: Any, fmt: Callable[[float], str]) -> dict[str, str]:
            return {"value": "—" if math.isnan(e.value) else fmt(e.value),
                    "ci": "—" if not (math.isfinite(e.low) and math.isfinite(e.high))
                    else f"{fmt(e.low)} – {fmt(e.high)}"}

        annual = [("availability (customer-weighted)",
                   est(a.availability, lambda x: _pct(x, 4))),
                  ("downtime (customer-weighted)", est(a.weighted_downtime_s, format_duration)),
                  ("downtime (worst group)", est(a.downtime_s, format_duration)),
                  ("customer-minutes lost", est(a.customer_minutes_lost, lambda x: f"{x:,.0f}")),
                  ("incidents", est(a.incidents, lambda x: f"{x:,.2f}"))]
    state = "complete" if trials.complete else "stopped early; the finished trials are shown" \
        if trials.interrupted else f"not complete: {s.failed:,} of {len(frame):,} trials failed"
    return {
        "kind": "trials", "title": f"drsim Monte Carlo report: {sc.name}", "name": sc.name,
        "description": sc.description or "", "seed": trials.seed, "version": version("drsim"),
        "csp": CSP, "trials": f"{len(frame):,}", "requested": f"{trials.requested:,}",
        "failed": s.failed, "state": state, "stopped_by": trials.stopped_by,
        "errors": [{"message": e.message, "count": f"{e.count:,}"} for e in s.errors],
        "level": pct, "rows": [r for r in rows if "." not in r["name"]],
        "group_rows": [r for r in rows if "." in r["name"]],
        "qnames": rows[0]["qnames"] if rows else [],
        "objectives": [p for p in proportions if p["objective"]],
        "other_proportions": [p for p in proportions if not p["objective"]],
        "figures": figures, "worst": worst, "replayed": replayed_page,
        "worst_columns": [label(c) for c in _WORST_COLUMNS], "annual": annual,
        "notes": list(s.notes),
    }


def _pct(x: float, digits: int = 1) -> str:
    return "—" if math.isnan(x) else f"{x * 100:.{digits}f}%"


def render_trials_report(trials: Trials, summary: Summary | None = None,
                         replayed: RunResult | None = None,
                         replay: Callable[[int], str] | None = None) -> str:
    """The HTML report of a Monte Carlo run: P(objective met), the summary table,
    distributions, the five worst trials by customer-minutes lost with the command that
    replays each, and the worst one's story and status page (from `replayed`)."""
    return _env.get_template("report.html.j2").render(
        **trials_context(trials, summary, replayed, replay))
