"""Hostile scenario inputs beyond the corpus (tests/data/invalid/hostile-*.yaml): what needs
a real file system (symlinks, FIFOs, devices), the command line, warnings, or a measurement.

Each class is refused with file:line:col, the scenario path, what is wrong and the fix
(exit 2, nothing written, no traceback), or run with a warning that names the rule applied.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from drsim.cli import app
from drsim.errors import Issue, ScenarioError, plain, show
from drsim.scenario import check_scenario, load_scenario, load_text, parse_scenario
from drsim.scenario.validate import validate
from drsim.units import MAX_AMOUNT, parse_bandwidth, parse_duration, parse_size
from tests.conftest import MINIMAL, SCENARIOS, merge

SECRET = "TOP-SECRET-9f3a"  # must never appear in any message


def minimal(**patch: Any) -> str:
    return yaml.safe_dump(merge(MINIMAL, patch), sort_keys=False)


def refused(text: str, file: str = "t.yaml") -> list[Issue]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, file)
    return info.value.issues


def only(text: str) -> Issue:
    (issue,) = refused(text)
    return issue


def variant(folder: Path, base: str, name: str = "v.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"base: {base}\nname: variant\n", encoding="utf-8")
    return path


def base_issue(path: Path) -> Issue:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.col, issue.path) == (1, 7, "base")
    assert SECRET not in str(issue)
    return issue


# ---- reading outside the scenario ---------------------------------------------------------


@pytest.fixture
def secret_outside(tmp_path: Path) -> Path:
    """A .yaml file outside the scenario's folder, whose content is a secret."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.yaml"
    secret.write_text(f"{SECRET}\n", encoding="utf-8")  # a single value: would be quoted
    return secret


def test_base_outside_the_folder_tree_is_refused_unread(tmp_path, secret_outside):
    v = variant(tmp_path / "scen", "../elsewhere/secret.yaml")
    issue = base_issue(v)
    assert "outside the scenario's project folder" in issue.message
    assert str(secret_outside) in issue.message and "DRSIM_SCENARIO_PATH" in issue.message


def test_absolute_base_outside_is_refused(tmp_path, secret_outside):
    issue = base_issue(variant(tmp_path / "scen", str(secret_outside)))
    assert "outside the scenario's project folder" in issue.message


def test_symlink_inside_the_tree_pointing_outside_is_refused(tmp_path, secret_outside):
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "base.yaml").symlink_to(secret_outside)
    issue = base_issue(variant(scen, "base.yaml"))
    assert "outside the scenario's project folder" in issue.message


def test_allow_list_lets_a_base_from_a_named_folder_in(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "base.yaml").write_text(minimal(), encoding="utf-8")
    v = variant(tmp_path / "scen", "../shared/base.yaml")
    assert "outside" in base_issue(v).message
    monkeypatch.setenv("DRSIM_SCENARIO_PATH", f"/nonexistent{os.pathsep}{shared}")
    assert load_scenario(v).name == "variant"


@pytest.mark.parametrize("marker", [".git", "pyproject.toml"])
def test_inside_a_project_a_base_may_be_anywhere_in_it(tmp_path, secret_outside, marker):
    # a checkout (or Python project) is one tree: variants/ may name ../base.yaml, as the
    # bundled ones do; the project still ends at its folder
    proj = tmp_path / "proj"
    (proj / "scenarios").mkdir(parents=True)
    (proj / marker).mkdir() if marker == ".git" else (proj / marker).write_text("")
    (proj / "scenarios" / "base.yaml").write_text(minimal(), encoding="utf-8")
    v = variant(proj / "scenarios" / "variants", "../base.yaml")
    assert load_scenario(v).name == "variant"
    issue = base_issue(variant(proj / "scenarios" / "variants", "../../../elsewhere/secret.yaml",
                               "out.yaml"))
    assert f"outside the scenario's project folder {proj.resolve()}" in issue.message


