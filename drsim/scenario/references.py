"""Cross-reference checks: every id used somewhere names something defined, graphs are acyclic.

They read the raw data defensively (a value of the wrong type is skipped: the schema check
reports it), so a file with a type error still gets its misspelt references reported in the
same run.
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from drsim.calendar import sim_seconds
from drsim.distributions import did_you_mean
from drsim.errors import Issue
from drsim.scenario.loader import PathKey, RawDoc
from drsim.units import parse_duration

Edges = list[tuple[str, str]]  # a directed graph, edge by edge in the order found


def _try(parse: Any, value: Any) -> Any:
    """parse(value), or None when the value is missing or malformed (reported elsewhere)."""
    try:
        return parse(value)
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _at(table: dict[str, Any], key: object) -> Any:
    """table[key] if `key` is an id in it, else None (a raw value may be a list: unhashable)."""
    return table.get(key) if isinstance(key, str) else None


def _step_path(rid: str, ids: list[Any], key: str) -> Callable[[str], PathKey]:
    """Where step `n` of runbook `rid` names `key` (to blame a cycle on)."""
    return lambda n: ("runbooks", rid, "steps", ids.index(n), key)


def _elapsed_s(start: datetime, when: datetime, zone: Any) -> float:
    """Real seconds from `start` to `when`, both local in `zone` (an hour skipped or repeated
    by daylight saving between them counts as it does on the clock); naive when the zone is
    unknown (reported by the schema)."""
    try:
        tz = ZoneInfo(zone if isinstance(zone, str) else "UTC")
    except (ValueError, OSError, KeyError):
        return (when - start).total_seconds()
    return sim_seconds(start.replace(tzinfo=tz), when.replace(tzinfo=tz))


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | None)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(value: Any) -> list[str]:
    """A list-of-ids field, tolerating a single id written without brackets."""
    if isinstance(value, str):
        return [value]
    return [v for v in _list(value) if isinstance(v, str)]


def _places(svc: dict[str, Any]) -> list[str]:
    """A service's active then standby sites, as written."""
    return list(dict.fromkeys(_ids(svc.get("active"))
                              + _ids(_dict(svc.get("standby")).get("sites"))))


