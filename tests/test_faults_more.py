"""Faults left over from the first pass: standard output on a full device for every command
(click's own help and listings too), a journal the disk refuses, a second Ctrl-C while the
finished folder is being put in place, and the scenario warnings every command prints."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from faults import drsim_command, env, snapshot
from test_cli_options import TINY
from test_faults_output import full_device  # noqa: F401 — a fixture
from typer.testing import CliRunner

from drsim.cli import app
from drsim.report import journal, store
from drsim.scenario import load_scenario


def test_the_same_scenario_twice_is_refused_by_compare(tiny):
    other = tiny.parent / "again.yaml"
    other.symlink_to(tiny)
    for args, said in (([tiny, tiny], f"{tiny}: given twice; "),
                       ([tiny, other], f"{other}: given twice (the same file as {tiny}); ")):
        res = CliRunner().invoke(app, ["compare", *map(str, args), "--trials", "2"])
        assert res.exit_code == 2
        assert res.output == f"error: {said}compare each scenario once\n"


FULL = "error: standard output: cannot write: No space left on device\n"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY % ("4h", 100))
    return path


def _commands(tiny: Path) -> list[list[str]]:
    s = str(tiny)
    return [["--help"], ["--version"], ["run", "--help"], ["schema"], ["scenarios"],
            ["validate", s], ["show", s], ["replay", s, "--speed", "0"], ["explain", s],
            ["compare", s, str(tiny.with_name("other.yaml")), "--trials", "2", "--workers",
             "1"]]


def test_stdout_on_a_full_device_exits_74_from_every_command(tiny, full_device):  # noqa: F811
    """Help, version, schema and listings are printed by click or rich, outside drsim's own
    guarded writes: each still says which output failed, in one line, and exits 74."""
    tiny.with_name("other.yaml").write_text(tiny.read_text().replace("100", "90"))
    for args in _commands(tiny):
        with full_device.open("w") as stdout:
            res = subprocess.run(drsim_command(*args), env=env(), stdout=stdout,
                                 stderr=subprocess.PIPE, text=True, timeout=120)
        assert (res.returncode, res.stderr) == (74, FULL), args


def _limited(size: int):  # noqa: ANN202
    def limit() -> None:  # a write past `size` bytes fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def _run(tiny: Path, out: Path, *extra: str, size: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(drsim_command("run", str(tiny), "--seed", "5", "--trials", "6",
                                        "--workers", "1", "--batch-size", "1", "--out", str(out),
                                        "--allow-breach", *extra),
                          env=env(), capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited(size))


def test_a_journal_the_disk_refuses_from_the_start_exits_74_leaving_the_folder(tiny, tmp_path):
    """Files may hold one byte less than the journal's start record (the folder lock, a few
    hundred bytes, still fits): nothing of the run is saved and the folder from before,
    replaced only once the journal holds a batch, is exactly as it was."""
    out = tmp_path / "res"
    start = store.RunJournal(out, load_scenario(tiny), 5, 6, False).start
    room = len(journal.encode(start)) - 1
    assert CliRunner().invoke(app, ["run", str(tiny), "--trials", "2", "--workers", "1",
                                    "--out", str(out), "--allow-breach"]).exit_code == 0
    before = snapshot(out)
    res = _run(tiny, out, "--force", size=room)
    assert res.returncode == 74
    assert res.stderr == (f"error: {out}/trials.journal: cannot write: No space left on "
                          f"device; nothing of this run was saved and {out} is as it was\n")
    assert snapshot(out) == before


def test_a_journal_the_disk_refuses_midway_keeps_whole_batches_and_resumes(tiny, tmp_path):
    """Room for the start record and some batches, not all (1,500 bytes): exit 74; the journal
    holds whole records only (the torn one was cut off), and --resume completes the run with
    the rows an uninterrupted run gives."""
    out = tmp_path / "res"
    res = _run(tiny, out, size=1500)
    assert res.returncode == 74
    assert res.stderr == (f"error: {out}/trials.journal: cannot write: No space left on "
                          "device; the batches journalled before it are kept (--resume "
                          "continues from them)\n")
    log = out / journal.NAME
    contents = journal.read(log)
    assert contents.good == log.stat().st_size and not contents.note  # no torn end
    kept = sorted(r["trial"] for r in contents.rows)
    assert kept and kept == list(range(len(kept))) and len(kept) < 6
    resumed = _run(tiny, out, "--resume", size=10**9)
    assert resumed.returncode == 0, resumed.stderr
    assert _run(tiny, tmp_path / "direct", size=10**9).returncode == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "trials.parquet"),
                                  pd.read_parquet(tmp_path / "direct" / "trials.parquet"))


def _line(fd: int) -> bytes:
    got = b""
    while not got.endswith(b"\n"):
        chunk = os.read(fd, 1)
        assert chunk, "the run ended first"
        got += chunk
    return got


def test_a_second_ctrl_c_while_saving_exits_130_leaving_a_resumable_journal(tiny, tmp_path):
    """Ctrl-C while trial 3 runs: the run stops and saves its three finished trials; a second
    Ctrl-C while that folder is being put in place abandons the save. It still exits 130
    promptly, leaves the journal whole (trials 0–2), no temporary folder and no lock, and
    --resume completes the run as an uninterrupted one."""
    out = tmp_path / "res"
    r1, w1 = os.pipe()  # "ready" when trial 3 starts
    g1r, g1w = os.pipe()  # never written: trial 3 waits until interrupted
    r2, w2 = os.pipe()  # "swap" when the finished folder is about to replace the journal
    g2r, g2w = os.pipe()
    hooks = {"hold": f"3:{w1}:{g1r}", "hold_swap": f"2:{w2}:{g2r}"}
    proc = subprocess.Popen(drsim_command("run", str(tiny), "--seed", "5", "--trials", "6",
                                          "--workers", "1", "--batch-size", "1", "--out",
                                          str(out), "--allow-breach"),
                            env=env(**hooks), pass_fds=(w1, g1r, w2, g2r),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for fd in (w1, g1r, w2, g2r):
        os.close(fd)
    try:
        assert _line(r1) == b"ready\n"
        proc.send_signal(signal.SIGINT)
        assert _line(r2) == b"swap\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        for fd in (r1, g1w, r2, g2w):
            os.close(fd)
    assert proc.returncode == 130
    assert err.splitlines()[-1] == "interrupted (Ctrl-C)"
    assert sorted(os.listdir(tmp_path)) == ["res", "tiny.yaml"]  # no temporary folder, no lock
    assert os.listdir(out) == [journal.NAME]
    assert sorted(r["trial"] for r in journal.read(out / journal.NAME).rows) == [0, 1, 2]
    resumed = _run(tiny, out, "--resume", size=10**9)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "manifest.json").read_text())["trials_completed"] == 6
    assert _run(tiny, tmp_path / "direct", size=10**9).returncode == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "trials.parquet"),
                                  pd.read_parquet(tmp_path / "direct" / "trials.parquet"))


def test_every_command_that_reads_a_scenario_prints_its_warnings(tmp_path):
    """A site with no links is warned about (scenario/sense.py) by validate and run; show,
    compare, sweep and plot say it too, on stderr, before their own output."""
    from test_hostile_inputs import two_sites

    path, other = tmp_path / "s.yaml", tmp_path / "t.yaml"
    path.write_text(two_sites(), encoding="utf-8")
    other.write_text(two_sites().replace("1h", "2h"), encoding="utf-8")
    warning = (f"{path}:", "sites.a: warning: site 'a' has no links, so nothing can reach it")
    for args in (["show", path], ["compare", path, other, "--trials", "2", "--workers", "1"],
                 ["sweep", path, "--set", "sites.b.components.box.ttr=1h,2h", "--trials", "2",
                  "--workers", "1"],
                 ["plot", path, "--out", tmp_path / "f.png"]):
        res = CliRunner().invoke(app, [str(a) for a in args])
        assert res.exit_code in (0, 1), res.output  # 1: an objective breached
        said = [line for line in res.output.splitlines() if "warning:" in line]
        assert any(line.startswith(warning[0]) and warning[1] in line for line in said), args


def test_nanosecond_steps_retried_a_hundred_times_never_go_back_in_time():
    """Durations of 1 ns (the smallest drsim accepts) summed over 101 attempts and a staged
    step of 1,000 ns units: no internal error, no event before the one it follows, and the
    outcomes as often as the binomial law says. s1 succeeds within 101 attempts of p = 0.01
    with probability 1 − 0.99¹⁰¹ = 0.638, s2 (p = 0.001) with 1 − 0.999¹⁰¹ = 0.0961."""
    from drsim.scenario import load_scenario
    from drsim.sim.engine import simulate

    sc = load_scenario(ROOT / "tests/data/hostile/sub-microsecond-retries.yaml")
    s1 = s2 = 0
    for trial in range(200):
        r = simulate(sc, seed=1, trial=trial)
        times = [e.time_s for e in r.timeline]
        assert times == sorted(times) and all(s.end_s >= s.start_s for s in r.steps)
        ok = {s.step for s in r.steps if s.outcome == "ok"}
        s1 += "s1" in ok
        s2 += "s2" in ok
    # 200 trials: s1 ~ Binomial(200, 0.638), mean 127.5, sd 6.8 (±4 sd: 100–155); s2 ~
    # Binomial(200, 0.638 × 0.0961 = 0.0613), mean 12.3, sd 3.4 (±4 sd: 0–26)
    assert 100 <= s1 <= 155 and 0 < s2 <= 26
