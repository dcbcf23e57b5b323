"""Pre-flight limits: work that cannot finish is refused before it starts, with the estimate,
unless --force; an --until metric no trial produces stops the run with a message."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ROOT
from test_cli_options import TINY
from typer.testing import CliRunner

from drsim import preflight
from drsim.cli import app
from drsim.cli import compare as compare_module
from drsim.cli import run as run_module
from drsim.scenario import parse_scenario

runner = CliRunner()
FORCE = "; pass --force to run it anyway"


def tiny(ttf: str = "5d", count: int = 1, failures: bool = True) -> str:
    text = (TINY % ("4h", 100)).replace("count: 1, ttf: {exponential: {mean: 5d}}",
                                        f"count: {count}, ttf: {{exponential: {{mean: {ttf}}}}}")
    return text if failures else text.replace("random_failures: true", "random_failures: false")


@pytest.fixture(autouse=True)
def sixteen_gib(monkeypatch):
    monkeypatch.setattr(preflight, "physical_memory", lambda: 16.0 * 2**30)


def test_events_per_trial_are_counted_from_the_times_to_failure():
    # 10 units failing every hour on average over 30 days: 10 × 720 = 7,200 failures, each
    # about 16 events, on top of 200 for the drill: 200 + 16 × 7,200 = 115,400
    est = preflight.estimate(parse_scenario(tiny("1h", 10)), trials=1000)
    assert est.events_per_trial == 115_400
    assert est.biggest == "7,200 random failures per trial, 7,200 of them of 10 units of a.box"
    assert est.events == 115_400_000
    # a row holds 18 values (tiny: trial, error, 12 headline metrics, 3 per group, 1 per
    # service); 1,000 rows × 18 × 100 bytes
    assert est.memory_bytes == 1000 * 18 * 100
    # without random failures only the drill itself is counted
    assert preflight.estimate(parse_scenario(tiny(failures=False)), 1).events_per_trial == 200


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_a_scenario_whose_one_trial_would_take_hours_is_refused(tmp_path):
    path = tmp_path / "busy.yaml"
    path.write_text(tiny("1m", 10_000))
    out = tmp_path / "res"
    res = invoke("run", path, "--trials", 10, "--out", out)
    # 10,000 units × 43,200 minutes = 432 million failures; 200 + 16 × 432e6 = 6.91 billion
    assert res.exit_code == 2
    assert res.output == (
        "error: about 6.91 billion simulated events per trial (432 million random failures per "
        "trial, 432 million of them of 10,000 units of a.box), more than 10 million: one trial "
        "would take minutes to hours; check the times to failure and the horizon (simulate a "
        f"shorter horizon and annualise){FORCE}\n")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["busy.yaml"]


def test_too_many_trials_are_refused_with_the_time_and_memory_they_need(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(tiny())
    res = invoke("run", path, "--trials", 10**9)
    # 30 days ÷ 5 days = 6 failures: 200 + 16 × 6 = 296 events a trial, × 1e9 = 296 billion;
    # rows: 1e9 × 18 values × 100 B = 1.8e12 B = 1,676 GiB, more than half of 16 GiB
    assert res.exit_code == 2
    assert res.output == (
        "error: about 296 billion simulated events in all (1,000,000,000 trials, about 296 "
        f"each), more than 10 billion: a day of one core or more; ask for fewer trials{FORCE}\n"
        "error: about 1,676 GiB for the trial rows (1,000,000,000 trials × 18 values), more "
        f"than half of this machine's 16 GiB; ask for fewer trials{FORCE}\n")


def test_an_until_target_no_cap_can_reach_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(tiny())
    res = invoke("run", path, "--until", "rto_full=0.01%")
    # (1.96 × 0.1 / 0.0001)² = 1960² = 3,841,600 trials, more than the cap of 100,000
    assert res.exit_code == 2
    assert res.output == (
        "error: --until ±0.010%: even a metric as steady as a coefficient of variation of 0.1 "
        "needs about 3,841,600 trials for that, and at most 100,000 will run; widen the target "
        f"or raise --trials{FORCE}\n")
    assert preflight.problems(preflight.estimate(parse_scenario(tiny()), 100_000), 0.001) == []


def test_force_runs_it_anyway(tmp_path, monkeypatch):
    path = tmp_path / "t.yaml"
    path.write_text(tiny())
    asked: list[int] = []

    def stub(sc: Any, cap: int, *args: Any, **kwargs: Any) -> Any:
        asked.append(cap)
        raise KeyboardInterrupt  # stands for a run that started

    monkeypatch.setattr(run_module, "run_trials", stub)
    res = invoke("run", path, "--trials", 10**9, "--force")
    assert (res.exit_code, asked) == (130, [10**9])


def test_compare_and_sweep_count_every_scenario(tmp_path, monkeypatch):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(tiny())
    b.write_text(tiny("10d"))
    # a: 296 events a trial; b: 200 + 16 × 3 = 248; the larger, 296 × 2 scenarios × 2e7 trials
    # = 11.8 billion > 10 billion (memory: 2e7 × 2 × 18 × 100 B = 67 GiB > 8 GiB)
    res = invoke("compare", a, b, "--trials", 2 * 10**7)
    assert res.exit_code == 2
    assert res.output.splitlines()[0] == (
        "error: about 11.8 billion simulated events in all (20,000,000 trials × 2 scenarios, "
        f"about 296 each), more than 10 billion: a day of one core or more; ask for fewer "
        f"trials{FORCE}")
    # a sweep of 3 × 2 = 6 cells of 6e6 trials: 296 × 6 × 6e6 = 10.7 billion
    res = invoke("sweep", a, "--set", "sites.a.components.box.count=1,2,3", "--set",
                 "simulation.seed=1,2", "--trials", 6 * 10**6)
    assert res.exit_code == 2
    assert "(6,000,000 trials × 6 scenarios, about 296 each)" in res.output.splitlines()[0]
    ran: list[str] = []
    monkeypatch.setattr(compare_module, "run_compare",
                        lambda *a, **k: ran.append("compare") or (_ for _ in ()).throw(
                            KeyboardInterrupt))
    res = invoke("compare", a, b, "--trials", 2 * 10**7, "--force")
    assert (res.exit_code, ran) == (130, ["compare"])


def test_an_until_metric_no_trial_produces_stops_the_run(tmp_path):
    path = tmp_path / "quiet.yaml"
    path.write_text(tiny(failures=False))  # no failure, no incident: nothing is detected
    res = invoke("run", path, "--until", "ttd=5%", "--workers", 1)
    assert res.exit_code == 2
    assert res.output == (
        "error: --until ttd_s: none of the first 200 trials gave it a value (it did not apply "
        "in any), so its precision can never be reached; watch a metric every trial has (e.g. "
        "rto_full or customer_minutes_lost), or run a fixed --trials N\n")
    res = invoke("run", path, "--until", "customer_minutes_lost=5%", "--workers", 1)
    assert res.exit_code == 2  # 0 in every trial: a precision relative to 0 is undefined
    assert "every one of the first 200 trials gave 0, so a precision relative to its mean is " \
           "undefined" in res.output


def test_no_limit_is_near_an_ordinary_run():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        from drsim.scenario import load_scenario

        assert preflight.beyond_limits([load_scenario(path)], 100_000) == [], path


def test_invest_counts_the_baseline_and_every_option(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(tiny())
    b.write_text(tiny("10d"))
    # the larger, a: 296 events × 2 scenarios × 2e7 trials = 11.8 billion > 10 billion
    res = invoke("invest", a, "--option", b, "--trials", 2 * 10**7)
    assert res.exit_code == 2
    assert res.output.splitlines()[0] == (
        "error: about 11.8 billion simulated events in all (20,000,000 trials × 2 scenarios, "
        f"about 296 each), more than 10 billion: a day of one core or more; ask for fewer "
        f"trials{FORCE}")


def test_sensitivity_counts_its_sampled_points(tmp_path, monkeypatch):
    from drsim.analysis import sensitivity as sa
    from drsim.cli import invest as invest_module

    sc = parse_scenario(tiny())  # two uncertain inputs: box's ttf and ttr (k = 2)
    # Morris, 10 trajectories: 10 × (2 + 1) = 30 points, tornado 1 + 2 × 2 = 5, after the
    # 200 critical-path trials: 200 + 35 = 235. Sobol N = 64 first order: 64 × (2 + 2) = 256
    # points + 5, three trials each, after 200: 200 + 261 × 3 = 983
    assert sa.planned_trials(sc, "morris", 200, None, 1) == 235
    assert sa.planned_trials(sc, "sobol", 200, None, 3) == 983
    # what it plans is what it runs: 8 trials + evaluations × 2 repeats (Morris N = 2)
    got = sa.sensitivity(sc, "customer_minutes_lost", "morris", trials=8, samples=2,
                         repeats=2, seed=1, workers=1)
    assert 8 + got.evaluations * 2 == sa.planned_trials(sc, "morris", 8, 2, 2) == 8 + 11 * 2
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny())
    # 200 + 35 × 1,000,000 = 35,000,200 trials × 296 events = 10.4 billion > 10 billion; no
    # line about rows (sensitivity keeps a mean per point, not a row per trial)
    res = invoke("sensitivity", path, "--repeats", 10**6)
    assert (res.exit_code, res.output) == (2, (
        "error: about 10.4 billion simulated events in all (35,000,200 trials, about 296 "
        "each), more than 10 billion: a day of one core or more; ask for fewer --trials, "
        f"--samples or --repeats{FORCE}\n"))
    ran: list[int] = []
    monkeypatch.setattr(invest_module, "run_sensitivity",
                        lambda *a, **k: ran.append(a[5]) or (_ for _ in ()).throw(
                            KeyboardInterrupt))
    res = invoke("sensitivity", path, "--repeats", 10**6, "--force")
    assert (res.exit_code, ran) == (130, [10**6])
