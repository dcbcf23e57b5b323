"""The exact method (drsim.methods): scenario YAML → CTMC → answers, against closed forms.

Every expected value is a textbook formula written out here (arithmetic in the comments), or
one of drsim.analytic's closed forms (its own code, not the methods package); agreement is to
1e-9 relative.
"""

from __future__ import annotations

import math

import pytest

from drsim import analytic as an
from drsim.methods import exact, markov
from drsim.scenario import parse_scenario
from drsim.units import SECONDS_PER_YEAR

HOUR = 3600.0
REL = 1e-9


def head(horizon: str = "2000h") -> str:
    return ("drsim: 1\nname: exact\nsimulation: {start: \"2026-01-05T00:00\", timezone: UTC, "
            f"horizon: {horizon}, random_failures: true}}\n")


def exp(hours: float) -> str:
    return f"{{exponential: {{mean: {hours:g}h}}}}"


def one_site(component: str, extra: str = "", horizon: str = "2000h") -> str:
    return (head(horizon) + f"sites:\n  a:\n    components:\n      box: {component}\n"
            "services:\n  svc: {requires: [box], active: [a]}\n"
            "customers:\n  users: {count: 1, access: a, home: a, services: [svc]}\n" + extra)


def units(ttf: float, ttr: float, count: int = 1, needed: int | None = None,
          more: str = "") -> str:
    k = f", needed: {needed}" if needed else ""
    return f"{{count: {count}{k}, ttf: {exp(ttf)}, ttr: {exp(ttr)}{more}}}"


def solve(text: str) -> exact.ExactResult:
    return exact.solve(markov.build(parse_scenario(text)))


def rates(ttf: float, ttr: float) -> tuple[float, float]:
    return 1 / (ttf * HOUR), 1 / (ttr * HOUR)


def test_single_unit():
    # λ = 1/10h, μ = 1/20h: U = λ/(λ+μ) = 0.1/0.15 = 2/3; MTTF = 10 h; failures per hour in
    # steady state = π_up λ = (1/3)(0.1) = 1/30, × 8760 h = 292 a year
    r = solve(one_site(units(10, 20)))
    lam, mu = rates(10, 20)
    g = r.groups[0]
    assert g.steady_unavailability == pytest.approx(2 / 3, rel=REL)
    assert g.mttf_s == pytest.approx(10 * HOUR, rel=REL)
    assert g.outages_per_year == pytest.approx(8760 / 30, rel=REL)
    assert g.downtime_per_year_s == pytest.approx(2 / 3 * SECONDS_PER_YEAR, rel=REL)
    # over 2000 h from up: 1 − (μ/(λ+μ) + λ/((λ+μ)²T)(1 − e^{−(λ+μ)T}))
    assert g.unavailability == pytest.approx(
        1 - an.mean_availability(lam, mu, 2000 * HOUR), rel=REL)
    # expected outages within the horizon = λ ∫₀ᵀ A(t) dt = λ T × mean availability
    assert g.expected_outages == pytest.approx(
        lam * 2000 * HOUR * an.mean_availability(lam, mu, 2000 * HOUR), rel=REL)
    assert r.residual < 1e-12
    assert r.precision == "exact for the Markov model: 2 states, solver residual below 1e-15"


def test_series_site_link_component():
    # site (20 h, 10 h), link (15 h, 5 h), component (10 h, 10 h), independent, in series:
    # A = (2/3)(3/4)(1/2) = 1/4, so U = 3/4; MTTF = 1/(λ₁+λ₂+λ₃) = 1/(1/20+1/15+1/10) h = 60/13 h
    text = (head() + f"sites:\n  a:\n    ttf: {exp(20)}\n    ttr: {exp(10)}\n"
            f"    components:\n      box: {units(10, 10)}\n"
            "access_points:\n  pop: {}\n"
            f"links:\n  pop-a: {{a: pop, b: a, ttf: {exp(15)}, ttr: {exp(5)}}}\n"
            "services:\n  svc: {requires: [box], active: [a]}\n"
            "customers:\n  users: {count: 1, access: pop, home: a, services: [svc]}\n")
    r = solve(text)
    g = r.groups[0]
    assert r.states == 8
    assert g.steady_unavailability == pytest.approx(3 / 4, rel=REL)
    assert g.mttf_s == pytest.approx(60 / 13 * HOUR, rel=REL)
    assert g.unavailability == pytest.approx(1 - an.series_mean_availability(
        [rates(20, 10), rates(15, 5), rates(10, 10)], 2000 * HOUR), rel=REL)


