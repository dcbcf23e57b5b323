"""Invariants every run must satisfy, whatever the scenario (used by the fuzz tests)."""

from __future__ import annotations

import math
from itertools import pairwise

from drsim.report.status import status_page
from drsim.result import RunResult
from drsim.scenario.schema import Scenario


def check_run(r: RunResult, sc: Scenario) -> None:
    horizon = r.horizon_s
    by_key: dict[tuple[str, str], list] = {}
    for i in r.intervals:
        assert 0 <= i.start_s <= horizon, i
        assert i.end_s is None or i.start_s < i.end_s <= horizon, i
        by_key.setdefault((i.subject, i.what), []).append(i)
    for key, spells in by_key.items():  # the spells of one (subject, what) never overlap
        spells.sort(key=lambda i: i.start_s)
        for a, b in pairwise(spells):
            assert a.end_s is not None and a.end_s <= b.start_s, (key, a, b)
    m = r.metrics
    for g in m.groups.values():
        assert 0 <= g.downtime_s <= horizon + 1e-6, g
        assert 0 <= g.availability <= 1, g
        if g.rto_basic_s is not None and g.rto_full_s is not None:
            assert g.rto_full_s >= g.rto_basic_s, g
    # customer-minutes from the per-service outage spells and the scenario's counts, not from
    # the metrics: a group is without basic service while it lacks any essential service
    down = basic_downtime_from_outages(r, sc)
    for g, d in down.items():
        assert abs(m.groups[g].downtime_s - d) <= 1e-6, (g, m.groups[g].downtime_s, d)
    expected = sum(sc.customers[g].count * d / 60 for g, d in down.items())
    assert abs(m.customer_minutes_lost - expected) <= 1e-6 * max(1.0, expected)
    for a, b in pairwise(r.incidents):
        assert a.end_s is not None and a.end_s <= b.start_s, (a, b)
    for inc in r.incidents:
        assert 0 <= inc.start_s <= horizon, inc
        assert inc.end_s is None or inc.start_s <= inc.end_s <= horizon, inc
        for t in (inc.detected_s, inc.acknowledged_s, inc.declared_s):
            assert t is None or inc.start_s <= t <= horizon, inc
    starts = [e for e in r.timeline if e.kind == "incident_start"]
    ends = [e for e in r.timeline if e.kind == "incident_end"]
    assert len(ends) <= len(starts) <= len(ends) + 1, (starts, ends)
    for s, e in zip(starts, ends, strict=False):
        assert s.time_s <= e.time_s, (s, e)
    for s, e in zip(ends, starts[1:], strict=False):
        assert s.time_s <= e.time_s, (s, e)
    assert all(x.lost_s >= 0 and math.isfinite(x.lost_s) for x in r.losses), r.losses
    for lost in m.data_lost_s.values():
        assert lost is None or lost >= 0
    assert [e.time_s for e in r.timeline] == sorted(e.time_s for e in r.timeline)
    assert all(0 <= e.time_s <= horizon for e in r.timeline)
    for st in r.steps:
        assert 0 <= st.start_s <= horizon, st
        assert st.end_s is None or st.start_s <= st.end_s <= horizon, st
    _check_timeline(r, sc)
    page = status_page(r, sc)
    for inc in page.incidents:
        times = [u.time_s for u in inc.updates]
        assert all(0 <= t <= horizon for t in times), inc
        assert times == sorted(times), inc


def basic_downtime_from_outages(r: RunResult, sc: Scenario) -> dict[str, float]:
    """Seconds each group lacked one of its essential services (all its services if none is
    essential): the length of the union of those services' outage spells, up to the horizon,
    swept by hand from r.outages (docs/metrics.md, the `basic` status)."""
    out = {}
    for g, grp in sc.customers.items():
        essential = [s for s in grp.services if sc.services[s].essential] or grp.services
        spans = sorted((i.start_s, r.horizon_s if i.end_s is None else i.end_s)
                       for i in r.outages if i.subject == g and i.what in essential)
        total, reach = 0.0, -math.inf
        for start, end in spans:
            if end > reach:
                total += end - max(start, reach)
                reach = end
        out[g] = total
    return out


def check_row(row: dict, sc: Scenario) -> None:
    assert row["error"] is None, row["error"]
    horizon = sc.simulation.horizon
    weight = 0
    cml = 0.0
    for g, spec in sc.customers.items():
        d = row[f"downtime_s.{g}"]
        assert 0 <= d <= horizon + 1e-6, (g, d)
        weight += spec.count
        cml += spec.count * d / 60
    assert abs(row["customer_minutes_lost"] - cml) <= 1e-6 * max(1.0, cml)
    for s in sc.services:
        v = row[f"data_lost_s.{s}"]
        assert v is None or math.isnan(v) or v >= 0, (s, v)
    assert 0 <= row["unavailability"] <= 1 + 1e-9


def _inside(spell, spells, horizon) -> bool:
    end = spell.end_s if spell.end_s is not None else horizon
    return any(o.start_s <= spell.start_s and (o.end_s if o.end_s is not None else horizon) >= end
               for o in spells)


def _check_timeline(r: RunResult, sc: Scenario) -> None:
    """Consistency of the timeline with itself and with the status intervals."""
    horizon = r.horizon_s
    spells: dict[tuple[str, str], list] = {}
    for i in r.intervals:
        spells.setdefault((i.subject, i.what), []).append(i)
    for g, grp in sc.customers.items():
        essential = [s for s in grp.services if sc.services[s].essential] or grp.services
        for b in spells.get((g, "basic"), []):  # no basic service → no full recovery
            assert _inside(b, spells.get((g, "full"), []), horizon), (g, b)
        for svc in essential:  # an essential service lost → basic service lost
            for o in spells.get((g, svc), []):
                assert _inside(o, spells.get((g, "basic"), []), horizon), (g, svc, o)
    # an incident ends only when every group has every service
    for e in r.timeline:
        if e.kind == "incident_end":
            for i in r.outages:
                end = i.end_s if i.end_s is not None else horizon
                assert not (i.start_s <= e.time_s < end), (e, i)
    # nothing comes up at a site without power; nothing is served from a site that is down
    unpowered: dict[str, int] = {}
    site_down: set[str] = set()
    for e in r.timeline:
        if e.kind == "power_off":
            unpowered[e.subject] = unpowered.get(e.subject, 0) + 1
        elif e.kind == "power_on":
            unpowered[e.subject] -= 1
        elif e.kind == "site_down":
            site_down.add(e.subject)
        elif e.kind == "site_up":
            site_down.discard(e.subject)
        elif e.kind == "component_up":
            assert not unpowered.get(e.subject.split(".")[0]), e
        elif e.kind == "service_restored":
            at = e.detail.rpartition(" at ")[2]
            assert at not in site_down, e
