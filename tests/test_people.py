"""People and detection: escalation, follow-the-sun rotas, several paged roles, detection
that depends on infrastructure, automatic takeovers that can fail, and alerts for every loss
of service inside one incident. Timelines are computed by hand (arithmetic in comments);
times are seconds since the scenario start.
"""

from __future__ import annotations

import math
import statistics

import pytest
from conftest import ROOT, parse

from drsim import load
from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

# One site a with one box, a cold standby b, checks every minute, alert on the 1st failure.
BASE = """
drsim: 1
name: people
simulation: {{start: "{start}", timezone: UTC, horizon: {horizon}, seed: {seed}}}
sites:
  a: {{components: {{box: {{count: 1, ttr: {ttr}}}}}}}
  b: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
  c: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
links:
  a-b: {{a: a, b: b}}
  a-c: {{a: a, b: c}}
services:
{services}
customers:
  users: {{count: 100, access: a, home: a, services: [svc]}}
staff:
{staff}
detection:
{detection}
runbooks:
{runbooks}
disruptions:
{disruptions}
"""

SVC = "  svc: {requires: [box], active: [a], standby: {sites: [b, c], mode: cold}}"
NO_RUNBOOKS = "  {}"
FAULT_AT_1H = "  - {id: fault, at: 1h30s, targets: [{component: a.box}], until: repaired}"


def scenario(**kw: str):
    values = dict(start="2026-03-10T09:00", horizon="2d", seed="1", ttr="3h", services=SVC,
                  staff="  on_call: {count: 1}", runbooks=NO_RUNBOOKS,
                  detection="  {interval: 1m, failed_checks: 1, page: on_call}",
                  disruptions=FAULT_AT_1H)
    values.update(kw)
    text = BASE.format(**values).replace("runbooks:\n  {}", "runbooks: {}")
    return parse(text)


def events(result, kind: str) -> list[tuple[float, str, str]]:
    return [(e.time_s, e.subject, e.detail) for e in result.timeline if e.kind == kind]


def times(result, kind: str) -> list[float]:
    return [e.time_s for e in result.timeline if e.kind == kind]


# ---- escalation ----------------------------------------------------------------------------

ESCALATION_STAFF = """  on_call: {count: 1}
  secondary: {count: 1, shift: {days: all, hours: "%s"}, callout: 20m}
  manager: {count: 1}"""


def escalation(answers1: str, ack: str = "2m") -> str:
    return f"""  interval: 1m
  failed_checks: 1
  ack_delay: {ack}
  declare_delay: 6m
  escalation:
    - {{role: on_call, timeout: 15m, answers: {answers1}}}
    - {{role: secondary, timeout: 15m}}
    - {{role: manager}}"""


def test_escalation_pages_level_two_after_the_timeout():
    r = simulate(scenario(staff=ESCALATION_STAFF % "08:00-20:00", detection=escalation("0%")))
    inc = r.incidents[0]
    # fault 10:00:30; the next check (every minute) at 1h1m fails → alert at 1h1m
    assert inc.detected_s == 1 * H + 1 * M
    assert [(t, s) for t, s, _ in events(r, "paged")] == [
        (1 * H + 1 * M, "on_call#1"), (1 * H + 16 * M, "secondary#1")]
    assert events(r, "page_unanswered")[0][:2] == (1 * H + 1 * M, "on_call#1")
    # on_call never answers (0%); 15 min after its page (1h16m) level 2 is paged
    t, subject, why = events(r, "escalated")[0]
    assert (t, subject) == (1 * H + 16 * M, "level 2") and "within 15 min" in why
    # secondary is on shift: ack = 1h16m + 2m ack delay = 1h18m; declared 6m later
    assert inc.acknowledged_s == 1 * H + 18 * M
    assert events(r, "acknowledged")[0][2] == "by secondary#1"
    assert inc.declared_s == 1 * H + 24 * M
    assert r.metrics.tta_s == 17 * M + 30  # 10:00:30 → 10:18


