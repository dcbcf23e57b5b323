"""Options that never lie: every option of every command either changes what the command
produces (each test below asserts the concrete difference) or, where it would change nothing,
is refused with exit 2 and one line naming the option and the mode it belongs to, before any
work and without writing anything. Unknown enum-like values are refused with the allowed ones.

Two meta-tests keep this honest as the CLI grows: every option of the typer app must have a
test here that shows it doing something, and every (option, mode) rule of the commands'
APPLIES tables must have a row in REFUSED that shows it refused.
"""

from __future__ import annotations

import json
import os
import re
import sys
import types
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import drsim.cli.replay as replay_cli
from drsim import montecarlo, verification
from drsim.analysis import sensitivity as sensitivity_analysis
from drsim.cli import all_commands, app, calibrate, compare, explain, figures, invest, replay, run
from drsim.cli import score as score_cli
from drsim.cli.common import Mode
from drsim.errors import DrsimError, ScenarioError
from drsim.report.replay import Clock, play

runner = CliRunner()

# One component failing at random (exponential ttf, mean 5 d; ttr, mean 4 h) over 30 days:
# every seed and every trial draws a different month, and a trial takes about a millisecond.
TINY = """\
drsim: 1
name: tiny
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 30d, seed: 1,
             random_failures: true}
sites:
  a:
    components:
      box: {count: 1, ttf: {exponential: {mean: 5d}}, ttr: {exponential: {mean: %s}}}
services:
  svc: {requires: [box], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
costs:
  currency: USD
  sites: {a: {capital: 1000, operating: %s}}
  downtime: {1: 1.0}
"""
# drsim run's --timeline table has a row per event; this one ends every incident
TIMELINE_ROW = "incident end"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """tiny.yaml, its faster-repair option (ttr mean 1 h, operating 300 a year), a broken
    scenario and a results folder of 20 trials of tiny."""
    d = tmp_path_factory.mktemp("cliopts")
    paths = {"tiny": d / "tiny.yaml", "fast": d / "fast.yaml", "broken": d / "broken.yaml",
             "folder": d / "results"}
    paths["tiny"].write_text(TINY % ("4h", 100))
    paths["fast"].write_text(TINY % ("1h", 300))
    paths["broken"].write_text((TINY % ("4h", 100)).replace("active: [a]", "active: [b]"))
    res = runner.invoke(app, ["run", str(paths["tiny"]), "--trials", "20", "--workers", "1",
                              "--out", str(paths["folder"])])
    assert res.exit_code == 0, res.output
    return paths


def ok(args: list[Any]) -> Any:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def rows(folder: Path) -> pd.DataFrame:
    csv = folder / "trials.csv"
    return pd.read_csv(csv) if csv.exists() else pd.read_parquet(folder / "trials.parquet")


# ---- the registry the meta-test reads -----------------------------------------------------

COVERS: dict[tuple[str, str], list[str]] = {}


def covers(command: str, *options: str) -> Callable[[Any], Any]:
    """Marks a test as showing that each of `options` of `command` changes the result."""

    def mark(test: Any) -> Any:
        for option in options:
            COVERS.setdefault((command, option), []).append(test.__name__)
        return test

    return mark


# ---- refused where it would change nothing -------------------------------------------------

ONE_DRILL_ARGS = ["run", "{tiny}"]
MC_ARGS = ["run", "{tiny}", "--trials", "3"]


def _mode(table: Any, name: str, index: int = 0) -> Mode:
    return table[name][index]


# (arguments, command, the option as written, the mode it needs)
REFUSED: list[tuple[list[str], str, str, Mode]] = [
    # drsim run, one drill: the Monte Carlo options
    ([*ONE_DRILL_ARGS, "--workers", "2"], "run", "--workers", run.MONTE_CARLO),
    ([*ONE_DRILL_ARGS, "--backend", "dask"], "run", "--backend", run.MONTE_CARLO),
    ([*ONE_DRILL_ARGS, "--backend", "nonsense"], "run", "--backend", run.MONTE_CARLO),
    ([*ONE_DRILL_ARGS, "--scheduler", "tcp://127.0.0.1:1"], "run", "--scheduler",
     run.MONTE_CARLO),
    ([*ONE_DRILL_ARGS, "--batch-size", "5"], "run", "--batch-size", run.MONTE_CARLO),
    ([*ONE_DRILL_ARGS, "--format", "csv"], "run", "--format", run.WITH_OUT),
    ([*ONE_DRILL_ARGS, "--resume"], "run", "--resume", run.WITH_OUT),
    ([*ONE_DRILL_ARGS, "--force"], "run", "--force", run.OVERWRITES),
    # drsim run, many trials: options of one drill, or of a mode not chosen
    ([*MC_ARGS, "--no-timeline"], "run", "--no-timeline", run.ONE_DRILL),
    ([*MC_ARGS, "--timeline"], "run", "--timeline", run.ONE_DRILL),
    ([*MC_ARGS, "--format", "csv"], "run", "--format", run.WITH_OUT),
    ([*MC_ARGS, "--resume"], "run", "--resume", run.WITH_OUT),
    ([*MC_ARGS, "--force"], "run", "--force", run.OVERWRITES),
    (["run", "{tiny}", "--out", "{tmp}/r", "--resume", "--force"], "run", "--force",
     run.OVERWRITES),
    ([*MC_ARGS, "--scheduler", "tcp://127.0.0.1:1"], "run", "--scheduler", run.DASK),
    # --method exact/rare answer without trials or a drill; an exact answer has no seed
    ([*MC_ARGS, "--method", "exact"], "run", "--method", run.WITHOUT_TRIALS),
    ([*ONE_DRILL_ARGS, "--method", "rare", "--trial", "2"], "run", "--method",
     run.WITHOUT_TRIALS),
    ([*ONE_DRILL_ARGS, "--method", "exact", "--seed", "3"], "run", "--seed", run.NOT_EXACT),
    # --approximate approximates a hot standby's detection delay: tiny has none, des none
    ([*ONE_DRILL_ARGS, "--method", "exact", "--approximate"], "run", "--approximate",
     run.APPROXIMATES),
    ([*ONE_DRILL_ARGS, "--approximate"], "run", "--approximate", run.APPROXIMATES),
    # --trial replays one trial as one drill: not with the options of many trials
    ([*MC_ARGS, "--trial", "2"], "run", "--trial", run.ONE_DRILL),
    (["run", "{tiny}", "--until", "unavailability=5%", "--trial", "2"], "run", "--trial",
     run.ONE_DRILL),
    (["run", "{tiny}", "--out", "{tmp}/r", "--trial", "2"], "run", "--trial", run.ONE_DRILL),
    (["run", "{tiny}", "--trial", "2", "--resume"], "run", "--resume", run.WITH_OUT),
    ([*MC_ARGS, "--backend", "dask", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
     "run", "--workers", run.OWN_WORKERS),
    # compare and sweep
    (["compare", "{tiny}", "{fast}", "--scheduler", "tcp://127.0.0.1:1"], "compare",
     "--scheduler", compare.DASK),
    (["compare", "{tiny}", "{fast}", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:1",
      "--workers", "2"], "compare", "--workers", compare.OWN_WORKERS),
    (["compare", "{tiny}", "{fast}", "--force"], "compare", "--force",
     _mode(compare.APPLIES, "force")),
    (["compare", "{tiny}", "{fast}", "--unrelated"], "compare", "--unrelated",
     compare.UNRELATED),
    (["sweep", "{tiny}", "--set", "simulation.horizon=10d,30d", "--scheduler",
      "tcp://127.0.0.1:1"], "sweep", "--scheduler", compare.DASK),
    (["sweep", "{tiny}", "--set", "simulation.horizon=10d,30d", "--backend", "dask",
      "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "sweep", "--workers",
     compare.OWN_WORKERS),
    (["sweep", "{tiny}", "--set", "simulation.horizon=10d,30d", "--force"], "sweep", "--force",
     _mode(compare.APPLIES, "force")),
    # invest and sensitivity
    (["invest", "{tiny}", "--option", "{fast}", "--force"], "invest", "--force",
     _mode(invest.INVEST_APPLIES, "force")),
    (["sensitivity", "{tiny}", "--force"], "sensitivity", "--force",
     _mode(invest.APPLIES, "force")),
    # plot: options of the other family of figures, or of another kind
    (["plot", "{tiny}", "--out", "{tmp}/f.png", "--metric", "downtime"], "plot", "--metric",
     figures.DISTRIBUTION),
    (["plot", "{tiny}", "--out", "{tmp}/f.png", "--objective", "4h"], "plot", "--objective",
     figures.DISTRIBUTION),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--seed", "3"], "plot", "--seed",
     figures.DRILL),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--at", "5h"], "plot", "--at", figures.DRILL),
    (["plot", "{tiny}", "--out", "{tmp}/f.png", "--kind", "status", "--at", "5h"], "plot",
     "--at", _mode(figures.APPLIES, "at", 1)),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--by-site"], "plot", "--by-site",
     figures.DRILL),
    (["plot", "{tiny}", "--out", "{tmp}/f.png", "--kind", "topology", "--by-site"], "plot",
     "--by-site", _mode(figures.APPLIES, "by_site", 1)),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--from", "5h"], "plot", "--from",
     figures.DRILL),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--to", "5h"], "plot", "--to", figures.DRILL),
    (["plot", "{tiny}", "--out", "{tmp}/f.png", "--kind", "topology", "--from", "5h"], "plot",
     "--from", figures.SPAN),
    (["plot", "{tiny}", "--out", "{tmp}/f.png", "--kind", "topology", "--to", "5h"], "plot",
     "--to", figures.SPAN),
    # replay (CliRunner's output is not a terminal)
    (["replay", "{tiny}", "--live", "--speed", "0"], "replay", "--live", replay.TERMINAL),
    (["replay", "{tiny}", "--no-live", "--feed", "5", "--speed", "0"], "replay", "--feed",
     replay.BOARD),
    (["replay", "{tiny}", "--feed", "5", "--speed", "0"], "replay", "--feed", replay.BOARD),
    (["replay", "{tiny}", "--speed", "0", "--skip-quiet", "3"], "replay", "--skip-quiet",
     replay.PACED),
    (["replay", "{tiny}", "--speed", "0", "--no-live", "--horizon"], "replay", "--horizon",
     replay.SEEN),
    # explain
    (["explain", "{folder}", "--trial", "1", "--seed", "3"], "explain", "--seed",
     explain.SCENARIO_FILE),
    (["explain", "{tiny}", "--scenario", "{tiny}"], "explain", "--scenario", explain.FOLDER),
    (["explain", "{tiny}", "--at", "12:00"], "explain", "--at", explain.WITH_GROUP),
    # score
    (["score", "{tiny}", "--pages", "{tmp}/p.csv", "--force"], "score", "--force",
     _mode(score_cli.APPLIES, "force")),
    # drsim calibrate: --seed draws the bootstrap resamples
    (["calibrate", "{tiny}", "--pages", "{tmp}/p.csv", "--out", "{tmp}/f.yaml", "--bootstrap",
      "0", "--seed", "3"], "calibrate", "--seed", calibrate.APPLIES["seed"][0]),
]


