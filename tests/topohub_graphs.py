"""The graphs topohub ships (Internet Topology Zoo, SNDlib), as GraphML files like the ones
their projects publish: Topology Zoo graphs with Latitude/Longitude on every node that has a
position; SNDlib graphs (whose coordinates are often a drawing's, not the globe's) with each
link's length as `distance` in km. Shared by tests/test_topology_zoo.py and
benchmarks/topologies.py."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx


def folder() -> Path:
    import topohub

    return Path(topohub.__file__).parent / "data"


def keys(*groups: str) -> list[str]:
    """'topozoo/Abilene', ...: every graph of the groups, sorted."""
    return sorted(f"{g}/{p.stem}" for g in groups for p in (folder() / g).glob("*.json"))


def as_graphml(key: str) -> bytes:
    topo = json.loads((folder() / f"{key}.json").read_text(encoding="utf-8"))
    geographic = key.startswith(("topozoo/", "backbone/"))
    g: nx.MultiGraph[str] = nx.MultiGraph()
    for n in topo["nodes"]:
        data: dict[str, object] = {"label": str(n.get("name") or n["id"])}
        if geographic and n.get("pos"):
            data["Longitude"], data["Latitude"] = float(n["pos"][0]), float(n["pos"][1])
        g.add_node(str(n["id"]), **data)
    for e in topo["edges"]:
        extra = {} if geographic else {"distance": float(e.get("dist", 1.0))}
        g.add_edge(str(e["source"]), str(e["target"]), **extra)
    out = io.BytesIO()
    nx.write_graphml(g, out)
    return out.getvalue()
