"""Every notebook executes top to bottom without a cell error, and is committed without outputs."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

PLOT_CALL = re.compile(r"\bplot_\w+\(")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"01-first-drill.ipynb", "02-compare-strategies.ipynb",
                                           "03-invest.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    # The 'python3' kernel is ipykernel's own spec (it runs this interpreter), so no
    # `ipykernel install` is needed; matplotlib draws off-screen.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # the kernel imports this checkout's drsim, not whichever one is installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    # a cell that draws a figure shows it (drsim's plot functions return Figures without
    # pyplot: the cell must end with the figure, and %matplotlib inline must be on)
    drawing = [c for c in nb.cells if c.cell_type == "code" and PLOT_CALL.search(c.source)]
    for cell in drawing:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    assert os.environ.get("MPLBACKEND") == "Agg"
