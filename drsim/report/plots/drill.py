"""Figures of one drill: the incident timeline, status strips and the topology map.

Every function reads a RunResult and the Scenario it came from (reports never simulate) and
draws on `ax` when given, or on a new Figure of its own (see drsim.report.plots).
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
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from drsim.metrics import index_intervals
from drsim.report.plots.common import (
    STEP_COLOURS,
    Spot,
    legend,
    new_axes,
    place_texts,
    set_title,
    unique_gids,
)
from drsim.result import RunResult
from drsim.scenario.schema import AccessPoint, Scenario, Site
from drsim.topology import Topology

STATE_COLOURS = {"up": "#2e9d4a", "degraded": "#f0a830", "down": "#d63b3b",
                 "standby": "#c8c8c8"}
NO_ROLE = "(no role)"
MARKERS = (  # (event kind, label, colour, line style) for the timeline's vertical markers
    ("incident_start", "incident start", "#d63b3b", "-"),
    ("detected", "detected", "#7a4fbf", "--"),
    ("declared", "declared", "#333333", "-."),
)

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


_DISRUPTING = ("disruption", "site_down", "link_down", "component_down")


def incident_span(result: RunResult) -> tuple[float, float]:
    """What the drill figures show by default: from a little before the first incident's
    first disruption to a little after its full recovery (its end, or the end of its last
    runbook step); with no incident, the span of the disruptions and steps; with nothing at
    all, the whole horizon. A little: 4% of the span, at least 10 minutes."""
    steps = sorted(result.steps, key=lambda s: s.start_s)
    if result.incidents:
        inc = result.incidents[0]
        end = inc.end_s if inc.end_s is not None else result.horizon_s
        lo = min([inc.start_s] + [e.time_s for e in result.timeline
                                  if e.kind in _DISRUPTING and e.time_s <= inc.start_s])
        hi = max([end] + [s.end_s for s in steps if lo <= s.start_s <= end])
    else:
        times = [e.time_s for e in result.timeline if e.kind in _DISRUPTING]
        times += [t for s in steps for t in (s.start_s, s.end_s)]
        if not times:
            return 0.0, result.horizon_s
        lo, hi = min(times), max(times)
    pad = max(0.04 * (hi - lo), 600.0)
    return max(0.0, lo - pad), min(result.horizon_s, hi + pad)


def _span(result: RunResult, span: tuple[float, float] | None) -> tuple[float, float]:
    return incident_span(result) if span is None else span


def _zoom_note(result: RunResult, span: tuple[float, float] | None) -> str:
    """' (incident 1 of 3)' when the default zoom leaves later incidents out."""
    n = len(result.incidents)
    return f" (incident 1 of {n})" if span is None and n > 1 else ""


def plot_timeline(result: RunResult, scenario: Scenario, ax: Axes | None = None,
                  span: tuple[float, float] | None = None) -> Figure:
    """Gantt of the runbook steps in one lane per staff role, with vertical markers for the
    incident start, detection, declaration and each runbook's end (failover done, failback
    done), maintenance windows shaded; wall-clock time in the scenario's zone on the x axis.
    `span` (from, until) in simulation seconds; default: the first incident (incident_span).
    Step labels never overlap: each takes a free place above or below its bar, at its start
    or its end, or is left out (the title says how many)."""
    lanes = step_lanes(result, scenario)
    fig, ax = new_axes(ax, (11, 1.6 + 0.7 * max(len(lanes), 1)))
    lo_s, hi_s = _span(result, span)
    for wid, a, b in window_spans(scenario, result.origin, lo_s, hi_s):
        ax.axvspan(_num(result, a), _num(result, b), color="#9ecae1", alpha=0.3, lw=0,
                   gid=f"window:{wid}", label=f"maintenance window '{wid}'")
    books = sorted({s.runbook for s in result.steps})
    colour = {b: STEP_COLOURS[i % len(STEP_COLOURS)] for i, b in enumerate(books)}
    row = {lane: i for i, lane in enumerate(lanes)}
    labels: list[tuple[Text, list[Spot]]] = []
    for rec in sorted(result.steps, key=lambda s: (s.start_s, s.runbook, s.step)):
        for role in _step_roles(scenario, rec.runbook, rec.step, rec.who):
            failed = "failed" in rec.outcome or rec.outcome == "skipped"
            ax.barh(row[role], _days(rec.end_s - rec.start_s), left=_num(result, rec.start_s),
                    height=0.5, color=colour[rec.runbook], alpha=0.5 if failed else 0.9,
                    edgecolor="#d63b3b" if failed else "white", hatch="//" if failed else None,
                    gid=f"step:{rec.runbook}.{rec.step}",
                    label=f"runbook '{rec.runbook}'")
            if rec.end_s < lo_s or rec.start_s > hi_s:
                continue  # out of view: no label to place
            y, x0 = row[role], _num(result, max(rec.start_s, lo_s))
            text = ax.text(x0, y - 0.37, rec.step, fontsize=6.5, va="center", ha="left",
                           clip_on=True, gid=f"label:{rec.runbook}.{rec.step}")
            text.set_in_layout(False)
            x1 = _num(result, rec.end_s)
            up, down = y - 0.37, y + 0.37  # above or below the bar; at its start, its end,
            spots: list[Spot] = [(x0, up, "left"), (x0, down, "left"),  # or ending at its end
                                 (x1, up, "left"), (x1, down, "left"),
                                 (x1, up, "right"), (x1, down, "right")]
            labels.append((text, spots))
    for kind, label, t in timeline_markers(result):
        style = next((m for m in MARKERS if m[0] == kind), (kind, label, "#2e9d4a", ":"))
        ax.axvline(_num(result, t), color=style[2], ls=style[3], lw=1.4, gid=f"marker:{label}",
                   label=label)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    ax.set_xlim(_num(result, lo_s), _num(result, hi_s))
    _date_axis(ax, scenario)
    ax.set_ylabel("Staff role")
    title = (f"{scenario.name}: runbook steps" if lanes else
             f"{scenario.name}: no runbook step ran") + _zoom_note(result, span)
    set_title(ax, title)
    legend(ax)
    hidden = place_texts(fig, labels)
    if hidden:
        set_title(ax, f"{title}; {hidden} crowded step label{'s' if hidden != 1 else ''} "
                  "left out", fontsize=10)
    unique_gids(ax)
    return fig


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
                by_site: bool = False, span: tuple[float, float] | None = None) -> Figure:
    """Status strips: one row per customer group (up / degraded / down) and, with by_site,
    one per service × site (up / down / standby); `span` (from, until) in simulation seconds,
    default: the first incident (incident_span)."""
    rows: list[tuple[str, str, list[tuple[float, float, str]]]] = [
        (g, f"status:{g}", group_states(result, g)) for g in sorted(scenario.customers)]
    if by_site:
        for svc in sorted(scenario.services):
            spec = scenario.services[svc]
            places = list(spec.active) + [s for s in (spec.standby.sites if spec.standby else ())
                                          if s not in spec.active]
            rows += [(f"{svc} @ {site}", f"service:{svc}@{site}",
                      service_site_states(result, scenario, svc, site)) for site in places]
    fig, ax = new_axes(ax, (11, max(2.6, 1.4 + 0.45 * len(rows))))
    for y, (_, gid, spans) in enumerate(rows):
        for a, b, state in spans:
            ax.barh(y, _days(b - a), left=_num(result, a), height=0.7,
                    color=STATE_COLOURS[state], edgecolor="none", gid=f"{gid}:{state}")
    ax.set_yticks(range(len(rows)), [label for label, _, _ in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    lo_s, hi_s = _span(result, span)
    ax.set_xlim(_num(result, lo_s), _num(result, hi_s))
    _date_axis(ax, scenario)
    ax.set_ylabel("Customer group" + (" / service @ site" if by_site else ""))
    set_title(ax, f"{scenario.name}: status{_zoom_note(result, span)}")
    used = [s for s in STATE_COLOURS if any(st == s for _, _, sp in rows for *_, st in sp)]
    ax.legend(handles=[Patch(color=STATE_COLOURS[s], label=s) for s in used], fontsize=7,
              loc="upper left", bbox_to_anchor=(1.01, 1.0))
    unique_gids(ax)
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
    below its needed count, and the site serving each customer group (None when unserved).

    The recorder notes a group's service only when it is lost or restored, not when it
    changes site without a gap (a failback moving the group home while the standby still
    serves). So a served group follows its runbook moves to a site where the service is up,
    and never stays with a site whose service went down (it is then served at its assigned
    site, or the nearest site where the service is up)."""
    down: set[str] = set()
    units: dict[tuple[str, str], int] = {}
    serving: dict[tuple[str, str], str | None] = {
        (g, s): grp.home for g, grp in scenario.customers.items() for s in grp.services}
    up = {(svc, site) for svc, spec in scenario.services.items() for site in spec.active}
    assigned = {g: grp.home for g, grp in scenario.customers.items()}
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
        elif e.kind in ("service_up", "service_down"):
            svc, _, site = e.subject.partition("@")
            (up.add if e.kind == "service_up" else up.discard)((svc, site))
        elif e.kind == "moved":
            _move(scenario, e.subject.split(", "), e.detail.removeprefix("to "), assigned,
                  serving, up)
    topo = Topology(scenario)
    for (g, svc), where in serving.items():
        if where is not None and (svc, where) not in up:
            serving[g, svc] = _served_instead(topo, scenario, g, svc, assigned[g], up,
                                              frozenset(down)) or where
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


