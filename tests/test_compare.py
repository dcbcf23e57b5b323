"""Paired comparison and sweeps: exact differences, the gain from pairing, P(best), censored
and missing values, monotone sweeps, and the commands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import typer
from conftest import ROOT
from typer.testing import CliRunner

from drsim.analysis.compare import compare, compare_frames
from drsim.analysis.sweep import parse_set, split_values, sweep
from drsim.cli import compare as cli
from drsim.errors import DrsimError
from drsim.scenario import load_scenario, validate
from drsim.scenario.variants import load_resolved, set_value

NYC = ROOT / "scenarios" / "nyc-chicago-capacity-short.yaml"  # deterministic
DEFAULT = ROOT / "scenarios" / "nyc-chicago-drill.yaml"
YEAR = ROOT / "scenarios" / "random-failures-year.yaml"
NIGHTS = ROOT / "scenarios" / "variants" / "year-engineer-on-nights.yaml"


def nyc_random(**values: str):
    """The NYC drill made random (a continuous acknowledgement delay), with values set."""
    raw = set_value(load_resolved(NYC), "detection.ack_delay", "{uniform: {low: 1m, high: 20m}}")
    for path, v in values.items():
        raw = set_value(raw, path, v)
    return validate(raw)


def test_deterministic_step_difference_is_exact_with_zero_width():
    base = nyc_random()
    slower = nyc_random(**{"runbooks.failover.steps.verify-chicago.duration": "30m"})  # was 20m
    c = compare([base, slower], ["base", "slower"], trials=12, workers=1,
                metrics=["rto_basic_s.enterprise", "customer_minutes_lost"])
    row = c.row("rto_basic_s.enterprise", "slower")
    assert row["diff"] == pytest.approx(600.0)
    assert row["diff_low"] == row["diff_high"] == row["diff"]
    assert row["paired_half_width"] == 0 and row["significant"]
    assert row["variance_reduction"] == math.inf  # the values vary; their difference does not
    assert c.row("rto_basic_s.enterprise", "base")["high"] > c.row(
        "rto_basic_s.enterprise", "base")["low"]
    # enterprise (3000) and smb-central (1500) wait 10 minutes longer each
    assert c.row("customer_minutes_lost", "slower")["diff"] == pytest.approx(4500 * 10)
    assert c.row("rto_basic_s.enterprise", "base")["p_best"] == 1.0


def test_pairing_narrows_the_interval_on_a_stochastic_pair():
    scs = [load_scenario(YEAR), load_scenario(NIGHTS)]
    c = compare(scs, ["base", "nights"], trials=60, workers=1)
    vr = c.variance_reduction()
    assert vr[("customer_minutes_lost", "nights")] > 1.5
    assert vr[("downtime_s", "nights")] > 1.5
    row = c.row("customer_minutes_lost", "nights")
    assert row["independent_half_width"] > row["paired_half_width"] > 0
    assert row["diff"] < 0 and row["significant"]  # an engineer on nights helps
    # the paired difference is the mean of per-trial differences, whatever the labels
    a = c.runs[0].frame["customer_minutes_lost"].to_numpy()
    b = c.runs[1].frame["customer_minutes_lost"].to_numpy()
    assert row["diff"] == pytest.approx(float(np.mean(b - a)))
    assert any(n.startswith("Pairing:") for n in c.notes)


def test_identical_variants_tie_everywhere():
    sc = load_scenario(NYC)
    c = compare([sc, sc, sc], ["a", "b", "c"], trials=3, workers=1)
    f = c.frame
    assert np.allclose(f.p_best, 1 / 3)
    assert (f.loc[~f.baseline, "diff"] == 0).all() and not f.significant.any()


def frame(values: dict[str, list[object]]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({"trial": range(n), "error": [None] * n, **values})


def test_censored_missing_and_failed_trials():
    sc = load_scenario(NYC)
    inf, nan = math.inf, math.nan
    a = frame({"rto_basic_s": [10.0, 20.0, inf, nan, 30.0],
               "met.x.rto": [True, False, False, True, True]})
    b = frame({"rto_basic_s": [5.0, 15.0, 40.0, 7.0, inf],
               "met.x.rto": [True, True, True, True, True]})
    b.loc[4, "error"] = "boom"  # trial 4 failed in b: left out of both
    c = compare_frames([a, b], [sc, sc], ["a", "b"], metrics=["rto_basic_s", "met.x.rto"])
    assert c.trials == 4
    ra, rb = c.row("rto_basic_s", "a"), c.row("rto_basic_s", "b")
    assert ra["estimate"] == 15.0 and ra["censored"] == 1 and ra["not_applicable"] == 1
    assert rb["estimate"] == pytest.approx((5 + 15 + 40 + 7) / 4)
    assert rb["n_pairs"] == 2 and rb["diff"] == -5.0  # pairs 0 and 1 only
    # P(best) over trials 0-2 (trial 3 has no value in a): b wins 0, 1 and 2 (a never got there)
    assert (ra["p_best"], rb["p_best"], rb["n_best"]) == (0.0, 1.0, 3)
    pa, pb = c.row("met.x.rto", "a"), c.row("met.x.rto", "b")
    assert (pa["estimate"], pb["estimate"], pb["diff"]) == (0.5, 1.0, 0.5)
    assert pb["p_best"] == pytest.approx((0.5 + 1 + 1 + 0.5) / 4)  # ties split
    text = " ".join(c.notes)
    assert "failed" in text and "never reached" in text and "not applicable" in text


def test_sweep_is_monotone_and_exact_on_a_deterministic_step():
    s = sweep(NYC, {"runbooks.failover.steps.verify-chicago.duration": ["10m", "20m", "40m"]},
              trials=2, workers=1, metrics=["rto_basic_s.enterprise"])
    rto = s.table("rto_basic_s.enterprise").to_numpy()
    assert list(np.diff(rto)) == [600.0, 1200.0]
    diff_hi = s.frame[s.frame.metric == "rto_basic_s.enterprise"]["diff_high"].to_numpy()
    assert list(diff_hi) == [0.0, 600.0, 1800.0]


def test_sweep_grid_and_a_stochastic_monotone_effect():
    s = sweep(YEAR, [("runbooks.failover.steps.reroute-customers.duration", ["5m", "1h", "3h"]),
                     ("staff.network_engineer.count", ["2", "3"])], trials=25, workers=1,
              metrics=["customer_minutes_lost"])
    assert len(s.cells) == 6 and s.cells[1] == ("5m", "3")
    cm = s.table("customer_minutes_lost")
    for count in ("2", "3"):
        along = [cm[(d, count)] for d in ("5m", "1h", "3h")]
        assert along == sorted(along) and along[0] < along[-1]
    assert set(s.frame.columns) >= {"runbooks.failover.steps.reroute-customers.duration",
                                    "staff.network_engineer.count", "cell", "metric",
                                    "estimate", "low", "high"}


def test_sweep_problems_before_running():
    with pytest.raises(DrsimError, match=r"did you mean 'network_engineer'\?"):
        sweep(NYC, {"staff.network_enginer.count": ["1"]}, trials=2, workers=1)
    with pytest.raises(DrsimError, match=r"cell links.nyc-chi.bandwidth=1Gbs: .*unknown "
                                         r"bandwidth unit"):
        sweep(NYC, {"links.nyc-chi.bandwidth": ["1Gbps", "1Gbs"]}, trials=2, workers=1)


def test_parse_set_splits_on_top_level_commas_only():
    assert parse_set("a.b=1, 2 ,3") == ("a.b", ["1", "2", "3"])
    assert split_values("{uniform: {low: 5m, high: 10m}},15m,'a,b'") == [
        "{uniform: {low: 5m, high: 10m}}", "15m", "'a,b'"]
    with pytest.raises(DrsimError):
        parse_set("a.b")


def app() -> typer.Typer:
    a = typer.Typer()
    a.command("compare")(cli.compare)
    a.command("sweep")(cli.sweep)
    return a


def test_compare_and_sweep_commands(tmp_path):
    warm = ROOT / "scenarios" / "variants" / "nyc-warm-standby.yaml"
    out = tmp_path / "c.csv"
    res = CliRunner().invoke(app(), ["compare", str(DEFAULT), str(warm), "--trials", "3",
                                     "--workers", "1", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    assert "nyc-warm-standby" in res.output and "pairing gain" in res.output
    assert set(pd.read_csv(out).variant) == {"nyc-chicago-drill", "nyc-warm-standby"}
    res = CliRunner().invoke(app(), ["compare", str(NYC), "--trials", "3", "--metric", "rto_bsic"])
    assert res.exit_code == 2 and "did you mean 'rto_basic_s'" in res.output
    res = CliRunner().invoke(app(), ["sweep", str(NYC), "--set", "staff.dba.count=1,2",
                                     "--trials", "2", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "staff.dba.count" in res.output


def test_more_network_engineers_never_make_the_year_worse():
    # Regression: the staff pool handed work to an off-shift engineer who then had to be
    # called out while an engineer already called in sat idle, so 3 engineers did worse than 2.
    from conftest import ROOT

    from drsim.analysis.sweep import sweep

    result = sweep(ROOT / "scenarios" / "random-failures-year.yaml",
                   [("staff.network_engineer.count", ["1", "2", "3"])], trials=80, seed=3,
                   workers=1, metrics=["customer_minutes_lost", "rto_basic_s"])
    from drsim.stats import mean_ci

    frames = [run.frame for run in result.comparison.runs]  # 1, 2, 3 engineers
    for metric in ("customer_minutes_lost", "rto_basic_s"):
        means = list(result.table(metric))
        assert means[0] > means[1], (metric, means)
        # a third engineer is rarely needed: its effect on the year is small against the
        # noise left after pairing (a repair that ends sooner moves that unit's later failures,
        # so coincidences of failures move too). Paired differences 3 - 2 over 80 trials:
        # customer-minutes +36.5k ± 33.6k (se) for seed 3, +14.3k ± 31.8k for seed 1,
        # -20.7k ± 24.1k for seed 2; no seed shows 3 worse beyond its noise. The regression
        # (3 engineers worse than 2 through a call-out while one sat idle) would: the paired
        # interval of 3 - 2 must not lie wholly above 0
        d = (frames[2][metric].astype(float) - frames[1][metric].astype(float)).to_numpy()
        worse = mean_ci(d[np.isfinite(d)])
        assert worse.low <= 0, (metric, worse)
