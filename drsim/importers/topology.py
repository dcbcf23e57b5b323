"""A network graph (GraphML: Topology Zoo, SNDlib converted to GraphML, networkx, yEd) →
a scenario skeleton that validates and runs a year of random failures as written.

The rules (docs/topologies.md gives them with their reasons):

- Every node is a site (a point of presence that can fail as a whole), except a Topology Zoo
  node marked Internal=0 (another network's equipment), which is an access point. Ids come
  from the node's label (or name, or GraphML id): ASCII, lower case, every run of other
  characters one '-', at most ID_MAX characters; a repeat gets -2, -3, ... in file order.
- Every edge is a link. Its one-way latency is, in order of preference: the edge's own
  latency (a number is milliseconds); its distance (km, taken as the route length); or the
  great-circle distance between its nodes' coordinates × ROUTE_FACTOR, at FIBRE_KM_PER_S.
  Self-loops are dropped (they join nothing); parallel edges are parallel links (redundancy).
- Failure defaults: a site fails as a whole once in SITE_TTF on average and is restored in
  SITE_TTR; a link is cut CUTS_PER_1000_KM times a year per 1000 km of route and repaired in
  LINK_TTR; the two data centres' servers fail and are repaired as SERVER_TTF / SERVER_TTR.
- The service runs at the primary site (most links; ties: the first id) with a warm standby
  at the backup site (the next by the same rule), both in the largest connected part of the
  graph. A group of CUSTOMERS_PER_NODE customers enters at every node of that part. The
  failover runbook's steps run only when the primary cannot serve (a `when` condition): an
  outage elsewhere cuts off the customers behind it, which no failover helps.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from drsim.distributions import did_you_mean
from drsim.errors import Issue, ScenarioError
from drsim.importers.graphml import Element, GraphML, Value
from drsim.units import parse_bandwidth, parse_duration

EARTH_RADIUS_KM = 6371.0  # mean radius (IUGG)
FIBRE_KM_PER_S = 200_000.0  # light in glass: c / 1.5 (refractive index of silica fibre)
ROUTE_FACTOR = 1.5  # a cable's route is longer than the great circle between its ends
CUTS_PER_1000_KM = 1.0  # fibre cuts per 1000 km of route per year
MIN_ROUTE_KM = 1.0  # a shorter (co-located) link is cut as often as a 1 km one
LINK_TTR = "{lognormal: {median: 8h, p90: 24h}}"
SITE_TTF = "{exponential: {mean: 730d}}"
SITE_TTR = "{lognormal: {median: 2h, p90: 8h}}"
SERVER_TTF = "{exponential: {mean: 5000h}}"
SERVER_TTR = "{lognormal: {median: 4h, p90: 12h}}"
DEFAULT_BANDWIDTH = "10Gbps"
CUSTOMERS_PER_NODE = 100
ID_MAX = 40  # leaves room for a link id "a-b" (64 characters at most) in the common case
MAX_SHOWN_ISSUES = 20

LABEL = ("label", "name")
LATITUDE = ("Latitude", "lat")
LONGITUDE = ("Longitude", "lon", "lng", "long")
DISTANCE = ("distance", "dist", "length", "LinkDistance", "distance_km", "length_km")
LATENCY = ("latency", "delay", "LinkDelay", "latency_ms", "delay_ms")
BANDWIDTH = ("bandwidth", "capacity")


@dataclass
class Node:
    id: str
    gid: str  # its GraphML id
    name: str
    site: bool
    element: Element
    location: tuple[float, float] | None = None


@dataclass
class Link:
    id: str
    a: str
    b: str
    latency_s: float
    route_km: float
    bandwidth: str
    how: str  # latency / distance / coordinates / default


@dataclass
class Skeleton:
    """What the import made: the scenario text and what it was made of."""

    text: str
    nodes: list[Node]
    links: list[Link]
    primary: str
    backup: str
    warnings: list[Issue] = field(default_factory=list)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points in degrees, on a sphere of
    EARTH_RADIUS_KM."""
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((la2 - la1) / 2) ** 2 + \
        math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def sanitise(text: str) -> str:
    """An id from a label: accents dropped, ASCII lower case, every run of other characters
    one '-', at most ID_MAX characters, no '-' at either end ('' if nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:ID_MAX].rstrip("-")


def clean_name(text: str) -> str:
    """A label as a scenario name: every character a scenario refuses as invisible (controls,
    line separators, bidi overrides, zero-width marks: not str.isprintable) becomes a space,
    and runs of spaces one."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def unique(base: str, taken: set[str]) -> str:
    """base, or base-2, base-3, ... : the first not taken (then taken)."""
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f"-{n}"
        name = base[:64 - len(suffix)] + suffix
    taken.add(name)
    return name


