"""Rows as columns, streamed: a worker sends a group of trials as one Chunk (a float64 matrix
and each column's dtype), the coordinator takes groups in trial order, and `drsim run --out`
writes its rows as they come; the files, summary and numbers are those of the whole frame."""

from __future__ import annotations

import json
import math
import pickle
import tracemalloc
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from test_rows import failing  # noqa: F401 (a fixture: trials 5 and 17 raise)
from typer.testing import CliRunner

from drsim import montecarlo, rows
from drsim.cli import app
from drsim.montecarlo import run_trials
from drsim.rows import Rows, chunk_of, frame_of_chunks, grouped
from drsim.scenario import load_scenario
from drsim.trial import columns, run_trial

runner = CliRunner()
# nyc-chicago-drill: its downtime_s.<group> columns are 0 (an int) in every trial, so pandas
# makes them int64; a file written from float columns would read back as float64
DRILL = ROOT / "scenarios" / "nyc-chicago-drill.yaml"
WARM = ROOT / "scenarios" / "warm-standby.yaml"


@pytest.fixture(scope="module")
def drill() -> Any:
    return load_scenario(DRILL)


FAKE = ["trial", "error", "n", "x", "ok"]


def fake(i: int) -> dict[str, Any]:
    return {"trial": i, "error": None, "n": i % 3, "x": float(i) / 4, "ok": i % 2 == 0}


# ---- the batching rule -------------------------------------------------------------------


def test_groups_grow_1_4_16_then_64(monkeypatch):
    """200 rows: 1 + 4 + 16 + 64 + 64 = 149 in the first five groups, then the 51 left; in
    this process (at most 16 a group): 1 + 4 + 16 + 16 = 37, then 16 and 7 for 60 rows."""
    monkeypatch.setattr(rows, "FLUSH_S", 1e9)
    sizes = [len(c) for c in grouped((fake(i) for i in range(200)), FAKE)]
    assert sizes == [1, 4, 16, 64, 64, 51]
    serial = [len(c) for c in grouped((fake(i) for i in range(60)), FAKE, rows.SERIAL_GROUP)]
    assert serial == [1, 4, 16, 16, 16, 7]


def test_a_slow_row_lets_its_group_go_at_once(monkeypatch):
    """Each row finishes 0.06 s after the one before (a fake clock read once a row and once
    a group): with FLUSH_S 0.1 a group goes once 0.1 s have passed since the last, so slow
    trials show progress though the group is not full."""
    now = [0.0]

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return now[0]

    def slow() -> Any:
        for i in range(6):
            now[0] += 0.06
            yield fake(i)

    monkeypatch.setattr(rows, "time", Clock)
    monkeypatch.setattr(rows, "FLUSH_S", 0.1)
    # row 0 at 0.06 (group of 1 full); rows 1-2 at 0.12, 0.18 (0.12 since: goes with 2 of
    # 4); row 3 at 0.24 (0.06), row 4 at 0.30 (0.12 since 0.18: goes with 2), row 5 at the end
    assert [c.trials().tolist() for c in grouped(slow(), FAKE)] == [[0], [1, 2], [3, 4], [5]]


@pytest.mark.parametrize(("workers", "batch"), [(1, None), (2, 1), (2, 7), (2, 40)])
def test_the_rows_are_the_same_for_any_workers_and_batch_size(drill, workers, batch):
    """Batches of 40 trials go as groups of 1, 4, 16 and 19; of 7 as 1, 4, 2; of 1 alone:
    the frame is the one a single worker builds trial by trial."""
    expected = pd.DataFrame([run_trial(drill, 2, i) for i in range(40)], columns=columns(drill))
    got = run_trials(drill, 40, seed=2, workers=workers, batch_size=batch).frame
    pd.testing.assert_frame_equal(got, expected)


# ---- Chunk: the message ------------------------------------------------------------------


def test_a_chunk_pickles_to_the_same_values_and_dtypes():
    cols = ["trial", "error", "n", "x", "ok", "gone", "big"]
    made = [{"trial": 0, "error": None, "n": 2, "x": math.inf, "ok": True, "gone": None,
             "big": 2**60},
            {"trial": 1, "error": None, "n": 3, "x": math.nan, "ok": False, "gone": 1.5,
             "big": 1},
            {"trial": 2, "error": "RuntimeError: boom"}]
    chunk = pickle.loads(pickle.dumps(chunk_of(made, cols), pickle.HIGHEST_PROTOCOL))
    # ints, floats and bools travel in the matrix; "gone" (a None) and "big" (beyond 2**53,
    # not exact as a float) as pandas makes them
    assert chunk.names == ["trial", "n", "x", "ok"] and set(chunk.others) == {"gone", "big"}
    assert len(chunk) == 3 and chunk.failed == [(2, "RuntimeError: boom")]
    pd.testing.assert_frame_equal(chunk.frame(), pd.DataFrame(made, columns=cols))
    clean = pickle.loads(pickle.dumps(chunk_of(made[:2], cols[:5])))
    assert str(clean.frame()["n"].dtype) == "int64" and clean.frame()["ok"].dtype == bool
    assert clean.rows()[0] == {"trial": 0, "error": None, "n": 2, "x": math.inf, "ok": True}


