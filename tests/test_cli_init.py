"""drsim init: a commented starter scenario that validates and runs, and whose drill is
worked out here by hand; never overwritten without --force; missing folders created."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from drsim.cli import app
from drsim.cli.init import STARTER

runner = CliRunner()


def test_init_then_validate_then_run_and_the_drill_is_the_one_worked_out_by_hand(tmp_path):
    path = tmp_path / "scenario.yaml"
    made = runner.invoke(app, ["init", str(path)])
    assert made.exit_code == 0, made.output
    assert made.output == (f"Starter scenario written to {path}. Next: drsim validate {path}, "
                           f"then drsim run {path}.\n")
    assert path.read_text() == STARTER
    checked = runner.invoke(app, ["validate", str(path)])
    assert (checked.exit_code, checked.output) == (0, f"{path}: ok\n")
    res = runner.invoke(app, ["run", str(path), "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "r.json").read_text())["metrics"]
    # The servers (both units) fail at 10:00, a check instant (checks every 1m from 09:00):
    # the 3rd failed check in a row is at 10:02, so time to detect = (3 - 1) x 1m = 120 s.
    assert m["ttd_s"] == 120
    # On call 24x7 (no call-out): acknowledged 5m later (10:07, 420 s), declared 10m after
    # that (10:17, 1,020 s).
    assert (m["tta_s"], m["declared_after_s"]) == (420, 1020)
    # The runbook starts at the declaration: start-backup 15m (10:32), move-customers 10m:
    # everyone served from the backup at 10:42, 42m = 2,520 s after the failure.
    assert m["rto_basic_s"] == m["downtime_s"] == 2520
    # The servers are repaired after ttr 4h (14:00); move-home waits for it, takes 10m:
    # everyone home at 14:10, 4h 10m = 15,000 s after the failure.
    assert m["rto_full_s"] == 15000
    assert m["customer_minutes_lost"] == 1000 * 42  # 1,000 customers x 42 minutes
    assert m["data_lost_s"] == {"app": 300}  # async replication 5 min behind
    # over the 1-day drill: 1 - 42 / 1,440 minutes
    assert m["groups"]["everyone"]["availability"] == pytest.approx(1 - 42 / 1440)
    assert [(o["kind"], o["achieved"], o["met"]) for o in m["objectives"]] == [
        ("rto", 2520, True), ("rpo", 300, True)]
    assert "Tue 10 Mar 14:10:00" in res.output  # the timeline shows the move home


def test_init_writes_a_commented_scenario_and_a_default_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["init"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "scenario.yaml").read_text()
    data = yaml.safe_load(text)
    assert sorted(data["sites"]) == ["backup", "primary"]
    assert list(data["services"]) == ["app"] and list(data["runbooks"]) == ["failover"]
    comments = [line for line in text.splitlines() if "#" in line]
    assert len(comments) >= 20  # the header says how to use it; the fields say what they mean
    assert text.startswith("# A starter drsim scenario, written by `drsim init`")


def test_init_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("my own work\n")
    res = runner.invoke(app, ["init", str(path)])
    assert res.exit_code == 2
    assert res.output == f"error: {path}: already exists; pass --force to overwrite it\n"
    assert path.read_text() == "my own work\n"
    for force in ("--force", "-f"):
        path.write_text("my own work\n")
        res = runner.invoke(app, ["init", str(path), force])
        assert res.exit_code == 0, res.output
        assert path.read_text() == STARTER


def test_init_creates_missing_folders_and_refuses_a_folder(tmp_path):
    deep = tmp_path / "drills" / "2026" / "starter.yaml"
    assert runner.invoke(app, ["init", str(deep)]).exit_code == 0
    assert deep.read_text() == STARTER
    res = runner.invoke(app, ["init", str(tmp_path / "drills"), "--force"])
    assert res.exit_code == 2
    assert res.output == (f"error: {tmp_path / 'drills'}: is a folder; name the file to write, "
                          f"e.g. {tmp_path / 'drills' / 'scenario.yaml'}\n")
    assert sorted(p.name for p in (tmp_path / "drills").iterdir()) == ["2026"]
