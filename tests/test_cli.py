"""The command line: CliRunner for each command, plus the real installed entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest
from conftest import ROOT, SCENARIOS
from typer.testing import CliRunner

from drsim.cli import app

runner = CliRunner()
SCENARIOS_DIR = ROOT / "scenarios"

TYPO = """\
drsim: 1
name: typo
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
sites:
  nyc: {}
  chi: {}
links:
  nyc-chi: {a: nyc, b: chcago}
services:
  voice: {active: [nyc]}
customers:
  all: {count: 10, access: nyc, home: nyc, services: [voice]}
"""


def test_run_default_drill_prints_story_and_metrics():
    res = runner.invoke(app, ["run"])
    assert res.exit_code == 0, res.output
    assert "NYC call-server pods lost" in res.output
    assert "customer-minutes lost" in res.output
    # only the groups on the lost pods are down (the story is tested in test_default_drill)
    assert "customers lost service (consumer, smb-central)" in res.output
    assert "938,315" in res.output  # seed 7's draws (per-purpose streams), pinned


def test_run_writes_json_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "result.json"
    res = runner.invoke(app, ["run", str(SCENARIOS[0]), "--seed", "7", "--json", str(out),
                              "--no-timeline"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["seed"] == 7 and data["timeline"] and "metrics" in data
    before = out.read_text()
    res = runner.invoke(app, ["run", str(SCENARIOS[0]), "--json", str(out)])
    assert res.exit_code == 2
    assert "already exists; pass --force" in res.output
    assert out.read_text() == before
    res = runner.invoke(app, ["run", str(SCENARIOS[0]), "--json", str(out), "--force",
                              "--seed", "8", "--no-timeline"])
    assert res.exit_code == 0 and json.loads(out.read_text())["seed"] == 8


def test_bad_scenario_gives_one_line_per_problem_exit_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(TYPO)
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["run", str(bad), "--json", str(out)])
    assert res.exit_code == 2
    assert f"{bad}:8:24: links.nyc-chi.b: unknown site or access point 'chcago'" in res.output
    assert "did you mean 'chi'?" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_validate_reports_ok_and_problems(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(TYPO)
    res = runner.invoke(app, ["validate", str(SCENARIOS[0]), str(bad)])
    assert res.exit_code == 2
    assert f"{SCENARIOS[0]}: ok" in res.output
    assert "chcago" in res.output
    assert runner.invoke(app, ["validate", *map(str, SCENARIOS)]).exit_code == 0


def test_schema_is_json_schema_of_the_format():
    res = runner.invoke(app, ["schema"])
    schema = json.loads(res.output)
    assert schema["type"] == "object"
    assert {"sites", "services", "customers", "runbooks"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"drsim", "name", "simulation", "sites"}


def test_scenarios_lists_every_bundled_drill():
    res = runner.invoke(app, ["scenarios"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for path in SCENARIOS:
        assert path.name in res.output
    assert "(default)" in res.output


def test_missing_file_is_a_clear_error():
    res = runner.invoke(app, ["run", "no/such.yaml"])
    assert res.exit_code == 2
    assert "no/such.yaml" in res.output and "no such file" in res.output


def installed_entry_point() -> str | None:
    """The `drsim` console script installed with the package this Python runs (the scripts
    folder of its environment), whatever PATH says."""
    folders = [sysconfig.get_path("scripts"), sysconfig.get_path("scripts", f"{os.name}_user")]
    return shutil.which("drsim", path=os.pathsep.join(folders))


def test_installed_entry_point(tmp_path):
    drsim_exe = installed_entry_point()
    if drsim_exe is None:
        message = (f"the drsim console script is not installed in {sysconfig.get_path('scripts')}"
                   ": pip install -e .")
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI the entry point is always tested, never skipped
        pytest.skip(message)
    bad = tmp_path / "typo.yaml"
    bad.write_text(TYPO)
    for command in ([drsim_exe], [sys.executable, "-m", "drsim"]):
        proc = subprocess.run([*command, "validate", str(bad)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, (command, proc.stderr)
        assert proc.stderr.splitlines()[0].startswith(f"{bad}:8:24: links.nyc-chi.b:"), command
        assert "Traceback" not in proc.stderr
    # run from another folder: the default drill comes from the installed package
    ok = subprocess.run([drsim_exe, "run", "--no-timeline"], capture_output=True, text=True,
                        timeout=120, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "time to basic service" in ok.stdout


def test_readme_commands_match_ci():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install -e . && drsim run" in readme
    assert "python -m pip install -e '.[test]' && python -m pytest" in readme
    assert ci.strip().splitlines()[-1] == "python -m pytest"


def test_names_that_look_like_markup_are_printed_verbatim(tmp_path):
    text = (SCENARIOS_DIR / "nyc-chicago-capacity-short.yaml").read_text()
    text = text.replace("name: NYC core failure, cold standby in Chicago",
                        'name: "NYC [/bold] core [red] failure"')
    text = text.replace("description: Both New York core switches fail (faulty line-card firmware)",
                        'description: "[/] [link=file://x]evil[/link]"')
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    for extra in ([], ["--trials", "5", "--workers", "1"]):
        res = runner.invoke(app, ["run", str(path), *extra], env={"COLUMNS": "200"})
        assert res.exit_code == 1, res.output  # this drill breaches its objectives
        assert "NYC [/bold] core [red] failure" in res.output
    assert "[link=file://x]evil[/link]" in runner.invoke(app, ["run", str(path)],
                                                         env={"COLUMNS": "250"}).output
