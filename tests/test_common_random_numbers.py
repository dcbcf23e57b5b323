"""Common random numbers that hold (issue 13): every purpose of randomness has its own stream,
keyed by (root seed, trial, name) only, so a variant that changes one thing leaves every other
draw as it was (drsim/sim/streams.py; the rule is written out in docs/monte-carlo.md, "What
stays identical between paired trials").

Measured before this change (main at 77a5931, same scenarios, same seeds):
- FLEET, one technician vs two: 1 of 16 paired trials had identical per-unit failure
  timelines (all 8 units of the component drew ttf, ttr and spare lead times from one
  stream, in event order, so a repair finishing earlier reshuffled every later draw);
- AUTOMATED, one step automated: paired ÷ independent half-width 0.82 on rto_basic,
  customer-minutes and downtime, 0.27 on data lost (80 trials): the step's success draws
  shared its duration stream, so a fixed duration moved every later success verdict.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from conftest import parse

from drsim.analysis.compare import compare
from drsim.sim import component
from drsim.sim.engine import Drill
from drsim.sim.streams import Streams


def head(name: str, horizon: str) -> str:
    """A scenario's first lines: random failures from seed 5 over `horizon`."""
    return (f"drsim: 1\nname: {name}\nsimulation: {{start: \"2026-03-10T00:00\", timezone: UTC, "
            f"horizon: {horizon}, seed: 5, random_failures: true}}\n")


# One site's fleet of 8 servers (4 needed): frequent random failures, each repaired by the
# one technician (business hours, call-out at night) after a spare is taken. The variant
# adds a second technician: repairs start sooner, nothing else changes.
FLEET = head("fleet", "180d") + """sites:
  a:
    components:
      servers:
        count: 8
        needed: 4
        ttf: {exponential: {mean: 20d}}
        ttr: {lognormal: {median: 6h, p90: 1d}}
        repair_role: tech
        spare: {stock: 1, lead_time: {uniform: {low: 1d, high: 3d}}}
EXTRA_COMPONENTS
  b: {components: {servers: {count: 1}}}
EXTRA_SITES
links:
  ab: {a: a, b: b, latency: 5ms}
services:
  svc: {requires: [servers], active: [a], standby: {sites: [b], mode: warm}}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
staff:
  tech: {count: TECHS, shift: business_hours, callout: {uniform: {low: 30m, high: 2h}}}
"""


TRIALS = 16


def fleet(techs: int = 1, components: str = "", sites: str = "") -> str:
    return (FLEET.replace("TECHS", str(techs)).replace("EXTRA_COMPONENTS\n", components)
            .replace("EXTRA_SITES\n", sites))


@pytest.fixture
def unit_lives(monkeypatch):
    """lives(scenario, trial) → {(component, unit): [up-time before each random failure]}
    and {(component, unit): [instant of each random failure]}, read off the engine."""
    log: list[tuple[str, str, int, float]] = []
    fail, recover = component.ComponentActor.fail, component.ComponentActor.recover

    def spy_fail(self, unit, cause):
        if cause is None:  # a random failure (not a disruption's hit)
            log.append(("down", self.name, unit, self.env.now))
        fail(self, unit, cause)

    def spy_recover(self, unit, how):
        log.append(("up", self.name, unit, self.env.now))
        recover(self, unit, how)

    monkeypatch.setattr(component.ComponentActor, "fail", spy_fail)
    monkeypatch.setattr(component.ComponentActor, "recover", spy_recover)

    def lives(scenario, trial):
        log.clear()
        Drill(scenario, trial=trial).run()
        spans, instants, since = defaultdict(list), defaultdict(list), {}
        for kind, name, unit, t in log:
            if kind == "down":
                spans[name, unit].append(t - since.get((name, unit), 0.0))
                instants[name, unit].append(t)
            else:
                since[name, unit] = t
        return spans, instants

    return lives


def same_timeline(a: dict, b: dict) -> bool:
    """Every unit's up-times agree (to float rounding of the subtraction), as far as both
    runs go: a run whose repairs end later fits fewer failures into the horizon."""
    return all(len(a[k]) and len(b[k]) and all(
        abs(x - y) <= 1e-6 for x, y in zip(a[k], b[k], strict=False))
        for k in set(a) | set(b))


