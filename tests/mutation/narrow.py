"""Run mutmut on a few modules against a few test files, in a temporary copy of the repository.

    python tests/mutation/narrow.py drsim/stats.py --tests tests/test_stats.py \
        tests/test_mut_stats.py [--keep DIR] [--max-children 1]

For iterating on one module's tests: the copy's `[tool.mutmut]` mutates only the given
sources and runs only the given test files, so a run takes minutes, not the full run's tens
of minutes, and the repository's own mutants/ is left alone. Prints score.py's table for those
modules (the equivalents lists apply) and exits with its status. The score to report comes
from the full run with the committed selection (README, "Development"): a narrowed selection
can only kill fewer mutants, never more. tests/test_mutation_subset.py uses the same copy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# what the copy leaves out: caches, mutmut's own state, VCS data, build output, artefacts
IGNORE = shutil.ignore_patterns(".git", "mutants", "__pycache__", ".hypothesis",
                                ".pytest_cache", ".ruff_cache", "*.egg-info", "build", "dist",
                                "artifacts", ".mypy_cache", ".benchmarks")


def narrowed_config(pyproject: str, sources: list[str], tests: list[str]) -> str:
    """pyproject.toml text with `[tool.mutmut]` replaced by a narrowed configuration."""
    section = re.compile(r"^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", re.S | re.M)
    if not section.search(pyproject):
        raise ValueError("pyproject.toml has no [tool.mutmut] section")
    quoted = lambda xs: "[" + ", ".join(f'"{x}"' for x in xs) + "]"  # noqa: E731
    new = ("[tool.mutmut]\n"
           'source_paths = ["drsim"]\n'
           f"only_mutate = {quoted(sources)}\n"
           'also_copy = ["scenarios", "drsim/bundled_scenarios"]\n'
           'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q", "-p", '
           '"tests.mutation.mutmut_plugin"]\n'
           f"pytest_add_cli_args_test_selection = {quoted(tests)}\n\n")
    return section.sub(lambda _: new, pyproject, count=1)


def module_name(source: str) -> str:
    """drsim/sim/world.py → drsim.sim.world."""
    return source.removesuffix(".py").replace("/", ".")


def run_narrowed(repo: Path, sources: list[str], tests: list[str],
                 max_children: int = 1, timeout: float = 3600) -> subprocess.CompletedProcess:
    """Copy the repository to `repo` (which must not exist), narrow it, run mutmut there."""
    shutil.copytree(ROOT, repo, ignore=IGNORE)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(narrowed_config(pyproject.read_text(), sources, tests))
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("MUTANT_UNDER_TEST", None)
    return subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                           str(max_children)], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="+", help="files to mutate, e.g. drsim/stats.py")
    ap.add_argument("--tests", nargs="+", required=True, help="test files to run")
    ap.add_argument("--keep", type=Path, help="make the copy here and keep it (mutmut show)")
    ap.add_argument("--max-children", type=int, default=1)
    args = ap.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="drsim-mutation-"))
    repo = base / "repo"
    proc = run_narrowed(repo, args.sources, args.tests, args.max_children)
    if proc.returncode != 0:
        print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        return proc.returncode
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import score

    modules = [m for s in args.sources for m in ["--module", module_name(s)]]
    status = score.main([*modules, "--mutants", str(repo / "mutants")])
    if args.keep:
        print(f"\nthe copy is in {repo}: `cd {repo} && mutmut show <name>`")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
