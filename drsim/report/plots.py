"""Figures (matplotlib): the incident timeline, status strips, the topology map, distributions.

Every function draws on `ax` when given (and returns its Figure), or on a new Figure of its
own; none touches pyplot's global state or calls show(), so they work on any backend (Agg in
tests, inline in notebooks, SVG in the HTML report). Artists carry a `gid` naming what they
stand for ('step:failover.open-bridge', 'status:enterprise:down', 'site:nyc', 'link:nyc-chi',
'objective', ...), which the SVG output keeps as element ids and the tests use to count.
Reports never simulate: every function reads a RunResult (or a frame of trials) and the
Scenario it came from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from drsim.metrics import index_intervals
from drsim.result import RunResult
from drsim.scenario.schema import AccessPoint, Scenario, Site
from drsim.stats import completed, resolve_metric
from drsim.topology import Topology
from drsim.units import format_duration

STATE_COLOURS = {"up": "#2e9d4a", "degraded": "#f0a830", "down": "#d63b3b",
                 "standby": "#c8c8c8"}
NO_ROLE = "(no role)"
MARKERS = (  # (event kind, label, colour, line style) for the timeline's vertical markers
    ("incident_start", "incident start", "#d63b3b", "-"),
    ("detected", "detected", "#7a4fbf", "--"),
    ("declared", "declared", "#333333", "-."),
)
_STEP_COLOURS = ("#4c78a8", "#9c755f", "#54a24b", "#b279a2", "#72b7b2", "#e45756")


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The given axes and their figure, or a fresh Figure (not registered with pyplot)."""
    if ax is not None:
        return ax.get_figure(root=True), ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


# ---- wall-clock axes ---------------------------------------------------------------------


def _num(result: RunResult, t_s: float) -> float:
    """Simulation seconds → a matplotlib date number (days, UTC-based)."""
    return float(mdates.date2num(result.wall(t_s)))


def _days(seconds: float) -> float:
    return seconds / 86400.0


def _date_axis(ax: Axes, scenario: Scenario) -> None:
    tz = ZoneInfo(scenario.simulation.timezone)
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))
    ax.set_xlabel(f"Wall-clock time ({scenario.simulation.timezone})")


def window_spans(scenario: Scenario, origin: datetime, start_s: float,
                 end_s: float) -> Iterator[tuple[str, float, float]]:
    """(window id, open from, open until) in simulation seconds, clipped to [start_s, end_s],
    for every maintenance window of the scenario."""
    tz = scenario.simulation.timezone
    for wid in sorted(scenario.maintenance_windows):
        cal = scenario.maintenance_windows[wid].in_zone(tz)
        t = start_s
        for _ in range(10_000):  # a weekly calendar opens at most ~7 times a week
            begin = t + cal.wait_s(origin, t)
            if not begin < end_s:
                break
            until = cal.open_until_s(origin, begin)
            yield wid, begin, min(until, end_s)
            if not until > begin:
                break
            t = until


# ---- the incident timeline ---------------------------------------------------------------


def _step_roles(scenario: Scenario, runbook: str, step: str, who: tuple[str, ...]) -> list[str]:
    book = scenario.runbooks.get(runbook)
    for s in book.steps if book else ():
        if s.id == step:
            return list(s.roles) or [NO_ROLE]
    roles = sorted({w.split("#")[0] for w in who})
    return roles or [NO_ROLE]


def step_lanes(result: RunResult, scenario: Scenario) -> list[str]:
    """Timeline lanes, top to bottom: staff roles in order of first use, then steps without
    a role (a step needing several roles is drawn in each of their lanes)."""
    lanes: list[str] = []
    for rec in sorted(result.steps, key=lambda s: (s.start_s, s.runbook, s.step)):
        for role in _step_roles(scenario, rec.runbook, rec.step, rec.who):
            if role not in lanes:
                lanes.append(role)
    if NO_ROLE in lanes:
        lanes.remove(NO_ROLE)
        lanes.append(NO_ROLE)
    return lanes


def timeline_markers(result: RunResult) -> list[tuple[str, str, float]]:
    """(kind, label, time_s) of the vertical markers: incident start, detection, declaration,
    and the end of each runbook ('failover done', 'failback done')."""
    out = []
    for e in result.timeline:
        for kind, label, _, _ in MARKERS:
            if e.kind == kind:
                out.append((kind, label, e.time_s))
        if e.kind == "runbook_end":
            done = "done" if e.detail in ("", "completed") else e.detail
            out.append(("runbook_end", f"{e.subject} {done}", e.time_s))
    return out


def _timeline_span(result: RunResult) -> tuple[float, float]:
    """The part of the horizon worth showing: from just before the first incident or step to
    just after the last step or incident end (the whole horizon when nothing happened)."""
    times = [s.start_s for s in result.steps] + [s.end_s for s in result.steps]
    for inc in result.incidents:
        times += [inc.start_s] + ([inc.end_s] if inc.end_s is not None else [result.horizon_s])
    if not times:
        return 0.0, result.horizon_s
    lo, hi = min(times), max(times)
    pad = max(0.04 * (hi - lo), 600.0)
    return max(0.0, lo - pad), min(result.horizon_s, hi + pad)


