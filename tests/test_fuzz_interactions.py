"""Randomised interaction tests: small random but valid scenarios that combine the
mechanisms of the format (protection tiers and data targets, when branches, preconditions
with timeouts, staged steps and rebuilds, site access, standby units, failure suspension,
power and restart, cascades, escalation and degraded detection, rotations, hot standby
switchover, cross-site dependencies, serves, group requires, the status page's own
dependencies), run through the engine, with the invariants of tests/fuzz_invariants.py.
The bundled and incident scenarios are run for 50 trials each against the same invariants."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT
from fuzz_invariants import check_row, check_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drsim.montecarlo import run_trials
from drsim.scenario import load_scenario, validate
from drsim.scenario.loader import load_text
from drsim.sim.engine import Drill, simulate

HORIZON_H = 24
DUR = st.sampled_from(["0s", "1m", "5m", "10m", "30m", "1h", "2h", "5h"])
POS = st.sampled_from(["1m", "5m", "10m", "30m", "1h", "2h", "5h"])
PROB = st.sampled_from([0.5, 0.9, 1.0])


def _dist(draw, positive=False):
    base = draw(POS if positive else DUR)
    if draw(st.booleans()):
        return base
    return {"uniform": {"low": "1m", "high": draw(st.sampled_from(["10m", "1h", "3h"]))}}


@st.composite
def raw_scenarios(draw):  # noqa: C901, PLR0912, PLR0915 — one generator, read top to bottom
    n_sites = draw(st.integers(2, 4))
    sites_ids = [f"s{i}" for i in range(n_sites)]
    roles = ["eng", "mgr"]
    sites = {}
    for s in sites_ids:
        count = draw(st.integers(1, 3))
        box = {"count": count, "ttr": _dist(draw), "repair_role": draw(st.sampled_from(
            [None, "eng"]))}
        if count > 1 and draw(st.booleans()):
            m = draw(st.integers(1, count - 1))
            box["standby"] = {"units": m, "mode": draw(st.sampled_from(["cold", "warm"])),
                              "switchover": draw(DUR), "success": draw(PROB)}
            box["needed"] = draw(st.integers(1, count - m))
        elif count > 1:
            box["needed"] = draw(st.integers(1, count))
        if draw(st.booleans()):
            box["ttf"] = {"exponential": {"mean": draw(st.sampled_from(["5h", "20h"]))}}
        if draw(st.booleans()):
            box["serves"] = draw(st.sampled_from([100, 300, 1000]))
        if draw(st.booleans()):
            box["restart"] = draw(DUR)
        if draw(st.booleans()):
            box["suspend_when_down"] = True
        if draw(st.booleans()):
            box["spare"] = {"stock": draw(st.integers(0, 1)), "lead_time": draw(DUR)}
        box = {k: v for k, v in box.items() if v is not None}
        comps = {"box": box}
        if s == "s0":
            comps["pod"] = {"count": draw(st.integers(1, 2)), "ttr": draw(DUR)}
        site = {"components": comps}
        if draw(st.booleans()):
            site["capacity"] = draw(st.sampled_from([0, 200, 500, 2000]))
        if draw(st.booleans()):
            site["ttf"] = {"exponential": {"mean": "30h"}}
            site["ttr"] = draw(POS)
        sites[s] = site
    links = {f"p-{s}": {"a": "pop", "b": s, "latency": f"{i * 5 + 1}ms"}
             for i, s in enumerate(sites_ids)}
    for a, b in zip(sites_ids, sites_ids[1:], strict=False):
        links[f"{a}-{b}"] = {"a": a, "b": b, "bandwidth": draw(st.sampled_from(
            ["100Mbps", "1Gbps", "10Gbps"]))}
        if draw(st.booleans()):
            links[f"{a}-{b}"].update(ttf={"exponential": {"mean": "20h"}}, ttr=draw(POS))

    n_svc = draw(st.integers(1, 3))
    services = {}
    placement = {}
    for i in range(n_svc):
        sid = f"v{i}"
        others = sites_ids[1:]
        active = ["s0"] + ([s for s in others if draw(st.booleans())][:1]
                           if draw(st.booleans()) else [])
        rest = [s for s in others if s not in active]
        svc = {"requires": draw(st.sampled_from([[], ["box"]])), "active": active}
        standby = [s for s in rest if draw(st.booleans())]
        if standby:
            mode = draw(st.sampled_from(["cold", "warm", "hot"]))
            svc["standby"] = {"sites": standby, "mode": mode}
            if mode == "hot":
                if draw(st.booleans()):
                    svc["standby"]["switchover"] = draw(DUR)
                if draw(st.booleans()):
                    svc["standby"]["success"] = draw(PROB)
        placement[sid] = set(active) | set(standby)
        deps = []
        for j in range(i):
            dj = f"v{j}"
            kind = draw(st.sampled_from(["none", "none", "same", "any", "at"]))
            if kind == "same" and placement[dj] >= placement[sid]:
                deps.append(dj)
            elif kind == "any":
                deps.append({"service": dj, "at": "any"})
            elif kind == "at":
                deps.append({"service": dj, "at": draw(st.sampled_from(sorted(placement[dj])))})
        if deps:
            svc["depends_on"] = deps
        if draw(st.booleans()):
            svc["data_size"] = draw(st.sampled_from(["1GB", "100GB"]))
            other = sorted(set(sites_ids) - {"s0"})
            tiers = []
            if draw(st.booleans()):
                svc["replication"] = {"mode": "async", "to": draw(st.sampled_from(other)),
                                      "lag": draw(POS)}
            if draw(st.booleans()):
                tiers.append({"id": "snap", "kind": "snapshot", "at": draw(st.sampled_from(
                    sites_ids)), "schedule": {"every": draw(st.sampled_from(["1h", "6h"]))},
                    "takes": draw(DUR), "unusable": draw(st.sampled_from([0, 0.3])),
                    "discovery": draw(DUR)})
            if draw(st.booleans()) or (not tiers and "replication" not in svc):
                tiers.append({"id": "rep", "kind": "replica", "mode": draw(st.sampled_from(
                    ["sync", "async"])), "at": draw(st.sampled_from(other))})
                if tiers[-1]["mode"] == "async":
                    tiers[-1]["lag"] = draw(POS)
            if tiers:
                svc["protection"] = tiers
        if draw(st.booleans()):
            svc["suspend_failures"] = True
        if draw(st.integers(0, 3)) == 0:
            svc["latency_budget"] = "8ms"
        if i > 0 and draw(st.booleans()):
            svc["essential"] = False
        services[sid] = svc

    groups = {}
    for i in range(draw(st.integers(1, 4))):
        uses = sorted(set(draw(st.lists(st.sampled_from(sorted(services)), min_size=1,
                                        max_size=n_svc))))
        homes = sorted(set.intersection(*(set(services[u]["active"]) for u in uses)))
        home = draw(st.sampled_from(homes))
        g = {"count": draw(st.sampled_from([50, 200, 600])), "access": "pop", "home": home,
             "services": uses, "priority": draw(st.integers(1, 3))}
        if home == "s0" and draw(st.booleans()):
            g["requires"] = ["pod"]
        groups[f"g{i}"] = g

    staff = {"mgr": {"count": 1, "callout": draw(DUR)}}
    if draw(st.booleans()):
        staff["eng"] = {"rotations": [
            {"count": 1, "shift": {"days": "all", "hours": "00:00-12:00"}, "callout": draw(DUR)},
            {"count": draw(st.integers(1, 2)), "shift": {"days": "all", "hours": "12:00-00:00"},
             "callout": draw(DUR)}]}
    else:
        staff["eng"] = {"count": draw(st.integers(1, 3)),
                        "shift": draw(st.sampled_from(["24x7", "business_hours"])),
                        "callout": draw(DUR)}

    detection = {"interval": "1m", "failed_checks": draw(st.integers(1, 3)),
                 "ack_delay": draw(DUR), "declare_delay": draw(DUR)}
    if draw(st.booleans()):
        detection["page"] = draw(st.sampled_from(["eng", ["eng", "mgr"]]))
    if draw(st.booleans()):
        detection["escalation"] = [{"role": "eng", "timeout": draw(POS),
                                    "answers": draw(PROB)}, {"role": "mgr"}]
    if draw(st.booleans()):
        detection["answers"] = draw(PROB)
    if draw(st.booleans()):
        detection["requires"] = [draw(st.sampled_from(sorted(services)))]
        detection["degraded_delay"] = draw(DUR)
    if draw(st.booleans()):
        detection["declare_role"] = "mgr"

    actives = {site for v in services.values() for site in v["active"]}
    standbys = [(s, site) for s, v in services.items()  # failover targets: never a home
                for site in v.get("standby", {}).get("sites", []) if site not in actives]
    has_hot = any(v.get("standby", {}).get("mode") == "hot" for v in services.values())

    def effect(failback=False):
        kinds = ["move", "rebuild"]
        if standbys:
            kinds += ["activate", "restore"]
        k = draw(st.sampled_from(kinds))
        if k == "rebuild":
            e = {"site": draw(st.sampled_from(sites_ids))}
            if draw(st.booleans()):
                e["component"] = "box"
            if draw(st.booleans()):
                e["units"] = 1
            return {"rebuild": e}
        if k == "move":
            to = "home" if failback else draw(st.sampled_from(sorted({v for _, v in standbys})
                                                                 or ["home"]))
            if to == "home" and not failback:
                return {"rebuild": {"site": "s0"}}
            gs = draw(st.sampled_from(["all", sorted(groups)[:1]]))
            return {"move": {"groups": gs, "to": to}}
        svc, site = draw(st.sampled_from(standbys))
        if k == "activate":
            return {("deactivate" if failback else "activate"): {"service": svc, "site": site}}
        if "data_size" in services[svc]:
            return {"restore": {"service": svc, "to": site}}
        return {"activate": {"service": svc, "site": site}}

    def steps(failback=False):
        out = []
        n = draw(st.integers(1, 4))
        for i in range(n):
            st_ = {"id": f"k{i}", "duration": _dist(draw)}
            if i and draw(st.booleans()):
                st_["after"] = [f"k{draw(st.integers(0, i - 1))}"]
            if draw(st.booleans()):
                st_["roles"] = [draw(st.sampled_from(roles))]
            effs = [effect(failback) for _ in range(draw(st.integers(0, 2)))]
            staged = draw(st.integers(0, 4)) == 0
            if staged:
                effs = [e for e in effs if "restore" not in e]
                for e in effs:
                    if "rebuild" in e:
                        e["rebuild"].pop("units", None)
                st_["duration"] = "0s"
                units = draw(st.integers(1, 4))
                st_["staged"] = {"units": units, "workers": draw(st.integers(1, 2)),
                                 "per_unit": draw(POS), "batch": draw(st.integers(1, units))}
            else:
                if draw(st.booleans()):
                    st_["success"] = draw(PROB)
                    st_["retries"] = draw(st.integers(0, 2))
                if draw(st.booleans()):
                    st_["discovery"] = draw(DUR)
            if effs:
                st_["effects"] = effs
            if draw(st.booleans()):
                w = draw(st.sampled_from(["site_up", "site_down", "service_up", "service_down",
                                          "component_up", "component_down", "hours",
                                          "data_lost_above"]))
                if w in ("site_up", "site_down"):
                    st_["when"] = {w: [draw(st.sampled_from(sites_ids))]}
                elif w in ("service_up", "service_down"):
                    v = draw(st.sampled_from(sorted(services)))
                    at = draw(st.sampled_from([None, *sorted(placement[v])]))
                    st_["when"] = {w: [v if at is None else f"{v}@{at}"]}
                elif w == "hours":
                    st_["when"] = {"hours": "09:00-17:00"}
                elif w == "data_lost_above":
                    st_["when"] = {w: {draw(st.sampled_from(sorted(services))): "1m"}}
                else:
                    st_["when"] = {w: [f"{draw(st.sampled_from(sites_ids))}.box"]}
            if draw(st.booleans()):
                pre = {}
                p = draw(st.sampled_from(["site_healthy", "service_up", "site_access",
                                          "link_up", "window"]))
                if p == "service_up":
                    pre[p] = [draw(st.sampled_from(sorted(services)))]
                elif p == "window":
                    pre[p] = "night"
                elif p == "link_up":
                    pre[p] = [draw(st.sampled_from(sorted(links)))]
                else:
                    pre[p] = [draw(st.sampled_from(sites_ids))]
                if draw(st.booleans()):
                    pre["timeout"] = draw(POS)
                    pre["on_timeout"] = draw(st.sampled_from(["fail", "skip"]))
                st_["requires"] = pre
            out.append(st_)
        # a fallback for a step that may fail: a fresh step at the end, named by the first
        if draw(st.booleans()) and "staged" not in out[0]:
            out.append({"id": "fb", "duration": draw(DUR), "effects": [effect(failback)]})
            out[0]["fallback"] = "fb"
        return out

    trigger = draw(st.sampled_from(["declared", "detected"] + (["auto_failover_failed"]
                                                                if has_hot else [])))
    runbooks = {"failover": {"trigger": trigger, "steps": steps(),
                             "cancel_if_recovered": draw(st.booleans())},
                "failback": {"trigger": {"after": "failover"}, "steps": steps(True)}}
    if draw(st.booleans()):
        runbooks["triage"] = {"trigger": draw(st.sampled_from(["declared", "detected"])),
                              "steps": steps()}

    def targets():
        out = []
        for _ in range(draw(st.integers(1, 2))):
            k = draw(st.sampled_from(["site", "component", "link", "power", "data", "access",
                                      "pod"]))
            s = draw(st.sampled_from(sites_ids))
            if k == "component":
                t = {"component": f"{s}.box"}
                if draw(st.booleans()):
                    t["units"] = 1
            elif k == "pod":
                t = {"component": "s0.pod"}
            elif k == "link":
                t = {"link": draw(st.sampled_from(sorted(links)))}
            elif k == "data":
                v = draw(st.sampled_from(sorted(services)))
                t = {"data": v, "site": draw(st.sampled_from(sorted(placement[v])))}
            else:
                t = {k: s}
            out.append(t)
        return out

    def fault(depth=0):
        tg = targets()
        d = {"targets": tg}
        if any("access" in t for t in tg) or draw(st.booleans()):
            d["duration"] = draw(POS)
        else:
            d["until"] = "repaired"
            d["repair"] = draw(DUR)
        if depth < 1 and draw(st.integers(0, 3)) == 0:
            c = fault(depth + 1)
            c["after"] = draw(DUR)
            c["probability"] = draw(PROB)
            d["cascade"] = [c]
        return d

    disruptions = []
    for i in range(draw(st.integers(1, 3))):
        d = fault()
        disruptions.append({"id": f"d{i}", "at": draw(st.sampled_from(["10m", "1h", "3h",
                                                                          "9h"])), **d})
    doc = {
        "drsim": 1, "name": "fuzz",
        "simulation": {"start": "2026-03-10T06:00", "timezone": "UTC",
                       "horizon": f"{HORIZON_H}h", "seed": draw(st.integers(0, 1000)),
                       "random_failures": draw(st.booleans())},
        "sites": sites, "access_points": {"pop": {}}, "links": links,
        "services": services, "customers": groups, "staff": staff,
        "detection": detection, "runbooks": runbooks,
        "maintenance_windows": {"night": {"days": "all", "hours": "22:00-06:00"}},
        "disruptions": disruptions,
        "objectives": [{"id": "o", "rto": "2h", "rpo": "5m", "availability": "99%"}],
    }
    if draw(st.booleans()):
        doc["status_page"] = {"requires": [draw(st.sampled_from(sorted(services)))]}
        if draw(st.booleans()):
            doc["status_page"]["fallback"] = draw(POS)
    return doc


def build(doc):
    return validate(load_text(yaml.safe_dump(doc, sort_keys=False), "<fuzz>"))


SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@SETTINGS
@given(raw_scenarios())
def test_random_interactions(doc):
    sc = build(doc)
    r = simulate(sc)
    check_run(r, sc)
    assert simulate(sc).to_dict() == r.to_dict()


SCENARIOS = sorted(str(p) for d in ("scenarios", "scenarios/incidents")
                   for p in (ROOT / d).glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_bundled_and_incident_scenarios_keep_the_invariants(path):
    sc = load_scenario(path)
    trials = run_trials(sc, 50, workers=1)  # the serial backend
    assert trials.complete and trials.failed == 0
    for row in trials.frame.to_dict("records"):
        check_row(row, sc)
    for i in range(3):  # the full invariants on a few whole runs
        check_run(Drill(sc, None, i).run(), sc)


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(raw_scenarios())
def test_random_interactions_render_a_report(doc):
    from drsim.report.html import render_run_report

    sc = build(doc)
    assert "<html" in render_run_report(simulate(sc), sc)
