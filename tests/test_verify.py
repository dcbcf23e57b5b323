"""drsim.verification: every canonical system, simulated, agrees with its exact answer.

The whole set runs once (module fixture), with each case's own trial count, which gives a 95%
CI half-width of about ±3% relative. The seed is pinned: at 95% a case misses by chance one
time in twenty, so over thirteen cases some seeds show a chance miss (each gone with more
trials; large runs of every case on other seeds agree with the analytic values within
their much narrower intervals). A persistent miss is an engine bug.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import typer
from typer.testing import CliRunner

from drsim import analytic
from drsim.cli.verify import verify as verify_command
from drsim.verification import cases, run_case, select, verify

SEED = 1
CASES = cases()


@pytest.fixture(scope="module")
def results():
    return {r.id: r for r in verify(seed=SEED)}


def test_case_ids_are_unique_and_every_scenario_validates():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        sc = case.scenario()
        assert sc.simulation.horizon > 0


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_simulated_value_agrees_with_analytic(results, case_id):
    r = results[case_id]
    assert r.errors == 0 and not r.problems, r.problems
    assert r.trials == r.case.trials
    assert r.ci[0] <= r.analytic <= r.ci[1], (
        f"{case_id}: analytic {r.analytic:.6g} outside the simulated 95% CI "
        f"[{r.ci[0]:.6g}, {r.ci[1]:.6g}] (mean {r.simulated:.6g}, {r.rel_error:+.2%})")
    assert r.rel_half_width <= 0.05, f"{case_id}: CI ±{r.rel_half_width:.1%} is too wide"
    assert r.passed


def test_analytic_values_of_the_cases():
    by_id = {c.id: c for c in CASES}
    assert by_id["mttff-1oo2"].analytic == pytest.approx(250 * 3600)  # (3λ+μ)/(2λ²), 100h/50h
    assert by_id["backup-data-lost"].analytic == pytest.approx(2 * 3600)  # interval/2
    assert by_id["unit-point"].analytic == pytest.approx(0.5 * (1 - math.exp(-1)))
    # time averages from "up" sit a little below the steady state
    assert 0.0900 < by_id["unit"].analytic < 1 / 11
    lam, mu = 1 / (100 * 3600), 1 / (50 * 3600)
    assert by_id["parallel-shared-crew"].analytic < (
        analytic.parallel2_shared_crew_unavailability(lam, mu))


def test_a_wrong_analytic_value_fails():
    case = select(["backup-data-lost"])[0]
    wrong = dataclasses.replace(case, analytic=case.analytic * 1.2)
    r = run_case(wrong, trials=300, seed=SEED, workers=1)
    assert not r.inside and not r.passed
    assert r.rel_error == pytest.approx(r.simulated / wrong.analytic - 1)


def test_censored_time_to_failure_is_reported():
    case = select(["mttff-1oo2"])[0]
    short = dataclasses.replace(case, yaml=case.yaml.replace(
        "horizon: 3750h", "horizon: 100h"))
    r = run_case(short, trials=40, seed=SEED, workers=1)
    assert not r.passed
    assert any("censored" in p for p in r.problems)


def test_select_unknown_case():
    with pytest.raises(ValueError, match="known: unit"):
        select(["nope"])


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(verify_command)
    return app


def test_cli_prints_the_table_and_exit_status():
    runner = CliRunner()
    ok = runner.invoke(_app(), ["--case", "backup-data-lost", "--trials", "300",
                                "--seed", str(SEED), "--workers", "1"])
    assert ok.exit_code == 0, ok.output
    assert "backup-data-lost" in ok.output and "PASS" in ok.output
    assert "1 of 1 cases passed" in ok.output
    bad = runner.invoke(_app(), ["--case", "nope"])
    assert bad.exit_code == 2
    assert "unknown case nope" in bad.output


def test_cli_exits_1_when_a_case_fails(monkeypatch):
    import drsim.verification as verification

    case = select(["backup-data-lost"])[0]
    wrong = dataclasses.replace(case, analytic=case.analytic * 1.5)
    monkeypatch.setattr(verification, "select", lambda ids: [wrong])
    result = CliRunner().invoke(_app(), ["--case", "backup-data-lost", "--trials", "200",
                                         "--workers", "1"])
    assert result.exit_code == 1
    assert "FAIL" in result.output