class Importer:
    """GraphML → Skeleton, collecting every problem (ScenarioError) and warning."""

    def __init__(self, graph: GraphML, default_latency_s: float | None = None,
                 primary: str | None = None, backup: str | None = None) -> None:
        self.g = graph
        self.default_latency_s = default_latency_s
        self.choice = (primary, backup)
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []
        self.misplaced: set[str] = set()  # nodes whose coordinates are wrong (reported)

    def run(self) -> Skeleton:
        nodes = self.nodes()
        links = self.links(nodes)
        if self.issues:
            raise ScenarioError(self._capped(self.issues))
        primary, backup, served = self.placement(list(nodes.values()), links)
        if self.issues:
            raise ScenarioError(self.issues)
        text = render(self.g.file, list(nodes.values()), links, primary, backup, served)
        return Skeleton(text, list(nodes.values()), links, primary, backup, self.warnings)

    def _capped(self, issues: list[Issue]) -> list[Issue]:
        issues = sorted(issues)
        if len(issues) <= MAX_SHOWN_ISSUES:
            return issues
        rest = len(issues) - MAX_SHOWN_ISSUES
        return [*issues[:MAX_SHOWN_ISSUES],
                Issue(issues[-1].line, issues[-1].col, "", f"... and {rest} more problems like "
                      "these", self.g.file)]

    # ---- nodes ---------------------------------------------------------------------------

    def nodes(self) -> dict[str, Node]:
        """GraphML id → Node, in file order."""
        if not self.g.nodes:
            self.issues.append(self.g.issue(None, "", "the graph has no nodes; add a <node> "
                                                      "for every site"))
        out: dict[str, Node] = {}
        taken: set[str] = set()
        for el in self.g.nodes:
            gid = el.attrs.get("id")
            if gid is None:
                continue
            if gid in out:
                self.issues.append(self.g.issue(el, f"node '{gid}'", "a second node with this "
                                   f"id (the first is on line {out[gid].element.line}); give "
                                   "every node its own id"))
                continue
            label = el.get(*LABEL)
            name = clean_name(label.text) if label is not None else ""
            name = name or clean_name(gid) or "node"
            base = sanitise(name) or sanitise(gid) or "node"
            if not base[0].isalnum():
                base = f"n{base}"
            internal = el.get("Internal")
            site = internal is None or internal.text.strip().lower() not in ("0", "false")
            before = len(self.issues)
            out[gid] = Node(unique(base, taken), gid, name, site, el, self.location(el, gid))
            if len(self.issues) > before:
                self.misplaced.add(gid)
        return out

    def location(self, el: Element, gid: str) -> tuple[float, float] | None:
        lat, lon = el.get(*LATITUDE), el.get(*LONGITUDE)
        if lat is None and lon is None:
            return None
        if lat is None or lon is None:
            given, missing = ("Latitude", "Longitude") if lon is None else \
                ("Longitude", "Latitude")
            self.issues.append(self.g.issue(lat or lon, f"node '{gid}'", f"has {given} but no "
                                            f"{missing}; give both, or neither"))
            return None
        values = [self.number(v, f"node '{gid}'.{what}", lo, hi)
                  for v, what, lo, hi in ((lat, "Latitude", -90, 90),
                                          (lon, "Longitude", -180, 180))]
        if values[0] is None or values[1] is None:
            return None
        return values[0], values[1]

    def number(self, v: Value, path: str, lo: float, hi: float) -> float | None:
        try:
            x = float(v.text)
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            self.issues.append(self.g.issue(v, path, f"{v.text[:40]!r} is not a number; write "
                                            "decimal degrees, e.g. 51.5"))
            return None
        if not lo <= x <= hi:
            self.issues.append(self.g.issue(v, path, f"{x:g} is outside {lo:g}..{hi:g}; write "
                                            "decimal degrees (south and west negative)"))
            return None
        return x

    # ---- links ---------------------------------------------------------------------------

    def links(self, nodes: dict[str, Node]) -> list[Link]:
        out: list[Link] = []
        taken = {n.id for n in nodes.values()}  # a link id never reads as a place
        unmeasured: list[Element] = []
        for el in self.g.edges:
            ends = [el.attrs.get("source"), el.attrs.get("target")]
            if None in ends:
                continue
            known = [nodes.get(e) for e in ends if e is not None]
            a, b = known
            if a is None or b is None:
                bad = ends[0] if a is None else ends[1]
                self.issues.append(self.g.issue(el, f"edge {ends[0]}-{ends[1]}",
                                                f"node '{bad}' is not in the graph; add a "
                                                f"<node id=\"{bad}\"> or fix the edge"))
                continue
            if a is b:
                self.warnings.append(self.g.issue(el, f"edge {ends[0]}-{ends[1]}", "warning: "
                                     "a self-loop joins a node to itself and carries no "
                                     "traffic; it is left out"))
                continue
            before = len(self.issues)
            measured = self.measure(el, a, b)
            if measured is None:
                if len(self.issues) == before and not {a.gid, b.gid} & self.misplaced:
                    unmeasured.append(el)  # (else a problem already reported explains it)
                continue
            latency_s, route_km, how = measured
            lid = f"{a.id}-{b.id}"
            lid = unique(lid if len(lid) <= 61 else f"link-{len(out) + 1}", taken)
            out.append(Link(lid, a.id, b.id, latency_s, route_km, self.bandwidth(el), how))
        self.unmeasured(unmeasured)
        guessed = [lk for lk in out if lk.how == "default"]
        if guessed:
            self.warnings.append(self.g.issue(None, "", f"warning: {len(guessed)} link"
                                 f"{'s have' if len(guessed) != 1 else ' has'} no latency, "
                                 "distance or coordinates and got the --latency value ("
                                 f"{', '.join(lk.id for lk in guessed[:5])}"
                                 f"{', ...' if len(guessed) > 5 else ''}); edit them"))
        return out

    def measure(self, el: Element, a: Node, b: Node) -> tuple[float, float, str] | None:
        """(latency in seconds, route length in km, which rule) or None if nothing tells."""
        path = f"edge {a.id}-{b.id}"
        latency = el.get(*LATENCY)
        if latency is not None:
            s = self.amount(latency, path, "latency", lambda x: x / 1000.0, parse_duration)
            return None if s is None else (s, s * FIBRE_KM_PER_S, "latency")
        distance = el.get(*DISTANCE)
        if distance is not None:
            km = self.amount(distance, path, "distance", lambda x: x, None)
            return None if km is None else (km / FIBRE_KM_PER_S, km, "distance")
        if a.location is not None and b.location is not None:
            km = haversine_km(a.location, b.location) * ROUTE_FACTOR
            return km / FIBRE_KM_PER_S, km, "coordinates"
        if self.default_latency_s is not None:
            s = self.default_latency_s
            return s, s * FIBRE_KM_PER_S, "default"
        return None

    def amount(self, v: Value, path: str, what: str, scale: Callable[[float], float],
               parse_unit: Callable[[str], float] | None) -> float | None:
        """A latency or distance: a number ≥ 0 (scaled to seconds or km), or a text with a
        unit where parse_unit reads one."""
        try:
            x = float(v.text)
        except ValueError:
            if parse_unit is not None:
                try:
                    return parse_unit(v.text)
                except ValueError:
                    pass
            x = math.nan
        if math.isfinite(x) and x >= 0:
            return scale(x)
        unit = "milliseconds (or with a unit, e.g. 4.5ms)" if what == "latency" else "km"
        self.issues.append(self.g.issue(v, path, f"{what} {v.text[:40]!r} is not a number "
                                        f"≥ 0; write it in {unit}"))
        return None

    def bandwidth(self, el: Element) -> str:
        raw = el.get("LinkSpeedRaw")
        try:
            if raw is not None and float(raw.text) > 0:
                return _bits(float(raw.text))
            given = el.get(*BANDWIDTH)
            if given is not None:
                return _bits(parse_bandwidth(given.text))
        except ValueError:
            pass  # a speed written some other way: the default, which the user edits
        return DEFAULT_BANDWIDTH

    def unmeasured(self, edges: list[Element]) -> None:
        if not edges:
            return
        how = ("add Latitude and Longitude to both nodes, or a distance (km) or latency (ms) "
               "to the edge, or pass --latency (e.g. --latency 1ms) for every such edge")
        if len(edges) == len(self.g.edges) and not self.issues:
            self.issues.append(self.g.issue(edges[0], "", "no edge has a latency or distance "
                                            f"and no two linked nodes have coordinates; {how}"))
            return
        for el in edges:
            self.issues.append(self.g.issue(el, f"edge {el.attrs['source']}-{el.attrs['target']}",
                                            f"no latency, distance or coordinates; {how}"))

    # ---- where the service runs ------------------------------------------------------------

    def placement(self, nodes: list[Node], links: list[Link]) -> tuple[str, str, set[str]]:
        """(primary, backup, ids of the nodes whose customers are served)."""
        degree = Counter([x for link in links for x in (link.a, link.b)])
        parts = _components([n.id for n in nodes], links)
        sites = [n.id for n in nodes if n.site]
        if len(sites) < 2:
            self.issues.append(self.g.issue(None, "", f"the graph has {len(sites)} site"
                                            f"{'s' if len(sites) != 1 else ''} (nodes not "
                                            "marked Internal=0); a failover needs two: add "
                                            "nodes"))
            return "", "", set()
        best = max(parts, key=lambda p: (sum(1 for s in sites if s in p), len(p)))
        ranked = sorted((s for s in sites if s in best), key=lambda s: (-degree[s], s))
        primary, backup = self.choice
        for which, chosen in (("--primary", primary), ("--backup", backup)):
            if chosen is not None and chosen not in sites:
                self.issues.append(Issue(0, 0, which, f"unknown site '{chosen}'"
                                         f"{did_you_mean(chosen, sites)}", self.g.file))
        primary = primary or ranked[0]
        if primary not in best and primary in sites:
            best = next(p for p in parts if primary in p)
            ranked = sorted((s for s in sites if s in best), key=lambda s: (-degree[s], s))
        backup = backup or next((s for s in ranked if s != primary), "")
        if primary == backup or not backup:
            self.issues.append(Issue(0, 0, "--backup", "the backup must be another site, "
                                     "linked to the primary; name one", self.g.file))
        elif self.choice[1] is not None and backup not in best:
            self.issues.append(Issue(0, 0, "--backup", f"'{backup}' has no link path to the "
                                     f"primary '{primary}'; name a site linked to it",
                                     self.g.file))
        if len(parts) > 1:
            others = len(nodes) - len(best)
            self.warnings.append(self.g.issue(None, "", f"warning: the graph is in {len(parts)} "
                                 f"unconnected parts; the {others} node{'s' if others != 1 else ''}"
                                 f" outside the primary's part get no customers (they could "
                                 "never reach the service); add the missing links if it "
                                 "should be one network"))
        return primary, backup, best


