"""Output that cannot be written: refused before any trial runs where that can be known (a
read-only folder, a file where the results folder should be), otherwise after, with the old
folder left as it was (a full disk); one line naming the path and the OS error; exit 74."""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from faults import drsim_command, env, run_drsim, snapshot
from typer.testing import CliRunner

from drsim.cli import app
from drsim.cli import run as run_module


@pytest.fixture
def no_trials(monkeypatch):
    """Fails the test if any trial is run (the refusal must come first)."""
    def refuse(*args, **kw):
        raise AssertionError("trials ran before the output was checked")

    monkeypatch.setattr(run_module, "run_trials", refuse)


@pytest.fixture
def full_device(tmp_path):
    """/dev/full (every write fails: no space left on device), or, when another process has
    removed or replaced it (drsim before 74 replaced it, as root, given --force), the same
    device made privately (as root)."""
    if os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode):
        return Path("/dev/full")
    if os.geteuid() != 0:
        pytest.skip("/dev/full is not the full device here")
    path = tmp_path / "full"
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return path


def test_json_to_a_full_device_exits_74_naming_it(full_device, minimal_file, tmp_path):
    for args in (["run", str(minimal_file), "--json", str(full_device)],
                 ["run", str(minimal_file), "--trials", "2", "--workers", "1", "--json",
                  str(full_device)]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 74, res.output
        assert res.output.splitlines()[-1] == (f"error: {full_device}: cannot write: No space "
                                               "left on device")
    assert stat.S_ISCHR(os.stat(full_device).st_mode)  # written into, never replaced


def test_stdout_on_a_full_device_exits_74_without_a_traceback(full_device, minimal_file,
                                                               tmp_path):
    path, res_dir = str(minimal_file), tmp_path / "res"
    assert CliRunner().invoke(app, ["run", path, "--trials", "2", "--workers", "1", "--out",
                                    str(res_dir)]).exit_code == 0
    for args in (["run", path], ["run", path, "--trials", "2", "--workers", "1"],
                 ["run", path, "--json", "-"],
                 ["export", str(res_dir), "--out", str(tmp_path / "t.csv"), "--force"],
                 ["plot", str(res_dir), "--out", str(tmp_path / "f.png"), "--force"]):
        with full_device.open("w") as stdout:
            res = subprocess.run(drsim_command(*args), env=env(), stdout=stdout,
                                 stderr=subprocess.PIPE, text=True, timeout=120)
        assert res.returncode == 74
        assert res.stderr == "error: standard output: cannot write: No space left on device\n"


def test_a_device_or_pipe_is_written_into_never_replaced(tmp_path, minimal_file):
    """A FIFO given to --json gets the JSON (read here by a thread) and stays a FIFO; no
    --force is needed to write into one (nothing is overwritten)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    res = CliRunner().invoke(app, ["run", str(minimal_file), "--json", str(fifo), "--no-timeline"])
    reader.join(60)
    assert res.exit_code == 0, res.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    plain = tmp_path / "plain.json"
    CliRunner().invoke(app, ["run", str(minimal_file), "--json", str(plain), "--no-timeline"])
    assert got == [plain.read_text()]  # the same drill's JSON as to a file


def test_out_naming_a_file_is_refused_before_any_trial(tmp_path, minimal_file, no_trials):
    path = tmp_path / "results"
    path.write_text("keep me")
    for extra in ([], ["--force"]):
        res = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "2", "--out",
                                       str(path), *extra])
        assert res.exit_code == 74
        assert res.output.splitlines() == [f"error: {path}: cannot write: Not a directory (a "
                                           "file is there; --out names the results folder)"]
    assert path.read_text() == "keep me"


@pytest.fixture
def read_only(tmp_path):
    """A folder that cannot be written: a read-only mount as root (root ignores modes), else a
    folder without write permission."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder, "Permission denied"
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                              str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only file system here")
    try:
        yield folder, "Read-only file system"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_folder_is_refused_before_any_trial(read_only, minimal_file, no_trials):
    folder, why = read_only
    for out in (folder / "res", folder / "deeper" / "res"):
        res = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "2", "--out",
                                       str(out)])
        assert res.exit_code == 74
        assert res.output.splitlines() == [f"error: {out}: cannot write: {why}"]
    for args in (["run", str(minimal_file), "--trials", "2", "--json", str(folder / "s.json")],
                 ["run", str(minimal_file), "--trials", "2", "--report", str(folder / "r.html")]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 74
        assert res.output.splitlines() == [f"error: {args[-1]}: cannot write: {why}"]
    assert list(folder.iterdir()) == []


def test_missing_parents_of_out_are_made(tmp_path, minimal_file):
    out = tmp_path / "a" / "b" / "res"
    res = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "2", "--workers", "1",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "manifest.json").read_text())["trials_completed"] == 2


def test_a_full_disk_while_saving_leaves_a_resumable_folder(tmp_path, minimal_file):
    """Files are limited to 2 KB (RLIMIT_FSIZE: a write beyond it fails with EFBIG, as on a
    full disk): the new rows cannot be written, so the run exits 74. With --force the earlier
    folder was replaced when the new run journalled its first batch (docs/monte-carlo.md):
    what is left is that run's journal, whole, which --resume continues, with no rows file
    half written and no temporary folder or lock left."""
    out = tmp_path / "res"
    first = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "3", "--workers", "1",
                                     "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = snapshot(out)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    res = subprocess.run(drsim_command("run", str(minimal_file), "--trials", "4", "--workers", "1",
                                       "--out", str(out), "--force"),
                         env=env(), capture_output=True, text=True, timeout=120,
                         preexec_fn=small_files)
    assert res.returncode == 74
    assert res.stderr.splitlines() == [f"error: {out}: cannot write: File too large"]
    after = snapshot(out)
    assert before != after and sorted(after) == ["min.yaml", "res", "res/trials.journal"]
    resumed = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "4", "--workers",
                                       "1", "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert sorted(snapshot(out)) == ["min.yaml", "res", "res/manifest.json", "res/summary.json",
                                     "res/trials.parquet"]


def test_an_unwritable_export_exits_74(tmp_path, minimal_file, full_device):
    out = tmp_path / "res"
    assert CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "2", "--workers", "1",
                                    "--out", str(out)]).exit_code == 0
    for fmt in ("csv", "json", "parquet"):
        res = run_drsim("export", str(out), "--format", fmt, "--out", str(full_device))
        assert res.returncode == 74
        assert res.stderr.startswith(f"error: {full_device}: cannot write: ")
        assert "No space left on device" in res.stderr and len(res.stderr.splitlines()) == 1
    shutil.rmtree(out)
