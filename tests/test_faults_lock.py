"""Two runs into one results folder: the first holds an exclusive lock beside the folder, the
second refuses naming the holder (exit 2); a stale lock (its pid dead on this host) is
reported with how to remove it, never broken."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from faults import drsim_command, env, run_drsim, snapshot
from typer.testing import CliRunner

from drsim.cli import app
from drsim.report.lock import holder, lock_path


def test_a_second_run_into_a_folder_in_use_refuses_naming_the_first(tmp_path, minimal_file):
    """Two real processes: the first holds trial 2 until the test lets it go (a pipe, not a
    sleep); meanwhile the second, into the same folder, exits 2 naming the first's pid and
    host; the first then finishes and its folder is the one left."""
    out = tmp_path / "res"
    ready_r, ready_w = os.pipe()
    gate_r, gate_w = os.pipe()
    first = subprocess.Popen(
        drsim_command("run", str(minimal_file), "--trials", "5", "--workers", "1", "--out",
                      str(out), "--seed", "3"),
        env=env(hold=f"2:{ready_w}:{gate_r}"), pass_fds=(ready_w, gate_r),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(ready_w)
    os.close(gate_r)
    try:
        assert os.read(ready_r, 6) == b"ready\n"  # b"" if the first run died instead
        lock = json.loads(lock_path(out).read_text())
        assert lock["pid"] == first.pid and lock["host"] == socket.gethostname()
        before = snapshot(out)  # the first run's journal, if it has finished a batch
        for extra in ([], ["--force"]):
            second = run_drsim("run", str(minimal_file), "--trials", "4", "--workers", "1",
                               "--out", str(out), *extra)
            assert second.returncode == 2, second.stderr
            assert second.stderr.splitlines() == [
                f"error: {out}: in use by another drsim run (pid {first.pid} on "
                f"{socket.gethostname()}, since {lock['since']}: {lock['command']}); wait for "
                "it to end, or write to another folder"]
        assert snapshot(out) == before  # the second wrote nothing
    finally:
        os.close(gate_w)  # lets the first run go on
        os.close(ready_r)
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["trials_requested"] == 5 and manifest["seed"] == 3
    assert not lock_path(out).exists()  # released


def test_lock_records_the_command_and_is_released_on_every_exit(tmp_path, minimal_file):
    """A run that fails (a trial raises, exit 70) still removes its lock; the lock is a hidden
    file beside the folder, so the folder itself is only ever the run's output."""
    out = tmp_path / "res"
    res = run_drsim("run", str(minimal_file), "--trials", "3", "--workers", "1", "--out", str(out),
                    faults={"raise": "1"})
    assert res.returncode == 70, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["min.yaml", "res"]


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_stale_lock_is_reported_with_how_to_remove_it_never_broken(tmp_path, minimal_file):
    out = tmp_path / "res"
    pid = dead_pid()
    lock = lock_path(out)
    lock.write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                "since": "2026-11-29T20:00:00+00:00", "command": "drsim run"}))
    before = snapshot(out)
    res = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "2", "--workers", "1",
                                   "--out", str(out)])
    assert res.exit_code == 2
    assert res.output.splitlines() == [
        f"error: {out}: stale lock {lock}: pid {pid} on {socket.gethostname()} took it at "
        f"2026-11-29T20:00:00+00:00 and is no longer running (killed?); if no drsim run is "
        f"writing {out}, remove the lock (rm {lock}) and run again (--resume keeps its "
        "finished trials)"]
    assert snapshot(out) == before  # the lock is left as it was, nothing else written
    lock.unlink()  # as the message says
    res = CliRunner().invoke(app, ["run", str(minimal_file), "--trials", "2", "--workers", "1",
                                   "--out", str(out), "--allow-breach"])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("content,expected", [
    # pid 1 always runs; on another host, drsim cannot tell, so the lock is held
    ({"pid": 1, "host": socket.gethostname()}, "in use by another drsim run (pid 1 on "),
    ({"pid": dead_pid(), "host": "another-host.example"},
     "in use by another drsim run (pid {pid} on another-host.example"),
    ("not json", "which cannot be read (JSONDecodeError)"),
    ({"host": "h"}, "which cannot be read (KeyError)"),
])
def test_who_holds_a_lock(tmp_path, content, expected):
    out = tmp_path / "res"
    text = content if isinstance(content, str) else json.dumps(content)
    lock_path(out).write_text(text)
    pid = content.get("pid") if isinstance(content, dict) else None
    assert expected.format(pid=pid) in holder(out)


def test_a_lock_that_vanished_while_being_read(tmp_path):
    assert holder(tmp_path / "res").endswith("came and went; run again")