def _components(ids: list[str], links: list[Link]) -> list[set[str]]:
    """The connected parts of the graph, by union-find (largest first, then by first id)."""
    parent = {i: i for i in ids}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for link in links:
        parent[root(link.a)] = root(link.b)
    parts: dict[str, set[str]] = {}
    for i in ids:
        parts.setdefault(root(i), set()).add(i)
    return list(parts.values())


def _bits(bps: float) -> str:
    for unit, size in (("Tbps", 1e12), ("Gbps", 1e9), ("Mbps", 1e6), ("kbps", 1e3)):
        if bps >= size:
            return f"{bps / size:.6g}{unit}"
    return f"{max(bps, 1):.6g}bps"


def _ms(seconds: float) -> str:
    """A latency as the YAML writes it: milliseconds to the microsecond."""
    text = f"{seconds * 1000:.3f}".rstrip("0").rstrip(".")
    return "0s" if text == "0" else f"{text}ms"


def link_ttf(route_km: float) -> str:
    """Mean time to a cut: CUTS_PER_1000_KM a year per 1000 km of route, in whole days."""
    days = 365.0 * 1000.0 / (CUTS_PER_1000_KM * max(route_km, MIN_ROUTE_KM))
    return f"{{exponential: {{mean: {max(1, round(days))}d}}}}"


