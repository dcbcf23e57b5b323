"""Finished work is never lost. The results folder's journal: a run killed outright (SIGKILL
of the coordinator, a power cut tearing the last record) resumes from its last complete
batch with the rows of an uninterrupted run; a torn end is ignored with one line, damage
before the end refused (exit 2, folder untouched). Worker processes killed by a signal:
named with the signal, their finished trials kept, their batch run again on a fresh pool,
at most three times, then exit 75 with a partial, resumable folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
from conftest import ROOT
from test_cli_options import TINY
from typer.testing import CliRunner

from drsim import montecarlo
from drsim.cli import app
from drsim.montecarlo import MAX_BATCH_ATTEMPTS, death, frame_of, run_trials
from drsim.report import journal, store
from drsim.scenario import load_scenario

runner = CliRunner()
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY % ("4h", 100))
    return path


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def rows(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "trials.parquet")


def uninterrupted(tiny: Path, folder: Path, trials: int, seed: int) -> pd.DataFrame:
    res = invoke("run", tiny, "--seed", seed, "--trials", trials, "--workers", 1, "--out",
                 folder, "--allow-breach")
    assert res.exit_code == 0, res.output
    return rows(folder)


def wait_for(done: Callable[[], bool], proc: subprocess.Popen[Any], what: str) -> None:
    """Wait for an event seen in the file system (polled), failing if the run ends first."""
    deadline = time.monotonic() + 90
    while not done():
        assert proc.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"no {what} in 90 s"
        time.sleep(0.002)


def spy_trials(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every trial run in this process (a run with --workers 1)."""
    ran: list[int] = []
    real = montecarlo.run_batch

    def run_batch(scenario: Any, seed: int, trials: list[int], topology: Any = None) -> Any:
        ran.extend(trials)
        return real(scenario, seed, trials, topology)

    monkeypatch.setattr(montecarlo, "run_batch", run_batch)
    return ran


