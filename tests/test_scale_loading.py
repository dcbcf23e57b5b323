"""Reading a thousand-site scenario fast (issue 13, scale): libyaml composes the node tree when
that is safe, the garbage collector is held off while a scenario is read and checked, and the
id-case check walks the schema along with the data. None of it may change a message."""

from __future__ import annotations

import gc

import pytest

from drsim.errors import ScenarioError
from drsim.scenario import loader, parse_scenario
from drsim.scenario.names import case_clashes
from drsim.scenario.schema_issues import schema_type_at

pytestmark = pytest.mark.skipif(not loader.yaml.__with_libyaml__,
                                reason="PyYAML without libyaml")


def test_deep_nesting_never_reaches_libyamls_recursive_composer():
    # 100,000 nested '[': libyaml's composer recurses in C without a depth check and crashes
    # the process (~300 bytes of stack a level; this would need 30 MB); read by PyYAML's
    # Python composer instead, it gets the usual one-line refusal
    text = "a: " + "[" * 100_000 + "]" * 100_000
    assert not loader._shallow(text)
    with pytest.raises(ScenarioError) as e:
        loader.load_text(text, "deep.yaml")
    assert "nested deeper than 40 levels" in e.value.issues[0].message


@pytest.mark.parametrize("depth, shallow", [(997, True), (998, False)])
def test_the_nesting_bound_counts_flow_brackets_and_line_starts(depth, shallow):
    # 'a: ' + depth '[' + depth ']': the innermost [] nests nothing (counts once with it),
    # so flow = depth - 1 + 1 = depth; no line starts with a space: block = 2 × (0 + 1) = 2;
    # bound = depth + 2 + 1 (the document) ≤ 1000 ⇔ depth ≤ 997
    assert loader._shallow("a: " + "[" * depth + "]" * depth) is shallow


@pytest.mark.parametrize("width, shallow", [(498, True), (499, False)])
def test_a_wide_line_start_may_hide_block_nesting(width, shallow):
    # no brackets: flow = 1; block = 2 × (width + 1); bound = 1 + 2 × (width + 1) + 1 ≤ 1000
    # ⇔ width ≤ 498 (compact '- ' indicators count like indentation)
    assert loader._shallow("a:\n" + "- " * (width // 2) + " " * (width % 2) + "x\n") is shallow


def test_one_line_flow_collections_that_nest_nothing_count_once():
    # 2,000 '[x]' lists: each nests nothing, so together they add one level, not 2,000;
    # a quote inside a bracket pair may hide a ']' (["]", [..]]), so that pair counts fully
    leaves = "".join(f"k{i}: [x]\n" for i in range(2000))
    assert loader._shallow(leaves)
    quoted = "".join(f'k{i}: ["x"]\n' for i in range(2000))
    assert not loader._shallow(quoted)


def test_a_document_with_anchors_is_composed_in_python_with_its_aliases_counted():
    # with an anchor an alias is possible, and only the Python composer counts them
    text = "base: &b {x: 1}\n" + "".join(f"k{i}: *b\n" for i in range(101))
    with pytest.raises(ScenarioError) as e:
        loader.load_text(text, "aliases.yaml")
    assert "more than 100 aliases" in e.value.issues[0].message
    ok = "base: &b {x: 1}\nother: *b\n"
    fast, slow = loader._fast_load(ok, "f.yaml"), loader._load(ok, "f.yaml")
    assert fast is not None
    assert (fast.data, fast.marks, fast.key_marks) == (slow.data, slow.marks, slow.key_marks)


def test_libyaml_composition_gives_the_same_values_and_places_as_pyyaml():
    text = ("a: 1\nb: [x, 'y', 2.5, true, null, ~]\nc:\n  - {d: e}\n  - f: \"g\\th\"\n"
            "'h': |\n  two\n  lines\n")
    fast, slow = loader._fast_load(text, "f.yaml"), loader._load(text, "f.yaml")
    assert fast is not None
    assert fast.data == {"a": 1, "b": ["x", "y", 2.5, True, None, None],
                         "c": [{"d": "e"}, {"f": "g\th"}], "h": "two\nlines\n"}
    assert (fast.data, fast.marks, fast.key_marks) == (slow.data, slow.marks, slow.key_marks)


@pytest.mark.parametrize("text, message", [
    ("a: \"x\\u200by\"\n", "invisible character U+200B"),  # a str needing the long check
    ("a: .nan\n", "not a finite number"),
    ("a: !!python/name:os.system x\n", "unsupported YAML tag"),
])
def test_a_refused_scalar_is_still_refused_on_the_composing_road(text, message):
    with pytest.raises(ScenarioError) as e:
        loader.load_text(text, "f.yaml")
    assert message in e.value.issues[0].message


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_reading_and_restored_after(enabled):
    seen = []
    (gc.enable if enabled else gc.disable)()
    try:
        with loader.paused_gc():
            seen.append(gc.isenabled())
        assert seen == [False] and gc.isenabled() is enabled
        with pytest.raises(ScenarioError):
            loader.load_text("a: [1\n", "f.yaml")  # a problem raised inside the pause
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_case_clashes_walk_the_schema_with_the_data():
    # ids of one kind compared (sites, then runbook steps in a list of ids); values outside
    # the schema (a distribution's keys) are never compared
    sc = ("drsim: 1\nname: x\nsimulation: {start: 2026-01-01T00:00, horizon: 1d}\n"
          "sites:\n  nyc: {}\n  NYC: {}\n")
    with pytest.raises(ScenarioError) as e:
        parse_scenario(sc, "c.yaml")
    [issue] = [i for i in e.value.issues if "only by case" in i.message]
    assert (issue.line, issue.path) == (6, "sites.NYC")
    assert "differs from 'nyc' (line 5)" in issue.message
    raw = loader.load_text("sites:\n  a:\n    components:\n      c:\n        ttf: {X: 1, x: 2}\n")
    assert case_clashes(raw) == []
    assert schema_type_at(("sites", "a", "components", "c", "ttf", "x")) is None


def test_case_clashes_skip_what_cannot_hold_ids_but_find_them_deep_down():
    # a service's protection tiers (a list of items with an id, three levels down) are
    # walked; a link's fields can hold no ids, so the walk never goes into it
    text = ("drsim: 1\nname: x\nsimulation: {start: 2026-01-01T00:00, horizon: 1d}\n"
            "sites:\n  a: {}\n  b: {}\n"
            "links:\n  l: {a: a, b: b, latency: 1ms}\n"
            "services:\n  v:\n    active: [a]\n    protection:\n"
            "      - {id: snap, kind: snapshot, at: a}\n"
            "      - {id: SNAP, kind: snapshot, at: b}\n")
    raw = loader.load_text(text, "p.yaml")
    [issue] = case_clashes(raw)
    # lines: 13 is tier 'snap', 14 tier 'SNAP'
    assert (issue.path, issue.line) == ("services.v.protection[1].id", 14)
    assert "differs from 'snap' (line 13)" in issue.message
