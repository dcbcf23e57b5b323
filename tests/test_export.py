"""RunResult frames and exports of results folders: round-trips, strict JSON, safe writing."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from drsim.errors import DrsimError, OutputError
from drsim.report import export
from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

DRILL = ROOT / "scenarios" / "nyc-chicago-capacity-short.yaml"  # deterministic


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario(DRILL))


# ---- frames of one drill ---------------------------------------------------------------------


def test_timeline_frame(result):
    f = result.timeline_frame()
    assert list(f.columns) == ["time_s", "wall_clock", "kind", "subject", "detail"]
    assert len(f) == len(result.timeline)
    first = f.iloc[0]
    assert first["kind"] == "disruption" and first["time_s"] == 6120.0
    assert first["wall_clock"] == pd.Timestamp("2026-03-10T10:42", tz="America/New_York")
    assert str(f["wall_clock"].dt.tz) == "America/New_York"


def test_outages_and_intervals_frames(result):
    out = result.outages_frame()
    assert len(out) == len(result.outages) == 11
    assert set(out["service"]) == {"voice", "voicemail", "portal", "fax"}
    ent = out[(out["group"] == "enterprise") & (out["service"] == "voice")].iloc[0]
    assert (ent["start_s"], ent["end_s"], ent["duration_s"]) == (6120.0, 16740.0, 10620.0)
    assert ent["end"] == pd.Timestamp("2026-03-10T13:39", tz="America/New_York")
    assert not out["open"].any()
    spells = result.intervals_frame()
    assert len(spells) == len(result.intervals)
    assert {"basic", "full"} <= set(spells["what"])


def test_open_interval_has_nan_end_and_counts_to_the_horizon(scenario_factory):
    sc = scenario_factory(disruptions=[{"id": "d", "at": "20h", "targets": [{"site": "a"}],
                                        "until": "repaired", "repair": "10h"}])
    r = simulate(sc)
    f = r.outages_frame()
    assert len(f) == 1 and bool(f["open"].iloc[0])
    assert math.isnan(f["end_s"].iloc[0]) and pd.isna(f["end"].iloc[0])
    assert f["duration_s"].iloc[0] == 4 * 3600.0


def test_steps_frame(result):
    f = result.steps_frame()
    assert len(f) == 10
    row = f[f["step"] == "load-subscriber-data"].iloc[0]
    assert (row["runbook"], row["who"], row["outcome"], row["attempts"]) == (
        "failover", "dba#1", "ok", 1)
    assert row["duration_s"] == 2400.0
    assert row["start"] == pd.Timestamp("2026-03-10T11:39", tz="America/New_York")


def test_frames_round_trip_through_parquet(result, tmp_path):
    for name in ("timeline_frame", "outages_frame", "steps_frame", "intervals_frame"):
        f = getattr(result, name)()
        f.to_parquet(tmp_path / f"{name}.parquet")
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, f, check_dtype=False)


def test_empty_result_gives_empty_frames(scenario_factory):
    r = simulate(scenario_factory())
    assert r.outages_frame().empty and r.steps_frame().empty and r.timeline_frame().empty
    assert list(r.steps_frame().columns)[:2] == ["runbook", "step"]


# ---- exports of a results folder ----------------------------------------------------------


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "trial": np.arange(4),
        "error": [None, None, None, "ValueError: boom"],
        "rto_basic_s": [3600.0, math.inf, math.nan, math.nan],
        "all_restored": [True, False, True, None],
        "incidents": [1, 1, 0, 0],
    })


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal frames, a missing value being the same whether None or NaN."""
    def norm(f: pd.DataFrame) -> pd.DataFrame:
        return f.astype(object).where(f.notna(), "<missing>")

    pd.testing.assert_frame_equal(norm(a), norm(b), check_dtype=False)


def folder_with(tmp_path, frame: pd.DataFrame, rows: str = "trials.parquet"):
    folder = tmp_path / "res"
    folder.mkdir()
    if rows.endswith(".parquet"):
        frame.to_parquet(folder / rows, index=False)
    else:
        frame.to_csv(folder / rows, index=False)
    failed = int(frame["error"].notna().sum())  # the counts read_results checks
    (folder / "summary.json").write_text(json.dumps({"trials": len(frame), "failed": failed,
                                                     "metrics": {}}))
    (folder / "manifest.json").write_text(json.dumps({"rows": rows, "seed": 7,
                                                      "trials_completed": len(frame),
                                                      "trials_failed": failed}))
    return folder


def test_json_export_is_strict(frame, tmp_path):
    folder = folder_with(tmp_path, frame)
    path = export.export_results(folder, "json")
    assert path == tmp_path / "res.json"
    text = path.read_text()
    for token in ("NaN", "Infinity"):
        assert token not in text
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"token {c}"))
    assert doc["manifest"]["seed"] == 7 and doc["summary"]["trials"] == 4
    assert doc["trials"][0] == {"trial": 0, "error": None, "rto_basic_s": 3600.0,
                                "all_restored": True, "incidents": 1}
    assert doc["trials"][1]["rto_basic_s"] is None  # +inf (never reached) → null
    assert doc["trials"][2]["rto_basic_s"] is None  # NaN (not applicable) → null
    assert doc["trials"][3]["error"] == "ValueError: boom"


