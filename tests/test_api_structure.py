"""Module structure: no import circle between result.py and report/frames.py, validation split
into schema-error translation and cross-reference checks, replay beside the other renderers."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import networkx as nx
import pytest
from conftest import ROOT
from pydantic import ValidationError

from drsim.errors import ScenarioError
from drsim.scenario.loader import load_text
from drsim.scenario.schema import Scenario

PACKAGE = ROOT / "drsim"


def module_name(path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> nx.DiGraph:
    """drsim module → the drsim modules it imports anywhere: at the top, inside functions and
    under TYPE_CHECKING alike (a circle a type checker or a lazy import walks is a circle)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                           else node.module for a in node.names]
            for t in targets:
                if t in modules and t != name:
                    graph.add_edge(name, t)
    return graph


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert graph.has_edge("drsim.result", "drsim.report.frames")  # the lazy frame methods
    assert graph.has_edge("drsim.cli.replay", "drsim.report.replay")


def test_no_import_circle_between_result_and_frames():
    graph = import_graph()
    assert not nx.has_path(graph, "drsim.report.frames", "drsim.result")


@pytest.mark.parametrize("module", ["drsim.result", "drsim.report.frames", "drsim.report.tidy",
                                    "drsim.report.notebook", "drsim.montecarlo",
                                    "drsim.analysis.compare", "drsim.analysis.sweep"])
def test_results_and_their_renderers_are_on_no_import_circle(module):
    """The result classes import their renderers lazily; the renderers read them through
    protocols, never by importing them back."""
    graph = import_graph()
    assert [c for c in nx.simple_cycles(graph) if module in c] == []


@pytest.mark.parametrize("module", ["drsim.result", "drsim.report.frames",
                                    "drsim.report.tidy", "drsim.report.notebook",
                                    "drsim.scenario.schema_issues", "drsim.scenario.references",
                                    "drsim.report.replay"])
def test_each_module_imports_alone_in_a_fresh_interpreter(module):
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT)}, capture_output=True)


def test_replay_lives_with_the_renderers():
    assert (PACKAGE / "report" / "replay.py").is_file()
    assert not (PACKAGE / "replay.py").exists()


# ---- validation: two modules, one job each; validate() runs both -----------------------------

BAD = textwrap.dedent("""\
    drsim: 1
    name: two kinds of problem
    simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d}
    sites:
      a: {components: {box: {count: many, ttr: 1h}}}
    services:
      svc: {requires: [box], active: [a]}
    customers:
      users: {count: 100, access: a, home: aa, services: [svc]}
    """)


def test_validation_is_split_into_schema_issues_and_references():
    from drsim.scenario.references import References
    from drsim.scenario.schema_issues import schema_issues
    from drsim.scenario.validate import validate

    graph = import_graph()
    assert not graph.has_edge("drsim.scenario.references", "drsim.scenario.schema_issues")
    assert not graph.has_edge("drsim.scenario.schema_issues", "drsim.scenario.references")
    raw = load_text(BAD, "bad.yaml")
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(raw.data)
    typed = [str(i) for i in schema_issues(raw, caught.value)]
    refs = [str(i) for i in References(raw).check()]
    assert typed == ["bad.yaml:5:33: sites.a.components.box.count: expected a whole number, "
                     "got 'many'"]
    assert refs == ["bad.yaml:9:40: customers.users.home: unknown site 'aa'; known: a "
                    "(did you mean 'a'?)"]
    with pytest.raises(ScenarioError) as both:
        validate(raw)
    assert sorted(str(i) for i in both.value.issues) == sorted(typed + refs)
