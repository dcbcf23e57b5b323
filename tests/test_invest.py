"""drsim invest: figures checked by hand on a small deterministic case; missing costs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import typer
from conftest import ROOT, parse
from typer.testing import CliRunner

from drsim.analysis.invest import (
    MissingCosts,
    invest,
    missing_costs,
    ownership,
    pareto_flags,
    payback,
)
from drsim.cli.invest import invest as invest_cmd
from drsim.errors import ScenarioError

# One site 'a' whose box is down from 1h to 1h + OUTAGE (fixed, so every trial is the same),
# 100 customers of tier 1 at 2.0 per customer-minute, 50 of tier 2 at 0.5. Horizon 1 day,
# disruptions_per_year 4: annual loss = loss per trial × 4.
BASE = """\
drsim: 1
name: {name}
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 3}}
sites:
  a: {{components: {{box: {{count: 1, ttr: 1h, spare: {{stock: {stock}, lead_time: 1h}}}}}}}}
  b: {{}}
links:
  ab: {{a: a, b: b}}
services: {{svc: {{requires: [box], active: [a]}}}}
customers:
  gold: {{count: 100, access: a, home: a, services: [svc], priority: 1}}
  bronze: {{count: 50, access: a, home: a, services: [svc], priority: 2}}
staff: {{ops: {{count: {heads}}}}}
disruptions:
  - {{id: cut, at: 1h, targets: [{{component: a.box}}], duration: {outage}}}
costs:
  currency: EUR
  sites: {{a: {{capital: 1000, operating: 100}}, b: {{capital: {b_cap}, operating: {b_op}}}}}
  links: {{ab: {{capital: 10, operating: 5}}}}
  staff: {{ops: {{operating: 50}}}}
  spares: {{a.box: {{capital: 7, operating: 1}}}}
  downtime: {{1: 2.0, 2: 0.5}}
  disruptions_per_year: 4
