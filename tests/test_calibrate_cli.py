"""drsim calibrate end to end on the bundled synthetic year of drills: the variant it writes
validates, compares against its base, says what each fitted entry rests on, and holds the
fitted distributions to the second."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from drsim.calibrate.drill import read_inputs
from drsim.calibrate.fit import fit_all
from drsim.cli import app
from drsim.scenario import check_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "calibration"
runner = CliRunner()


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("calibrate")
    base = d / "nyc-chicago-drill.yaml"
    shutil.copy(ROOT / "scenarios" / "nyc-chicago-drill.yaml", base)
    out, report = d / "fitted.yaml", d / "fit.html"
    res = runner.invoke(app, ["calibrate", str(base), "--log", str(EXAMPLE / "drills.csv"),
                              "--pages", str(EXAMPLE / "pages.json"),
                              "--status", str(EXAMPLE / "status.json"),
                              "--map", str(EXAMPLE / "map.yaml"), "--out", str(out),
                              "--report", str(report), "--bootstrap", "0"])
    assert res.exit_code == 0, res.output
    return {"base": base, "out": out, "report": report, "text": res.output}


def test_the_variant_validates_and_compares(calibrated):
    res = runner.invoke(app, ["validate", str(calibrated["out"])])
    assert res.exit_code == 0 and res.output.strip() == f"{calibrated['out']}: ok"
    res = runner.invoke(app, ["compare", str(calibrated["base"]), str(calibrated["out"]),
                              "--trials", "20", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "fitted" in res.output and "nyc-chicago-drill" in res.output


def test_the_variant_holds_the_fits_and_keeps_the_rest(calibrated):
    base, _ = check_scenario(calibrated["base"])
    fitted, _ = check_scenario(calibrated["out"])
    fits = {f.target: f for f in fit_all(base, read_inputs(
        base, EXAMPLE / "drills.csv", EXAMPLE / "pages.json", None, EXAMPLE / "map.yaml"),
        bootstrap=0)}

    def duration(sc, target):
        book, step = target.split(".")
        return next(s.duration for s in sc.runbooks[book].steps if s.id == step)

    for target, fit in fits.items():
        got = getattr(fitted.detection, target.split(".")[1]) if target.startswith(
            "detection.") else duration(fitted, target)
        want = fit.distribution or fit.expert
        for q in (0.5, 0.9):  # written to the second (a shape to 4 digits)
            assert got.quantile(q) == pytest.approx(want.quantile(q), abs=1.0, rel=5e-4)
    # the three failback steps practised in only 5 drills keep the expert's estimate exactly
    for step in ("confirm-new-york", "rebuild-pod-switching", "move-home"):
        assert duration(fitted, f"failback.{step}") == duration(base, f"failback.{step}")
    # everything else is the base's
    assert fitted.sites == base.sites and fitted.objectives == base.objectives


def test_each_fitted_entry_says_what_it_rests_on(calibrated):
    text = calibrated["out"].read_text()
    assert text.splitlines()[4] == "base: nyc-chicago-drill.yaml"
    # counted from the log itself: Provision network's runs, and those without an exact end
    with open(EXAMPLE / "drills.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["step"] == "Provision network"]
    n, censored = len(rows), sum(1 for r in rows if not r["end"])
    assert (n, censored) == (24, 6)
    block = text[:text.index("      provision-network:")].splitlines()[-1]
    assert re.fullmatch(rf"      # n {n} \({censored} censored\), lognormal, AIC \d+\.\d, "
                        rf"from {re.escape(str(EXAMPLE / 'drills.csv'))}", block), block
    assert "#   failback.move-home: n 5 (0 censored); too few to fit" in text


def test_the_report_has_a_panel_per_quantity(calibrated):
    html = calibrated["report"].read_text()
    assert "Content-Security-Policy" in html and html.count("<figure") == 1
    # 12 quantities observed: 12 Kaplan–Meier curves and 12 expert curves; 9 fitted curves
    # (the three failback steps keep the expert's estimate)
    ids = re.findall(r'id="fits-([a-z-]+?)(?:-\d+)?"', html)
    assert (ids.count("kaplan-meier"), ids.count("expert"), ids.count("fitted")) == (12, 12, 9)
    assert html.count('data-quantity="failover.provision-network"') == 1  # its table row
    assert "failback.move-home: too few to fit" in html


def test_the_printed_table(calibrated):
    out = calibrated["text"]
    row = next(line for line in out.splitlines() if "failover.provision-network" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[1:4] == ["24", "6", "lognormal"]
    assert "Kept the expert's estimate (fitting needs ≥ 8 observations, ≥ 3 of them ended): " \
        "failback.confirm-new-york, failback.rebuild-pod-switching, failback.move-home" \
        in " ".join(out.split())
    assert "smb-central" in out  # the status page's outages table


def test_the_installed_entry_point_runs_it(tmp_path):
    base = tmp_path / "nyc-chicago-drill.yaml"
    shutil.copy(ROOT / "scenarios" / "nyc-chicago-drill.yaml", base)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    res = subprocess.run([sys.executable, "-m", "drsim", "calibrate", str(base), "--pages",
                          str(EXAMPLE / "pages.json"), "--out", str(tmp_path / "f.yaml"),
                          "--bootstrap", "0"], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert "detection.ack_delay" in res.stdout and "runbooks:" not in (tmp_path / "f.yaml") \
        .read_text()


def test_without_any_input_nothing_is_fitted_or_written(tmp_path):
    res = runner.invoke(app, ["calibrate", str(ROOT / "scenarios" / "nyc-chicago-drill.yaml"),
                              "--out", str(tmp_path / "f.yaml")])
    assert res.exit_code == 2
    assert res.output.strip() == "error: drsim calibrate: give at least one of --log, " \
                                 "--pages, --status"
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_exists_is_kept_without_force(calibrated, tmp_path):
    out = tmp_path / "f.yaml"
    out.write_text("mine\n")
    res = runner.invoke(app, ["calibrate", str(calibrated["base"]), "--pages",
                              str(EXAMPLE / "pages.json"), "--out", str(out)])
    assert res.exit_code == 2 and out.read_text() == "mine\n"
    assert res.output.strip() == f"error: {out}: already exists; pass --force to overwrite it"
