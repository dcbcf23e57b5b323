"""A hot standby's automatic takeover in the exact method (drsim.methods.markov, --approximate):
the chain against its hand-derived closed form, and against DES.

**The scenario.** Service `svc` active at site a, hot standby at b; customers enter at an
access point linked to both, home a. a fails at rate λ_A and is repaired at μ_A, b at λ_B, μ_B
(exponential). When a fails, monitoring checks every I and alerts on the k-th failing check:
a delay U(0, I] + (k − 1)I, mean D = (k − ½)I. Then the takeover: switchover exponential at σ
(or instant), success p. b serves while a is down and b is up; customers go back to a as soon
as a is repaired, and the standby stands down.

**The approximating chain.** Detection becomes an Erlang of n = 3(2k − 1)² phases, each at
rate δ = n/D (mean D and the true variance I²/12). States of (a, mode): U (a up, standing by),
D₁…Dₙ (a down, detecting), S (switching), O (taken over), F (takeover failed). Every mode
but U needs a down, and a's repair (μ_A) returns every one of them to U. The mode never looks
at b (a switchover completes whatever b's state), so (a, mode) is a chain of its own and b is
independent of it. Balance equations, with π_U = μ_A/(λ_A + μ_A):

    π_D1 (δ + μ_A) = λ_A π_U                      →  π_D1 = λ_A π_U / (δ + μ_A)
    π_Di (δ + μ_A) = δ π_D(i−1)                   →  π_Di = π_D1 r^(i−1),  r = δ/(δ + μ_A)
    π_S (σ + μ_A) = δ π_Dn = λ_A π_U r^n          →  π_S = λ_A π_U r^n / (σ + μ_A)
    π_O μ_A = p σ π_S                             →  π_O = p σ λ_A π_U r^n / (μ_A (σ + μ_A))

(check: Σ D_i + S + O + F = λ_A π_U / μ_A = P(a down).) Customers are down except in U, and
in O while b is up (probability A_B = μ_B/(λ_B + μ_B), independent), so

    U = λ_A/(λ_A + μ_A) − π_O A_B
      = λ_A/(λ_A + μ_A) · (1 − p · σ/(σ + μ_A) · (δ/(δ + μ_A))ⁿ · A_B)

with σ/(σ + μ_A) = 1 for an instant switchover. Outages begin when a fails (from U, rate λ_A)
or when b fails while serving (from O with b up, rate λ_B):
f = λ_A π_U + λ_B π_O A_B per unit time; the first outage from all up comes with a's first
failure: MTTF = 1/λ_A.

**The true delay.** The same argument holds for any detection delay distribution: the only
thing the chain uses of it is E[e^{−μ_A D}], the chance a is still down when the alert comes
(r^n above). For the real delay U(0, I] + (k − 1)I it is
e^{−μ_A (k−1) I} (1 − e^{−μ_A I}) / (μ_A I), so the approximation's error is exactly the
difference of the two transforms at μ_A.
"""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from drsim.cli import app
from drsim.methods import exact, markov, rare
from drsim.montecarlo import run_trials
from drsim.scenario import parse_scenario
from drsim.units import SECONDS_PER_YEAR

HOUR = 3600.0
REL = 1e-9
runner = CliRunner()


def exp(mean: str) -> str:
    return f"{{exponential: {{mean: {mean}}}}}"


def two_sites(a: tuple[str, str], b: tuple[str, str] | None, interval: str, checks: int,
              switchover: str | None, success: float, horizon: str = "1y",
              more: str = "") -> str:
    b_site = f"{{ttf: {exp(b[0])}, ttr: {exp(b[1])}}}" if b else "{}"
    switch = "" if switchover is None else (
        ", switchover: 0s" if switchover == "0s" else f", switchover: {exp(switchover)}")
    return ("drsim: 1\nname: two sites\nsimulation: {start: \"2026-01-05T00:00\", timezone: "
            f"UTC, horizon: {horizon}, seed: 1, random_failures: true}}\n"
            f"sites:\n  a: {{ttf: {exp(a[0])}, ttr: {exp(a[1])}}}\n  b: {b_site}\n"
            "access_points:\n  pop: {}\n"
            "links:\n  pop-a: {a: pop, b: a}\n  pop-b: {a: pop, b: b}\n"
            f"detection: {{interval: {interval}, failed_checks: {checks}}}\n"
            f"services:\n  svc: {{active: [a], standby: {{sites: [b], mode: hot{switch}, "
            f"success: {success}}}}}\n"
            "customers:\n  users: {count: 1, access: pop, home: a, services: [svc]}\n" + more)


