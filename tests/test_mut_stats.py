"""drsim.stats pinned to hand-derived numbers and to the exact notes a planner reads.

Frames are built by hand (one row per trial); the scenario is a stand-in with only what
summarise() reads: a name, the horizon and whether failures are random.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from drsim.stats import (
    Annualised,
    Estimate,
    annualise,
    completed,
    is_boolean_column,
    is_horizon_based,
    mean_ci,
    min_trials_for_upper_bound,
    quantile_ci,
    relative_half_width,
    resolve_metric,
    summarise,
    summarise_metric,
    summarise_proportion,
    wilson_ci,
)

INF, NAN = math.inf, math.nan
DAY = 86400.0
YEAR = 365 * DAY


def scenario(horizon: float = DAY, random_failures: bool = False, name: str = "s"):
    return SimpleNamespace(name=name, simulation=SimpleNamespace(
        horizon=horizon, random_failures=random_failures))


# 12 trials. rto_s varies; wait_s is censored (+inf) in 2; lag_s applies in 3 (NaN in 9);
# never_s applies in none; const_s is 5 in every trial; met.rto.full is yes in 7 of 12.
MIXED = pd.DataFrame({
    "trial": range(12),
    "rto_s": [3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8],
    "wait_s": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, INF, INF],
    "lag_s": [1.0, 2, 3] + [NAN] * 9,
    "never_s": [NAN] * 12,
    "const_s": [5.0] * 12,
    "met.rto.full": [True] * 7 + [False] * 5,
})


def test_notes_of_a_mixed_frame_word_for_word():
    s = summarise(MIXED, scenario())
    assert s.notes == (
        # wait_s: quantile ranks ceil(p·12): P50 → 6th value (6), P90 → 11th, P95 and P99 →
        # 12th: the 11th and 12th are +inf, so three quantiles are not reached
        "wait_s: 2 of 12 trials never got there within the horizon (counted as not reached). "
        "The mean and interval use only the 10 trials that did, so they understate the true "
        "figure; P90, P95 and P99 are 'not reached'.",
        "Only 3 trials gave a value for lag_s: too few for its mean and interval to mean much; "
        "run more trials.",
        "never_s did not apply in any trial (no incident, or nothing of that kind happened), "
        "so there is nothing to estimate.",
        "lag_s: a value in 3 of 12 trials (in the other 9 it did not apply: no incident, or "
        "that step never happened); figures are over those 3 only.",
        "const_s had the same value in every trial, so its interval has zero width.",
        # fewest trials for a finite upper bound: ceil(ln 0.025 / ln p): P50 6, P90 36,
        # P95 72, P99 368; 12 trials are enough only for P50
        "With 12 trials, P90, P95 and P99 have no upper 95% confidence bound (P90 needs 36, "
        "P95 needs 72, P99 needs 368 trials with a value).",
        # Wilson, z = 1.95996, n = 12, p = 7/12: denom = 1 + z²/12 = 1.32012,
        # centre = (0.58333 + z²/24) / denom = 0.56313,
        # half = z·sqrt(p(1−p)/12 + z²/576) / denom = 0.24362 → 31.95% to 80.67%
        "P(met.rto.full) = 58.3% from 12 trials, but its 95% interval is 32.0% to 80.7%: "
        "too wide to rely on; run more trials.",
    )
    assert (s.scenario, s.level, s.trials, s.failed, s.succeeded) == ("s", 0.95, 12, 0, 12)
    assert [m.name for m in s.metrics] == ["rto_s", "wait_s", "lag_s", "never_s", "const_s"]
    assert [p.name for p in s.proportions] == ["met.rto.full"]
    assert s.annual is None  # a day without random failures is not horizon-based


def test_notes_at_90_percent_level():
    s = summarise(MIXED, scenario(), level=0.90)
    # ceil(ln 0.05 / ln p): P90 29, P95 59, P99 299
    assert ("With 12 trials, P90, P95 and P99 have no upper 90% confidence bound (P90 needs "
            "29, P95 needs 59, P99 needs 299 trials with a value).") in s.notes


def test_failed_trials_are_counted_and_left_out():
    failed = pd.DataFrame({"trial": [12, 13, 14], "error": ["boom", "boom", "abc"]})
    frame = pd.concat([MIXED, failed], ignore_index=True)
    s = summarise(frame, scenario())
    assert (s.trials, s.failed, s.succeeded) == (15, 3, 12)
    assert [(e.message, e.count) for e in s.errors] == [("boom", 2), ("abc", 1)]
    assert s.notes[0] == ("3 of 15 trials failed with an error (2 distinct messages) and are "
                          "left out of every figure; the rest are summarised.")
    assert s.notes[1:] == summarise(MIXED, scenario()).notes
    assert s.metric("rto_s").n == 12
    # ties in count are ordered by message
    tie = pd.DataFrame({"trial": range(3), "x_s": [1.0, NAN, NAN], "error": [None, "b", "a"]})
    assert [(e.message, e.count) for e in summarise(tie, scenario()).errors] == [
        ("a", 1), ("b", 1)]


def test_every_trial_failed():
    s = summarise(pd.DataFrame({"trial": [0], "error": ["boom"]}), scenario())
    assert s.notes == (
        "1 of 1 trials failed with an error (1 distinct message) and are left out of every "
        "figure; the rest are summarised.",
        "No trial finished, so there is nothing to summarise.")


@pytest.mark.parametrize("k, first", [
    (1, "Only 1 trial finished: every interval here is rough; run at least 10, better a few "
        "hundred."),
    (3, "Only 3 trials finished: every interval here is rough; run at least 10, better a few "
        "hundred."),
])
def test_few_trials(k, first):
    frame = pd.DataFrame({"trial": range(k), "x_s": [float(i) for i in range(k)],
                          "y_s": [INF] * k})
    assert summarise(frame, scenario()).notes == (
        first,
        f"y_s: {k} of {k} trials never got there within the horizon (counted as not reached). "
        "No trial got there, so there is no mean; P50, P90, P95 and P99 are 'not reached'.")


def test_grouped_censored_and_constant_notes():
    frame = pd.DataFrame({
        "trial": range(40), "a_s": [INF] * 40, "b_s": [INF] * 40,
        "c_s": [float(i) for i in range(39)] + [INF],
        "d_s": [float(i) for i in range(39)] + [INF],
        **{f"n{i}_s": [NAN] * 40 for i in range(5)}})
    assert summarise(frame, scenario()).notes == (
        "a_s and b_s: 40 of 40 trials never got there within the horizon (counted as not "
        "reached). No trial got there, so there is no mean; P50, P90, P95 and P99 are "
        "'not reached'.",
        # P99 rank ceil(0.99·40) = 40: the +inf; P95 rank 38: finite
        "c_s and d_s: 1 of 40 trials never got there within the horizon (counted as not "
        "reached). The means and intervals use only the 39 trials that did, so they "
        "understate the true figure; P99 is 'not reached'.",
        "n0_s, n1_s, n2_s and 2 more did not apply in any trial (no incident, or nothing of "
        "that kind happened), so there is nothing to estimate.",
        "With 40 trials, P95 and P99 have no upper 95% confidence bound (P95 needs 72, P99 "
        "needs 368 trials with a value).")
    same = pd.DataFrame({"trial": range(40), "a_s": [1.0] * 40, "b_s": [2.0] * 40})
    assert summarise(same, scenario()).notes == (
        "Every trial gave the same value for every metric (nothing random reached the "
        "results), so the intervals have zero width.",
        "With 40 trials, P95 and P99 have no upper 95% confidence bound (P95 needs 72, P99 "
        "needs 368 trials with a value).")


def test_scarce_values_in_two_metrics_and_exactly_ten():
    frame = pd.DataFrame({"trial": range(10),
                          "a_s": [1.0, 2.0] + [NAN] * 8, "b_s": [3.0, 5.0] + [NAN] * 8,
                          "c_s": [1.0] + [NAN] * 9, "d_s": [float(i) for i in range(10)]})
    notes = summarise(frame, scenario()).notes
    # 10 trials is not "few"; 2 values of a_s and b_s are too few; 1 value of c_s too
    assert notes[:2] == (
        "Only 2 trials gave a value for a_s and b_s: too few for their mean and interval to "
        "mean much; run more trials.",
        "Only 1 trial gave a value for c_s: too few for its mean and interval to mean much; "
        "run more trials.")
    assert not any("finished" in n for n in notes)


def test_annual_notes_without_outage():
    frame = pd.DataFrame({"trial": range(12), "unavailability": [0.0] * 12,
                          "downtime_s": [0.0] * 12, "customer_minutes_lost": [0.0] * 12,
                          "incidents": [0.0] * 12})
    s = summarise(frame, scenario(30 * DAY, random_failures=True))
    # 365 d / 30 d = 12.1667; Wilson upper end of 0 of 12 at 95%: (z²/24 + z·sqrt(z²/576))
    # / (1 + z²/12) = 2 · 0.16006 / 1.32012 = 0.24249
    assert s.notes[:2] == (
        "Per-year figures scale each 30d 00h 00m trial by 365 days ÷ horizon = 12.17.",
        "No trial saw an outage: availability is 100% in all 12, which shows only that the "
        "chance of an outage in 30d 00h 00m is below about 24.2% (95% confidence); run more "
        "trials to measure it.")
    a = s.annual
    assert a.scale == pytest.approx(365 / 30) and a.horizon_s == 30 * DAY
    assert a.trials_with_outage == 0
    assert (a.availability.value, a.availability.low, a.availability.high) == (1.0, 1.0, 1.0)


def test_annual_notes_with_few_outages_over_a_year():
    frame = pd.DataFrame({"trial": range(12),
                          "unavailability": [1e-3, 2e-3, 5e-4] + [0.0] * 9,
                          "downtime_s": [60.0, 120.0, 30.0] + [0.0] * 9})
    s = summarise(frame, scenario(YEAR))  # a year is horizon-based: no scaling note
    assert s.notes[0] == (
        "Only 3 of 12 trials saw an outage: availability, downtime and customer-minutes per "
        "year rest on those few, and their intervals mean little; run more trials.")
    a = s.annual
    assert a.scale == 1.0 and a.trials_with_outage == 3
    # mean unavailability = 3.5e-3 / 12 = 2.916667e-4
    assert a.availability.value == pytest.approx(1 - 3.5e-3 / 12, abs=1e-15)
    assert a.weighted_downtime_s.value == pytest.approx(3.5e-3 / 12 * YEAR)
    assert a.downtime_s.value == pytest.approx(210.0 / 12)  # (60 + 120 + 30) / 12
    assert math.isnan(a.incidents.value) and a.incidents.n == 0  # no such column
    ten = frame.assign(downtime_s=[1.0] * 10 + [0.0] * 2)
    assert not any("saw an outage" in n for n in summarise(ten, scenario(YEAR)).notes)


def test_wide_and_narrow_proportions():
    # 400 of 400 yes: Wilson upper 1 exactly, lower = n / (n + z²) = 400 / 403.8415 = 0.99049
    e = wilson_ci(400, 400)
    assert (e.value, e.high, e.n) == (1.0, 1.0, 400)
    assert e.low == pytest.approx(400 / (400 + 1.959963984540054 ** 2), rel=1e-12)
    frame = pd.DataFrame({"trial": range(400), "all_restored": [True] * 400})
    assert not any(n.startswith("P(") for n in summarise(frame, scenario()).notes)


def test_mean_ci_by_hand():
    # 1, 2, 3, 4: mean 2.5, sd = sqrt(5/3) = 1.290994, sem = 0.645497, t(0.975, 3) = 3.182446
    e = mean_ci(np.array([1.0, 2.0, 3.0, 4.0]))
    assert e.value == 2.5 and e.n == 4
    assert e.low == pytest.approx(2.5 - 3.182446305284263 * 0.6454972243679028, rel=1e-12)
    assert e.high == pytest.approx(2.5 + 3.182446305284263 * 0.6454972243679028, rel=1e-12)
    assert e.half_width == pytest.approx(2.054260, abs=1e-6)
    # at 90%: t(0.95, 3) = 2.353363
    assert mean_ci(np.array([1.0, 2.0, 3.0, 4.0]), 0.90).high == pytest.approx(
        2.5 + 2.353363434801823 * 0.6454972243679028, rel=1e-12)
    empty = mean_ci(np.array([]))
    assert math.isnan(empty.value) and math.isnan(empty.low) and math.isnan(empty.high)
    assert empty.n == 0


def test_wilson_by_hand():
    # 1 of 4 at 95%: z² = 3.841459, denom = 1.960365, centre = (0.25 + 0.480182) / denom
    # = 0.372473, half = z·sqrt(0.046875 + 0.060023) / denom = 0.326886
    e = wilson_ci(1, 4)
    assert e.value == 0.25 and e.n == 4
    assert e.low == pytest.approx(0.045587, abs=1e-6)
    assert e.high == pytest.approx(0.699358, abs=1e-6)
    # at 90%, z = 1.644854, z² = 2.705543: denom = 1.676386, centre = 0.588193 / denom
    # = 0.350870, half = z·sqrt(0.046875 + 0.042274) / denom = 0.292963
    e90 = wilson_ci(1, 4, level=0.90)
    assert e90.low == pytest.approx(0.057907, abs=1e-6)
    assert e90.high == pytest.approx(0.643832, abs=1e-6)
    zero = wilson_ci(0, 4)
    assert (zero.value, zero.low) == (0.0, 0.0)
    assert zero.high == pytest.approx(2 * 0.480182 / 1.960365, abs=1e-6)  # 0.489892
    full = wilson_ci(4, 4)
    assert (full.high, full.low) == (1.0, pytest.approx(0.510109, abs=1e-6))
    half = wilson_ci(1.5, 4)  # a split tie counts as a share
    assert half.value == 0.375
    none = wilson_ci(0, 0)
    assert none.n == 0 and math.isnan(none.value) and math.isnan(none.high)


def test_quantile_ci_by_hand():
    x = np.arange(1.0, 21.0)  # 1..20
    q = quantile_ci(x, 0.5)
    # inverted_cdf: smallest value with ≥ half at or below: the 10th, 10.0;
    # Binomial(20, 0.5): ppf(0.025) = 6, ppf(0.975) = 14 → ranks 6 and 15
    assert (q.value, q.lo_rank, q.hi_rank, q.low, q.high, q.n) == (10.0, 6, 15, 6.0, 15.0, 20)
    assert not q.high_censored
    q9 = quantile_ci(x, 0.9)
    # ceil(0.9·20) = 18th value; Binomial(20, 0.9): ppf(0.025) = 15, ppf(0.975) = 20 → rank 21
    assert (q9.value, q9.lo_rank, q9.hi_rank, q9.low, q9.high) == (18.0, 15, 21, 15.0, INF)
    assert not q9.high_censored  # no upper bound: too few values, not censored
    cens = quantile_ci(np.array([*np.arange(1.0, 15.0), *([INF] * 6)]), 0.5)
    assert (cens.value, cens.high, cens.hi_rank) == (10.0, INF, 15)
    assert cens.high_censored  # x(15) is +inf: never reached
    q_lo = quantile_ci(np.array([5.0, NAN, 1.0, 3.0]), 0.5)  # NaN dropped, 3 values
    # Binomial(3, 0.5): ppf(0.025) = 0 → no lower bound; ppf(0.975) = 3 → rank 4 > n
    assert (q_lo.value, q_lo.n, q_lo.lo_rank, q_lo.low, q_lo.high) == (3.0, 3, 0, -INF, INF)
    e = quantile_ci(np.array([NAN]), 0.5)
    assert e.n == 0 and math.isnan(e.value) and math.isnan(e.low) and math.isnan(e.high)
    q90 = quantile_ci(x, 0.5, level=0.90)  # Binomial(20, .5): ppf(.05) = 6, ppf(.95) = 14
    assert (q90.lo_rank, q90.hi_rank) == (6, 15)
    q80 = quantile_ci(x, 0.5, level=0.80)  # ppf(.1) = 7, ppf(.9) = 13
    assert (q80.lo_rank, q80.hi_rank, q80.low, q80.high) == (7, 14, 7.0, 14.0)


def test_min_trials_for_upper_bound_by_hand():
    # ceil(ln(α/2) / ln p), α = 0.05: ln 0.025 = −3.68888
    assert [min_trials_for_upper_bound(p) for p in (0.5, 0.9, 0.95, 0.99)] == [6, 36, 72, 368]
    assert min_trials_for_upper_bound(0.5, 0.90) == 5  # ln 0.05 / ln 0.5 = 4.32


def test_summarise_metric_and_proportion():
    m = summarise_metric("x_s", pd.Series([2.0, 4.0, NAN, INF, 6.0]))
    assert (m.name, m.n, m.not_applicable, m.censored) == ("x_s", 3, 1, 1)
    assert m.mean.value == 4.0 and m.sd == 2.0  # sd of 2, 4, 6
    assert [q.p for q in m.quantiles] == [0.5, 0.9, 0.95, 0.99]
    assert m.quantile(0.5).value == 4.0  # 2, 4, 6, inf: the 2nd of 4
    assert m.quantile(0.9).value == INF
    one = summarise_metric("y", pd.Series([3.0]))
    assert math.isnan(one.sd) and one.n == 1
    const = summarise_metric("z", pd.Series([0.1] * 7))
    assert const.sd == 0.0  # exactly, not rounding dust
    p = summarise_proportion("met.a.b", pd.Series([True, False, None, True]))
    assert (p.name, p.successes, p.estimate.n, p.estimate.value) == ("met.a.b", 2, 3, 2 / 3)


def test_column_kinds_and_completed_rows():
    assert is_boolean_column("met.x.full") and is_boolean_column("all_restored")
    assert is_boolean_column("all_recovered")
    assert not is_boolean_column("rto_s") and not is_boolean_column("metx")
    assert is_boolean_column("flag", pd.Series([True, False]))
    assert not is_boolean_column("flag", pd.Series([1, 0]))
    frame = pd.DataFrame({"x": [1, 2, 3], "error": [None, "e", None]})
    assert list(completed(frame)["x"]) == [1, 3]
    plain = pd.DataFrame({"x": [1, 2]})
    assert completed(plain) is plain
    assert is_horizon_based(scenario(DAY, True))
    assert is_horizon_based(scenario(30 * DAY)) and not is_horizon_based(scenario(30 * DAY - 1))


def test_object_columns_left_by_failed_trials_are_numbers():
    frame = pd.DataFrame({"trial": range(3), "x_s": pd.Series([1.0, None, 3.0], dtype=object),
                          "label": ["a", "b", "c"], "flag": pd.Series([True, None, False],
                                                                       dtype=object),
                          "error": [None, "boom", None]})
    s = summarise(frame, scenario())
    assert [m.name for m in s.metrics] == ["x_s"]  # text is neither a metric nor a yes/no
    assert s.metric("x_s").mean.value == 2.0
    with pytest.raises(KeyError, match="no metric 'label'; known: x_s"):
        s.metric("label")
    with pytest.raises(KeyError, match="no proportion 'x_s'; known: "):
        s.proportion("x_s")


def test_relative_half_width_and_resolve_metric():
    frame = pd.DataFrame({"trial": range(4), "rto_s": [1.0, 2.0, 3.0, 4.0],
                          "met.a.b": [True, False, True, True], "zero_s": [0.0] * 4,
                          "error": [None] * 4})
    # mean 2.5, half-width 2.054260 (test_mean_ci_by_hand): 0.821704
    assert relative_half_width(frame, "rto") == pytest.approx(2.054260 / 2.5, abs=1e-6)
    # 3 of 4: Wilson interval 0.300642 to 0.954413, half-width 0.326885, over 0.75
    assert relative_half_width(frame, "met.a.b") == pytest.approx(0.326885 / 0.75, abs=1e-5)
    assert relative_half_width(frame, "zero_s") == INF  # estimate 0
    assert relative_half_width(frame.iloc[:1], "rto_s") == INF  # one value
    assert relative_half_width(frame.iloc[:1], "met.a.b") == INF
    assert resolve_metric(frame, "rto_s") == "rto_s"
    with pytest.raises(ValueError) as err:
        resolve_metric(frame, "rtox")
    assert str(err.value) == ("unknown metric 'rtox' (did you mean 'rto_s'?); known: rto_s, "
                              "met.a.b, zero_s")
    with pytest.raises(ValueError) as err:
        resolve_metric(frame, "error")
    assert str(err.value) == "unknown metric 'error'; known: rto_s, met.a.b, zero_s"


def test_to_dict_is_strict_json():
    s = summarise(MIXED, scenario())
    d = s.to_dict()
    assert (d["scenario"], d["level"], d["trials"], d["failed"], d["errors"], d["annual"]) == (
        "s", 0.95, 12, 0, [], None)
    assert d["notes"] == list(s.notes)
    w = d["metrics"]["wait_s"]
    assert (w["n"], w["not_applicable"], w["censored"]) == (10, 0, 2)
    assert w["mean"] == 5.5 and w["sd"] == pytest.approx(3.0276503540974917)
    assert list(w["quantiles"]) == ["p50", "p90", "p95", "p99"]
    # P50 of 1..10, inf, inf: the 6th value; Binomial(12, .5): ppf(.025) = 3, ppf(.975) = 9
    assert w["quantiles"]["p50"] == {"value": 6.0, "censored": False, "low": 3.0,
                                     "high": 10.0, "high_censored": False}
    assert w["quantiles"]["p90"] == {"value": None, "censored": True, "low": 8.0,
                                     "high": None, "high_censored": False}
    never = d["metrics"]["never_s"]
    assert never["mean"] is None and never["mean_low"] is None and never["sd"] is None
    assert d["proportions"]["met.rto.full"]["successes"] == 7
    assert d["proportions"]["met.rto.full"]["n"] == 12
    assert d["proportions"]["met.rto.full"]["value"] == pytest.approx(7 / 12)
    failed = pd.concat([MIXED, pd.DataFrame({"trial": [12], "error": ["boom"]})],
                       ignore_index=True)
    assert summarise(failed, scenario()).to_dict()["errors"] == [
        {"message": "boom", "count": 1}]


def test_annual_to_dict_and_scaling():
    frame = pd.DataFrame({"trial": range(3), "unavailability": [0.0, 0.5, 0.25],
                          "downtime_s": [0.0, 10.0, 20.0], "customer_minutes_lost": [1.0] * 3,
                          "incidents": [0.0, 1.0, 2.0]})
    a = annualise(frame, YEAR / 2)
    assert a.scale == 2.0 and a.trials_with_outage == 2
    # unavailability 0, 0.5, 0.25: mean 0.25, sd 0.25, t(0.975, 2) = 4.302653, so its
    # interval is 0.25 ± 0.621034; availability 0.75, from 1 − 0.871034 = 0.128966 to
    # 1 − (−0.371034), cut at 1
    assert a.availability.value == 0.75
    assert a.availability.low == pytest.approx(0.128966, abs=1e-6)
    assert a.availability.high == 1.0
    assert a.downtime_s.value == 20.0  # mean 10 s per half-year × 2
    assert a.downtime_s.low == 0.0  # cut at 0
    assert a.incidents.value == 2.0
    d = summarise(frame, scenario(YEAR / 2)).to_dict()["annual"]
    assert list(d) == ["horizon_s", "scale", "trials_with_outage", "availability",
                       "weighted_downtime_s_per_year", "downtime_s_per_year",
                       "customer_minutes_lost_per_year", "incidents_per_year"]
    assert d["horizon_s"] == YEAR / 2 and d["scale"] == 2.0 and d["trials_with_outage"] == 2
    assert d["customer_minutes_lost_per_year"] == {"value": 2.0, "low": 2.0, "high": 2.0,
                                                   "n": 3}
    assert d["weighted_downtime_s_per_year"]["value"] == pytest.approx(0.25 * YEAR)
    assert isinstance(a, Annualised) and isinstance(a.incidents, Estimate)


def test_levels_other_than_95_reach_every_interval():
    # summarise_metric at 80% on 1..20: Binomial(20, 0.5) ppf(0.1) = 7, ppf(0.9) = 13 → ranks
    # 7 and 14; the mean 10.5 ± t(0.9, 19) · sd/sqrt(20) = 1.327728 · 1.322876 = 1.756419
    m = summarise_metric("x_s", pd.Series(np.arange(1.0, 21.0)), level=0.80)
    assert (m.quantile(0.5).lo_rank, m.quantile(0.5).hi_rank) == (7, 14)
    assert m.mean.high == pytest.approx(10.5 + 1.756419, abs=1e-6)
    # 2 of 3 yes: at 95% (the default) 0.207660 to 0.938508; at 90% 0.253534 to 0.921734
    p = summarise_proportion("met.a.b", pd.Series([True, False, True]))
    assert (p.estimate.low, p.estimate.high) == (pytest.approx(0.207660, abs=1e-6),
                                                 pytest.approx(0.938508, abs=1e-6))
    p90 = summarise_proportion("met.a.b", pd.Series([True, False, True]), level=0.90)
    assert (p90.estimate.low, p90.estimate.high) == (pytest.approx(0.253534, abs=1e-6),
                                                     pytest.approx(0.921734, abs=1e-6))
    # relative half-width at 90% of 1, 2, 3, 4: t(0.95, 3) · 0.645497 / 2.5 = 0.607636
    frame = pd.DataFrame({"x_s": [1.0, 2.0, 3.0, 4.0], "met.a.b": [True, False, True, True]})
    assert relative_half_width(frame, "x_s", 0.90) == pytest.approx(0.607636, abs=1e-6)
    # 3 of 4 at 90%: z² = 2.705543, denom 1.676386, half = z·sqrt(0.046875 + 0.042274)
    # / denom = 0.292963, over 0.75
    assert relative_half_width(frame, "met.a.b", 0.90) == pytest.approx(
        0.292963 / 0.75, abs=1e-5)
    # annualise at 90%: incidents 1, 2, 3 → 2 ± t(0.95, 2) · 1/sqrt(3) = 2 ± 2.919986 · 0.577350
    a = annualise(pd.DataFrame({"incidents": [1.0, 2.0, 3.0]}), YEAR, level=0.90)
    assert a.incidents.high == pytest.approx(2 + 1.685854, abs=1e-6)
    # the no-outage note at 90%: Wilson upper end of 0 of 12 = 2 · (z²/24) / (1 + z²/12)
    # = 2 · 0.112731 / 1.225462 = 0.183981
    none = pd.DataFrame({"trial": range(12), "unavailability": [0.0] * 12,
                         "downtime_s": [0.0] * 12})
    assert summarise(none, scenario(YEAR), level=0.90).notes[0] == (
        "No trial saw an outage: availability is 100% in all 12, which shows only that the "
        "chance of an outage in 365d 00h 00m is below about 18.4% (90% confidence); run more "
        "trials to measure it.")


def test_exactly_two_values_give_a_spread():
    # 1 and 3: mean 2, sd sqrt(2) = 1.414214, sem 1, t(0.975, 1) = 12.706205
    frame = pd.DataFrame({"x_s": [1.0, 3.0], "b": [True, False]})
    assert relative_half_width(frame, "x_s") == pytest.approx(12.706205 / 2, abs=1e-6)
    # yes, no: Wilson centre 0.5, half = z·sqrt(0.125 + z²/16) / (1 + z²/2) = 0.405469
    assert relative_half_width(frame, "b") == pytest.approx(0.405469 / 0.5, abs=1e-6)
    m = summarise_metric("x_s", pd.Series([1.0, 3.0]))
    assert m.sd == pytest.approx(math.sqrt(2), rel=1e-12)
    assert summarise_metric("y_s", pd.Series([0.1, 0.1])).sd == 0.0


def test_text_in_a_number_column_counts_as_not_applicable():
    # a frame read back from a hand-edited CSV: unreadable cells are NaN ("did not apply")
    m = summarise_metric("x_s", pd.Series([1.0, "n/a", 3.0], dtype=object))
    assert (m.n, m.not_applicable, m.mean.value) == (2, 1, 2.0)
    frame = pd.DataFrame({"x_s": pd.Series([1.0, "n/a", 3.0], dtype=object)})
    assert relative_half_width(frame, "x_s") == pytest.approx(12.706205 / 2, abs=1e-6)
    a = annualise(pd.DataFrame({"incidents": pd.Series([1.0, "x", 3.0], dtype=object),
                                "downtime_s": pd.Series([5.0, "x", 0.0], dtype=object)}),
                  YEAR)
    assert (a.incidents.value, a.incidents.n, a.trials_with_outage) == (2.0, 2, 1)


def test_annualise_without_columns_and_with_a_tight_interval():
    a = annualise(pd.DataFrame({"trial": [0, 1]}), YEAR)
    assert a.trials_with_outage == 0
    for e in (a.weighted_downtime_s, a.downtime_s, a.incidents):
        assert math.isnan(e.value) and math.isnan(e.high) and e.n == 0
    # no unavailability at all: no value, and an interval that is the whole range
    av = a.availability
    assert math.isnan(av.value) and (av.low, av.high, av.n) == (0.0, 1.0, 0)
    # unavailability 0.20, 0.21, 0.22: mean 0.21, sd 0.01, t(0.975, 2) · 0.01/sqrt(3)
    # = 0.024841: availability 0.79 from 1 − 0.234841 to 1 − 0.185159
    t = annualise(pd.DataFrame({"unavailability": [0.20, 0.21, 0.22]}), YEAR)
    assert t.availability.n == 3
    assert t.availability.value == pytest.approx(0.79, abs=1e-12)
    assert t.availability.low == pytest.approx(0.765159, abs=1e-6)
    assert t.availability.high == pytest.approx(0.814841, abs=1e-6)


def test_yes_no_columns_by_dtype_and_the_names_in_key_errors():
    frame = pd.DataFrame({"trial": range(4), "flag": [True, False, True, True],
                          "x_s": [1.0, 2.0, 3.0, 4.0], "y_s": [2.0, 2.0, 2.0, 3.0],
                          "met.a.b": [True] * 4})
    s = summarise(frame, scenario())
    assert [p.name for p in s.proportions] == ["flag", "met.a.b"]
    assert [m.name for m in s.metrics] == ["x_s", "y_s"]
    # flag is a yes/no column by its dtype: 3 of 4, Wilson half-width 0.326885 / 0.75
    assert relative_half_width(frame, "flag") == pytest.approx(0.326885 / 0.75, abs=1e-5)
    with pytest.raises(KeyError) as err:
        s.metric("z")
    assert err.value.args[0] == "no metric 'z'; known: x_s, y_s"
    with pytest.raises(KeyError) as err:
        s.proportion("z")
    assert err.value.args[0] == "no proportion 'z'; known: flag, met.a.b"


def test_wilson_ends_are_exact():
    # 0 of 3: centre − half is 0 in exact arithmetic; floating point leaves a crumb above 0
    assert wilson_ci(0, 3).low == 0.0
    assert wilson_ci(3, 3).high == 1.0
    none = wilson_ci(0, 0)
    assert math.isnan(none.low)


def test_metric_dict_names_every_field():
    d = summarise(MIXED, scenario()).to_dict()["metrics"]["wait_s"]
    assert list(d) == ["n", "not_applicable", "censored", "mean", "mean_low", "mean_high", "sd",
                       "quantiles"]
    # wait_s finite 1..10: mean 5.5, sd 3.027650, sem 0.957427, t(0.975, 9) = 2.262157
    assert d["mean_low"] == pytest.approx(5.5 - 2.165850, abs=1e-6)
    assert d["mean_high"] == pytest.approx(5.5 + 2.165850, abs=1e-6)


def test_notes_at_the_boundaries_of_their_conditions():
    # 2 trials: "trials", plural; a metric constant over exactly 2 values is constant
    two = pd.DataFrame({"trial": range(2), "x_s": [1.0, 1.0], "y_s": [1.0, 2.0]})
    assert summarise(two, scenario()).notes == (
        "Only 2 trials finished: every interval here is rough; run at least 10, better a few "
        "hundred.",
        "x_s had the same value in every trial, so its interval has zero width.")
    # 36 trials: exactly what P90 needs (ceil(ln 0.025 / ln 0.9) = 36); one trial without
    # n_s; three constant metrics among four
    frame = pd.DataFrame({"trial": range(36), "x_s": [float(i) for i in range(36)],
                          "a_s": [1.0] * 36, "b_s": [2.0] * 36, "n_s": [NAN] + [1.0] * 35})
    assert summarise(frame, scenario()).notes == (
        "n_s: a value in 35 of 36 trials (in the other 1 it did not apply: no incident, or "
        "that step never happened); figures are over those 35 only.",
        "a_s, b_s and n_s had the same value in every trial, so their intervals have zero "
        "width.",
        "With 36 trials, P95 and P99 have no upper 95% confidence bound (P95 needs 72, P99 "
        "needs 368 trials with a value).")
    # 30 trials at 90%: P90 needs ceil(ln 0.05 / ln 0.9) = 29, so only P95 and P99 are short
    thirty = pd.DataFrame({"trial": range(30), "x_s": [float(i) for i in range(30)]})
    assert summarise(thirty, scenario(), level=0.90).notes == (
        "With 30 trials, P95 and P99 have no upper 90% confidence bound (P95 needs 59, P99 "
        "needs 299 trials with a value).",)
    hundred = pd.DataFrame({"trial": range(100), "x_s": [float(i) for i in range(100)]})
    assert summarise(hundred, scenario()).notes == (
        "With 100 trials, P99 has no upper 95% confidence bound (P99 needs 368 trials with a "
        "value).",)


def test_failed_trials_in_a_horizon_based_run_keep_every_note():
    frame = pd.DataFrame({"trial": range(13), "x_s": [float(i) for i in range(12)] + [None],
                          "downtime_s": [0.0] * 12 + [None], "error": [None] * 12 + ["boom"]})
    notes = summarise(frame, scenario(DAY, random_failures=True)).notes
    # a 1-day horizon scales by 365 d / 1 d = 365
    assert notes[:3] == (
        "1 of 13 trials failed with an error (1 distinct message) and are left out of every "
        "figure; the rest are summarised.",
        "Per-year figures scale each 1d 00h 00m trial by 365 days ÷ horizon = 365.",
        "No trial saw an outage: availability is 100% in all 12, which shows only that the "
        "chance of an outage in 1d 00h 00m is below about 24.2% (95% confidence); run more "
        "trials to measure it.")


def test_summarise_passes_its_level_on():
    frame = pd.DataFrame({"trial": range(4), "x_s": [1.0, 2.0, 3.0, 4.0],
                          "met.a.b": [True, False, True, True], "unavailability": [0.0] * 4,
                          "incidents": [1.0, 2.0, 3.0, 4.0]})
    s = summarise(frame, scenario(YEAR), level=0.90)
    # t(0.95, 3) · 0.645497 = 1.519089; Wilson 3 of 4 at 90%: 0.649131 ± 0.292963
    assert s.metric("x_s").mean.high == pytest.approx(2.5 + 1.519089, abs=1e-6)
    assert s.proportion("met.a.b").estimate.low == pytest.approx(0.649131 - 0.292963,
                                                                 abs=1e-6)
    assert s.annual.incidents.high == pytest.approx(2.5 + 1.519089, abs=1e-6)


def test_none_in_plain_lists_is_missing():
    e = mean_ci([1.0, None, 3.0])
    assert (e.value, e.n) == (2.0, 2)
    q = quantile_ci([5.0, None, 1.0, 3.0], 0.5)
    assert (q.value, q.n) == (3.0, 3)


def test_quantile_lower_bound_at_rank_one():
    # 1..8, median: Binomial(8, 0.5) cdf(0) = 0.0039, cdf(1) = 0.0352 ≥ 0.025 → rank 1;
    # cdf(6) = 0.9648, cdf(7) = 0.9961 ≥ 0.975 → rank 7 + 1 = 8
    q = quantile_ci(np.arange(1.0, 9.0), 0.5)
    assert (q.value, q.lo_rank, q.low, q.hi_rank, q.high) == (4.0, 1, 1.0, 8, 8.0)
