"""compare() refuses scenarios of another estate (other sites and other customer groups)
unless told they are meant to differ; a strategy that only adds or drops a site, or a what-if
that only adds a customer group, is still a comparison of one estate."""

from __future__ import annotations

import pytest
from conftest import ROOT

import drsim
from drsim.analysis.compare import unrelated_scenarios

DRILL = ROOT / "scenarios" / "nyc-chicago-drill.yaml"
OTHER = """
drsim: 1
name: other
simulation: {start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}
sites: {a: {components: {box: {count: 1, ttr: 1h}}}}
services: {svc: {requires: [box], active: [a]}}
customers: {users: {count: 100, access: a, home: a, services: [svc]}}
"""


def test_same_sites_or_same_customers_is_one_estate():
    drill = drsim.load(DRILL)
    no_backup = drsim.load(ROOT / "scenarios" / "no-backup-site.yaml")  # no chi: sites differ
    assert unrelated_scenarios([drill, no_backup], ["drill", "no-backup"]) == ""
    renamed = drsim.parse_scenario(OTHER.replace("users:", "more:"))
    other = drsim.parse_scenario(OTHER)
    assert unrelated_scenarios([other, renamed], ["other", "renamed"]) == ""  # same sites


def test_other_sites_and_other_customers_is_refused_unless_unrelated():
    drill, other = drsim.load(DRILL), drsim.parse_scenario(OTHER)
    with pytest.raises(drsim.DrsimError) as refused:
        drsim.compare([other, drill], ["other", "drill"], trials=2, workers=1)
    assert str(refused.value) == (
        "drill is not a strategy for other's estate: sites differ (only in other: a; only in "
        "drill: chi, nyc), and customer groups differ (only in other: users; only in drill: "
        "consumer, enterprise, fax-legacy, smb-central and 1 more); pass unrelated=True to "
        "compare them anyway")
    cmp = drsim.compare([other, drill], ["other", "drill"], trials=2, workers=1,
                        metrics=["incidents"], unrelated=True)
    # 'other' never fails (no disruption, no random failures); the drill always has one
    assert list(cmp.frame.estimate) == [0, 1]


def test_the_first_unrelated_scenario_is_named_among_several():
    drill, other = drsim.load(DRILL), drsim.parse_scenario(OTHER)
    warm = drsim.load(ROOT / "scenarios" / "warm-standby.yaml")
    msg = unrelated_scenarios([drill, warm, other], ["drill", "warm", "other"])
    assert msg.startswith("other is not a strategy for drill's estate: ")
