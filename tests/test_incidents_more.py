"""Two more public-incident scenarios: what each mechanism visibly does to the timeline, and
that many trials give a distribution, not one value.

- Atlassian, April 2022: 883 deleted cloud sites, data restored from point-in-time backups,
  sites rebuilt by staged work; customers (cohorts pinned to capacity per site) come back in
  batches.
- Google Cloud europe-west9, April 2023: water and fire in zone a's building (power loss,
  access closed), the regional control plane led from zone a takes zones b and c down through
  a cross-site dependency until it is re-homed.
"""

from __future__ import annotations

import re

import numpy as np
from conftest import ROOT

from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

H, M, D = 3600.0, 60.0, 86400.0
INCIDENTS = ROOT / "scenarios" / "incidents"
ATLASSIAN = INCIDENTS / "atlassian-2022-site-deletion.yaml"
GOOGLE = INCIDENTS / "google-2023-europe-west9.yaml"


def basic_down(r, group):
    return [(i.start_s, i.end_s) for i in r.intervals if i.subject == group and i.what == "basic"]


def when(r, kind, subject):
    return [e.time_s for e in r.timeline if e.kind == kind and e.subject == subject]


# ---- Atlassian, April 2022 -------------------------------------------------------------------

COHORTS = [f"cohort-{i}" for i in range(1, 10)]


def rebuilt_by(r):
    """(time, sites rebuilt so far) after every batch of either staged step, in time order."""
    done: dict[str, int] = {}
    out = []
    for e in r.timeline:
        if e.kind == "batch_done":
            done[e.subject] = int(re.match(r"(\d+) of", e.detail).group(1))
            out.append((e.time_s, sum(done.values())))
    return out


def test_atlassian_sites_come_back_in_batches_after_the_data_restore():
    sc = load_scenario(ATLASSIAN)
    sizes = [sc.customers[c].count for c in COHORTS]
    assert sum(sizes) == 883 == sc.sites["cloud"].components["tenant-sites"].count
    r = simulate(sc)
    deleted = when(r, "disruption", "delete-script")[0]
    assert 36 * M <= deleted <= 41 * M  # 07:36-07:41, drawn over one backup cycle
    # the data comes back from the point-in-time backups: at most one cycle (+ its 1 min)
    restored = [e for e in r.timeline if e.kind == "restored"]
    assert len(restored) == 1 and "from pitr" in restored[0].detail
    lost = r.metrics.data_lost_s["products"]
    assert 10 <= lost <= 6 * M
    data_back = restored[0].time_s
    batches = rebuilt_by(r)
    assert batches[-1][1] == 883 and all(t >= data_back for t, _ in batches)
    # every cohort loses service at the deletion and comes back at the end of the batch that
    # brought the rebuilt sites to cover it and every cohort before it (capacity per site)
    ends = []
    for k, c in enumerate(COHORTS):
        ((start, end),) = basic_down(r, c)
        assert start == deleted
        need = sum(sizes[: k + 1])
        first = next(t for t, n in batches if n >= need)
        assert end == first, c
        ends.append(end)
    assert ends == sorted(ends) and len(set(ends)) >= 6  # batches at increasing times
    assert ends[0] > data_back  # nobody is back before the data and their site are
    assert r.incidents[0].end_s == ends[-1] == batches[-1][0]


def test_atlassian_scenario_gives_a_spread():
    sc = load_scenario(ATLASSIAN)
    first, mid, last, lost = [], [], [], []
    for seed in range(200):
        g = simulate(sc, seed).metrics
        first.append(g.groups["cohort-1"].rto_basic_s / D)
        mid.append(g.groups["cohort-5"].rto_basic_s / D)
        last.append(g.groups["cohort-9"].rto_basic_s / D)
        lost.append(g.data_lost_s["products"])
    assert len(set(last)) > 150 and len(set(np.round(lost))) > 100
    # the first cohort is back in days, the last in weeks; the middle in between
    assert np.median(first) < np.median(mid) < np.median(last)
    assert 1 < np.median(first) < 7 and 5 < np.median(last) < 25
    assert np.percentile(last, 90) > np.median(last) * 1.15
    # the point-in-time backups lose under 6 minutes, unless the copy is unusable (~1 %)
    assert np.median(lost) < 6 * M and sum(x > 6 * M for x in lost) < 10


# ---- Google Cloud europe-west9, April 2023 ---------------------------------------------------


def test_europe_west9_region_falls_with_zone_a_and_returns_when_the_control_plane_moves():
    sc = load_scenario(GOOGLE)
    r = simulate(sc)
    leak = 1 * H  # 04:00 against the 03:00 start
    fire = when(r, "power_off", "zone-a")[0]
    assert leak < fire <= leak + 1 * H
    # the fire cuts zone a's power and closes its building at the same instant
    assert when(r, "access_closed", "zone-a") == [fire]
    assert when(r, "disruption", "water-intrusion/0/0") == [fire]
    # zones b and c never fail themselves, yet go down with zone a, saying why
    down = {e.subject: e.detail for e in r.timeline if e.kind == "service_down"}
    assert down["compute-b@zone-b"].startswith("needs regional-cp at any")
    assert "zone-b: not active here" in down["regional-api@zone-c"]
    assert "site_down" not in {e.kind for e in r.timeline if e.subject in ("zone-b", "zone-c")}
    # ... and come back exactly when the control plane is re-homed to zone b
    moved = next(s.end_s for s in r.steps if s.step == "start-in-zone-b")
    assert when(r, "activated", "regional-cp") == [moved]
    for g in ("zonal-b", "zonal-c", "regional"):
        assert basic_down(r, g) == [(leak, moved)], g
    # zone a: technicians enter once the building is both powered and open, then replace
    # the wrecked rack groups; its customers are back with the last batch
    entry = max(when(r, "power_on", "zone-a")[0], when(r, "access_open", "zone-a")[0])
    assess = next(s for s in r.steps if s.step == "assess-halls")
    assert assess.start_s == entry
    last_batch = when(r, "batch_done", "rebuild-zone-a.replace-racks")[-1]
    assert basic_down(r, "zonal-a") == [(leak, last_batch)]
    assert last_batch > moved + 2 * D


def test_europe_west9_scenario_gives_a_spread_and_access_sometimes_binds():
    sc = load_scenario(GOOGLE)
    region, zone_a, access_binds = [], [], 0
    for seed in range(300):
        r = simulate(sc, seed)
        g = r.metrics.groups
        region.append(g["zonal-b"].rto_basic_s / H)
        za = g["zonal-a"].rto_basic_s
        zone_a.append(za / D if za is not None else np.inf)
        power_on = when(r, "power_on", "zone-a")
        opened = when(r, "access_open", "zone-a")
        if power_on and opened and opened[0] > power_on[0]:
            access_binds += 1  # the closed building, not the power, holds the technicians
            assess = next(s for s in r.steps if s.step == "assess-halls")
            assert assess.start_s == opened[0]
    assert len(set(region)) > 250 and len(set(zone_a)) > 250
    # the region is back in hours (about a day at worst); zone a takes weeks
    assert 2 < np.median(region) < 24 < np.percentile(region, 90) * 2
    assert 7 < np.median(zone_a) < 35 and np.median(zone_a) * 24 > 20 * np.median(region)
    assert 0 < access_binds < 300