def test_escalation_ack_comes_from_whoever_answers_first():
    # secondary off shift (on 00:00-06:00): paged at 1h16m, answers after 2m + 20m call-out
    # = 1h38m. Level 2's own timeout runs out first: the manager is paged at 1h16m + 15m =
    # 1h31m and, on shift, answers at 1h31m + 2m = 1h33m, before the secondary.
    r = simulate(scenario(staff=ESCALATION_STAFF % "00:00-06:00", detection=escalation("0%")))
    inc = r.incidents[0]
    assert [(t, s) for t, s, _ in events(r, "paged")] == [
        (1 * H + 1 * M, "on_call#1"), (1 * H + 16 * M, "secondary#1"),
        (1 * H + 31 * M, "manager#1")]
    assert events(r, "callout")[0][:2] == (1 * H + 16 * M, "secondary#1")
    assert inc.acknowledged_s == 1 * H + 33 * M
    assert events(r, "acknowledged")[0][2] == "by manager#1"


def test_a_slow_first_level_still_acknowledges_if_it_answers_first():
    # ack delay 20m, everyone answers: on_call paged at 1h1m answers at 1h21m; the secondary
    # paged at the timeout (1h16m) would answer at 1h36m: the ack is on_call's, at 1h21m.
    r = simulate(scenario(staff=ESCALATION_STAFF % "08:00-20:00",
                          detection=escalation("100%", ack="20m")))
    assert r.incidents[0].acknowledged_s == 1 * H + 21 * M
    assert events(r, "acknowledged")[0][2] == "by on_call#1"
    assert times(r, "escalated") == [1 * H + 16 * M]


def test_several_paged_roles_first_answer_counts():
    # on_call is off shift (00:00-06:00, call-out 30m), dba on shift; both paged at the alert
    # (1h1m): on_call would answer at 1h1m + 4m + 30m, dba at 1h1m + 4m = 1h5m → dba's ack.
    staff = """  on_call: {count: 1, shift: {days: all, hours: "00:00-06:00"}, callout: 30m}
  dba: {count: 1}"""
    det = "  {interval: 1m, failed_checks: 1, page: [on_call, dba], ack_delay: 4m}"
    r = simulate(scenario(staff=staff, detection=det))
    assert [(t, s) for t, s, _ in events(r, "paged")] == [
        (1 * H + 1 * M, "on_call#1"), (1 * H + 1 * M, "dba#1")]
    assert r.incidents[0].acknowledged_s == 1 * H + 5 * M
    assert events(r, "acknowledged")[0][2] == "by dba#1"
    # a single role keeps today's meaning: on_call alone answers at 1h1m + 4m + 30m = 1h35m
    r1 = simulate(scenario(staff=staff, detection=det.replace("[on_call, dba]", "on_call")))
    assert r1.incidents[0].acknowledged_s == 1 * H + 35 * M


def test_escalation_ack_time_is_geometric_in_the_timeout():
    # Every page is answered with p = 40%, at once (no ack delay); three levels of timeout
    # T = 10m, repeating. The ack comes at the k-th page, k ~ Geometric(p): ack − alert =
    # (k − 1)·T, mean T(1 − p)/p = 15 min; P(ack at level 1) = p.
    det = """  interval: 1m
  failed_checks: 1
  answers: 40%
  escalation:
    - {role: on_call, timeout: 10m}
    - {role: secondary, timeout: 10m}
    - {role: manager, timeout: 10m}"""
    staff = "  on_call: {count: 1}\n  secondary: {count: 1}\n  manager: {count: 1}"
    sc = scenario(staff=staff, detection=det, ttr="2d", horizon="3d")
    waits = []
    for seed in range(600):
        inc = simulate(sc, seed=seed).incidents[0]
        waits.append(inc.acknowledged_s - inc.detected_s)
    p, t_s = 0.4, 10 * M
    assert all(w % t_s == 0 for w in waits)  # only ever at a page
    mean, sd = statistics.fmean(waits), statistics.stdev(waits)
    assert abs(mean - t_s * (1 - p) / p) < 2.576 * sd / math.sqrt(len(waits))
    first = sum(w == 0 for w in waits) / len(waits)
    assert abs(first - p) < 2.576 * math.sqrt(p * (1 - p) / len(waits))