def closed_form(lam_a: float, mu_a: float, avail_b: float, delay: float, n: int,
                sigma: float | None, p: float) -> float:
    """U of the module docstring (rates per second)."""
    r_n = (n / delay / (n / delay + mu_a)) ** n
    switch = 1.0 if sigma is None else sigma / (sigma + mu_a)
    return lam_a / (lam_a + mu_a) * (1 - p * switch * r_n * avail_b)


@pytest.mark.parametrize(("checks", "phases", "switchover", "sigma_h"), [
    (2, 27, "1h", 1.0),  # k = 2: n = 3·3² = 27; D = 1.5·30 min = 45 min; σ = 1/h
    (1, 3, "0s", None),  # k = 1: n = 3·1² = 3; D = 15 min; instant switchover
    (3, 75, None, None),  # k = 3: n = 3·5² = 75; D = 75 min; no switchover given: instant
])
def test_two_site_active_passive_matches_the_closed_form(checks, phases, switchover, sigma_h):
    # a: ttf 10 h, ttr 2 h (λ_A = 0.1/h, μ_A = 0.5/h); b: ttf 20 h, ttr 5 h (A_B = 0.2/0.25
    # = 0.8); checks every 30 min; p = 0.8. E.g. k = 2: δ = 27/0.75 h = 36/h,
    # r^27 = (36/36.5)^27 = 0.68907, σ/(σ+μ_A) = 1/1.5: U = (0.1/0.6)(1 − 0.8·(2/3)·0.68907·0.8)
    # = 0.16667 · 0.70600 = 0.11767
    text = two_sites(("10h", "2h"), ("20h", "5h"), "30m", checks, switchover, 0.8)
    model = markov.build(parse_scenario(text), approximate=True)
    r = exact.solve(model)
    lam_a, mu_a, lam_b, mu_b = 0.1 / HOUR, 0.5 / HOUR, 0.05 / HOUR, 0.2 / HOUR
    avail_b = mu_b / (lam_b + mu_b)
    delay = (checks - 0.5) * 30 * 60
    sigma = None if sigma_h is None else sigma_h / HOUR
    u = closed_form(lam_a, mu_a, avail_b, delay, phases, sigma, 0.8)
    if checks == 2:
        assert u == pytest.approx(0.11767, abs=1e-5)  # the arithmetic in the comment
    g = r.groups[0]
    assert g.steady_unavailability == pytest.approx(u, rel=REL)
    # outages: λ_A π_U + λ_B π_O A_B, π_O = (λ_A/(λ_A+μ_A) − U)/A_B (U's line above)
    pi_u = mu_a / (lam_a + mu_a)
    pi_o = (lam_a / (lam_a + mu_a) - u) / avail_b
    assert g.outages_per_year == pytest.approx(
        (lam_a * pi_u + lam_b * pi_o * avail_b) * SECONDS_PER_YEAR, rel=REL)
    assert g.mttf_s == pytest.approx(10 * HOUR, rel=REL)
    assert model.approximation.startswith("phase-type approximation of services.svc.standby's "
                                          "detection delay")
    assert f"by an Erlang-{phases} delay of the same mean and variance" in model.approximation
    assert r.to_dict()["approximation"] == model.approximation
    assert r.residual < 1e-12