"""


def scenario(name: str, outage: str, b_cap: float, b_op: float, heads: int = 1,
             stock: int = 0):
    return parse(BASE.format(name=name, outage=outage, b_cap=b_cap, b_op=b_op, heads=heads,
                             stock=stock))


def test_ownership_by_hand():
    sc = scenario("x", "30m", b_cap=200, b_op=20, heads=3, stock=2)
    own = ownership(sc)
    # capital: a 1000 + b 200 + link 10 + ops 3 × 0 + spares 2 × 7 = 1224
    # operating: a 100 + b 20 + link 5 + ops 3 × 50 + spares 2 × 1 = 277 per year
    assert own.capital == 1224
    assert own.operating == 277
    assert own.tco(5) == 1224 + 5 * 277


def test_invest_figures_by_hand():
    base = scenario("base", "60m", b_cap=0, b_op=0)
    better = scenario("better", "15m", b_cap=300, b_op=40)
    inv = invest(base, [better], years=5, trials=4, workers=1, labels=["base", "better"])
    b, o = inv.baseline, inv.option("better")
    # baseline loss per trial: 60 min × (100 × 2.0 + 50 × 0.5) = 60 × 225 = 13,500;
    # × 4 disruptions a year = 54,000 per year (no data loss: no replication).
    assert b.annual_loss.value == pytest.approx(54_000)
    assert b.annual_loss.low == pytest.approx(54_000)  # deterministic: zero width
    # option: 15 × 225 = 3,375 per trial, 13,500 per year; avoided 40,500 per year
    assert o.annual_loss.value == pytest.approx(13_500)
    assert o.avoided_loss.value == pytest.approx(40_500)
    assert o.avoided_loss.high == pytest.approx(40_500)
    assert o.paired_trials == 4
    # TCO 5 y: base capital 1010, operating 155/y → 1010 + 775 = 1785;
    # option capital 1310, operating 195/y → 1310 + 975 = 2285; investment 500
    assert b.tco == pytest.approx(1785)
    assert o.tco == pytest.approx(2285)
    assert o.investment == pytest.approx(500)
    assert (o.extra_capital, o.extra_operating) == (300, 40)
    # net benefit = 5 × 40,500 − 500 = 202,000; ROI = 202,000 / 500 = 404
    assert o.net_benefit.value == pytest.approx(202_000)
    assert o.roi.value == pytest.approx(404)
    # payback = 300 / (40,500 − 40) years
    assert o.payback_years.value == pytest.approx(300 / 40_460)
    # downtime per year: base 4 × 60 min, option 4 × 15 min; the option costs more and loses
    # less: both are on the frontier
    assert b.annual_downtime_s.value == pytest.approx(4 * 3600)
    assert inv.frontier == ["base", "better"]
    assert inv.currency == "EUR"


def test_dominated_option_is_off_the_frontier_and_never_pays_back():
    base = scenario("base", "15m", b_cap=0, b_op=0)
    worse = scenario("worse", "60m", b_cap=300, b_op=40)
    inv = invest(base, [worse], years=2, trials=2, workers=1, labels=["base", "worse"])
    o = inv.option("worse")
    assert o.avoided_loss.value == pytest.approx(-40_500)
    assert o.payback_years.value == math.inf
    assert inv.frontier == ["base"]


def test_pareto_and_payback_helpers():
    assert pareto_flags([(1, 5), (2, 3), (3, 3), (2, 6)]) == [True, True, False, False]
    assert payback(100, 10, 60) == pytest.approx(2.0)
    assert payback(100, 10, 10) == math.inf
    assert payback(-5, 0, 10) == 0.0


def test_missing_costs_named_and_exit_2(write_scenario):
    text = BASE.split("costs:")[0].format(name="n", outage="1h", b_cap=0, b_op=0, heads=1,
                                          stock=0)
    sc = parse(text)
    (gap,) = missing_costs(sc)
    assert "costs section" in gap and "costs.downtime" in gap and "tiers 1, 2" in gap
    with pytest.raises(MissingCosts, match="invest needs costs"):
        invest(sc, [sc], trials=2, workers=1)
    path = write_scenario(text, "nocosts.yaml")
    app = typer.Typer()
    app.command()(invest_cmd)
    res = CliRunner().invoke(app, [str(path), "--option",
                                   str(path), "--trials", "2"])
    assert res.exit_code == 2
    assert "nocosts.yaml: invest needs costs" in res.output  # same stem twice: full paths
    assert "costs.downtime" in res.output


def test_cross_reference_checks_of_costs():
    text = BASE.format(name="x", outage="1h", b_cap=0, b_op=0, heads=1, stock=0)
    text = text.replace("ab: {capital", "abx: {capital").replace("ops: {operating",
                                                                 "opz: {operating")
    text = text.replace("a.box:", "a.bxo:").replace("{1: 2.0, 2: 0.5}", "{1: 2.0}")
    with pytest.raises(ScenarioError) as e:
        parse(text)
    msgs = [str(i) for i in e.value.issues]
    assert any("costs.links.abx: unknown link 'abx'" in m and "did you mean 'ab'" in m
               for m in msgs)
    assert any("costs.staff.opz: unknown staff role 'opz'" in m for m in msgs)
    assert any("unknown component 'bxo' at site 'a'" in m and "'box'" in m for m in msgs)
    assert any("'bronze' has priority 2" in m and "add 2:" in m for m in msgs)
    assert all(m.startswith("<test>:") for m in msgs)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "options").glob("*.yaml"))
                         + sorted((ROOT / "scenarios" / "costed").glob("*.yaml")))
def test_costed_example_scenarios_validate(path):
    from drsim.scenario import load_scenario

    assert not missing_costs(load_scenario(path))


def test_option_glob_expands_into_several_options():
    # `--option scenarios/options/*.yaml` reaches drsim as --option a.yaml b.yaml c.yaml
    from typer.testing import CliRunner

    from drsim.cli import app

    root = Path(__file__).resolve().parent.parent / "scenarios"
    options = sorted(str(p) for p in (root / "options").glob("*.yaml"))
    res = CliRunner().invoke(app, ["invest", str(root / "costed" / "cold-standby.yaml"),
                                   "--option", *options, "--trials", "2", "--workers", "1"],
                             env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    for name in ("active-active", "hot-standby", "warm-standby"):
        assert name in res.output
