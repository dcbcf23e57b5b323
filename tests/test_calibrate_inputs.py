"""The calibration input readers: what they read (values by hand), and the malformed-input
corpus (tests/data/calibrate/) each format refuses with one line per problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from drsim.calibrate.drill import drill_records, read_inputs
from drsim.calibrate.drill_log import read_drill_log
from drsim.calibrate.fit import samples
from drsim.calibrate.mapping import read_map
from drsim.calibrate.paging import read_pages
from drsim.calibrate.statuspage import read_status
from drsim.cli import app
from drsim.errors import ScenarioError
from drsim.scenario import check_scenario

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "calibrate"
EXAMPLE = ROOT / "examples" / "calibration"
SCENARIO = ROOT / "scenarios" / "nyc-chicago-drill.yaml"


@pytest.fixture(scope="module")
def scenario():
    return check_scenario(SCENARIO)[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- what the readers read -----------------------------------------------------------------


def test_drill_log_exact_right_and_interval_runs(tmp_path):
    path = write(tmp_path, "d.csv", """\
drill,step,start,end,stopped,end_after,end_before,outcome,people,notes
d1,Open bridge,2026-01-06T14:00:00Z,2026-01-06T14:12:30Z,,,,success,ana;raj,
d1,Provision network,2026-01-06T14:13:00Z,,2026-01-06T17:13:00Z,,,failed,lee,timebox
d1,Start services,2026-01-06T17:14:00+01:00,,,2026-01-06T17:30:00+01:00,2026-01-06T17:45:00+01:00,,,
""")
    bridge, network, start = read_drill_log(path)
    assert (bridge.censoring, bridge.lower_s, bridge.upper_s) == ("exact", 750.0, None)  # 12m30s
    assert bridge.people == ("ana", "raj") and bridge.outcome == "success"
    assert (network.censoring, network.lower_s) == ("right", 3 * 3600.0)  # stopped at 3 h
    assert network.duration_s is None and network.notes == "timebox"
    # ended between 16 and 31 minutes after it started
    assert (start.censoring, start.lower_s, start.upper_s) == ("interval", 960.0, 1860.0)
    assert bridge.source == f"{path}:2" and start.source == f"{path}:4"


def test_times_without_an_offset_are_read_in_the_given_time_zone(tmp_path):
    # New York springs forward at 02:00 on 8 March 2026: 01:30 → 03:30 local is one hour
    path = write(tmp_path, "d.csv", "drill,step,start,end\n"
                                    "d1,Open bridge,2026-03-08T01:30,2026-03-08T03:30\n")
    (run,) = read_drill_log(path, ZoneInfo("America/New_York"))
    assert run.lower_s == 3600.0
    assert read_drill_log(path)[0].lower_s == 7200.0  # UTC by default


def test_drill_log_json_records(tmp_path):
    path = write(tmp_path, "d.json", json.dumps({"runs": [
        {"drill": "d1", "step": "Open bridge", "start": "2026-01-06T14:00:00Z",
         "end": "2026-01-06T14:10:00Z", "people": ["ana", "lee"]}]}))
    (run,) = read_drill_log(path)
    assert run.lower_s == 600.0 and run.people == ("ana", "lee") and run.source == f"{path}[0]"


def test_pagerduty_export_takes_the_earliest_acknowledgement(tmp_path):
    path = write(tmp_path, "pd.json", json.dumps({
        "incidents": [
            {"id": "Q1", "created_at": "2026-01-01T10:00:00Z", "status": "resolved",
             "last_status_change_at": "2026-01-01T13:00:00Z",
             "acknowledgements": [{"at": "2026-01-01T10:09:00Z", "acknowledger": {}}],
             "started_at": "2026-01-01T09:58:00Z", "declared_at": "2026-01-01T10:40:00Z"},
            {"id": "Q2", "created_at": "2026-01-02T10:00:00Z", "status": "resolved",
             "resolved_at": "2026-01-02T10:03:00Z"}],
        "log_entries": [
            {"type": "acknowledge_log_entry", "created_at": "2026-01-01T10:06:00Z",
             "incident": {"id": "Q1"}},
            {"type": "notify_log_entry", "created_at": "2026-01-01T10:01:00Z",
             "incident": {"id": "Q1"}}]}))
    q1, q2 = read_pages(path)
    t = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert q1.acknowledged == t + timedelta(minutes=6)  # the log entry beats the 10:09 ack
    assert q1.resolved == t + timedelta(hours=3)  # resolved: its last status change
    assert q1.started == t - timedelta(minutes=2) and q1.declared == t + timedelta(minutes=40)
    assert q2.acknowledged is None and q2.resolved == q2.created + timedelta(minutes=3)


def test_paging_delays_from_the_export(tmp_path, scenario):
    path = write(tmp_path, "p.csv", """\
