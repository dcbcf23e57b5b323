"""The default drill tells the story it is named after.

A cloud phone provider loses the chassis of two of its four call-server pods in New York at
10:42. Only the customers on those pods (smb-central and consumer) lose service; they get basic
service back the same day from the smaller Chicago site; new hardware goes in overnight and the
failback runs inside the 00:00-05:00 window. Checked over 300 trials, and once exactly: the
drill with every distribution replaced by its median, whose timeline is derived by hand.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import ROOT

from drsim.distributions import parse_distribution
from drsim.report.status import status_page
from drsim.result import RunResult
from drsim.scenario import Scenario, load_scenario, validate
from drsim.scenario.loader import load_text
from drsim.sim.engine import simulate

DRILL = ROOT / "scenarios" / "nyc-chicago-drill.yaml"
TRIALS = 300
IMPACTED = {"smb-central", "consumer"}
H, M = 3600.0, 60.0
FAULT = 1 * H + 42 * M  # 10:42, 1h42m after the 09:00 start
MIDNIGHT = 15 * H  # Wed 00:00 local, 15h after the start
FAMILIES = {"fixed", "uniform", "triangular", "exponential", "lognormal", "weibull", "normal",
            "empirical"}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(DRILL)


@pytest.fixture(scope="module")
def runs(scenario: Scenario) -> list[RunResult]:
    return [simulate(scenario, seed=7, trial=i) for i in range(TRIALS)]


def lost(r: RunResult) -> set[str]:
    return {i.subject for i in r.outages}


def test_only_the_groups_on_the_lost_pods_are_ever_down(scenario, runs):
    for r in runs:
        assert lost(r) == IMPACTED < set(scenario.customers)  # a strict subset, every trial
        assert {i.subject for i in r.intervals if i.what == "basic"} == IMPACTED


def test_basic_service_returns_the_same_day_from_chicago(runs):
    def same_day_from_chicago(r: RunResult) -> bool:
        basic = [i for i in r.intervals if i.what == "basic"]
        chicago = {e.subject for e in r.timeline
                   if e.kind == "service_restored" and e.detail == "voice at chi"}
        return chicago == IMPACTED and all(i.end_s is not None and i.end_s < MIDNIGHT
                                           for i in basic)

    # the rest: a long provisioning tail, so a pod repaired overnight beats the failover
    assert sum(map(same_day_from_chicago, runs)) >= 0.95 * TRIALS
    assert all(r.metrics.all_restored for r in runs)


def test_failback_runs_inside_the_overnight_window(runs):
    for r in runs:
        steps = [s for s in r.steps if s.runbook == "failback"]
        assert len(steps) == 6 and all(s.outcome == "ok" for s in steps)
        for s in steps:
            start, end = r.wall(s.start_s), r.wall(s.end_s)
            assert start.date() == end.date() == r.wall(MIDNIGHT).date(), s
            assert time(0, 0) <= start.time() and end.time() <= time(5, 0), s
        assert r.incidents[0].end_s == max(s.end_s for s in steps)


@pytest.mark.parametrize("metric", ["rto_basic_s", "rto_full_s", "customer_minutes_lost"])
def test_outcomes_have_spread(runs, metric):
    values = np.array([getattr(r.metrics, metric) for r in runs], dtype=float)
    assert len(set(values.round(3))) > 100  # continuous draws: (nearly) all distinct
    p50, p90 = np.percentile(values, [50, 90])
    assert p90 > p50 * 1.02


# ------------------------------------------------------------------ the median drill


def medians(node: Any) -> Any:
    """The raw scenario with each distribution replaced by its median, to the second."""
    if isinstance(node, dict):
        if len(node) == 1 and next(iter(node)) in FAMILIES:
            q = parse_distribution(node, allow_zero=True).quantile(0.5)
            assert abs(q - round(q)) < 1e-6, (node, q)  # chosen so medians are round
            return f"{round(q)}s"
        return {k: medians(v) for k, v in node.items()}
    if isinstance(node, list):
        return [medians(v) for v in node]
    return node


def median_drill() -> Scenario:
    raw = medians(yaml.safe_load(DRILL.read_text(encoding="utf-8")))
    return validate(load_text(yaml.safe_dump(raw, sort_keys=False), "<median drill>"))


def test_median_drill_timeline_by_hand():
    r = simulate(median_drill())
    inc = r.incidents[0]
    assert inc.start_s == FAULT
    assert inc.detected_s == FAULT + 2 * M  # checks at 10:42, 10:43, 10:44: the third alerts
    assert inc.acknowledged_s == FAULT + 7 * M  # ack 5m: 10:49
    assert inc.declared_s == FAULT + 27 * M  # decision 20m: 11:09
    end = {s.step: s.end_s for s in r.steps}
    # open-bridge 10m (11:19), verify-chicago 20m (11:39)
    assert end["verify-chicago"] == FAULT + 57 * M
    # provision-network 1h (12:39) ∥ load-subscriber-data 40m + 2 TB × 8 / 10 Gbps = 1600 s
    # (12:45:40); start-services 30m after both (13:15:40)
    assert end["provision-network"] == FAULT + 117 * M
    assert end["load-subscriber-data"] == FAULT + 97 * M + 1600
    assert end["start-services"] == FAULT + 127 * M + 1600
    # reroute-smb-central 20m (13:35:40), then reroute-consumer 30m (14:05:40)
    g = r.metrics.groups
    assert g["smb-central"].rto_basic_s == 147 * M + 1600 == 10420  # 2h 53m 40s
    assert g["consumer"].rto_basic_s == 177 * M + 1600 == 12220  # 3h 23m 40s
    # spares: ordered 10:42, delivered after 8h (18:42); the night crew, called out at
    # 18:42, arrives after 3h (21:42, before its 22:00 shift); installs take 2h: 23:42
    assert [e.time_s for e in r.timeline if e.kind == "spare_delivered"] == [FAULT + 8 * H] * 2
    assert [e.time_s for e in r.timeline if e.kind == "component_up"] == [FAULT + 13 * H] * 2
    # failback in the window from 00:00: confirm 15m (00:15), rebuild switching 45m ∥ border
    # controllers 30m (01:00), resync 10m + 1600 s (01:36:40), move home 20m (01:56:40),
    # stand down Chicago 10m (02:06:40)
    home = MIDNIGHT + 15 * M + 45 * M + 10 * M + 1600 + 20 * M
    assert end["move-home"] == home == MIDNIGHT + 7000
    assert g["smb-central"].rto_full_s == g["consumer"].rto_full_s == home - FAULT  # 15h 14m 40s
    assert inc.end_s == home + 10 * M
    for unaffected in ("enterprise", "smb-east", "fax-legacy"):
        assert g[unaffected].downtime_s == 0 and g[unaffected].rto_basic_s is None
    # customer-minutes: 1,500 × 10,420 s + 3,000 × 12,220 s = 52,290,000 customer-seconds
    assert r.metrics.customer_minutes_lost == pytest.approx(871_500)
    # the status page posts at each of those instants
    [page] = status_page(r, median_drill()).incidents
    assert [(u.status, u.time_s - FAULT) for u in page.updates] == [
        ("Investigating", 2 * M), ("Identified", 27 * M),
        ("Update", 10420), ("Monitoring", 12220),  # smb-central, then consumer, in Chicago
        ("Maintenance", MIDNIGHT - FAULT),  # the failback's first step, 00:00
        ("Resolved", home + 10 * M - FAULT)]
    met = {(o.id, o.kind): o.met for o in r.metrics.objectives}
    assert met == {("voice-rto", "rto"): True, ("voice-rto", "rpo"): True,
                   ("enterprise-availability", "availability"): True,
                   ("all-customers-rto", "rto"): True}