def count(n: int, noun: str) -> str:
    """'1 site', '3 sites'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _where(n: Node) -> str:
    assert n.location is not None
    return f"{{lat: {n.location[0]:g}, lon: {n.location[1]:g}}}"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@cache
def _plain_safe(text: str) -> bool:
    return bool(re.fullmatch(r"[a-z][a-z0-9-]*", text)) and \
        text not in ("y", "n", "yes", "no", "on", "off", "true", "false", "null")


def _id(text: str) -> str:
    """An id as YAML must write it: quoted where YAML would read another type ('0', '1-2'
    is fine, but '24' is a number and 'no' a boolean)."""
    return text if _plain_safe(text) else _q(text)


def render(file: str, nodes: list[Node], links: list[Link], primary: str, backup: str,
           served: set[str]) -> str:
    """The scenario YAML, commented where a default stands for something the user knows."""
    sites = [n for n in nodes if n.site]
    points = [n for n in nodes if not n.site]
    title = Path(file).name
    out = [HEADER.format(file=_q(title), name=_q(f"Random failures on {title}"),
                         counts=f"{count(len(sites), 'site')}, "
                                f"{count(len(points), 'access point')} and "
                                f"{count(len(links), 'link')}",
                         primary=primary, backup=backup, factor=ROUTE_FACTOR,
                         speed=f"{FIBRE_KM_PER_S:,.0f}",
                         per_1000=1000 * ROUTE_FACTOR / FIBRE_KM_PER_S * 1000,
                         cuts=CUTS_PER_1000_KM,
                         site_ttf=SITE_TTF, site_ttr=SITE_TTR, link_ttr=LINK_TTR)]
    out.append("sites:")
    for n in sites:
        loc = f", location: {_where(n)}" if n.location else ""
        line = f"  {_id(n.id)}: {{name: {_q(n.name)}, kind: colocation{loc}, ttf: {SITE_TTF}, " \
               f"ttr: {SITE_TTR}}}"
        if n.id in (primary, backup):
            line = (f"  {_id(n.id)}:\n    name: {_q(n.name)}\n    kind: colocation\n"
                    + (f"    location: {_where(n)}\n" if n.location else "")
                    + f"    ttf: {SITE_TTF}\n    ttr: {SITE_TTR}\n"
                    "    components:  # the data centre's servers: edit count, ttf and ttr\n"
                    f"      servers: {{count: 2, needed: 1, ttf: {SERVER_TTF}, "
                    f"ttr: {SERVER_TTR}}}")
        out.append(line)
    if points:
        out.append("\naccess_points:  # nodes marked Internal=0: other networks, never failing")
        for n in points:
            loc = f", location: {_where(n)}" if n.location else ""
            out.append(f"  {_id(n.id)}: {{name: {_q(n.name)}{loc}}}")
    out.append("\nlinks:  # latency: see the rule above; ttf: cuts per 1000 km of route")
    for lk in links:
        note = {"latency": "  # latency given", "distance": "  # from the given distance",
                "coordinates": "", "default": "  # --latency: no distance or coordinates"}
        out.append(f"  {_id(lk.id)}: {{a: {_id(lk.a)}, b: {_id(lk.b)}, "
                   f"latency: {_ms(lk.latency_s)}, bandwidth: {lk.bandwidth},\n"
                   f"    ttf: {link_ttf(lk.route_km)}, ttr: {LINK_TTR}}}{note[lk.how]}")
    out.append(SERVICE.format(primary=_id(primary), backup=_id(backup)))
    out.append("customers:  # one group at every node that can reach the service (edit counts)")
    out.extend(f"  {_id(n.id)}: {{count: {CUSTOMERS_PER_NODE}, access: {_id(n.id)}, "
               f"home: {_id(primary)}, "
               "services: [app]}" for n in nodes if n.id in served)
    out.append(RUNBOOK.format(primary=primary, backup=backup))
    return "\n".join(out)


HEADER = """\
# A scenario skeleton written by `drsim import topology` from {file}:
# {counts}, a year of random failures.
# Edit it into a model of your own estate, then
#   drsim validate scenario.yaml   # every problem, with its line and how to fix it
#   drsim run scenario.yaml        # a year of random failures: outages, recovery, downtime
# The rules (docs/topologies.md):
# - latency: one-way; the edge's own latency or distance (km) if the file gives one, else the
#   great-circle distance between its nodes x {factor} (route factor) at {speed} km/s (light in
#   fibre): 1000 km apart is {per_1000:g} ms.
# - failure defaults, to edit: every site (a point of presence) fails as a whole (power,
#   cooling, building): ttf {site_ttf}, ttr {site_ttr};
#   every link is cut {cuts:g} time a year per 1000 km of route (its ttf), repaired in
#   ttr {link_ttr}.
# - the service `app` runs at {primary} (the most links) with a warm standby at {backup} (the
#   next); change them with --primary/--backup or edit services, runbooks and components.
#   The failover runs only when the primary cannot serve (servers or site down).
drsim: 1
name: {name}
description: >
  A year of random site, link and server failures on the imported network; the service fails
  over from {primary} to {backup} when the primary's servers or site fail.

