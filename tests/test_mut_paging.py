"""Paging: the escalation policy (level 1 with the `page` roles, timeouts, starting over),
unanswered pages, per-level answer probabilities. Exact timelines computed by hand."""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

BASE = """
drsim: 1
name: paging
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 4h}
sites:
  a: {components: {box: {count: 1, ttr: TTR}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 10, access: a, home: a, services: [svc]}
staff:
  ops: {count: 1}
  l1: {count: 1}
  l2: {count: 1}
detection:
  interval: 1m
  failed_checks: 1
DETECTION
disruptions:
  - {id: f, at: 1h, targets: [{component: a.box}], until: repaired}
"""


def run(detection: str, ttr: str = "2h", ack: str = "2m"):
    detection = f"  ack_delay: {ack}\n" + detection
    return simulate(parse(BASE.replace("DETECTION", detection).replace("TTR", ttr)))


def events(r, *kinds):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in r.timeline if e.kind in kinds]


def test_nobody_answers_so_the_policy_escalates_and_starts_over():
    r = run("  escalation:\n"
            "    - {role: l1, timeout: 10m, answers: 0%}\n"
            "    - {role: l2, timeout: 5m, answers: 0%}", ttr="40m")
    # alert at 1h (fault at a check time, 1 check). l1 paged 1h, l2 at 1h10, l1 again at 1h15,
    # l2 at 1h25, l1 at 1h30, l2 at 1h40 (repaired at 1h40, the same instant: the incident
    # ends, so nobody ever acknowledges and nothing is declared)
    no = "does not answer this page (answers 0%)"
    assert events(r, "paged", "page_unanswered", "escalated")[:6] == [
        (1 * H, "paged", "l1#1", "escalation level 1"),
        (1 * H, "page_unanswered", "l1#1", no),
        (1 * H + 10 * M, "escalated", "level 2",
         "nobody acknowledged within 10 min of paging level 1; paging l2"),
        (1 * H + 10 * M, "paged", "l2#1", "escalation level 2"),
        (1 * H + 10 * M, "page_unanswered", "l2#1", no),
        (1 * H + 15 * M, "escalated", "level 1",
         "nobody acknowledged within 5 min of paging level 2; paging l1 (the policy starts "
         "over)")]
    assert [t for t, *_ in events(r, "paged")][:5] == [
        1 * H, 1 * H + 10 * M, 1 * H + 15 * M, 1 * H + 25 * M, 1 * H + 30 * M]
    assert r.incidents[0].acknowledged_s is None and r.incidents[0].declared_s is None
    assert events(r, "acknowledged", "declared") == []


def test_page_roles_join_level_one_and_a_later_level_answers():
    r = run("  page: [ops]\n"
            "  answers: 0%\n"
            "  escalation:\n"
            "    - {role: l1, timeout: 10m}\n"
            "    - {role: l2, answers: 100%}")
    # level 1 = ops and l1, both paged at 1h, neither answers (answers 0%); l2 paged at 1h10
    # (its level overrides answers) answers 2m later: acknowledged at 1h12
    assert [(t, s, d) for t, _, s, d in events(r, "paged")] == [
        (1 * H, "ops#1", "escalation level 1"), (1 * H, "l1#1", "escalation level 1"),
        (1 * H + 10 * M, "l2#1", "escalation level 2")]
    assert events(r, "acknowledged") == [(1 * H + 12 * M, "acknowledged", "incident 1",
                                          "by l2#1")]


def test_a_page_role_that_is_also_level_one_is_paged_once():
    r = run("  page: [l1]\n"
            "  escalation:\n"
            "    - {role: l1, timeout: 10m}\n"
            "    - {role: l2}")
    assert [(t, s) for t, _, s, _ in events(r, "paged")] == [(1 * H, "l1#1")]
    assert r.incidents[0].acknowledged_s == 1 * H + 2 * M


def test_without_escalation_the_page_detail_is_empty_and_the_last_level_waits():
    r = run("  page: [ops, l1]")
    # both paged at once, both answer after 2m: ops#1 is first (paged first)
    assert events(r, "paged") == [(1 * H, "paged", "ops#1", ""), (1 * H, "paged", "l1#1", "")]
    assert events(r, "acknowledged") == [(1 * H + 2 * M, "acknowledged", "incident 1",
                                          "by ops#1")]


