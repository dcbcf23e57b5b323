"""drsim score on files: a drill log, a paging export, a status-page history and a map, of a
drill of the fixed-duration scenario of test_score_figures (every trial the same timeline):
the drill as planned exits 0 at the median of every figure; three times slower exits 1;
bad input exits 2 with one line per problem and nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from test_score_figures import SCENARIO
from typer.testing import CliRunner

from drsim.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
FAULT = datetime(2026, 3, 10, 10, 2, tzinfo=UTC)  # 09:00 + 1h02m
# Minutes from the fault in the fixed scenario (test_score_figures' FIXED, in minutes):
# alert 8, ack 12, declared 18; prepare 18→28, switch 28→43 (users back on b at 43);
# failback 180→185 (box repaired at 3 h; users home at 185)
TIMES = {"created": 8, "acknowledged": 12, "declared": 18, "back": 43, "home": 185}
STEPS = {"failover.prepare": (18, 28), "failover.switch": (28, 43), "failback.back": (180, 185)}


def _at(minutes: float, factor: float) -> str:
    return (FAULT + timedelta(minutes=minutes * factor)).isoformat()


def drill_files(folder: Path, factor: float = 1.0, drills: tuple[str, ...] = ("d1",),
                switch: str = "15m") -> dict[str, Path]:
    """The scenario and the records of `drills` (each the same timeline, every time from the
    fault × factor): drill.csv, pages.csv, status.json, map.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: folder / n for k, n in (("scenario", "s.yaml"), ("drill", "drill.csv"),
                                        ("pages", "pages.csv"), ("status", "status.json"),
                                        ("map", "map.yaml"))}
    paths["scenario"].write_text(SCENARIO.format(switch=switch, prepare="10m"))
    paths["drill"].write_text("drill,step,start,end\n" + "".join(
        f"{d},{step},{_at(a, factor)},{_at(b, factor)}\n" for d in drills
        for step, (a, b) in STEPS.items()))
    paths["pages"].write_text("incident,started,created,acknowledged,declared,resolved\n" + "".join(
        f"{d},{_at(0, 1)},{_at(TIMES['created'], factor)},{_at(TIMES['acknowledged'], factor)},"
        f"{_at(TIMES['declared'], factor)},{_at(TIMES['home'], factor)}\n" for d in drills))
    paths["status"].write_text(json.dumps({"incidents": [{"id": d, "incident_updates": [
        {"status": "investigating", "created_at": _at(1, 1), "affected_components": [
            {"name": "Calls", "new_status": "major_outage"}]},
        {"status": "monitoring", "created_at": _at(TIMES["back"], factor),
         "affected_components": [{"name": "Calls", "new_status": "operational"}]},
        {"status": "resolved", "created_at": _at(TIMES["home"], factor)}]} for d in drills]}))
    paths["map"].write_text("components:\n  Calls: {groups: [users]}\n")
    return paths


def args(paths: dict[str, Path], *more: object) -> list[str]:
    return ["score", str(paths["scenario"]), "--drill", str(paths["drill"]), "--pages",
            str(paths["pages"]), "--status", str(paths["status"]), "--map", str(paths["map"]),
            "--trials", "20", *map(str, more)]


def scores(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text())
    return {f["figure"]: f for f in data["drills"][0]["figures"]}


def test_the_drill_as_planned_sits_at_every_median_and_exits_0(tmp_path):
    paths = drill_files(tmp_path)
    res = runner.invoke(app, args(paths, "--json", tmp_path / "s.json"))
    assert res.exit_code == 0, res.output
    got = scores(tmp_path / "s.json")
    # minutes × 60: 8, 12, 18, 43, 43, 185; steps 10, 15, 5 minutes
    assert {k: f["observed_s"] for k, f in got.items()} == {
        "ttd_s": 480.0, "tta_s": 720.0, "declared_after_s": 1080.0, "rto_basic_s": 2580.0,
        "rto_full_s": 11100.0, "rto_basic_s.users": 2580.0, "step_s.failback.back": 300.0,
        "step_s.failover.prepare": 600.0, "step_s.failover.switch": 900.0}
    # 20 trials all equal to it: mid-rank 0 + 20/2 of 20 = 0.5; as bad or worse 20/20
    assert {(f["percentile"], f["p_worse"], f["flag"], f["n"]) for f in got.values()} == {
        (0.5, 1.0, None, 20)}
    assert "Drill d1 against 20 simulated trials" in res.output
    assert "time to detect" in res.output and "basic service: users" in res.output