def _fill(args: list[str], files: dict[str, Path], tmp: Path) -> list[str]:
    return [a.format(tmp=tmp, **{k: str(v) for k, v in files.items()}) for a in args]


def _listing(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


@pytest.mark.parametrize(("args", "command", "option", "mode"), REFUSED,
                         ids=[" ".join(r[0][2:]) or r[1] for r in REFUSED])
def test_an_option_that_would_change_nothing_is_refused(files, tmp_path, args, command,
                                                        option, mode, monkeypatch):
    output = _refused(files, tmp_path, args, monkeypatch)
    expected = f"drsim {command}: {option} applies only {mode.when}; {mode.fix}"
    assert output.strip() == expected  # one line, and nothing else (no run happened)


def _refused(files: dict[str, Path], tmp_path: Path, args: list[str],
             monkeypatch: pytest.MonkeyPatch) -> str:
    """The output of a command that must exit 2 having written nothing (here or anywhere
    under the results folder)."""
    monkeypatch.chdir(tmp_path)
    before = _listing(tmp_path) | _listing(files["folder"])
    res = runner.invoke(app, _fill(args, files, tmp_path))
    assert res.exit_code == 2, res.output
    assert _listing(tmp_path) | _listing(files["folder"]) == before
    return str(res.output)


def test_every_refusal_is_listed_one_line_each(files, tmp_path):
    res = runner.invoke(app, _fill([*MC_ARGS, "--workers", "2", "--scheduler", "x",
                                    "--format", "csv", "--no-timeline"], files, tmp_path))
    assert res.exit_code == 2
    # in the command's own option order; --workers applies (local backend, many trials)
    assert res.output.splitlines() == [
        f"drsim run: --scheduler applies only {run.DASK.when}; {run.DASK.fix}",
        f"drsim run: --format applies only {run.WITH_OUT.when}; {run.WITH_OUT.fix}",
        f"drsim run: --no-timeline applies only {run.ONE_DRILL.when}; {run.ONE_DRILL.fix}"]


# ---- unknown enum-like values: refused with the allowed ones --------------------------------

UNKNOWN: list[tuple[list[str], str]] = [
    ([*MC_ARGS, "--backend", "locl"],
     "error: --backend locl: unknown; use one of local, dask (did you mean 'local'?)"),
    ([*MC_ARGS, "--backend", "ray"], "error: --backend ray: unknown; use one of local, dask"),
    (["run", "{tiny}", "--out", "{tmp}/r", "--format", "parqet"],
     "error: --format parqet: unknown; use one of parquet, csv (did you mean 'parquet'?)"),
    (["compare", "{tiny}", "{fast}", "--backend", "daks"],
     "error: --backend daks: unknown; use one of local, dask (did you mean 'dask'?)"),
    (["sweep", "{tiny}", "--set", "simulation.horizon=10d,30d", "--backend", "Local"],
     "error: --backend Local: unknown; use one of local, dask (did you mean 'local'?)"),
    (["sensitivity", "{tiny}", "--method", "sobel"],
     "error: --method sobel: unknown; use one of morris, sobol (did you mean 'sobol'?)"),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--kind", "rto-cfd"],
     "error: --kind rto-cfd: unknown; use one of rto-cdf, rto-hist, rto-full-cdf, "
     "downtime-hist, rpo-hist, timeline, status, topology (did you mean 'rto-cdf'?)"),
    (["plot", "{folder}", "--out", "{tmp}/f.jpg"],
     "error: --out {tmp}/f.jpg: unknown image type '.jpg'; name the file .png, .svg or .pdf"),
    (["export", "{folder}", "--out", "{tmp}/t.x", "--format", "xlsx"],
     "error: --format xlsx: unknown; use one of csv, json, parquet"),
    (["compare", "{tiny}", "{fast}", "--metric", "downtme_s"],
     "error: --metric: unknown metric 'downtme_s' (did you mean 'downtime_s'?); known: "),
    (["run", "{tiny}", "--trials", "5", "--until", "downtme=5%"],
     "error: --until: unknown metric 'downtme' (did you mean 'downtime_s'?); known: "),
    (["sensitivity", "{tiny}", "--metric", "downtme_s"],
     "error: --metric: unknown metric 'downtme_s' (did you mean 'downtime_s'?); known: "),
    (["plot", "{folder}", "--out", "{tmp}/f.png", "--metric", "downtme_s"],
     "error: --metric: unknown metric 'downtme_s' (did you mean 'downtime_s'?); known: "),
]


@pytest.mark.parametrize(("args", "message"), UNKNOWN, ids=[" ".join(u[0][2:]) for u in UNKNOWN])
def test_an_unknown_value_is_refused_with_the_allowed_ones(files, tmp_path, args, message,
                                                           monkeypatch):
    lines = _refused(files, tmp_path, args, monkeypatch).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(tmp=tmp_path)), lines


# ---- drsim run -----------------------------------------------------------------------------


