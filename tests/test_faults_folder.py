"""Corrupt results folders, for every command that reads one (export, plot, run --resume):
one line naming the file and what is wrong, exit 2, and the folder left as it was."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml
from conftest import MINIMAL
from faults import snapshot
from typer.testing import CliRunner

from drsim.cli import app
from drsim.errors import DrsimError
from drsim.report.folder import read_folder


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Two good folders written by drsim run (4 trials of the minimal scenario): parquet and
    csv rows. Tests work on copies."""
    base = tmp_path_factory.mktemp("written")
    (base / "min.yaml").write_text(yaml.safe_dump(MINIMAL, sort_keys=False))
    for fmt in ("parquet", "csv"):
        res = CliRunner().invoke(app, ["run", str(base / "min.yaml"), "--trials", "4",
                                       "--workers", "1", "--seed", "2", "--format", fmt,
                                       "--out", str(base / fmt)])
        assert res.exit_code == 0, res.output
    return base


@pytest.fixture(params=["parquet", "csv"])
def folder(request, written, tmp_path):
    shutil.copy(written / "min.yaml", tmp_path / "min.yaml")
    return shutil.copytree(written / request.param, tmp_path / "res")


def cut_points(size: int) -> list[int]:
    """Where to truncate a file of `size` bytes: every byte of its first and last 300 (where
    the JSON and Parquet structure is), every 41st byte between."""
    return sorted({*range(min(size, 300)), *range(max(0, size - 300), size),
                   *range(0, size, 41)})


@pytest.mark.parametrize("name", ["manifest.json", "summary.json", "rows"])
def test_every_truncation_is_refused_naming_the_file(folder, name):
    rows = json.loads((folder / "manifest.json").read_text())["rows"]
    path = folder / (rows if name == "rows" else name)
    data = path.read_bytes()
    assert read_folder(folder).manifest["trials_completed"] == 4  # whole, it reads
    for n in cut_points(len(data.rstrip(b"\n"))):
        path.write_bytes(data[:n])
        with pytest.raises(DrsimError) as err:
            read_folder(folder)
        assert str(err.value).startswith(f"{path}: "), (n, str(err.value))
        assert "\n" not in str(err.value)


def commands(folder):
    """Every command that reads a results folder, as argument lists."""
    return [["export", str(folder), "--out", str(folder.parent / "t.csv")],
            ["plot", str(folder), "--out", str(folder.parent / "f.png")],
            ["run", str(folder.parent / "min.yaml"), "--seed", "2", "--workers", "1", "--out",
             str(folder), "--resume"]]


def corrupt(folder, how):
    man = folder / "manifest.json"
    doc = json.loads(man.read_text())
    rows = folder / doc["rows"]
    if how == "truncated manifest":
        man.write_bytes(man.read_bytes()[:100])
        return man, "not valid JSON, truncated or damaged (Unterminated string"
    if how == "non-object manifest":
        man.write_text("[1, 2]")
        return man, "holds a JSON list, not the object drsim writes"
    if how == "manifest without rows":
        del doc["rows"]
        man.write_text(json.dumps(doc))
        return man, "'rows' is None, expected trials.parquet or trials.csv"
    if how == "truncated rows":
        rows.write_bytes(rows.read_bytes()[:-9])
        return rows, ("cannot be read, truncated or damaged" if rows.suffix == ".parquet"
                      else "truncated (its last row has no line end)")
    if how == "rows gone":
        rows.unlink()
        return rows, "missing, though manifest.json names it"
    if how == "summary not matching the rows":
        summary = json.loads((folder / "summary.json").read_text())
        summary["trials"] = 5
        (folder / "summary.json").write_text(json.dumps(summary))
        return folder / "summary.json", f"says 5 trials, but {rows.name} holds 4: damaged"
    if how == "older format":
        doc["format"] = 0
        man.write_text(json.dumps(doc))
        return man, "written by an older drsim (results format 0; this drsim reads format 1)"
    if how == "rows changed":  # same counts, a column renamed: only the checksum knows
        frame = read_folder(folder).frame.rename(columns={"incidents": "incidentz"})
        if rows.suffix == ".csv":
            frame.to_csv(rows, index=False)
        else:
            frame.to_parquet(rows, index=False)
        return rows, "changed since drsim wrote it (its sha256 is not the one manifest.json"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["truncated manifest", "non-object manifest",
                                 "manifest without rows", "truncated rows", "rows gone",
                                 "summary not matching the rows", "older format",
                                 "rows changed"])
def test_every_reader_refuses_a_corrupt_folder_and_leaves_it_untouched(folder, how):
    path, what = corrupt(folder, how)
    before = snapshot(folder)
    for args in commands(folder):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        line, = res.output.splitlines()
        assert line.startswith(f"error: {path}: "), (args, line)
        assert what in line, (args, line)
        assert snapshot(folder) == before, args


def test_a_newer_format_is_named_as_such(folder):
    man = folder / "manifest.json"
    man.write_text(json.dumps({**json.loads(man.read_text()), "format": 2}))
    with pytest.raises(DrsimError, match="written by a newer drsim .results format 2; this "
                                         "drsim reads format 1."):
        read_folder(folder)


def test_a_folder_written_before_format_and_checksums_still_reads(folder):
    """Folders of earlier drsim versions had no "format", "sha256" or "failed_trials"."""
    man = folder / "manifest.json"
    doc = json.loads(man.read_text())
    for key in ("format", "sha256", "failed_trials"):
        del doc[key]
    man.write_text(json.dumps(doc))
    assert len(read_folder(folder).frame) == 4


@pytest.mark.parametrize("key,value,message", [
    ("trials_completed", True, "'trials_completed' is True, not a count of trials"),
    ("trials_failed", -1, "'trials_failed' is -1, not a count of trials"),
    ("format", "1", "'format' is '1', not a format number"),
    ("sha256", [], "'sha256' is [], not a table of files"),
])
def test_manifest_values_of_the_wrong_kind(folder, key, value, message):
    man = folder / "manifest.json"
    man.write_text(json.dumps({**json.loads(man.read_text()), key: value}))
    with pytest.raises(DrsimError, match=f"^{re.escape(f'{man}: {message}')}"):
        read_folder(folder)
