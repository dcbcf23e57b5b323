"""The fast mutation subset that CI runs: mutmut for real, on a narrowed configuration.

The full run (README, "Development") mutates the whole engine and takes tens of minutes. This
test copies the repository to a temporary directory, narrows `[tool.mutmut]` to two whole
modules (the network topology and the random streams) and the few fast test files that must
kill their mutants, runs mutmut there, and asserts that every mutant is killed (or listed as
equivalent in tests/mutation/equivalent/, with its reason). A test that stops pinning
latencies, paths, bottlenecks or stream seeding fails here, in CI, not weeks later.

It is skipped only when mutmut is not installed and the CI variable is unset: in CI
(mutmut is in the test extra) it always runs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUBSET_MODULES = ["drsim/topology.py", "drsim/sim/streams.py"]
SUBSET_TESTS = ["tests/test_topology.py", "tests/test_mut_topology.py",
                "tests/test_mut_streams.py"]
# what the copy leaves out: caches, mutmut's own state, VCS data, build output, artefacts
IGNORE = shutil.ignore_patterns(".git", "mutants", "__pycache__", ".hypothesis",
                                ".pytest_cache", ".ruff_cache", "*.egg-info", "build", "dist",
                                "artifacts", ".mypy_cache")

HAVE_MUTMUT = importlib.util.find_spec("mutmut") is not None
pytestmark = pytest.mark.skipif(
    not HAVE_MUTMUT and not os.environ.get("CI"),
    reason="mutmut is not installed (pip install -e '.[test]'); CI always runs this test")


def _load_score():
    spec = importlib.util.spec_from_file_location("mutation_score",
                                                  ROOT / "tests" / "mutation" / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def narrowed_config(pyproject: str) -> str:
    """pyproject.toml text with `[tool.mutmut]` replaced by the subset's configuration."""
    section = re.compile(r"^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", re.S | re.M)
    assert section.search(pyproject), "pyproject.toml has no [tool.mutmut] section"
    new = ("[tool.mutmut]\n"
           'source_paths = ["drsim"]\n'
           f"only_mutate = {SUBSET_MODULES!r}\n"
           'also_copy = ["scenarios"]\n'
           'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]\n'
           f"pytest_add_cli_args_test_selection = {SUBSET_TESTS!r}\n\n").replace("'", '"')
    return section.sub(lambda _: new, pyproject, count=1)


def test_narrowed_config_replaces_only_the_mutmut_section():
    text = ('[project]\nname = "x"\n\n[tool.mutmut]\nonly_mutate = ["drsim/sim/*"]\n'
            'pytest_add_cli_args_test_selection = ["tests"]\n\n[tool.other]\nk = 1\n')
    out = narrowed_config(text)
    assert out.startswith('[project]\nname = "x"\n\n[tool.mutmut]\n')
    assert 'only_mutate = ["drsim/topology.py", "drsim/sim/streams.py"]' in out
    assert '"drsim/sim/*"' not in out and out.endswith("[tool.other]\nk = 1\n")


def test_subset_mutants_are_all_killed(tmp_path):
    if not HAVE_MUTMUT:
        pytest.fail("CI is set but mutmut is not installed: install the test extra")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORE)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(narrowed_config(pyproject.read_text()))
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("MUTANT_UNDER_TEST", None)
    proc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "2"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    score = _load_score()
    scores = score.score_all(repo / "mutants", ROOT / "tests" / "mutation" / "equivalent",
                             ["drsim.topology", "drsim.sim.streams"])
    by_module = {s.module: s for s in scores}
    assert sorted(by_module) == ["drsim.sim.streams", "drsim.topology"]
    for s in scores:
        assert s.total > 0, f"{s.module}: mutmut produced no mutants"
        assert not s.stale, s.stale
        assert not s.unexplained, (
            f"{s.module}: mutants not killed by {SUBSET_TESTS} (see them with "
            f"`mutmut show <name>` after a full run): {s.unexplained}")