def _move(scenario: Scenario, groups: list[str], to: str, assigned: dict[str, str],
          serving: dict[tuple[str, str], str | None], up: set[tuple[str, str]]) -> None:
    """A runbook moved `groups` to `to` ('home' or a site): each is assigned there, and its
    served services follow where they are up there."""
    for g in groups:
        if g not in scenario.customers:
            continue
        target = scenario.customers[g].home if to == "home" else to
        assigned[g] = target
        for svc in scenario.customers[g].services:
            if serving[g, svc] is not None and (svc, target) in up:
                serving[g, svc] = target


def _served_instead(topo: Topology, scenario: Scenario, group: str, svc: str, assigned: str,
                    up: set[tuple[str, str]], down: frozenset[str]) -> str | None:
    """Where a group still served is served once its site's service went down: its assigned
    site if the service is up there, else the nearest site where it is up (None: none is)."""
    if (svc, assigned) in up:
        return assigned
    access = scenario.customers[group].access
    near = [(lat, site) for (s, site) in up if s == svc
            for lat in [topo.latency(access, site, down)] if lat is not None]
    return min(near)[1] if near else None


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
    fig, ax = new_axes(ax, (8, 6))
    pos, geographic = node_positions(scenario)
    state: dict[str, Any] = {"down": frozenset(), "impaired": set(), "serving": {}}
    if result is not None:
        at_s = _default_moment(result) if at_s is None else at_s
        state = state_at(result, scenario, at_s)
    down, impaired = state["down"], state["impaired"]
    span = _extent(pos)
    seen_pairs: dict[frozenset[str], int] = {}
    link_labels: list[tuple[Text, list[Spot]]] = []
    for lid in sorted(scenario.links):
        link = scenario.links[lid]
        k = seen_pairs.get(frozenset((link.a, link.b)), 0)
        seen_pairs[frozenset((link.a, link.b))] = k + 1
        (x0, y0), (x1, y1) = _offset(pos[link.a], pos[link.b], k, span)
        is_down = lid in down
        ax.plot([x0, x1], [y0, y1], color="#d63b3b" if is_down else "#777777",
                ls="--" if is_down else "-", lw=1.5, zorder=1, gid=f"link:{lid}",
                label="link down" if is_down else "link")
        text = ax.text((x0 + x1) / 2, (y0 + y1) / 2, lid, fontsize=6, color="#555555",
                       ha="center", va="center", zorder=4, gid=f"label:{lid}")
        text.set_in_layout(False)
        link_labels.append((text, [(x0 + f * (x1 - x0), y0 + f * (y1 - y0), "center")
                                   for f in (0.5, 0.35, 0.65, 0.2, 0.8)]))
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
    set_title(ax, f"{scenario.name}: topology{when}")
    legend(ax, loc="best", bbox_to_anchor=None)
    place_texts(fig, link_labels)  # a link's name moves along it, off other names
    unique_gids(ax)
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