def plot_timeline(result: RunResult, scenario: Scenario, ax: Axes | None = None) -> Figure:
    """Gantt of the runbook steps in one lane per staff role, with vertical markers for the
    incident start, detection, declaration and each runbook's end (failover done, failback
    done), maintenance windows shaded; wall-clock time in the scenario's zone on the x axis."""
    lanes = step_lanes(result, scenario)
    fig, ax = _axes(ax, (11, 1.6 + 0.7 * max(len(lanes), 1)))
    lo_s, hi_s = _timeline_span(result)
    for wid, a, b in window_spans(scenario, result.origin, lo_s, hi_s):
        ax.axvspan(_num(result, a), _num(result, b), color="#9ecae1", alpha=0.3, lw=0,
                   gid=f"window:{wid}", label=f"maintenance window '{wid}'")
    books = sorted({s.runbook for s in result.steps})
    colour = {b: _STEP_COLOURS[i % len(_STEP_COLOURS)] for i, b in enumerate(books)}
    row = {lane: i for i, lane in enumerate(lanes)}
    in_lane: dict[str, int] = {}
    for rec in sorted(result.steps, key=lambda s: (s.start_s, s.runbook, s.step)):
        for role in _step_roles(scenario, rec.runbook, rec.step, rec.who):
            nth = in_lane[role] = in_lane.get(role, -1) + 1  # labels alternate above/below
            failed = "failed" in rec.outcome or rec.outcome == "skipped"
            ax.barh(row[role], _days(rec.end_s - rec.start_s), left=_num(result, rec.start_s),
                    height=0.5, color=colour[rec.runbook], alpha=0.5 if failed else 0.9,
                    edgecolor="#d63b3b" if failed else "white", hatch="//" if failed else None,
                    gid=f"step:{rec.runbook}.{rec.step}",
                    label=f"runbook '{rec.runbook}'")
            above = nth % 2 == 0
            ax.text(_num(result, rec.start_s), row[role] + (-0.32 if above else 0.32),
                    rec.step, fontsize=6.5, va="bottom" if above else "top", ha="left",
                    clip_on=True, gid=f"label:{rec.runbook}.{rec.step}")
    for kind, label, t in timeline_markers(result):
        style = next((m for m in MARKERS if m[0] == kind), (kind, label, "#2e9d4a", ":"))
        ax.axvline(_num(result, t), color=style[2], ls=style[3], lw=1.4, gid=f"marker:{label}",
                   label=label)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    ax.set_xlim(_num(result, lo_s), _num(result, hi_s))
    _date_axis(ax, scenario)
    ax.set_ylabel("Staff role")
    ax.set_title(f"{scenario.name}: runbook steps" if lanes else
                 f"{scenario.name}: no runbook step ran")
    _legend(ax)
    _unique_gids(ax)
    return fig


def _unique_gids(ax: Axes) -> None:
    """Repeated gids (a state's second span, a step drawn in two lanes) get '#2', '#3'...
    so every element id in the SVG is unique; the first keeps its plain gid."""
    seen: dict[str, int] = {}
    for artist in ax.get_children():
        gid = artist.get_gid()
        if gid:
            seen[gid] = seen.get(gid, 0) + 1
            if seen[gid] > 1:
                artist.set_gid(f"{gid}#{seen[gid]}")


