"""mypy over the package, with the configuration in pyproject.toml ([tool.mypy]).

The whole of drsim/ is checked; the simulation core (scenario/, sim/, metrics.py, stats.py)
is held to mypy's --strict flags by a per-module override. Running mypy from here puts it in
the suite's one command, so CI fails on a type error like on any other test.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api  # in the test extra, like pytest: a missing mypy is an error, not a skip

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"

STRICT_MODULES = ("drsim.scenario.schema", "drsim.scenario.validate", "drsim.sim.engine",
                  "drsim.sim.world", "drsim.metrics", "drsim.stats")
# what --strict adds per module (the global ones, such as warn_unused_ignores, hold everywhere)
STRICT_FLAGS = ("disallow_any_generics", "disallow_subclassing_any", "disallow_untyped_calls",
                "disallow_untyped_defs", "disallow_incomplete_defs",
                "disallow_untyped_decorators", "warn_return_any")


def test_mypy_reports_no_error_in_the_package() -> None:
    # the default cache folder (.mypy_cache, git-ignored) keeps reruns to a few seconds
    stdout, stderr, status = api.run(["--config-file", str(CONFIG),
                                      "--cache-dir", str(ROOT / ".mypy_cache"),
                                      str(ROOT / "drsim")])
    assert status == 0, f"mypy found errors (exit {status}):\n{stdout}{stderr}"
    assert stdout.startswith("Success: no issues found in "), stdout


def test_the_simulation_core_is_checked_strictly_and_the_rest_is_not() -> None:
    from mypy.config_parser import parse_config_file
    from mypy.options import Options

    options = Options()
    parse_config_file(options, lambda: None, str(CONFIG), stdout=None, stderr=None)
    assert options.check_untyped_defs and options.warn_unused_ignores
    for module in STRICT_MODULES:
        per_module = options.clone_for_module(module)
        assert {f: getattr(per_module, f) for f in STRICT_FLAGS} == dict.fromkeys(
            STRICT_FLAGS, True), module
    rest = options.clone_for_module("drsim.report.plots")
    assert not rest.disallow_untyped_defs and not rest.disallow_any_generics