def test_parquet_export_round_trips_with_summary(frame, tmp_path):
    folder = folder_with(tmp_path, frame, "trials.csv")
    out = tmp_path / "t.parquet"
    export.export_results(folder, "parquet", out)
    back = pd.read_parquet(out)
    same(back, pd.read_csv(folder / "trials.csv"))
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[export.SUMMARY_KEY])["trials"] == 4
    assert json.loads(meta[export.MANIFEST_KEY])["rows"] == "trials.csv"


def test_csv_export_round_trips(frame, tmp_path):
    folder = folder_with(tmp_path, frame)
    out = tmp_path / "t.csv"
    export.export_results(folder, "csv", out)
    back = pd.read_csv(out)
    assert back["rto_basic_s"].iloc[1] == math.inf
    same(back, pd.read_parquet(folder / "trials.parquet"))


def test_export_refuses_to_overwrite_and_is_atomic(frame, tmp_path):
    folder = folder_with(tmp_path, frame)
    out = tmp_path / "t.json"
    out.write_text("old")
    with pytest.raises(OutputError, match="--force"):
        export.export_results(folder, "json", out)
    assert out.read_text() == "old"
    export.export_results(folder, "json", out, force=True)
    assert json.loads(out.read_text())["trials"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res", "t.json"]  # no temp left


def test_failed_write_leaves_the_old_file(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old")

    def boom(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        export.write_atomic_with(out, boom)
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]


@pytest.mark.parametrize("setup,message", [
    ("missing", "does not exist"),
    ("no-manifest", "no manifest.json"),
    ("bad-rows", "expected trials.parquet or trials.csv"),
    ("rows-gone", "missing, though manifest.json names it"),
])
def test_read_results_errors(frame, tmp_path, setup, message):
    folder = tmp_path / "res"
    if setup != "missing":
        folder = folder_with(tmp_path, frame)
    if setup == "no-manifest":
        (folder / "manifest.json").unlink()
    if setup == "bad-rows":
        (folder / "manifest.json").write_text(json.dumps({"rows": "../etc/passwd"}))
    if setup == "rows-gone":
        (folder / "trials.parquet").unlink()
    with pytest.raises(DrsimError, match=message):
        export.read_results(folder)


def test_real_results_folder_round_trips(tmp_path):
    """Trials written by drsim run --out, exported to every format and read back."""
    from drsim.cli import app

    folder = tmp_path / "res"
    res = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "warm-standby.yaml"),
                                   "--trials", "12", "--workers", "1", "--out", str(folder),
                                   "--allow-breach"])
    assert res.exit_code == 0, res.output
    frame, summary, _ = export.read_results(folder)
    for fmt in export.FORMATS:
        path = export.export_results(folder, fmt, tmp_path / f"t.{fmt}")
        if fmt == "json":
            doc = json.loads(path.read_text())
            assert doc["summary"] == summary and len(doc["trials"]) == 12
            back = pd.DataFrame(doc["trials"])
            assert list(back.columns) == list(frame.columns)
            assert back["rto_basic_s"].tolist() == [
                None if not math.isfinite(x) else x for x in frame["rto_basic_s"]]
        else:
            back = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
            same(back, frame)


# ---- drsim export ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli():
    from drsim.cli import app  # the real command line, wiring included

    return app


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_command(cli, frame, tmp_path, fmt):
    folder = folder_with(tmp_path, frame)
    out = tmp_path / f"out.{fmt}"
    res = CliRunner().invoke(cli, ["export", str(folder), "--format", fmt, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file() and str(out) in res.output.replace("\n", "")
    res = CliRunner().invoke(cli, ["export", str(folder), "--format", fmt, "--out", str(out)])
    assert res.exit_code == 2 and "--force" in res.output


@pytest.mark.parametrize("args,message", [
    (["--format", "xlsx"], "use one of csv, json, parquet"),
    (["--out", "{res}/trials.parquet/x.csv"], "is a file, not a folder"),  # a file in the way
])
def test_export_command_bad_input(cli, frame, tmp_path, args, message):
    folder = folder_with(tmp_path, frame)
    args = [a.format(res=folder) for a in args]
    res = CliRunner().invoke(cli, ["export", str(folder), *args])
    assert res.exit_code == 2 and message in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_export_out_creates_missing_parent_folders(cli, frame, tmp_path):
    """--out into folders that do not exist yet makes them (like mkdir -p), then writes."""
    folder = folder_with(tmp_path, frame)
    out = tmp_path / "new" / "deeper" / "t.csv"
    res = CliRunner().invoke(cli, ["export", str(folder), "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    same(pd.read_csv(out), frame)
    assert [p.name for p in out.parent.iterdir()] == ["t.csv"]  # no temporary file left


def test_export_command_not_a_results_folder(cli, tmp_path):
    res = CliRunner().invoke(cli, ["export", str(DRILL), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "is not a folder" in res.output
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_ordinary_permissions(tmp_path):
    import os

    from drsim.report.output import write_atomic

    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "r.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "r.txt").stat().st_mode & 0o777 == 0o644
