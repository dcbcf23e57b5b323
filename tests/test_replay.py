"""drsim replay: same events as drsim run, honest pacing, keys, and the live board in a pty."""

from __future__ import annotations

import json
import re
import sys
import termios
from datetime import datetime
from zoneinfo import ZoneInfo

import pexpect
import pytest
import typer
from conftest import ROOT, SCENARIOS
from rich.console import Console
from typer.testing import CliRunner

from drsim.cli import app as drsim_app
from drsim.cli.replay import replay as replay_command
from drsim.report.replay import Board, Clock, Controls, Replay, feed_line, play
from drsim.report.text import why_lines
from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

DRILL = ROOT / "scenarios" / "nyc-chicago-capacity-short.yaml"  # deterministic
runner = CliRunner()

# The command on its own, so these tests do not depend on how drsim.cli wires it in.
replay_app = typer.Typer(add_completion=False)
replay_app.command()(replay_command)


class FakeTime:
    """A timer and a sleep that only move when slept: pacing measured without waiting."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s
        self.slept += s


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_replay_records_exactly_the_events_of_a_run(path):
    sc = load_scenario(path)
    expected = simulate(sc, seed=11)
    to_horizon = Replay(sc, seed=11, until_end=False)
    assert play(to_horizon, Clock(0), lambda events: None)
    result = to_horizon.result()
    assert result.timeline == expected.timeline
    assert result.intervals == expected.intervals and result.metrics == expected.metrics
    until_end = Replay(sc, seed=11)
    play(until_end, Clock(0), lambda events: None)
    assert tuple(until_end.events) == expected.timeline


def test_no_live_prints_the_timeline_of_drsim_run(tmp_path):
    out = tmp_path / "run.json"
    ran = runner.invoke(drsim_app, ["run", str(DRILL), "--seed", "3", "--json", str(out)])
    assert ran.exit_code == 1, ran.output  # this drill breaches its objectives
    timeline = json.loads(out.read_text())["timeline"]
    zone = ZoneInfo(load_scenario(DRILL).simulation.timezone)
    expected = [feed_line(datetime.fromisoformat(e["wall_clock"]).astimezone(zone), e["kind"],
                          e["subject"], e["detail"]) for e in timeline]
    got = runner.invoke(replay_app, [str(DRILL), "--seed", "3", "--no-live", "--speed", "0"])
    assert got.exit_code == 0, got.output
    lines = got.stdout.splitlines()
    assert lines[:len(expected)] == expected
    assert expected[0].startswith("2026-03-10 10:42:00 EDT  disruption")
    # then why it went as it did: the "Why:" lines drsim run prints (wrapped there)
    sc = load_scenario(DRILL)
    assert lines[len(expected):] == why_lines(simulate(sc, seed=3), sc)
    assert lines[len(expected)] == "Why:" and "Why:" in ran.output
    # (--horizon at --speed 0 would change nothing and is refused; 1e9 is paced, ~0.2 ms)
    horizon = runner.invoke(replay_app, [str(DRILL), "--seed", "3", "--no-live", "--speed",
                                         "1e9", "--horizon"])
    assert horizon.stdout.splitlines() == lines


def test_speed_is_exact_without_skipping():
    fake = FakeTime()
    drill = Replay(load_scenario(DRILL))
    shown: list[tuple[float, float]] = []
    play(drill, Clock(600, fake), lambda evs: shown.extend((e.time_s, fake.t) for e in evs),
         skip_quiet=0, sleep=fake.sleep)
    last_s = drill.preview.timeline[-1].time_s
    assert fake.slept == pytest.approx(last_s / 600)
    assert all(real == pytest.approx(sim / 600) for sim, real in shown)  # each on time


def test_long_quiet_stretches_are_skipped_to_a_second_before_the_next_event():
    fake = FakeTime()
    drill = Replay(load_scenario(DRILL))
    skips: list[float] = []
    play(drill, Clock(600, fake), lambda evs: None, skip_quiet=10, on_skip=skips.append,
         sleep=fake.sleep)
    # quiet from the start to the failure at 10:42 (1h 42m = 10.2 s at ×600), and the
    # evening before the spares arrive; each skip leaves one real second (600 s) of approach
    assert skips[0] == pytest.approx(6120 - 600)
    assert len(skips) >= 2
    last_s = drill.preview.timeline[-1].time_s
    assert fake.slept == pytest.approx((last_s - sum(skips)) / 600)
    assert tuple(drill.events) == drill.preview.timeline


def test_keys_pause_change_speed_and_quit():
    fake = FakeTime()
    clock, controls = Clock(600, fake), Controls()
    fake.sleep(1)
    controls.apply(" ", clock)
    paused_at = clock.now()
    fake.sleep(5)
    assert clock.paused and clock.now() == paused_at == 600
    controls.apply(" ++", clock)
    assert clock.speed == 2400
    fake.sleep(1)
    assert clock.now() == 600 + 2400
    controls.apply("--", clock)
    assert clock.speed == 600 and not controls.quit
    controls.apply("q", clock)
    assert controls.quit
    fast = Clock(0)
    fast.set_speed(100)
    assert fast.speed == 0 and fast.now() == float("inf")


def test_board_shows_state_and_prints_names_verbatim(scenario_factory):
    sc = scenario_factory(name="[/bold] drill", disruptions=[
        {"id": "cut", "description": "[/red] power cut", "at": "1h", "targets": [{"site": "a"}],
         "duration": "2h"}])
    drill = Replay(sc)
    board = Board(drill, Clock(600))
    board.take(drill.advance(2 * 3600))
    console = Console(width=140, height=60, record=True, color_system=None)
    console.print(board.render(2 * 3600, console=console))
    text = console.export_text()
    assert "[/bold] drill" in text and "[/red] power cut" in text
    assert "clock Tue 10 Mar 2026 11:00:00 UTC" in text
    assert re.search(r"site a\s+DOWN", text) and "site_down" not in text


# ---- the live board in a pseudo-terminal ------------------------------------------------------

CLOCK = re.compile(r"clock (\w{3} \d\d \w{3} \d{4} \d\d:\d\d:\d\d)")


def _spawn(*args: str) -> pexpect.spawn:
    wired = any(c.name == "replay" for c in drsim_app.registered_commands)
    cmd = (["-m", "drsim", "replay"] if wired else
           ["-c", "import typer; from drsim.cli.replay import replay; typer.run(replay)"])
    return pexpect.spawn(sys.executable, [*cmd, *args], cwd=str(ROOT), dimensions=(45, 150),
                         encoding="utf-8", timeout=90, env={"TERM": "xterm", "PATH": ""})


def _cooked(child: pexpect.spawn) -> bool:
    lflag = termios.tcgetattr(child.child_fd)[3]
    return bool(lflag & termios.ICANON) and bool(lflag & termios.ECHO)


@pytest.mark.timeout(240)  # a cap for a hung child, never reached when it works
def test_live_board_pauses_and_quits_in_a_terminal():
    # to the horizon without skipping: 2 days at ×5000 take 35 s, far more than the keys need
    # (the test quits long before; a loaded machine cannot let the replay end first)
    child = _spawn(str(DRILL), "--speed", "5000", "--horizon", "--skip-quiet", "0")
    try:
        child.expect("enterprise")
        child.expect("open-bridge")
        assert not _cooked(child)  # cbreak mode while the board runs
        child.send(" ")
        child.expect("PAUSED")
        child.expect(CLOCK)  # the first frame drawn after the pause
        paused = child.match.group(1)
        for _ in range(5):  # the next five frames (one every 0.1 s): redrawn, clock stands still
            child.expect(CLOCK)
            assert child.match.group(1) == paused
        child.send("q")
        child.expect_exact("\x1b[?25h")  # the cursor shown again
        child.expect("Replay stopped at")
        child.expect(pexpect.EOF)
        assert _cooked(child)  # the terminal is given back as it was
    finally:
        child.close()
    assert child.exitstatus == 0


@pytest.mark.timeout(240)  # a cap for a hung child, never reached when it works
def test_ctrl_c_restores_the_terminal():
    child = _spawn(str(DRILL), "--speed", "600", "--skip-quiet", "0")
    try:
        child.expect(CLOCK)
        child.sendintr()
        child.expect(pexpect.EOF)
        assert _cooked(child)
    finally:
        child.close()
    assert child.exitstatus == 130
