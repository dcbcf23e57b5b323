"""Scenario validation: the bad-input corpus, issue format, loader limits, YAML 1.1 traps.

Every file in tests/data/invalid/ is a small scenario with one (or a few) deliberate problems.
Its first lines state what must be reported:

    # expect: 14 | unknown site 'chcago' | did you mean 'chi'

meaning some issue is on line 14 and its text contains each fragment after the line number.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from drsim.distributions import did_you_mean
from drsim.errors import DrsimError, Issue, ScenarioError
from drsim.scenario import load, load_scenario, load_text, parse_scenario
from drsim.scenario.loader import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_NODES, format_path
from tests.conftest import MINIMAL, SCENARIOS, merge

INVALID = Path(__file__).parent / "data" / "invalid"
CORPUS = sorted(INVALID.glob("*.yaml"))
# file:line:col: path: message, where the path is one word except inside ['quoted keys']
ISSUE_SHAPE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): "
                         r"(?P<path>(?:[^\s:\[]|\[[^\]]*\])+): (?P<msg>\S.*)$")


def expectations(path: Path) -> list[tuple[int, list[str]]]:
    """The leading '# expect: line | fragment | ...' comments of a corpus file."""
    out = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.startswith("# expect:"):
            break
        line, *fragments = (p.strip() for p in text.removeprefix("# expect:").split("|"))
        out.append((int(line), fragments))
    return out


def issues_of(path: Path) -> list[Issue]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.issues


def text_issues(text: str) -> list[Issue]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(textwrap.dedent(text), "t.yaml")
    return info.value.issues


def minimal_yaml(**patch: object) -> str:
    import yaml

    return yaml.safe_dump(merge(MINIMAL, patch), sort_keys=False)


# ---- the corpus --------------------------------------------------------------------------


def test_corpus_is_big_enough_and_every_file_states_expectations() -> None:
    assert len(CORPUS) >= 35
    for path in CORPUS:
        assert path.read_text(encoding="utf-8").startswith("# expect: "), path.name
        assert expectations(path), path.name
        assert path.stat().st_size < 4000, f"{path.name}: keep corpus files small"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_file_reports_each_expected_issue(path: Path) -> None:
    issues = issues_of(path)
    shown = "\n".join(str(i) for i in issues)
    for line, fragments in expectations(path):
        on_line = [str(i) for i in issues if i.line == line]
        assert on_line, f"no issue on line {line}; got:\n{shown}"
        assert any(all(f in text for f in fragments) for text in on_line), (
            f"no issue on line {line} contains {fragments}; got:\n{shown}")


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_issues_are_one_line_each_in_the_documented_shape(path: Path) -> None:
    issues = issues_of(path)
    for issue in issues:
        text = str(issue)
        assert "\n" not in text
        m = ISSUE_SHAPE.match(text)
        assert m, text
        assert m["file"] == str(path)
        assert (int(m["line"]), int(m["col"])) == (issue.line, issue.col)
        assert issue.line >= 1 and issue.col >= 1
        assert "Traceback" not in text and "pydantic" not in text.lower()
        assert "For further information" not in text and "input_value=" not in text
    assert [i.line for i in issues] == sorted(i.line for i in issues)


def test_multi_problem_file_reports_every_problem_in_one_pass() -> None:
    path = INVALID / "several-problems.yaml"
    assert len(expectations(path)) >= 4
    issues = issues_of(path)
    assert len({i.line for i in issues}) >= 4
    assert str(issues_of(path)[0]).startswith(f"{path}:")


def test_scenario_error_is_a_drsim_error_and_its_text_lists_all_issues() -> None:
    with pytest.raises(DrsimError) as info:
        load_scenario(INVALID / "several-problems.yaml")
    err = info.value
    assert isinstance(err, ScenarioError)
    assert str(err).splitlines() == [str(i) for i in err.issues]


# ---- issue format and ordering ---------------------------------------------------------


def test_issue_str_shape() -> None:
    issue = Issue(14, 9, "links.nyc-chi.b", "unknown site 'chcago'; known: chi, nyc", "s.yaml")
    assert str(issue) == "s.yaml:14:9: links.nyc-chi.b: unknown site 'chcago'; known: chi, nyc"
    empty = Issue(1, 1, "", "the file is empty", "")
    assert str(empty) == "<scenario>:1:1: <top>: the file is empty"


def test_scenario_error_sorts_issues_by_line_then_column() -> None:
    err = ScenarioError([Issue(9, 1, "b", "x"), Issue(2, 5, "a", "y"), Issue(2, 3, "c", "z")])
    assert [(i.line, i.col) for i in err.issues] == [(2, 3), (2, 5), (9, 1)]


def test_issues_from_a_file_are_sorted_even_when_found_out_of_order() -> None:
    # The cross-reference checks run section by section; the report is still in line order.
    issues = text_issues("""\
        drsim: 1
        name: t
        simulation: {start: "2026-03-10T09:00", horizon: 1d}
        sites:
          a: {components: {box: {ttr: 1h}}}
        services:
          svc: {requires: [box], active: [a], depends_on: [nope]}
        customers:
          users: {count: 10, access: a, home: zz, services: [svc]}
        staff:
          ops: {count: zero}
        """)
    assert [i.line for i in issues] == sorted(i.line for i in issues)
    assert [i.path for i in issues] == ["services.svc.depends_on[0]", "customers.users.home",
                                        "staff.ops.count"]


def test_format_path() -> None:
    assert format_path(("runbooks", "failover", "steps", 2, "after")) == \
        "runbooks.failover.steps[2].after"
    assert format_path(("disruptions", 0)) == "disruptions[0]"
    assert format_path(()) == ""


def test_path_names_the_runbook_step_field() -> None:
    issues = text_issues("""\
        drsim: 1
        name: t
        simulation: {start: "2026-03-10T09:00", horizon: 1d}
        sites: {a: {}}
        services: {svc: {active: [a]}}
        customers: {users: {count: 10, access: a, home: a, services: [svc]}}
        runbooks:
          failover:
            steps:
              - {id: one, duration: 1m}
              - {id: two, duration: 1m}
              - {id: three, duration: 1m, after: [one, tow]}
        """)
    (issue,) = issues
    assert issue.path == "runbooks.failover.steps[2].after[1]"
    assert (issue.line, issue.col) == (12, 48)
    assert "unknown step 'tow'" in issue.message and "did you mean 'two'?" in issue.message


# ---- files that are fine ----------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenarios_validate(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.drsim == 1
    assert scenario.sites and scenario.services and scenario.customers


def test_bundled_nyc_chicago_values_are_resolved_to_base_units() -> None:
    s = load_scenario(Path(__file__).parent.parent / "scenarios" / "nyc-chicago-drill.yaml")
    assert s.simulation.horizon == 2 * 86400
    assert s.links["nyc-chi"].latency == pytest.approx(0.017)
    assert s.links["nyc-chi"].bandwidth == 10e9
    assert s.services["voice"].data_size == 2e12
    assert s.services["voice"].replication.lag.params == (45.0,)
    assert s.objectives[1].availability == pytest.approx(0.995)
    assert s.sites["nyc"].components["core-switch"].k == 1


def test_minimal_scenario_factory_validates(scenario_factory) -> None:
    assert scenario_factory().name == "minimal"


def test_nothing_is_written_while_validating(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("drsim: 1\nname: [\n", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ScenarioError):
        load_scenario(bad)
    assert sorted(tmp_path.rglob("*")) == before


# ---- the loader: files, sizes, depth, aliases ---------------------------------------------


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file; check the path"):
        load(tmp_path / "absent.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load(tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text.*save it as UTF-8"):
        load(path)


def test_too_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    filler = "# " + "x" * 98 + "\n"
    path.write_text("drsim: 1\n" + filler * (MAX_BYTES // len(filler) + 1), encoding="utf-8")
    assert path.stat().st_size > MAX_BYTES
    (issue,) = issues_of(path)
    assert (issue.line, issue.col) == (1, 1)
    assert "larger than 2 MB" in issue.message and "split it" in issue.message
    assert str(issue).startswith(f"{path}:1:1: <top>: ")


def test_too_large_text_is_refused() -> None:
    with pytest.raises(ScenarioError, match="larger than"):
        load_text("a: 1\n" + "#" * MAX_BYTES)


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 5
    text = "drsim: 1\n" + "".join("  " * i + f"k{i}:\n" for i in range(depth)) + \
        "  " * depth + "leaf: 1\n"
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    (issue,) = issues_of(path)
    assert f"nested deeper than {MAX_DEPTH} levels" in issue.message
    # key k{i} sits on line i + 2 and its value (depth i + 1) starts on the next line, so the
    # first node deeper than the limit is the value of k{MAX_DEPTH}, on line MAX_DEPTH + 3
    assert issue.line == MAX_DEPTH + 3


def test_deep_flow_nesting_is_refused_without_recursion_error(tmp_path: Path) -> None:
    for depth in (MAX_DEPTH + 1, 5000):  # 5000 would overflow the YAML composer's recursion
        path = tmp_path / f"deep{depth}.yaml"
        path.write_text("drsim: 1\nx: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
        (issue,) = issues_of(path)
        assert f"nested deeper than {MAX_DEPTH} levels" in issue.message


def test_nesting_at_the_limit_is_accepted_by_the_loader() -> None:
    doc = load_text("x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert "x" in doc.data


def test_alias_bomb_is_refused_quickly() -> None:
    # billion laughs: 9 levels of 10 aliases each would expand to 10**9 values
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(ScenarioError) as info:
        load_text("\n".join(lines) + "\n", "bomb.yaml")
    (issue,) = info.value.issues
    assert f"more than {MAX_NODES} values once aliases are expanded" in issue.message


def test_too_many_aliases_are_refused() -> None:
    text = "base: &b {x: 1}\n" + "".join(f"k{i}: *b\n" for i in range(MAX_ALIASES + 1))
    with pytest.raises(ScenarioError) as info:
        load_text(text, "many.yaml")
    (issue,) = info.value.issues
    assert f"more than {MAX_ALIASES} aliases" in issue.message
    assert issue.line == MAX_ALIASES + 2  # the first alias past the limit


def test_anchors_and_merge_keys_are_fine_in_moderation() -> None:
    comps = "".join(f"      c{i}: {{<<: *unit, count: 2}}\n" for i in range(30))
    text = minimal_yaml().replace(
        "  a:\n    components:\n",
        "  a:\n    components:\n"
        "      spare-unit: &unit {count: 1, needed: 1, ttr: 2h, spare: {stock: 1, lead_time: 4h}}\n"
        + comps)
    assert "<<: *unit" in text
    scenario = parse_scenario(text)
    comps_ = scenario.sites["a"].components
    assert len(comps_) == 32 and comps_["c7"].count == 2 and comps_["c7"].ttr.params == (7200.0,)


def test_control_character_is_an_issue_not_a_traceback() -> None:
    with pytest.raises(ScenarioError) as info:
        load_text("drsim: 1\nname: bad\x07name\n", "ctl.yaml")
    (issue,) = info.value.issues
    assert (issue.line, issue.col) == (2, 10)
    assert "#x0007 is not allowed" in issue.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "null\n", "~\n"])
def test_empty_documents(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "e.yaml")
    (issue,) = info.value.issues
    assert "the file is empty" in issue.message
    assert str(issue).startswith("e.yaml:1:1: <top>: ")


@pytest.mark.parametrize("text, shown", [("- a\n- b\n", "a list"), ("42\n", "42"),
                                         ("hello\n", "'hello'")])
def test_top_level_must_be_a_mapping(text: str, shown: str) -> None:
    with pytest.raises(ScenarioError, match=f"top level is .*{shown}.*must be a mapping"):
        load_text(text)


def test_duplicate_keys_are_all_reported() -> None:
    with pytest.raises(ScenarioError) as info:
        load_text("a: 1\nb: 2\na: 3\nc: {x: 1, x: 2}\n", "d.yaml")
    got = [(i.line, i.path) for i in info.value.issues]
    assert got == [(3, "a"), (4, "c.x")]


def test_non_scalar_keys_are_refused() -> None:
    with pytest.raises(ScenarioError, match="a key must be a plain name"):
        load_text("? [a, b]\n: 1\n")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".NaN", ".nan"])
def test_non_finite_numbers_are_refused(value: str) -> None:
    with pytest.raises(ScenarioError, match="is not a finite number"):
        load_text(f"x: {value}\n")


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['ls']", "!!binary aGk=",
                                 "!!timestamp 2026-03-10", "!custom x", "!!set {a: null}"])
def test_unsafe_or_unknown_tags_are_refused(tag: str) -> None:
    with pytest.raises(ScenarioError, match="unsupported YAML tag|YAML"):
        load_text(f"x: {tag}\n")


def test_marks_record_line_and_column_of_values_and_keys() -> None:
    doc = load_text("top:\n  inner: [a, b]\n  other: {k: v}\n")
    assert doc.marks[("top", "inner", 1)] == (2, 14)
    assert doc.key_marks[("top", "other")] == (3, 3)
    assert doc.marks[("top", "other", "k")] == (3, 14)
    assert doc.mark(("top", "missing", 0)) == (2, 3)  # nearest ancestor that exists


# ---- YAML 1.1 surprises ------------------------------------------------------------------


@pytest.mark.parametrize("word", ["no", "No", "yes", "on", "off", "y", "n", "NO"])
def test_yaml11_booleans_stay_strings(word: str) -> None:
    assert load_text(f"x: {word}\n").data == {"x": word}


@pytest.mark.parametrize("text", ["1:30", "1:30:00", "0o17", "0x1F", "017", "1_000:00",
                                  "2026-03-10", "2026-03-10T09:00", "=", "1e3x"])
def test_yaml11_numbers_times_and_dates_stay_strings(text: str) -> None:
    assert load_text(f"x: {text}\n").data == {"x": text}


@pytest.mark.parametrize("text, value", [("true", True), ("False", False), ("12", 12),
                                         ("-3", -3), ("1_000", 1000), ("0.5", 0.5), ("1e3", 1e3),
                                         ("~", None), ("null", None), ("'no'", "no")])
def test_plain_scalars_that_do_resolve(text: str, value: object) -> None:
    assert load_text(f"x: {text}\n").data == {"x": value}


def test_norway_as_a_site_id_just_works() -> None:
    # the site id `no` (Norway), unquoted everywhere: it must stay the string 'no', never false
    scenario = parse_scenario("""\
        drsim: 1
        name: oslo
        simulation: {start: "2026-03-10T09:00", horizon: 1d}
        sites: {no: {}, se: {}}
        services: {svc: {active: [no], standby: {sites: [se]}}}
        customers: {users: {count: 10, access: no, home: no, services: [svc]}}
        """)
    assert list(scenario.sites) == ["no", "se"] and scenario.services["svc"].active == ["no"]
    assert scenario.customers["users"].home == "no"


def test_clock_time_where_a_duration_was_meant() -> None:
    issues = text_issues(minimal_yaml(simulation={"horizon": "PLACEHOLDER"})
                         .replace("'PLACEHOLDER'", "1:30").replace("PLACEHOLDER", "1:30"))
    (issue,) = issues
    assert issue.path == "simulation.horizon"
    assert "looks like a clock time" in issue.message and "'1h30m' or '1m30s'" in issue.message


def test_boolean_where_a_string_was_meant_is_reported() -> None:
    # `true` is the one spelling that still means a boolean: quoting is the fix
    (issue,) = text_issues(minimal_yaml().replace("name: minimal", "name: true"))
    assert issue.path == "name" and "expected text, got True; quote it" in issue.message


# ---- did-you-mean -----------------------------------------------------------------------


@pytest.mark.parametrize("word, known, expected", [
    ("chcago", ["chi", "nyc"], "chi"),            # same first letters, one candidate
    ("nyk", ["chi", "nyc"], "nyc"),               # close spelling
    ("NYC", ["chi", "nyc"], "nyc"),               # other case
    ("colo", ["datacenter", "colocation", "cloud"], "colocation"),  # a prefix beats spelling
    ("lognormla", ["lognormal", "normal", "weibull"], "lognormal"),
    ("on-call", ["on_call", "night_crew"], "on_call"),
    ("America/New_Yrok", ["America/New_York", "America/Chicago", "UTC"], "America/New_York"),
])
def test_did_you_mean_finds(word: str, known: list[str], expected: str) -> None:
    assert did_you_mean(word, known) == f" (did you mean '{expected}'?)"


@pytest.mark.parametrize("word, known", [("zzz", ["chi", "nyc"]), ("q", ["xa", "xb"]),
                                         ("chcago", ["chi", "chx"]), ("anything", [])])
def test_did_you_mean_stays_quiet_without_a_clear_candidate(word: str, known: list[str]) -> None:
    assert did_you_mean(word, known) == ""


def test_did_you_mean_is_deterministic_for_sets() -> None:
    names = {f"site-{i}" for i in range(50)}
    assert did_you_mean("site-7x", names) == did_you_mean("site-7x", sorted(names))


def test_misspelt_family_in_a_scenario_gets_a_suggestion() -> None:
    text = minimal_yaml(sites={"a": {"components": {"box": {"ttr": {"weibul": {
        "shape": 1.5, "scale": "2h"}}}}}})
    (issue,) = text_issues(text)
    assert issue.path == "sites.a.components.box.ttr.weibul"
    assert "unknown distribution 'weibul' (did you mean 'weibull'?)" in issue.message


def test_misspelt_section_key_gets_a_suggestion_and_the_known_keys() -> None:
    (issue,) = text_issues(minimal_yaml(customer={"x": 1}))
    assert issue.path == "customer"
    assert "unknown key 'customer' (did you mean 'customers'?)" in issue.message
    assert "known keys: drsim, name," in issue.message


# ---- cross-field checks that need their own setups -----------------------------------------


def test_failback_runbook_may_return_to_the_failed_site() -> None:
    # the bundled drill's failback activates and moves back to nyc: no failover complaint
    path = Path(__file__).parent.parent / "scenarios" / "nyc-chicago-drill.yaml"
    assert load_scenario(path).runbooks["failback"].trigger.after == "failover"


def test_failover_to_a_site_taken_down_whole() -> None:
    text = minimal_yaml(
        sites={"a": {"ttr": "4h"}, "b": {"components": {"box": {"ttr": "1h"}}}},
        services={"svc": {"standby": {"sites": ["b"]}}},
        runbooks={"failover": {"steps": [{"id": "go", "duration": "5m",
                                          "effects": [{"move": {"to": "a"}}]}]}},
        disruptions=[{"id": "fire", "at": "1h", "targets": [{"site": "a"}],
                      "until": "repaired"}])
    (issue,) = text_issues(text)
    assert issue.path == "runbooks.failover.steps[0].effects[0].move.to"
    assert "failover target 'a' is the failed site" in issue.message
    assert "takes down the whole site" in issue.message and "(b)" in issue.message


def test_disruption_at_offset_inside_the_horizon_is_fine(scenario_factory) -> None:
    s = scenario_factory(disruptions=[{"id": "d", "at": "23h59m", "targets": [{"site": "a"}],
                                       "duration": "1h"}])
    assert s.disruptions[0].at.params == (86340.0,)


def test_disruption_at_with_utc_offset_is_refused() -> None:
    text = minimal_yaml(disruptions=[{"id": "d", "at": "2026-03-10T10:00+01:00",
                                      "targets": [{"site": "a"}], "duration": "1h"}])
    (issue,) = text_issues(text)
    assert issue.path == "disruptions[0].at" and "without a UTC offset" in issue.message


def test_cross_references_are_checked_even_when_types_are_wrong() -> None:
    text = minimal_yaml(customers={"users": {"count": "lots", "services": ["svx"]}})
    paths = {i.path for i in text_issues(text)}
    assert paths == {"customers.users.count", "customers.users.services[0]"}