def test_a_certain_instant_takeover_leaves_only_detection_and_double_failures():
    # p = 1, instant, k = 1 (n = 3, D = I/2 = 15 min = 0.25 h, δ = 12/h): U = (λ_A/(λ_A+μ_A))
    # (1 − (12/12.5)³ A_B) = (1/6)(1 − 0.884736·0.8) = (1/6)(0.2922112) = 0.04870187
    text = two_sites(("10h", "2h"), ("20h", "5h"), "30m", 1, None, 1.0)
    r = exact.solve(markov.build(parse_scenario(text), approximate=True))
    assert r.groups[0].steady_unavailability == pytest.approx(
        (1 / 6) * (1 - (12 / 12.5) ** 3 * 0.8), rel=REL)
    assert r.groups[0].steady_unavailability == pytest.approx(0.04870187, rel=1e-7)


def test_rare_on_the_approximating_chain_covers_the_closed_form():
    # the rare method runs on the same chain (seeded; its 95% interval covers U)
    text = two_sites(("10h", "2h"), ("20h", "5h"), "30m", 2, "1h", 0.8)
    est = rare.estimate(markov.build(parse_scenario(text), approximate=True), seed=1,
                        cycles_n=20_000)
    u = closed_form(0.1 / HOUR, 0.5 / HOUR, 0.8, 45 * 60, 27, 1 / HOUR, 0.8)
    assert est.low <= u <= est.high and est.rel_error < 0.05
    assert est.approximation and est.to_dict()["approximation"] == est.approximation


def test_without_approximate_the_hot_standby_is_refused_naming_the_switch():
    text = two_sites(("10h", "2h"), ("20h", "5h"), "1m", 3, "5m", 0.9)
    with pytest.raises(markov.NotMarkovian) as err:
        markov.build(parse_scenario(text))
    assert err.value.reasons == [
        "services.svc.standby: a hot standby takes over after detection, whose alert comes "
        "2m to 3m after the loss (checks every 1m, alert on the 3rd failing one), not at an "
        "exponential time; add --approximate for a phase-type approximation of that delay, "
        "or use --method des"]
    assert err.value.approximable


def _des_vs_exact(text: str, trials: int, seed: int) -> tuple[float, float, float]:
    """(DES mean unavailability, its standard error, the exact answer over the horizon)."""
    sc = parse_scenario(text)
    r = exact.solve(markov.build(sc, approximate=True))
    x = run_trials(sc, trials=trials, seed=seed, workers=1).frame["downtime_s.users"]
    x = x / r.horizon_s
    return float(x.mean()), float(x.std(ddof=1)) / math.sqrt(len(x)), r.unavailability


def test_des_agrees_where_detection_is_short_against_repair():
    """a fails daily and is back in 2 h on average; detection takes 2–3 min (k = 3, 1-min
    checks) and the switchover 5 min: the approximation is good (E[e^{−μ_A D}] of the true
    delay and of the Erlang-75 differ by 5e-10). 40 DES trials of 60 days: their mean must lie
    within 3 standard errors of the exact answer (seeded: z = −1.4, SE 4.1% of U ≈ 0.0168;
    with the per-service hot-standby checks of branch h/hot, z = −0.9)."""
    des, se, u = _des_vs_exact(two_sites(("1d", "2h"), ("2d", "4h"), "1m", 3, "5m", 0.9,
                                         "60d"), 40, 3)
    assert abs(des - u) < 3 * se
    assert se < 0.06 * u  # the check has teeth: a 20% error would be caught


