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
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "mutation"))
import narrow  # noqa: E402
import score  # noqa: E402

SUBSET_MODULES = ["drsim/topology.py", "drsim/sim/streams.py"]
SUBSET_TESTS = ["tests/test_topology.py", "tests/test_mut_topology.py",
                "tests/test_scale_topology.py", "tests/test_mut_streams.py",
                "tests/test_streams_seeding.py"]

HAVE_MUTMUT = importlib.util.find_spec("mutmut") is not None
pytestmark = pytest.mark.skipif(
    not HAVE_MUTMUT and not os.environ.get("CI"),
    reason="mutmut is not installed (pip install -e '.[test]'); CI always runs this test")


def test_narrowed_config_replaces_only_the_mutmut_section():
    text = ('[project]\nname = "x"\n\n[tool.mutmut]\nonly_mutate = ["drsim/sim/*"]\n'
            'pytest_add_cli_args_test_selection = ["tests"]\n\n[tool.other]\nk = 1\n')
    out = narrow.narrowed_config(text, SUBSET_MODULES, SUBSET_TESTS)
    assert out.startswith('[project]\nname = "x"\n\n[tool.mutmut]\n')
    assert 'only_mutate = ["drsim/topology.py", "drsim/sim/streams.py"]' in out
    assert ('pytest_add_cli_args_test_selection = ["tests/test_topology.py", '
            '"tests/test_mut_topology.py", "tests/test_scale_topology.py", '
            '"tests/test_mut_streams.py", "tests/test_streams_seeding.py"]') in out
    assert '"drsim/sim/*"' not in out and out.endswith("[tool.other]\nk = 1\n")
    with pytest.raises(ValueError, match="no \\[tool.mutmut\\] section"):
        narrow.narrowed_config("[project]\n", SUBSET_MODULES, SUBSET_TESTS)


def test_subset_mutants_are_all_killed(tmp_path):
    if not HAVE_MUTMUT:
        pytest.fail("CI is set but mutmut is not installed: install the test extra")
    repo = tmp_path / "repo"
    proc = narrow.run_narrowed(repo, SUBSET_MODULES, SUBSET_TESTS, max_children=2,
                               timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    scores = score.score_all(repo / "mutants", score.EQUIVALENT_DIR,
                             ["drsim.topology", "drsim.sim.streams"])
    assert sorted(s.module for s in scores) == ["drsim.sim.streams", "drsim.topology"]
    for s in scores:
        assert s.total > 0, f"{s.module}: mutmut produced no mutants"
        assert not s.stale, s.stale
        assert not s.unexplained, (
            f"{s.module}: mutants not killed by {SUBSET_TESTS} (see them with "
            f"`python tests/mutation/narrow.py {' '.join(SUBSET_MODULES)} --tests "
            f"{' '.join(SUBSET_TESTS)} --keep /tmp/m`): {s.unexplained}")
