"""mypy over the package, with the configuration in pyproject.toml ([tool.mypy]).

The whole of drsim/ is checked; the simulation core (scenario/, sim/, metrics.py, stats.py)
is held to mypy's --strict flags by a per-module override. Running mypy from here puts it in
the suite's one command, so CI fails on a type error like on any other test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mypy import api  # in the test extra, like pytest: a missing mypy is an error, not a skip

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"


def test_mypy_reports_no_error_in_the_package() -> None:
    # the default cache folder (.mypy_cache, git-ignored) keeps reruns to a few seconds
    stdout, stderr, status = api.run(["--config-file", str(CONFIG),
                                      "--cache-dir", str(ROOT / ".mypy_cache"),
                                      str(ROOT / "drsim")])
    assert status == 0, f"mypy found errors (exit {status}):\n{stdout}{stderr}"
    modules = len(list((ROOT / "drsim").rglob("*.py")))  # every module was checked
    assert stdout == f"Success: no issues found in {modules} source files\n", stdout


def test_an_untyped_function_is_an_error_in_the_core_only() -> None:
    """The strict override is matched by module name: one untyped function fails in each
    module of the simulation core and passes in a report module; the exit status says so."""
    tree = ROOT / ".mypy_cache" / "probe"  # fixed (git-ignored) place: reruns hit the cache
    shutil.rmtree(tree / "drsim", ignore_errors=True)
    probe = "def double(x):\n    return x * 2\n"
    for package in ("drsim", "drsim/scenario", "drsim/sim", "drsim/report"):
        (tree / package).mkdir(parents=True)
        (tree / package / "__init__.py").write_text("")
    strict = ["drsim/metrics.py", "drsim/scenario/probe.py", "drsim/sim/probe.py",
              "drsim/stats.py"]  # sorted
    for module in [*strict, "drsim/report/probe.py"]:
        (tree / module).write_text(probe)
    stdout, stderr, status = api.run(["--config-file", str(CONFIG), "--show-absolute-path",
                                      "--cache-dir", str(tree / "cache"), str(tree / "drsim")])
    errors = sorted(line.removeprefix(f"{tree}/") for line in stdout.splitlines()
                    if ": error:" in line)
    assert errors == [f"{m}:1: error: Function is missing a type annotation  [no-untyped-def]"
                      for m in strict], stdout + stderr
    assert status == 1