def test_a_chain_stays_inside_the_tree_of_the_named_file(tmp_path, secret_outside):
    # the first base is inside; it names a second one outside: refused at the second link
    scen = tmp_path / "scen"
    inner = variant(scen / "sub", "../../elsewhere/secret.yaml", "inner.yaml")
    top = variant(scen, "sub/inner.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(top)
    (issue,) = info.value.issues
    assert issue.file == str(inner) and "outside the scenario's project folder" in issue.message
    assert SECRET not in str(info.value)


def test_bundled_variants_may_name_their_bases_one_folder_up():
    # scenarios/variants/*.yaml name ../<base>.yaml: drsim's bundled folder is on the list
    for path in SCENARIOS:
        load_scenario(path)
    assert load_scenario(Path("scenarios/variants/nyc-warm-standby.yaml")).name.endswith(
        "(variant)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_as_scenario_or_base_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes: never
    with pytest.raises(ScenarioError) as info:
        load_scenario(fifo)
    (issue,) = info.value.issues
    assert str(issue) == f"{fifo}:0:0: <top>: is a FIFO (named pipe), not a regular file; " \
                         "name a .yaml file"
    issue = base_issue(variant(tmp_path, "pipe.yaml"))
    assert "'pipe.yaml' is not a regular file" in issue.message


def test_device_as_scenario_is_refused():
    for device in ("/dev/zero", "/dev/null"):
        with pytest.raises(ScenarioError, match=r"is a device, not a regular file"):
            load_scenario(device)


def test_base_that_is_not_yaml_is_refused_before_reading(tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "notes.txt").write_text(SECRET, encoding="utf-8")
    issue = base_issue(variant(scen, "notes.txt"))
    assert "'notes.txt' is not a .yaml file" in issue.message


# ---- the command line: exit 2, nothing written, no traceback ------------------------------


def test_cli_refuses_hostile_file_without_traceback_or_output(tmp_path, secret_outside):
    v = variant(tmp_path / "scen", "../elsewhere/secret.yaml")
    out = tmp_path / "results"
    res = CliRunner().invoke(app, ["run", str(v), "--trials", "3", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and SECRET not in res.output
    assert f"{v}:1:7: base: base '../elsewhere/secret.yaml' is outside" in res.output
    assert not out.exists()


def test_cli_escapes_control_characters_in_messages(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(minimal(name="\x1b]0;pwned\x07 \x1b[2J drill"), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert "\x1b" not in res.output and "\x07" not in res.output
    assert "'\\x1b]0;pwned\\x07 \\x1b[2J drill' holds the invisible character U+001B" \
        in res.output


# ---- booleans and numbers -----------------------------------------------------------------


@pytest.mark.parametrize("patch, path, expected", [
    ({"customers": {"users": {"count": True}}}, "customers.users.count",
     "expected a whole number, got True"),
    ({"simulation": {"seed": False}}, "simulation.seed", "expected a whole number, got False"),
    ({"sites": {"a": {"location": {"lat": True, "lon": 0}}}}, "sites.a.location.lat",
     "expected a number, got True"),
    ({"simulation": {"random_failures": 1}}, "simulation.random_failures",
     "expected true or false, got 1"),
    ({"services": {"svc": {"essential": 0}}}, "services.svc.essential",
     "expected true or false, got 0"),
    ({"services": {"svc": {"essential": "no"}}}, "services.svc.essential",
     "expected true or false, got 'no'; write true or false"),
    ({"customers": {"users": {"count": 100.0}}}, "customers.users.count",
     "got 100.0; write it without a fraction (100)"),
    ({"customers": {"users": {"count": "100"}}}, "customers.users.count",
     "got '100'; remove the quotes (100)"),
])
def test_booleans_are_not_numbers_and_numbers_not_booleans(patch, path, expected):
    issue = only(minimal(**patch))
    assert issue.path == path and expected in issue.message


def test_true_false_and_numbers_still_work_where_meant(scenario_factory):
    s = scenario_factory(simulation={"random_failures": True, "seed": 12},
                         services={"svc": {"essential": False}},
                         sites={"a": {"location": {"lat": 40, "lon": -74.5}}})
    assert s.simulation.random_failures is True and s.simulation.seed == 12
    assert s.services["svc"].essential is False and s.sites["a"].location.lat == 40.0


# ---- YAML 1.1 traps -----------------------------------------------------------------------


@pytest.mark.parametrize("written, hint", [
    ("010", "write 10 (or 8 if you meant octal)"),
    ("0900", "write 900"),
    ("1:30", "YAML 1.1 reads 1:30 as a base-60 number"),
    ("1:30:00", "YAML 1.1 reads 1:30:00 as a base-60 number"),
    ("yes", "'yes' is a word"),
    ("n", "'n' is a word"),
])
def test_numbers_a_person_could_misread_are_refused_with_a_hint(written, hint):
    issue = only(minimal().replace("count: 100", f"count: {written}"))
    assert issue.path == "customers.users.count" and hint in issue.message


def test_dates_and_words_where_text_is_meant_stay_text():
    text = minimal().replace("name: minimal", "name: 2026-03-10") \
        .replace("  a:\n", "  a:\n    name: no\n", 1)
    s = parse_scenario(text)
    assert s.name == "2026-03-10" and s.sites["a"].name == "no"


@pytest.mark.parametrize("digits", [20, 4300, 5000])  # 5000 passes Python's int-parsing limit
def test_huge_integers_are_refused_not_crashed(digits):
    issue = only(minimal().replace("count: 100", "count: " + "9" * digits))
    assert "too large a whole number (the largest is 9223372036854775807)" in issue.message
    assert len(str(issue)) < 300  # the value is cut


def test_largest_whole_number_is_accepted():
    s = parse_scenario(minimal().replace("seed: 1", f"seed: {2**63 - 1}"))
    assert s.simulation.seed == 2**63 - 1


@pytest.mark.parametrize("parse, text, message", [
    (parse_size, "1e308PB", "is not finite"),            # 1e308 × 1e15 overflows to inf
    (parse_size, "1e20PB", "is too large"),              # 1e35 bytes > 1e30
    (parse_bandwidth, "1e-300bps", "is too small (under 1 bps"),
    (parse_bandwidth, "0.5bps", "is too small"),
    (parse_duration, "1e-400s", "is too small"),         # underflows to 0.0 as written
    (parse_duration, "1e-10s", "is too small (under 1e-09 s"),
    (parse_duration, "1e400s", "is not finite"),
    (parse_duration, "1e23y", "is too large"),           # 1e23 × 31 536 000 s = 3.2e30 s
])
def test_unit_conversion_overflow_and_underflow(parse, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse(text)


def test_unit_conversion_limits_are_inclusive():
    assert parse_duration("0s") == 0.0 and parse_duration("0.0e-400s") == 0.0
    assert parse_duration("1e-9s") == 1e-9
    assert parse_duration("1e24s") == 1e24 and parse_size("1e15PB") == 1e30 == MAX_AMOUNT
    assert parse_bandwidth("1bps") == 1.0 and parse_size("1b") == 1.0


# ---- times --------------------------------------------------------------------------------


def ny(**simulation: Any) -> str:
    return minimal(simulation={"timezone": "America/New_York", **simulation})


def test_start_in_the_dst_fold_is_the_first_occurrence_with_a_warning(tmp_path):
    path = tmp_path / "fold.yaml"
    path.write_text(ny(start="2026-11-01T01:30"), encoding="utf-8")
    s, (warning,) = check_scenario(path)
    # the first 01:30 is daylight time, UTC-4: 05:30 UTC (the second would be 06:30 UTC)
    assert s.simulation.origin.utcoffset().total_seconds() == -4 * 3600
    assert (warning.path, warning.line, warning.col) == ("simulation.start", 4, 10)
    assert "happens twice in America/New_York (the clocks go back 1h that day)" \
        in warning.message
    assert "takes the first of the two" in warning.message and "UTC-04:00" in warning.message
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 0
    assert f"{path}:4:10: simulation.start: warning: '2026-11-01T01:30' happens twice" \
        in res.output


def test_start_just_outside_the_gap_and_fold_is_silent(tmp_path):
    for start in ("2026-03-08T01:59", "2026-03-08T03:00", "2026-11-01T00:59",
                  "2026-11-01T02:00", "2026-03-08"):
        path = tmp_path / "ok.yaml"
        path.write_text(ny(start=start), encoding="utf-8")
        assert check_scenario(path)[1] == [], start


def test_start_in_a_half_hour_gap_names_the_jump():
    text = minimal(simulation={"timezone": "Australia/Lord_Howe", "start": "2026-10-04T02:10"})
    issue = only(text)
    assert "jump forward 0h30m" in issue.message and "'2026-10-04T02:40'" in issue.message


def test_maintenance_window_in_the_gap_is_warned(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(ny(start="2026-03-01T00:00", horizon="30d") + textwrap.dedent("""\
        maintenance_windows:
          night: {days: all, hours: "02:30-04:00"}
          early: {days: all, hours: "04:00-05:00"}
        """), encoding="utf-8")
    _, (warning,) = check_scenario(path)
    assert warning.path == "maintenance_windows.night"
    assert "on 2026-03-08 02:30 does not exist (the clocks jump forward)" in warning.message


def test_backup_clock_time_in_the_fold_is_warned(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(ny(start="2026-10-30T00:00", horizon="5d", random_failures=False)
                    .replace("    active:\n    - a\n", "    active:\n    - a\n    protection:\n"
                             "    - {id: nightly, kind: backup, at: a, schedule: {at: '01:30'}}\n"),
                    encoding="utf-8")
    _, (warning,) = check_scenario(path)
    assert warning.path == "services.svc.protection[0].schedule.at"
    assert "on 2026-11-01 01:30 happens twice (the clocks go back) in America/New_York" \
        in warning.message and "a repeated one is its first occurrence" in warning.message


def test_window_change_outside_the_horizon_is_not_warned(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(ny(start="2026-03-10T00:00", horizon="30d") + textwrap.dedent("""\
        maintenance_windows:
          night: {days: all, hours: "02:30-04:00"}
        """), encoding="utf-8")
    assert check_scenario(path)[1] == []


def test_disruption_date_counts_real_time_across_the_spring_change():
    # start Sat 2026-03-07 09:00 EST; horizon 2d = 48 h real, ending Mon 10:00 EDT (the clocks
    # skip an hour on Sunday). A disruption at Mon 09:30 local is 47.5 h in: inside.
    text = ny(start="2026-03-07T09:00", horizon="2d") + textwrap.dedent("""\
        disruptions:
          - {id: d, at: "2026-03-09T09:30", targets: [{site: a}], duration: 10m}
        """)
    s = parse_scenario(text)
    assert s.disruptions[0].at == "2026-03-09T09:30"
    late = text.replace("09:30", "10:00")  # 48 h in: at the end, refused
    assert "is at or after the end of the simulation" in only(late).message


# ---- names --------------------------------------------------------------------------------


def test_ids_differing_only_by_case_are_refused_in_maps_and_lists():
    text = minimal(sites={"A": {"components": {"box": {"ttr": "1h"}}}},
                   runbooks={"rb": {"steps": [{"id": "Go", "duration": "1m"},
                                              {"id": "go", "duration": "1m"}]}})
    issues = refused(text)
    assert [(i.path, i.message.split(" only")[0]) for i in issues] == [
        ("sites.A", "id 'A' differs from 'a' (line 9)"),
        ("runbooks.rb.steps[1].id", "id 'go' differs from 'Go' (line 34)")]


def test_confusable_letters_cannot_make_an_id():
    # Cyrillic 'а' (U+0430) looks like Latin 'a': ids are ASCII only, so it is refused
    issues = refused(minimal(sites={"\u0430": {}}))
    assert [i.message.split(";")[0] for i in issues if i.path == "sites['\u0430']"] == [
        "'\u0430' is not a valid id"]


@pytest.mark.parametrize("char, name", [("\x1b", "U+001B (ESCAPE)"),
                                        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
                                        ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
                                        ("\x85", "U+0085"), ("\u200b", "U+200B")])
def test_invisible_characters_are_refused_in_any_text(char, name):
    issue = only(minimal(services={"svc": {"name": f"Voice{char}"}}))
    assert issue.path == "services.svc.name" and name in issue.message
    assert char not in str(issue)


def test_line_breaks_and_tabs_stay_allowed_in_descriptions():
    s = parse_scenario(minimal(description="line one\n\tline two\n"))
    assert s.description == "line one\n\tline two\n"


def test_messages_escape_and_cut_whatever_reaches_them():
    issue = Issue(3, 4, "sites.x\n", "unknown site '\x1b[31m" + "y" * 500 + "'", "f\u202e.yaml")
    text = str(issue)
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
    assert text.startswith("f\\u202e.yaml:3:4: sites.x\\n: unknown site '\\x1b[31myyy")
    # the quoted value is \x1b (4 characters once escaped) + [31m + 500 y's = 508
    assert text.endswith("…' (508 characters)") and len(text) < 200
    assert show("z" * 100) == "'" + "z" * 58 + "… (100 characters)"
    assert plain("fine text") == "fine text"
    between = "'a' is x " + "y " * 80 + "and 'b' too; a group's " + "z " * 80 + "and it's it"
    assert plain(between) == between  # text between two quoted values is not one value


def test_a_long_value_with_spaces_is_cut_too():
    issues = refused(minimal(customers={"users": {"home": "ab " * 2000}}))
    assert [str(i).split(": ", 2)[2] for i in issues] == [
        "too long; at most 64 characters",
        "unknown site 'ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab …' "
        "(6000 characters); known: a"]


# ---- models that cannot make sense --------------------------------------------------------


def two_sites(**patch: Any) -> str:
    return minimal(**merge({"sites": {"b": {"components": {"box": {"ttr": "1h"}}}},
                            "services": {"svc": {"standby": {"sites": ["b"]}}}}, patch))


def warnings_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return [f"{w.path}: {w.message}" for w in check_scenario(path)[1]]


def test_failover_target_no_customer_can_reach_and_lonely_sites_are_warned(tmp_path):
    got = warnings_of(tmp_path, two_sites())
    assert got == [
        "sites.a: warning: site 'a' has no links, so nothing can reach it from another place "
        "(no failover to it, no replication); add a link or remove the site",
        "sites.b: warning: site 'b' has no links, so nothing can reach it from another place "
        "(no failover to it, no replication); add a link or remove the site",
        "services.svc.standby.sites[0]: warning: failover target 'b' cannot be reached from "
        "the access point of any customer group using 'svc' (users), so a failover there "
        "serves nobody; add a link from their access points"]
    linked = two_sites(links={"ab": {"a": "a", "b": "b"}})
    assert warnings_of(tmp_path, linked) == []


def test_move_to_an_unreachable_site_is_warned(tmp_path):
    text = two_sites(links={"ab": {"a": "a", "b": "b"}}, sites={"c": {}},
                     runbooks={"rb": {"steps": [{"id": "go", "duration": "1m", "effects": [
                         {"move": {"to": "c"}}]}]}})
    got = warnings_of(tmp_path, text)
    assert got[0].startswith("sites.c: warning: site 'c' has no links")
    assert got[1] == ("runbooks.rb.steps[0].effects[0].move.to: warning: failover target 'c' "
                      "cannot be reached from the access point of any customer group it "
                      "moves (users), so a failover there serves nobody; add a link from "
                      "their access points")


def test_group_with_no_path_is_warned_and_nothing_servable_is_refused(tmp_path):
    text = minimal(access_points={"pop": {}}, customers={
        "users": {"access": "pop"},
        "walk-in": {"count": 5, "access": "a", "home": "a", "services": ["svc"]}})
    got = warnings_of(tmp_path, text)
    assert "customers.users.services[0]: warning: customer group 'users' (access 'pop') has " \
           "no link path to any site offering 'svc' (a), so it is never served it" in got[1]
    alone = minimal(access_points={"pop": {}}, customers={"users": {"access": "pop"}})
    issue = only(alone)
    assert issue.path == "customers" and "nothing can ever be served" in issue.message


def test_run_prints_warnings_and_still_runs(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(two_sites(), encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(path)])
    assert res.exit_code == 0, res.output
    assert f"{path}:14:3: sites.b: warning: site 'b' has no links" in res.output


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenarios_have_no_warnings(path):
    assert check_scenario(path)[1] == []


# ---- very large files stay linear ---------------------------------------------------------


def chain(n: int) -> str:
    steps = [{"id": f"s{i}", "duration": "1m", **({"after": [f"s{i - 1}"]} if i else {})}
             for i in range(n)]
    return minimal(runbooks={"rb": {"steps": steps}})


def lines_run(text: str) -> int:
    """Python lines executed by drsim while validating `text` (a count, not a clock)."""
    raw = load_text(text)
    root = str(Path(__file__).parent.parent / "drsim")
    count = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(root) else None

    sys.settrace(tracer)
    try:
        validate(raw)
    finally:
        sys.settrace(None)
    return count


def test_validation_of_a_long_chain_of_steps_is_linear():
    # before the fix each step rebuilt the list of step ids: 4x the lines for 2x the steps
    small, big = lines_run(chain(300)), lines_run(chain(600))
    assert 1.8 < big / small < 2.2, (small, big)