def test_a_staffing_variant_keeps_every_units_failure_timeline(unit_lives):
    base, more = parse(fleet(1)), parse(fleet(2))
    identical, moved, failures = 0, 0, 0
    for trial in range(TRIALS):
        a, a_at = unit_lives(base, trial)
        b, b_at = unit_lives(more, trial)
        failures += sum(len(v) for v in a.values())
        identical += same_timeline(a, b)
        # each unit's first failure is the same instant; a later one is the same up-time
        # after its repair, which the second technician may finish sooner: the instants
        # move by exactly the change in repair time, and that is the variant's effect
        assert {k: v[0] for k, v in a_at.items()} == {k: v[0] for k, v in b_at.items()}
        moved += a_at != b_at
    # 100% (it was 1 of 16 before each unit had its own streams); 180 days of 8 units failing
    # every 20 days on average is 72 failures less the time spent down: long timelines
    assert identical == TRIALS
    assert 50 < failures / TRIALS < 72
    # and not vacuously: the second technician does change when units come back
    assert moved >= TRIALS - 2


# Two sites, random outages of the primary a (repairs take 6 h to 2 d: the failover always
# finishes first). The failover's switch step succeeds 60% of attempts, with 2 retries; the
# variant automates it: a fixed 10 minutes instead of 20-40 minutes, nothing else changed.
AUTOMATED = """
drsim: 1
name: one-step
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 60d, seed: 9,
             random_failures: true}
sites:
  a:
    ttf: {exponential: {mean: 20d}}
    ttr: {uniform: {low: 6h, high: 2d}}
    components: {servers: {count: 2}}
  b: {components: {servers: {count: 2}}}
access_points:
  pop: {}
links:
  a-pop: {a: a, b: pop, latency: 2ms}
  b-pop: {a: b, b: pop, latency: 9ms}
services:
  svc:
    requires: [servers]
    active: [a]
    standby: {sites: [b], mode: warm}
    replication: {mode: async, to: b, lag: {uniform: {low: 5s, high: 2m}}}
customers:
  users: {count: 1000, access: pop, home: a, services: [svc]}
staff:
  ops: {count: 2, shift: business_hours, callout: {uniform: {low: 15m, high: 1h}}}
detection:
  interval: 1m
  failed_checks: 2
  page: ops
  ack_delay: {uniform: {low: 1m, high: 10m}}
  declare_delay: {uniform: {low: 5m, high: 20m}}
runbooks:
  failover:
    trigger: declared
    steps:
      - {id: prepare, duration: {uniform: {low: 10m, high: 30m}}, roles: [ops]}
      - {id: switch, after: [prepare], duration: SWITCH, roles: [ops], success: 60%,
         retries: 2, effects: [{activate: {service: svc, site: b}}, {move: {groups: all, to: b}}]}
  failback:
    trigger: {after: failover}
    steps:
      - {id: home, duration: 30m, roles: [ops], requires: {site_healthy: [a]},
         effects: [{move: {groups: all, to: home}}, {deactivate: {service: svc, site: b}}]}
objectives:
  - {id: rto, service: svc, rto: 2h}
  - {id: avail, group: users, availability: 99.8%}
"""


@pytest.fixture(scope="module")
def automated():
    base = parse(AUTOMATED.replace("SWITCH", "{uniform: {low: 20m, high: 40m}}"))
    fast = parse(AUTOMATED.replace("SWITCH", "10m"))
    return compare([base, fast], ["manual", "automated"], trials=60, workers=1)


@pytest.mark.parametrize("metric", ["rto_basic_s", "rto_full_s", "downtime_s",
                                    "customer_minutes_lost", "data_lost_s.svc"])
def test_a_one_step_change_keeps_the_paired_interval_under_a_fifth(automated, metric):
    row = automated.row(metric, "automated")
    # both variants vary from trial to trial (a failover that fails all 3 attempts waits
    # for the repair): an independent-runs interval is wide
    assert row.independent_half_width > 0
    # paired: every outage, page, declaration, other step and success verdict is the same
    # draw; what is left is the step's own change (was 0.82 on rto_basic, customer-minutes
    # and downtime, 0.27 on data lost before the streams were split)
    assert row.paired_half_width <= row.independent_half_width / 5


def test_data_lost_does_not_depend_on_the_step_at_all(automated):
    # the loss is the replica's lag at the failure instant, drawn from a stream keyed by that
    # instant: both variants meet the same outages, so every trial loses exactly the same
    lost = [r.frame["data_lost_s.svc"].to_numpy(dtype=float) for r in automated.runs]
    assert np.array_equal(lost[0], lost[1]) and lost[0].std() > 0
    assert automated.row("data_lost_s.svc", "automated").paired_half_width == 0


