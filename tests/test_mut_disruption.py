"""Disruptions: date-time and drawn offsets, every kind of target, restore times of sites and
links hit until repaired, staff-access closures, and cascades (text and streams pinned)."""

from __future__ import annotations

import pytest
from conftest import parse
from reference_streams import stream

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: disruption
simulation: {start: "2026-03-10T09:00", timezone: Europe/Paris, horizon: 1d, seed: 7}
sites:
  a: {ttr: 3h, components: {box: {count: 3, needed: 1, ttr: 2h}}}
  b: {components: {box: {count: 1}}}
links:
  a-b: {a: a, b: b, latency: 1ms, ttr: 40m}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
disruptions:
DISRUPTIONS
"""


def run(disruptions: str, seed: int | None = None):
    return simulate(parse(BASE.replace("DISRUPTIONS", disruptions)), seed=seed)


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def test_a_date_time_is_local_to_the_scenario_time_zone():
    # start 09:00 Paris; 10:42 Paris is 1h42m later (a UTC reading would be 2h42m)
    r = run('  - {id: d, at: "2026-03-10T10:42", description: "unplug", '
            "targets: [{site: a}], duration: 1h}")
    assert events(r, "disruption", "site_down", "site_up") == [
        (1 * H + 42 * M, "disruption", "d", "unplug"), (1 * H + 42 * M, "site_down", "a", ""),
        (2 * H + 42 * M, "site_up", "a", "")]


def test_a_fault_at_the_start_instant_strikes():
    r = run("  - {id: d, at: 0s, targets: [{site: a}], duration: 1h}")
    assert events(r, "disruption", "site_down") == [(0.0, "disruption", "d", ""),
                                                    (0.0, "site_down", "a", "")]
    assert r.metrics.groups["users"].downtime_s == 1 * H




def test_a_drawn_offset_and_duration_come_from_the_disruptions_at_and_duration_streams():
    r = run("  - {id: d, at: {uniform: {low: 0s, high: 10h}}, targets: [{site: a}], "
            "duration: {uniform: {low: 1h, high: 2h}}}")
    at_s = stream(7, "disruption:d:at").uniform(0, 10 * H)
    dur_s = stream(7, "disruption:d:duration").uniform(1 * H, 2 * H)
    assert [t for t, *_ in events(r, "site_down", "site_up")] == [
        pytest.approx(at_s), pytest.approx(at_s + dur_s)]


def test_a_drawn_offset_beyond_the_horizon_never_happens():
    # the draw is in [2d, 3d): always past the 1d horizon
    r = run("  - {id: d, at: {uniform: {low: 2d, high: 3d}}, targets: [{site: a}], "
            "duration: 1h}")
    assert events(r, "disruption", "site_down") == []


def test_component_units_are_hit_lowest_first_and_only_as_many_as_asked():
    r = run("  - {id: d, at: 1h, targets: [{component: a.box, units: 2}], duration: 30m}\n"
            "  - {id: e, at: 1h10m, targets: [{component: a.box}], duration: 5m}")
    # d: units 0, 1 down 1h-1h30m (1 of 3 still up: needed 1, service stays up); e at 1h10m
    # hits every unit still up (unit 2) for 5m → the service is down 1h10m-1h15m
    assert [(t, d) for t, _, _, d in events(r, "component_down")] == [
        (1 * H, "1 of 3 units down (d)"), (1 * H, "2 of 3 units down (d)"),
        (1 * H + 10 * M, "3 of 3 units down (e)")]
    assert r.metrics.groups["users"].downtime_s == 5 * M


def test_sites_and_links_until_repaired_use_repair_else_their_ttr():
    r = run("  - {id: d, at: 1h, targets: [{site: a}, {link: a-b}], until: repaired}\n"
            "  - {id: e, at: 6h, targets: [{site: a}, {link: a-b}], until: repaired, "
            "repair: 10m}")
    # d: site a back after its ttr 3h (4h), link a-b after its ttr 40m (1h40m);
    # e: both back after the disruption's repair 10m (6h10m)
    assert [(t, k) for t, k, *_ in events(r, "site_down", "site_up", "link_down",
                                          "link_up")] == [
        (1 * H, "site_down"), (1 * H, "link_down"), (1 * H + 40 * M, "link_up"),
        (4 * H, "site_up"), (6 * H, "site_down"), (6 * H, "link_down"),
        (6 * H + 10 * M, "site_up"), (6 * H + 10 * M, "link_up")]


def test_power_until_repaired_uses_the_disruption_repair():
    r = run("  - {id: p, at: 1h, targets: [{power: a}], until: repaired, repair: 25m}")
    # power back at 1h25m; restart 0s: the units are up in the same instant
    assert [(t, k) for t, k, *_ in events(r, "power_off", "power_on")] == [
        (1 * H, "power_off"), (1 * H + 25 * M, "power_on")]
    assert r.metrics.groups["users"].downtime_s == 25 * M


def test_a_scripted_hit_on_one_unit_of_a_power_site_counts_the_site_as_power_exposed():
    # a power target elsewhere in the file makes a.box's repairs pause for power: unit 0's
    # 2h repair (from 1h) pauses 2h-2h30m and ends at 3h30m, not 3h
    r = run("  - {id: f, at: 1h, targets: [{component: a.box, units: 1}], until: repaired}\n"
            "  - {id: p, at: 2h, targets: [{power: a}], duration: 30m}")
    assert events(r, "repair_paused") == [(2 * H, "repair_paused", "a.box",
                                           "power lost; 3600s of repair work left")]
    ups = [(t, d) for t, _, _, d in events(r, "component_up")]
    assert ups[-1] == (3.5 * H, "repaired")


def test_access_closure_opens_after_its_duration():
    r = run("  - {id: strike, at: 2h, targets: [{access: a}], duration: 90m}")
    assert events(r, "access_closed", "access_open") == [
        (2 * H, "access_closed", "a", "strike"), (3.5 * H, "access_open", "a", "strike")]
    assert r.metrics.groups["users"].downtime_s == 0  # the site keeps working


CASCADES = """
  - id: fire
    at: 1h
    targets: [{component: a.box, units: 1}]
    duration: 1h
    cascade:
      - after: 20m
        description: smoke
        targets: [{component: a.box, units: 1}]
        duration: 1h
      - after: {uniform: {low: 0s, high: 1h}}
        probability: 50%
        targets: [{link: a-b}]
        duration: 10m
        cascade:
          - {after: 5m, targets: [{component: a.box}], duration: 1m}
