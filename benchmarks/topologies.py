"""Real topologies at scale: every graph topohub ships (or those named), imported with
`drsim import topology`'s rules, then one simulated year of random failures each. Prints, per
graph: nodes, links, the import (GraphML → scenario text), the elaboration (scenario text →
validated Scenario), the year (simulate), the events of the year and the cost per event.

    python benchmarks/topologies.py                       # the Topology Zoo and SNDlib
    python benchmarks/topologies.py backbone/world        # the largest (3,815 nodes)
    python benchmarks/topologies.py --largest 3           # the 3 largest of every group

Needs the optional extra: pip install -e '.[topologies]'.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from topohub_graphs import as_graphml, keys  # noqa: E402

from drsim import simulate  # noqa: E402
from drsim.errors import ScenarioError  # noqa: E402
from drsim.importers import graphml  # noqa: E402
from drsim.importers.topology import Importer  # noqa: E402
from drsim.scenario import parse_scenario  # noqa: E402


def measure(key: str) -> str:
    data = as_graphml(key)
    t0 = time.perf_counter()
    try:
        sk = Importer(graphml.parse(data, key)).run()
        t1 = time.perf_counter()
        scenario = parse_scenario(sk.text, key)
    except ScenarioError as e:
        return f"{key:32} refused: {str(e).splitlines()[0][:100]}"
    t2 = time.perf_counter()
    result = simulate(scenario)
    t3 = time.perf_counter()
    events = len(result.timeline)
    return (f"{key:32} {len(sk.nodes):6} {len(sk.links):6} {t1 - t0:8.3f} {t2 - t1:9.2f} "
            f"{t3 - t2:8.2f} {events:7} {1e6 * (t3 - t2) / max(events, 1):10.0f}")


def main(args: list[str]) -> None:
    if args[:1] == ["--largest"]:
        n = int(args[1])
        chosen = []
        for group in ("topozoo", "sndlib", "gabriel", "backbone"):
            sized = sorted(keys(group), key=lambda k: len(as_graphml(k)))
            chosen += sized[-n:]
    else:
        chosen = args or keys("topozoo", "sndlib")
    print(f"{'graph':32} {'nodes':>6} {'links':>6} {'import s':>8} {'elab. s':>9} "
          f"{'year s':>8} {'events':>7} {'µs/event':>10}")
    for key in chosen:
        print(measure(key), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
