"""Detection: consecutive checks (a passing check resets the count), alerts again inside one
incident, declaration and standing down, degraded detection, hot-standby takeover. Exact
timelines computed by hand; times are seconds since the start."""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

# a.aux is required by nothing: while it is down (1h-11h) the incident stays open, so the
# losses of service at site a below are alerts inside one incident.
FLAP = """
drsim: 1
name: flap
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h}
sites:
  a: {components: {aux: {count: 1}}}
services:
  svc: {active: [a]}
  mon: {active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
detection: {interval: 5m, failed_checks: 3, declare_delay: 10m DET}
disruptions:
  - {id: aux, at: 59m, targets: [{component: a.aux}], duration: 10h}
  - {id: d1, at: 1h2m, targets: [{site: a}], duration: 6m}
  - {id: d2, at: 1h21m, targets: [{site: a}], duration: 1h}
  - {id: d3, at: 3h, targets: [{site: a}], duration: 30m}
  - {id: d4, at: 5h, targets: [{site: a}], duration: 12m}
"""


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def test_a_passing_check_resets_the_count_and_later_losses_alert_again():
    r = simulate(parse(FLAP.replace(" DET", "")))
    inc = r.incidents[0]
    assert len(r.incidents) == 1 and inc.start_s == 1 * H + 2 * M
    # d1 1h02-1h08: checks at 1h05 (fails, 1), 1h10 (passes: count back to 0).
    # d2 from 1h21: next check time at or after 1h21 is 1h25: 1h25, 1h30, 1h35 → alert 1h35.
    # d3 3h-3h30: 3h, 3h05, 3h10 → alert 2 at 3h10. d4 5h-5h12: 5h, 5h05, 5h10 → alert 3.
    alert = "alert after 3 failed checks"
    again = " (alert {}: customers lost service again after it was restored)"
    assert events(r, "detected") == [
        (1 * H + 35 * M, "detected", "incident 1", alert),
        (3 * H + 10 * M, "detected", "incident 1", alert + again.format(2)),
        (5 * H + 10 * M, "detected", "incident 1", alert + again.format(3))]
    assert inc.detected_s == 1 * H + 35 * M and inc.acknowledged_s == 1 * H + 35 * M
    # nobody paged: acknowledged at the alert; declared 10m later while a is still down
    # (1h45, 3h20); at 5h20 service has been back since 5h12: stood down
    assert events(r, "acknowledged") == [(1 * H + 35 * M, "acknowledged", "incident 1", "")]
    assert events(r, "not_paged") == [
        (3 * H + 10 * M, "not_paged", "incident 1",
         "alert 2: responders already engaged (acknowledged at 1.58 h)"),
        (5 * H + 10 * M, "not_paged", "incident 1",
         "alert 3: responders already engaged (acknowledged at 1.58 h)")]
    assert events(r, "declared", "stood_down") == [
        (1 * H + 45 * M, "declared", "incident 1", "disaster declared"),
        (3 * H + 20 * M, "declared", "incident 1", "disaster declared again (alert 2)"),
        (5 * H + 20 * M, "stood_down", "incident 1",
         "service back before a disaster was declared")]
    assert inc.declared_s == 1 * H + 45 * M
    assert r.metrics.ttd_s == 33 * M  # 1h02 → 1h35


def test_degraded_detection_delays_each_alert_while_monitoring_is_down():
    r = simulate(parse(FLAP.replace(" DET", ", requires: [mon], degraded_delay: 7m")))
    # mon runs only at a, so it is down whenever the alert is due: each alert 7m later:
    # 1h42, 3h17 (a down until 3h30), and 5h17 (a back at 5h12, but the delay was drawn at
    # 5h10 while mon was down)
    why = "mon down everywhere: monitoring and paging impaired; word goes out by other means " \
          "in 7 min"
    assert events(r, "detection_degraded") == [
        (1 * H + 35 * M, "detection_degraded", "mon", why),
        (3 * H + 10 * M, "detection_degraded", "mon", why),
        (5 * H + 10 * M, "detection_degraded", "mon", why)]
    assert [t for t, *_ in events(r, "detected")] == [1 * H + 42 * M, 3 * H + 17 * M,
                                                      5 * H + 17 * M]
    # declared 10m after each alert: 1h52 (a down), 3h27 (a down until 3h30), 5h27 stood down
    assert [(t, k) for t, k, *_ in events(r, "declared", "stood_down")] == [
        (1 * H + 52 * M, "declared"), (3 * H + 27 * M, "declared"),
        (5 * H + 27 * M, "stood_down")]


