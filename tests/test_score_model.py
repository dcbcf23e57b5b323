"""drsim score against closed forms: a step with an exponential duration, drills drawn from
the scenario that generated them (inside the band about 90% of the time), drills made slower
(flagged), and the PIT calibration check over many drills (KS test against uniform)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_score_figures import scenario

from drsim.calibrate.observed import Observed, observe
from drsim.calibrate.score import (
    calibrate_drills,
    calibration,
    pit,
    place,
    record_of_run,
    score_drill,
    simulate_figures,
)
from drsim.sim.engine import Drill

MEAN_S = 900.0  # the switch step: exponential, mean 15 m; everything else is fixed
SWITCH = "step_s.failover.switch"
TRIALS = 400


@pytest.fixture(scope="module")
def model():
    return scenario(switch="{exponential: {mean: 15m}}")


@pytest.fixture(scope="module")
def sims(model):
    # seed 2: each check below holds with probability 95% for a given sample; seed 1's 400
    # trials are a 1-in-40 sample (KS p = 0.026 against the exponential: 21% below 5 m, where
    # 28% are expected), which fails the 5 m check, while 3,000 trials of seed 11 fit (p = 0.58)
    return simulate_figures(model, TRIALS, seed=2)


@pytest.fixture(scope="module")
def drawn(model):
    """100 drills drawn from the model with another seed (trials 0..99 of seed 99)."""
    return [record_of_run(Drill(model, 99, i).run(), f"d{i}") for i in range(100)]


@pytest.mark.parametrize("minutes", [5, 15, 45])
def test_an_exponential_step_places_x_at_one_minus_exp_of_minus_x_over_m(sims, minutes):
    s = place(Observed(SWITCH, minutes * 60.0, "hand"), sims[SWITCH])
    assert s is not None and s.n == TRIALS
    # P(X < x) = 1 − exp(−x/m): 5 m → 0.2835, 15 m → 0.6321, 45 m → 0.9502
    truth = 1 - math.exp(-minutes * 60.0 / MEAN_S)
    assert s.ci[0] <= truth <= s.ci[1]
    assert s.ci[1] - s.ci[0] < 0.1  # ±1.96 √(p(1−p)/400) ≤ ±0.049
    # recovery = 18 m to declare + 10 m prepare + X: the same quantile, shifted by 28 m
    r = place(Observed("rto_basic_s", (28 + minutes) * 60.0, "hand"), sims["rto_basic_s"])
    assert r is not None and r.ci[0] <= truth <= r.ci[1]


def test_drills_drawn_from_the_model_land_inside_the_band_about_90_percent(model, sims, drawn):
    # Only X (the switch step) varies, and rto_basic = 28 m + X moves with it: a drill is
    # inside when 5% ≤ F(X) ≤ 95%, probability 0.90 per drill. Over 100 independent drills
    # the count inside is Binomial(100, 0.9): P(≤ 79) = 0.0008 and P(≥ 98) = 0.0019, so
    # 80..97 holds with probability 0.997 (the 400-trial band adds ±1.1 points per tail).
    inside = 0
    for record in drawn:
        scores = score_drill(observe(record, model, {"users": ["users"]}), sims)
        assert len(scores) == 10  # every figure observed and simulated
        inside += not any(s.outside for s in scores)
        assert {s.key for s in scores if s.outside} <= {SWITCH, "rto_basic_s",
                                                        "rto_basic_s.users"}
    assert 80 <= inside <= 97


def test_a_drill_three_times_slower_is_flagged(model, sims, drawn):
    flagged_step = 0
    for record in drawn:
        observed = observe(record, model, {"users": ["users"]})
        slow = {k: Observed(k, 3 * o.value_s, "×3") for k, o in observed.items()}
        scores = {s.key: s for s in score_drill(slow, sims)}
        # detection (8 m → 24 m) alone is past every trial: the drill is always flagged
        assert scores["ttd_s"].flag == "above P95"
        flagged_step += scores[SWITCH].flag == "above P95"
    # the exponential step alone: 3X is above the simulated P95 (m ln 20) when X > m ln 20 / 3,
    # probability exp(−ln 20 / 3) = 20^(−1/3) = 0.368; Binomial(100, 0.368) is within
    # 23..51 with probability 0.9975
    assert 23 <= flagged_step <= 51


def _pits_of(values_s: np.ndarray, sims) -> list:
    return [[s for s in [place(Observed(SWITCH, float(x), "drawn"), sims[SWITCH])] if s]
            for x in values_s]


def test_uniform_pit_values_pass_the_ks_test_most_of_the_time():
    # under the null the KS test at 5% passes with probability 0.95; over 40 sets of 30
    # values the passes are Binomial(40, 0.95): P(≤ 33) = 0.0034
    rng = np.random.default_rng(4)
    passes = sum(calibration(rng.uniform(size=30)).p_value >= 0.05 for _ in range(40))
    assert passes >= 34


def test_drills_drawn_from_the_model_are_calibrated(sims):
    rng = np.random.default_rng(5)
    passes = 0
    for _ in range(20):
        check = calibrate_drills(_pits_of(rng.exponential(MEAN_S, size=30), sims), seed=1)
        passes += check.verdict.startswith("consistent")
    assert passes >= 16  # Binomial(20, 0.95): P(≤ 15) = 0.0026


def test_drills_one_and_a_half_times_the_model_are_systematically_optimistic(sims):
    # observed 1.5 X: PIT = 1 − exp(−1.5X/m) has CDF G(u) = 1 − (1−u)^(2/3); the KS distance
    # sup |G(u) − u| = 19/27 − (1 − (8/27)^(2/3)) = 4/27 = 0.148 (at u = 19/27), against the
    # 5% critical value 1.358/√200 = 0.096; its mean is 1 − 1/2.5 = 0.6, z = 0.1 √(12 · 200) = 4.9
    rng = np.random.default_rng(6)
    fails = 0
    for _ in range(10):
        check = calibrate_drills(_pits_of(1.5 * rng.exponential(MEAN_S, size=200), sims))
        fails += check.p_value < 0.05
        assert check.mean == pytest.approx(0.6, abs=0.06)
        if check.p_value < 0.05:
            assert check.verdict.startswith("systematically optimistic")
    assert fails >= 9


def test_drills_faster_than_the_model_are_pessimistic_and_a_u_shape_too_confident(sims):
    rng = np.random.default_rng(7)
    fast = calibrate_drills(_pits_of(0.5 * rng.exponential(MEAN_S, size=200), sims))
    # PIT = 1 − exp(−X/2m): mean 1 − 1/1.5 = 1/3
    assert fast.p_value < 0.05 and fast.mean == pytest.approx(1 / 3, abs=0.05)
    assert fast.verdict.startswith("systematically pessimistic")
    # arcsine (Beta(½, ½)) PITs: mean ½, 41% of them beyond 0.1 or 0.9 (uniform: 20%)
    wide = calibration(rng.beta(0.5, 0.5, size=400))
    assert wide.p_value < 0.05 and wide.verdict.startswith("too confident")
    assert sum(wide.histogram) == 400 and wide.histogram[0] > 400 / 10 * 1.5


def test_a_lower_bound_counts_as_uniform_above_its_own_percentile(sims):
    # a step stopped at 15 m (the model's F = 1 − e^−1 = 0.632): under the model the real
    # duration's PIT is uniform on [0.632, 1], mean (0.632 + 1)/2 = 0.816
    s = place(Observed(SWITCH, 900.0, "timebox", at_least=True), sims[SWITCH])
    assert s is not None
    rng = np.random.default_rng(8)
    values = np.array([pit(s, rng) for _ in range(2000)])
    low = s.below + s.equal
    assert values.min() >= low and values.max() <= 1.0
    assert low == pytest.approx(1 - math.exp(-1), abs=0.05)
    assert values.mean() == pytest.approx((low + 1) / 2, abs=0.01)  # sd 0.106/√2000 = 0.0024
    # and such bounds are in the calibration: 3 drills, one a lower bound → 3 values
    assert calibrate_drills([[s], [s], [s]]).n == 3