incident,created,acknowledged,declared,resolved
A,2026-01-01T10:00Z,2026-01-01T10:05Z,2026-01-01T10:35Z,2026-01-01T12:00Z
B,2026-01-02T10:00Z,2026-01-02T10:12Z,,2026-01-02T11:00Z
C,2026-01-03T10:00Z,,,2026-01-03T10:04Z
""")
    found = samples(read_inputs(scenario, pages=path))
    ack, _ = found["detection.ack_delay"]
    # A and B acknowledged after 5 and 12 min; C resolved unacknowledged after 4 min: the ack
    # would have taken longer than that (right-censored)
    assert sorted(ack.exact) == [300.0, 720.0] and list(ack.right) == [240.0]
    declare, _ = found["detection.declare_delay"]
    assert list(declare.exact) == [1800.0] and declare.censored == 0  # only A was declared


def test_statuspage_updates_in_time_order_with_components(tmp_path):
    path = write(tmp_path, "s.json", json.dumps({"incidents": [{
        "id": "sp1", "components": [{"name": "Voice (Central)", "status": "major_outage"}],
        "incident_updates": [  # newest first, as Statuspage lists them
            {"status": "resolved", "created_at": "2026-02-10T17:00:00Z"},
            {"status": "monitoring", "created_at": "2026-02-10T16:00:00Z",
             "display_at": "2026-02-10T16:05:00Z", "affected_components": [
                 {"name": "Voice (Central)", "old_status": "major_outage",
                  "new_status": "operational"}]},
            {"status": "investigating", "created_at": "2026-02-10T15:00:00Z"}]}]}))
    first, back, end = read_status(path)
    assert [u.status for u in (first, back, end)] == ["investigating", "monitoring", "resolved"]
    assert first.components == (("Voice (Central)", "major_outage"),)  # the incident's
    assert back.at == datetime(2026, 2, 10, 16, 5, tzinfo=UTC)  # display_at: what people saw
    assert back.components == (("Voice (Central)", "operational"),)


def test_one_drill_record_with_its_headline_figures(tmp_path, scenario):
    pages = write(tmp_path, "p.csv", "incident,started,created,acknowledged,declared\n"
                  "X,2026-02-10T10:00Z,2026-02-10T10:03Z,2026-02-10T10:08Z,2026-02-10T10:30Z\n")
    status = write(tmp_path, "s.json", json.dumps({"incidents": [{"id": "sp9",
        "incident_updates": [
            {"status": "investigating", "created_at": "2026-02-10T10:05:00Z",
             "affected_components": [
                 {"name": "Voice (Central)", "new_status": "major_outage"},
                 {"name": "Voice (Consumer)", "new_status": "partial_outage"}]},
            {"status": "monitoring", "created_at": "2026-02-10T12:05:00Z",
             "affected_components": [{"name": "Voice (Central)", "new_status": "operational"}]},
            {"status": "resolved", "created_at": "2026-02-10T12:30:00Z"}]}]}))
    inputs = read_inputs(scenario, pages=pages, status=status,
                         map_path=EXAMPLE / "map.yaml")
    (record,) = inputs.records()
    # from the fault at 10:00: paged 10:03, acknowledged 10:08, declared 10:30; the central
    # customers' component is back at 12:05 (2 h 05 m), the consumers' only at the
    # resolution, 12:30 (2 h 30 m)
    assert record.figures == {"ttd_s": 180.0, "tta_s": 480.0, "declared_after_s": 1800.0,
                              "rto_basic_s:smb-central": 7500.0,
                              "rto_basic_s:consumer": 9000.0, "rto_basic_s": 9000.0}


def test_records_of_many_drills_join_by_id(tmp_path):
    log = write(tmp_path, "d.csv", "drill,step,start,end\n"
                                   "g1,failover.open-bridge,2026-01-06T14:00Z,2026-01-06T14:10Z\n"
                                   "g2,failover.open-bridge,2026-01-20T14:00Z,2026-01-20T14:20Z\n")
    pages = write(tmp_path, "p.csv",
                  "incident,created\ng2,2026-01-20T13:58Z\nQ7,2026-02-01T09:00Z\n")
    records = drill_records(read_drill_log(log), read_pages(pages))
    assert [r.drill for r in records] == ["g1", "g2", "Q7"]
    assert [len(r.pages) for r in records] == [0, 1, 1]
    assert records[1].figures == {"step_s:failover.open-bridge": 1200.0}


def test_log_names_that_are_the_scenarios_own_need_no_map(tmp_path, scenario):
    log = write(tmp_path, "d.csv", "drill,step,start,end\n"
                                   "g1,failover.open-bridge,2026-01-06T14:00Z,2026-01-06T14:10Z\n"
                                   "g1,verify-chicago,2026-01-06T14:11Z,2026-01-06T14:40Z\n")
    runs = read_inputs(scenario, log=log).runs
    assert [r.step for r in runs] == ["failover.open-bridge", "failover.verify-chicago"]


def test_the_bundled_example_reads(scenario):
    inputs = read_inputs(scenario, EXAMPLE / "drills.csv", EXAMPLE / "pages.json",
                         EXAMPLE / "status.json", EXAMPLE / "map.yaml")
    assert len(inputs.runs) == 183 and len(inputs.pages) == 30 and len(inputs.updates) == 16
    kinds = {r.censoring for r in inputs.runs}
    assert kinds == {"exact", "right", "interval"}
    assert read_map(EXAMPLE / "map.yaml", scenario).components["Voice (Central)"] == \
        ("smb-central",)


# ---- the malformed-input corpus ------------------------------------------------------------

# (file, which input, where the first problem is, what the message says)
CORPUS_CASES = [
    ("log-missing-column.csv", "log", ":1: start:",
     "missing column 'start' (did you mean 'strat'?)"),
    ("log-missing-field.json", "log", "[1]: start:",
     "missing field 'start' (did you mean 'strat'?)"),
    ("log-bad-time.csv", "log", ":3: start:", "'yesterday' is not a time; write it like"),
    ("log-end-before-start.csv", "log", ":2: end:", "is before start 2026-01-01T10:00:00+00:00"),
    ("log-interval-reversed.csv", "log", ":2: end_before:", "not after end_after"),
    ("log-no-ending.csv", "log", ":2: end:", "give exactly one of end, stopped, or end_after"),
    ("log-bad-outcome.csv", "log", ":2: outcome:",
     "'sucess' is not an outcome (did you mean 'success'?)"),
    ("log-unknown-step.csv", "log", ":3: step:",
     "'Verfy Chicago site' is not a step of the scenario nor named in map"),
    ("log-duplicate.csv", "log", ":3: <row>:", "same drill, step and start as"),
    ("log-empty.csv", "log", ": <file>:", "is empty"),
    ("log-header-only.csv", "log", ":1: <file>:", "has a header but no rows"),
    ("log-bad-json.json", "log", ":3: <json>:", "not valid JSON: Expecting ',' delimiter"),
    ("log-latin1.csv", "log", ":3: <encoding>:", "byte 0xe9 is not UTF-8"),
    ("log-utf16.csv", "log", ": <file>:", "is UTF-16 text; save it as UTF-8"),
    ("pages-missing-column.csv", "pages", ":1: created:", "missing column 'created'"),
    ("pages-bad-time.csv", "pages", ":2: acknowledged:", "'10:05' is not a time"),
    ("pages-ack-before-created.csv", "pages", ":2: acknowledged:", "is before created"),
    ("pages-duplicate.csv", "pages", ":3: incident:", "'Q1' already on"),
    ("pages-empty.json", "pages", ": incidents:", "has no records"),
    ("pages-latin1.csv", "pages", ":3: <encoding>:", "byte 0xe9 is not UTF-8"),
    ("pages-utf16.json", "pages", ": <file>:", "is UTF-16 text"),
    ("pd-unknown-incident.json", "pages", "[log_entries 0]: incident.id:",
     "'Q1010' is not an incident of this export (did you mean 'Q1001'?)"),
    ("pd-missing-created.json", "pages", "[0]: created_at:", "missing (did you mean 'created'?)"),
    ("pd-declared-before-ack.json", "pages", "[0]: declared:", "is before acknowledged"),
    ("status-missing-updates.json", "status", "[0]: incident_updates:", "missing or empty"),
    ("status-bad-time.json", "status", "[0]: incident_updates[0].created_at:",
     "'Feb 10 15:00' is not a time"),
    ("status-bad-status.json", "status", "[0]: incident_updates[0].status:",
     "'resolvd' is not a Statuspage status (did you mean 'resolved'?)"),
    ("status-duplicate.json", "status", "[1]: id:", "'sp1' already at"),
    ("status-bad-component-status.json", "status",
     "[0]: incident_updates[0].affected_components[0].new_status:",
     "'major-outage' is not a component status (did you mean 'major_outage'?)"),
    ("status-empty.json", "status", ": <file>:", "is empty"),
    ("status-truncated.json", "status", ":4: <json>:", "not valid JSON"),
    ("status-latin1.json", "status", ":1: <encoding>:", "byte 0xe9 is not UTF-8"),
    ("status-utf16.json", "status", ": <file>:", "is UTF-16 text"),
    ("map-unknown-step.yaml", "map", ":3:", "'failover.verfy-chicago' is not a step of the "
                                            "scenario (did you mean 'failover.verify-chicago'?)"),
    ("map-unknown-group.yaml", "map", ":4:", "unknown group 'smb-centrl' (did you mean "
                                             "'smb-central'?)"),
    ("map-unknown-section.yaml", "map", ":1:", "unknown section 'step' (did you mean 'steps'?)"),
    ("map-empty.yaml", "map", ":", "empty"),
    ("map-latin1.yaml", "map", ":1:", "not UTF-8"),
]


def _read(scenario, kind: str, path: Path) -> None:
    args = {"log": None, "pages": None, "status": None, "map_path": EXAMPLE / "map.yaml"}
    args["map_path" if kind == "map" else kind] = path
    if kind == "map":
        args["log"] = EXAMPLE / "drills.csv"
    read_inputs(scenario, **args)


@pytest.mark.parametrize("name, kind, where, message", CORPUS_CASES,
                         ids=[c[0] for c in CORPUS_CASES])
def test_malformed_input_is_one_line_naming_the_place(scenario, name, kind, where, message):
    with pytest.raises(ScenarioError) as info:
        _read(scenario, kind, CORPUS / name)
    lines = [str(i) for i in info.value.issues]
    assert all("\n" not in line for line in lines)
    first = lines[0]
    assert first.startswith(str(CORPUS / name)), first
    assert first[len(str(CORPUS / name)):].startswith(where), first
    assert message in first, first


def test_every_corpus_file_has_a_case():
    assert {c[0] for c in CORPUS_CASES} == {p.name for p in CORPUS.iterdir()}


def test_every_problem_of_a_file_is_listed(tmp_path, scenario):
    path = write(tmp_path, "d.csv", """\