def test_an_outage_over_before_the_alert_is_never_detected():
    # d1 alone (1h02-1h08) with aux fine: the incident ends at 1h08, before the 3rd check
    sc = parse(FLAP.replace(" DET", "").split("  - {id: aux")[0]
               + "  - {id: d1, at: 1h2m, targets: [{site: a}], duration: 6m}\n")
    r = simulate(sc)
    assert r.incidents[0].detected_s is None and events(r, "detected") == []
    assert r.incidents[0].end_s == 1 * H + 8 * M


def test_an_incident_ending_during_the_degraded_delay_is_not_detected():
    # d1 alone but 2 checks: due at 1h10 (checks 1h05, 1h10)... a is back at 1h08, so use a
    # 1-check rule: alert due 1h05 while mon is down, the 7m delay runs to 1h12, and the
    # incident ended at 1h08: no alert, no page, nothing declared
    sc = parse(FLAP.replace("failed_checks: 3", "failed_checks: 1")
               .replace(" DET", ", requires: [mon], degraded_delay: 7m")
               .split("  - {id: aux")[0]
               + "  - {id: d1, at: 1h2m, targets: [{site: a}], duration: 6m}\n")
    r = simulate(sc)
    assert [t for t, *_ in events(r, "detection_degraded")] == [1 * H + 5 * M]
    assert events(r, "detected", "declared") == []


HOT = """
drsim: 1
name: hot
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 12h, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 2h}}}
  b: {components: {box: {count: 1}}}
links:
  a-b: {a: a, b: b, latency: 1ms}
services:
  svc: {requires: [box], active: [a], standby: {sites: [b], mode: hot STANDBY}}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
detection: {interval: 1m, failed_checks: 2}
runbooks:
  manual:
    trigger: auto_failover_failed
    steps:
      - {id: go, duration: 20m, effects: [{activate: {service: svc, site: b}}]}
disruptions:
  - {id: f, at: 1h, targets: [{component: a.box}], until: repaired}
"""


def test_hot_standby_takes_over_at_the_alert_and_stands_by_again_after_repair():
    r = simulate(parse(HOT.replace(" STANDBY", "")))
    # fault 1h: checks 1h, 1h01 → alert 1h01, b takes over at once; a repaired at 3h: the
    # incident ends and b goes back to standing by
    assert events(r, "activated", "deactivated") == [
        (1 * H + 1 * M, "activated", "svc", "hot standby at b"),
        (3 * H, "deactivated", "svc", "hot standby at b back to standby")]
    assert r.metrics.groups["users"].downtime_s == 1 * M
    assert r.incidents[0].end_s == 3 * H


def test_hot_standby_switchover_that_fails_starts_the_manual_runbook():
    r = simulate(parse(HOT.replace(" STANDBY", ", switchover: 4m, success: 0%")))
    # alert 1h01; the takeover fails at 1h05; the manual runbook activates b at 1h25
    assert events(r, "auto_failover_failed") == [
        (1 * H + 5 * M, "auto_failover_failed", "svc",
         "automatic takeover by the hot standby at b failed (succeeds 0%)")]
    assert [(s.step, s.start_s, s.end_s) for s in r.steps] == [
        ("go", 1 * H + 5 * M, 1 * H + 25 * M)]
    assert r.metrics.groups["users"].downtime_s == 25 * M


def test_hot_standby_switchover_that_works_takes_its_time():
    r = simulate(parse(HOT.replace(" STANDBY", ", switchover: 4m, success: 100%")))
    assert events(r, "activated")[0] == (1 * H + 5 * M, "activated", "svc", "hot standby at b")
    assert r.metrics.groups["users"].downtime_s == 5 * M
    assert r.steps == ()


def test_a_takeover_still_under_way_when_the_incident_ends_is_dropped():
    # repaired at 1h02 (ttr 2m), while the 4m switchover (from the 1h01 alert) runs: dropped
    r = simulate(parse(HOT.replace(" STANDBY", ", switchover: 4m, success: 100%")
                       .replace("ttr: 2h", "ttr: 2m")))
    assert events(r, "activated", "auto_failover_failed") == []
    assert r.incidents[0].end_s == 1 * H + 2 * M


def test_a_hot_takeover_without_switchover_that_fails_is_decided_at_the_alert():
    r = simulate(parse(HOT.replace(" STANDBY", ", success: 0%")))
    # no switchover time: the takeover fails in the instant of the 1h01 alert
    assert [(t, k) for t, k, *_ in events(r, "auto_failover_failed")] == [
        (1 * H + 1 * M, "auto_failover_failed")]
    assert r.steps[0].start_s == 1 * H + 1 * M


def test_a_drawn_switchover_comes_from_the_standby_switchover_stream():
    import numpy as np

    from drsim.sim.streams import stable_key
    for seed in (1, 2, 3):
        sc = parse(HOT.replace(" STANDBY", ", switchover: {uniform: {low: 1m, high: 9m}}")
                   .replace("seed: 1", f"seed: {seed}"))
        g = np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(0, stable_key("standby:svc:switchover"))))
        r = simulate(sc)
        assert events(r, "activated")[0][0] == pytest.approx(1 * H + 1 * M + g.uniform(60, 540))