@covers("run", "--seed", "--json", "--timeline")
def test_run_one_drill_seed_json_and_timeline(files, tmp_path):
    first = ok(["run", files["tiny"], "--json", tmp_path / "a.json"])
    second = ok(["run", files["tiny"], "--seed", "2", "--json", tmp_path / "b.json",
                 "--no-timeline"])
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert (a["seed"], b["seed"]) == (1, 2)  # 1: the scenario's own seed
    assert a["timeline"] != b["timeline"]  # another month of failures
    assert TIMELINE_ROW in first.output and TIMELINE_ROW not in second.output


@covers("run", "--trial")
def test_run_trial_replays_that_trial(files, tmp_path):
    """--trial 3 is row 3 of the 20-trial folder (seed 1), not trial 0."""
    ok(["run", files["tiny"], "--trial", "3", "--json", tmp_path / "t3.json"])
    ok(["run", files["tiny"], "--json", tmp_path / "t0.json"])
    t3, t0 = (json.loads((tmp_path / f).read_text()) for f in ("t3.json", "t0.json"))
    folder = rows(files["folder"]).set_index("trial")
    assert (t3["trial"], t0["trial"]) == (3, 0)
    assert t3["metrics"]["downtime_s"] == folder.loc[3, "downtime_s"]
    assert t0["metrics"]["downtime_s"] == folder.loc[0, "downtime_s"]
    assert folder.loc[3, "downtime_s"] != folder.loc[0, "downtime_s"]


@covers("run", "--method")
def test_run_method_exact_and_rare_answer_the_long_run_question(files):
    # tiny: one unit, MTTF 5 d = 120 h, MTTR 4 h: long-run U = λ/(λ+μ) = (1/120)/(1/120 + 1/4)
    # = 1/31. des (the default) runs the drill; exact solves; rare estimates within its CI
    drill = ok(["run", files["tiny"], "--no-timeline"]).output
    assert "method exact" not in drill
    exact = json.loads(ok(["run", files["tiny"], "--method", "exact", "--json", "-"]).stdout)
    assert exact["method"] == "exact"
    assert exact["steady_unavailability"] == pytest.approx(1 / 31, rel=1e-9)
    rare = json.loads(ok(["run", files["tiny"], "--method", "rare", "--json", "-"]).stdout)
    # one unit: every cycle is up 120 h on average then down 4 h, held at its expected
    # time, so the estimate has no variance at all: exactly 1/31, an interval of width 0
    assert rare["method"] == "rare" and rare["ci95"] == pytest.approx([1 / 31, 1 / 31])


@covers("run", "--approximate")
def test_run_approximate_lets_exact_answer_a_hot_standby(files, tmp_path):
    # tiny's component moved behind a hot standby at site b (which never fails), instant
    # takeover, checks every 1 h, alert on the 1st failing check: detection U(0, 1 h], mean
    # D = 30 min, as an Erlang-3 (δ = 6/h). a's box: λ = 1/120 h, μ = 1/4 h. Without
    # --approximate it is refused naming the switch; with it, U = λ/(λ+μ)·(1 − (δ/(δ+μ))³)
    # = (1/31)(1 − (6/6.25)³) = (1/31)(0.115264) = 0.0037182
    text = (TINY % ("4h", 100)).replace(
        "services:\n  svc: {requires: [box], active: [a]}",
        "  b:\n    components:\n      box: {count: 1}\n"
        "access_points:\n  pop: {}\n"
        "links:\n  pop-a: {a: pop, b: a}\n  pop-b: {a: pop, b: b}\n"
        "detection: {interval: 1h, failed_checks: 1}\n"
        "services:\n  svc: {requires: [box], active: [a], standby: {sites: [b], mode: hot}}"
    ).replace("access: a, home: a", "access: pop, home: a").replace(
        "  sites: {a: {capital: 1000, operating: 100}}",
        "  sites: {a: {capital: 1000, operating: 100}, b: {capital: 1000, operating: 100}}")
    path = tmp_path / "hot.yaml"
    path.write_text(text)
    refused = runner.invoke(app, ["run", str(path), "--method", "exact"])
    assert refused.exit_code == 2 and "add --approximate for a phase-type" in refused.output
    doc = json.loads(ok(["run", path, "--method", "exact", "--approximate", "--json",
                         "-"]).stdout)
    assert doc["steady_unavailability"] == pytest.approx((1 / 31) * (1 - 0.96**3), rel=1e-9)
    assert doc["approximation"].startswith("phase-type approximation")


@covers("run", "--allow-breach")
def test_run_allow_breach_turns_exit_status_1_into_0(files, tmp_path):
    """tiny with an objective of 100% availability over 30 days: seed 1's trial 0 has an
    outage (its downtime in the folder is above 0), so the objective is breached."""
    assert rows(files["folder"]).set_index("trial").loc[0, "downtime_s"] > 0
    strict = tmp_path / "strict.yaml"
    strict.write_text(files["tiny"].read_text()
                      + "objectives:\n  - {id: always, availability: 100%}\n")
    res = runner.invoke(app, ["run", str(strict)])
    assert res.exit_code == 1 and "always (availability)" in res.stderr
    res = runner.invoke(app, ["run", str(strict), "--allow-breach"])
    assert res.exit_code == 0 and "BREACHED" in res.stdout


@covers("run", "--trials", "--out", "--format")
def test_run_trials_out_and_format(files, tmp_path):
    ok(["run", files["tiny"], "--trials", "7", "--workers", "1", "--out", tmp_path / "p"])
    ok(["run", files["tiny"], "--trials", "4", "--workers", "1", "--out", tmp_path / "c",
        "--format", "csv"])
    assert sorted(os.listdir(tmp_path / "p")) == ["manifest.json", "summary.json",
                                                  "trials.parquet"]
    assert sorted(os.listdir(tmp_path / "c")) == ["manifest.json", "summary.json",
                                                  "trials.csv"]
    parquet, csv = rows(tmp_path / "p"), rows(tmp_path / "c")
    assert list(parquet.trial) == list(range(7)) and list(csv.trial) == list(range(4))
    # trial i draws the same numbers whatever the count: the csv is the parquet's first 4
    assert list(csv.downtime_s) == pytest.approx(list(parquet.downtime_s[:4]))


@covers("run", "--seed")
def test_run_trials_seed(files, tmp_path):
    ok(["run", files["tiny"], "--trials", "5", "--workers", "1", "--out", tmp_path / "a"])
    ok(["run", files["tiny"], "--trials", "5", "--workers", "1", "--out", tmp_path / "b",
        "--seed", "2"])
    a, b = rows(tmp_path / "a"), rows(tmp_path / "b")
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["seed"] == 2
    assert not (a.downtime_s.to_numpy() == b.downtime_s.to_numpy()).any()


