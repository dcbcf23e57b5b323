"""tests/mutation/score.py on hand-made mutmut state: counts, score, equivalents, staleness."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("mutation_score",
                                                  ROOT / "tests" / "mutation" / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


score = _load()


def _meta(mutants: Path, source: str, codes: dict[str, int | None]) -> None:
    path = mutants / (source + ".meta")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": {},
                                "type_check_error_by_key": {}, "durations_by_key": {},
                                "estimated_durations_by_key": {}}))


@pytest.fixture
def state(tmp_path):
    mutants, equiv = tmp_path / "mutants", tmp_path / "equivalent"
    equiv.mkdir()
    # drsim.m: 10 mutants: 6 killed (exit 1), 1 killed by pytest internal error (3),
    # 1 timeout (36), 1 survived (0), 1 without tests (33)
    codes = {f"drsim.m.x_f__mutmut_{i}": 1 for i in range(1, 7)}
    codes |= {"drsim.m.x_f__mutmut_7": 3, "drsim.m.x_f__mutmut_8": 36,
              "drsim.m.x_f__mutmut_9": 0, "drsim.m.x_f__mutmut_10": 33}
    _meta(mutants, "drsim/m.py", codes)
    # drsim.sim.w: 2 mutants, one not checked yet (None), one caught by the type checker (37)
    _meta(mutants, "drsim/sim/w.py", {"drsim.sim.w.x_g__mutmut_1": None,
                                       "drsim.sim.w.x_g__mutmut_2": 37})
    return mutants, equiv


def test_counts_and_score(state, capsys):
    mutants, equiv = state
    by = {s.module: s for s in score.score_all(mutants, equiv)}
    m = by["drsim.m"]
    assert (m.total, m.count("killed"), m.count("timeout"), m.count("survived"),
            m.count("no tests")) == (10, 7, 1, 1, 1)
    assert m.score == 80.0  # (7 killed + 1 timeout) / 10
    assert m.unexplained == [("drsim.m.x_f__mutmut_10", "no tests"),
                             ("drsim.m.x_f__mutmut_9", "survived")]
    w = by["drsim.sim.w"]
    assert w.count("not checked") == 1 and w.score == 50.0
    assert score.main(["--mutants", str(mutants), "--equivalent", str(equiv)]) == 1
    out = capsys.readouterr().out
    assert "drsim.m: score 80.0% is under 90%" in out
    assert "  drsim.m.x_f__mutmut_9  (survived)" in out


def test_equivalents_are_subtracted(state, capsys):
    mutants, equiv = state
    (equiv / "drsim.m.txt").write_text(
        "# header comment\n\ndrsim.m.x_f__mutmut_9  # x is never 0 here\n")
    [m] = score.score_all(mutants, equiv, ["drsim.m"])
    assert m.equivalent == {"drsim.m.x_f__mutmut_9": "x is never 0 here"}
    assert m.score == pytest.approx(100 * 8 / 9)  # 8 detected / (10 − 1 equivalent)
    assert score.main(["--mutants", str(mutants), "--equivalent", str(equiv),
                       "--module", "drsim.m"]) == 1  # 88.9% < 90%
    assert score.main(["--mutants", str(mutants), "--equivalent", str(equiv),
                       "--module", "drsim.m", "--threshold", "88.8"]) == 0
    assert "drsim.sim.w" not in capsys.readouterr().out


def test_module_prefix_selects_submodules(state):
    mutants, equiv = state
    assert [s.module for s in score.score_all(mutants, equiv, ["drsim.sim"])] == ["drsim.sim.w"]
    with pytest.raises(ValueError, match="no mutmut results for: drsim.nope"):
        score.score_all(mutants, equiv, ["drsim.nope"])


def test_stale_entries_fail(state, capsys):
    mutants, equiv = state
    (equiv / "drsim.m.txt").write_text(
        "drsim.m.x_f__mutmut_1  # said equivalent, but killed\n"
        "drsim.m.x_f__mutmut_99  # renumbered away\n")
    (equiv / "drsim.gone.txt").write_text("drsim.gone.x_h__mutmut_1  # module not mutated\n")
    by = {s.module: s for s in score.score_all(mutants, equiv)}
    assert by["drsim.m"].stale == [
        "drsim.m.x_f__mutmut_1: listed as equivalent but the tests killed it",
        "drsim.m.x_f__mutmut_99: listed as equivalent but no such mutant exists"]
    assert by["drsim.m"].equivalent == {}
    assert by["drsim.gone"].stale == ["drsim.gone.txt: no mutmut results for module drsim.gone"]
    assert score.main(["--mutants", str(mutants), "--equivalent", str(equiv),
                       "--threshold", "0"]) == 1
    assert "stale equivalent in drsim.m: drsim.m.x_f__mutmut_99" in capsys.readouterr().out


def test_an_entry_needs_a_reason(state):
    mutants, equiv = state
    (equiv / "drsim.m.txt").write_text("drsim.m.x_f__mutmut_9\n")
    with pytest.raises(ValueError, match="drsim.m.txt:1: expected"):
        score.score_all(mutants, equiv)
    assert score.main(["--mutants", str(mutants), "--equivalent", str(equiv)]) == 2


def test_no_state_is_a_usage_error(tmp_path, capsys):
    assert score.main(["--mutants", str(tmp_path)]) == 2
    assert "run `mutmut run` first" in capsys.readouterr().err