# ---- follow the sun --------------------------------------------------------------------------

SUN_STAFF = """  sre:
    rotations:
      - {count: 1, shift: {days: all, hours: "09:00-17:00", timezone: Europe/Dublin}, callout: 2h}
      - {count: 1, shift: {days: all, hours: "09:00-17:00", timezone: America/Los_Angeles},
         callout: 2h}"""
D = 24 * H


@pytest.mark.parametrize("fault, who, ack_s", [
    # Fri 6 March 2026, before US DST: Dublin 09-17 GMT = 09-17 UTC; LA 09-17 PST = 17-01 UTC
    (16 * H + 30 * M, "sre#1", 16 * H + 31 * M),  # Dublin on shift
    (16 * H + 58 * M, "sre#1", 16 * H + 59 * M),  # 16:59: still Dublin
    (17 * H, "sre#2", 17 * H + 1 * M),  # 17:01 UTC: after the 17:00 hand-off, LA
    (D + 30 * M, "sre#2", D + 31 * M),  # Sat 00:31 UTC = Fri 16:31 PST: LA on
    # Tue 10 March: US on PDT, Ireland still on GMT: LA 09-17 PDT = 16:00-00:00 UTC
    (4 * D + 16 * H + 30 * M, "sre#1", 4 * D + 16 * H + 31 * M),  # both on: first rota
    # Wed 11 March 00:31 UTC = Tue 17:31 PDT: both off → sre#1 called out, arrives after
    # min(2h call-out, next Dublin shift at 09:00 − 00:31) = 2h → ack 02:31
    (5 * D + 30 * M, "sre#1", 5 * D + 2 * H + 31 * M),
])
def test_follow_the_sun_pages_whoever_is_on_shift_across_dst(fault, who, ack_s):
    at = f"{fault / M:.0f}m30s"  # 30 s after `fault`: alert at the next check
    r = simulate(scenario(start="2026-03-06T00:00", horizon="8d", staff=SUN_STAFF,
                          detection="  {interval: 1m, failed_checks: 1, page: sre}",
                          disruptions=FAULT_AT_1H.replace("1h30s", at)))
    # checks every minute from 00:00: the alert comes 1 min after the fault
    assert [(t, s) for t, s, _ in events(r, "paged")] == [(fault + M, who)]
    assert r.incidents[0].acknowledged_s == ack_s


def test_follow_the_sun_runbook_step_takes_the_on_shift_rota():
    # Fault 17:29:30 UTC on 6 March, alert 17:30: Dublin's sre#1 went off at 17:00 GMT, LA's
    # sre#2 is on (17:00-01:00 UTC) → the step starts at once with sre#2, no call-out.
    runbooks = """  failover:
    trigger: detected
    steps:
      - id: switch
        duration: 10m
        roles: [sre]
        effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]"""
    r = simulate(scenario(start="2026-03-06T00:00", horizon="3d", staff=SUN_STAFF,
                          detection="  {interval: 1m, failed_checks: 1}", runbooks=runbooks,
                          disruptions=FAULT_AT_1H.replace("1h30s", "17h29m30s")))
    step = r.steps[0]
    assert (step.start_s, step.end_s, step.who) == (17 * H + 30 * M, 17 * H + 40 * M,
                                                    ("sre#2",))
    assert events(r, "callout") == []


# ---- detection that depends on infrastructure ----------------------------------------------

PAGING_SVC = SVC + "\n  paging: {active: [%s]}"


@pytest.mark.parametrize("host, detected_s", [
    ("a", 1 * H + 1 * M + 25 * M),  # alert due 1h1m; paging (at a) is down → +25m = 1h26m
    ("b", 1 * H + 1 * M),  # paging hosted elsewhere: the alert is on time
])
def test_alert_waits_while_paging_is_down_everywhere(host, detected_s):
    det = ("  {interval: 1m, failed_checks: 1, page: on_call, requires: [paging], "
           "degraded_delay: 25m}")
    r = simulate(scenario(services=PAGING_SVC % host, detection=det,
                          disruptions="  - {id: fault, at: 1h30s, targets: [{site: a}], "
                                      "duration: 3h}"))
    inc = r.incidents[0]
    assert inc.detected_s == detected_s
    assert inc.acknowledged_s == detected_s  # ack delay 0, on shift
    degraded = events(r, "detection_degraded")
    if host == "a":
        assert [(t, s) for t, s, _ in degraded] == [(1 * H + 1 * M, "paging")]
        assert "down everywhere" in degraded[0][2] and "25 min" in degraded[0][2]
    else:
        assert degraded == []