def test_parallel_independent_repair():
    # 1-of-2, λ = 1/10h, μ = 1/20h, each unit its own repair: U = (λ/(λ+μ))² = 4/9;
    # MTTFF = (3λ+μ)/(2λ²) = (0.3+0.05)/(0.02) h = 17.5 h
    r = solve(one_site(units(10, 20, 2, 1)))
    g = r.groups[0]
    assert g.steady_unavailability == pytest.approx(4 / 9, rel=REL)
    assert g.mttf_s == pytest.approx(17.5 * HOUR, rel=REL)
    # steady failure frequency: π₁ λ with π₁ = 2 (1/3)(2/3) = 4/9: 4/90 per hour
    assert g.outages_per_year == pytest.approx(4 / 90 * 8760, rel=REL)


def test_parallel_shared_crew():
    # one repair crew: birth–death 0→1 2λ, 1→2 λ, 2→1 μ, 1→0 μ. With λ = 0.1, μ = 0.05 per h:
    # U = 2λ²/(μ² + 2λμ + 2λ²) = 0.02/(0.0025 + 0.01 + 0.02) = 0.02/0.0325 = 8/13
    crew = "staff:\n  crew: {count: 1}\n"
    r = solve(one_site(units(10, 20, 2, 1, ", repair_role: crew"), crew))
    g = r.groups[0]
    assert g.steady_unavailability == pytest.approx(8 / 13, rel=REL)
    assert g.steady_unavailability == pytest.approx(
        an.parallel2_shared_crew_unavailability(*rates(10, 20)), rel=REL)
    # before the first system failure only one unit is ever in repair: the same 17.5 h
    assert g.mttf_s == pytest.approx(17.5 * HOUR, rel=REL)
    # π₁ = (2λ/μ) π₀ = 4 π₀, π₀ = μ²/0.0325 = 0.0025/0.0325 = 1/13: frequency π₁ λ = 0.4/13 /h
    assert g.outages_per_year == pytest.approx(0.4 / 13 * 8760, rel=REL)
    # two crews are independent repair again: (2/3)² = 4/9
    two = solve(one_site(units(10, 20, 2, 1, ", repair_role: crew"),
                         "staff:\n  crew: {count: 2}\n"))
    assert two.groups[0].steady_unavailability == pytest.approx(4 / 9, rel=REL)


def test_k_of_n():
    # 2-of-4, q = λ/(λ+μ) = 0.1/(0.1+1/15) = 0.6 down each: U = P(3 or 4 down)
    # = 4·0.6³·0.4 + 0.6⁴ = 0.3456 + 0.1296 = 0.4752
    r = solve(one_site(units(10, 15, 4, 2)))
    assert r.groups[0].steady_unavailability == pytest.approx(0.4752, rel=REL)
    assert r.groups[0].steady_unavailability == pytest.approx(
        1 - an.k_of_n_availability(4, 2, 0.4), rel=REL)
    assert r.groups[0].unavailability == pytest.approx(
        1 - an.k_of_n_mean_availability(4, 2, *rates(10, 15), 2000 * HOUR), rel=1e-8)


def test_cold_standby_instant_imperfect_switchover():
    # one active, one cold standby, switchover instant with success c = 0.8, each unit its
    # own repair (λ = 0.1, μ = 0.1 per h). States 0 (active + standby), 1 (one in repair),
    # 2 (both in repair): 0→1 cλ, 0→2 (1−c)λ, 1→0 μ, 1→2 λ, 2→1 2μ.
    # Cuts: π₀ λ = π₁ μ → π₁ = π₀; π₀(1−c)λ + π₁λ = π₂ 2μ → π₂ = (0.02 + 0.1)/0.2 π₀ = 0.6 π₀
    # U = π₂ = 0.6 / (1 + 1 + 0.6) = 0.6/2.6 = 3/13
    r = solve(one_site(units(10, 10, 2, None, ", standby: {units: 1, success: 0.8}")))
    assert r.states == 3
    assert r.groups[0].steady_unavailability == pytest.approx(3 / 13, rel=REL)


def test_cold_standby_exponential_switchover():
    # the same with an exponential switchover (mean 2 h, σ = 0.5/h) and c = 0.8: drsim.analytic's
    # own 4-state chain (0→1 λ, 1→2 cσ, 1→3 (1−c)σ, 1→0 μ, 2→0 μ, 2→3 λ, 3→2 2μ)
    lam, mu = rates(10, 10)
    r = solve(one_site(units(10, 10, 2, None, ", standby: {units: 1, success: 0.8, "
                                              f"switchover: {exp(2)}}}")))
    chain = an.standby_units_chain(lam, mu, 0.8, 1 / (2 * HOUR))
    assert r.states == 4
    assert r.groups[0].steady_unavailability == pytest.approx(chain.steady_unavailability(),
                                                              rel=REL)
    assert r.groups[0].mttf_s == pytest.approx(chain.mean_time_to_failure(), rel=REL)
    assert r.groups[0].unavailability == pytest.approx(
        chain.mean_unavailability(2000 * HOUR), rel=1e-8)


