"""Variants: merge-patch onto a base, by-id list patches, errors placed in the right file,
chains and cycles, `drsim show`, and setting one value by dotted path."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from conftest import MINIMAL, ROOT, merge
from typer.testing import CliRunner

from drsim.cli.compare import show
from drsim.errors import DrsimError, ScenarioError
from drsim.scenario import load_scenario, parse_scenario
from drsim.scenario.variants import dump, load_resolved, parse_value, set_value

BASE = {
    **MINIMAL,
    "staff": {"ops": {"count": 1}, "dba": {"count": 1}},
    "runbooks": {"failover": {"steps": [
        {"id": "check", "duration": "10m", "roles": ["ops"]},
        {"id": "switch", "after": ["check"], "duration": "20m"},
    ]}},
    "objectives": [{"id": "fast", "rto": "4h"}],
}


@pytest.fixture
def base_file(tmp_path):
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(BASE, sort_keys=False))
    return path


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def issues(path) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    return [str(i) for i in e.value.issues]


def test_merged_result_equals_hand_merged_yaml(tmp_path, base_file):
    v = write(tmp_path, "v.yaml", """\
        base: base.yaml
        name: variant
        sites:
          a: {capacity: 500}
          b: {components: {box: {count: 2, ttr: 2h}}}
        staff:
          dba: null
          ops: {count: 3}
        runbooks:
          failover:
            steps:
              check: {duration: 5m}
              extra: {after: [switch], duration: 1m}
        objectives: [{id: slow, rto: 8h}]
        """)
    hand = merge(BASE, {
        "name": "variant",
        "sites": {"a": {"capacity": 500}, "b": {"components": {"box": {"count": 2,
                                                                       "ttr": "2h"}}}},
        "staff": {"dba": None, "ops": {"count": 3}},
        "objectives": [{"id": "slow", "rto": "8h"}],
    })
    hand["runbooks"]["failover"]["steps"] = [
        {"id": "check", "duration": "5m", "roles": ["ops"]},
        {"id": "switch", "after": ["check"], "duration": "20m"},
        {"id": "extra", "after": ["switch"], "duration": "1m"},
    ]
    assert load_resolved(v).data == hand
    assert load_scenario(v) == parse_scenario(yaml.safe_dump(hand, sort_keys=False))


def test_step_removed_by_id_and_opaque_values_replaced_whole(tmp_path, base_file):
    v = write(tmp_path, "v.yaml", """\
        base: base.yaml
        runbooks:
          failover:
            steps:
              check: null
              switch: {after: [], duration: {uniform: {low: 1m, high: 2m}}}
        """)
    steps = load_resolved(v).data["runbooks"]["failover"]["steps"]
    assert steps == [{"id": "switch", "after": [], "duration": {"uniform": {"low": "1m",
                                                                              "high": "2m"}}}]
    w = write(tmp_path, "w.yaml", """\
        base: v.yaml
        runbooks: {failover: {steps: {switch: {duration: {exponential: {mean: 1m}}}}}}
        """)
    # a distribution is one value: the new one replaces the old, no mixing of families
    assert load_resolved(w).data["runbooks"]["failover"]["steps"][0]["duration"] == {
        "exponential": {"mean": "1m"}}


def test_unknown_path_is_one_issue_at_the_variant_line_with_did_you_mean(tmp_path, base_file):
    v = write(tmp_path, "v.yaml", """\
        base: base.yaml
        sites:
          a:
            capacty: 10
        runbooks:
          failover:
            steps:
              chek: null
        """)
    got = issues(v)
    assert got[0].startswith(f"{v}:4:5: sites.a.capacty: ")
    assert "did you mean 'capacity'?" in got[0]
    assert got[1].startswith(f"{v}:8:7: runbooks.failover.steps.chek: cannot remove 'chek'")
    assert "did you mean 'check'?" in got[1]
    assert all("\n" not in g for g in got) and len(got) == 2


def test_validation_problems_point_at_the_file_the_value_came_from(tmp_path, base_file):
    v = write(tmp_path, "v.yaml", """\
        base: base.yaml
        staff:
          ops: {count: 0}
        runbooks:
          failover:
            steps:
              switch: {duration: null}
        """)
    got = issues(v)
    assert any(g.startswith(f"{v}:3:16: staff.ops.count: 0 is out of range") for g in got)
    # the removed required key is blamed on the line that removed it
    assert any(g.startswith(f"{v}:7:16: runbooks.failover.steps[1]: missing required key "
                            "'duration'") for g in got)
    # a problem in a value the variant did not touch points into the base file
    bad = dict(BASE, customers={"users": {**BASE["customers"]["users"], "home": "nowhere"}})
    base_file.write_text(yaml.safe_dump(bad, sort_keys=False))
    w = write(tmp_path, "w.yaml", "base: base.yaml\nname: w\n")
    got = issues(w)
    assert len(got) == 1 and got[0].startswith(f"{base_file}:")
    assert "customers.users.home: unknown site 'nowhere'" in got[0]


def test_base_cycle_missing_base_and_bad_base(tmp_path):
    write(tmp_path, "a.yaml", "base: b.yaml\n")
    write(tmp_path, "b.yaml", "base: a.yaml\n")
    (got,) = issues(tmp_path / "a.yaml")
    assert ":1:7: base: base cycle: a.yaml → b.yaml → a.yaml;" in got
    write(tmp_path, "c.yaml", "name: x\nbase: nothere.yaml\n")
    (got,) = issues(tmp_path / "c.yaml")
    assert got.startswith(f"{tmp_path / 'c.yaml'}:2:7: base: base file 'nothere.yaml' not found")
    write(tmp_path, "d.yaml", "base: [x]\n")
    (got,) = issues(tmp_path / "d.yaml")
    assert "base must be the path of the base scenario" in got


def test_chained_variants(tmp_path, base_file):
    # each base is relative to the file naming it; all stay inside v2's folder tree
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "v1.yaml", "base: ../base.yaml\nstaff: {ops: {count: 2}}\n")
    v2 = write(tmp_path, "v2.yaml", "base: sub/v1.yaml\nname: two\nstaff: {dba: {count: 4}}\n")
    sc = load_scenario(v2)
    assert (sc.name, sc.staff["ops"].count, sc.staff["dba"].count) == ("two", 2, 4)


def test_show_prints_a_scenario_that_loads_to_the_same_thing(tmp_path):
    variant = ROOT / "scenarios" / "variants" / "nyc-warm-standby.yaml"
    import typer

    app = typer.Typer()
    app.command()(show)
    res = CliRunner().invoke(app, [str(variant)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# drsim show: ")
    out = tmp_path / "merged.yaml"
    out.write_text(res.output)
    assert load_scenario(out) == load_scenario(variant)


def test_bundled_warm_variant_serves_voicemail_from_chicago_and_recovers_sooner():
    """The warm variant of the default drill: the same fault and customers; voicemail comes
    back with voice in Chicago (in the cold default only at the failback), and basic service
    returns sooner because provisioning and the data load are gone."""
    from drsim.sim.engine import simulate

    warm = load_scenario(ROOT / "scenarios" / "variants" / "nyc-warm-standby.yaml")
    cold = load_scenario(ROOT / "scenarios" / "nyc-chicago-drill.yaml")
    assert warm.customers == cold.customers and warm.disruptions == cold.disruptions
    gaps = []
    for seed in range(30):
        w, c = simulate(warm, seed=seed), simulate(cold, seed=seed)
        for r, vm_with_voice in ((w, True), (c, False)):
            spells = {i.what: i for i in r.intervals if i.subject == "smb-central"}
            assert (spells["voicemail"].end_s == spells["voice"].end_s) is vm_with_voice
        gaps.append(c.metrics.rto_basic_s - w.metrics.rto_basic_s)
    assert sorted(gaps)[len(gaps) // 2] > 1600  # the data load alone moved 2 TB at 10 Gbps


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "variants").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_bundled_variants_validate(path):
    load_scenario(path)


def test_set_value_with_units_and_by_step_id(base_file):
    raw = load_resolved(base_file)
    raw = set_value(raw, "staff.ops.count", "2")
    raw = set_value(raw, "runbooks.failover.steps.switch.duration", "45m")
    raw = set_value(raw, "simulation.random_failures", "true")  # a field the base omits
    from drsim.scenario import validate

    sc = validate(raw)
    assert sc.staff["ops"].count == 2
    assert sc.runbooks["failover"].steps[1].duration.mean == 45 * 60
    assert sc.simulation.random_failures is True
    assert parse_value("1Gbps") == "1Gbps" and parse_value("2") == 2


@pytest.mark.parametrize(("path", "fragment"), [
    ("staff.opps.count", "unknown path 'staff.opps': staff has no 'opps' (did you mean 'ops'?)"),
    ("staff.ops.cont", "staff.ops has no 'cont' (did you mean 'count'?)"),
    ("runbooks.failover.steps.swich.duration", "has no entry 'swich' (did you mean 'switch'?)"),
    ("staff.ops.count.x", "staff.ops.count is a single value"),
])
def test_set_value_unknown_paths(base_file, path, fragment):
    with pytest.raises(DrsimError) as e:
        set_value(load_resolved(base_file), path, "1")
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_dump_round_trips_yaml_surprises(base_file):
    raw = load_resolved(base_file)
    raw = set_value(raw, "staff.ops.name", "'no'")
    assert "'no'" in dump(raw)
