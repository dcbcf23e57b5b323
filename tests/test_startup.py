"""A quick start: `import drsim.cli`, `drsim --help` and `drsim validate` import none of the
heavy libraries (they are imported where a command uses them). Checked on sys.modules in a
fresh interpreter, not timed: benchmarks/startup.py measures the times."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from drsim.bundled import default_scenario

HEAVY = ("pandas", "scipy", "matplotlib", "dask", "distributed", "pyarrow", "SALib",
         "networkx", "numpy", "simpy", "jinja2")

# runs the command line in this interpreter, then prints which heavy modules it imported
PROBE = """
import json, sys
from drsim.cli import main
heavy = json.loads(sys.argv[2])
sys.argv = ["drsim", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "loaded": sorted(m for m in heavy if m in sys.modules)}))
"""


def loaded_by(args: list[str]) -> tuple[int, list[str], str]:
    res = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    last = json.loads(res.stdout.strip().splitlines()[-1])
    return last["exit"], last["loaded"], res.stdout


def test_import_drsim_cli_imports_no_heavy_library():
    code = ("import sys, json, drsim, drsim.cli; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, env={"PYTHONPATH": str(ROOT)})
    assert json.loads(res.stdout) == [], res.stderr


@pytest.mark.parametrize(("args", "status"), [(["--help"], 0), (["-h"], 0), (["--version"], 0),
                                              ([], 2)])  # no command: the help, exit 2
def test_help_imports_no_heavy_library(args, status):
    exit_code, loaded, out = loaded_by(args)
    assert (exit_code or 0, loaded) == (status, []), out


def test_validate_of_the_default_drill_imports_no_heavy_library():
    exit_code, loaded, out = loaded_by(["validate", str(default_scenario())])
    assert exit_code in (0, None) and f"{default_scenario()}: ok" in out
    assert loaded == []


def test_validate_still_finds_a_cycle_without_networkx_on_the_good_path(tmp_path):
    """The cycle check is graphlib's; networkx is imported only to name a cycle found."""
    bad = tmp_path / "cycle.yaml"
    bad.write_text((ROOT / "tests/data/invalid/step-cycle.yaml").read_text())
    exit_code, loaded, out = loaded_by(["validate", str(bad)])
    assert exit_code == 2 and loaded == ["networkx"]


def test_z90_is_scipys_to_the_last_bit():
    from scipy import stats

    from drsim.distributions import Z90

    assert Z90 == float(stats.norm.ppf(0.9))
