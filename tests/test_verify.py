"""drsim.verification: exact answers worked out by hand, the statistics of the test (Holm,
detectable bias, trial counts), and that `drsim verify` fails on a 2% bias.

The full verification (15 cases × 3 seeds, each sized to detect a 2% bias with 90% power)
takes minutes; here one case runs at full strength (one seed, so a family of one test) with
and without a deliberate +2% bias in its metric, and every case runs once at low strength
to catch a gross disagreement.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import drsim.verification as verification
from drsim import analytic
from drsim.cli.verify import verify as verify_command
from drsim.verification import (
    HOUR,
    CaseResult,
    ExpSum,
    Plan,
    Sample,
    SeedResult,
    cases,
    detectable_bias,
    holm,
    select,
    trials_needed,
    verify,
)

CASES = {c.id: c for c in cases()}
Z995, Z90 = 2.5758293035489, 1.2815515655446008  # Φ⁻¹(0.995), Φ⁻¹(0.9)


# ---- the exact answers ---------------------------------------------------------------------


def test_case_ids_are_unique_and_every_scenario_validates():
    assert len(CASES) == len(cases()) == 15
    for case in CASES.values():
        assert case.scenario().simulation.horizon > 0
        assert case.cv > 0 and case.formula


def test_expected_values_worked_by_hand():
    # unit: λ = 1/10h, μ = 1/20h, s = 0.15/h, T = 2000h: λ/s − λ/(s²T) = 2/3 − 0.1/(0.0225·2000)
    assert CASES["unit"].expected == pytest.approx(2 / 3 - 0.1 / 45, rel=1e-12)
    # unit-point: λ = 1/2h, μ = 1/8h, s = 0.625/h, t = 10h: 0.8 (1 − e^{−6.25})
    assert CASES["unit-point"].expected == pytest.approx(0.8 * (1 - math.exp(-6.25)))
    # parallel: q = (2/3)(1 − e^{−st}), mean of q² over T: (4/9)(1 − 2/(sT) + 1/(2sT)), sT = 300
    assert CASES["parallel"].expected == pytest.approx(4 / 9 * (1 - 2 / 300 + 1 / 600),
                                                       rel=1e-12)
    # backup: λ = 1/4h, I = 4h: 4h − 4h/(e − 1); in units of I, E[R²] = (2 − 5/e)/(1 − 1/e)
    # = 0.254070, E[R] = 0.418023, sd = √(0.254070 − 0.174743) = 0.281651, cv = 0.67377
    assert CASES["backup-data-lost"].expected == pytest.approx((4 - 4 / (math.e - 1)) * HOUR)
    assert CASES["backup-data-lost"].cv == pytest.approx(0.67377, abs=2e-5)
    # 2-of-4, q∞ = 0.6: steady 4q³ − 3q⁴ = 0.864 − 0.3888 = 0.4752; the time average from
    # 'up' sits below it
    assert 0.47 < CASES["k-of-n"].expected < 0.4752
    # series, steady: 1 − (2/3)(3/4)(1/2) = 0.75, a little less from 'up'
    assert 0.745 < CASES["series"].expected < 0.75
    # Weibull k = 10, η = 10h: E = η Γ(1.1) = 9.51351h; cv² = Γ(1.2)/Γ(1.1)² − 1
    assert CASES["repair-weibull"].expected == pytest.approx(9.513507699 * HOUR)
    assert CASES["repair-weibull"].cv == pytest.approx(0.1203, abs=1e-4)
    # lognormal median 100h, p90 120h: σ = ln 1.2 / 1.281552 = 0.142264, mean 100 e^{σ²/2}
    assert CASES["failure-lognormal"].expected == pytest.approx(101.0171 * HOUR, rel=1e-5)


def test_mttff_restricted_mean_tends_to_the_textbook_mttff():
    lam = mu = 1 / (10 * HOUR)  # (3λ + μ)/(2λ²) = 0.4/0.02 = 20 h
    assert verification.mttff_restricted_1oo2(lam, mu, 1e4 * HOUR) == pytest.approx(20 * HOUR)
    # small H: nothing fails yet, E[min(T, H)] ≈ H
    assert verification.mttff_restricted_1oo2(lam, mu, 60.0) == pytest.approx(60.0, rel=1e-6)


def test_ctmc_deviation_matrix_matches_the_two_state_closed_form():
    lam, mu, t = 1 / (10 * HOUR), 1 / (20 * HOUR), 2000 * HOUR
    two = verification.ctmc_time_average_down(2, {(0, 1): lam, (1, 0): mu}, [1], t)
    assert two == pytest.approx(verification.unit_time_average_down(lam, mu, t), rel=1e-10)
    with pytest.raises(ValueError, match="horizon too short"):
        verification.ctmc_time_average_down(2, {(0, 1): lam, (1, 0): mu}, [1], 10 * HOUR)


def test_exp_sum_average_is_the_integral():
    f = ExpSum.down(0.3, 0.7) * ExpSum.down(0.3, 0.7)  # 0.09 (1 − e^{−t})²
    # (1/T)∫₀ᵀ 0.09(1 − 2e^{−t} + e^{−2t}) dt at T = 2: 0.09 (1 − (1 − e^{−2}) + (1 − e^{−4})/4)
    assert f.mean(2.0) == pytest.approx(0.09 * (math.exp(-2) + (1 - math.exp(-4)) / 4))
    assert f.at(0.0) == pytest.approx(0.0, abs=1e-15)


def test_independent_of_drsim_analytic_yet_agreeing_with_it():
    """Two implementations by different methods (here: ExpSum, deviation matrix; there:
    quadrature, Van Loan matrix exponential) give the same numbers."""
    t = 2000 * HOUR
    lam, mu = 1 / (10 * HOUR), 1 / (20 * HOUR)
    assert CASES["parallel-shared-crew"].expected == pytest.approx(
        analytic.parallel2_chain(lam, mu, True).mean_unavailability(t), rel=1e-8)
    assert CASES["k-of-n"].expected == pytest.approx(
        1 - analytic.k_of_n_mean_availability(4, 2, 1 / (10 * HOUR), 1 / (15 * HOUR), t),
        rel=1e-8)
    units = [(1 / (a * HOUR), 1 / (b * HOUR)) for a, b in ((20, 10), (15, 5), (10, 10))]
    assert CASES["series"].expected == pytest.approx(
        1 - analytic.series_mean_availability(units, t), rel=1e-10)
    lam, mu = 1 / (5 * HOUR), 1 / (10 * HOUR)
    assert CASES["cold-standby"].expected == pytest.approx(
        analytic.cold_standby_chain(lam, mu, 0.5, 1 / (2 * HOUR)).mean_unavailability(t),
        rel=1e-8)
    lam, mu = 1 / (10 * HOUR), 1 / (10 * HOUR)
    assert CASES["standby-cold"].expected == pytest.approx(
        analytic.standby_units_chain(lam, mu, 0.8, 1 / (2 * HOUR)).mean_unavailability(t),
        rel=1e-8)
    mu = 1 / (20 * HOUR)
    assert CASES["standby-warm"].expected == pytest.approx(
        analytic.standby_units_chain(lam, mu, 1.0, None, 0.5).mean_unavailability(t),
        rel=1e-8)
    rates = [(1 / (a * HOUR), 1 / (b * HOUR)) for a, b in ((20, 10), (40, 20), (10, 2))]
    assert CASES["series-suspended"].expected == pytest.approx(
        analytic.series_suspended_chain(rates).mean_unavailability(t), rel=1e-8)
    lam, mu = 1 / (2 * HOUR), 1 / HOUR
    assert CASES["active-passive"].expected == pytest.approx(
        analytic.active_passive_mean_unavailability(lam, mu, 1200, 600, 500 * HOUR), rel=1e-6)


# ---- the statistics -------------------------------------------------------------------------


def test_holm_step_down_by_hand():
    # α = 0.05, m = 4: sorted 0.005 ≤ 0.05/4 ✓, 0.01 ≤ 0.05/3 ✓, 0.03 > 0.05/2 → stop
    assert holm([0.01, 0.04, 0.03, 0.005], 0.05) == [True, False, False, True]
    # Bonferroni would reject only p ≤ 0.0125; Holm's later steps are looser
    assert holm([0.012, 0.02, 0.04], 0.05) == [True, True, True]  # ≤ 0.0167, ≤ 0.025, ≤ 0.05
    assert holm([0.2, math.nan], 0.05) == [False, False]


def test_detectable_bias_formula_for_a_known_standard_error():
    # one test, one seed: (z_{0.995} + z_{0.9}) · 0.5% = 3.8574 · 0.005
    assert detectable_bias(0.005, 0.01, 1, 0.9, 1) == pytest.approx(3.857381 * 0.005, rel=1e-6)
    # 13 cases × 3 seeds: z_{1 − 0.01/78} = 3.65577; z_p with 1 − 0.1^{1/3} = 0.53584: 0.08996
    assert detectable_bias(0.004, 0.01, 39, 0.9, 3) == pytest.approx(
        (3.655771 + 0.089962) * 0.004, rel=1e-6)
    # with an estimated variance the critical value is Student t's: t_{99; 0.995} = 2.62640
    assert detectable_bias(0.005, 0.01, 1, 0.9, 1, df=99) == pytest.approx(
        (2.626405 + 1.281552) * 0.005, rel=1e-6)
    # trials, known variance: ⌈(3.8574 · 0.065 / 0.02)²⌉ = ⌈157.17⌉ = 158; with t: at n = 159
    # (2.60730 + 1.28155) · 0.065/√159 = 2.0046% > 2%, at 160 (2.60710 + 1.28155) · 0.065/√160
    # = 1.9983%
    assert trials_needed(0.065, 0.01, 1, 0.9, 1, 0.02, t_test=False) == 158
    assert trials_needed(0.065, 0.01, 1, 0.9, 1, 0.02) == 160


def test_reported_detectable_bias_uses_the_worst_seed():
    case = CASES["unit"]
    plan = Plan(tests=6, seeds=2)
    runs = tuple(SeedResult(s, Sample(case.expected, se, 100), 100, 0, (), 0.0, case.expected)
                 for s, se in ((1, 0.002), (2, 0.003)))
    r = CaseResult(case, runs, plan)
    # (t_{99; 1 − 0.01/12} + Φ⁻¹(1 − 0.1^{1/2})) · 0.003 / (2/3 − 0.1/45)
    assert r.detectable_bias == pytest.approx((3.232610 + 0.478274) * 0.003 / 0.664444, rel=1e-5)
    assert r.passed and r.rel_error == 0.0
    # pooled: (n·se)² summed, over Σn: √(0.2² + 0.3²)/200
    assert r.se == pytest.approx(math.sqrt(0.2**2 + 0.3**2) / 200)


def test_detectable_bias_is_detected_90_percent_of_the_time():
    """Synthetic check of the power statement with a known variance: 3 seeds whose means are
    normal with relative SE 1% around a value biased by exactly the detectable bias, judged
    with 10 other true-null tests by Holm at 1%: the case fails ≈ 90% of the time."""
    rng = np.random.default_rng(0)
    plan = Plan(tests=13, seeds=3)
    delta = plan.detectable(0.01)
    reps, fails = 4000, 0
    for _ in range(reps):
        z_case = rng.normal(delta / 0.01, 1.0, 3)
        z_null = rng.normal(0.0, 1.0, 10)
        p = [math.erfc(abs(z) / math.sqrt(2)) for z in (*z_case, *z_null)]
        fails += any(holm(p, plan.alpha)[:3])
    # binomial SE at 0.9 over 4000: 0.0047; Holm is a little stronger than Bonferroni
    assert 0.88 <= fails / reps <= 0.94


def test_planned_trials_give_the_2_percent_detectable_bias():
    plan = Plan(tests=45, seeds=3)
    for case in CASES.values():
        n = plan.trials(case)
        df = None if case.measure is verification.down_at_horizon else n - 1
        assert plan.detectable(case.cv / math.sqrt(n), df) <= 0.95 * 0.02 + 1e-12
        assert plan.detectable(case.cv / math.sqrt(n - 1), df) > 0.95 * 0.02 * 0.99


# ---- simulation ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_look():
    """Every case at low strength (8 trials, one seed): catches a gross disagreement."""
    return {r.id: r for r in verify(trials=8, seeds=1, seed=11)}


@pytest.mark.parametrize("case_id", list(CASES))
def test_every_case_agrees_at_low_strength(quick_look, case_id):
    r = quick_look[case_id]
    assert r.trials == 8 and not r.problems, r.problems
    assert r.passed, f"{case_id}: {r.simulated:.6g} vs exact {r.expected:.6g}"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(verify_command)
    return app


def _biased(monkeypatch, column: str, factor: float) -> None:
    """A deliberately biased simulator: every trial's `column` is `factor` times too big."""
    real = verification.run_trials

    def run_trials(*args, **kwargs):
        result = real(*args, **kwargs)
        result.frame[column] = result.frame[column] * factor
        return result

    monkeypatch.setattr(verification, "run_trials", run_trials)