def test_warm_standby_ages_while_idle():
    # warm at half speed, instant switchover that always works, λ = 0.1, μ = 0.05 per h:
    # 0→1 (1 + ½)λ = 0.15, 1→2 λ = 0.1, 2→1 2μ = 0.1, 1→0 μ = 0.05.
    # π₁ = 3 π₀, π₂ = π₁ = 3 π₀: U = 3/7
    r = solve(one_site(units(10, 20, 2, None, ", standby: {units: 1, mode: warm, rate: 0.5}")))
    assert r.groups[0].steady_unavailability == pytest.approx(3 / 7, rel=REL)


def test_two_sites_active_passive_instant_failover():
    # service active at main and backup; the group's home is main, so it is served at main
    # and, while main (or its link) is down, at backup: two paths (site + link in series),
    # in parallel. main (4 h, 1 h): A = 0.8; link pop-main (20 h, 5 h): 0.8;
    # backup (9 h, 1 h): 0.9; pop-backup (19 h, 1 h): 0.95.
    # U = (1 − 0.8·0.8)(1 − 0.9·0.95) = 0.36 · 0.145 = 0.0522
    text = (head() + f"sites:\n  main: {{ttf: {exp(4)}, ttr: {exp(1)}}}\n"
            f"  backup: {{ttf: {exp(9)}, ttr: {exp(1)}}}\n"
            "access_points:\n  pop: {}\n"
            f"links:\n  pop-main: {{a: pop, b: main, ttf: {exp(20)}, ttr: {exp(5)}}}\n"
            f"  pop-backup: {{a: pop, b: backup, ttf: {exp(19)}, ttr: {exp(1)}}}\n"
            "services:\n  svc: {active: [main, backup]}\n"
            "customers:\n  users: {count: 1, access: pop, home: main, services: [svc]}\n")
    r = solve(text)
    assert r.states == 16
    assert r.groups[0].steady_unavailability == pytest.approx(0.0522, rel=REL)


def test_groups_are_answered_separately_and_weighted_by_customers():
    # two sites, each one group's home, each failing on its own (1 h down per 9 h up: 0.1)
    # plus a shared link-free access: group east (30 customers) only at east (U = 0.1),
    # group west (10) at west or east (U = 0.1 · 0.1 = 0.01). Weighted:
    # (30·0.1 + 10·0.01)/40 = 3.1/40 = 0.0775
    text = (head() + f"sites:\n  east: {{ttf: {exp(9)}, ttr: {exp(1)}}}\n"
            f"  west: {{ttf: {exp(9)}, ttr: {exp(1)}}}\n"
            "links:\n  ew: {a: east, b: west}\n"
            "services:\n  local: {active: [east]}\n  global: {active: [west, east]}\n"
            "customers:\n  e: {count: 30, access: east, home: east, services: [local]}\n"
            "  w: {count: 10, access: west, home: west, services: [global]}\n")
    r = solve(text)
    by = {g.group: g for g in r.groups}
    assert by["e"].steady_unavailability == pytest.approx(0.1, rel=REL)
    # west's customers enter at west: when west is down they cannot reach east either
    assert by["w"].steady_unavailability == pytest.approx(0.1, rel=REL)
    assert r.steady_unavailability == pytest.approx(0.1, rel=REL)


def test_rare_unavailability_keeps_full_relative_precision():
    # 1-of-3, λ = 1e-4/h, μ = 1/h: U = (λ/(λ+μ))³ = (1e-4/1.0001)³ ≈ 1e-12
    r = solve(one_site(units(10_000, 1, 3, 1), horizon="1y"))
    q = 1e-4 / (1 + 1e-4)
    assert r.groups[0].steady_unavailability == pytest.approx(q**3, rel=REL)


@pytest.mark.parametrize(("extra", "expected"), [
    ("ttr: {lognormal: {median: 1h, p90: 3h}}",
     "sites.a.components.box.ttr: repair is lognormal(mean"),
    ("ttr: 4h", "sites.a.components.box.ttr: repair is fixed at 4h 00m; the exact method "
                "needs exponential"),
])
def test_non_markovian_repair_is_refused_naming_the_element(extra, expected):
    text = one_site(f"{{ttf: {exp(10)}, {extra}}}")
    with pytest.raises(markov.NotMarkovian) as err:
        markov.build(parse_scenario(text))
    assert str(err.value).startswith(expected)
    assert "--method des" in str(err.value)