def test_where_detection_rivals_repair_the_shape_matters_and_the_fit_holds(monkeypatch):
    """a: ttf 1 h, ttr 10 min (μ_A = 1/600 s); b never fails; checks every 5 min, k = 3:
    the alert comes 10–15 min after the loss (mean 12.5 min, longer than the repair), and an
    instant, certain takeover. U = λ_A/(λ_A+μ_A)(1 − L), L = E[e^{−μ_A D}]:

    - true delay: L = e^{−1}(1 − e^{−0.5})/0.5 = 0.367879·0.786939 = 0.2894986, so
      U = (1/7)(0.7105014) = 0.1015002;
    - Erlang-75 (mean and variance): L = (1 + 1.25/75)^−75 = 0.2894717: U is 3.8e-5
      relative too high (the Erlang's right skew; its variance matches);
    - Erlang-3 (the number of checks, mean only): L = (1 + 1.25/3)^−3 = 0.3517199: U is
      8.76% too low (optimistic: too much variance lets the takeover beat the repair more
      often).

    30 DES trials of 10 days (seeded: SE 1.3% of U) agree with the true delay's U and with the
    two-moment fit (z = 0.06), and reject the Erlang-3 by more than 5 standard errors (6.7;
    with the per-service hot-standby checks of branch h/hot: z = −0.8 and 5.9)."""
    text = two_sites(("1h", "10m"), None, "5m", 3, None, 1.0, "10d")
    l_true = math.exp(-1) * (1 - math.exp(-0.5)) / 0.5
    u_true = (1 / 7) * (1 - l_true)
    assert u_true == pytest.approx(0.1015002, rel=1e-6)
    steady = exact.solve(markov.build(parse_scenario(text), approximate=True))
    fitted = steady.steady_unavailability
    assert fitted == pytest.approx((1 / 7) * (1 - (1 + 1.25 / 75) ** -75), rel=REL)
    assert fitted / u_true - 1 == pytest.approx(3.78e-5, rel=0.01)

    monkeypatch.setattr(markov, "MAX_PHASES", 3)
    crude_model = markov.build(parse_scenario(text), approximate=True)
    assert "Erlang-3 delay of the same mean (variance 25×)" in crude_model.approximation
    crude = exact.solve(crude_model)
    assert crude.steady_unavailability / u_true - 1 == pytest.approx(-0.08757, abs=1e-5)
    monkeypatch.undo()

    des, se, u = _des_vs_exact(text, 30, 3)
    assert abs(des - u) < 3 * se and abs(des - u_true) < 3 * se
    assert des - crude.unavailability > 5 * se


SEVERAL = """\
drsim: 1
name: several reasons
simulation: {start: "2026-01-05T00:00", timezone: UTC, horizon: 30d, seed: 1,
             random_failures: true}
sites:
  a:
    ttf: {exponential: {mean: 10d}}
    ttr: {lognormal: {median: 1h, p90: 3h}}
  b: {}
access_points:
  pop: {}
links:
  pop-a: {a: pop, b: a}
  pop-b: {a: pop, b: b}
services:
  svc:
    active: [a]
    standby: {sites: [b], mode: hot}
runbooks:
  fix:
    steps:
      - {id: s, duration: 1h}
customers:
  users: {count: 1, access: pop, home: a, services: [svc]}
"""


