"""drsim.stats: intervals checked against scipy, hand arithmetic and coverage; summaries of
frames with censored, not-applicable and failed trials; the text renderer."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from rich.console import Console
from scipy import stats

from drsim.report.trials_text import format_value, label, render_summary
from drsim.scenario import validate
from drsim.scenario.loader import load
from drsim.stats import (
    QUANTILES,
    mean_ci,
    min_trials_for_upper_bound,
    quantile_ci,
    relative_half_width,
    summarise,
    wilson_ci,
)
from drsim.trial import columns, run_batch

H = 3600.0
Z95 = 1.959963984540054  # norm.ppf(0.975)


# ---------------------------------------------------------------------------- t-interval


def test_mean_ci_equals_scipy_t_interval():
    x = np.array([2.1, 3.4, 1.9, 5.6, 4.2, 3.3, 2.8])
    e = mean_ci(x)
    low, high = stats.t.interval(0.95, df=len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (e.value, e.n) == (pytest.approx(3.3285714285714287), 7)
    assert (e.low, e.high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    # by hand: sd = 1.27504, t(0.975, 6) = 2.44691, half = 2.44691 * 1.27504 / sqrt(7) = 1.17921
    assert e.half_width == pytest.approx(1.17921, abs=1e-5)
    e90 = mean_ci(x, level=0.90)
    assert (e90.low, e90.high) == pytest.approx(
        stats.t.interval(0.90, df=6, loc=x.mean(), scale=stats.sem(x)))


def test_mean_ci_ignores_nan_and_inf_and_handles_tiny_samples():
    e = mean_ci(np.array([1.0, math.nan, 3.0, math.inf]))
    assert (e.value, e.n) == (2.0, 2)
    one = mean_ci(np.array([5.0, math.nan]))
    assert (one.value, one.low, one.high, one.n) == (5.0, -math.inf, math.inf, 1)
    assert math.isnan(mean_ci(np.array([math.nan, math.inf])).value)


def _coverage(samples: np.ndarray, true_mean: float) -> float:
    return float(np.mean([(e := mean_ci(s)).low <= true_mean <= e.high for s in samples]))


def test_t_interval_coverage_on_normal_samples():
    # t is exact for normal data: 2000 intervals cover 95% ± 3 standard errors (0.0049 each)
    samples = np.random.default_rng(11).normal(10.0, 2.0, size=(2000, 50))
    assert 0.935 <= _coverage(samples, 10.0) <= 0.965


def test_t_interval_coverage_on_exponential_samples():
    # The exponential is skewed, so the t-interval's true coverage at n = 50 is 93.5%, not 95%
    # (2 million replicates, seed 0); 2000 of them land within ±4 standard errors of that.
    # At n = 400 the skew has faded (true coverage 94.9%) and the nominal band holds.
    rng = np.random.default_rng(2027)
    assert 0.915 <= _coverage(rng.exponential(3.0, size=(2000, 50)), 3.0) <= 0.955
    assert 0.935 <= _coverage(rng.exponential(3.0, size=(2000, 400)), 3.0) <= 0.965


# ---------------------------------------------------------------------------- Wilson


def test_wilson_8_of_10_by_hand():
    # z = 1.959964, z² = 3.841459, p = 0.8, n = 10
    # denominator 1 + z²/n = 1.3841459
    # centre (p + z²/2n) / denom = (0.8 + 0.1920729) / 1.3841459 = 0.7167402
    # half z·sqrt(p(1-p)/n + z²/4n²) / denom = 1.959964 · sqrt(0.016 + 0.0096036) / 1.3841459
    #      = 1.959964 · 0.1600114 / 1.3841459 = 0.2265777
    # → [0.4901625, 0.9433178]
    e = wilson_ci(8, 10)
    assert e.value == 0.8
    assert e.low == pytest.approx(0.4901625, abs=1e-7)
    assert e.high == pytest.approx(0.9433178, abs=1e-7)


def test_wilson_at_the_edges_by_hand():
    # 0 of n: [0, z²/(n + z²)];  n of n: [n/(n + z²), 1]
    zero, full = wilson_ci(0, 10), wilson_ci(10, 10)
    assert zero.low == 0.0 and zero.high == pytest.approx(3.8414588 / 13.8414588, abs=1e-8)
    assert full.high == 1.0 and full.low == pytest.approx(10 / 13.8414588, abs=1e-8)
    assert math.isnan(wilson_ci(0, 0).value)


@pytest.mark.parametrize(("k", "n"), [(1, 20), (7, 13), (50, 100), (999, 1000), (3, 2000)])
def test_wilson_matches_scipy_binomtest(k, n):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    e = wilson_ci(k, n)
    assert (e.low, e.high) == (pytest.approx(ref.low, abs=1e-12),
                               pytest.approx(ref.high, abs=1e-12))


# ---------------------------------------------------------------------------- quantiles


def test_quantile_ci_of_uniform_sample_contains_true_quantile():
    x = np.random.default_rng(5).uniform(size=1000)
    for p in QUANTILES:
        q = quantile_ci(x, p)
        assert q.low <= p <= q.high
        assert q.low <= q.value <= q.high
        assert q.high - q.low < 0.1
        assert q.value == np.quantile(x, p, method="inverted_cdf")


def test_quantile_ci_coverage_is_at_least_nominal():
    # order-statistic intervals are exact-or-conservative for any continuous distribution
    samples = np.random.default_rng(8).uniform(size=(1000, 100))
    hits = np.mean([(q := quantile_ci(s, 0.9)).low <= 0.9 <= q.high for s in samples])
    assert 0.935 <= hits <= 0.985


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_quantile_ci_matches_scipy_quantile_test(p):
    x = np.random.default_rng(3).exponential(size=200)
    q = quantile_ci(x, p)
    ref = stats.quantile_test(x, q=float(np.median(x)), p=p).confidence_interval(0.95)
    assert (q.low, q.high) == (ref.low, ref.high)


def test_quantile_ci_ranks_by_hand_and_missing_bounds():
    # n = 10, p = 0.5: Binomial(10, 0.5) has P(K <= 1) = 0.0107 <= 0.025 < P(K <= 2) = 0.0547,
    # so the interval is [x(2), x(9)] (P(2 <= K <= 8) = 0.9785 >= 95%).
    q = quantile_ci(np.arange(1.0, 11.0), 0.5)
    assert (q.value, q.low, q.high, q.lo_rank, q.hi_rank) == (5.0, 2.0, 9.0, 2, 9)
    # P99 needs 0.99^n <= 0.025, i.e. n >= 368, for an upper bound
    assert min_trials_for_upper_bound(0.99) == 368
    assert quantile_ci(np.arange(367.0), 0.99).high == math.inf
    assert quantile_ci(np.arange(368.0), 0.99).high == 367.0
    assert quantile_ci(np.array([1.0, 2.0]), 0.5).low == -math.inf
    assert math.isnan(quantile_ci(np.array([math.nan]), 0.5).value)


def test_quantile_with_censored_values():
    x = np.array([*(np.arange(1.0, 9.0) * H), math.inf, math.inf, math.nan, math.nan])
    q50, q90 = quantile_ci(x, 0.5), quantile_ci(x, 0.9)
    assert (q50.n, q50.value, q50.low) == (10, 5 * H, 2 * H)
    assert q50.high == math.inf and q50.high_censored  # x(9) was never reached
    assert q90.value == math.inf  # 9th of 10 values is censored
    assert not quantile_ci(np.arange(30.0), 0.99).high_censored  # too few trials, not censored


# ---------------------------------------------------------------------------- summarise


@pytest.fixture
def day_scenario(scenario_factory):
    return scenario_factory(objectives=[{"id": "fast", "rto": "4h"}])


@pytest.fixture
def month_scenario(scenario_factory):
    return scenario_factory(simulation={"horizon": "30d"})


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def _censored_frame() -> pd.DataFrame:
    rto = [*(np.arange(1.0, 9.0) * H), math.inf, math.inf, math.nan, math.nan]
    rows = [{"trial": i, "error": None, "incidents": 0 if math.isnan(r) else 1,
             "rto_full_s": r, "customer_minutes_lost": 0.0 if math.isnan(r) else 1000.0 * i,
             "met.fast.rto": bool(r <= 4 * H)} for i, r in enumerate(rto)]
    rows.append({"trial": 12, "error": "ValueError: boom at x.py:3"})
    rows.append({"trial": 13, "error": "ValueError: boom at x.py:3"})
    rows.append({"trial": 14, "error": "KeyError: 'x' at y.py:9"})
    return _frame(rows)


def test_summary_counts_censored_and_not_applicable(day_scenario):
    s = summarise(_censored_frame(), day_scenario)
    assert (s.trials, s.failed, s.succeeded) == (15, 3, 12)
    assert [(e.message, e.count) for e in s.errors] == [
        ("ValueError: boom at x.py:3", 2), ("KeyError: 'x' at y.py:9", 1)]
    m = s.metric("rto_full_s")
    assert (m.n, m.censored, m.not_applicable) == (8, 2, 2)
    assert m.mean.value == pytest.approx(4.5 * H)  # over the finite values only
    assert m.sd == pytest.approx(np.std(np.arange(1.0, 9.0) * H, ddof=1))
    assert m.quantile(0.5).value == 5 * H
    assert [q.value for q in m.quantiles[1:]] == [math.inf] * 3
    p = s.proportion("met.fast.rto")  # 1h..4h met; failed trials left out
    assert (p.successes, p.estimate.n, p.estimate.value) == (4, 12, pytest.approx(4 / 12))
    assert s.annual is None
    text = " ".join(s.notes)
    assert "3 of 15 trials failed" in text
    assert "2 of 10 trials never got there within the horizon" in text
    assert "only the 8 trials that did, so they understate" in text
    assert "P90, P95 and P99 are 'not reached'" in text
    assert "Only 8 trials gave a value for rto_full_s" in text
    assert "a value in 10 of 12 trials" in text
    assert "P(met.fast.rto)" in text and "too wide" in text


def test_summary_to_dict_is_strict_json(day_scenario):
    d = summarise(_censored_frame(), day_scenario).to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    m = back["metrics"]["rto_full_s"]
    assert (m["n"], m["censored"], m["not_applicable"]) == (8, 2, 2)
    assert m["quantiles"]["p90"] == {"value": None, "censored": True, "low": 7 * H,
                                     "high": None, "high_censored": False}
    assert m["quantiles"]["p50"]["high"] is None and m["quantiles"]["p50"]["high_censored"]
    assert back["failed"] == 3 and back["errors"][0]["count"] == 2
    assert back["annual"] is None


def test_all_trials_failed(day_scenario):
    frame = _frame([{"trial": i, "error": "RuntimeError: x"} for i in range(2)])
    s = summarise(frame, day_scenario)
    assert s.failed == 2 and s.metrics == () and "nothing to summarise" in s.notes[-1]
    json.dumps(s.to_dict(), allow_nan=False)


def test_annualisation_by_hand(month_scenario):
    # horizon 30 d: scale = 365 / 30 = 12.1667
    frame = _frame([
        {"trial": 0, "error": None, "incidents": 1, "customer_minutes_lost": 100.0,
         "downtime_s": 2592.0, "unavailability": 0.001},
        {"trial": 1, "error": None, "incidents": 2, "customer_minutes_lost": 200.0,
         "downtime_s": 5184.0, "unavailability": 0.002},
        {"trial": 2, "error": None, "incidents": 3, "customer_minutes_lost": 600.0,
         "downtime_s": 7776.0, "unavailability": 0.003},
        {"trial": 3, "error": "boom"},
    ])
    a = summarise(frame, month_scenario).annual
    assert a is not None
    assert a.scale == pytest.approx(365 / 30)
    assert a.trials_with_outage == 3
    # availability 1 − mean(0.001, 0.002, 0.003) = 0.998; sd 0.001, t(0.975, 2) = 4.302653
    half = 4.302653 * 0.001 / math.sqrt(3)  # 0.0024841
    assert a.availability.value == pytest.approx(0.998)
    assert a.availability.low == pytest.approx(0.998 - half, abs=1e-6)
    assert a.availability.high == 1.0  # cut at 1
    # 0.002 of a 365-day year = 63,072 s; the worst group's 5,184 s per 30 d × 12.1667 likewise
    assert a.weighted_downtime_s.value == pytest.approx(63072.0)
    assert a.downtime_s.value == pytest.approx(63072.0)
    assert a.customer_minutes_lost.value == pytest.approx(3650.0)  # 300 × 365/30
    assert a.incidents.value == pytest.approx(24.3333, abs=1e-4)  # 2 × 365/30
    # customer-minutes: sd = sqrt(70000) = 264.575, sem 152.753, half 657.24 → low cut at 0
    assert a.customer_minutes_lost.low == 0.0
    assert a.customer_minutes_lost.high == pytest.approx((300 + 657.24) * 365 / 30, rel=1e-5)
    notes = " ".join(summarise(frame, month_scenario).notes)
    assert "by 365 days ÷ horizon = 12.17" in notes
    assert "Only 3 of 3 trials saw an outage" in notes


def test_no_outage_says_so(month_scenario):
    frame = _frame([{"trial": i, "error": None, "incidents": 0, "customer_minutes_lost": 0.0,
                     "downtime_s": 0.0, "unavailability": 0.0} for i in range(50)])
    s = summarise(frame, month_scenario)
    assert s.annual is not None and s.annual.availability.value == 1.0
    assert any("No trial saw an outage" in n and "7.1%" in n for n in s.notes)
    # Wilson 0 of 50: z²/(50 + z²) = 3.8415 / 53.8415 = 7.13%


def test_relative_half_width():
    x = np.array([10.0, 12.0, 9.0, 11.0, 13.0])
    frame = _frame([*({"trial": i, "error": None, "rto_full_s": v, "met.a.rto": v > 10}
                      for i, v in enumerate(x)), {"trial": 5, "error": "boom"}])
    expected = stats.t.ppf(0.975, 4) * x.std(ddof=1) / math.sqrt(5) / x.mean()
    assert relative_half_width(frame, "rto_full_s") == pytest.approx(expected)
    assert relative_half_width(frame, "rto_full") == pytest.approx(expected)  # `_s` optional
    assert relative_half_width(frame, "met.a.rto") == pytest.approx(
        wilson_ci(3, 5).half_width / 0.6)
    zero = _frame([{"trial": i, "error": None, "x": 0.0} for i in range(3)])
    assert relative_half_width(zero, "x") == math.inf
    assert relative_half_width(frame.iloc[:1], "rto_full_s") == math.inf
    with pytest.raises(ValueError, match="did you mean 'rto_full_s'"):
        relative_half_width(frame, "rto_ful_s")


# ---------------------------------------------------------------------------- real trials


def _trials(name: str, n: int, seed: int = 7):
    sc = validate(load(ROOT / "scenarios" / name))
    return sc, pd.DataFrame(run_batch(sc, seed, list(range(n))), columns=columns(sc))


def test_random_failures_year_summary():
    sc, frame = _trials("random-failures-year.yaml", 40)
    s = summarise(frame, sc)
    assert s.annual is not None and s.annual.scale == 1.0
    assert s.annual.availability.value == pytest.approx(1 - frame["unavailability"].mean())
    assert s.annual.incidents.value == pytest.approx(frame["incidents"].mean())
    assert {m.name for m in s.metrics} >= {"rto_full_s", "unavailability", "incidents"}
    assert all(p.name.startswith("met.") or p.name.startswith("all_") for p in s.proportions)
    json.dumps(s.to_dict(), allow_nan=False)


def test_deterministic_scenario_has_zero_width_intervals():
    sc, frame = _trials("warm-standby.yaml", 20)
    s = summarise(frame, sc)
    m = s.metric("rto_basic_s")
    assert m.sd == 0 and m.mean.half_width == 0
    assert any("same value for every metric" in n for n in s.notes)
    assert s.annual is None


# ---------------------------------------------------------------------------- renderer


def test_labels_and_formats():
    assert label("rto_full_s.consumer") == "time to full recovery: consumer"
    assert label("met.voice-rto.rto") == "voice-rto: rto met"
    assert format_value("rto_full_s", math.inf) == "not reached"
    assert format_value("rto_full_s", 5400.0) == "1h 30m"
    assert format_value("customer_minutes_lost", 1234567.4) == "1,234,567"
    assert format_value("unavailability", 0.000731) == "0.0731%"
    assert format_value("ttd_s", math.nan) == "—"


def test_render_summary(month_scenario):
    rows = [{"trial": i, "error": None, "incidents": 1, "rto_full_s": (i + 1) * 600.0,
             "customer_minutes_lost": 12345.0 + i, "downtime_s": 600.0,
             "unavailability": 600.0 / (30 * 86400), "met.x.rto": i % 2 == 0}
            for i in range(20)]
    rows[3]["rto_full_s"] = math.inf
    rows.append({"trial": 20, "error": "ZeroDivisionError: oops"})
    console = Console(record=True, width=200)
    render_summary(summarise(_frame(rows), month_scenario), console, quantile_intervals=True)
    out = console.export_text()
    for fragment in ("21 trials, 1 of 21 trials failed", "ZeroDivisionError: oops",
                     "time to full recovery", "not reached", "12,35", "99.9769%",
                     "Per year (365 days)", "x: rto met", "50.0%", "Notes",
                     "never got there within the horizon"):
        assert fragment in out, fragment