@pytest.fixture
def engine_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Records what reaches the engine (backend, workers, scheduler, then each batch) and
    runs every batch in this process, so no pool or cluster is started."""
    seen: list[tuple[Any, ...]] = []
    batches_of = montecarlo.batches_of

    def make_backend(backend: str = "local", workers: int | None = None,
                     scheduler: str | None = None) -> Any:
        seen.append(("backend", backend, workers, scheduler))
        return montecarlo.SerialBackend()

    def batches(indices: list[int], size: int) -> list[list[int]]:
        seen.append(("batches", size, tuple(indices)))
        return batches_of(indices, size)

    monkeypatch.setattr(montecarlo, "make_backend", make_backend)
    monkeypatch.setattr(montecarlo, "batches_of", batches)
    return seen


@covers("run", "--workers", "--backend", "--scheduler", "--batch-size")
def test_run_backend_options_reach_the_engine_and_keep_the_rows(files, tmp_path, engine_spy):
    tiny = files["tiny"]
    ok(["run", tiny, "--trials", "6", "--out", tmp_path / "d"])
    ok(["run", tiny, "--trials", "6", "--out", tmp_path / "w", "--workers", "3",
        "--batch-size", "4"])
    ok(["run", tiny, "--trials", "6", "--out", tmp_path / "k", "--backend", "dask",
        "--scheduler", "tcp://127.0.0.1:8786"])
    ok(["run", tiny, "--trials", "6", "--out", tmp_path / "l", "--backend", "dask",
        "--workers", "2"])
    made = [s[1:] for s in engine_spy if s[0] == "backend"]
    assert made == [("local", None, None), ("local", 3, None),
                    ("dask", None, "tcp://127.0.0.1:8786"), ("dask", 2, None)]
    sizes = [s[1] for s in engine_spy if s[0] == "batches"]
    assert sizes[1] == 4  # --batch-size 4: trials 0-5 in batches of 4 and 2
    manifests = [json.loads((tmp_path / d / "manifest.json").read_text()) for d in "dwkl"]
    assert [m["backend"] for m in manifests] == ["local", "local", "dask", "dask"]
    for d in "wkl":
        pd.testing.assert_frame_equal(rows(tmp_path / d), rows(tmp_path / "d"))


@covers("sensitivity", "--workers")
def test_sensitivity_workers_reach_the_engine_and_keep_the_figures(files, tmp_path, engine_spy):
    """--workers 2: the sampled points go to a backend of 2 workers (made once); the default
    evaluates them in this process; the figures are the same."""
    base = ["sensitivity", files["tiny"], "--trials", "3", "--samples", "2"]
    ok([*base, "--json", tmp_path / "one.json"])
    assert engine_spy == []  # one worker: no backend at all
    ok([*base, "--workers", "2", "--json", tmp_path / "two.json"])
    assert engine_spy == [("backend", "local", 2, None)]
    assert (json.loads((tmp_path / "two.json").read_text())
            == json.loads((tmp_path / "one.json").read_text()))


@covers("run", "--workers")
def test_run_two_worker_processes_give_the_rows_of_one(files, tmp_path):
    ok(["run", files["tiny"], "--trials", "8", "--out", tmp_path / "one", "--workers", "1"])
    ok(["run", files["tiny"], "--trials", "8", "--out", tmp_path / "two", "--workers", "2"])
    pd.testing.assert_frame_equal(rows(tmp_path / "one"), rows(tmp_path / "two"))


@covers("run", "--until")
def test_run_until_stops_after_the_first_round(files, tmp_path):
    # ±1000% is met by any 200 trials: the run stops after its first round of 200 of the
    # cap of 1000 (rounds: 200, then doubling)
    res = ok(["run", files["tiny"], "--trials", "1000", "--workers", "1", "--until",
              "downtime=1000%", "--out", tmp_path / "u"])
    assert len(rows(tmp_path / "u")) == 200
    assert "200 of 1,000 trials, complete; stopped: downtime_s within ±1000.0% after 200" \
        in res.output


@covers("run", "--resume")
def test_run_resume_runs_only_the_missing_trials(files, tmp_path, engine_spy):
    out = tmp_path / "r"
    ok(["run", files["tiny"], "--trials", "3", "--out", out])
    first = rows(out)
    again = runner.invoke(app, [str(a) for a in ["run", files["tiny"], "--trials", "5",
                                                 "--out", out]])
    assert again.exit_code == 2 and "already exists" in again.output
    ok(["run", files["tiny"], "--trials", "5", "--out", out, "--resume"])
    batches = [s[2] for s in engine_spy if s[0] == "batches"]
    assert batches == [(0, 1, 2), (3, 4)]  # the resumed run ran trials 3 and 4 only
    resumed = rows(out)
    assert list(resumed.trial) == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(resumed.iloc[:3], first)


@covers("run", "--report", "--json")
def test_run_report_and_json_of_the_trials(files, tmp_path):
    ok(["run", files["tiny"], "--report", tmp_path / "one.html", "--no-timeline"])
    ok(["run", files["tiny"], "--trials", "4", "--workers", "1", "--report",
        tmp_path / "many.html", "--json", tmp_path / "s.json"])
    one, many = ((tmp_path / f).read_text() for f in ("one.html", "many.html"))
    assert one.startswith("<!DOCTYPE html>") and many.startswith("<!DOCTYPE html>")
    assert one != many
    assert json.loads((tmp_path / "s.json").read_text())["trials"] == 4


@covers("run", "--force")
def test_run_force_overwrites(files, tmp_path):
    target = tmp_path / "a.json"
    ok(["run", files["tiny"], "--json", target])
    refused = runner.invoke(app, ["run", str(files["tiny"]), "--json", str(target), "--seed",
                                  "2"])
    assert refused.exit_code == 2 and json.loads(target.read_text())["seed"] == 1
    ok(["run", files["tiny"], "--json", target, "--seed", "2", "--force"])
    assert json.loads(target.read_text())["seed"] == 2
    out = tmp_path / "r"
    ok(["run", files["tiny"], "--trials", "2", "--workers", "1", "--out", out])
    ok(["run", files["tiny"], "--trials", "3", "--workers", "1", "--out", out, "--force"])
    assert len(rows(out)) == 3


# ---- --debug: a traceback instead of the one-line error -----------------------------------

DEBUGGED = {
    "init": ["init", "{tiny}"],  # exists: refused without --force
    "import": ["import", "topology", "{broken}"],  # YAML, not XML
    "run": ["run", "{broken}"],
    "show": ["show", "{broken}"],
    "compare": ["compare", "{tiny}", "{broken}", "--trials", "2"],
    "sweep": ["sweep", "{broken}", "--set", "simulation.horizon=1d"],
    "invest": ["invest", "{tiny}", "--option", "{broken}"],
    "sensitivity": ["sensitivity", "{broken}"],
    "plot": ["plot", "{broken}", "--out", "{tmp}/f.png"],
    "export": ["export", "{tmp}/no-such-folder"],
    "replay": ["replay", "{broken}"],
    "explain": ["explain", "{broken}"],
    "score": ["score", "{broken}", "--pages", "{tmp}/p.csv"],
    "calibrate": ["calibrate", "{broken}", "--pages", "{tmp}/p.csv", "--out", "{tmp}/f.yaml"],
}


def test_every_command_with_debug_is_in_the_debug_table():
    with_debug = {name for name, cmd in all_commands().items()
                  if any(p.name == "debug" for p in cmd.params)}
    assert with_debug - {"verify"} == set(DEBUGGED)


@pytest.mark.parametrize("command", sorted(DEBUGGED))
def test_debug_shows_the_traceback(files, tmp_path, command):
    args = _fill(DEBUGGED[command], files, tmp_path)
    plain = runner.invoke(app, args)
    assert plain.exit_code == 2 and "Traceback" not in plain.output
    assert plain.output.startswith(str(files["broken"]) if "{broken}" in DEBUGGED[command]
                                   else "error: ")
    debugged = runner.invoke(app, [*args, "--debug"])
    assert isinstance(debugged.exception, DrsimError)  # raised, not turned into exit 2
    assert isinstance(debugged.exception, ScenarioError) == ("{broken}" in DEBUGGED[command])


for _command in DEBUGGED:
    covers(_command, "--debug")(test_debug_shows_the_traceback)


# ---- compare and sweep ---------------------------------------------------------------------


@covers("compare", "--trials", "--seed", "--metric", "--csv")
def test_compare_trials_seed_metric_csv(files, tmp_path):
    base = ["compare", files["tiny"], files["fast"], "--workers", "1"]
    ok([*base, "--trials", "4", "--metric", "downtime", "--csv", tmp_path / "a.csv"])
    ok([*base, "--trials", "6", "--metric", "downtime", "--metric", "incidents", "--csv",
        tmp_path / "b.csv", "--seed", "5"])
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert list(a.metric) == ["downtime_s"] * 2 and list(a.variant) == ["tiny", "fast"]
    assert set(b.metric) == {"downtime_s", "incidents"} and set(a.n) == {4} and set(b.n) == {6}
    # trial i of seed 1 and of seed 5 are different months; the first 4 trials differ
    assert a.estimate[0] != pytest.approx(b.estimate[b.metric.eq("downtime_s")].iloc[0])
    # faster repairs (ttr mean 1 h against 4 h) of the same failures: less downtime
    assert a["diff"][1] < 0


@covers("compare", "--workers", "--backend", "--scheduler")
@covers("sweep", "--workers", "--backend", "--scheduler")
def test_compare_and_sweep_backend_options_reach_the_engine(files, tmp_path, engine_spy):
    common = ["--trials", "3", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:8786"]
    ok(["compare", files["tiny"], files["fast"], *common, "--csv", tmp_path / "a.csv"])
    ok(["compare", files["tiny"], files["fast"], "--trials", "3", "--workers", "2", "--csv",
        tmp_path / "b.csv"])
    ok(["sweep", files["tiny"], "--set", "simulation.horizon=10d,30d", *common])
    ok(["sweep", files["tiny"], "--set", "simulation.horizon=10d,30d", "--trials", "3",
        "--workers", "2"])
    made = [s[1:] for s in engine_spy if s[0] == "backend"]
    # one backend per command, shared by its two scenarios (or cells)
    assert made == [("dask", None, "tcp://127.0.0.1:8786"), ("local", 2, None)] * 2
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"),
                                  pd.read_csv(tmp_path / "b.csv"))


@covers("compare", "--plot", "--force")
@covers("sweep", "--plot", "--force")
@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_compare_and_sweep_plot_and_force(files, tmp_path, command):
    args = ([command, files["tiny"], files["fast"]] if command == "compare" else
            [command, files["tiny"], "--set", "simulation.horizon=10d,30d"])
    args += ["--trials", "3", "--workers", "1"]
    ok([*args, "--plot", tmp_path / "f.svg", "--csv", tmp_path / "t.csv"])
    assert (tmp_path / "f.svg").read_text().startswith("<?xml")
    refused = runner.invoke(app, [str(a) for a in [*args, "--csv", tmp_path / "t.csv"]])
    assert refused.exit_code == 2 and "already exists" in refused.output
    (tmp_path / "t.csv").write_text("old")
    ok([*args, "--csv", tmp_path / "t.csv", "--force"])
    assert (tmp_path / "t.csv").read_text().startswith(
        "metric," if command == "compare" else "simulation.horizon,")


@covers("compare", "--unrelated")
def test_compare_unrelated_lets_another_estate_be_compared(files, tmp_path):
    """tiny (site a, group users) against the default drill (sites chi, nyc; five groups):
    refused with one line naming both differences, exit 2; with --unrelated it runs."""
    drill = Path(__file__).resolve().parent.parent / "scenarios" / "nyc-chicago-drill.yaml"
    args = ["compare", files["tiny"], drill, "--trials", "2", "--workers", "1", "--metric",
            "incidents", "--csv", tmp_path / "c.csv"]
    refused = runner.invoke(app, [str(a) for a in args])
    assert refused.exit_code == 2
    assert refused.output == (
        "error: nyc-chicago-drill is not a strategy for tiny's estate: sites differ (only in "
        "tiny: a; only in nyc-chicago-drill: chi, nyc), and customer groups differ (only in "
        "tiny: users; only in nyc-chicago-drill: consumer, enterprise, fax-legacy, "
        "smb-central and 1 more); pass --unrelated to compare them anyway\n")
    assert not (tmp_path / "c.csv").exists()
    ok([*args, "--unrelated"])
    # the default drill has exactly one incident in every trial
    c = pd.read_csv(tmp_path / "c.csv")
    assert list(c.variant) == ["tiny", "nyc-chicago-drill"] and c.estimate[1] == 1


@covers("schema", "--variant")
def test_schema_variant_is_the_variant_files_schema():
    full = json.loads(ok(["schema"]).output)
    variant = json.loads(ok(["schema", "--variant"]).output)
    assert "base" not in full["properties"] and "sites" in full["required"]
    assert variant["required"] == ["base"] and variant["title"].endswith("variant (format 1)")


@covers("sweep", "--set", "--trials", "--seed", "--metric", "--csv")
def test_sweep_set_trials_seed_metric_csv(files, tmp_path):
    base = ["sweep", files["tiny"], "--workers", "1", "--metric", "downtime"]
    ok([*base, "--set", "simulation.horizon=10d,30d", "--trials", "4", "--csv",
        tmp_path / "a.csv"])
    ok([*base, "--set", "simulation.horizon=10d,20d,30d", "--trials", "5", "--seed", "5",
        "--csv", tmp_path / "b.csv"])
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert list(a.cell) == ["simulation.horizon=10d", "simulation.horizon=30d"]
    assert len(b) == 3 and set(a.metric) == set(b.metric) == {"downtime_s"}
    assert set(a.n) == {4} and set(b.n) == {5}
    assert a.estimate[1] != pytest.approx(b.estimate[2])  # 30d, seed 1 against seed 5


# ---- invest and sensitivity ----------------------------------------------------------------


@covers("invest", "--option", "--years", "--trials", "--seed", "--json")
def test_invest_options(files, tmp_path):
    ok(["invest", files["tiny"], "--option", files["fast"], "--trials", "4", "--workers", "1",
        "--json", tmp_path / "a.json"])
    ok(["invest", files["tiny"], "--option", files["fast"], "--option", files["tiny"],
        "--trials", "5", "--workers", "1", "--years", "2", "--seed", "9",
        "--json", tmp_path / "b.json"])
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    # TCO = capital + operating × years: 1000 + 100 × 5 = 1500 and 1000 + 300 × 5 = 2500;
    # over 2 years 1000 + 100 × 2 = 1200 and 1000 + 300 × 2 = 1600
    assert [o["tco"] for o in a["options"]] == [1500, 2500]
    assert [o["tco"] for o in b["options"]][:2] == [1200, 1600]
    assert [o["label"] for o in a["options"]] == ["tiny", "fast"] and len(b["options"]) == 3
    assert [o["trials"] for o in a["options"]] == [4, 4] and b["options"][0]["trials"] == 5
    assert (a["seed"], b["seed"]) == (1, 9)
    assert a["options"][0]["annual_loss"]["value"] != b["options"][0]["annual_loss"]["value"]


@covers("invest", "--workers")
def test_invest_workers_reach_the_engine(files, engine_spy):
    ok(["invest", files["tiny"], "--option", files["fast"], "--trials", "3", "--workers", "2"])
    # one backend for the command, shared by the baseline and the option
    assert [s[1:] for s in engine_spy if s[0] == "backend"] == [("local", 2, None)]


@covers("invest", "--plot", "--force")
@covers("sensitivity", "--plot", "--force", "--json")
@pytest.mark.parametrize("command", ["invest", "sensitivity"])
def test_invest_and_sensitivity_plot_json_force(files, tmp_path, command):
    args = ([command, files["tiny"], "--option", files["fast"], "--trials", "3", "--workers",
             "1"] if command == "invest" else
            [command, files["tiny"], "--trials", "3", "--samples", "2"])
    ok([*args, "--plot", tmp_path / "f.pdf", "--json", tmp_path / "r.json"])
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    refused = runner.invoke(app, [str(a) for a in [*args, "--json", tmp_path / "r.json"]])
    assert refused.exit_code == 2 and "already exists" in refused.output
    (tmp_path / "r.json").write_text("{}")
    ok([*args, "--json", tmp_path / "r.json", "--force"])
    assert json.loads((tmp_path / "r.json").read_text())["seed"] == 1


@covers("sensitivity", "--metric", "--method", "--samples", "--repeats", "--seed", "--trials")
def test_sensitivity_options(files, tmp_path, monkeypatch):
    traced: list[int] = []
    critical_steps = sensitivity_analysis.critical_steps
    monkeypatch.setattr(sensitivity_analysis, "critical_steps",
                        lambda sc, trials, root: traced.append(trials)
                        or critical_steps(sc, trials, root))
    base = ["sensitivity", files["tiny"], "--trials", "3"]
    ok([*base, "--samples", "2", "--json", tmp_path / "a.json"])
    ok([*base, "--samples", "3", "--json", tmp_path / "b.json", "--metric", "incidents",
        "--seed", "4", "--repeats", "2"])
    ok(["sensitivity", files["tiny"], "--trials", "2", "--method", "sobol", "--samples", "2",
        "--json", tmp_path / "c.json"])
    a, b, c = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json", "c.json"))
    assert traced == [3, 3, 2]  # --trials: the trials traced for the critical path
    # two inputs (ttf, ttr): Morris runs samples × (inputs + 1), the tornado 1 + 2 × inputs:
    # 2 × 3 + 5 = 11 and 3 × 3 + 5 = 14; Sobol (first order) runs N × (inputs + 2) = 8 + 5
    assert (a["evaluations"], b["evaluations"], c["evaluations"]) == (11, 14, 13)
    assert (a["metric"], b["metric"]) == ("rto_basic_s", "incidents")
    assert (a["method"], c["method"]) == ("morris", "sobol")
    assert (a["seed"], b["seed"]) == (1, 4)
    # --repeats 2: each sampled point is the mean of trials 0 and 1, not trial 0 alone (here
    # every random duration is an input, fixed at each point, so both trials agree)
    batches: list[list[int]] = []
    run_batch = sensitivity_analysis.run_batch
    monkeypatch.setattr(sensitivity_analysis, "run_batch",
                        lambda sc, seed, trials, topology: batches.append(trials)
                        or run_batch(sc, seed, trials, topology))
    ok([*base, "--samples", "2"])
    ok([*base, "--samples", "2", "--repeats", "2"])
    assert batches == [[0]] * 11 + [[0, 1]] * 11


@covers("sensitivity", "--top")
def test_sensitivity_top_limits_the_tables(files):
    base = ["sensitivity", files["tiny"], "--trials", "2", "--samples", "2"]
    both, one = ok(base).output, ok([*base, "--top", "1"]).output
    # two inputs: each of the two tables lists both, or only the first
    assert both.count("sites.a.components.box.tt") == 4
    assert one.count("sites.a.components.box.tt") == 2


# ---- plot and export -----------------------------------------------------------------------


def _image(args: list[Any]) -> bytes:
    out = Path(args[args.index("--out") + 1])
    ok(args)
    return out.read_bytes()


@covers("plot", "--kind", "--out", "--metric", "--objective")
def test_plot_distribution_options(files, tmp_path):
    base = ["plot", files["folder"]]
    default = _image([*base, "--out", tmp_path / "a.png"])
    assert default == _image([*base, "--out", tmp_path / "a2.png", "--kind", "rto-cdf"])
    assert default != _image([*base, "--out", tmp_path / "b.png", "--kind", "downtime-hist"])
    assert default != _image([*base, "--out", tmp_path / "c.png", "--metric", "downtime"])
    assert default != _image([*base, "--out", tmp_path / "d.png", "--objective", "4h"])
    assert _image([*base, "--out", tmp_path / "e.svg"]).startswith(b"<?xml")
    assert default.startswith(b"\x89PNG")


@covers("plot", "--seed", "--at", "--by-site", "--force")
def test_plot_drill_options(files, tmp_path):
    base = ["plot", files["tiny"]]
    timeline = _image([*base, "--out", tmp_path / "a.png"])
    assert timeline != _image([*base, "--out", tmp_path / "b.png", "--seed", "2"])
    status = _image([*base, "--out", tmp_path / "c.png", "--kind", "status"])
    assert status != timeline
    assert status != _image([*base, "--out", tmp_path / "d.png", "--kind", "status",
                             "--by-site"])
    # at 60 h the box of seed 1 is up; at 1 h 10 m into incident 2 (20 Mar 07:08) it is down
    up = _image([*base, "--out", tmp_path / "e.png", "--kind", "topology", "--at", "60h"])
    down = _image([*base, "--out", tmp_path / "f.png", "--kind", "topology", "--at",
                   "2026-03-20T07:08"])
    assert up != down
    refused = runner.invoke(app, [str(a) for a in [*base, "--out", tmp_path / "a.png"]])
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert _image([*base, "--out", tmp_path / "a.png", "--kind", "status", "--force"]) == status


@covers("plot", "--from", "--to")
def test_plot_from_and_to_change_the_span_shown(files, tmp_path):
    # the x limits themselves are pinned in tests/test_figure_zoom.py
    base = ["plot", files["tiny"]]
    for kind in ("timeline", "status"):
        default = _image([*base, "--out", tmp_path / f"{kind}.png", "--kind", kind])
        assert default != _image([*base, "--out", tmp_path / f"{kind}-from.png", "--kind", kind,
                                  "--from", "1d"])
        assert default != _image([*base, "--out", tmp_path / f"{kind}-to.png", "--kind", kind,
                                  "--to", "2026-03-25T00:00"])


@covers("export", "--format", "--out", "--force")
def test_export_options(files, tmp_path):
    frame = rows(files["folder"])
    ok(["export", files["folder"], "--out", tmp_path / "t.csv"])
    ok(["export", files["folder"], "--out", tmp_path / "t.json", "--format", "json"])
    assert list(pd.read_csv(tmp_path / "t.csv").trial) == list(range(20))
    exported = json.loads((tmp_path / "t.json").read_text())
    trials = exported["trials"] if isinstance(exported, dict) else exported
    assert [t["trial"] for t in trials] == list(range(20))
    assert [t["downtime_s"] for t in trials] == pytest.approx(list(frame.downtime_s))
    refused = runner.invoke(app, ["export", str(files["folder"]), "--out",
                                  str(tmp_path / "t.csv")])
    assert refused.exit_code == 2 and "already exists" in refused.output
    (tmp_path / "t.csv").write_text("old")
    ok(["export", files["folder"], "--out", tmp_path / "t.csv", "--force"])
    assert (tmp_path / "t.csv").read_text().startswith("trial,")


# ---- init, and the short forms of the common options ---------------------------------------


@covers("import", "--out", "--force", "--latency", "--primary", "--backup")
def test_import_topology_options(tmp_path):
    from test_import_topology import THREE, edge, graph, node

    src, out = tmp_path / "g.graphml", tmp_path / "s.yaml"
    src.write_text(THREE, encoding="utf-8")
    ok(["import", "topology", src, "--out", out])
    assert yaml.safe_load(out.read_text())["services"]["app"]["active"] == ["bern"]
    assert runner.invoke(app, ["import", "topology", str(src), "--out", str(out),
                               "--primary", "zurich-2"]).exit_code == 2  # exists
    ok(["import", "topology", src, "--out", out, "--force", "--primary", "zurich-2",
        "--backup", "bern"])
    app_ = yaml.safe_load(out.read_text())["services"]["app"]
    assert app_["active"] == ["zurich-2"] and app_["standby"]["sites"] == ["bern"]
    src.write_text(graph(node("a"), node("b"), edge("a", "b")), encoding="utf-8")
    ok(["import", "topology", src, "--out", out, "--force", "--latency", "7ms"])
    assert yaml.safe_load(out.read_text())["links"]["a-b"]["latency"] == "7ms"


@covers("import", "--debug")
def test_import_debug_shows_the_traceback(files):
    args = ["import", "topology", str(files["broken"]), "--out", "-"]
    assert runner.invoke(app, args).exit_code == 2
    assert isinstance(runner.invoke(app, [*args, "--debug"]).exception, ScenarioError)


@covers("init", "--force")
def test_init_force(tmp_path):
    target = tmp_path / "s.yaml"
    target.write_text("mine\n")
    assert runner.invoke(app, ["init", str(target)]).exit_code == 2
    assert target.read_text() == "mine\n"
    ok(["init", target, "--force"])
    assert target.read_text().startswith("# A starter drsim scenario")


def test_short_options_do_what_the_long_ones_do(files, tmp_path):
    """-n/--trials, -s/--seed, -j/--workers, -o/--out, -f/--force and -m/--metric: the same
    rows, summary and table either way (the options are listed in drsim/cli/__init__.py)."""
    tiny = files["tiny"]
    ok(["run", tiny, "--trials", "6", "--seed", "3", "--workers", "1", "--out", tmp_path / "l"])
    ok(["run", tiny, "-n", "6", "-s", "3", "-j", "1", "-o", tmp_path / "s"])
    pd.testing.assert_frame_equal(rows(tmp_path / "l"), rows(tmp_path / "s"))
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["seed"] == 3
    ok(["run", tiny, "-n", "2", "-j", "1", "-o", tmp_path / "s", "-f"])  # -f: overwritten
    assert len(rows(tmp_path / "s")) == 2
    long = ok(["compare", tiny, files["fast"], "--trials", "3", "--workers", "1",
               "--metric", "downtime"]).output
    short = ok(["compare", tiny, files["fast"], "-n", "3", "-j", "1", "-m", "downtime"]).output
    assert short == long and "customer-minutes lost" not in short
    assert "downtime (worst group)" in short


# ---- replay, on a fake clock ---------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        # at least a microsecond: a real sleep always lets the clock move on, while adding
        # 1e-15 to a float of thousands would leave it where it is (and play() spinning)
        self.t += max(1e-6, seconds)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """drsim replay paced by a fake clock: sleeping only moves the fake time forward."""
    fake = FakeTime()
    monkeypatch.setattr(replay_cli, "Clock", lambda speed: Clock(speed, fake))
    monkeypatch.setattr(replay_cli, "play", partial(play, sleep=fake.sleep))
    return fake


def _skips(output: str) -> list[str]:
    return re.findall(r"\(skipped (.*) of quiet\)", output)


@covers("replay", "--speed", "--skip-quiet", "--until-end", "--seed")
def test_replay_pacing_options(files, fake_clock):
    tiny = str(files["tiny"])
    paced = ok(["replay", tiny, "--no-live"]).output
    # seed 1's first event is at 14 Mar 14:22:19, 4d 05h 22m 19s after the 09:00 start;
    # ×600 skips the quiet to one real second (600 s) before it: 4d 05h 12m 19s
    assert _skips(paced)[0] == "4d 05h 12m"
    faster = ok(["replay", tiny, "--no-live", "--speed", "6000"]).output
    assert _skips(faster)[0] == "4d 03h 42m"  # 6000 s (1h 40m) before it: 4d 03h 42m 19s
    exact = ok(["replay", tiny, "--no-live", "--skip-quiet", "0"]).output
    assert _skips(exact) == []
    to_horizon = ok(["replay", tiny, "--no-live", "--horizon"]).output
    # the quiet after the last event, up to the horizon, is skipped too
    assert len(_skips(to_horizon)) == len(_skips(paced)) + 1
    assert _events(to_horizon) == _events(paced)
    other = ok(["replay", tiny, "--no-live", "--seed", "2", "--speed", "0"]).output
    assert _events(other) != _events(paced)


def _events(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("2026-")]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """drsim replay believes its output is a terminal (its keys still come from no tty)."""
    tty = types.SimpleNamespace(isatty=lambda: True)
    monkeypatch.setattr(replay_cli, "sys", types.SimpleNamespace(stdout=tty, stdin=sys.stdin))


@covers("replay", "--live", "--feed")
def test_replay_board_options(files, terminal, monkeypatch):
    monkeypatch.setenv("LINES", "60")  # room for the whole feed (rich reads it off a tty)
    tiny = str(files["tiny"])
    board = ok(["replay", tiny, "--speed", "0"]).output
    short = ok(["replay", tiny, "--speed", "0", "--feed", "3", "--live"]).output
    lines = ok(["replay", tiny, "--speed", "0", "--no-live"]).output
    assert "Events" in board and "Replay finished" in board and "Events" not in lines
    assert len(_events(lines)) == 66  # seed 1: six incidents, 66 events in all

    def feed(output: str) -> list[str]:
        return re.findall(r"^\w{3} \d\d:\d\d:\d\d ", output, re.M)

    assert len(feed(board)) == 12 and len(feed(short)) == 3  # --feed: events shown


# ---- verify --------------------------------------------------------------------------------


@covers("verify", "--case", "--trials", "--seed", "--seeds", "--alpha", "--workers")
def test_verify_options(engine_spy):
    one = ok(["verify", "--case", "unit", "--trials", "20", "--seed", "3", "--seeds", "1"]).output
    other = ok(["verify", "--case", "unit", "--trials", "30", "--seed", "4", "--seeds", "2",
                "--alpha", "0.05", "--workers", "2"]).output

    def row(output: str) -> list[str]:
        return next(line for line in output.splitlines() if "│ unit " in line).split("│")

    # one test at α = 1% is a 99% interval; Holm over 2 seeds at α = 5% starts at 97.5%
    assert "CI at 99%" in one and "family-wise α = 0.01" in one
    assert "CI at 97.5%" in other and "family-wise α = 0.05" in other
    assert row(one)[5].strip() == "20" and row(other)[5].strip() == "60"  # trials x seeds
    assert "3: " in row(one)[6] and "4: " in row(other)[6] and "5: " in row(other)[6]
    assert row(one)[3] != row(other)[3]  # the simulated value
    assert "1 of 1 cases passed (seeds 3–3" in one and "(seeds 4–5" in other
    assert ("backend", "local", 2, None) in engine_spy


@covers("verify", "--bias", "--quick")
def test_verify_bias_sizes_the_trials_and_quick_chooses_the_fast_cases(monkeypatch):
    chosen: list[list[str]] = []
    planned: dict[float, int] = {}

    def spy(cases, trials, seed, workers, progress=None, **kw):
        chosen.append([c.id for c in cases])
        results = real(cases[:1], 20, seed, 1, progress, **{**kw, "seeds": 1})
        plan = verification.Plan(tests=kw["seeds"], seeds=kw["seeds"], alpha=kw["alpha"],
                                 power=kw["power"], bias=kw["bias"])
        planned[kw["bias"]] = plan.trials(cases[0])
        return results

    real = verification.verify
    monkeypatch.setattr(verification, "verify", spy)
    ok(["verify", "--quick"])
    assert chosen[-1] == list(verification.QUICK)
    ok(["verify", "--case", "unit", "--bias", "0.01"])
    ok(["verify", "--case", "unit", "--bias", "0.02"])
    # trials grow as 1/bias²: (0.02 / 0.01)² = 4, up to the t correction, which adds trials
    # in steps of 0.5% until the t interval is narrow enough
    assert planned[0.01] / planned[0.02] == pytest.approx(4, rel=0.05)


@covers("verify", "--debug")
def test_verify_debug_shows_the_traceback():
    assert runner.invoke(app, ["verify", "--case", "nope"]).exit_code == 2
    assert isinstance(runner.invoke(app, ["verify", "--case", "nope", "--debug"]).exception,
                      DrsimError)


# ---- the meta-tests ------------------------------------------------------------------------


def _options() -> list[tuple[str, str, Any]]:
    return [(name, max(p.opts, key=len), p)
            for name, cmd in all_commands().items()
            for p in cmd.params if p.param_type_name == "option"]


def test_every_option_of_every_command_is_shown_to_change_something():
    missing = [f"drsim {c} {o}" for c, o, _ in _options() if (c, o) not in COVERS]
    assert not missing, ("options with no test showing what they change (add one here, or "
                         "refuse them where they change nothing): " + ", ".join(missing))
    stale = set(COVERS) - {(c, o) for c, o, _ in _options()}
    assert not stale


APPLIES_OF = {"run": run.APPLIES, "compare": compare.COMPARE_APPLIES, "sweep": compare.APPLIES,
              "invest": invest.INVEST_APPLIES, "sensitivity": invest.APPLIES,
              "plot": figures.APPLIES, "replay": replay.APPLIES, "explain": explain.APPLIES,
              "score": score_cli.APPLIES, "calibrate": calibrate.APPLIES}


def test_every_applicability_rule_names_a_parameter_and_has_a_refusal_case():
    params = {(c, p.name): (o, p) for c, o, p in _options()}
    refused = {(c, o, m) for _, c, o, m in REFUSED}
    for command, table in APPLIES_OF.items():
        for name, modes in table.items():
            assert (command, name) in params, f"drsim {command} has no parameter {name}"
            option, param = params[(command, name)]
            labels = {option, *getattr(param, "secondary_opts", [])}
            for mode in modes:
                assert any((command, label, mode) in refused for label in labels), \
                    f"no REFUSED row for drsim {command} {option} outside '{mode.when}'"


# ---- explain -------------------------------------------------------------------------------


@covers("explain", "--trial", "--seed", "--group", "--at", "--step")
def test_explain_trial_seed_group_at_step(tmp_path):
    from test_explain import WHY

    why = tmp_path / "why.yaml"
    why.write_text(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7", roles="[]",
                              at="{uniform: {low: 1h, high: 2h}}"))
    base = ok(["explain", why]).output
    # another trial, another seed: another fault time (uniform 10:00-11:00)
    assert base.splitlines()[0].startswith("consumer had no basic service from Tue 10:")
    assert ok(["explain", why, "--trial", "1"]).output.splitlines()[0] != base.splitlines()[0]
    assert ok(["explain", why, "--seed", "9"]).output.splitlines()[0] != base.splitlines()[0]
    group = ok(["explain", why, "--group", "smb"]).output.splitlines()
    assert group[0].startswith("smb had no basic service") and "consumer" not in group[0]
    at = ok(["explain", why, "--group", "consumer", "--at", "15:00"]).output.splitlines()
    assert at[0] == "consumer lacked voice at Tue 15:00:"
    step = ok(["explain", why, "--step", "failback.back"]).output.splitlines()
    assert step[0] == "failback.back: ok; started Tue 23:00, ended Tue 23:05"


@covers("explain", "--scenario")
def test_explain_scenario_names_a_moved_scenario(files, tmp_path):
    moved = tmp_path / "moved.yaml"
    moved.write_text(files["tiny"].read_text())
    folder = tmp_path / "results"
    ok(["run", moved, "--trials", "3", "--workers", "1", "--out", folder])
    found = ok(["explain", folder, "--trial", "2"]).output  # the manifest names moved.yaml
    moved.unlink()
    res = runner.invoke(app, ["explain", str(folder), "--trial", "2"])
    assert res.exit_code == 2 and "moved.yaml" in res.output
    assert ok(["explain", folder, "--trial", "2", "--scenario", files["tiny"]]).output == found


# ---- score ---------------------------------------------------------------------------------


def _score_json(args: list[Any], out: Path) -> dict[str, Any]:
    ok([*args, "--json", out])
    return json.loads(out.read_text())["drills"][0]


@covers("score", "--drill", "--pages", "--status", "--map")
def test_score_each_record_adds_its_figures(tmp_path):
    from test_score_cli import drill_files

    p = drill_files(tmp_path)
    base = ["score", p["scenario"], "--trials", "20"]

    def figures(*more: Any) -> set[str]:
        got = _score_json([*base, *more], tmp_path / "s.json")
        (tmp_path / "s.json").unlink()
        return {f["figure"] for f in got["figures"]}

    steps = {"step_s.failback.back", "step_s.failover.prepare", "step_s.failover.switch"}
    assert figures("--drill", p["drill"]) == steps
    # the page: detection, acknowledgement, declaration and (resolved) full recovery
    assert figures("--pages", p["pages"]) == {"ttd_s", "tta_s", "declared_after_s",
                                              "rto_full_s"}
    # the status page without the map: no component stands for a group, no basic service
    assert figures("--pages", p["pages"], "--status", p["status"]) == {
        "ttd_s", "tta_s", "declared_after_s", "rto_full_s"}
    assert figures("--pages", p["pages"], "--status", p["status"], "--map", p["map"]) == {
        "ttd_s", "tta_s", "declared_after_s", "rto_full_s", "rto_basic_s", "rto_basic_s.users"}


@covers("score", "--trials", "--seed", "--json")
def test_score_trials_seed_json(tmp_path):
    from test_score_cli import drill_files

    p = drill_files(tmp_path, switch="{exponential: {mean: 15m}}")
    base = ["score", p["scenario"], "--drill", p["drill"]]
    a = _score_json([*base, "--trials", "20"], tmp_path / "a.json")
    b = _score_json([*base, "--trials", "30"], tmp_path / "b.json")
    c = _score_json([*base, "--trials", "20", "--seed", "9"], tmp_path / "c.json")
    assert {f["n"] for f in a["figures"]} == {20} and {f["n"] for f in b["figures"]} == {30}
    switch = {d["drill"]: [f for f in d["figures"] if f["figure"] == "step_s.failover.switch"][0]
              for d in (dict(a, drill="a"), dict(c, drill="c"))}
    assert switch["a"]["median_s"] != switch["c"]["median_s"]  # another seed, other draws


@covers("score", "--report", "--force")
def test_score_report_force(tmp_path):
    from test_score_cli import args, drill_files

    p = drill_files(tmp_path)
    report = tmp_path / "r.html"
    ok([*args(p), "--report", report])
    assert "Drill d1" in report.read_text()
    report.write_text("old")
    assert runner.invoke(app, [*args(p), "--report", str(report)]).exit_code == 2
    ok([*args(p), "--report", report, "--force"])
    assert report.read_text() != "old"
# ---- calibrate -----------------------------------------------------------------------------

CALIBRATION = Path(__file__).resolve().parent.parent / "examples" / "calibration"


@pytest.fixture
def drill(tmp_path: Path) -> Path:
    """The default drill beside the outputs (a variant's base is read from its folder)."""
    base = tmp_path / "drill.yaml"
    base.write_text((Path(__file__).resolve().parent.parent / "scenarios" /
                     "nyc-chicago-drill.yaml").read_text())
    return base


def _calibrate(drill: Path, *args: Any) -> Any:
    return runner.invoke(app, ["calibrate", str(drill), *map(str, args)])


@covers("calibrate", "--log", "--pages", "--status", "--map", "--out", "--report")
def test_calibrate_inputs_and_outputs(drill, tmp_path):
    log, pages = CALIBRATION / "drills.csv", CALIBRATION / "pages.json"
    res = _calibrate(drill, "--log", log, "--map", CALIBRATION / "map.yaml", "--out",
                     tmp_path / "a.yaml", "--bootstrap", "0")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "a.yaml").read_text()
    assert "runbooks:" in text and "detection:" not in text  # the log: steps only
    assert "Status-page outages" not in res.output
    res = _calibrate(drill, "--pages", pages, "--status", CALIBRATION / "status.json",
                     "--map", CALIBRATION / "map.yaml", "--out", tmp_path / "b.yaml",
                     "--report", tmp_path / "b.html", "--bootstrap", "0")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "b.yaml").read_text()
    assert "detection:" in text and "runbooks:" not in text  # the pages: paging delays only
    assert "Status-page outages" in res.output  # --status: the outages it saw
    assert "<figure" in (tmp_path / "b.html").read_text()
    # without --map the log's own names match nothing in the scenario
    res = _calibrate(drill, "--log", log, "--out", tmp_path / "c.yaml", "--bootstrap", "0")
    assert res.exit_code == 2 and "'Open bridge' is not a step of the scenario" in res.output
    assert not (tmp_path / "c.yaml").exists()


