"""drsim's public API is its top level: `__all__` holds only public, documented names, and the
notebooks (what users copy) use nothing else."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import types

import nbformat
import pytest
from conftest import ROOT

import drsim

README = (ROOT / "README.md").read_text(encoding="utf-8")
API_SECTION = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_all_is_exactly_the_public_table():
    assert drsim.__all__ == sorted(drsim._PUBLIC)
    assert all(not name.startswith("_") for name in drsim.__all__)


@pytest.mark.parametrize("name", drsim.__all__)
def test_every_public_name_imports_and_is_documented(name):
    obj = getattr(drsim, name)
    assert not isinstance(obj, types.ModuleType)
    assert (obj.__doc__ or "").strip(), f"drsim.{name} has no docstring"
    assert f"`{name}`" in API_SECTION, f"drsim.{name} is missing from README 'Python API'"
    # it lives in a public module: no '_private' part on its module path
    assert not any(part.startswith("_") for part in obj.__module__.split("."))
    namespace: dict[str, object] = {}
    exec(f"from drsim import {name}", namespace)  # noqa: S102 — the import users write
    assert namespace[name] is obj


def test_star_import_brings_exactly_all():
    namespace: dict[str, object] = {}
    exec("from drsim import *", namespace)  # noqa: S102
    assert sorted(k for k in namespace if k != "__builtins__") == drsim.__all__


def test_no_private_or_unknown_attribute():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = drsim.nope  # type: ignore[attr-defined]


def test_import_drsim_is_cheap():
    """Names load on first use: `import drsim` pulls in neither pandas nor matplotlib."""
    code = ("import sys, drsim; print(sorted(m for m in ('pandas', 'matplotlib', 'scipy', "
            "'simpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"


def _code(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(re.sub(r"(?m)^\s*[%!].*$", "", c.source)
                     for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_only_the_public_api(path):
    tree = ast.parse(_code(path))
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert [m for m in modules if m.startswith("drsim")] == ["drsim"]
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "drsim"}
    assert used, "the notebook never uses drsim"
    assert used <= set(drsim.__all__), used - set(drsim.__all__)


def test_readme_python_example_runs(tmp_path, monkeypatch):
    block = re.search(r"```python\n(.*?)```", API_SECTION, re.S)
    assert block is not None
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(block.group(1), namespace)  # noqa: S102
    assert repr(namespace["result"]) in block.group(1).replace("\n#  ", " ").replace("# ", "")
