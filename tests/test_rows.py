"""A run's rows held as columns, or streamed to Parquet row groups: the coordinator's memory
does not grow with the number of trials, and statistics read back a column at a time are the
numbers of the whole frame, bit for bit."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from drsim import montecarlo, rows
from drsim import trial as trial_module
from drsim.montecarlo import frame_of, run_trials
from drsim.scenario import load_scenario
from drsim.stats import summarise
from drsim.trial import run_trial

WARM = ROOT / "scenarios" / "warm-standby.yaml"


@pytest.fixture(scope="module")
def warm():
    return load_scenario(WARM)


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """Trials 5 and 17 raise (their rows hold only trial and error)."""
    bad = {5, 17}
    real = trial_module.metrics_row

    def flaky(result: Any, scenario: Any) -> Any:
        if result.trial in bad:
            raise RuntimeError(f"boom {result.trial}")
        return real(result, scenario)

    monkeypatch.setattr(trial_module, "metrics_row", flaky)
    return bad


def as_json(summary: Any) -> str:
    return json.dumps(summary.to_dict(), sort_keys=True)


def test_rows_streamed_to_parquet_give_the_summary_of_the_whole_frame_exactly(
        warm, failing, tmp_path, monkeypatch):
    monkeypatch.setattr(rows, "CHUNK", 10)
    whole = run_trials(warm, 24, seed=3, workers=1)
    streamed = run_trials(warm, 24, seed=3, workers=1, rows_to=tmp_path / "rows.parquet")
    # 24 rows in chunks of 10: row groups of 10, 10 and 4, written as they filled
    meta = pq.ParquetFile(tmp_path / "rows.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [10, 10, 4]
    assert len(streamed.frame) == 0 and streamed.count == 24 and streamed.done == 24
    assert streamed.failed == whole.failed == 2 and not streamed.complete
    assert as_json(streamed.summary()) == as_json(summarise(whole.frame, warm))
    back = pd.read_parquet(tmp_path / "rows.parquet").sort_values("trial", ignore_index=True)
    assert list(back["trial"]) == list(range(24))
    assert back.loc[5, "error"].startswith("RuntimeError: boom 5")
    assert math.isnan(back.loc[5, "incidents"])  # a failed trial's cells are empty
    pd.testing.assert_frame_equal(cells(back), cells(whole.frame))


def cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Values only: an empty cell None whether it was read as None or NaN."""
    return frame.astype(object).where(frame.notna(), None)


def test_frame_chunks_have_the_dtypes_of_one_frame_of_the_dicts(warm, failing, monkeypatch):
    """Chunks of 4 rows: the one holding failed trial 5 has object yes/no columns and float
    incidents, the others bool and int; put together they are what frame_of gives."""
    monkeypatch.setattr(rows, "CHUNK", 4)
    got = run_trials(warm, 12, seed=3, workers=1).frame
    expected = frame_of(warm, [run_trial(warm, 3, i) for i in range(12)])
    pd.testing.assert_frame_equal(got, expected)  # dtypes included
    assert str(got["incidents"].dtype) == "float64" and got["all_restored"].dtype == object
    clean = run_trials(warm, 4, seed=3, workers=1).frame  # no failure: bool and int
    assert str(clean["incidents"].dtype) == "int64" and clean["all_restored"].dtype == bool


def test_a_streamed_run_stops_by_until_where_a_kept_one_does(warm, tmp_path, monkeypatch):
    """downtime_s of trial i is i mod 10: mean 4.5, sd 2.88; the 95% half-width is 1.96 ×
    2.88 / √n of 4.5: 8.9% at 200 trials, 6.3% at 400, 4.5% at 800, so ±5% stops after the
    third round (200 + 200 + 400)."""
    fake_trials(monkeypatch, warm)
    monkeypatch.setattr(rows, "CHUNK", 64)
    kept = run_trials(warm, 5000, seed=4, workers=1, until=("downtime", 0.05))
    streamed = run_trials(warm, 5000, seed=4, workers=1, until=("downtime", 0.05),
                          rows_to=tmp_path / "r.parquet")
    assert kept.stopped_by == streamed.stopped_by == "downtime_s within ±5.0% after 800 trials"
    assert streamed.count == len(kept.frame) == 800
    assert as_json(streamed.summary()) == as_json(summarise(kept.frame, warm))


def fake_trials(monkeypatch: pytest.MonkeyPatch, scenario: Any) -> None:
    """Every trial's row is a copy of trial 0's but for downtime_s (trial mod 10): only the
    coordinator's work is left."""
    row0 = run_trial(scenario, 1, 0)

    def run_batch(sc: Any, seed: int, trials: list[int], topology: Any = None) -> Any:
        return [{**row0, "trial": i, "downtime_s": float(i % 10)} for i in trials]

    monkeypatch.setattr(montecarlo, "run_batch", run_batch)


def peak(scenario: Any, trials: int, path: Path | None) -> int:
    tracemalloc.start()
    try:
        result = run_trials(scenario, trials, seed=1, workers=1, rows_to=path)
        assert result.done == trials
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_of_a_streamed_run_does_not_grow_with_the_trial_count(warm, tmp_path,
                                                                         monkeypatch):
    fake_trials(monkeypatch, warm)
    monkeypatch.setattr(rows, "CHUNK", 100)  # many row groups and windows in a short test
    monkeypatch.setattr(montecarlo, "WINDOW", 200)
    peak(warm, 50, tmp_path / "warm-up.parquet")
    small = peak(warm, 300, tmp_path / "small.parquet")
    large = peak(warm, 3000, tmp_path / "large.parquet")
    # ten times the trials, the same peak within 32 KB (a row kept is ~1.5 KB as a dict and
    # ~330 bytes as a frame row: 2,700 more would be ~900 KB even as columns)
    assert large - small < 32 * 1024, (small, large)
    assert pq.ParquetFile(tmp_path / "large.parquet").metadata.num_rows == 3000
    # the same run kept in memory peaks higher, so the measure sees a growth when there is one
    kept = peak(warm, 3000, None)
    assert kept - large > 512 * 1024, (large, kept)