def test_chunks_whose_dtypes_differ_make_the_frame_of_all_the_dicts():
    """n is an int in the first group and a float in the second: float64, as pandas makes
    it from the dicts."""
    made = [fake(i) for i in range(4)]
    made[3]["n"] = 0.5
    got = frame_of_chunks([chunk_of(made[2:], FAKE), chunk_of(made[:2], FAKE)], FAKE)
    pd.testing.assert_frame_equal(got, pd.DataFrame(made, columns=FAKE))
    assert list(got["n"]) == [0.0, 1.0, 2.0, 0.5]


# ---- Rows: taken in trial order ------------------------------------------------------------


def test_groups_that_arrive_early_wait_and_the_file_is_in_trial_order(tmp_path, monkeypatch):
    """Chunks of 4 rows: trials 5-9 arrive first, then 0-4, then 10-11; the file holds 0-11
    in order, in row groups of 4, 4 and 4."""
    monkeypatch.setattr(rows, "CHUNK", 4)
    taken = Rows(FAKE, tmp_path / "r.parquet")
    for part in (range(5, 10), range(0, 5), range(10, 12)):
        taken.add(chunk_of([fake(i) for i in part], FAKE))
        if part.start == 5:  # held, not taken: trials 0-4 are still to come
            assert len(taken) == 5 and list(taken.column("x")) == [1.25, 1.5, 1.75, 2.0, 2.25]
    taken.close()
    meta = pq.ParquetFile(tmp_path / "r.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 4]
    assert list(pd.read_parquet(tmp_path / "r.parquet")["trial"]) == list(range(12))


def test_a_resumed_runs_earlier_rows_fill_the_gaps_in_order(tmp_path):
    """Trials 2 and 3 are from before (a resumed run); new groups [0, 1, 4] and [5]: the
    file reads 0-5, and the rows are those of one run of the dicts."""
    taken = Rows(FAKE, tmp_path / "r.parquet")
    taken.extend(pd.DataFrame([fake(2), fake(3)], columns=FAKE))
    taken.add(chunk_of([fake(0), fake(1), fake(4)], FAKE))
    taken.add(chunk_of([fake(5)], FAKE))
    assert taken.types() == {"trial": "int64", "error": "object", "n": "int64",
                             "x": "float64", "ok": "bool"}
    taken.close()
    back = pd.read_parquet(tmp_path / "r.parquet")
    assert list(back["trial"]) == [0, 1, 2, 3, 4, 5]
    assert list(back["x"]) == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]


# ---- drsim run --out ---------------------------------------------------------------------


def run_out(tmp_path: Path, scenario: Path, fmt: str, workers: int, *more: str) -> Path:
    out = tmp_path / f"res-{fmt}-{workers}"
    res = runner.invoke(app, ["run", str(scenario), "--trials", "20", "--seed", "3",
                              "--workers", str(workers), "--out", str(out), "--format", fmt,
                              "--allow-breach", *more])
    assert res.exit_code in (0, 70), res.output
    return out


def expected_files(tmp_path: Path, scenario: Path) -> tuple[Path, Path, pd.DataFrame]:
    """Today's files: the whole frame of one worker's run, written with to_parquet/to_csv."""
    frame = run_trials(load_scenario(scenario), 20, seed=3, workers=1).frame
    frame.to_parquet(tmp_path / "whole.parquet", index=False)
    frame.to_csv(tmp_path / "whole.csv", index=False)
    return tmp_path / "whole.parquet", tmp_path / "whole.csv", frame


def same_parquet(got: Path, expected: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(got), pd.read_parquet(expected))
    assert [f.type for f in pq.read_schema(got)] == [f.type for f in pq.read_schema(expected)]


