"""The mutation run's per-test time limit (tests/mutation/mutmut_plugin.py).

A mutant that loops forever at one simulated instant must end as "timeout" (exit status 36)
within its own test's budget, not hold the run for mutmut's budget of all the tests that
reach the module; outside a mutant's run nothing is bounded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.mutation import mutmut_plugin as plugin

ROOT = Path(__file__).resolve().parent.parent
SPIN = "def test_spins():\n    while True:\n        pass\n"
QUICK = "def test_quick():\n    assert 1 + 1 == 2\n"


def run_pytest(tmp_path: Path, body: str, mutant: str | None, limit: str | None):
    (tmp_path / "test_case.py").write_text(body)
    env = {k: v for k, v in os.environ.items()
           if k not in ("MUTANT_UNDER_TEST", plugin.LIMIT_ENV)}
    env["PYTHONPATH"] = str(ROOT)
    if mutant is not None:
        env["MUTANT_UNDER_TEST"] = mutant
    if limit is not None:
        env[plugin.LIMIT_ENV] = limit
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "tests.mutation.mutmut_plugin", str(tmp_path / "test_case.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_limit_is_mutmuts_formula_for_one_test(monkeypatch):
    monkeypatch.delenv(plugin.LIMIT_ENV, raising=False)
    durations = {"tests/test_a.py::test_slow": 2.0, "tests/test_a.py::test_fast": 0.2}
    assert plugin.limit_s("tests/test_a.py::test_slow", durations) == 45.0  # (2 + 1) × 15
    assert plugin.limit_s("tests/test_a.py::test_fast", durations) == 18.0  # (0.2 + 1) × 15
    assert plugin.limit_s("tests/test_a.py::test_new", durations) == 15.0  # (0 + 1) × 15
    monkeypatch.setenv(plugin.LIMIT_ENV, "0.5")
    assert plugin.limit_s("tests/test_a.py::test_slow", durations) == 0.5


def test_only_a_mutants_run_is_bounded(monkeypatch):
    for name, bounded in [("drsim.sim.world.xǁWorldǁwait_until__mutmut_1", True),
                          ("", False), ("stats", False), ("fail", False)]:
        monkeypatch.setenv("MUTANT_UNDER_TEST", name)
        assert plugin.under_mutant() is bounded, name
    monkeypatch.delenv("MUTANT_UNDER_TEST")
    assert plugin.under_mutant() is False


def test_a_test_that_never_ends_under_a_mutant_exits_as_a_timeout(tmp_path):
    proc = run_pytest(tmp_path, SPIN, "drsim.sim.world.xǁWorldǁwait_until__mutmut_1", "0.5")
    assert proc.returncode == plugin.TIMEOUT_EXIT == 36, proc.stdout + proc.stderr


def test_a_quick_test_under_a_mutant_is_not_cut(tmp_path):
    proc = run_pytest(tmp_path, QUICK, "drsim.sim.world.xǁWorldǁwait_until__mutmut_1", "30")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


INHERITED = """
import os, sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from tests.mutation import mutmut_plugin

def pool_sum():
    with ProcessPoolExecutor(1, mp_context=get_context("forkserver")) as pool:
        return pool.submit(sum, [1, 2, 3]).result()

print("parent", pool_sum(), flush=True)  # starts the fork server, as the clean run does
for forget in (False, True):
    pid = os.fork()
    if pid == 0:  # as mutmut forks each mutant's process
        if forget:
            mutmut_plugin.forget_inherited_fork_server()
        try:
            print("child", forget, pool_sum(), flush=True)
        except ChildProcessError:
            print("child", forget, "ChildProcessError", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def test_a_forked_mutant_process_starts_its_own_fork_server():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", INHERITED], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    # the inherited server is not the child's: its pool fails (which counted every mutant
    # reaching a multi-worker test as killed); once forgotten, 1 + 2 + 3 = 6
    assert proc.stdout.splitlines() == ["parent 6", "child False ChildProcessError",
                                        "child True 6"], proc.stderr
