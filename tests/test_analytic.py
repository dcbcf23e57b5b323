"""drsim.analytic: closed forms against Markov chains against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from drsim import analytic as an

HOUR = 3600.0
LAM, MU = 1 / (100 * HOUR), 1 / (10 * HOUR)  # MTTF 100 h, MTTR 10 h


# ---- Markov machinery --------------------------------------------------------------------


def test_generator_rows_sum_to_zero_and_bad_generators_are_refused():
    q = an.generator(3, {(0, 1): 2.0, (1, 2): 1.0, (2, 0): 3.0, (1, 0): 0.5})
    assert q.sum(axis=1) == pytest.approx([0, 0, 0])
    assert q[1, 1] == -1.5
    with pytest.raises(ValueError, match="sum to 0"):
        an.check_generator(np.array([[-1.0, 2.0], [1.0, -1.0]]))
    with pytest.raises(ValueError, match=">= 0"):
        an.check_generator(np.array([[1.0, -1.0], [1.0, -1.0]]))
    with pytest.raises(ValueError, match="square"):
        an.check_generator(np.zeros((2, 3)))


def test_steady_state_solves_pi_q_equals_zero():
    q = an.generator(3, {(0, 1): 2.0, (1, 2): 1.0, (2, 0): 3.0, (1, 0): 0.5})
    pi = an.steady_state(q)
    assert pi @ q == pytest.approx(np.zeros(3), abs=1e-12)
    assert pi.sum() == pytest.approx(1.0)
    assert (pi > 0).all()


def test_time_average_matches_numerical_integration_and_tends_to_steady_state():
    chain = an.parallel2_chain(LAM, MU, shared_crew=True)
    horizon = 300 * HOUR
    avg = an.time_average(chain.q, 0, horizon)
    for state in range(3):
        value, _ = integrate.quad(lambda t, s=state: an.transient(chain.q, 0, t)[s], 0, horizon,
                                  limit=200)
        assert avg[state] == pytest.approx(value / horizon, rel=1e-8)
    assert avg.sum() == pytest.approx(1.0)
    far = an.time_average(chain.q, 0, 1e6 * HOUR)
    assert far == pytest.approx(an.steady_state(chain.q), rel=1e-4)


def test_mean_time_to_absorption_of_a_single_exponential():
    q = an.generator(2, {(0, 1): 0.25})
    assert an.mean_time_to_absorption(q, [1], 0) == pytest.approx(4.0)
    assert an.mean_time_to_absorption(q, [1], 1) == 0.0
    assert an.survival(q, [1], 0, 2.0) == pytest.approx(math.exp(-0.5))


def test_independent_chains_combine_by_kronecker_sum():
    a, b = an.unit_chain(LAM, MU), an.unit_chain(2 * LAM, 3 * MU)
    q, states = an.independent([a, b])
    pi = an.steady_state(q)
    pa, pb = an.steady_state(a.q), an.steady_state(b.q)
    for k, (i, j) in enumerate(states):
        assert pi[k] == pytest.approx(pa[i] * pb[j])


# ---- one repairable unit -------------------------------------------------------------------


def test_unit_availability_by_hand():
    assert an.unit_availability(LAM, MU) == pytest.approx(10 / 11)
    assert 1 - an.unit_chain(LAM, MU).steady_unavailability() == pytest.approx(10 / 11)


def test_point_availability_by_hand_and_from_the_chain():
    assert an.point_availability(LAM, MU, 0.0) == 1.0
    t = 10 * HOUR  # (λ+μ)t = 1.1
    assert an.point_availability(LAM, MU, t) == pytest.approx(10 / 11 + math.exp(-1.1) / 11)
    assert an.point_availability(LAM, MU, t) == pytest.approx(an.transient(
        an.unit_chain(LAM, MU).q, 0, t)[0])
    assert an.point_availability(LAM, MU, 1e5 * HOUR) == pytest.approx(10 / 11)


def test_mean_availability_over_a_horizon():
    horizon = 2000 * HOUR
    # 10/11 + λ/((λ+μ)² T) (1 − e^{−(λ+μ)T}), (λ+μ)T = 22
    by_hand = 10 / 11 + (1 / 100) / (0.11**2 * 2000) * (1 - math.exp(-22))
    assert an.mean_availability(LAM, MU, horizon) == pytest.approx(by_hand)
    assert 1 - an.unit_chain(LAM, MU).mean_unavailability(horizon) == pytest.approx(by_hand)
    value, _ = integrate.quad(lambda t: an.point_availability(LAM, MU, t), 0, horizon,
                              limit=200)
    assert an.mean_availability(LAM, MU, horizon) == pytest.approx(value / horizon)


# ---- series, parallel, k-out-of-n -------------------------------------------------------------


def test_series_product_and_chain():
    units = [(LAM, MU), (1 / (500 * HOUR), 1 / (20 * HOUR)), (1 / (250 * HOUR), 1 / (5 * HOUR))]
    a = [an.unit_availability(lam, mu) for lam, mu in units]
    assert an.series_availability(a) == pytest.approx(10 / 11 * 25 / 26 * 50 / 51)
    q, states = an.independent([an.unit_chain(lam, mu) for lam, mu in units])
    chain = an.Chain(q, (states == 0).all(axis=1))
    assert 1 - chain.steady_unavailability() == pytest.approx(an.series_availability(a))
    horizon = 150 * HOUR
    assert an.series_mean_availability(units, horizon) == pytest.approx(
        1 - chain.mean_unavailability(horizon), rel=1e-10)
    assert an.series_mean_availability(units, 1e7 * HOUR) == pytest.approx(
        an.series_availability(a), rel=1e-5)


def test_two_in_parallel_with_independent_repair():
    # each unit down 1/11 of the time: the pair 1/121
    assert 1 - an.parallel_availability([10 / 11, 10 / 11]) == pytest.approx(1 / 121)
    chain = an.parallel2_chain(LAM, MU)
    assert chain.steady_unavailability() == pytest.approx(1 / 121)
    q, states = an.independent([an.unit_chain(LAM, MU)] * 2)
    both_down = an.Chain(q, (states == 0).any(axis=1))
    horizon = 200 * HOUR
    assert chain.mean_unavailability(horizon) == pytest.approx(
        both_down.mean_unavailability(horizon), rel=1e-10)


def test_two_in_parallel_with_one_shared_crew():
    # π₀ : π₁ : π₂ = 1 : 2λ/μ : 2λ²/μ² = 1 : 0.2 : 0.02 → π₂ = 0.02 / 1.22
    assert an.parallel2_shared_crew_unavailability(LAM, MU) == pytest.approx(0.02 / 1.22)
    assert an.parallel2_chain(LAM, MU, shared_crew=True).steady_unavailability() == (
        pytest.approx(0.02 / 1.22))
    # one crew is worse than two
    assert an.parallel2_shared_crew_unavailability(LAM, MU) > 1 / 121


def test_mttff_1oo2_closed_form_equals_the_chain():
    # (3λ + μ) / (2λ²) with λ = 0.01/h, μ = 0.1/h: 0.13 / 0.0002 = 650 h
    assert an.mttff_1oo2(LAM, MU) == pytest.approx(650 * HOUR)
    for crew in (False, True):
        chain = an.parallel2_chain(LAM, MU, shared_crew=crew)
        assert chain.mean_time_to_failure() == pytest.approx(650 * HOUR)
    # without repair it is 1/(2λ) + 1/λ = 150 h
    assert an.mttff_1oo2(LAM, 0.0) == pytest.approx(150 * HOUR)
    # the survival function integrates to the mean
    chain = an.parallel2_chain(LAM, MU)
    value, _ = integrate.quad(chain.survival, 0, 20 * 650 * HOUR, limit=200)
    assert value == pytest.approx(650 * HOUR, rel=1e-6)


@pytest.mark.parametrize(("n", "k"), [(1, 1), (2, 1), (2, 2), (3, 2), (4, 2), (5, 3)])
def test_k_of_n_binomial_equals_the_chain(n, k):
    a = an.unit_availability(LAM, MU)
    by_hand = sum(math.comb(n, j) * a**j * (1 - a) ** (n - j) for j in range(k, n + 1))
    assert an.k_of_n_availability(n, k, a) == pytest.approx(by_hand)
    chain = an.k_of_n_chain(n, k, LAM, MU)
    assert 1 - chain.steady_unavailability() == pytest.approx(by_hand)
    horizon = 100 * HOUR
    assert an.k_of_n_mean_availability(n, k, LAM, MU, horizon) == pytest.approx(
        1 - chain.mean_unavailability(horizon), rel=1e-9)


def test_two_of_four_by_hand():
    # a = 0.7: P(fewer than 2 up) = 0.3⁴ + 4·0.7·0.3³ = 0.0081 + 0.0756
    assert 1 - an.k_of_n_availability(4, 2, 0.7) == pytest.approx(0.0837)


def test_special_cases_agree():
    a = an.unit_availability(LAM, MU)
    assert an.k_of_n_availability(3, 3, a) == pytest.approx(an.series_availability([a] * 3))
    assert an.k_of_n_availability(3, 1, a) == pytest.approx(an.parallel_availability([a] * 3))


# ---- cold standby -------------------------------------------------------------------------


def test_cold_standby_instant_switchover():
    # (1 − c) λ/(λ+μ): c = 0.9 → 0.1/11
    assert an.cold_standby_unavailability(LAM, MU, 0.9) == pytest.approx(0.1 / 11)
    chain = an.cold_standby_chain(LAM, MU, 0.9)
    assert chain.steady_unavailability() == pytest.approx(0.1 / 11)
    assert an.cold_standby_chain(LAM, MU, 1.0).steady_unavailability() == pytest.approx(0.0)
    assert an.cold_standby_chain(LAM, MU, 0.0).steady_unavailability() == pytest.approx(1 / 11)


def test_cold_standby_switchover_time():
    # a very fast switchover tends to the instantaneous answer
    fast = an.cold_standby_chain(LAM, MU, 0.9, sigma=1e4 / HOUR)
    assert fast.steady_unavailability() == pytest.approx(0.1 / 11, rel=1e-3)
    # a perfect but slow switchover: service is down for min(R, S) per failure, and (with the
    # primary's re-failure during a switchover being the only coupling) never worse than
    # without a standby
    sigma = 1 / HOUR
    perfect = an.cold_standby_chain(LAM, MU, 1.0, sigma)
    per_failure = 1 / (MU + sigma)  # E[min(R, S)] of two exponentials
    approx = LAM * per_failure / (1 + LAM / MU)
    assert perfect.steady_unavailability() == pytest.approx(approx, rel=0.02)
    assert perfect.steady_unavailability() < 1 / 11


# ---- data lost under periodic backups -----------------------------------------------------------


def test_backup_data_lost():
    assert an.backup_data_lost_mean(4 * HOUR) == pytest.approx(2 * HOUR)
    assert an.backup_data_lost_mean(4 * HOUR, 0, 24 * HOUR) == pytest.approx(2 * HOUR)
    # a uniform failure in [1 h, 3 h] with backups every 4 h loses 2 h on average
    assert an.backup_data_lost_mean(4 * HOUR, HOUR, 3 * HOUR) == pytest.approx(2 * HOUR)
    # in [3 h, 5 h]: half the time 3..4 (mean 3.5), half 0..1 (mean 0.5) → 2 h
    assert an.backup_data_lost_mean(4 * HOUR, 3 * HOUR, 5 * HOUR) == pytest.approx(2 * HOUR)
    # in [0, 2 h]: 1 h
    assert an.backup_data_lost_mean(4 * HOUR, 0, 2 * HOUR) == pytest.approx(HOUR)
    with pytest.raises(ValueError):
        an.backup_data_lost_mean(4 * HOUR, 2 * HOUR, 2 * HOUR)


# ---- active/passive -----------------------------------------------------------------------------


def test_failover_downtime_mean():
    mu, f = MU, 0.5 * HOUR
    assert an.failover_downtime_mean(mu, f) == pytest.approx((1 - math.exp(-mu * f)) / mu)
    # uniform failover time: the average of the fixed answers
    value, _ = integrate.quad(lambda d: an.failover_downtime_mean(mu, d), f, 2 * f)
    assert an.failover_downtime_mean(mu, f, f) == pytest.approx(value / f)
    # no standby at all (infinite failover): the whole repair
    assert an.failover_downtime_mean(mu, 1e9 * HOUR) == pytest.approx(1 / mu)


def test_active_passive_by_hand():
    f = 0.5 * HOUR  # λμ/(λ+μ) · (1 − e^{−μF})/μ = λ (1 − e^{−0.05}) / (λ + μ)
    assert an.active_passive_unavailability(LAM, MU, f) == pytest.approx(
        (1 - math.exp(-0.05)) / 11)
    # an infinite failover time is a single unit
    assert an.active_passive_unavailability(LAM, MU, 1e9 * HOUR) == pytest.approx(1 / 11)


def test_active_passive_over_a_horizon():
    f, j = 20 * 60.0, 10 * 60.0
    steady = an.active_passive_unavailability(LAM, MU, f, j)
    assert an.active_passive_mean_unavailability(LAM, MU, f, j, 1e6 * HOUR) == pytest.approx(
        steady, rel=1e-4)
    # starting up, the primary fails more often early on than in the long run
    assert an.active_passive_mean_unavailability(LAM, MU, f, j, 50 * HOUR) > steady
    # a fixed failover time: the same as a very narrow uniform one
    assert an.active_passive_mean_unavailability(LAM, MU, f, 0.0, 500 * HOUR) == pytest.approx(
        an.active_passive_mean_unavailability(LAM, MU, f, 1e-3, 500 * HOUR), rel=1e-5)
    # brute force: ∫₀ᵀ λ A(s) E[min(R, D, T − s)] ds / T
    horizon = 30 * HOUR

    def g(v: float) -> float:
        value, _ = integrate.quad(
            lambda u: math.exp(-MU * u) * min(1.0, max(0.0, (f + j - u) / j)), 0, v,
            points=[f, f + j] if v > f + j else None, limit=200)
        return value

    brute, _ = integrate.quad(lambda s: LAM * an.point_availability(LAM, MU, s) * g(horizon - s),
                              0, horizon, limit=200)
    assert an.active_passive_mean_unavailability(LAM, MU, f, j, horizon) == pytest.approx(
        brute / horizon, rel=1e-6)