@pytest.mark.parametrize("metric", ["met.rto.rto", "met.avail.availability"])
def test_a_yes_no_metric_is_paired_as_tightly_as_any_pairing_can(automated, metric):
    # P(objective met) is yes/no, so a trial's difference is -1, 0 or +1. If the change
    # pushes a share q = p_b - p_a of trials across the target, no pairing whatever can make
    # the differences vary less than when none moves against the change: sd sqrt(q(1 - q)),
    # against sqrt(p_a(1 - p_a) + p_b(1 - p_b)) for independent runs. Their ratio is the
    # least the paired ÷ independent width can be: 0.80 for the RTO target here (q = 0.43)
    # and 0.32 for availability (q = 0.05), above 1/5 for a structural reason. What pairing
    # guarantees, and is tested: a faster step never turns a met objective into a missed
    # one, in any trial, so the ratio is that least value.
    yes = [r.frame[metric].astype(bool).to_numpy() for r in automated.runs]
    moved = yes[1].astype(int) - yes[0].astype(int)
    assert (moved >= 0).all() and 0 < moved.sum() < len(moved)
    q, pa, pb = moved.mean(), yes[0].mean(), yes[1].mean()
    least = np.sqrt(q * (1 - q) / (pa * (1 - pa) + pb * (1 - pb)))
    row = automated.row(metric, "automated")
    # the t quantiles differ a little (n - 1 degrees of freedom paired, Welch's unpaired)
    assert row.paired_half_width / row.independent_half_width == pytest.approx(least, rel=0.03)


def timeline_of(result, subjects):
    return [(e.time_s, e.kind, e.subject, e.detail) for e in result.timeline
            if e.subject.split(".")[0] in subjects]


def test_an_unrelated_element_leaves_every_existing_draw_identical():
    base = parse(fleet(1))
    extra = parse(fleet(1, components="      pumps: {count: 3, ttf: {exponential: {mean: 9d}}, "
                        "ttr: 2h}\n",
                        sites="  c: {components: {disks: {count: 4, ttf: {exponential: "
                              "{mean: 5d}}, ttr: 1h}}, ttf: {exponential: {mean: 30d}}, "
                              "ttr: 1h}\n"))
    for trial in range(3):
        a, b = Drill(base, trial=trial).run(), Drill(extra, trial=trial).run()
        mine = timeline_of(b, {"a", "b", "ab", "svc", "users", "tech#1"})
        assert timeline_of(a, {"a", "b", "ab", "svc", "users", "tech#1"}) == [
            e for e in mine if not e[2].startswith("a.pumps")]
        assert a.metrics.customer_minutes_lost == b.metrics.customer_minutes_lost
        assert any(e[2].startswith("a.pumps") for e in mine)  # the pumps did fail
        assert any(e.subject.startswith("c.disks") for e in b.timeline)


ORDERED = head("order", "120d") + """sites:
SITES
services:
  svc: {requires: [servers], active: [a]}
customers:
  users: {count: 100, access: a, home: a, services: [svc]}
"""
SITE_A = ("  a:\n    components:\n"
          "      servers: {count: 4, needed: 2, ttf: {exponential: {mean: 20d}}, ttr: 6h}\n"
          "      pumps: {count: 3, ttf: {exponential: {mean: 9d}}, ttr: 2h}\n")
SITE_B = "  b: {components: {servers: {count: 2, ttf: {exponential: {mean: 10d}}, ttr: 1h}}}\n"


def test_streams_do_not_depend_on_the_order_elements_are_listed_in(unit_lives):
    one = parse(ORDERED.replace("SITES\n", SITE_A + SITE_B))
    # the same scenario with its sites, and site a's components, written the other way round
    head, servers, pumps = (SITE_A[:SITE_A.index("      servers")],
                            SITE_A[SITE_A.index("      servers"):SITE_A.index("      pumps")],
                            SITE_A[SITE_A.index("      pumps"):])
    a_swapped = head + pumps + servers
    two = parse(ORDERED.replace("SITES\n", SITE_B + a_swapped))
    assert list(two.sites) == ["b", "a"] and list(two.sites["a"].components) == ["pumps",
                                                                                 "servers"]
    for trial in range(3):
        lives = unit_lives(one, trial)[1]
        assert len(lives) == 4 + 3 + 2  # every unit failed at least once
        assert unit_lives(two, trial)[1] == lives


def test_a_stream_depends_only_on_its_name_not_on_what_was_drawn_before():
    fresh = Streams(3, 4)("component:a.servers#2:ttf").random(3)
    busy = Streams(3, 4)
    for name in ("component:a.servers#1:ttf", "step:rb.s:duration", "staff:tech#1:callout"):
        busy(name).random(5)
    assert busy("component:a.servers#2:ttf").random(3).tolist() == fresh.tolist()
