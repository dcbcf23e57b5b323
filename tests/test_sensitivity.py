"""drsim sensitivity: critical paths checked by hand, rankings where one input dominates."""

from __future__ import annotations

import pytest
from conftest import parse

from drsim.analysis.sensitivity import (
    critical_path,
    critical_steps,
    fix_inputs,
    runbook_runs,
    sensitivity,
    uncertain_inputs,
)
from drsim.sim.engine import simulate

# A fixed-duration DAG, declared at 0 + detection (3 checks of 1m) — times below are relative
# to the runbook's start:
#   a 10m ──► b 30m ──► d 5m
#    └──────► c 20m ──┘
#   e 1m (no predecessors, ends at 1m)
# b ends at 40m, c at 30m, so d starts at 40m and ends at 45m: the critical path is
# a → b → d (10 + 30 + 5 = 45m); c and e are never on it.
DAG = """\
drsim: 1
name: dag
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}}
sites:
  a: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
  b: {{components: {{box: {{count: 1, ttr: 1h}}}}}}
access_points: {{pop: {{}}}}
links: {{pa: {{a: pop, b: a}}, pb: {{a: pop, b: b}}}}
services: {{svc: {{requires: [box], active: [a], standby: {{sites: [b]}}}}}}
customers: {{users: {{count: 10, access: pop, home: a, services: [svc]}}}}
runbooks:
  failover:
    trigger: detected
    steps:
      - {{id: a, duration: 10m}}
      - {{id: b, after: [a], duration: {b}}}
      - {{id: c, after: [a], duration: {c}}}
      - {{id: d, after: [b, c], duration: 5m, effects: [{{activate: {{service: svc, site: b}}}},
                                                        {{move: {{groups: all, to: b}}}}]}}
      - {{id: e, duration: 1m}}
disruptions:
  - {{id: cut, at: 1h, targets: [{{site: a}}], duration: 1d}}
"""


def dag(b: str = "30m", c: str = "20m"):
    return parse(DAG.format(b=b, c=c))


def test_critical_path_of_a_fixed_dag_by_hand():
    sc = dag()
    result = simulate(sc)
    ((rid, start, end, recs),) = runbook_runs(result)
    assert rid == "failover" and end - start == 45 * 60
    path = critical_path(sc, rid, start, recs)
    assert path == {"a": 600.0, "b": 1800.0, "d": 300.0}
    assert sum(path.values()) == end - start  # contributions add up to the runbook's span


def test_criticality_index_one_and_zero():
    crit = {c.step: c for c in critical_steps(dag(), trials=3)}
    for step in ("a", "b", "d"):
        assert crit[step].criticality == 1.0 and crit[step].runs == 3
    for step in ("c", "e"):
        assert crit[step].criticality == 0.0
    assert crit["b"].mean_contribution_s == 1800.0


def test_uncertain_step_splits_criticality():
    # b uniform 15m–25m against c fixed 20m: b is critical about half the time
    sc = dag(b="{uniform: {low: 15m, high: 25m}}")
    crit = {c.step: c for c in critical_steps(sc, trials=200)}
    assert 0.35 < crit["b"].criticality < 0.65
    assert crit["b"].criticality + crit["c"].criticality == pytest.approx(1.0)
    assert crit["a"].criticality == 1.0


def test_inputs_found_and_fixed_at_quantiles():
    sc = dag(b="{uniform: {low: 10m, high: 50m}}", c="{uniform: {low: 1m, high: 2m}}")
    inputs = uncertain_inputs(sc)
    assert [i.name for i in inputs] == ["runbooks.failover.steps[b].duration",
                                        "runbooks.failover.steps[c].duration"]
    fixed = fix_inputs(sc, inputs, [0.25, 0.5])
    steps = {s.id: s for s in fixed.runbooks["failover"].steps}
    assert steps["b"].duration.params == (1200.0,)  # 10m + 0.25 × 40m
    assert steps["c"].duration.params == (90.0,)
    assert sc.runbooks["failover"].steps[1].duration.family == "uniform"  # original untouched


@pytest.mark.parametrize("method,samples", [("morris", 6), ("sobol", 16)])
def test_dominant_step_ranks_first(method, samples):
    # b spans 10m–5h, c only 1m–2m (and c < b always): rto_basic follows b
    sc = dag(b="{uniform: {low: 10m, high: 5h}}", c="{uniform: {low: 1m, high: 2m}}")
    s = sensitivity(sc, "rto_basic", method, trials=5, samples=samples)
    assert s.indices[0].name == "runbooks.failover.steps[b].duration"
    assert s.indices[0].rank_by > 10 * max(s.indices[1].rank_by, 1e-9)
    top = s.tornado[0]
    assert top.name == "runbooks.failover.steps[b].duration"
    # b at P10 = 10m + 0.1 × 290m = 39m, at P90 = 271m: the swing is exactly 232m
    assert top.swing == pytest.approx(232 * 60)
    assert s.tornado[1].swing == 0.0  # c never gates d


def test_no_uncertain_inputs_is_said():
    s = sensitivity(dag(), "rto_basic", trials=2)
    assert not s.indices and not s.tornado
    assert any("fixed" in n for n in s.notes)


def test_unknown_metric_and_method():
    from drsim.errors import DrsimError

    with pytest.raises(DrsimError, match="did you mean 'rto_basic_s'"):
        sensitivity(dag(), "rto_basik", trials=1)
    with pytest.raises(DrsimError, match="morris or sobol"):
        sensitivity(dag(), "rto_basic", "fast", trials=1)
