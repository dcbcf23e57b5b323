"""Golden rows: every bundled scenario's per-trial Monte Carlo rows for three root seeds are
pinned in tests/golden/ (written only by `python tests/golden/regenerate.py --write`).

Any change to what a trial computes — a sampled duration, a capacity rule, a metric — moves
some cell, and the failure names the scenario, seed, trial and column. Floats compare to
1e-9 relative (see REL_TOL in regenerate.py for why not bit-exact).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

_spec = importlib.util.spec_from_file_location(
    "golden_regenerate", Path(__file__).resolve().parent / "golden" / "regenerate.py")
assert _spec is not None and _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

PATHS = golden.scenario_paths()


def _name(p: Path) -> str:
    return p.relative_to(golden.SCENARIOS).with_suffix("").as_posix()


def _stored(path: Path) -> dict:
    target = golden.golden_path(path)
    assert target.exists(), (f"no golden rows for {_name(path)} ({target}): run "
                             "`python tests/golden/regenerate.py --write` and review them")
    return json.loads(target.read_text(encoding="utf-8"))


def _check(path: Path, got: dict[str, list[dict]]) -> None:
    doc = _stored(path)
    want = {seed: rows for seed, rows in golden.expected_rows(doc).items() if seed in got}
    lines = golden.differences(_name(path), want, got)
    assert not lines, "\n".join([f"{len(lines)} golden cell(s) changed:", *lines[:40],
                                 golden.HOW])


def test_every_scenario_has_golden_rows_and_no_stale_ones():
    assert len(PATHS) >= 21  # drills, incidents, variants, costed and options
    assert sorted(golden.golden_path(p) for p in PATHS) == golden.golden_paths(), golden.HOW


@pytest.mark.parametrize("path", PATHS, ids=_name)
def test_golden_rows(path):
    doc = _stored(path)
    assert doc["seeds"] == list(golden.SEEDS) and doc["trials"] == golden.TRIALS, golden.HOW
    _check(path, {str(s): golden.rows_of(path, s) for s in golden.SEEDS})


def test_stochastic_scenarios_are_stored_per_seed():
    # the scenarios known to draw random numbers that reach their metrics must not have
    # collapsed into one deterministic row (which would pin much less)
    stochastic = {"nyc-chicago-drill", "random-failures-year", "variants/nyc-warm-standby",
                  "variants/year-engineer-on-nights", "variants/year-faster-runbook"} | {
        f"incidents/{p.stem}" for p in (golden.SCENARIOS / "incidents").glob("*.yaml")}
    for path in PATHS:
        if _name(path) not in stochastic:
            continue
        doc = _stored(path)
        assert not doc["deterministic"], _name(path)
        rows = golden.expected_rows(doc)  # trials of one seed differ, and seeds differ
        first = [json.dumps({k: v for k, v in r.items() if k != "trial"})
                 for r in rows[str(golden.SEEDS[0])]]
        assert len(set(first)) > 1, _name(path)
        assert rows[str(golden.SEEDS[0])] != rows[str(golden.SEEDS[1])], _name(path)


def test_rows_do_not_depend_on_the_worker_count():
    path = golden.SCENARIOS / "random-failures-year.yaml"
    seed = golden.SEEDS[1]
    two = golden.rows_of(path, seed, workers=2)
    _check(path, {str(seed): two})
    one = golden.rows_of(path, seed, workers=1)
    pd.testing.assert_frame_equal(pd.DataFrame(two), pd.DataFrame(one))  # bit for bit


def test_a_changed_cell_is_reported_by_scenario_seed_trial_and_column():
    want = {"1": [{"trial": 0, "rto_basic_s": 4920.0, "met.o.rto": True, "ttd_s": "nan"}]}
    same = {"1": [{"trial": 0, "rto_basic_s": 4920.0 * (1 + 1e-12), "met.o.rto": True,
                   "ttd_s": "nan"}]}
    assert golden.differences("x", want, same) == []
    moved = {"1": [{"trial": 0, "rto_basic_s": 4921.0, "met.o.rto": False, "ttd_s": 3.0}]}
    assert golden.differences("x", want, moved) == [
        "x: seed 1 trial 0 column rto_basic_s: stored 4920.0, now 4921.0",
        "x: seed 1 trial 0 column met.o.rto: stored True, now False",
        "x: seed 1 trial 0 column ttd_s: stored 'nan', now 3.0"]
    assert golden.same_value("inf", float("inf")) and not golden.same_value("inf", 1e300)
    assert not golden.same_value(1.0, True) and not golden.same_value(None, "nan")