def test_a_last_level_without_timeout_waits_for_its_answer():
    r = run("  escalation:\n"
            "    - {role: l1, timeout: 1m, answers: 0%}\n"
            "    - {role: l2}", ack="30m")
    # l1 paged 1h (never answers); l2 at 1h01, answers 30m later at 1h31; no further level
    assert [t for t, *_ in events(r, "paged")] == [1 * H, 1 * H + 1 * M]
    assert r.incidents[0].acknowledged_s == 1 * H + 31 * M


def test_nobody_paged_acknowledges_after_the_ack_delay_alone():
    r = run("")
    assert events(r, "paged") == []
    assert r.incidents[0].acknowledged_s == 1 * H + 2 * M


def test_nobody_paged_and_the_incident_ends_during_the_ack_delay():
    r = run("", ttr="1m")
    # repaired at 1h01, before the 2m ack delay ends: never acknowledged
    assert r.incidents[0].acknowledged_s is None
    assert events(r, "acknowledged") == []


def test_answers_below_one_are_drawn_per_page():
    # 200 trials, one page each: the share unanswered is near 50% (binomial sd 7 pages)
    sc = parse(BASE.replace("DETECTION", "  ack_delay: 2m\n  page: [ops]\n  answers: 50%")
               .replace("TTR", "2h"))
    unanswered = 0
    for seed in range(200):
        r = simulate(sc, seed=seed)
        got = events(r, "page_unanswered")
        if got:
            assert got == [(1 * H, "page_unanswered", "ops#1",
                            "does not answer this page (answers 50%)")]
            assert r.incidents[0].acknowledged_s is None
            unanswered += 1
        else:
            assert r.incidents[0].acknowledged_s == 1 * H + 2 * M
    assert 65 <= unanswered <= 135  # 100 ± 5 sd


def test_starting_over_pages_the_page_roles_with_level_one_again():
    r = run("  page: [ops]\n"
            "  answers: 0%\n"
            "  escalation:\n"
            "    - {role: l1, timeout: 10m}\n"
            "    - {role: l2, timeout: 5m}", ttr="30m")
    # level 1 (ops and l1) at 1h, l2 at 1h10, level 1 again at 1h15 and 1h25 (repaired 1h30)
    assert [(t, d) for t, _, _, d in events(r, "escalated")][:2] == [
        (1 * H + 10 * M, "nobody acknowledged within 10 min of paging level 1; paging l2"),
        (1 * H + 15 * M, "nobody acknowledged within 5 min of paging level 2; paging ops, l1 "
                         "(the policy starts over)")]


def test_a_paged_roles_answer_is_drawn_from_its_own_answers_stream():
    import numpy as np

    from drsim.sim.streams import stable_key
    seen = set()
    for seed in range(8):
        # level 1 answers surely but slowly (20m > its 10m timeout): level 2 is paged at
        # 1h10 and answers with 50%: the first draw of l2's answers stream (level 1's sure
        # answer draws nothing)
        sc = parse(BASE.replace("DETECTION", "  ack_delay: 20m\n  escalation:\n"
                                "    - {role: l1, timeout: 10m, answers: 100%}\n"
                                "    - {role: l2, answers: 50%}").replace("TTR", "2h"))
        r = simulate(sc, seed=seed)
        g = np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(0, stable_key("paging:l2:answers"))))
        answers = bool(g.random() < 0.5)
        seen.add(answers)
        unanswered = [(t, s) for t, _, s, _ in events(r, "page_unanswered")]
        assert unanswered == ([] if answers else [(1 * H + 10 * M, "l2#1")])
        assert r.incidents[0].acknowledged_s == 1 * H + 20 * M  # l1's answer comes first
    assert seen == {True, False}


def test_with_nobody_paged_a_drawn_ack_delay_comes_from_the_paging_ack_stream():
    import numpy as np

    from drsim.sim.streams import stable_key
    for seed in (1, 2):
        r = simulate(parse(BASE.replace("DETECTION", "  ack_delay: {uniform: {low: 1m, high: 9m}}")
                           .replace("TTR", "2h")), seed=seed)
        g = np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(0, stable_key("paging:ack"))))
        assert r.incidents[0].acknowledged_s == pytest.approx(1 * H + g.uniform(60, 540))