def test_escalation_pages_wait_too_while_paging_is_down():
    det = escalation("0%").replace("  declare_delay: 6m\n", "  declare_delay: 6m\n"
                                   "  requires: [paging]\n  degraded_delay: 25m\n")
    r = simulate(scenario(services=PAGING_SVC % "a", detection=det,
                          staff=ESCALATION_STAFF % "08:00-20:00",
                          disruptions="  - {id: fault, at: 1h30s, targets: [{site: a}], "
                                      "duration: 3h}"))
    # alert due 1h1m, paging down → out at 1h26m, on_call paged (never answers); level 1
    # times out at 1h41m, paging still down → secondary paged 25m later, at 2h6m; answers
    # after the 2m ack delay → 2h8m
    assert times(r, "detection_degraded") == [1 * H + 1 * M, 1 * H + 41 * M]
    assert [(t, s) for t, s, _ in events(r, "paged")] == [
        (1 * H + 26 * M, "on_call#1"), (2 * H + 6 * M, "secondary#1")]
    assert r.incidents[0].acknowledged_s == 2 * H + 8 * M


# ---- automatic takeover that can fail ------------------------------------------------------

HOT = "  svc: {requires: [box], active: [a], standby: {sites: [b], mode: hot, %s}}"
MANUAL = """  manual:
    trigger: auto_failover_failed
    steps:
      - id: switch
        duration: 10m
        effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]"""


def test_hot_standby_switchover_takes_its_time():
    r = simulate(scenario(services=HOT % "switchover: 30s, success: 100%", runbooks=MANUAL))
    # fault 1h0m30s, alert 1h1m; takeover 30 s later: service back at 1h1m30s; the manual
    # runbook never runs
    assert events(r, "activated") == [(1 * H + 1 * M + 30, "svc", "hot standby at b")]
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H + 30, 1 * H + 1 * M + 30)]
    assert r.steps == ()


def test_failed_takeover_starts_auto_failover_failed_runbooks():
    r = simulate(scenario(services=HOT % "switchover: 30s, success: 0%", runbooks=MANUAL))
    # alert 1h1m; the takeover fails at 1h1m30s; 'manual' runs 1h1m30s → 1h11m30s
    t, subject, why = events(r, "auto_failover_failed")[0]
    assert (t, subject) == (1 * H + 1 * M + 30, "svc") and "failed" in why
    assert (r.steps[0].start_s, r.steps[0].end_s) == (1 * H + 1 * M + 30, 1 * H + 11 * M + 30)
    assert [(o.start_s, o.end_s) for o in r.outages] == [(1 * H + 30, 1 * H + 11 * M + 30)]


def test_takeover_success_rate_matches_its_probability():
    sc = scenario(services=HOT % "switchover: 30s, success: 70%", runbooks=MANUAL)
    n = 400
    failed = sum(bool(events(simulate(sc, seed=s), "auto_failover_failed")) for s in range(n))
    assert abs(failed / n - 0.3) < 2.576 * math.sqrt(0.3 * 0.7 / n)


# ---- alerts for every loss of service inside one incident (engine defect) -------------------

REPRO_DETECTION = ("  {interval: 5m, failed_checks: 2, page: on_call, ack_delay: 4m, "
                   "declare_delay: 6m}")
# Plan A fails over to b; plan B prepares c in parallel and is called off if A worked.
REPRO_RUNBOOKS = """  to-b:
    trigger: declared
    steps:
      - id: switch
        duration: 15m
        effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]
  to-c:
    trigger: declared
    cancel_if_recovered: true
    steps:
      - {id: prepare, duration: 30m}
      - id: switch
        after: [prepare]
        duration: 15m
        effects: [{activate: {service: svc, site: c}}, {move: {groups: all, to: c}}]"""
