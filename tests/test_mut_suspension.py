"""Failure suspension, simulated: who is frozen, when, and the reason given.

Fixed times to failure with `random_failures: true` make the drill deterministic: a unit
fails after `ttf` of *ageing* (time not suspended since its last repair) and is back `ttr`
later. Times are hours since the start.
"""

from __future__ import annotations

from conftest import parse

from drsim.sim.engine import simulate

H = 3600.0

SCENARIO = """
drsim: 1
name: suspension
simulation: {start: "2026-03-10T00:00", timezone: UTC, horizon: 30h, random_failures: true}
sites:
  s: {components: {a: {ttf: 10h, ttr: 2h}, b: {ttf: 15h, ttr: 1h}}}
  t: {components: {a: {ttf: 10h, ttr: 2h}, b: {ttf: 15h, ttr: 1h}}}
services:
  svc:
    requires: [a, b]
    active: [s]
    standby: {sites: [t], mode: cold}
    suspend_failures: true
  edge: {requires: [b], active: [s], suspend_failures: true}
customers:
  users: {count: 1, access: s, home: s, services: [svc, edge]}
"""


def events(result, kind):
    return [(e.time_s / H, e.subject, e.detail) for e in result.timeline if e.kind == kind]


def test_each_service_down_is_named_and_a_standby_site_ages_on():
    r = simulate(parse(SCENARIO))
    # s.a fails at 10h (up 12h): svc is down, edge (b only) is up; every unit svc requires at
    # s is frozen 10–12h (the failed one too). s.b, 10h of 15h used, fails 12h + 5h = 17h
    # (up 18h), taking svc and edge down: both frozen 17–18h; s.a (5h used since 12h) fails
    # 18h + 5h = 23h (up 25h), freezing both again. Nothing runs at t (a cold standby): it is
    # not down there, so t's units age freely: t.a fails 10h and 22h, t.b at 15h.
    paused = [(10, "s.a", "svc@s down"), (10, "s.b", "svc@s down"),
              (17, "s.a", "svc@s down"), (17, "s.b", "edge@s down, svc@s down"),
              (23, "s.a", "svc@s down"), (23, "s.b", "svc@s down")]
    assert events(r, "ageing_paused") == paused
    assert events(r, "ageing_resumed") == [(t + (2 if t != 17 else 1), who,
                                            "services needing it are up")
                                           for t, who, _ in paused]
    assert [(t, who) for t, who, _ in events(r, "component_down")] == [
        (10, "s.a"), (10, "t.a"), (15, "t.b"), (17, "s.b"), (22, "t.a"), (23, "s.a")]
