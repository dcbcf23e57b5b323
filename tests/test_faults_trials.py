"""A trial that raises: the run is not complete (exit 70), the failing trials and their errors
are in the summary and the manifest with the command that replays one with its traceback, and
--resume runs the failed (and only the failed and missing) trials again.

Trials are made to raise by the test-only hook tests/fault_hooks/sitecustomize.py
(DRSIM_TEST_RAISE), inside the engine of every worker process."""

from __future__ import annotations

import json

import pandas as pd
from faults import run_drsim

from drsim.montecarlo import run_trials
from drsim.scenario import load_scenario

ERROR = "RuntimeError: injected fault in trial {n} at "



def test_a_run_with_failed_trials_is_not_complete_and_says_which(tmp_path, minimal_file):
    out = tmp_path / "res"
    res = run_drsim("run", str(minimal_file), "--trials", "10", "--workers", "2", "--seed", "5",
                    "--out", str(out), faults={"raise": "3,7"})
    assert res.returncode == 70, res.stderr
    assert "Traceback" not in res.stderr
    *_, last = res.stderr.splitlines()
    assert last.startswith(f"exit status 70, 2 of 10 trials failed (trial 3: {ERROR.format(n=3)}")
    assert last.endswith(f"; see why: drsim run {minimal_file} --trial 3 --seed 5 --debug; run "
                         f"them again: drsim run {minimal_file} --seed 5 --out {out} --resume")
    assert "10 of 10 trials, not complete: 2 failed with an error" in res.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert (manifest["trials_completed"], manifest["trials_failed"]) == (10, 2)
    assert [f["trial"] for f in manifest["failed_trials"]] == [3, 7]
    assert manifest["failed_trials"][1]["error"].startswith(ERROR.format(n=7))
    summary = json.loads((out / "summary.json").read_text())
    assert [(f["trial"], f["replay"]) for f in summary["failed_trials"]] == [
        (3, f"drsim run {minimal_file} --trial 3 --seed 5 --debug"),
        (7, f"drsim run {minimal_file} --trial 7 --seed 5 --debug")]
    assert summary["failed_trials"][0]["error"] == manifest["failed_trials"][0]["error"]

    # --resume runs trials 3 and 7 again, and nothing else: trial 0 now raises, but it is kept
    res = run_drsim("run", str(minimal_file), "--seed", "5", "--out", str(out), "--resume",
                    "--workers", "1", faults={"raise": "0"})
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["failed_trials"] == []
    assert (manifest["trials_completed"], manifest["trials_failed"]) == (10, 0)
    clean = run_trials(load_scenario(minimal_file), 10, seed=5, workers=1).frame
    rows = pd.read_parquet(out / "trials.parquet")
    assert rows["error"].isna().all()
    pd.testing.assert_frame_equal(rows.drop(columns="error"), clean.drop(columns="error"),
                                  check_dtype=False)  # the rows of a run where none failed




def test_replaying_a_failed_trial_says_why_and_shows_the_traceback_with_debug(minimal_file):
    res = run_drsim("run", str(minimal_file), "--trial", "3", "--seed", "5", faults={"raise": "3"})
    assert res.returncode == 70
    assert res.stderr.splitlines() == ["error: trial 3 raised RuntimeError: injected fault in "
                                       "trial 3; add --debug for its traceback"]
    res = run_drsim("run", str(minimal_file), "--trial", "3", "--seed", "5", "--debug",
                    faults={"raise": "3"})
    assert res.returncode == 70
    assert res.stderr.startswith("Traceback (most recent call last):")
    assert res.stderr.splitlines()[-1] == "RuntimeError: injected fault in trial 3"