def _p90(res: Any, quantity: str) -> tuple[str, str]:
    """(P90, its interval) printed for a quantity."""
    row = next(line for line in res.output.splitlines() if f" {quantity} " in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    return cells[5], cells[6]


@covers("calibrate", "--prior-weight", "--bootstrap", "--seed", "--force")
def test_calibrate_prior_weight_bootstrap_seed_force(drill, tmp_path):
    pages = CALIBRATION / "pages.json"
    out = tmp_path / "f.yaml"
    plain = _calibrate(drill, "--pages", pages, "--out", out, "--bootstrap", "0")
    assert plain.exit_code == 0 and _p90(plain, "detection.ack_delay") == ("26m", "—")
    again = _calibrate(drill, "--pages", pages, "--out", out, "--bootstrap", "0")
    assert again.exit_code == 2 and "already exists; pass --force" in again.output
    # 1000 pseudo-observations from the expert (P90 15 min) outweigh the 30 incidents
    prior = _calibrate(drill, "--pages", pages, "--out", out, "--force", "--bootstrap", "0",
                       "--prior-weight", "1000")
    assert prior.exit_code == 0 and "+ 1000 pseudo-observations" in out.read_text()
    p90 = _p90(prior, "detection.ack_delay")[0]
    assert p90.startswith(("15m", "16m")), p90
    one = _calibrate(drill, "--pages", pages, "--out", out, "--force", "--bootstrap", "40",
                     "--seed", "1")
    two = _calibrate(drill, "--pages", pages, "--out", out, "--force", "--bootstrap", "40",
                     "--seed", "2")
    ci1, ci2 = _p90(one, "detection.ack_delay")[1], _p90(two, "detection.ack_delay")[1]
    assert "–" in ci1 and ci1 != ci2
