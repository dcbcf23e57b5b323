"""Monte Carlo runs: identical numbers on any worker count or backend, failed trials kept,
stopping rules, results folders, resume, and interruption."""

from __future__ import annotations

import json
import os
import signal
import sys

import pandas as pd
import pexpect
import psutil
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from drsim import trial as trial_module
from drsim.cli import app
from drsim.montecarlo import rounds, run_trials
from drsim.report.html import render_trials_report
from drsim.scenario import load_scenario

YEAR = ROOT / "scenarios" / "random-failures-year.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def year():
    return load_scenario(YEAR)


def test_same_numbers_for_any_worker_count_and_batch_size(year):
    one = run_trials(year, 60, seed=11, workers=1)
    two = run_trials(year, 60, seed=11, workers=2, batch_size=7)
    pd.testing.assert_frame_equal(one.frame, two.frame)
    assert list(one.frame["trial"]) == list(range(60))
    assert one.frame["incidents"].nunique() > 1  # the trials really differ


def test_trial_i_depends_only_on_seed_and_i(year):
    full = run_trials(year, 20, seed=5, workers=1).frame
    part = run_trials(year, 20, seed=5, workers=1,
                      previous=full[full["trial"] < 12]).frame
    pd.testing.assert_frame_equal(full, part)
    other = run_trials(year, 20, seed=6, workers=1).frame
    assert not full["customer_minutes_lost"].equals(other["customer_minutes_lost"])


def test_a_failing_trial_is_recorded_and_the_rest_kept(year, monkeypatch):
    real = trial_module.metrics_row

    def flaky(result, scenario):
        if result.trial == 3:
            raise RuntimeError("boom")
        return real(result, scenario)

    monkeypatch.setattr(trial_module, "metrics_row", flaky)
    t = run_trials(year, 8, seed=1, workers=1)
    assert t.failed == 1 and len(t.frame) == 8
    assert not t.complete  # every trial ran, but one failed: the run is not complete
    page = render_trials_report(t, t.summary())
    assert "not complete: 1 of 8 trials failed" in page and "stopped early" not in page
    bad = t.frame.set_index("trial").loc[3]
    assert bad["error"].startswith("RuntimeError: boom")
    assert pd.isna(bad["customer_minutes_lost"])
    assert t.frame.drop(index=3)["error"].isna().all()


def test_rounds_double_and_never_depend_on_workers():
    assert [len(r) for r in rounds(list(range(2000)))] == [200, 200, 400, 800, 400]


def test_until_stops_at_the_first_round_within_target(year):
    t = run_trials(year, 5000, seed=2, workers=1, until=("unavailability", 0.25))
    n = len(t.frame)
    assert n in (200, 400, 800, 1600, 3200) and t.complete and t.stopped_by
    from drsim.montecarlo import relative_half_width

    assert relative_half_width(t.frame, "unavailability") <= 0.25
    if n > 200:  # the round before did not reach it
        assert relative_half_width(t.frame.iloc[: n // 2], "unavailability") > 0.25


def test_out_folder_resume_and_refusals(tmp_path):
    out = tmp_path / "res"
    args = ["run", str(YEAR), "--workers", "1", "--out", str(out), "--seed", "4",
            "--allow-breach"]
    res = runner.invoke(app, [*args, "--trials", "30"])
    assert res.exit_code == 0, res.output
    man = json.loads((out / "manifest.json").read_text())
    assert man["complete"] and man["trials_completed"] == 30 and man["seed"] == 4
    assert {"drsim", "python", "numpy", "simpy", "scenario_hash"} <= set(man)
    first = pd.read_parquet(out / "trials.parquet")
    summary = json.loads((out / "summary.json").read_text())
    assert summary  # strict JSON: json.loads would have failed on NaN tokens
    # an existing folder is never overwritten without --force
    res = runner.invoke(app, [*args, "--trials", "30"])
    assert res.exit_code == 2 and "already exists" in res.output
    # resume runs only what is missing and gives the same rows as one long run
    res = runner.invoke(app, [*args, "--trials", "50", "--resume"])
    assert res.exit_code == 0, res.output
    resumed = pd.read_parquet(out / "trials.parquet")
    pd.testing.assert_frame_equal(resumed.iloc[:30].reset_index(drop=True), first)
    direct = run_trials(load_scenario(YEAR), 50, seed=4, workers=1).frame
    pd.testing.assert_frame_equal(resumed, direct, check_dtype=False)
    # resume refuses another seed
    res = runner.invoke(app, ["run", str(YEAR), "--out", str(out), "--seed", "5",
                              "--trials", "60", "--resume"])
    assert res.exit_code == 2 and "cannot resume" in res.output and "seed" in res.output


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("sig", "status", "to_group"),
                         [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)],
                         ids=["SIGINT-to-group", "SIGTERM-to-process"])
def test_interrupt_keeps_finished_trials(tmp_path, sig, status, to_group):
    out = tmp_path / "res"
    # In a pseudo-terminal the run draws its progress bar, "<done> / 200,000 trials", counting
    # the rows received (trial by trial): the signal is sent once it shows 20 or more (an
    # event, not a guess at how long the workers take to start on a loaded machine), by when
    # the pool's processes all exist.
    child = pexpect.spawn(
        sys.executable, ["-m", "drsim", "run", str(YEAR), "--trials", "200000", "--workers",
                         "2", "--batch-size", "20", "--out", str(out), "--allow-breach"],
        env={**os.environ, "TERM": "xterm"}, dimensions=(40, 200), encoding="utf-8",
        timeout=180)
    try:
        child.expect(r"(?<![\d,])(?:[2-9]\d|[1-9]\d{2}|[1-9]\d{0,2}(?:,\d{3})+)"
                     r" / 200,000 trials")
        parent = psutil.Process(child.pid)
        family = parent.children(recursive=True)
        forkservers = [p for p in parent.children() if "forkserver" in " ".join(p.cmdline())]
        workers = [w for f in forkservers for w in f.children()]  # forked by the forkserver
        assert (len(forkservers), len(workers)) == (1, 2)
        if to_group:
            os.killpg(child.pid, sig)  # what a terminal's Ctrl-C or `kill -- -PGID` does
        else:
            child.kill(sig)
        child.expect(pexpect.EOF)
        stdout = child.before
    finally:
        child.close()
    # no worker or forkserver left behind: gone by the time the run has exited, and the rest
    # (multiprocessing's resource tracker) ends once its last user has
    assert [p.pid for p in [*forkservers, *workers] if _alive(p)] == []
    assert psutil.wait_procs([p for p in family if _alive(p)], timeout=30)[1] == []
    assert child.exitstatus == status, stdout
    man = json.loads((out / "manifest.json").read_text())
    rows = pd.read_parquet(out / "trials.parquet")
    assert not man["complete"] and man["trials_completed"] == len(rows) >= 20
    assert list(rows["trial"]) == sorted(set(rows["trial"]))
    assert "finished trials kept" in stdout
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temp folders left


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