FULL_STRENGTH = ["--case", "unit", "--seeds", "1", "--seed", "3", "--workers", "1"]


def test_unbiased_case_at_full_strength_passes():
    out = CliRunner().invoke(_app(), FULL_STRENGTH)
    assert out.exit_code == 0, out.output
    assert "PASS" in out.output and "1 of 1 cases passed" in out.output
    for column in ("closed form", "simulated ± CI", "detectable bias", "seeds"):
        assert column in out.output
    # one test, sized for 95% of 2%: (t_{175; 0.995} + 1.28155) · 0.065/√176 = 1.9039% > 1.9%,
    # at 177 trials 1.8984%
    assert "177" in out.output


def test_a_2_percent_bias_in_the_metric_fails(monkeypatch):
    _biased(monkeypatch, "unavailability", 1.02)
    out = CliRunner().invoke(_app(), FULL_STRENGTH)
    assert out.exit_code == 1, out.output
    assert "FAIL" in out.output and "0 of 1 cases passed" in out.output


def test_a_2_percent_bias_fails_the_whole_family(monkeypatch):
    """Three seeds, Holm over 3 tests at full strength: the case biased by −2% is rejected
    on at least one seed (unbiased it passes: test_unbiased_case_at_full_strength_passes)."""
    _biased(monkeypatch, "unavailability", 0.98)
    [r] = verify(select(["unit"]), seed=5, seeds=3)
    assert r.trials == 3 * 112  # ≈ ((t_{111; 1−0.01/6} + 0.0900) · 0.065/0.019)²
    assert r.detectable_bias <= 0.02
    assert not r.passed and any(s.rejected for s in r.runs)


