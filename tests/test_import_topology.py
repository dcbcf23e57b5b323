"""drsim import topology: GraphML → a scenario skeleton. The latencies, failure rates and ids
below are worked out by hand from the rules in drsim/importers/topology.py (docs/topologies.md);
the malformed corpus in tests/data/graphml/ gets one line per problem, exit 2, nothing written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from drsim.cli import app
from drsim.errors import ScenarioError
from drsim.importers import graphml
from drsim.importers.topology import Importer, haversine_km, link_ttf, sanitise
from drsim.scenario import load_scenario

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "graphml"

KEYS = """\
<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="label" attr.type="string" for="node" id="d0"/>
  <key attr.name="Latitude" attr.type="double" for="node" id="d1"/>
  <key attr.name="Longitude" attr.type="double" for="node" id="d2"/>
  <key attr.name="Internal" attr.type="int" for="node" id="d3"/>
  <key attr.name="distance" attr.type="double" for="edge" id="d4"/>
  <key attr.name="latency" attr.type="string" for="edge" id="d5"/>
  <key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d6"/>
  <graph edgedefault="undirected">
"""


def node(gid: str, label: str | None = None, lat: float | None = None,
         lon: float | None = None, internal: int | None = None) -> str:
    data = "".join(f'<data key="{k}">{v}</data>'
                   for k, v in (("d0", label), ("d1", lat), ("d2", lon), ("d3", internal))
                   if v is not None)
    return f'    <node id="{gid}">{data}</node>\n'


def edge(a: str, b: str, **data: object) -> str:
    keys = {"distance": "d4", "latency": "d5", "speed": "d6"}
    inner = "".join(f'<data key="{keys[k]}">{v}</data>' for k, v in data.items())
    return f'    <edge source="{a}" target="{b}">{inner}</edge>\n'


def graph(*parts: str) -> str:
    return KEYS + "".join(parts) + "  </graph>\n</graphml>\n"


# Three nodes on the equator and the meridian, one degree apart. Zürich and zurich sanitise
# to the same id, so the second (in file order) is zurich-2.
THREE = graph(node("0", "Zürich", 0, 0), node("1", "Bern", 0, 1), node("2", "zurich", 1, 0),
              edge("0", "1"), edge("0", "2"), edge("1", "2"))


def imported(tmp_path: Path, text: str, *args: str) -> tuple[Path, object]:
    src, out = tmp_path / "g.graphml", tmp_path / "scenario.yaml"
    src.write_text(text, encoding="utf-8")
    res = runner.invoke(app, ["import", "topology", str(src), "--out", str(out), *args])
    return out, res


def test_three_nodes_latencies_ids_and_failure_rates_by_hand(tmp_path):
    out, res = imported(tmp_path, THREE)
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    assert list(doc["sites"]) == ["zurich", "bern", "zurich-2"]
    assert doc["sites"]["zurich"]["name"] == "Zürich"
    assert doc["sites"]["zurich-2"]["location"] == {"lat": 1, "lon": 0}
    links = doc["links"]
    assert list(links) == ["zurich-bern", "zurich-zurich-2", "bern-zurich-2"]
    # One degree of arc: 6371 km × π/180 = 111.1949 km; × 1.5 route factor = 166.792 km;
    # at 200,000 km/s: 166.792 / 200000 s = 0.83396 ms → 0.834ms. Cuts: 1 a year per
    # 1000 km → mean 365 d × 1000 / 166.792 = 2188.3 d → 2188d.
    assert links["zurich-bern"]["latency"] == links["zurich-zurich-2"]["latency"] == "0.834ms"
    assert links["zurich-bern"]["ttf"] == {"exponential": {"mean": "2188d"}}
    # (0°, 1°) to (1°, 0°): h = sin²(0.5°) + cos 0° cos 1° sin²(0.5°)
    #   = 7.61524e-5 × (1 + 0.9998477) = 1.522933e-4; 2 × 6371 × asin(√h) = 157.2494 km;
    # × 1.5 = 235.874 km → 1.17937 ms → 1.179ms; 365000 / 235.874 = 1547.4 → 1547d.
    assert links["bern-zurich-2"]["latency"] == "1.179ms"
    assert links["bern-zurich-2"]["ttf"] == {"exponential": {"mean": "1547d"}}
    assert all(lk["bandwidth"] == "10Gbps" for lk in links.values())
    # every node has two links: the primary and backup are the first two ids in order
    assert doc["services"]["app"]["active"] == ["bern"]
    assert doc["services"]["app"]["standby"]["sites"] == ["zurich"]
    assert set(doc["sites"]["bern"]["components"]) == {"servers"}
    assert "components" not in doc["sites"]["zurich-2"]
    assert {g: c["access"] for g, c in doc["customers"].items()} == \
        {"zurich": "zurich", "bern": "bern", "zurich-2": "zurich-2"}
    assert "3 sites, 0 access points, 3 links; the service runs at bern" in res.output
    scenario = load_scenario(out)  # the normal loader takes it as written
    assert scenario.links["bern-zurich-2"].latency == pytest.approx(1.17937e-3, abs=1e-6)
    assert scenario.simulation.horizon == 365 * 86400 and scenario.simulation.random_failures


def test_haversine_and_link_ttf_by_hand():
    # London (51.5, -0.12) to Paris (48.86, 2.35): Δφ = -2.64°, Δλ = 2.47°;
    # h = sin²(-1.32°) + cos 51.5° cos 48.86° sin²(1.235°)
    #   = 5.3070e-4 + 0.62251 × 0.65825 × 4.6455e-4 = 7.2106e-4; 2 × 6371 × asin(0.026853)
    #   = 342.2 km
    assert haversine_km((51.5, -0.12), (48.86, 2.35)) == pytest.approx(342.2, abs=0.5)
    assert link_ttf(500) == "{exponential: {mean: 730d}}"  # 365000 / 500
    assert link_ttf(0) == "{exponential: {mean: 365000d}}"  # as a 1 km link


def test_year_of_random_failures_runs_through_validate_and_run(tmp_path):
    out, res = imported(tmp_path, THREE)
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    res = runner.invoke(app, ["run", str(out), "--seed", "4", "--no-timeline", "--json",
                              str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "r.json").read_text())["metrics"]
    # 3 groups of 100 customers: customer-minutes are 100 × each group's downtime in minutes
    groups = m["groups"]
    assert sorted(groups) == ["bern", "zurich", "zurich-2"]
    assert m["customer_minutes_lost"] == pytest.approx(
        sum(100 * g["downtime_s"] / 60 for g in groups.values()))
    for g in groups.values():
        assert g["availability"] == pytest.approx(1 - g["downtime_s"] / (365 * 86400))
    # seed 4: the primary's servers fail at random 7 times a year on average (4 units ×
    # 8760 h / 5000 h); this year one outage opened an incident, failed over and came home
    assert m["incidents"] == 1 and m["all_recovered"] and m["customer_minutes_lost"] > 0


def test_given_latency_distance_speed_and_access_points(tmp_path):
    text = graph(node("a", "A", 10, 10), node("b", "B", 10, 11), node("c", "C", 10, 12),
                 node("x", "Peer", 10, 13, internal=0),
                 edge("a", "b", latency=3, speed="2500000000.0"),
                 edge("b", "c", latency="4.5ms"),
                 edge("a", "c", distance=300),
                 edge("c", "x"))
    out, res = imported(tmp_path, text)
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    assert list(doc["sites"]) == ["a", "b", "c"] and list(doc["access_points"]) == ["peer"]
    links = doc["links"]
    assert links["a-b"]["latency"] == "3ms" and links["a-b"]["bandwidth"] == "2.5Gbps"
    assert links["b-c"]["latency"] == "4.5ms"
    # 3 ms of fibre is 600 km of route: 365000 / 600 = 608.3 → 608d
    assert links["a-b"]["ttf"] == {"exponential": {"mean": "608d"}}
    # 300 km / 200000 km/s = 1.5 ms, no route factor on a given distance; 365000/300 = 1216.7
    assert links["a-c"]["latency"] == "1.5ms"
    assert links["a-c"]["ttf"] == {"exponential": {"mean": "1217d"}}
    # c has three links, a and b two: c is the primary, then a (ties by id)
    assert doc["services"]["app"]["active"] == ["c"]
    assert doc["services"]["app"]["standby"]["sites"] == ["a"]
    assert doc["customers"]["peer"]["access"] == "peer"  # an access point of its own
    load_scenario(out)


@pytest.mark.parametrize(("label", "expected"), [
    ("São Paulo", "sao-paulo"), ("New York, NY", "new-york-ny"), ("  --Ünïcode__ ", "unicode"),
    ("東京", ""), ("a" * 50, "a" * 40)])
def test_sanitise(label, expected):
    assert sanitise(label) == expected


def test_ids_differing_by_case_or_empty_after_sanitising_are_made_unique(tmp_path):
    text = graph(node("n1", "New York", 1, 1), node("n2", "NEW YORK", 1, 2),
                 node("n3", "new-york-2", 1, 3), node("n4", "東京", 1, 4),
                 edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4"))
    out, res = imported(tmp_path, text)
    assert res.exit_code == 0, res.output
    # the second New York takes -2; the label "new-york-2" then finds it taken: -3... no:
    # sanitised "new-york-2" is taken, so it becomes "new-york-2-2"; 東京 has no ASCII and
    # falls back to its GraphML id
    assert list(yaml.safe_load(out.read_text())["sites"]) == \
        ["new-york", "new-york-2", "new-york-2-2", "n4"]
    load_scenario(out)


def test_self_loop_is_dropped_and_parallel_edges_are_parallel_links(tmp_path):
    text = graph(node("a", "A", 0, 0), node("b", "B", 0, 1), edge("a", "b"), edge("a", "b"),
                 edge("a", "a"))
    out, res = imported(tmp_path, text)
    assert res.exit_code == 0, res.output
    assert list(yaml.safe_load(out.read_text())["links"]) == ["a-b", "a-b-2"]
    assert "g.graphml:15:5: edge a-a: warning: a self-loop" in res.output


def test_disconnected_graph_warns_and_serves_the_primarys_part(tmp_path):
    text = graph(node("a", "A", 0, 0), node("b", "B", 0, 1), node("c", "C", 0, 2),
                 node("d", "D", 5, 5), node("e", "E", 5, 6),
                 edge("a", "b"), edge("b", "c"), edge("d", "e"))
    out, res = imported(tmp_path, text)
    assert res.exit_code == 0, res.output
    assert "warning: the graph is in 2 unconnected parts; the 2 nodes outside" in res.output
    doc = yaml.safe_load(out.read_text())
    assert doc["services"]["app"]["active"] == ["b"]  # two links
    assert sorted(doc["customers"]) == ["a", "b", "c"]
    assert list(doc["sites"]) == ["a", "b", "c", "d", "e"]
    load_scenario(out)


def test_default_latency_for_edges_without_measure(tmp_path):
    text = graph(node("a", "A"), node("b", "B"), edge("a", "b"))
    out, res = imported(tmp_path, text)
    assert res.exit_code == 2 and not out.exists()
    out, res = imported(tmp_path, text, "--latency", "2ms")
    assert res.exit_code == 0, res.output
    assert "warning: 1 link has no latency, distance or coordinates" in res.output
    assert yaml.safe_load(out.read_text())["links"]["a-b"]["latency"] == "2ms"
    bad = runner.invoke(app, ["import", "topology", str(tmp_path / "g.graphml"), "--out",
                              str(tmp_path / "other.yaml"), "--latency", "2 parsecs"])
    assert bad.exit_code == 2 and "--latency" in bad.output
    assert not (tmp_path / "other.yaml").exists()


def test_primary_and_backup_options(tmp_path):
    out, res = imported(tmp_path, THREE, "--primary", "zurich-2", "--backup", "bern")
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    assert doc["services"]["app"]["active"] == ["zurich-2"]
    assert doc["services"]["app"]["standby"]["sites"] == ["bern"]
    assert doc["runbooks"]["failover"]["steps"][2]["requires"] == \
        {"site_healthy": ["zurich-2"]}
    out.unlink()
    out, res = imported(tmp_path, THREE, "--primary", "zurch")
    assert res.exit_code == 2 and not out.exists()
    assert "--primary: unknown site 'zurch' (did you mean 'zurich'?)" in res.output
    out, res = imported(tmp_path, THREE, "--primary", "bern", "--backup", "bern")
    assert res.exit_code == 2 and "the backup must be another site" in res.output


def test_out_dash_force_and_no_overwrite(tmp_path):
    out, res = imported(tmp_path, THREE, "--out", "-")  # the last --out wins
    assert res.exit_code == 0 and res.output.startswith("# A scenario skeleton written by")
    assert not out.exists()
    out.write_text("mine\n")
    _, res = imported(tmp_path, THREE)
    assert res.exit_code == 2 and "already exists; pass --force" in res.output
    assert out.read_text() == "mine\n"
    _, res = imported(tmp_path, THREE, "--force")
    assert res.exit_code == 0 and out.read_text().startswith("# A scenario skeleton")


# ---- the malformed corpus: file → (line, the message's words) -----------------------------

CORPUS = {
    "not-xml": (1, "not well-formed XML (syntax error)"),
    "not-graphml": (2, "not GraphML: the root element is <html>"),
    "empty": (1, "the file is empty"),
    "truncated": (11, "not well-formed XML (unclosed token)"),
    "no-nodes": (7, "the graph has no nodes"),
    "no-coordinates": (10, "no edge has a latency or distance and no two linked nodes have "
                           "coordinates; add Latitude and Longitude"),
    "edge-without-coordinates": (12, "edge a-b: no latency, distance or coordinates"),
    "non-numeric-latitude": (8, "node 'a'.Latitude: 'north' is not a number"),
    "longitude-out-of-range": (8, "node 'a'.Longitude: 190 is outside -180..180"),
    "latitude-without-longitude": (8, "node 'a': has Latitude but no Longitude"),
    "non-numeric-distance": (10, "edge a-b: distance 'far' is not a number"),
    "entity-expansion": (2, "a document type declaration (<!DOCTYPE ...>) is not accepted"),
    "external-entity": (2, "a document type declaration (<!DOCTYPE ...>) is not accepted"),
    "edge-to-unknown-node": (11, "edge a-z: node 'z' is not in the graph"),
    "duplicate-node-id": (10, "node 'a': a second node with this id (the first is on line 8)"),
    "edge-without-target": (10, "an <edge> has no target"),
    "nested-graph": (8, "a graph nested inside a node is not supported"),
    "one-site": (7, "the graph has 1 site"),
}


def test_the_corpus_is_the_table():
    assert sorted(p.stem for p in DATA.glob("*.graphml")) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_malformed_graphml(tmp_path, name):
    line, words = CORPUS[name]
    src, out = DATA / f"{name}.graphml", tmp_path / "scenario.yaml"
    res = runner.invoke(app, ["import", "topology", str(src), "--out", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    first = res.output.splitlines()[0]
    assert first.startswith(f"{src}:{line}:"), first
    assert words in first
    assert res.output.splitlines()[-1] == "1 problem found; nothing was run or written."
    assert not out.exists() and os.listdir(tmp_path) == []


def test_entities_are_never_expanded():
    """The refusal comes from the DOCTYPE itself, before any entity is read: a billion laughs
    never grows, and an external entity never reads the file it names."""
    with pytest.raises(ScenarioError) as e:
        graphml.parse((DATA / "external-entity.graphml").read_bytes(), "x")
    assert "DOCTYPE" in str(e.value) and "root:" not in str(e.value)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.graphml"
    with open(big, "wb") as f:
        f.truncate(graphml.MAX_BYTES + 1)  # sparse: nothing is written or read
    res = runner.invoke(app, ["import", "topology", str(big), "--out", str(tmp_path / "s.yaml")])
    assert res.exit_code == 2
    assert res.output.startswith(f"{big}:1:1: <top>: file is larger than 20 MB; a network graph")
    assert not (tmp_path / "s.yaml").exists()


def test_every_problem_of_a_file_is_listed(tmp_path):
    text = graph(node("a", "A", "x", 0), node("b", "B", 0, 999), node("c", "C", 0, 0),
                 edge("a", "b"), edge("b", "c"), edge("c", "q"))
    _, res = imported(tmp_path, text)
    lines = res.output.splitlines()
    assert res.exit_code == 2 and lines[-1] == "3 problems found; nothing was run or written."
    assert [ln.split(": ", 1)[0].rsplit(":", 2)[1] for ln in lines[:-1]] == ["11", "12", "16"]


def test_yed_drawing_data_and_key_defaults(tmp_path):
    """yEd writes markup inside <data> (not a value: ignored); a key's <default> stands for
    every node that gives no value of its own."""
    text = KEYS.replace('<key attr.name="Latitude" attr.type="double" for="node" id="d1"/>',
                        '<key attr.name="Latitude" attr.type="double" for="node" id="d1">'
                        '<default>0</default></key>') + \
        '    <node id="a"><data key="d2">0</data><data key="g"><y:Shape>x</y:Shape></data>' \
        '</node>\n' + node("b", None, None, 1) + edge("a", "b") + "  </graph>\n</graphml>\n"
    out, res = imported(tmp_path, text)
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    assert doc["sites"]["b"]["location"] == {"lat": 0, "lon": 1}
    assert doc["links"]["a-b"]["latency"] == "0.834ms"  # one degree, as in THREE


def test_importer_api_matches_the_cli(tmp_path):
    src = tmp_path / "g.graphml"
    src.write_text(THREE, encoding="utf-8")
    skeleton = Importer(graphml.read(src)).run()
    out, _ = imported(tmp_path, THREE)
    assert skeleton.text == out.read_text()


def _scripted(text: str, site: str) -> str:
    """The skeleton with random failures off and one scripted 2 h outage of `site` at 10:00."""
    return text.replace("random_failures: true", "random_failures: false") + (
        f"\ndisruptions:\n  - {{id: out, at: \"2026-01-01T10:00\", targets: [{{site: {site}}}], "
        "duration: 2h}\n")


def test_the_failover_runs_only_when_the_primary_cannot_serve(tmp_path):
    """A point of presence failing is not a disaster the backup can help with: its own
    customers are cut off (2 h, the outage), and nobody is moved. The primary failing is:
    3 failed checks a minute apart (10:00, 10:01, 10:02: the alert at 10:02), ack 5 m,
    declare 10 m, start-backup 15 m, move-customers 10 m: the other groups are back after
    2 + 5 + 10 + 15 + 10 = 42 min, and move home 10 m after the primary returns at 12:00."""
    from drsim import simulate
    from drsim.scenario import parse_scenario

    out, res = imported(tmp_path, THREE)
    text = out.read_text()
    pop = simulate(parse_scenario(_scripted(text, "zurich-2")))
    assert not [e for e in pop.timeline if e.kind in ("moved", "activated")]
    groups = pop.metrics.groups
    assert groups["zurich-2"].downtime_s == 7200 and groups["bern"].downtime_s == 0
    dc = simulate(parse_scenario(_scripted(text, "bern")))
    moved = [e for e in dc.timeline if e.kind == "moved"]
    assert len(moved) == 2  # to the backup, then home
    # the primary's own customers enter at bern, which is down for the 2 h: no failover helps
    assert dc.metrics.groups["bern"].downtime_s == 7200
    assert dc.metrics.groups["zurich"].downtime_s == 42 * 60
    assert dc.metrics.groups["zurich-2"].downtime_s == 42 * 60
    assert moved[1].time_s == 12 * 3600 + 10 * 60


def test_invisible_characters_of_labels_are_left_out_of_names(tmp_path):
    """A scenario refuses invisible characters in text (they can disguise it); a label holding
    one (a line separator, a bidi override, a byte-order mark, a tab) is kept without it."""
    labels = ["a\u2028b", "bi\u202edi", "\ufeffbom", "tab\there"]
    text = graph(*(node(str(i), label, 0, i) for i, label in enumerate(labels)),
                 edge("0", "1"), edge("1", "2"), edge("2", "3"))
    out, res = imported(tmp_path, text)
    assert res.exit_code == 0, res.output
    sites = load_scenario(out).sites
    assert {k: v.name for k, v in sites.items()} == \
        {"a-b": "a b", "bi-di": "bi di", "bom": "bom", "tab-here": "tab here"}


def test_a_flood_of_problems_is_cut_at_twenty(tmp_path):
    """25 edges nothing measures (one edge is measured, so each is named): the first 20 are
    listed, then one line says how many more."""
    nodes = [node("m0", "M0", 0, 0), node("m1", "M1", 0, 1)] + \
        [node(f"x{i}") for i in range(26)]
    edges = [edge("m0", "m1")] + [edge(f"x{i}", f"x{i + 1}") for i in range(25)]
    _, res = imported(tmp_path, graph(*nodes, *edges))
    lines = res.output.splitlines()
    assert res.exit_code == 2 and len(lines) == 22
    assert sum("no latency, distance or coordinates" in ln for ln in lines) == 20
    assert lines[20].endswith("... and 5 more problems like these")