def test_runbooks_and_spares_are_refused_one_line_each():
    text = one_site(units(10, 20, 1, None, ", spare: {stock: 1, lead_time: 1d}"),
                    "runbooks:\n  fix:\n    steps:\n      - {id: s, duration: 1h}\n")
    with pytest.raises(markov.NotMarkovian) as err:
        markov.build(parse_scenario(text))
    reasons = err.value.reasons
    assert reasons[0].startswith("runbooks.fix: runbook steps wait for detection")
    assert reasons[1].startswith("sites.a.components.box.spare: ")
    assert len(reasons) == 2 and str(err.value).splitlines() == reasons  # every one, a line each


def test_fixed_failures_are_refused():
    text = one_site(units(10, 20)).replace("random_failures: true", "random_failures: false")
    with pytest.raises(markov.NotMarkovian, match="random_failures: false"):
        markov.build(parse_scenario(text))


def test_unused_components_are_left_out_and_gth_matches_a_dense_solve():
    # a component nobody requires adds no state (it cannot change any answer)
    text = one_site(units(10, 20)).replace(
        "      box:", f"      spare_box: {units(1, 1, 5, 1)}\n      box:")
    model = markov.build(parse_scenario(text))
    assert model.size == 2
    assert [b.element for b in model.blocks] == ["components.a.box"]
    assert math.isclose(exact.gth(model.q.toarray())[1], 2 / 3, rel_tol=REL)


def test_the_chain_means_what_the_simulator_does():
    """The exact answer is the expectation of what DES measures (its time average over the
    horizon from all up), on a scenario mixing every Markovian feature: two sites and links,
    k-of-n with one repair crew, a cold standby unit with an exponential switchover, and two
    groups (one served at either site). 30 DES trials; each group's mean must lie within
    4 standard errors of the exact value (seeded: z = −0.8 and −0.1)."""
    from drsim.montecarlo import run_trials

    standby = f", standby: {{units: 1, success: 0.7, switchover: {exp(1)}}}"
    text = (head("300h")
            + f"sites:\n  main:\n    ttf: {exp(100)}\n    ttr: {exp(4)}\n    components:\n"
            + f"      db: {units(30, 5, 3, 2, ', repair_role: crew')}\n"
            + f"      fw: {units(25, 4, 2, None, standby)}\n"
            + f"  backup:\n    ttf: {exp(60)}\n    ttr: {exp(6)}\n"
            + "    components:\n      fw: {count: 1}\n"
            + "access_points:\n  pop: {}\n"
            + f"links:\n  pop-main: {{a: pop, b: main, ttf: {exp(150)}, ttr: {exp(2)}}}\n"
            + "  pop-backup: {a: pop, b: backup}\n"
            + "services:\n  app: {requires: [db, fw], active: [main]}\n"
            + "  web: {requires: [fw], active: [main, backup]}\n"
            + "staff:\n  crew: {count: 1}\n"
            + "customers:\n  shop: {count: 3, access: pop, home: main, services: [app]}\n"
            + "  blog: {count: 1, access: pop, home: main, services: [web]}\n")
    sc = parse_scenario(text)
    r = exact.solve(markov.build(sc))
    frame = run_trials(sc, trials=30, seed=5, workers=1).frame
    for g in r.groups:
        x = frame[f"downtime_s.{g.group}"] / r.horizon_s
        se = float(x.std(ddof=1)) / math.sqrt(len(x))
        assert abs(float(x.mean()) - g.unavailability) < 4 * se, g.group


def test_a_group_that_never_loses_service():
    # the site's one component never fails (no ttf); a second group lives on a failing pod
    # at a site nobody else needs: only that group has outages (λ = 1/10h, μ = 1/10h: U = ½)
    text = (head() + "sites:\n  a:\n    components:\n      box: {count: 1}\n"
            f"      pod: {units(10, 10)}\n"
            "services:\n  svc: {requires: [box], active: [a]}\n"
            "customers:\n  calm: {count: 1, access: a, home: a, services: [svc]}\n"
            "  pinned: {count: 1, access: a, home: a, services: [svc], requires: [pod]}\n")
    r = solve(text)
    by = {g.group: g for g in r.groups}
    assert math.isinf(by["calm"].mttf_s) and by["calm"].steady_unavailability == 0
    assert by["calm"].outages_per_year == 0
    assert by["pinned"].steady_unavailability == pytest.approx(0.5, rel=REL)
    assert by["pinned"].mttf_s == pytest.approx(10 * HOUR, rel=REL)
    assert r.to_dict()["groups"][0]["mttf_s"] is None  # JSON has no infinity: null
