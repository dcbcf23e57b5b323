"""Monitoring checks as streaks (drsim/sim/detection.py, Streak): a streak of failing checks
is one scheduled event at its last check, and its breaks are found from the refreshes. The
rule it keeps: checks at multiples of the interval from t=0, each seeing the state after
every change of its instant; a streak breaks when a check finds the checked state passing.
Exact timelines derived by hand; times are minutes since the start (interval 5 min: checks
at 60, 65, 70, 75, ...)."""

from __future__ import annotations

from collections import Counter

import simpy
from conftest import parse

from drsim.sim.engine import Drill, simulate

M = 60.0

# svc runs at a and needs box and db there; b holds a hot standby (switchover 2 min) that
# takes over after its own health checks (the same interval and count as the alert's).
# a.aux, needed by nothing, is down 30m-210m: the incident stays open through every blip,
# so a streak can only be broken by a passing check, never by the incident's end.
SCENARIO = """
drsim: 1
name: streaks
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 4h}
sites:
  a: {components: {box: {count: 1}, db: {count: 1}, aux: {count: 1}}}
  b: {components: {box: {count: 1}, db: {count: 1}}}
links:
  a-b: {a: a, b: b, latency: 1ms}
services:
  svc: {requires: [box, db], active: [a] STANDBY}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
detection: {interval: 5m, failed_checks: K}
disruptions:
  - {id: aux, at: 30m, targets: [{component: a.aux}], duration: 3h}
"""
HOT = ", standby: {sites: [b], mode: hot, switchover: 2m}"


def run(*outages: tuple[str, float, float], k: int = 3, hot: str = HOT, aux: bool = True):
    """The drill with `outages` (component of a, from minute, to minute) added."""
    text = SCENARIO.replace(" STANDBY", hot).replace("failed_checks: K", f"failed_checks: {k}")
    if not aux:
        text = text.split("  - {id: aux")[0]
    text += "".join(f"  - {{id: o{i}, at: {t0}m, targets: [{{component: a.{c}}}], "
                    f"duration: {t1 - t0}m}}\n" for i, (c, t0, t1) in enumerate(outages))
    return simulate(parse(text))


def minutes(r, kind: str) -> list[float]:
    return [e.time_s / M for e in r.timeline if e.kind == kind]


def test_an_outage_alerts_and_takes_over_at_the_third_check():
    # box down 62-180: checks 65, 70, 75 fail → alert at 75; the standby's checks are the
    # same → switchover 75 → 77, b takes over
    r = run(("box", 62, 180))
    assert minutes(r, "detected") == [75] and minutes(r, "activated") == [77]


def test_a_blip_between_two_checks_does_not_break_the_streak():
    # box back 66-68, between the checks at 65 and 70: no check sees it, so 65, 70, 75 all
    # fail and the alert and takeover come at the same instants as without the blip
    r = run(("box", 62, 66), ("box", 68, 180))
    assert minutes(r, "detected") == [75] and minutes(r, "activated") == [77]
    assert minutes(r, "service_restored") == [66, 77]  # the blip did happen


def test_a_blip_spanning_a_check_restarts_the_streak_at_the_next_check():
    # box back 69-71: the check at 70 passes; lost again at 71, the streak starts over at
    # the next check: 75, 80, 85 → alert at 85, takeover 87 (not 75 / 77)
    r = run(("box", 62, 69), ("box", 71, 180))
    assert minutes(r, "detected") == [85] and minutes(r, "activated") == [87]


def test_a_restarted_streak_is_failing_from_its_start():
    # as above, restarted at 71 (checks 75, 80, 85); db lost too at 77 is one more refresh
    # with customers still out: no check passed since 71, so the alert stays at 85
    r = run(("box", 62, 69), ("box", 71, 180), ("db", 77, 180))
    assert minutes(r, "detected") == [85] and minutes(r, "activated") == [87]