def _legend(ax: Axes, extra: list[Any] | None = None, **kw: Any) -> None:
    """One legend entry per label (bars of one runbook share a label)."""
    handles, labels = ax.get_legend_handles_labels()
    seen: dict[str, Any] = {}
    for h, lab in zip(handles, labels, strict=True):
        seen.setdefault(lab, h)
    for h in extra or []:
        seen.setdefault(h.get_label(), h)
    if seen:
        ax.legend(list(seen.values()), list(seen), fontsize=7,
                  **({"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} | kw))


# ---- status strips -------------------------------------------------------------------------


def group_states(result: RunResult, group: str) -> list[tuple[float, float, str]]:
    """(from, until, state) spans covering the horizon: 'down' without basic service,
    'degraded' when some service is lost or the group is not yet fully recovered (away from
    home, or home without full redundancy), 'up' otherwise."""
    spells = index_intervals([i for i in result.intervals if i.subject == group])
    horizon = result.horizon_s
    cuts = {0.0, horizon}
    for items in spells.values():
        for i in items:
            cuts.update({i.start_s, i.end_s if i.end_s is not None else horizon})
    edges = sorted(c for c in cuts if 0.0 <= c <= horizon)

    def lacking(what_s: list[str], t: float) -> bool:
        return any(i.start_s <= t < (i.end_s if i.end_s is not None else math.inf)
                   for (_, what), items in spells.items() if what in what_s for i in items)

    others = [w for (_, w) in spells if w != "basic"]
    out: list[tuple[float, float, str]] = []
    for a, b in zip(edges, edges[1:], strict=False):
        mid = (a + b) / 2
        state = ("down" if lacking(["basic"], mid) else
                 "degraded" if lacking(others, mid) else "up")
        if out and out[-1][2] == state:
            out[-1] = (out[-1][0], b, state)
        else:
            out.append((a, b, state))
    return out


def service_site_states(result: RunResult, scenario: Scenario, service: str,
                        site: str) -> list[tuple[float, float, str]]:
    """(from, until, state) of `service` at `site`: 'up' while it can serve there, 'down'
    while not at one of its active sites, 'standby' while idle at a standby site."""
    home = site in scenario.services[service].active
    idle = "down" if home else "standby"
    state, since, out = ("up" if home else idle), 0.0, []
    subject = f"{service}@{site}"
    for e in result.timeline:
        if e.subject != subject or e.kind not in ("service_up", "service_down"):
            continue
        new = "up" if e.kind == "service_up" else idle
        if new != state:
            if e.time_s > since:
                out.append((since, e.time_s, state))
            state, since = new, e.time_s
    out.append((since, result.horizon_s, state))
    return out


def plot_status(result: RunResult, scenario: Scenario, ax: Axes | None = None,
                by_site: bool = False) -> Figure:
    """Status strips over the horizon: one row per customer group (up / degraded / down) and,
    with by_site, one per service × site (up / down / standby)."""
    rows: list[tuple[str, str, list[tuple[float, float, str]]]] = [
        (g, f"status:{g}", group_states(result, g)) for g in sorted(scenario.customers)]
    if by_site:
        for svc in sorted(scenario.services):
            spec = scenario.services[svc]
            places = list(spec.active) + [s for s in (spec.standby.sites if spec.standby else ())
                                          if s not in spec.active]
            rows += [(f"{svc} @ {site}", f"service:{svc}@{site}",
                      service_site_states(result, scenario, svc, site)) for site in places]
    fig, ax = _axes(ax, (11, 1.4 + 0.45 * len(rows)))
    for y, (_, gid, spans) in enumerate(rows):
        for a, b, state in spans:
            ax.barh(y, _days(b - a), left=_num(result, a), height=0.7,
                    color=STATE_COLOURS[state], edgecolor="none", gid=f"{gid}:{state}")
    ax.set_yticks(range(len(rows)), [label for label, _, _ in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(_num(result, 0.0), _num(result, result.horizon_s))
    _date_axis(ax, scenario)
    ax.set_ylabel("Customer group" + (" / service @ site" if by_site else ""))
    ax.set_title(f"{scenario.name}: status over the drill")
    used = [s for s in STATE_COLOURS if any(st == s for _, _, sp in rows for *_, st in sp)]
    ax.legend(handles=[Patch(color=STATE_COLOURS[s], label=s) for s in used], fontsize=7,
              loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _unique_gids(ax)
    return fig


# ---- the topology map ----------------------------------------------------------------------


def node_positions(scenario: Scenario) -> tuple[dict[str, tuple[float, float]], bool]:
    """(x, y) of every site and access point, and whether they are geographic (lon, lat).
    Places without a location sit beside their located neighbours; with no location at all,
    a spring layout with a fixed seed places everything."""
    topo = Topology(scenario).graph
    places: dict[str, Site | AccessPoint] = {**scenario.sites, **scenario.access_points}
    known = {n: (p.location.lon, p.location.lat) for n, p in places.items()
             if p.location is not None}
    if not known:
        layout = nx.spring_layout(nx.Graph(topo), seed=7)
        return {n: (float(x), float(y)) for n, (x, y) in layout.items()}, False
    xs, ys = zip(*known.values(), strict=True)
    spread = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    centre = (float(np.mean(xs)), float(np.mean(ys)))
    pos: dict[str, tuple[float, float]] = dict(known)
    missing = [n for n in sorted(places) if n not in pos]
    for rnd in range(len(missing) + 1):
        for i, n in enumerate(missing):
            if n in pos:
                continue
            near = [pos[m] for m in topo[n] if m in pos]
            if near or rnd == len(missing):
                base = (tuple(np.mean(near, axis=0)) if near else centre)
                angle = 2 * math.pi * (i + 1) / (len(missing) + 1)
                r = 0.12 * spread
                pos[n] = (float(base[0]) + r * math.cos(angle),
                          float(base[1]) + r * math.sin(angle))
    return _declutter(pos, spread), True


def _declutter(pos: dict[str, tuple[float, float]],
               spread: float) -> dict[str, tuple[float, float]]:
    """Places closer than 5% of the map's extent (a site and the carrier interconnect across
    the street) are moved apart onto a small circle around their centre, each keeping its
    bearing from that centre, so every marker stays visible."""
    near = 0.05 * spread
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(pos)
    names = sorted(pos)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if math.dist(pos[a], pos[b]) < near:
                g.add_edge(a, b)
    out = dict(pos)
    for cluster in nx.connected_components(g):
        if len(cluster) < 2:
            continue
        members = sorted(cluster)
        cx = float(np.mean([pos[m][0] for m in members]))
        cy = float(np.mean([pos[m][1] for m in members]))
        for i, m in enumerate(members):
            dx, dy = pos[m][0] - cx, pos[m][1] - cy
            angle = math.atan2(dy, dx) if (dx, dy) != (0.0, 0.0) else \
                2 * math.pi * i / len(members)
            out[m] = (cx + near * math.cos(angle), cy + near * math.sin(angle))
    return out


def state_at(result: RunResult, scenario: Scenario, at_s: float) -> dict[str, Any]:
    """What the timeline says at `at_s`: elements down (sites, links), sites with a component
    below its needed count, and the site serving each customer group (None when unserved)."""
    down: set[str] = set()
    units: dict[tuple[str, str], int] = {}
    serving: dict[tuple[str, str], str | None] = {
        (g, s): grp.home for g, grp in scenario.customers.items() for s in grp.services}
    for e in result.timeline:
        if e.time_s > at_s:
            break
        if e.kind in ("site_down", "link_down"):
            down.add(e.subject)
        elif e.kind in ("site_up", "link_up"):
            down.discard(e.subject)
        elif e.kind in ("component_down", "component_up"):
            site, _, comp = e.subject.partition(".")
            m = re.match(r"(\d+) of", e.detail) if e.kind == "component_down" else \
                re.search(r"(\d+) units still down", e.detail)
            units[site, comp] = int(m.group(1)) if m else 0
        elif e.kind in ("service_lost", "service_restored"):
            svc, _, rest = e.detail.partition(" ")
            where = rest.removeprefix("at ").strip() if e.kind == "service_restored" else None
            serving[e.subject, svc] = where
    impaired = {site for (site, comp), n in units.items()
                if comp in scenario.sites[site].components
                and scenario.sites[site].components[comp].count - n
                < scenario.sites[site].components[comp].k}
    groups: dict[str, str | None] = {}
    for g, grp in scenario.customers.items():
        essential = [s for s in grp.services if scenario.services[s].essential] or grp.services
        sites = [serving.get((g, s)) for s in essential]
        groups[g] = sites[0] if sites and all(sites) else None
    return {"down": frozenset(down), "impaired": impaired - down, "serving": groups}


def _default_moment(result: RunResult) -> float:
    """The moment after the first runbook of the first incident ended (the failover done),
    else the first incident's start, else the start of the drill."""
    if not result.incidents:
        return 0.0
    start = result.incidents[0].start_s
    ends = [e.time_s for e in result.timeline if e.kind == "runbook_end" and e.time_s >= start]
    return ends[0] if ends else start


def plot_topology(scenario: Scenario, result: RunResult | None = None,
                  at_s: float | None = None, ax: Axes | None = None) -> Figure:
    """Sites (squares) and access points (triangles) placed by lat/lon when given, links
    between them; with a result, what was down at `at_s` (default: when the first failover
    runbook finished) is marked and the path from each access point to the site serving its
    customers is drawn (a failover path when that site is not their home)."""
    fig, ax = _axes(ax, (8, 6))
    pos, geographic = node_positions(scenario)
    state: dict[str, Any] = {"down": frozenset(), "impaired": set(), "serving": {}}
    if result is not None:
        at_s = _default_moment(result) if at_s is None else at_s
        state = state_at(result, scenario, at_s)
    down, impaired = state["down"], state["impaired"]
    span = _extent(pos)
    seen_pairs: dict[frozenset[str], int] = {}
    for lid in sorted(scenario.links):
        link = scenario.links[lid]
        k = seen_pairs.get(frozenset((link.a, link.b)), 0)
        seen_pairs[frozenset((link.a, link.b))] = k + 1
        (x0, y0), (x1, y1) = _offset(pos[link.a], pos[link.b], k, span)
        is_down = lid in down
        ax.plot([x0, x1], [y0, y1], color="#d63b3b" if is_down else "#777777",
                ls="--" if is_down else "-", lw=1.5, zorder=1, gid=f"link:{lid}",
                label="link down" if is_down else "link")
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, lid, fontsize=6, color="#555555", ha="center",
                va="center", zorder=4, gid=f"label:{lid}")
    topo = Topology(scenario)
    drawn: set[tuple[str, str]] = set()
    for g in sorted(state["serving"]):
        site, grp = state["serving"][g], scenario.customers[g]
        if site is None or grp.access == site or (grp.access, site) in drawn:
            continue
        drawn.add((grp.access, site))
        path = topo.path(grp.access, site, down)
        if not path:
            continue
        failover = site != grp.home
        ax.plot([pos[n][0] for n in path], [pos[n][1] for n in path],
                color="#7a4fbf" if failover else "#2e9d4a", lw=5, alpha=0.45, zorder=2,
                solid_capstyle="round", gid=f"path:{grp.access}->{site}",
                label="failover path" if failover else "serving path")
    for kind, table, marker in (("site", scenario.sites, "s"),
                                ("access point", scenario.access_points, "^")):
        for nid in sorted(table):
            status = "down" if nid in down else "impaired" if nid in impaired else "up"
            colour = {"up": "#4c78a8", "impaired": "#f0a830", "down": "#d63b3b"}[status]
            ax.plot(*pos[nid], marker="X" if status == "down" else marker, ms=13, color=colour,
                    mec="black", ls="none", zorder=3, gid=f"{kind.replace(' ', '_')}:{nid}",
                    label=kind if status == "up" else f"{kind} {status}")
            ax.annotate(nid, pos[nid], xytext=(0, 10), textcoords="offset points",
                        ha="center", fontsize=8, zorder=5)
    if geographic:
        ax.set_xlabel("Longitude (°)")
        ax.set_ylabel("Latitude (°)")
        lat0 = float(np.mean([y for _, y in pos.values()]))
        ax.set_aspect(1 / max(math.cos(math.radians(lat0)), 0.1), adjustable="datalim")
    else:
        ax.set_xlabel("Schematic layout (no locations given)")
        ax.set_ylabel("Schematic layout")
        ax.set_xticks([])
        ax.set_yticks([])
    ax.margins(0.15)
    when = "" if result is None or at_s is None else \
        f" at {result.wall(at_s):%a %d %b %H:%M %Z}"
    ax.set_title(f"{scenario.name}: topology{when}")
    _legend(ax, loc="best", bbox_to_anchor=None)
    _unique_gids(ax)
    return fig


def _extent(pos: dict[str, tuple[float, float]]) -> float:
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    return max(max(xs) - min(xs), max(ys) - min(ys), 1e-9) if pos else 1.0


def _offset(a: tuple[float, float], b: tuple[float, float], k: int,
            span: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The k-th parallel link between a and b, shifted sideways so each stays visible."""
    if k == 0:
        return a, b
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1.0
    shift = 0.015 * span * ((k + 1) // 2) * (1 if k % 2 else -1)
    nx_, ny_ = -dy / norm * shift, dx / norm * shift
    return (a[0] + nx_, a[1] + ny_), (b[0] + nx_, b[1] + ny_)


# ---- distributions of trial metrics ---------------------------------------------------------

METRIC_LABELS = {
    "rto_basic_s": "Time to basic service (RTO basic, worst group)",
    "rto_full_s": "Time to full recovery (RTO full, worst group)",
    "downtime_s": "Downtime without basic service (worst group)",
    "ttd_s": "Time to detect",
    "tta_s": "Time to acknowledge",
    "declared_after_s": "Time to declare",
    "first_incident_s": "First incident start",
    "customer_minutes_lost": "Customer-minutes lost",
    "unavailability": "Unavailability (customer-weighted)",
    "incidents": "Incidents",
}


def metric_label(name: str) -> str:
    """A readable name for a trial column ('data_lost_s.voice' → 'Data lost (RPO), voice')."""
    base, _, part = name.partition(".")
    if base == "data_lost_s":
        return f"Data lost (RPO), {part}"
    label = METRIC_LABELS.get(base, base)
    return f"{label.split(' (')[0].replace(', worst group', '')}, {part}" if part else label


def is_duration(name: str) -> bool:
    return name.partition(".")[0].endswith("_s")


def duration_unit(values: np.ndarray, objective: float | None = None) -> tuple[str, float]:
    """('hours', 3600) when the largest finite value (or the objective) is 2 h or more,
    else ('minutes', 60)."""
    finite = values[np.isfinite(values)]
    top = max([float(finite.max()) if len(finite) else 0.0,
               objective if objective is not None else 0.0])
    return ("hours", 3600.0) if top >= 7200.0 else ("minutes", 60.0)


def met_fraction(values: np.ndarray, objective: float) -> tuple[int, int]:
    """(trials at or under the objective, trials where the metric applies): NaN (not
    applicable) is left out, +inf (never reached) counts as missed."""
    x = values[~np.isnan(values)]
    return int((x <= objective).sum()), len(x)


def plot_distribution(frame: pd.DataFrame, metric: str, kind: str = "hist",
                      objective: float | None = None, label: str | None = None,
                      ax: Axes | None = None, bins: int = 30) -> Figure:
    """Histogram or empirical CDF of a trial metric over the completed trials, durations in
    hours or minutes (the axis label says which); `objective` (in the metric's own units,
    seconds for durations) is drawn as a vertical line with P(met) in the legend. Censored
    values (+inf: never reached within the horizon) are counted in the title; the CDF is over
    all trials where the metric applies, so it stops short of 1 by their share."""
    if kind not in ("hist", "cdf"):
        raise ValueError(f"kind '{kind}': use 'hist' or 'cdf'")
    name = resolve_metric(frame, metric)
    values = pd.to_numeric(completed(frame)[name], errors="coerce").to_numpy(dtype=float)
    fig, ax = _axes(ax, (8, 4.5))
    applies = values[~np.isnan(values)]
    finite = applies[np.isfinite(applies)]
    censored = int((applies == np.inf).sum())
    unit, scale = duration_unit(values, objective) if is_duration(name) else ("", 1.0)
    shown = finite / scale
    text = label or metric_label(name)
    ax.set_xlabel(f"{text} ({unit})" if unit else text)
    if kind == "hist":
        if len(shown):
            ax.hist(shown, bins=bins, color="#4c78a8", edgecolor="white", gid="bars")
        ax.set_ylabel("Trials")
    else:
        if len(shown):
            xs = np.sort(shown)
            ys = np.arange(1, len(xs) + 1) / len(applies)
            ax.step(np.r_[xs[0], xs], np.r_[0.0, ys], where="post", color="#4c78a8", lw=1.8,
                    gid="cdf", label="empirical CDF")
        ax.set_ylabel("Fraction of trials at or below")
        ax.set_ylim(0, 1.02)
    if objective is not None:
        met, n = met_fraction(values, objective)
        p = f"{met / n:.1%}" if n else "n/a"
        target = format_duration(objective) if unit else f"{objective:g}"
        ax.axvline(objective / scale, color="#d63b3b", ls="--", lw=1.5, gid="objective",
                   label=f"objective {target}: P(met) = {p} ({met} of {n} trials)")
    title = f"{text}: {len(applies)} trials"
    if censored:
        title += (f"; {censored} ({censored / len(applies):.1%}) never reached within the "
                  "horizon" + (", not shown" if kind == "hist" else ", CDF ends below 1"))
    not_applicable = len(values) - len(applies)
    if not_applicable:
        title += f"; not applicable in {not_applicable}"
    ax.set_title(title, fontsize=10)
    if not len(shown):
        ax.text(0.5, 0.5, "no finite values to show", transform=ax.transAxes, ha="center",
                va="center", gid="note")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right" if kind == "cdf" else "upper right")
    _unique_gids(ax)
    return fig


# ---- decisions: comparison, sweep, investment, tornado ---------------------------------------

_BETTER, _WORSE, _NEUTRAL = "#2e9d4a", "#d63b3b", "#4c78a8"


def _frame_metric(frame: pd.DataFrame, metric: str) -> str:
    """The metric's name as the result frame has it ('rto_basic' finds 'rto_basic_s');
    ValueError with the known names otherwise."""
    return resolve_metric(pd.DataFrame(columns=list(dict.fromkeys(frame["metric"]))), metric)


def decision_label(name: str) -> str:
    """metric_label, plus P(...) for the yes/no columns of a comparison."""
    base, _, part = name.partition(".")
    if base == "met":
        return f"P(objective {part} met)"
    if base in ("all_restored", "all_recovered"):
        return f"P({base.replace('_', ' ')})"
    return metric_label(name)


def _unit(name: str, values: Any) -> tuple[str, float]:
    """(unit, divisor) to show a metric's values: hours or minutes for durations (by the
    largest magnitude), none otherwise."""
    if not is_duration(name):
        return "", 1.0
    return duration_unit(np.abs(np.asarray(values, dtype=float)).ravel())


def _with_unit(text: str, unit: str) -> str:
    return f"{text} ({unit})" if unit else text


def _errors(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error-bar lengths below and above each value; NaN (no bar) where an end is not finite."""
    below = np.where(np.isfinite(low), value - low, np.nan)
    above = np.where(np.isfinite(high), high - value, np.nan)
    return np.vstack([np.maximum(below, 0.0), np.maximum(above, 0.0)])


def _gid_errorbar(container: Any, gid: str) -> None:
    """The data line gets `gid`, the interval's line collection 'ci:' + the same name."""
    line, _, bars = container.lines
    line.set_gid(gid)
    for b in bars:
        b.set_gid("ci:" + gid.partition(":")[2])


def plot_comparison(comparison: Any, metric: str, ax: Axes | None = None) -> Figure:
    """Paired differences of `metric` against the baseline (Comparison.frame): one point with
    its confidence interval per variant other than the baseline (gid 'diff:<variant>'), the
    baseline itself as the zero line (gid 'zero'). Green: significantly better, red:
    significantly worse (by the metric's 'better' direction), blue: not significant."""
    name = _frame_metric(comparison.frame, metric)
    rows = comparison.frame[comparison.frame["metric"] == name]
    others = rows[~rows["baseline"].astype(bool)]
    fig, ax = _axes(ax, (8, 1.8 + 0.5 * max(len(others), 1)))
    d = others[["diff", "diff_low", "diff_high"]].to_numpy(dtype=float)
    unit, scale = _unit(name, d[np.isfinite(d)])
    for y, (_, r) in enumerate(others.iterrows()):
        value = float(r["diff"])
        if bool(r["significant"]):
            good = (value < 0) == (r["better"] == "lower")
            colour, label = (_BETTER, "significantly better") if good else \
                (_WORSE, "significantly worse")
        else:
            colour, label = _NEUTRAL, "not significant"
        err = _errors(np.array([value]), np.array([float(r["diff_low"])]),
                      np.array([float(r["diff_high"])])) / scale
        eb = ax.errorbar([value / scale], [y], xerr=err, fmt="o", color=colour, capsize=4,
                         ms=6, label=label)
        _gid_errorbar(eb, f"diff:{r['variant']}")
        if not math.isfinite(value):
            ax.text(0.5, y, "no paired values (not applicable, or never reached)",
                    transform=ax.get_yaxis_transform(), ha="center", va="center",
                    fontsize=8, color="#777777", gid=f"na:{r['variant']}")
    ax.axvline(0.0, color="#333333", lw=1.2, ls="--", gid="zero",
               label=f"baseline ({comparison.baseline})")
    ax.set_yticks(range(len(others)), [str(v) for v in others["variant"]])
    ax.set_ylim(max(len(others), 1) - 0.5, -0.5)
    text = decision_label(name)
    ax.set_xlabel(_with_unit(f"{text}: variant − {comparison.baseline}", unit))
    ax.set_ylabel("Variant")
    level = getattr(comparison, "level", 0.95)
    ax.set_title(f"Paired differences against {comparison.baseline} "
                 f"({comparison.trials} paired trials, {level:.0%} CI)", fontsize=10)
    if others.empty:
        ax.text(0.5, 0.5, "only the baseline: nothing to compare", transform=ax.transAxes,
                ha="center", va="center", gid="note")
    _legend(ax, loc="best", bbox_to_anchor=None)
    _unique_gids(ax)
    return fig


def _axis_values(values: list[str]) -> tuple[list[float], bool]:
    """Numbers when every value reads as one (x spaced by value), else positions 0..n-1 with
    the values as written as tick labels (e.g. '1Gbps', '10Gbps')."""
    try:
        return [float(v) for v in values], True
    except ValueError:
        return [float(i) for i in range(len(values))], False


def plot_sweep(sweep: Any, metric: str, ax: Axes | None = None) -> Figure:
    """`metric` (estimate and confidence interval per cell, Sweep.frame) against the first
    swept parameter, one line per value of the other parameters (gid 'line:<their values>',
    one point per cell); values that are all numbers are spaced by value, others evenly in the
    order given."""
    name = _frame_metric(sweep.frame, metric)
    rows = sweep.frame[sweep.frame["metric"] == name]
    first, rest = sweep.parameters[0], list(sweep.parameters[1:])
    xs_text = list(dict.fromkeys(str(v) for v in rows[first]))
    xs, numeric = _axis_values(xs_text)
    where = dict(zip(xs_text, xs, strict=True))
    fig, ax = _axes(ax, (8, 4.5))
    est = rows[["estimate", "low", "high"]].to_numpy(dtype=float)
    unit, scale = _unit(name, est[np.isfinite(est)])
    groups = list(dict.fromkeys(tuple(str(r[p]) for p in rest) for _, r in rows.iterrows()))
    for j, key in enumerate(groups):
        sub = rows[[tuple(str(r[p]) for p in rest) == key for _, r in rows.iterrows()]]
        shift = 0.0 if numeric else (j - (len(groups) - 1) / 2) * min(0.25 / len(groups), 0.08)
        x = np.array([where[str(v)] for v in sub[first]]) + shift
        v = sub["estimate"].to_numpy(dtype=float)
        err = _errors(v, sub["low"].to_numpy(dtype=float), sub["high"].to_numpy(dtype=float))
        label = (key[0] if len(rest) == 1 else
                 ", ".join(f"{p}={k}" for p, k in zip(rest, key, strict=True)) or name)
        eb = ax.errorbar(x, v / scale, yerr=err / scale, fmt="-o", capsize=4, ms=5,
                         color=_STEP_COLOURS[j % len(_STEP_COLOURS)], label=label)
        _gid_errorbar(eb, f"line:{label}")
    if not numeric or len(xs) <= 12:
        ax.set_xticks(xs, xs_text)
    ax.set_xlabel(first)
    text = decision_label(name)
    ax.set_ylabel(_with_unit(text, unit))
    level = getattr(sweep.comparison, "level", 0.95)
    ax.set_title(f"{text}\nby {first} ({sweep.trials} paired trials per cell, {level:.0%} CI)",
                 fontsize=10)
    if rest:
        ax.legend(fontsize=8, title=", ".join(rest), title_fontsize=8, loc="best")
    _unique_gids(ax)
    return fig


def plot_pareto(investment: Any, ax: Axes | None = None) -> Figure:
    """Total cost of ownership over the years against expected downtime per year (worst group;
    error bar: its confidence interval), every option a labelled point (gid 'option:<label>'),
    filled when on the Pareto frontier; the frontier (Option.pareto, cheapest first) as a step
    line (gid 'frontier'): for any budget, the least downtime it can buy."""
    from drsim.report.invest_text import money

    options = list(investment.options)
    fig, ax = _axes(ax, (8, 5))
    shown = [o.annual_downtime_s.value for o in options] + [o.annual_downtime_s.high
                                                            for o in options]
    unit, scale = duration_unit(np.asarray(shown, dtype=float))
    for o in options:
        e = o.annual_downtime_s
        err = _errors(np.array([e.value]), np.array([e.low]), np.array([e.high])) / scale
        on = bool(o.pareto)
        eb = ax.errorbar([o.tco], [e.value / scale], yerr=err, fmt="o", ms=8, capsize=4,
                         color=_NEUTRAL if on else "#999999",
                         mfc=_NEUTRAL if on else "white",
                         label="on the Pareto frontier" if on else "dominated")
        _gid_errorbar(eb, f"option:{o.label}")
        ax.annotate(o.label, (o.tco, e.value / scale), xytext=(6, 6),
                    textcoords="offset points", fontsize=8, gid=f"label:{o.label}")
    front = sorted((o for o in options if o.pareto),
                   key=lambda o: (o.tco, o.annual_downtime_s.value))
    if front:
        ax.step([o.tco for o in front], [o.annual_downtime_s.value / scale for o in front],
                where="post", color=_NEUTRAL, lw=1.5, alpha=0.7, gid="frontier",
                label="Pareto frontier")
    ax.xaxis.set_major_formatter(lambda x, _: money(x))
    ax.set_xlabel(f"Total cost of ownership over {investment.years:g} years "
                  f"({investment.currency})")
    ax.set_ylabel(f"Expected downtime per year, worst group ({unit})")
    ax.margins(x=0.12, y=0.08)
    ax.set_title(f"Cost against expected downtime: {len(options)} options, "
                 f"{len(front)} on the frontier", fontsize=10)
    _legend(ax, loc="best", bbox_to_anchor=None)
    _unique_gids(ax)
    return fig


def plot_tornado(tornado_result: Any, ax: Axes | None = None,
                 top: int | None = None) -> Figure:
    """One-at-a-time tornado: per uncertain input, a bar from the metric with every input at
    its median (the baseline line, gid 'baseline') to the metric with that input at its P10
    (gid 'low:<input>') and one to it at its P90 ('high:<input>'); inputs sorted by swing,
    largest on top; `top` keeps the largest few. Takes a Sensitivity, or the
    (bars, median value) pair of analysis.sensitivity.tornado()."""
    from drsim.analysis.sensitivity import TORNADO_RANGE

    if hasattr(tornado_result, "tornado"):
        bars, median = tornado_result.tornado, tornado_result.median_value
        name = tornado_result.metric
    else:
        (bars, median), name = tornado_result, "metric"
    bars = sorted(bars, key=lambda b: -b.swing)[:top]
    fig, ax = _axes(ax, (9, 1.6 + 0.4 * max(len(bars), 1)))
    values = [median] + [b.metric_low for b in bars] + [b.metric_high for b in bars]
    unit, scale = _unit(name, [v for v in values if math.isfinite(v)])
    lo_p, hi_p = (f"P{round(p * 100)}" for p in TORNADO_RANGE)
    for y, b in enumerate(bars):
        ax.barh(y, (b.metric_low - median) / scale, left=median / scale, height=0.6,
                color="#4c78a8", gid=f"low:{b.name}", label=f"input at its {lo_p}")
        ax.barh(y, (b.metric_high - median) / scale, left=median / scale, height=0.6,
                color="#f58518", gid=f"high:{b.name}", label=f"input at its {hi_p}")
    if math.isfinite(median):
        shown = format_duration(median) if unit else f"{median:,.4g}"
        ax.axvline(median / scale, color="#333333", lw=1.2, gid="baseline",
                   label=f"every input at its median: {shown}")
    ax.set_yticks(range(len(bars)), [b.name for b in bars])
    ax.set_ylim(max(len(bars), 1) - 0.5, -0.5)
    ax.use_sticky_edges = False  # bars start at the median: leave room to see its line
    ax.margins(x=0.05)
    ax.set_xlabel(_with_unit(decision_label(name), unit))
    ax.set_ylabel("Uncertain input")
    ax.set_title(f"Tornado: each input at its {lo_p} / {hi_p}, the others at their median",
                 fontsize=10)
    if not bars:
        ax.text(0.5, 0.5, "no uncertain input: nothing to rank", transform=ax.transAxes,
                ha="center", va="center", gid="note")
    _legend(ax, loc="best", bbox_to_anchor=None)
    _unique_gids(ax)
    return fig