"""


def test_cascades_name_their_events_and_draw_from_their_own_streams():
    outcomes = set()
    for seed in range(6):
        r = run(CASCADES, seed=seed)
        delay_s = stream(seed, "cascade:fire/1:after").uniform(0, 1 * H)
        spreads = bool(stream(seed, "cascade:fire/1:spreads").random() < 0.5)
        outcomes.add(spreads)
        got = {s: (t, k, d) for t, k, s, d in events(r, "disruption", "cascade_spared")}
        assert got["fire"] == (1 * H, "disruption", "")
        assert got["fire/0"] == (1 * H + 20 * M, "disruption", "smoke")
        if spreads:
            # the link is cut at 1h + delay; fire/1/0 strikes 5m later
            assert got["fire/1"] == (pytest.approx(1 * H + delay_s), "disruption",
                                     "spread from fire")
            assert got["fire/1/0"] == (pytest.approx(1 * H + delay_s + 5 * M), "disruption",
                                       "spread from fire/1")
            assert [t for t, *_ in events(r, "link_down")] == [pytest.approx(1 * H + delay_s)]
        else:
            assert got["fire/1"] == (pytest.approx(1 * H + delay_s), "cascade_spared",
                                     "did not spread (probability 50%)")
            assert "fire/1/0" not in got and events(r, "link_down") == []
    assert outcomes == {True, False}  # both branches seen in these seeds


def test_a_cascade_draws_its_delay_and_its_duration_from_their_own_streams():
    # probability 100% (the default): it spreads; after = the first draw of its `after`
    # stream in [0, 1h], duration = the first draw of its `duration` stream in [1h, 2h]
    text = ("  - id: fire\n    at: 1h\n    targets: [{site: b}]\n    duration: 1h\n"
            "    cascade:\n      - after: {uniform: {low: 0s, high: 1h}}\n"
            "        targets: [{site: a}]\n        duration: {uniform: {low: 1h, high: 2h}}\n")
    for seed in (1, 2):
        r = run(text, seed=seed)
        start = 1 * H + stream(seed, "cascade:fire/0:after").uniform(0, 1 * H)
        end = start + stream(seed, "cascade:fire/0:duration").uniform(1 * H, 2 * H)
        got = [(t, k) for t, k, s, _ in events(r, "site_down", "site_up") if s == "a"]
        assert got == [(pytest.approx(start), "site_down"), (pytest.approx(end), "site_up")]


def test_data_and_access_targets_do_not_stop_the_targets_after_them():
    r = simulate(parse(BASE.replace("DISRUPTIONS",
                                    "  - {id: rm, at: 2h, targets: [{data: svc, site: a}, "
                                    "{access: a}, {link: a-b}], duration: 1h}")))
    # all three targets are struck at 2h: the data is corrupted (named after the fault),
    # the site closed to staff and the link down, both for the 1h duration
    assert events(r, "data_corrupted", "access_closed", "link_down", "link_up",
                  "access_open") == [
        (2 * H, "data_corrupted", "svc@a", "rm: unhealthy there until its data is restored"),
        (2 * H, "access_closed", "a", "rm"), (2 * H, "link_down", "a-b", ""),
        (3 * H, "access_open", "a", "rm"), (3 * H, "link_up", "a-b", "")]
