"""The topology figure draws traffic only to sites that serve it.

The recorder notes a group's service only when it is lost or restored; a failback that moves
the group home while the standby still serves records a move and no restoration. The figure
must follow the move, and must never keep drawing traffic to a site whose service went down.
"""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.bundled import default_scenario
from drsim.report.plots import plot_topology
from drsim.report.plots.drill import state_at
from drsim.scenario import load_scenario
from drsim.sim.engine import simulate
from drsim.topology import Topology


def paths(fig) -> set[str]:
    return {a.get_gid() for a in fig.axes[0].get_children()
            if (a.get_gid() or "").startswith("path:")}


@pytest.fixture(scope="module")
def drill():
    sc = load_scenario(default_scenario())
    return sc, simulate(sc)


def first(result, kind, subject=None, detail=None) -> float:
    return next(e.time_s for e in result.timeline if e.kind == kind
                and (subject is None or e.subject == subject)
                and (detail is None or e.detail == detail))


def test_after_the_failback_traffic_goes_home_not_to_the_stood_down_standby(drill):
    sc, r = drill
    moved_home = first(r, "moved", detail="to home")
    stood_down = first(r, "deactivated", "voice", "at chi")
    assert moved_home < stood_down
    # during the failover, consumer (access east-pop) is served in Chicago
    assert state_at(r, sc, moved_home - 1)["serving"]["consumer"] == "chi"
    assert "path:east-pop->chi" in paths(plot_topology(sc, r, at_s=moved_home - 1))
    # moved home with voice up in New York again: served there, no gap, no 'restored' event
    assert state_at(r, sc, moved_home + 1)["serving"]["consumer"] == "nyc"
    # after Chicago's voice is deactivated no traffic is drawn to Chicago at all
    after = state_at(r, sc, stood_down + 1)["serving"]
    assert "chi" not in after.values()
    assert not any(p.endswith("->chi") for p in paths(plot_topology(sc, r,
                                                                    at_s=stood_down + 1)))
    # smb-central reaches New York from central-pop: a serving path, not a failover one
    assert "path:central-pop->nyc" in paths(plot_topology(sc, r, at_s=stood_down + 1))


TRANSIT = """\
drsim: 1
name: transit
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}
sites:
  a: {components: {box: {count: 1, ttr: 1h}}}
  b: {components: {box: {count: 1, ttr: 1h}}}
access_points:
  ap: {}
links:
  ap-a: {a: ap, b: a, latency: 1ms, bandwidth: 1Gbps}
  a-b: {a: a, b: b, latency: 1ms, bandwidth: 1Gbps}
  ap-b: {a: ap, b: b, latency: 50ms, bandwidth: 1Gbps}
services:
  svc: {requires: [box], active: [a, b]}
customers:
  users: {count: 100, access: ap, home: a, services: [svc]}
disruptions:
  - {id: hit, at: 1h, targets: [TARGET], duration: 2h}
"""


@pytest.mark.parametrize(("target", "route"), [
    # a's box fails, a itself stays up: the engine reaches b through a (1 + 1 ms < 50 ms),
    # and the figure draws that same path to b, the site that serves
    ("{component: a.box}", ("ap", "a", "b")),
    # a is down: nothing passes through it; the direct 50 ms link is the way to b
    ("{site: a}", ("ap", "b")),
])
def test_the_drawn_path_is_the_engines_route_to_the_serving_site(target, route):
    sc = parse(TRANSIT.replace("TARGET", target))
    r = simulate(sc)
    state = state_at(r, sc, 2 * 3600.0)
    assert state["serving"] == {"users": "b"}
    assert Topology(sc).path("ap", "b", state["down"]) == route
    fig = plot_topology(sc, r, at_s=2 * 3600.0)
    (line,) = [a for a in fig.axes[0].get_children() if a.get_gid() == "path:ap->b"]
    assert len(line.get_xdata()) == len(route)
    assert line.get_label() == "failover path"
