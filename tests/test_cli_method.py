"""`drsim run --method`: what auto chooses and says, refusals, and every result naming its
method."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drsim.cli import app

runner = CliRunner()

# one unit, MTTF 120 h, MTTR 4 h (exponential) over 30 days: long-run U = 4/124 = 1/31
UNIT = """\
drsim: 1
name: unit
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 30d, seed: 1,
             random_failures: true}
sites:
  a:
    components:
      box: {count: 1, ttf: {exponential: {mean: %s}}, ttr: %s}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
"""
EXP_TTR = "{exponential: {mean: 4h}}"
LOGNORMAL_TTR = "{lognormal: {median: 3h, p90: 8h}}"


def scenario(tmp_path: Path, ttf: str = "120h", ttr: str = EXP_TTR, extra: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(UNIT % (ttf, ttr) + extra)
    return path


def invoke(*args: object) -> tuple[int, str, str]:
    res = runner.invoke(app, ["run", *map(str, args)])
    return res.exit_code, res.stdout, res.stderr


def test_auto_answers_a_markovian_availability_question_exactly(tmp_path):
    code, out, err = invoke(scenario(tmp_path), "--method", "auto", "--json", "-")
    assert code == 0
    doc = json.loads(out)
    assert doc["method"] == "exact" and doc["steady_unavailability"] == pytest.approx(1 / 31)
    assert "note: auto chose exact: the scenario is Markovian and the question is " \
           "availability" in err


def test_auto_simulates_when_trial_rows_are_asked_for(tmp_path):
    code, out, err = invoke(scenario(tmp_path), "--method", "auto", "--trials", "5", "--out",
                            tmp_path / "r")
    assert code == 0, out + err
    assert "note: auto chose des: --trials and --out ask for trials" in err
    assert "method des (Monte Carlo, 95% CIs)" in out
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["method"] == "des"
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["method"] == "des"


def test_auto_simulates_a_non_markovian_scenario_and_says_why(tmp_path):
    code, out, err = invoke(scenario(tmp_path, ttr=LOGNORMAL_TTR), "--method", "auto",
                            "--trials", "5", "--json", "-")
    assert code == 0
    assert json.loads(out)["method"] == "des" and json.loads(out)["trials"] == 5
    assert ("note: auto chose des: not Markovian (sites.a.components.box.ttr: repair is "
            "lognormal(") in err


def test_auto_suggests_rare_when_too_few_trials_saw_an_outage(tmp_path):
    # MTTF 50 years over 30 days: P(a failure) = 1 − e^{−30/18250} ≈ 0.0016 a trial; of 20
    # trials almost surely none (seeded: none) sees an outage
    code, out, err = invoke(scenario(tmp_path, ttf="50y"), "--method", "auto", "--trials",
                            "20", "--until", "downtime=50%")
    assert code == 0, out + err
    assert "note: auto chose des: --trials and --until ask for trials" in err
    assert ("note: only 0 of 20 trials saw an outage, too few for a firm availability; "
            "--method rare estimates it by importance sampling") in err


def test_auto_without_trials_runs_a_thousand(tmp_path):
    # objectives make the question more than availability: des, 1000 trials by default
    extra = "objectives:\n  - {id: fast, rto: 8h}\n"
    code, out, err = invoke(scenario(tmp_path, ttf="2000h", ttr="{exponential: {mean: 1h}}",
                                     extra=extra),
                            "--method", "auto", "--json", "-", "--allow-breach")
    assert code == 0, err
    assert "auto chose des: the scenario's objectives are checked per trial" in err
    assert json.loads(out)["trials"] == 1000


def test_exact_refuses_a_non_markovian_scenario_in_one_line(tmp_path):
    path = scenario(tmp_path, ttr=LOGNORMAL_TTR)
    code, out, err = invoke(path, "--method", "exact")
    assert code == 2
    # lognormal median 3 h, p90 8 h: σ = ln(8/3)/1.2816 = 0.7653, mean = 3 h · e^{σ²/2}
    # = 3 h · 1.3404 = 4.021 h = 4h 01m 15s; placed at the ttr key (line 8, column 57)
    assert err.splitlines() == [
        f"{path}:8:57: sites.a.components.box.ttr: repair is lognormal(mean 4h 01m 15s); the "
        "exact method needs exponential (use --method des)",
        "1 problem found; nothing was run or written."]
    assert out == ""


def test_unknown_method_is_refused_with_the_known_ones(tmp_path):
    code, _, err = invoke(scenario(tmp_path), "--method", "exakt")
    assert code == 2
    assert err.strip() == ("error: --method exakt: unknown; use one of des, exact, rare, auto "
                           "(did you mean 'exact'?)")


def test_exact_text_states_method_and_precision(tmp_path):
    code, out, _ = invoke(scenario(tmp_path), "--method", "exact")
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("unit  method exact: exact for the Markov model: 2 states, solver "
                            "residual ")
    # 1 − 1/31 = 96.774%; over T = 720 h from up slightly more: with s = λ + μ = 0.25833/h,
    # (1/T)∫A = μ/s + λ(1 − e^{−sT})/(s²T) = 0.967742 + 0.008333/(0.066736 · 720) = 0.967915
    assert "Customer-weighted availability over the horizon 96.792%; long-run " \
           "unavailability 0.03226" in out


def test_rare_text_states_method_and_interval(tmp_path):
    code, out, _ = invoke(scenario(tmp_path), "--method", "rare", "--seed", "4")
    assert code == 0
    assert out.splitlines()[0].startswith("unit  method rare: 95% CI ±0.0% (importance "
                                          "sampling, 50,000 cycles)")