def test_a_loss_exactly_at_a_check_is_seen_by_that_check():
    # box down at 65 sharp: the check at 65 sees the state after 65's changes: 65, 70, 75
    r = run(("box", 65, 180))
    assert minutes(r, "detected") == [75] and minutes(r, "activated") == [77]


def test_lost_again_exactly_at_a_check_keeps_the_streak():
    # box back at 66, lost again at 70 sharp: the check at 70 sees the state after 70's
    # changes (down), so no check passed: 65, 70, 75 → alert 75, takeover 77
    r = run(("box", 62, 66), ("box", 70, 180))
    assert minutes(r, "detected") == [75] and minutes(r, "activated") == [77]


def test_a_recovery_exactly_at_a_check_is_seen_by_that_check():
    # box back at 70 sharp: the check at 70 passes; lost again at 72 → 75, 80, 85
    r = run(("box", 62, 70), ("box", 72, 180))
    assert minutes(r, "detected") == [85] and minutes(r, "activated") == [87]


def test_a_recovery_and_a_loss_at_the_same_instant_keep_the_streak():
    # box back at 70 and db down at 70: one refresh, svc never up at a, so the check at 70
    # fails: 65, 70, 75 → alert 75, takeover 77. With db lost one minute later the check at
    # 70 passes and the streak restarts: 75, 80, 85
    r = run(("box", 62, 70), ("db", 70, 180))
    assert minutes(r, "detected") == [75] and minutes(r, "activated") == [77]
    r = run(("box", 62, 70), ("db", 71, 180))
    assert minutes(r, "detected") == [85] and minutes(r, "activated") == [87]


def test_one_check_is_a_streak_too():
    # k=1: the first check after the loss alerts; an outage between two checks is never seen
    r = run(("box", 62, 180), k=1)
    assert minutes(r, "detected") == [65] and minutes(r, "activated") == [67]
    r = run(("box", 66, 68), k=1)
    assert minutes(r, "detected") == [] and minutes(r, "activated") == []
    # lost at 65 sharp for one minute: the check at 65 alerts; the switchover ends at 67,
    # after box came back (66): the takeover is called off
    r = run(("box", 65, 66), k=1)
    assert minutes(r, "detected") == [65] and minutes(r, "activated") == []


def test_alerts_inside_one_incident_count_their_own_streaks():
    # no hot standby. box down 62-77: alert 1 at 75. Served again at 77: the next streak's
    # checks start at 80 (the first after 77), and box is down again from 79: 80, 85, 90 →
    # alert 2 at 90. Served again at 92: checks from 95; box down 94-99 (95 fails), back
    # 99-101 (the check at 100 passes), down from 101: 105, 110, 115 → alert 3 at 115
    r = run(("box", 62, 77), ("box", 79, 92), ("box", 94, 99), ("box", 101, 180), hot="")
    assert minutes(r, "detected") == [75, 90, 115]
    assert [e.detail for e in r.timeline if e.kind == "detected"] == [
        "alert after 3 failed checks"] + [
        f"alert after 3 failed checks (alert {n}: customers lost service again after it was "
        "restored)" for n in (2, 3)]
    assert len(r.incidents) == 1 and r.incidents[0].detected_s == 75 * M


def test_the_incident_end_ends_its_checks():
    # no aux: box down 62-72 ends incident 1 at 72 (checks 65, 70 failed); box down again at
    # 73 opens incident 2, whose own checks are 75, 80, 85. Incident 1's streak saw no
    # passing check (72-73 holds none), so only its end keeps it from alerting at 75.
    r = run(("box", 62, 72), ("box", 73, 180), hot="", aux=False)
    assert [(i.number, i.start_s / M, i.detected_s) for i in r.incidents] == [
        (1, 62, None), (2, 73, 85 * M)]
    assert minutes(r, "detected") == [85]


def test_alert_and_takeover_at_one_instant_keep_their_order():
    # switchover 0: the alert's checks began at the incident's start, before the hot
    # standby's (started after the same refresh), so at 75 the alert, its page (nobody to
    # page: acknowledged) and the declaration (no delay) come before the takeover
    r = run(("box", 62, 180), hot=HOT.replace("2m", "0s"))
    at_75 = [e.kind for e in r.timeline if e.time_s == 75 * M]
    assert at_75 == ["detected", "acknowledged", "declared", "activated", "service_up",
                     "data_loss", "service_restored"]