def test_every_reason_is_a_line_at_its_place_and_nothing_is_written(tmp_path):
    path = tmp_path / "several.yaml"
    path.write_text(SEVERAL)
    target = tmp_path / "answer.json"
    res = runner.invoke(app, ["run", str(path), "--method", "exact", "--json", str(target)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert lines == [
        f"{path}:8:5: sites.a.ttr: repair is lognormal(mean 1h 26m 39s); the exact "
        "method needs exponential (use --method des)",
        f"{path}:18:5: services.svc.standby: a hot standby takes over after detection, whose "
        "alert comes 2m to 3m after the loss (checks every 1m, alert on the 3rd failing "
        "one), not at an exponential time; add --approximate for a phase-type "
        "approximation of that delay, or use --method des",
        f"{path}:20:3: runbooks.fix: runbook steps wait for detection (checks at fixed "
        "intervals) and people; the exact method needs exponential times (use --method des)",
        "3 problems found; nothing was run or written."]
    assert not target.exists()
    # --approximate takes the standby's line away, and only that one
    res = runner.invoke(app, ["run", str(path), "--method", "exact", "--approximate"])
    assert res.exit_code == 2
    assert [ln.split(": ")[1] for ln in res.output.strip().splitlines()[:-1]] == [
        "sites.a.ttr", "runbooks.fix"]


def test_auto_does_not_approximate_unless_asked(tmp_path):
    path = tmp_path / "hot.yaml"
    path.write_text(two_sites(("10h", "2h"), ("20h", "5h"), "30m", 2, "1h", 0.8, "30d"))
    res = runner.invoke(app, ["run", str(path), "--method", "auto", "--trials", "2",
                              "--workers", "1", "--json", "-"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["method"] == "des"
    assert "note: auto chose des: the exact method would have to approximate " \
           "(services.svc.standby: " in res.stderr
    res = runner.invoke(app, ["run", str(path), "--method", "auto", "--approximate",
                              "--json", "-"])
    doc = json.loads(res.stdout)
    assert doc["method"] == "exact" and doc["approximation"].startswith("phase-type")
    assert doc["steady_unavailability"] == pytest.approx(
        closed_form(0.1 / HOUR, 0.5 / HOUR, 0.8, 45 * 60, 27, 1 / HOUR, 0.8), rel=REL)
    text = runner.invoke(app, ["run", str(path), "--method", "exact", "--approximate"]).output
    assert "method exact (approximate): exact for the approximating Markov model" in text
    assert "approximation: phase-type approximation of services.svc.standby's detection" in text


@pytest.mark.parametrize(("horizon", "within"), [("1y", 1e-11), ("2d", 1e-6)])
def test_the_sparse_path_gives_the_dense_answer(monkeypatch, horizon, within):
    """Beyond exact.DENSE states, π comes from one sparse LU and p(T) from the elements'
    exact distribution at T with the takeover's mode as in the long run given them (the
    detection and switchover settle within minutes). Forced onto that path, the two-site
    chain gives the dense answers: the long run to rounding; over the horizon within 1e-11
    relative for a year (seeded by all up, everything has long mixed) and 1e-6 for 2 days
    (measured: 2.5e-13 and 4.7e-7)."""
    text = two_sites(("90d", "6h"), ("90d", "6h"), "1m", 3, "10m", 0.95, horizon)
    model = markov.build(parse_scenario(text), approximate=True)
    dense = exact.solve(model)
    monkeypatch.setattr(exact, "DENSE", 0)
    sparse = exact.solve(model)
    assert sparse.steady_unavailability == pytest.approx(dense.steady_unavailability,
                                                         rel=1e-12)
    assert sparse.unavailability == pytest.approx(dense.unavailability, rel=within)
    assert sparse.groups[0].mttf_s == pytest.approx(90 * 86400, rel=REL)


def test_notes_name_the_switch_or_count_the_other_reasons():
    from drsim.methods.choose import choose, few_outages_note

    hot = parse_scenario(two_sites(("10h", "2h"), ("20h", "5h"), "30m", 2, "1h", 0.8))
    # DES saw 3 outages in 1,000 trials: too few; the rare method needs the switch here
    assert few_outages_note(3, 1000, hot) == (
        "only 3 of 1,000 trials saw an outage, too few for a firm availability; --method rare "
        "--approximate estimates it by importance sampling on a phase-type approximation ("
        "services.svc.standby: a hot standby takes over after detection, whose alert comes "
        "30m to 1h 00m after the loss (checks every 30m, alert on the 2nd failing one), not "
        "at an exponential time; add --approximate for a phase-type approximation of that "
        "delay, or use --method des)")
    several = parse_scenario(SEVERAL)
    why = choose(several, "auto", {"approximate": True}).why
    assert why.startswith("auto chose des: not Markovian (runbooks.fix: runbook steps wait")
    assert why.endswith("; and 1 more reason, each listed by --method exact)")
    assert choose(several, "auto", {}).why.endswith(
        "; and 2 more reasons, each listed by --method exact)")


def test_degraded_monitoring_delays_the_alert_not_the_takeover():
    # detection.requires: [svc] with a 2 h degraded delay: while svc is down everywhere the
    # alert waits, but the standby's own checks do not, so the answer is the same closed form
    # as without it (k = 1, instant, p = 1: (1/6)(1 − (12/12.5)³ · 0.8))
    text = two_sites(("10h", "2h"), ("20h", "5h"), "30m", 1, None, 1.0).replace(
        "failed_checks: 1}", "failed_checks: 1, requires: [svc], degraded_delay: 2h}")
    r = exact.solve(markov.build(parse_scenario(text), approximate=True))
    assert r.groups[0].steady_unavailability == pytest.approx(
        (1 / 6) * (1 - (12 / 12.5) ** 3 * 0.8), rel=REL)