def test_a_drill_three_times_slower_exits_1_naming_each_figure(tmp_path):
    paths = drill_files(tmp_path, factor=3.0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "drsim", *args(paths)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    # every figure is 3× its fixed value: above all 20 trials, P(as bad or worse) 0/20
    lines = proc.stderr.splitlines()
    assert len(lines) == 9
    assert "drill d1: time to detect above P95 (percentile 100.0%, P(as bad or worse) 0.0%)" \
        in lines
    assert "drill d1: step failover.switch above P95 (percentile 100.0%, P(as bad or worse) " \
           "0.0%)" in lines


def test_several_drills_get_the_calibration_check(tmp_path):
    paths = drill_files(tmp_path, drills=("d1", "d2", "d3", "d4", "d5"),
                        switch="{exponential: {mean: 15m}}")
    res = runner.invoke(app, args(paths, "--json", tmp_path / "s.json"))
    data = json.loads((tmp_path / "s.json").read_text())
    assert [d["drill"] for d in data["drills"]] == ["d1", "d2", "d3", "d4", "d5"]
    cal = data["calibration"]
    # 5 drills × 9 exact figures = 45 PIT values, a histogram of them, per figure 5 each
    assert cal["n"] == 45 and sum(cal["histogram"]) == 45
    assert set(cal["by_figure"]) >= {"ttd_s", "step_s.failover.switch"}
    assert {c["n"] for c in cal["by_figure"].values()} == {5}
    # the five drills are one timeline: the switch step's 5 PITs are all the same value
    assert len(set(cal["by_figure"]["step_s.failover.switch"]["pit"])) == 1
    assert "Calibration over 5 drills: 45 observed figures" in res.output
    assert "Per figure" in res.output


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path):
    paths = drill_files(tmp_path)
    paths["drill"].write_text("drill,step,start,end\n"
                              "d1,failover.prepar,2026-03-10T10:20:00Z,2026-03-10T10:30:00Z\n")
    out, report = tmp_path / "s.json", tmp_path / "s.html"
    res = runner.invoke(app, args(paths, "--json", out, "--report", report))
    assert res.exit_code == 2
    first = res.output.splitlines()[0]
    assert first.startswith(f"{paths['drill']}:2: step: 'failover.prepar' is not a step")
    assert "did you mean 'failover.prepare'" in first
    assert res.output.splitlines()[1:] == ["1 problem found; nothing was run or written."]
    assert not out.exists() and not report.exists()
    assert "Traceback" not in res.output


def test_no_records_at_all_is_refused(tmp_path):
    paths = drill_files(tmp_path)
    res = runner.invoke(app, ["score", str(paths["scenario"])])
    assert res.exit_code == 2
    assert res.output == ("error: drsim score: give the drill's records: --drill FILE (the "
                          "drill log), --pages FILE and/or --status FILE\n")


def test_the_report_draws_the_drill_over_the_bands_and_needs_force_to_overwrite(tmp_path):
    paths = drill_files(tmp_path, factor=3.0)
    report = tmp_path / "score.html"
    res = runner.invoke(app, args(paths, "--report", report))
    assert res.exit_code == 1
    html = report.read_text()
    assert html.count("<svg") == 1 and "Content-Security-Policy" in html
    assert 'data-figure="step_s.failover.switch" class="outside"' in html
    assert "45m" in html  # the switch step's observed 15 m × 3
    report.write_text("keep")
    again = runner.invoke(app, args(paths, "--report", report))
    assert again.exit_code == 2 and "already exists; pass --force" in again.output
    assert report.read_text() == "keep"
    forced = runner.invoke(app, args(paths, "--report", report, "--force"))
    assert forced.exit_code == 1 and report.read_text().startswith("<!DOCTYPE html>")
