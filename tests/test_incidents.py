"""Every public-incident scenario in scenarios/incidents/: it names its public source and what
it models, validates, runs reproducibly, loses service for someone, and has real uncertainty
(a pre-incident model is a distribution, not a single value).

Each scenario's own mechanism is checked against its timeline in the mechanism's test file;
this file holds the checks every incident scenario must pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

INCIDENTS = sorted((ROOT / "scenarios" / "incidents").glob("*.yaml"))


def test_at_least_six_public_incidents_are_modelled():
    assert len(INCIDENTS) >= 6


def header(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines[: next(i for i, x in enumerate(lines)
                                                     if not x.startswith("#"))])


@pytest.mark.parametrize("path", INCIDENTS, ids=lambda p: p.stem)
def test_names_its_public_source_and_what_it_leaves_out(path):
    text = header(path)
    assert re.search(r"^# (Public )?sources?:", text, re.I | re.M), "no '# Source:' line"
    assert re.search(r"\d{4}", text), "the source names no date"
    assert re.search(r"left out|leaves out|not modelled", text, re.I), \
        "the header does not say what the model leaves out"
    assert load_scenario(path).description


@pytest.mark.parametrize("path", INCIDENTS, ids=lambda p: p.stem)
def test_runs_reproducibly_with_an_outage_and_a_spread(path):
    sc = load_scenario(path)
    first, again = simulate(sc), simulate(sc)
    assert first.to_dict() == again.to_dict()
    assert first.incidents, "nobody lost service"
    lost = {round(simulate(sc, trial=i).metrics.customer_minutes_lost) for i in range(12)}
    assert len(lost) > 3, f"customer-minutes lost hardly vary over 12 trials: {sorted(lost)}"