@pytest.mark.parametrize("workers", [1, 2])
def test_out_streams_the_same_files_as_the_whole_frame(drill, tmp_path, monkeypatch, workers):
    monkeypatch.setattr(rows, "CHUNK", 7)  # 20 rows: row groups of 7, 7 and 6 as they come
    whole_parquet, whole_csv, frame = expected_files(tmp_path, DRILL)
    assert str(frame["downtime_s.enterprise"].dtype) == "int64"
    same_parquet(run_out(tmp_path, DRILL, "parquet", workers) / "trials.parquet", whole_parquet)
    csv = run_out(tmp_path, DRILL, "csv", workers) / "trials.csv"
    assert csv.read_bytes() == whole_csv.read_bytes()


@pytest.mark.usefixtures("failing")
def test_out_with_failed_trials_streams_the_same_files(tmp_path, monkeypatch):
    """Trials 5 and 17 failed: their cells are empty, incidents float, yes/no columns object,
    error a column of text; the files are still those of the whole frame."""
    monkeypatch.setattr(rows, "CHUNK", 7)
    whole_parquet, whole_csv, frame = expected_files(tmp_path, WARM)
    assert frame["error"].notna().sum() == 2 and frame["all_restored"].dtype == object
    out = run_out(tmp_path, WARM, "parquet", 1)
    same_parquet(out / "trials.parquet", whole_parquet)
    assert run_out(tmp_path, WARM, "csv", 1).joinpath("trials.csv").read_bytes() == \
        whole_csv.read_bytes()
    man = json.loads((out / "manifest.json").read_text())
    assert man["trials_completed"] == 20 and man["trials_failed"] == 2
    assert [f["trial"] for f in man["failed_trials"]] == [5, 17]


def test_out_summary_and_report_are_those_of_the_frame_in_memory(tmp_path):
    """The summary of the streamed run (read a column at a time) is the --json of the same
    run without --out (the whole frame), number for number; so is the worst-trials table."""
    out = run_out(tmp_path, WARM, "parquet", 2, "--json", str(tmp_path / "streamed.json"))
    kept = runner.invoke(app, ["run", str(WARM), "--trials", "20", "--seed", "3", "--workers",
                               "2", "--allow-breach", "--json", str(tmp_path / "kept.json")])
    assert kept.exit_code == 0, kept.output
    streamed = json.loads((tmp_path / "streamed.json").read_text())
    assert streamed == json.loads((tmp_path / "kept.json").read_text())
    assert json.loads((out / "summary.json").read_text()) == streamed
    streamed_out = runner.invoke(app, ["run", str(WARM), "--trials", "20", "--seed", "3",
                                       "--out", str(tmp_path / "again"), "--allow-breach"])
    assert streamed_out.exit_code == 0, streamed_out.output
    table = kept.output[kept.output.index("worst trials"):kept.output.rindex("\nobjectives")]
    assert "Replay one as a drill" in table
    assert table in streamed_out.output


def test_out_does_not_hold_the_rows_in_memory(tmp_path, monkeypatch):
    """Ten times the trials (copies of trial 0's row: only the coordinator works), the same
    peak within 64 KB: a row kept is ~330 bytes as a frame row, 2,700 more would be ~900 KB."""
    sc = load_scenario(WARM)
    row0 = run_trial(sc, 1, 0)

    def run_batch(scenario: Any, seed: int, trials: list[int], topology: Any = None) -> Any:
        return [{**row0, "trial": i, "downtime_s": float(i % 10)} for i in trials]

    monkeypatch.setattr(montecarlo, "run_batch", run_batch)
    monkeypatch.setattr(rows, "CHUNK", 100)
    monkeypatch.setattr(montecarlo, "WINDOW", 200)

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            res = runner.invoke(app, ["run", str(WARM), "--trials", str(n), "--workers", "1",
                                      "--out", str(tmp_path / f"r{n}"), "--allow-breach"])
            assert res.exit_code == 0, res.output
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(50)
    small, large = peak(300), peak(3000)
    assert large - small < 64 * 1024, (small, large)
    assert len(pd.read_parquet(tmp_path / "r3000" / "trials.parquet")) == 3000


def test_an_unwritable_stream_leaves_nothing_and_names_the_folder(tmp_path, monkeypatch):
    """The rows file cannot be written (the OS refuses: here, pyarrow's row group write
    raising OSError, as on a full disk): exit 74 naming --out, no temporary folder left."""

    def full(self: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    monkeypatch.setattr(rows, "CHUNK", 4)
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", str(WARM), "--trials", "10", "--workers", "1", "--out",
                              str(out), "--allow-breach"])
    assert res.exit_code == 74, res.output
    assert f"{out}: cannot write: No space left on device" in " ".join(res.output.split())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "res") == []