# ---- the coordinator killed outright --------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_run_killed_with_sigkill_resumes_from_its_last_complete_batch(tiny, tmp_path,
                                                                        monkeypatch):
    out = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "drsim", "run", str(tiny), "--seed", "5",
                             "--trials", "100000", "--workers", "2", "--batch-size", "10",
                             "--out", str(out), "--allow-breach"],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / journal.NAME
    # the start record and three finished batches, each a whole line
    wait_for(lambda: log.is_file() and log.read_bytes().count(b"\n") >= 4, proc,
             "three journalled batches")
    family = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    assert proc.wait() == -signal.SIGKILL
    # its workers, forkserver and resource tracker see it gone and end
    assert psutil.wait_procs(family, timeout=30)[1] == []
    assert os.listdir(out) == [journal.NAME]  # only the journal: no manifest was written
    kept = sorted(r["trial"] for r in journal.read(log).rows)
    # whole batches of 10 (trials 10k … 10k+9), however many finished before the kill
    assert len(kept) >= 30 and kept == sorted({t // 10 * 10 + j for t in kept for j in range(10)})
    n = max(kept) + 11 - (max(kept) + 1) % 10  # the kept batches and at least one more
    # the killed run's lock is stale: reported, never broken silently; removed as it says
    stale = invoke("run", tiny, "--seed", 5, "--trials", n, "--workers", 1, "--out", out,
                   "--resume", "--allow-breach")
    lock = out.parent / f".{out.name}.lock"
    assert stale.exit_code == 2 and f"remove the lock (rm {lock})" in stale.output
    lock.unlink()
    ran = spy_trials(monkeypatch)
    res = invoke("run", tiny, "--seed", 5, "--trials", n, "--workers", 1, "--out", out,
                 "--resume", "--allow-breach")
    assert res.exit_code == 0, res.output
    assert ran == sorted(set(range(n)) - set(kept))  # nothing journalled was run again
    man = json.loads((out / "manifest.json").read_text())
    assert (man["trials_completed"], man["complete"]) == (n, True)
    assert sorted(os.listdir(out)) == ["manifest.json", "summary.json", "trials.parquet"]
    pd.testing.assert_frame_equal(rows(out), uninterrupted(tiny, tmp_path / "direct", n, 5))


def test_the_journal_is_replaced_by_the_finished_folder(tiny, tmp_path):
    """Between batches the folder holds the journal (start record + one line per finished
    batch of 2); once the run ends, the rows file, summary and manifest replace it."""
    out = tmp_path / "res"
    seen: list[int] = []

    def watch(rows_: list[dict[str, Any]]) -> None:
        sink.add(rows_)
        seen.append(len(journal.read(out / journal.NAME).rows))

    sc = load_scenario(tiny)
    sink = store.RunJournal(out, sc, 3, 6, resume=False)
    result = run_trials(sc, 6, seed=3, workers=1, batch_size=2, on_batch=watch)
    sink.close()
    assert seen == [2, 4, 6]  # each batch on disk as soon as it finished
    store.save(out, result, result.summary().to_dict())
    assert sorted(os.listdir(out)) == ["manifest.json", "summary.json", "trials.parquet"]


def test_a_run_that_finishes_no_batch_writes_nothing(tiny, tmp_path):
    res = invoke("run", tiny, "--until", "nosuch=5%", "--out", tmp_path / "res")
    assert res.exit_code == 2 and "--until" in res.output
    assert not (tmp_path / "res").exists()


def test_force_replaces_an_old_folder_when_the_first_batch_is_journalled(tiny, tmp_path):
    out = tmp_path / "res"
    uninterrupted(tiny, out, 4, 1)
    sc = load_scenario(tiny)
    sink = store.RunJournal(out, sc, 2, 6, resume=False)
    assert (out / "manifest.json").exists()  # nothing happens before a batch finishes
    sink.add(run_trials(sc, 2, seed=2, workers=1).frame.to_dict("records"))  # type: ignore[arg-type]
    sink.close()
    assert os.listdir(out) == [journal.NAME]  # the old rows cannot mix with the new run's
    assert [r["trial"] for r in journal.read(out / journal.NAME).rows] == [0, 1]


# ---- torn and damaged journals ---------------------------------------------------------------


@pytest.fixture
def written(tiny: Path, tmp_path: Path) -> tuple[bytes, pd.DataFrame]:
    """The journal of a 6-trial run (seed 3) in batches of 2, as a kill after its last batch
    leaves it, and the rows of that run."""
    sc = load_scenario(tiny)
    sink = store.RunJournal(tmp_path / "made", sc, 3, 6, resume=False)
    result = run_trials(sc, 6, seed=3, workers=1, batch_size=2, on_batch=sink.add)
    sink.close()
    return (tmp_path / "made" / journal.NAME).read_bytes(), result.frame


def test_a_journal_cut_at_every_byte_reads_as_its_complete_records(written, tmp_path):
    data, frame = written
    assert data.count(b"\n") == 4  # a start record and three batches of 2 trials
    ends = [i + 1 for i, b in enumerate(data) if b == ord("\n")]
    part = tmp_path / journal.NAME
    for size in range(len(data) + 1):
        found = journal.parse(data[:size], part)
        whole = [e for e in ends if e <= size]  # records complete in the first `size` bytes
        batches = max(0, len(whole) - 1)
        assert [r["trial"] for r in found.rows] == list(range(2 * batches)), size
        assert (found.start is None) == (not whole)
        assert found.good == (whole[-1] if whole else 0)
        torn = size not in (0, *ends)
        assert bool(found.note) == torn, size
        if torn:  # one line naming the file, the record and its bytes
            assert found.note.startswith(f"{part}:{len(whole) + 1}: its last record (bytes "
                                         f"{found.good}–{size}) is torn")
    # read back whole, every value has the bits it had (inf and NaN included)
    pd.testing.assert_frame_equal(frame_of(load_scenario(tmp_path / "tiny.yaml"),
                                           journal.read(tmp_path / "made" / journal.NAME).rows),
                                  frame)


def test_resume_after_a_torn_end_gives_the_rows_of_an_uninterrupted_run(written, tiny,
                                                                        tmp_path):
    data, _ = written
    direct = uninterrupted(tiny, tmp_path / "direct", 6, 3)
    ends = [i + 1 for i, b in enumerate(data) if b == ord("\n")]
    sizes = sorted({s for e in ends for s in (e - 1, e, e + 1) if ends[0] <= s <= len(data)}
                   | set(range(ends[0] + 7, len(data), 401)))
    for size in sizes:
        out = tmp_path / f"cut{size}"
        out.mkdir()
        (out / journal.NAME).write_bytes(data[:size])
        res = invoke("run", tiny, "--seed", 3, "--workers", 1, "--out", out, "--resume",
                     "--allow-breach")
        assert res.exit_code == 0, (size, res.output)
        pd.testing.assert_frame_equal(rows(out), direct)
        notes = [line for line in res.stderr.splitlines() if line.startswith("note:")]
        assert len(notes) == (size not in ends), (size, res.stderr)


def test_a_last_record_zeroed_by_a_power_cut_is_ignored_with_a_note(written, tiny, tmp_path):
    """A power cut can leave the blocks of the last write as zeros (the file's length was
    recorded, its data not): that record is torn, the two before it are kept."""
    data, _ = written
    ends = [i + 1 for i, b in enumerate(data) if b == ord("\n")]
    out = tmp_path / "res"
    out.mkdir()
    (out / journal.NAME).write_bytes(data[:ends[2]] + bytes(ends[3] - ends[2]))
    res = invoke("run", tiny, "--seed", 3, "--workers", 1, "--out", out, "--resume",
                 "--allow-breach")
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines()[0] == (
        f"note: {out / journal.NAME}:4: its last record (bytes {ends[2]}–{ends[3]}) is torn, "
        "as a crash mid-write leaves it (no newline at its end); ignored: its trials run "
        "again")
    pd.testing.assert_frame_equal(rows(out), uninterrupted(tiny, tmp_path / "direct", 6, 3))


def test_a_journal_torn_inside_its_first_record_needs_the_trial_count(written, tiny,
                                                                      tmp_path):
    data, _ = written
    out = tmp_path / "res"
    out.mkdir()
    (out / journal.NAME).write_bytes(data[:100])
    res = invoke("run", tiny, "--seed", 3, "--workers", 1, "--out", out, "--resume")
    assert res.exit_code == 2
    assert res.stderr.splitlines()[-1] == (
        f"error: {out / journal.NAME}: torn before its first record ends, so the number of "
        "trials its run asked for is unknown; give --trials N")
    assert (out / journal.NAME).read_bytes() == data[:100]  # untouched
    res = invoke("run", tiny, "--seed", 3, "--trials", 6, "--workers", 1, "--out", out,
                 "--resume", "--allow-breach")
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(rows(out), uninterrupted(tiny, tmp_path / "direct", 6, 3))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.mark.parametrize(("damage", "line", "what"), [
    # a byte of the second record's payload changed: its checksum no longer matches
    (lambda d, ends: _flip(d, ends[0] + 100), 2, "checksum mismatch"),
    # a line that is no record, between two records
    (lambda d, ends: d[:ends[1]] + b"hello\n" + d[ends[1]:], 3, "not a journal record"),
    # the second record cut short, with the rest written after it
    (lambda d, ends: d[:ends[1] - 30] + b"\n" + d[ends[1]:], 2, "checksum mismatch"),
], ids=["flipped-byte", "foreign-line", "short-record"])
def test_damage_before_the_last_record_is_refused_and_nothing_changes(written, tiny, tmp_path,
                                                                      damage, line, what):
    data, _ = written
    ends = [i + 1 for i, b in enumerate(data) if b == ord("\n")]
    out = tmp_path / "res"
    out.mkdir()
    bad = damage(data, ends)
    (out / journal.NAME).write_bytes(bad)
    res = invoke("run", tiny, "--seed", 3, "--workers", 1, "--out", out, "--resume")
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "Traceback" not in res.output
    assert res.output.startswith(f"error: {out / journal.NAME}:{line}: {what}")
    assert "cannot be resumed" in res.output and "--force" in res.output
    assert os.listdir(out) == [journal.NAME] and (out / journal.NAME).read_bytes() == bad


def test_a_journal_from_another_seed_is_refused(written, tiny, tmp_path):
    data, _ = written
    out = tmp_path / "res"
    out.mkdir()
    (out / journal.NAME).write_bytes(data)
    res = invoke("run", tiny, "--seed", 4, "--workers", 1, "--out", out, "--resume")
    assert res.exit_code == 2 and "cannot resume" in res.output and "seed was 3, now 4" in \
        res.output


# ---- workers killed by a signal ------------------------------------------------------------

# Loaded by every Python process of a test run (PYTHONPATH): in a pool worker, running trial
# TRIAL kills the worker with SIGKILL, as the OOM killer would; EVERY=False does it once.
KILLER = """\
import multiprocessing, os, signal
from pathlib import Path
import drsim.montecarlo as mc
_real = mc.run_batch
def run_batch(scenario, seed, trials, topology=None):
    if multiprocessing.parent_process() is not None and {trial} in trials:
        marker = Path({marker!r})
        if {every} or not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return _real(scenario, seed, trials, topology)
mc.run_batch = run_batch
"""


def run_with_killer(tmp_path: Path, args: list[Any], trial: int,
                    every: bool) -> subprocess.CompletedProcess[str]:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(KILLER.format(trial=trial, every=every,
                                                         marker=str(hook / "killed")))
    env = {**ENV, "PYTHONPATH": f"{ROOT}{os.pathsep}{hook}"}
    return subprocess.run([sys.executable, "-m", "drsim", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


DEATH = ("killed by signal 9 (SIGKILL), likely out of memory (the kernel's OOM killer "
         "sends SIGKILL)")


@pytest.mark.timeout(150)
def test_a_worker_killed_once_is_named_and_its_batch_run_again(tiny, tmp_path):
    out = tmp_path / "res"
    proc = run_with_killer(tmp_path, ["run", tiny, "--seed", 3, "--trials", 12, "--workers", 2,
                                      "--batch-size", 3, "--out", out, "--allow-breach"],
                           trial=7, every=False)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, proc.stderr
    # trials 6-8 are one batch: trial 6 finished (its row sent) before trial 7 killed it
    assert notes[0].startswith("note: worker ") and DEATH in notes[0]
    assert notes[0].endswith(", while running trials 6–8 (1 finished and kept, trial 7 "
                             "unfinished); the unfinished batches run again on a fresh pool "
                             f"(attempt 2 of {MAX_BATCH_ATTEMPTS})")
    assert "12 of 12 trials, complete" in proc.stdout
    pd.testing.assert_frame_equal(rows(out), uninterrupted(tiny, tmp_path / "direct", 12, 3))


@pytest.mark.timeout(150)
def test_a_worker_that_keeps_dying_stops_the_run_with_75_and_a_resumable_folder(tiny,
                                                                               tmp_path):
    out = tmp_path / "res"
    proc = run_with_killer(tmp_path, ["run", tiny, "--seed", 3, "--trials", 12, "--workers", 2,
                                      "--batch-size", 3, "--out", out, "--allow-breach"],
                           trial=7, every=True)
    assert proc.returncode == 75, proc.stderr
    lines = proc.stderr.splitlines()
    assert [line[line.index("(attempt"):] for line in lines if line.startswith("note:")] == \
        ["(attempt 2 of 3)", "(attempt 3 of 3)"]
    assert lines[-1].startswith("error: worker ") and DEATH in lines[-1]
    assert (", while running trials 6–8 (1 finished and kept, trial 7 unfinished); that batch "
            "lost its worker 3 times, so the run stops (a batch is tried at most 3 times)"
            ) in lines[-1]
    assert f"--out {out} --resume` continues the run" in lines[-1]
    assert "stopped early (a worker kept dying), finished trials kept" in proc.stdout
    man = json.loads((out / "manifest.json").read_text())
    kept = list(rows(out)["trial"])
    assert not man["complete"] and man["trials_completed"] == len(kept)
    assert lines[-1].startswith(f"error: {man['worker_lost']}; the {len(kept)} finished trials")
    assert 6 in kept and 7 not in kept and 8 not in kept  # trial 6 finished before 7 died
    # without the fault, --resume runs what is missing and gives the uninterrupted rows
    res = invoke("run", tiny, "--seed", 3, "--workers", 1, "--out", out, "--resume",
                 "--allow-breach")
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(rows(out), uninterrupted(tiny, tmp_path / "direct", 12, 3))


@pytest.mark.timeout(150)
def test_a_worker_killed_from_outside_mid_run_loses_nothing(tiny):
    """SIGKILL sent to a pool worker (found with psutil) once rows are coming in: the note
    names that pid and its signal; the run still gives the rows of one worker."""
    sc = load_scenario(tiny)
    killed: list[int] = []
    notes: list[str] = []

    def progress(done: int, total: int, rows_: list[dict[str, Any]]) -> None:
        if done == 8 and not killed:
            workers = [w for p in psutil.Process().children()
                       if "forkserver" in " ".join(p.cmdline()) for w in p.children()]
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    two = run_trials(sc, 40, seed=11, workers=2, batch_size=4, progress=progress,
                     note=notes.append)
    assert len(notes) == 1 and notes[0].startswith(f"worker {killed[0]} {DEATH}, ")
    assert two.complete and not two.lost
    pd.testing.assert_frame_equal(two.frame, run_trials(sc, 40, seed=11, workers=1).frame)


def test_how_a_worker_ended_is_said_from_its_exit_code():
    assert death(-9) == DEATH
    assert death(-11) == "killed by signal 11 (SIGSEGV)"
    assert death(3) == "exited with status 3"


def test_exit_status_75_is_documented_in_the_help_the_readme_and_the_guide():
    text = " ".join(invoke("run", "--help").output.replace("│", " ").split())
    assert "75 a worker process kept dying" in text
    assert "| 75 |" in (ROOT / "README.md").read_text()
    assert "| 75 |" in (ROOT / "docs" / "monte-carlo.md").read_text()


def test_compare_stops_with_75_when_a_worker_kept_dying(tmp_path, monkeypatch):
    """compare cannot use part of a run: a run stopped by a dying worker stops it too, with
    the run's message and exit 75, before the second scenario starts."""
    import drsim.analysis.compare as compare_module
    from drsim.montecarlo import Trials
    from drsim.trial import columns

    calls: list[str] = []
    lost = f"worker 41 {DEATH}, while running trials 0–1 (0 finished and kept, trial 0 " \
           "unfinished); that batch lost its worker 3 times, so the run stops"

    def stopped(sc: Any, *args: Any, **kwargs: Any) -> Trials:
        calls.append(sc.name)
        return Trials(sc, 1, pd.DataFrame(columns=columns(sc)), 4, complete=False, lost=lost)

    monkeypatch.setattr(compare_module, "run_trials", stopped)
    base, fast = tmp_path / "tiny.yaml", tmp_path / "fast.yaml"
    base.write_text(TINY % ("4h", 100))
    fast.write_text(TINY % ("1h", 300))
    res = invoke("compare", base, fast, "--trials", 4, "--workers", 1)
    assert res.exit_code == 75
    assert res.output.strip() == f"error: {lost}"
    assert calls == ["tiny"]