def test_the_check_lands_where_a_timeout_from_the_loss_lands():
    # checks were timeouts chained from the loss: the first check after a loss at s is at
    # s + (g - s), g the grid time; with interval 7.3s and s = 3.280613209700037s that is
    # 7.300000000000001, not 7.3 (the grid float), and the streak's one event keeps it
    text = (SCENARIO.replace(" STANDBY", "").replace("5m, failed_checks: K", "7.3s, "
                                                     "failed_checks: 1")
            + "  - {id: o, at: 3.280613209700037s, targets: [{component: a.box}], "
              "duration: 1h}\n")
    r = simulate(parse(text))
    s = r.incidents[0].start_s
    assert s == 3.280613209700037 and s + (7.3 - s) == 7.300000000000001
    assert r.incidents[0].detected_s == 7.300000000000001


TINY = """
drsim: 1
name: tiny
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 2h}
sites:
  a: {}
services:
  svc: {active: [a]}
customers:
  users: {count: 1, access: a, home: a, services: [svc]}
detection: {interval: 5m, failed_checks: 3}
disruptions:
  - {id: d, at: 62m, targets: [{site: a}], duration: 30m}
"""


def scheduled(text: str) -> Counter[str]:
    """Every event simpy schedules in one run of `text`, by type."""
    drill = Drill(parse(text))
    counts: Counter[str] = Counter()
    schedule = drill.env.schedule

    def counting(event, priority=simpy.core.NORMAL, delay=0):
        counts[type(event).__name__] += 1
        schedule(event, priority, delay)

    drill.env.schedule = counting  # type: ignore[method-assign]
    drill.run()
    return counts


def test_a_streak_of_failing_checks_is_one_scheduled_event():
    # site a down 62m-92m; checks every 5m, alert after 3. Every event scheduled:
    #  - run(until=2h): the until event, and simpy scheduling it again as the run stops: 2
    #  - the disruption: its process (Initialize, Timeout to 62m, end: a Process event) and
    #    the outage it starts (Initialize, the 30m Timeout, end): 6
    #  - the refreshes at 62m and 92m, one Timeout(0) each (the first, at 0, runs unscheduled
    #    in start()): 2
    #  - the alert's checks at 65, 70, 75: ONE _Late, at 75m: 1
    #  - the alert: its process (Initialize, end): 2 (the watch for service back runs at the
    #    refreshes: nothing scheduled; a's return at 92m ends the incident: no new streak)
    #  - page and declare: Initialize, the acknowledgement and declaration delays (0s, still
    #    Timeouts), end: 4
    # 2 + 6 + 2 + 1 + 2 + 4 = 17 (it was 21: a _Late per check, 3, and a 4th at 95m, the
    # watch for a 2nd alert looking once more before it saw the incident had ended, and the
    # world's change event at 92m waking the watch)
    counts = scheduled(TINY)
    assert counts == {"Initialize": 4, "Timeout": 6, "Process": 4, "_Late": 1, "Event": 2}
    # a back 69m-71m, so the check at 70m passes: the streak starts over at 71m (checks 75,
    # 80, 85: alert at 85m) and the first streak's event at 75m fires stale, doing nothing.
    # The second outage adds its disruption's and outage's processes (6) and two refreshes
    # (69m, 71m): 17 + 6 + 2 + 1 (_Late) = 26
    blip = TINY.replace("duration: 30m", "duration: 7m}\n  - {id: e, at: 71m, "
                                         "targets: [{site: a}], duration: 21m")
    counts = scheduled(blip)
    assert counts["_Late"] == 2 and sum(counts.values()) == 26
    assert [e.time_s / M for e in Drill(parse(blip)).run().timeline
            if e.kind == "detected"] == [85]