simulation:
  start: "2026-01-01T00:00"
  timezone: UTC
  horizon: 365d
  seed: 1
  random_failures: true
"""

SERVICE = """
services:
  app:
    requires: [servers]
    active: [{primary}]
    standby: {{sites: [{backup}], mode: warm}}
    replication: {{mode: async, to: {backup}, lag: 5m}}
"""

RUNBOOK = """
staff:
  on_call: {{count: 1, shift: 24x7}}

detection:
  interval: 1m
  failed_checks: 3
  page: on_call
  ack_delay: 5m
  declare_delay: 10m

runbooks:
  failover:
    trigger: declared
    steps:
      - id: start-backup
        description: Only when the primary cannot serve (its servers or the whole site
          down); an outage elsewhere in the network is left to the repairs
        when: {{service_down: ["app@{primary}"]}}
        duration: 15m
        roles: [on_call]
        effects:
          - activate: {{service: app, site: {backup}}}
      - id: move-customers
        after: [start-backup]
        when: {{service_up: ["app@{backup}"]}}
        duration: 10m
        roles: [on_call]
        effects:
          - move: {{groups: all, to: {backup}}}
      - id: move-home
        after: [move-customers]
        when: {{service_up: ["app@{backup}"]}}
        requires: {{site_healthy: [{primary}]}}
        duration: 10m
        roles: [on_call]
        effects:
          - move: {{groups: all, to: home}}
          - deactivate: {{service: app, site: {backup}}}

objectives:
  - {{id: app-availability, service: app, availability: 99.9%}}
"""