def test_cli_says_when_trials_are_too_few_for_the_bias():
    out = CliRunner().invoke(_app(), ["--case", "repair-weibull", "--trials", "30", "--seeds",
                                      "1", "--workers", "1"])
    # (t_{29; 0.995} + 1.28155) · 0.1203/√30 = (2.75639 + 1.28155) · 0.021964 ≈ 8.9%
    assert out.exit_code == 0, out.output
    assert "Too few trials to see a 2% bias in repair-weibull (±" in out.output


def test_cli_refuses_unknown_cases_and_two_selections():
    runner = CliRunner()
    bad = runner.invoke(_app(), ["--case", "nope"])
    assert bad.exit_code == 2 and "unknown case nope" in bad.output
    both = runner.invoke(_app(), ["--case", "unit", "--quick"])
    assert both.exit_code == 2 and "--quick" in both.output


def test_repair_times_2_percent_too_long_fail(monkeypatch):
    """A biased engine rather than a biased metric: every Weibull draw (the repair time of
    the repair-weibull case) 2% too long. Run in this process so the patch applies."""
    import drsim.distributions as distributions

    [ok] = verify(select(["repair-weibull"]), seed=2, seeds=1, workers=1)
    assert ok.passed and ok.detectable_bias <= 0.02
    real = distributions._SAMPLERS["weibull"]
    monkeypatch.setitem(distributions._SAMPLERS, "weibull",
                        lambda rng, *params: 1.02 * real(rng, *params))
    [r] = verify(select(["repair-weibull"]), seed=2, seeds=1, workers=1)
    assert not r.passed and r.rel_error == pytest.approx(0.02, abs=0.01)