def test_a_hot_standby_at_two_sites_names_both():
    text = (HOT.replace(" STANDBY", "").replace("sites: [b]", "sites: [b, c]")
            .replace("links:\n", "  c: {components: {box: {count: 1}}}\nlinks:\n  a-c: {a: a, "
                     "b: c, latency: 1ms}\n"))
    r = simulate(parse(text))
    assert events(r, "activated") == [(1 * H + 1 * M, "activated", "svc", "hot standby at b, c")]


def standby_stream(seed, purpose):
    import numpy as np

    from drsim.sim.streams import stable_key
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, stable_key(
        f"standby:svc:{purpose}"))))


def test_each_incident_takes_over_again_with_the_next_draws_of_the_standby_stream():
    # two faults, two incidents (repaired 1h-3h and 5h-7h); a certain takeover draws only
    # its switchover time: the second incident's takeover uses the stream's second draw
    text = (HOT.replace(" STANDBY", ", switchover: {uniform: {low: 1m, high: 9m}}")
            + "  - {id: f2, at: 5h, targets: [{component: a.box}], until: repaired}\n")
    for seed in (1, 2):
        r = simulate(parse(text.replace("seed: 1", f"seed: {seed}")))
        g = standby_stream(seed, "switchover")
        first, second = g.uniform(60, 540), g.uniform(60, 540)
        assert [t for t, *_ in events(r, "activated")] == [
            pytest.approx(1 * H + 1 * M + first), pytest.approx(5 * H + 1 * M + second)]


def test_an_uncertain_takeover_draws_its_outcome_after_its_switchover_time():
    seen = set()
    for seed in range(8):
        r = simulate(parse(HOT.replace(" STANDBY", ", switchover: 4m, success: 50%")
                           .replace("seed: 1", f"seed: {seed}")))
        works = bool(standby_stream(seed, "works").random() < 0.5)  # its own stream
        seen.add(works)
        kinds = [k for _, k, *_ in events(r, "activated", "auto_failover_failed")]
        assert kinds[0] == ("activated" if works else "auto_failover_failed")
    assert seen == {True, False}


def test_a_failed_takeover_names_every_standby_site():
    text = (HOT.replace(" STANDBY", ", success: 0%").replace("sites: [b]", "sites: [b, c]")
            .replace("links:\n", "  c: {components: {box: {count: 1}}}\nlinks:\n  a-c: {a: a, "
                     "b: c, latency: 1ms}\n"))
    r = simulate(parse(text))
    assert events(r, "auto_failover_failed") == [
        (1 * H + 1 * M, "auto_failover_failed", "svc",
         "automatic takeover by the hot standby at b, c failed (succeeds 0%)")]


def test_an_alert_while_the_first_response_is_under_way_is_folded_into_it():
    text = (FLAP.replace("failed_checks: 3", "failed_checks: 1")
            .replace("declare_delay: 10m DET", "declare_delay: 30m")
            .split("  - {id: d1")[0]
            + "  - {id: d1, at: 1h, targets: [{site: a}], duration: 2m}\n"
              "  - {id: d2, at: 1h5m, targets: [{site: a}], duration: 1h}\n")
    r = simulate(parse(text))
    # alert 1 at the 1h check; service back 1h02 (aux keeps the incident open), lost again
    # 1h05: alert 2 at the 1h05 check while alert 1's 30m decision runs: no second response;
    # alert 1's declares at 1h30 (a still down)
    assert [t for t, *_ in events(r, "detected")] == [1 * H, 1 * H + 5 * M]
    assert events(r, "response_under_way", "not_paged", "declared") == [
        (1 * H + 5 * M, "response_under_way", "incident 1",
         "alert 2: the response to the earlier alert is still under way; it declares if "
         "customers are still down"),
        (1.5 * H, "declared", "incident 1", "disaster declared")]


def test_an_instant_certain_takeover_happens_at_the_instant_of_its_own_checks_alert():
    # the standby's own checks (1h, 1h01) alert with monitoring's: one instant, the
    # incident's alert first (its checks were scheduled first), its runbook started, then
    # the takeover; the service is back at that instant's refresh
    text = HOT.replace(" STANDBY", "").replace(
        "runbooks:\n", "runbooks:\n  note:\n    trigger: detected\n    steps: [{id: n, "
        "duration: 1m}]\n")
    r = simulate(parse(text))
    at_alert = [k for t, k, *_ in events(r, "detected", "activated", "runbook_start")
                if t == 1 * H + 1 * M]
    assert at_alert == ["detected", "runbook_start", "activated"]
    assert r.metrics.groups["users"].downtime_s == 1 * M