REPRO_FAULTS = """  - {id: primary, at: 1h2m, targets: [{component: a.box}], until: repaired}
  - {id: standby, at: 3h1m, targets: [{component: b.box}], duration: 20h}"""


def test_a_second_loss_inside_the_incident_is_detected_and_handled():
    r = simulate(scenario(ttr="10h", detection=REPRO_DETECTION, runbooks=REPRO_RUNBOOKS,
                          disruptions=REPRO_FAULTS))
    assert len(r.incidents) == 1
    # a fails 1h2m. Checks every 5m: 1h5m, 1h10m fail → alert 1h10m; ack 1h14m; declared
    # 1h20m. to-b switch 1h20m-1h35m: service at b at 1h35m (outage 1: 33 min). to-c's
    # prepare runs 1h20m-1h50m; its switch is called off at 1h50m (service is back).
    # b fails at 3h1m (a still down until 11h2m): service lost again. Checks 3h5m, 3h10m
    # → alert 2 at 3h10m; responders already engaged (no page); declared again 6m later:
    # 3h16m. to-b runs again 3h16m-3h31m (b is down: no help); to-c: prepare 3h16m-3h46m,
    # switch 3h46m-4h1m → service at c at 4h1m (outage 2: 60 min).
    assert times(r, "detected") == [1 * H + 10 * M, 3 * H + 10 * M]
    assert times(r, "declared") == [1 * H + 20 * M, 3 * H + 16 * M]
    assert times(r, "not_paged") == [3 * H + 10 * M]
    assert [(o.start_s, o.end_s) for o in r.outages] == [
        (1 * H + 2 * M, 1 * H + 35 * M), (3 * H + 1 * M, 4 * H + 1 * M)]
    # before the fix: users stayed at the dead b until its repair at 23h (20 h down)
    assert r.metrics.downtime_s == pytest.approx((33 + 60) * M)
    steps = [(s.runbook, s.step, s.start_s, s.outcome) for s in r.steps]
    assert ("to-c", "switch", 1 * H + 50 * M, "cancelled") in steps
    assert ("to-c", "switch", 3 * H + 46 * M, "ok") in steps


# ---- the AWS us-east-1 scenario -------------------------------------------------------------

AWS = ROOT / "scenarios" / "incidents" / "aws-2021-us-east-1.yaml"


def test_aws_2021_alert_is_late_because_monitoring_runs_on_the_failed_network():
    sc = load(AWS)
    r = simulate(sc)
    fault_s = 30 * M  # 07:30 PST, simulation starts 07:00
    (t, subject, why), = events(r, "detection_degraded")
    # three failed one-minute checks (07:30, 07:31, 07:32) → the alert is due at 07:32; it
    # goes out only after the degraded delay named in the event
    assert (t, subject) == (fault_s + 2 * M, "monitoring") and "down everywhere" in why
    assert r.incidents[0].detected_s > t
    # the EC2 APIs depend on the internal network: back only after it is rebuilt
    net_up = next(e.time_s for e in r.timeline
                  if e.kind == "component_up" and e.subject == "us-east-1.internal-network")
    api = [o for o in r.outages if o.what == "ec2-api"]
    assert len(api) == 1 and api[0].start_s == fault_s and api[0].end_s > net_up
    # running instances do not depend on it: never down
    assert not [o for o in r.outages if o.what == "ec2-instances"]


def test_aws_2021_trials_spread_and_sometimes_escalate():
    sc = load(AWS)
    outage_h, escalated = [], 0
    for seed in range(300):
        r = simulate(sc, seed=seed)
        outage_h.append(sum(o.end_s - o.start_s for o in r.outages if o.what == "ec2-api") / H)
        escalated += any(e.kind == "escalated" for e in r.timeline)
    assert len({round(h, 3) for h in outage_h}) > 250  # a spread, not one value
    assert 3 < statistics.median(outage_h) < 10
    assert 0 < escalated < 300  # the on-call sometimes does not answer: seniors are paged