class References:
    """Checks that every id used somewhere names something defined, and graphs are acyclic."""

    def __init__(self, raw: RawDoc) -> None:
        self.raw = raw
        d = _dict(raw.data)
        self.d = d
        self.sites = _dict(d.get("sites"))
        self.access = _dict(d.get("access_points"))
        self.links = _dict(d.get("links"))
        self.services = _dict(d.get("services"))
        self.customers = _dict(d.get("customers"))
        self.staff = _dict(d.get("staff"))
        self.windows = _dict(d.get("maintenance_windows"))
        self.runbooks = _dict(d.get("runbooks"))
        self.issues: list[Issue] = []

    def check(self) -> list[Issue]:
        for fn in (self.check_links, self.check_components, self.check_services,
                   self.check_customers, self.check_detection, self.check_runbooks,
                   self.check_disruptions, self.check_objectives, self.check_costs,
                   self.check_status_page):
            fn()
        return self.issues

    def ref(self, path: PathKey, value: Any, known: dict[str, Any] | list[str], what: str,
            where: str = "", key: bool = False) -> bool:
        """Report `value` at `path` unless it names one of `known` (`where` places the list;
        `key`: the value is the mapping key at `path`, so point at the key)."""
        if not isinstance(value, str) or value in known:
            return isinstance(value, str)
        names = sorted(known)
        listing = ", ".join(names) if names else "none defined"
        self.issues.append(self.raw.issue(
            path, f"unknown {what} '{value}'{where}; known: {listing}"
                  f"{did_you_mean(value, names)}", key=key))
        return False

    def refs(self, path: PathKey, container: dict[str, Any], key: str,
             known: dict[str, Any] | list[str], what: str) -> list[str]:
        value = container.get(key)
        if isinstance(value, str):
            return [value] if self.ref((*path, key), value, known, what) else []
        return [v for i, v in enumerate(_list(value)) if self.ref((*path, key, i), v, known, what)]

    def check_links(self) -> None:
        nodes = {**self.sites, **self.access}
        for lid, link in self.links.items():
            link = _dict(link)
            for end in ("a", "b"):
                self.ref(("links", lid, end), link.get(end), nodes, "site or access point")
            if link.get("a") is not None and link.get("a") == link.get("b"):
                self.issues.append(self.raw.issue(("links", lid, "b"), "a link joins two "
                                                  "different places; a and b are the same"))

    def check_components(self) -> None:
        for sid, site in self.sites.items():
            for cid, comp in _dict(_dict(site).get("components")).items():
                comp = _dict(comp)
                path = ("sites", sid, "components", cid)
                if comp.get("repair_role") is not None:
                    self.ref((*path, "repair_role"), comp["repair_role"], self.staff, "staff role")
                if comp.get("ttf") is not None and comp.get("ttr") is None:
                    self.issues.append(self.raw.issue(
                        (*path, "ttf"), "a component that can fail needs ttr (time to repair)"))

    def check_services(self) -> None:
        graph: Edges = []
        for sv, svc in self.services.items():
            svc = _dict(svc)
            path = ("services", sv)
            active = self.refs(path, svc, "active", self.sites, "site")
            standby = _dict(svc.get("standby"))
            spare = self.refs((*path, "standby"), standby, "sites", self.sites, "site")
            for i, s in enumerate(_ids(standby.get("sites"))):
                if s in active:
                    self.issues.append(self.raw.issue(
                        (*path, "standby", "sites", i), f"standby site '{s}' is also an active "
                        "site; a failover target must be a different site"))
            for i, cid in enumerate(_ids(svc.get("requires"))):
                for s in sorted(set(active + spare)):
                    if isinstance(self.sites.get(s), dict):  # else already reported
                        comps = _dict(self.sites[s].get("components"))
                        self.ref((*path, "requires", i), cid, comps, "component",
                                 f" at site '{s}'")
            for dep in self.dependencies(path, svc):
                graph.append((sv, dep))
            repl = _dict(svc.get("replication"))
            if "to" in repl and self.ref((*path, "replication", "to"), repl["to"], self.sites,
                                         "site") and active == [repl["to"]]:
                self.issues.append(self.raw.issue(
                    (*path, "replication", "to"), f"replication to '{repl['to']}', the only "
                    "site where the service runs, protects no data; replicate to a standby site"))
            self.check_protection(path, svc)
        self.cycle(graph, lambda n: ("services", n, "depends_on"), "service dependencies")

    def check_protection(self, path: PathKey, svc: dict[str, Any]) -> None:
        """Tier ids are unique ('replication' names the replication: field); `at` is a place."""
        places = {**self.sites, **self.access}
        seen: set[str] = set()
        for i, tier in enumerate(_list(svc.get("protection"))):
            tier, p = _dict(tier), (*path, "protection", i)
            tid = tier.get("id")
            if tid in seen or tid == "replication":
                why = ("is the name of the replication: field's tier" if tid == "replication"
                       else "is used twice in this service")
                self.issues.append(self.raw.issue((*p, "id"), f"tier id '{tid}' {why}; "
                                                  "rename it"))
            seen.add(str(tid))
            self.ref((*p, "at"), tier.get("at"), places, "site or access point")

    def tier_ids(self, svc: dict[str, Any]) -> list[str]:
        ids = ["replication"] if svc.get("replication") else []
        return ids + [str(_dict(t).get("id")) for t in _list(svc.get("protection"))]

    def dependencies(self, path: PathKey, svc: dict[str, Any]) -> list[str]:
        """The known services in `depends_on` (same-site ids and {service, at} mappings);
        `at` is 'any' or a site where that service is placed (active or standby)."""
        out = []
        for i, dep in enumerate(_list(svc.get("depends_on"))):
            if isinstance(dep, str):
                out += [dep] if self.ref((*path, "depends_on", i), dep, self.services,
                                         "service") else []
                continue
            dep = _dict(dep)
            p = (*path, "depends_on", i)
            known = self.ref((*p, "service"), dep.get("service"), self.services, "service")
            out += [dep["service"]] if known else []
            at = dep.get("at")
            if at == "any" or not self.ref((*p, "at"), at, [*self.sites, "any"],
                                           "site (or 'any')") or not known:
                continue
            other = _dict(self.services[dep["service"]])
            places = list(dict.fromkeys(
                _ids(other.get("active")) + _ids(_dict(other.get("standby")).get("sites"))))
            if at not in places:
                self.issues.append(self.raw.issue((*p, "at"), f"service '{dep['service']}' "
                                   f"never runs at '{at}' (active or standby: "
                                   f"{', '.join(places)}); name one of those sites or 'any'"))
        return out

    def cycle(self, edges: Edges, path_of: Callable[[str], PathKey], what: str) -> None:
        """One issue naming a cycle of the directed graph `edges`, if it has one. The check
        is graphlib's; networkx (slow to import) only names the cycle, as it always has."""
        order: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for u, v in edges:
            order.add(u, v)
        try:
            order.prepare()
            return
        except graphlib.CycleError:
            import networkx as nx

            graph: nx.DiGraph[str] = nx.DiGraph()
            graph.add_edges_from(edges)
            loop = nx.find_cycle(graph)
        names = " → ".join([u for u, _ in loop] + [loop[0][0]])
        self.issues.append(self.raw.issue(path_of(loop[0][0]), f"cycle among {what}: {names}; "
                                          "remove one of these edges"))

    def check_customers(self) -> None:
        places = {**self.sites, **self.access}
        for gid, grp in self.customers.items():
            grp = _dict(grp)
            path = ("customers", gid)
            self.ref((*path, "access"), grp.get("access"), places, "access point or site")
            home_ok = self.ref((*path, "home"), grp.get("home"), self.sites, "site")
            if home_ok:
                comps = _dict(_dict(self.sites[grp["home"]]).get("components"))
                for i, comp in enumerate(_ids(grp.get("requires"))):
                    self.ref((*path, "requires", i), comp, comps, "component",
                             f" at its home site '{grp['home']}'")
            for i, sv in enumerate(_ids(grp.get("services"))):
                known = self.ref((*path, "services", i), sv, self.services, "service")
                if not known or not home_ok:
                    continue
                active = [s for s in _ids(_dict(self.services[sv]).get("active"))
                          if s in self.sites]  # unknown sites are reported on their own
                if active and grp["home"] not in active:
                    self.issues.append(self.raw.issue(
                        (*path, "home"), f"home site '{grp['home']}' does not run service "
                        f"'{sv}' (active at: {', '.join(active)}); pick a home where it runs"))

    def check_detection(self) -> None:
        det = _dict(self.d.get("detection"))
        self.refs(("detection",), det, "page", self.staff, "staff role")
        if det.get("declare_role") is not None:
            self.ref(("detection", "declare_role"), det["declare_role"], self.staff, "staff role")
        levels = [_dict(v) for v in _list(det.get("escalation"))]
        for i, level in enumerate(levels):
            if "role" in level:
                self.ref(("detection", "escalation", i, "role"), level["role"], self.staff,
                         "staff role")
            if i < len(levels) - 1 and level.get("timeout") is None:
                self.issues.append(self.raw.issue(
                    ("detection", "escalation", i), f"level {i + 1} has no timeout, so the "
                    f"levels after it are never paged; give it a timeout, e.g. timeout: 15m"))
        self.refs(("detection",), det, "requires", self.services, "service")
        if "degraded_delay" in det and not _ids(det.get("requires")):
            self.issues.append(self.raw.issue(
                ("detection", "degraded_delay"), "degraded_delay applies while a service "
                "in detection.requires is down, but requires lists none; add requires: "
                "[<service id>] or remove degraded_delay"))

    def check_runbooks(self) -> None:
        triggers: Edges = []
        for rid, book in self.runbooks.items():
            book = _dict(book)
            trig = book.get("trigger")
            if trig == "auto_failover_failed" and not self.automatic_takeovers():
                self.issues.append(self.raw.issue(
                    ("runbooks", rid, "trigger"), "trigger auto_failover_failed needs a "
                    "service with a hot standby (standby: {mode: hot}); no service has one: "
                    "add one or use trigger: detected/declared"))
            if isinstance(trig, dict) and "after" in trig:
                if self.ref(("runbooks", rid, "trigger", "after"), trig["after"], self.runbooks,
                            "runbook"):
                    triggers.append((rid, trig["after"]))
            steps = [_dict(s) for s in _list(book.get("steps"))]
            ids = [s.get("id") for s in steps]
            # each id's first position, and the ids as text: lookups stay O(1) per step, so a
            # runbook of thousands of steps validates in linear time
            first = {sid: i for i, sid in reversed(list(enumerate(ids))) if _hashable(sid)}
            known = dict.fromkeys(str(x) for x in ids)
            graph: Edges = []
            fallbacks: Edges = []
            for i, step in enumerate(steps):
                path = ("runbooks", rid, "steps", i)
                sid = step.get("id")
                own = _hashable(sid) and first.get(sid) == i  # the first step with its id
                if _hashable(sid) and first.get(sid, i) != i:
                    self.issues.append(self.raw.issue((*path, "id"), f"step id '{sid}'"
                                                      " is used twice in this runbook; rename one"))
                for dep in self.refs(path, step, "after", known, "step"):
                    # a repeated id is reported above, a missing one by the schema
                    if sid is not None and own:
                        graph.append((sid, dep))
                if step.get("fallback") is not None:
                    if self.ref((*path, "fallback"), step["fallback"], known,
                                "step") and step["fallback"] == sid:
                        self.issues.append(self.raw.issue((*path, "fallback"),
                                           "a step cannot be its own fallback"))
                    elif _hashable(step["fallback"]) and step["fallback"] in first \
                            and sid is not None and own:
                        fallbacks.append((sid, step["fallback"]))
                self.check_step_when(path, _dict(step.get("when")))
                self.refs(path, step, "roles", self.staff, "staff role")
                self.check_preconditions(path, _dict(step.get("requires")))
                for j, eff in enumerate(_list(step.get("effects"))):
                    self.check_effect((*path, "effects", j), _dict(eff), book)
            self.cycle(graph, _step_path(rid, ids, "after"), f"steps of runbook '{rid}'")
            self.cycle(fallbacks, _step_path(rid, ids, "fallback"),
                       f"fallbacks of runbook '{rid}'")
        self.cycle(triggers, lambda n: ("runbooks", n, "trigger"), "runbook triggers")

    def automatic_takeovers(self) -> list[str]:
        """Services whose standby takes over automatically (mode: hot)."""
        return [sv for sv, svc in self.services.items()
                if _dict(_dict(svc).get("standby")).get("mode") == "hot"]

    def check_preconditions(self, path: PathKey, req: dict[str, Any]) -> None:
        path = (*path, "requires")
        if req.get("window") is not None:
            self.ref((*path, "window"), req["window"], self.windows, "maintenance window")
        self.refs(path, req, "link_up", self.links, "link")
        self.refs(path, req, "site_healthy", self.sites, "site")
        self.refs(path, req, "site_access", self.sites, "site")
        self.service_specs((*path, "service_up"), req.get("service_up"))

    def check_step_when(self, path: PathKey, when: dict[str, Any]) -> None:
        """A step's branch conditions name real sites and services."""
        path = (*path, "when")
        for key in ("site_up", "site_down"):
            self.refs(path, when, key, self.sites, "site")
        for key in ("service_up", "service_down"):
            self.service_specs((*path, key), when.get(key))
        for key in ("component_up", "component_down"):
            for i, spec in enumerate(_ids(when.get(key))):
                self.component_ref((*path, key, i), spec)
        for svc in _dict(when.get("data_lost_above")):
            self.ref((*path, "data_lost_above", svc), svc, self.services, "service", key=True)

    def service_specs(self, path: PathKey, value: Any) -> None:
        """'svc' or 'svc@site', each part a defined id."""
        for i, spec in enumerate(_ids(value)):
            svc, at, site = spec.partition("@")
            if self.ref((*path, i), svc, self.services, "service") and at:
                self.ref((*path, i), site, self.sites, "site", f" (in '{spec}')")

    def check_effect(self, path: PathKey, eff: dict[str, Any], book: dict[str, Any]) -> None:
        for kind in ("activate", "deactivate"):
            body = _dict(eff.get(kind))
            if not body:
                continue
            p = (*path, kind)
            ok_sv = self.ref((*p, "service"), body.get("service"), self.services, "service")
            if self.ref((*p, "site"), body.get("site"), self.sites, "site") and ok_sv:
                svc = _dict(self.services[body["service"]])
                places = _places(svc)
                if body["site"] not in places:
                    self.issues.append(self.raw.issue(
                        (*p, "site"), f"service '{body['service']}' has no placement at "
                        f"'{body['site']}' (active or standby: {', '.join(places)}); add it to "
                        "the service's standby sites"))
                if kind == "activate" and body["site"] in _ids(svc.get("active")):
                    self.failover_target((*p, "site"), body["site"], book)
        move = _dict(eff.get("move"))
        if move:
            if move.get("groups") != "all":
                self.refs((*path, "move"), move, "groups", self.customers, "customer group")
            if move.get("to") != "home" and self.ref((*path, "move", "to"), move.get("to"),
                                                     self.sites, "site (or 'home')"):
                moved = (list(self.customers) if move.get("groups", "all") == "all"
                         else _ids(move.get("groups")))
                homes = {_dict(self.customers.get(g)).get("home") for g in moved}
                if move["to"] in homes:
                    self.failover_target((*path, "move", "to"), move["to"], book)
        restore = _dict(eff.get("restore"))
        if restore:
            if self.ref((*path, "restore", "service"), restore.get("service"), self.services,
                        "service"):
                svc = _dict(self.services[restore["service"]])
                if not self.tier_ids(svc) or not svc.get("data_size"):
                    self.issues.append(self.raw.issue(
                        (*path, "restore", "service"), f"service '{restore['service']}' has no "
                        "replication (or protection) and data_size to restore from; add both"))
                tiers, where = self.tier_ids(svc), f" of service '{restore['service']}'"
                src = restore.get("from")
                for i, tid in ([(None, src)] if isinstance(src, str) else enumerate(_list(src))):
                    at = (*path, "restore", "from") + (() if i is None else (i,))
                    self.ref(at, tid, tiers, "protection tier", where)
            self.ref((*path, "restore", "to"), restore.get("to"), self.sites, "site")
        rebuild = _dict(eff.get("rebuild"))
        if rebuild and self.ref((*path, "rebuild", "site"), rebuild.get("site"), self.sites,
                                "site") and rebuild.get("component") is not None:
            comps = _dict(_dict(self.sites[rebuild["site"]]).get("components"))
            self.ref((*path, "rebuild", "component"), rebuild["component"], comps, "component",
                     f" at site '{rebuild['site']}'")
        units = rebuild.get("units")
        comp = _dict(_at(_dict(_dict(_at(self.sites, rebuild.get("site"))).get("components")),
                         rebuild.get("component")))
        if isinstance(units, int) and isinstance(comp.get("count", 1), int) and comp and (
                units > comp.get("count", 1)):
            self.issues.append(self.raw.issue((*path, "rebuild", "units"), f"{units} units "
                               f"rebuilt but '{rebuild['component']}' has only "
                               f"{comp.get('count', 1)}; lower units"))

    def failover_target(self, path: PathKey, site: str, book: dict[str, Any]) -> None:
        """A failover (not a failback) must not go to the primary site a disruption strikes.

        Called for targets that are a service's active site or a moved group's home. A
        disruption strikes a site when it targets the site itself or one of its components;
        striking a standby site is allowed (a correlated fault, a second failure).
        """
        if isinstance(book.get("trigger"), dict):
            return  # runs after another runbook: a failback may go home
        for i, dis in enumerate(_list(self.d.get("disruptions"))):
            for tgt in _list(_dict(dis).get("targets")):
                tgt = _dict(tgt)
                comp = tgt.get("component")
                hit = (tgt.get("site") == site and "data" not in tgt
                       or tgt.get("power") == site
                       or isinstance(comp, str) and comp.partition(".")[0] == site)
                if hit:
                    what = (f"component '{comp}'" if isinstance(comp, str) else "the whole site"
                            if tgt.get("site") == site else "its power")
                    others = sorted(s for s in self.sites if s != site)
                    self.issues.append(self.raw.issue(
                        path, f"failover target '{site}' is the failed site: disruption "
                        f"'{_dict(dis).get('id', i)}' takes down {what}; fail over to another "
                        f"site ({', '.join(others) or 'none defined'})"))
                    return

    def check_disruptions(self) -> None:
        seen: set[str] = set()
        for i, dis in enumerate(_list(self.d.get("disruptions"))):
            dis = _dict(dis)
            path: PathKey = ("disruptions", i)
            if dis.get("id") in seen:
                self.issues.append(self.raw.issue((*path, "id"), f"disruption id '{dis['id']}' "
                                                  "is used twice; rename one"))
            seen.add(str(dis.get("id")))
            self.check_when((*path, "at"), dis.get("at"))
            self.check_fault(path, dis)

    def check_fault(self, path: PathKey, fault: dict[str, Any]) -> None:
        """The targets of a disruption or cascade, then its cascades (any depth)."""
        for j, tgt in enumerate(_list(fault.get("targets"))):
            self.check_target((*path, "targets", j), _dict(tgt), fault)
        for j, spread in enumerate(_list(fault.get("cascade"))):
            self.check_fault((*path, "cascade", j), _dict(spread))

    def check_when(self, path: PathKey, at: Any) -> None:
        """A disruption must strike inside the simulated span [start, start + horizon)."""
        sim = _dict(self.d.get("simulation"))
        start, horizon_s = _try(datetime.fromisoformat, sim.get("start")), _try(
            parse_duration, sim.get("horizon"))
        if start is None or start.tzinfo or not horizon_s or not isinstance(at, str):
            return  # a bad start or horizon is reported by the schema
        when = _try(datetime.fromisoformat, at) if "T" in at or "-" in at[1:] else None
        if when is not None and when.tzinfo:
            return  # reported by the schema
        offset_s = _elapsed_s(start, when, sim.get("timezone")) if when \
            else _try(parse_duration, at)
        if offset_s is None:
            return
        if offset_s < 0:
            self.issues.append(self.raw.issue(path, f"'{at}' is before the simulation starts "
                               f"({sim['start']}); pick a later time or an offset like '1h42m'"))
        elif offset_s >= horizon_s:
            self.issues.append(self.raw.issue(path, f"'{at}' is at or after the end of the "
                               f"simulation (start + horizon {sim['horizon']}); pick an earlier "
                               "time or lengthen simulation.horizon"))

    def check_target(self, path: PathKey, tgt: dict[str, Any], dis: dict[str, Any]) -> None:
        if "data" in tgt:
            self.check_data_target(path, tgt)
            return
        repaired = dis.get("until") == "repaired" and dis.get("repair") is None
        if "access" in tgt and self.ref((*path, "access"), tgt["access"], self.sites, "site"):
            if dis.get("until") == "repaired":
                self.issues.append(self.raw.issue((*path, "access"), "until: repaired means "
                                   "nothing for site access (nothing is broken); give the "
                                   "disruption a duration, e.g. duration: 2h"))
        if "site" in tgt and self.ref((*path, "site"), tgt["site"], self.sites, "site"):
            if repaired and _dict(self.sites[tgt["site"]]).get("ttr") is None:
                self.issues.append(self.raw.issue((*path, "site"), "until: repaired needs a "
                                   "restore time: give the site ttr or the disruption repair"))
        if "power" in tgt and self.ref((*path, "power"), tgt["power"], self.sites, "site"):
            if repaired and _dict(self.sites[tgt["power"]]).get("ttr") is None:
                self.issues.append(self.raw.issue((*path, "power"), "until: repaired needs a "
                                   "restore time: give the site ttr or the disruption repair"))
        if "link" in tgt and self.ref((*path, "link"), tgt["link"], self.links, "link"):
            if repaired and _dict(self.links[tgt["link"]]).get("ttr") is None:
                self.issues.append(self.raw.issue((*path, "link"), "until: repaired needs a "
                                   "restore time: give the link ttr or the disruption repair"))
        comp = tgt.get("component")
        if isinstance(comp, str):
            c = self.component_ref((*path, "component"), comp)
            if c is not None:
                units = tgt.get("units")
                count = c.get("count", 1)
                if isinstance(units, int) and isinstance(count, int) and units > count:
                    self.issues.append(self.raw.issue((*path, "units"), f"{units} units hit "
                                       f"but '{comp}' has only {count}; lower units"))
                if dis.get("until") == "repaired" and c.get("ttr") is None:
                    self.issues.append(self.raw.issue((*path, "component"), f"'{comp}' has "
                                       "no ttr, so it cannot be repaired; add ttr"))

    def component_ref(self, path: PathKey, spec: str) -> dict[str, Any] | None:
        """'site.component' naming a defined component: its raw mapping, else None (reported)."""
        site, _, cid = spec.partition(".")
        if not cid:
            self.issues.append(self.raw.issue(path, f"'{spec}' names no component; write "
                                              "'site.component', e.g. 'nyc.core-switch'"))
        elif self.ref(path, site, self.sites, "site"):
            comps = _dict(_dict(self.sites[site]).get("components"))
            if self.ref(path, cid, comps, "component", f" at site '{site}'"):
                return _dict(comps[cid])
        return None

    def check_data_target(self, path: PathKey, tgt: dict[str, Any]) -> None:
        """{data: service, site: site}: the site must be one where the service is placed."""
        if self.ref((*path, "data"), tgt["data"], self.services, "service") and self.ref(
                (*path, "site"), tgt.get("site"), self.sites, "site"):
            svc = _dict(self.services[tgt["data"]])
            places = _places(svc)
            if tgt["site"] not in places:
                self.issues.append(self.raw.issue(
                    (*path, "site"), f"service '{tgt['data']}' keeps no data at "
                    f"'{tgt['site']}' (active or standby: {', '.join(places)}); name one of those"))

    def check_objectives(self) -> None:
        seen: set[str] = set()
        for i, obj in enumerate(_list(self.d.get("objectives"))):
            obj = _dict(obj)
            if obj.get("id") in seen:
                self.issues.append(self.raw.issue(("objectives", i, "id"), f"objective id "
                                                  f"'{obj['id']}' is used twice; rename one"))
            seen.add(str(obj.get("id")))
            if obj.get("service") is not None:
                self.ref(("objectives", i, "service"), obj["service"], self.services, "service")
            if obj.get("group") is not None:
                self.ref(("objectives", i, "group"), obj["group"], self.customers,
                         "customer group")

    def check_status_page(self) -> None:
        self.refs(("status_page",), _dict(self.d.get("status_page")), "requires",
                  self.services, "service")

    def check_costs(self) -> None:
        """Every id priced in costs names an element; every priority tier in use has a price."""
        costs = self.d.get("costs")
        if not isinstance(costs, dict):
            return
        for section, known, what in (("sites", self.sites, "site"),
                                     ("links", self.links, "link"),
                                     ("staff", self.staff, "staff role")):
            for key in _dict(costs.get(section)):
                self.ref(("costs", section, key), key, known, what, key=True)
        for key in _dict(costs.get("spares")):
            path = ("costs", "spares", key)
            site, _, cid = str(key).partition(".")
            if not cid:
                self.issues.append(self.raw.issue(path, f"'{key}' names no component; write "
                                                        "'site.component', e.g. 'nyc.core-switch'",
                                                  key=True))
            elif self.ref(path, site, self.sites, "site", key=True):
                comps = _dict(_dict(self.sites[site]).get("components"))
                self.ref(path, cid, comps, "component", f" at site '{site}'", key=True)
        data_loss = costs.get("data_loss")
        for key in _dict(data_loss):
            self.ref(("costs", "data_loss", key), key, self.services, "service", key=True)
        prices = {_try(int, k) for k in _dict(costs.get("downtime"))} - {None}
        if not prices:
            return  # drsim invest says it is missing; infrastructure costs alone are fine
        for gid, grp in self.customers.items():
            tier = _dict(grp).get("priority", 1)
            if isinstance(tier, int) and tier not in prices:
                have = ", ".join(str(t) for t in sorted(prices))
                self.issues.append(self.raw.issue(
                    ("costs", "downtime"), f"customer group '{gid}' has priority {tier} but "
                    f"costs.downtime prices only tier{'s' if len(prices) > 1 else ''} "
                    f"{have or 'none'}; add {tier}: <cost per customer-minute>"))