drill,step,start,end
d1,Open bridge,2026-01-01T10:00Z,2026-01-01T09:00Z
d1,Verify Chicago site,noon,2026-01-01T10:30Z
d1,Provision network,2026-01-01T11:00Z,2026-01-01T12:00Z
""")
    with pytest.raises(ScenarioError) as info:
        _read(scenario, "log", path)
    assert [(i.where, i.path) for i in info.value.issues] == [  # type: ignore[attr-defined]
        (f"{path}:2", "end"), (f"{path}:3", "start")]


@pytest.mark.parametrize("name, option", [("log-end-before-start.csv", "--log"),
                                          ("pd-unknown-incident.json", "--pages"),
                                          ("status-bad-status.json", "--status"),
                                          ("map-unknown-step.yaml", "--map")])
def test_the_command_exits_2_with_one_line_each_and_writes_nothing(tmp_path, name, option):
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    args = ["calibrate", str(SCENARIO), "--out", str(out), "--report", str(report),
            "--map", str(EXAMPLE / "map.yaml"), "--bootstrap", "0"]
    if option != "--log":
        args += ["--log", str(EXAMPLE / "drills.csv")]
    args += [option, str(CORPUS / name)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert lines[0].startswith(str(CORPUS / name)) and "Traceback" not in res.output
    assert lines[-1] == "1 problem found; nothing was run or written."
    assert list(tmp_path.iterdir()) == []
