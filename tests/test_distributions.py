"""distributions.py: parameterisations against hand-computed values, sampling against the
analytic mean (4-sigma band over 20000 draws), and the messages for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.distributions import FAMILIES, Z90, Distribution, fixed, parse_distribution
from drsim.errors import FieldValueError

N = 20_000
PHI_1 = 0.24197072451914337  # standard normal density at 1
CDF_1 = 0.8413447460685429   # standard normal cdf at 1


def test_z90_is_the_standard_normal_90th_percentile() -> None:
    assert Z90 == pytest.approx(1.2815515655446004, rel=1e-12)


def test_plain_duration_is_fixed(rng: np.random.Generator) -> None:
    d = parse_distribution("15m")
    assert d == fixed(900) == Distribution("fixed", (900.0,))
    assert d.is_fixed and d.mean == 900.0
    assert d.quantile(0.01) == d.quantile(0.99) == 900.0
    assert {d.sample(rng) for _ in range(100)} == {900.0}
    assert parse_distribution({"fixed": "1h"}) == fixed(3600)
    assert d.describe() == "15m"


def test_fixed_draws_no_random_numbers() -> None:
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    parse_distribution("15m").sample(a)
    assert a.random() == b.random()


def test_lognormal_by_median_and_p90_hits_both_exactly() -> None:
    d = parse_distribution({"lognormal": {"median": "20m", "p90": "1h"}})
    mu, sigma = d.params
    assert mu == pytest.approx(math.log(1200), rel=1e-15)
    assert sigma == pytest.approx(math.log(3) / 1.2815515655446004, rel=1e-12)
    assert d.quantile(0.5) == pytest.approx(1200, rel=1e-12)
    assert d.quantile(0.9) == pytest.approx(3600, rel=1e-12)
    assert d.mean == pytest.approx(1200 * math.exp(sigma**2 / 2), rel=1e-12)


def test_lognormal_by_mean_and_sd_has_that_mean_and_sd() -> None:
    d = parse_distribution({"lognormal": {"mean": "1h", "sd": "30m"}})
    mu, sigma = d.params
    assert sigma**2 == pytest.approx(math.log(1.25), rel=1e-12)  # log(1 + (sd/mean)^2)
    assert mu == pytest.approx(math.log(3600) - math.log(1.25) / 2, rel=1e-12)
    assert d.mean == pytest.approx(3600, rel=1e-12)
    assert d._frozen().std() == pytest.approx(1800, rel=1e-12)


def test_uniform() -> None:
    d = parse_distribution({"uniform": {"low": "10m", "high": "30m"}})
    assert d.params == (600.0, 1800.0)
    assert d.mean == pytest.approx(1200)
    assert d.quantile(0.25) == pytest.approx(900)


def test_triangular() -> None:
    d = parse_distribution({"triangular": {"low": "10m", "mode": "20m", "high": "1h"}})
    assert d.params == (600.0, 1200.0, 3600.0)
    assert d.mean == pytest.approx((600 + 1200 + 3600) / 3)
    assert d.quantile(0.2) == pytest.approx(1200)  # F(mode) = (mode - low) / (high - low)


def test_exponential() -> None:
    d = parse_distribution({"exponential": {"mean": "1h"}})
    assert d.mean == pytest.approx(3600)
    assert d.quantile(0.5) == pytest.approx(3600 * math.log(2))


def test_weibull() -> None:
    d = parse_distribution({"weibull": {"shape": 2, "scale": "1h"}})
    assert d.params == (2.0, 3600.0)
    assert d.mean == pytest.approx(3600 * math.sqrt(math.pi) / 2, rel=1e-12)  # scale Γ(1.5)
    assert d.quantile(1 - math.exp(-1)) == pytest.approx(3600, rel=1e-12)


def test_normal_is_truncated_at_zero() -> None:
    d = parse_distribution({"normal": {"mean": "10m", "sd": "10m"}})
    # truncated at alpha = -1: mean + sd * phi(1) / Phi(1)
    assert d.mean == pytest.approx(600 + 600 * PHI_1 / CDF_1, rel=1e-9)
    assert d.quantile(0.0) == pytest.approx(0.0, abs=1e-9)
    far = parse_distribution({"normal": {"mean": "1h", "sd": "1m"}})
    assert far.mean == pytest.approx(3600, rel=1e-12)


def test_empirical() -> None:
    d = parse_distribution({"empirical": ["20m", "35m", "1h"]})
    assert d.params == (1200.0, 2100.0, 3600.0)
    assert d.mean == pytest.approx(2300)
    assert d.quantile(0.5) == 2100.0
    assert d.quantile(1.0) == 3600.0


SPECS = {
    "fixed": ({"fixed": "15m"}, 900.0, 0.0),
    "uniform": ({"uniform": {"low": "10m", "high": "30m"}}, 1200.0, 1200 / math.sqrt(12)),
    "triangular": ({"triangular": {"low": "10m", "mode": "20m", "high": "1h"}}, 1800.0,
                   math.sqrt((600**2 + 1200**2 + 3600**2 - 600 * 1200 - 600 * 3600
                              - 1200 * 3600) / 18)),
    "exponential": ({"exponential": {"mean": "1h"}}, 3600.0, 3600.0),
    "lognormal": ({"lognormal": {"mean": "1h", "sd": "30m"}}, 3600.0, 1800.0),
    "weibull": ({"weibull": {"shape": 2, "scale": "1h"}}, 3600 * math.sqrt(math.pi) / 2,
                3600 * math.sqrt(1 - math.pi / 4)),
    # cut at 6 sd below the mean: the mean moves up by sd * phi(6) / Phi(6), about 4e-6 s
    "normal": ({"normal": {"mean": "1h", "sd": "10m"}},
               3600.0 + 600 * math.exp(-18) / math.sqrt(2 * math.pi), 600.0),
    "empirical": ({"empirical": ["20m", "35m", "1h"]}, 2300.0,
                  float(np.std([1200, 2100, 3600]))),
    # gamma: mean shape × scale = 3 × 20 min, sd sqrt(shape) × scale
    "gamma": ({"gamma": {"shape": 3, "scale": "20m"}}, 3600.0, math.sqrt(3) * 1200),
}


def test_every_family_has_a_sampling_check() -> None:
    assert set(SPECS) == set(FAMILIES)


@pytest.mark.parametrize("family", sorted(SPECS))
def test_sample_mean_within_four_sigma_of_analytic_mean(family: str,
                                                        rng: np.random.Generator) -> None:
    spec, mean, sd = SPECS[family]
    d = parse_distribution(spec)
    assert d.mean == pytest.approx(mean, rel=1e-9)
    draws = np.array([d.sample(rng) for _ in range(N)])
    assert (draws >= 0).all()
    assert abs(draws.mean() - mean) <= 4 * sd / math.sqrt(N) + 1e-9
    if sd:
        assert draws.std() == pytest.approx(sd, rel=0.05)


def test_truncated_normal_samples_match_its_truncated_mean(rng: np.random.Generator) -> None:
    d = parse_distribution({"normal": {"mean": "10m", "sd": "10m"}})
    draws = np.array([d.sample(rng) for _ in range(N)])
    assert draws.min() >= 0
    sd = float(d._frozen().std())
    assert abs(draws.mean() - d.mean) <= 4 * sd / math.sqrt(N)


def test_empirical_samples_only_observed_values(rng: np.random.Generator) -> None:
    d = parse_distribution({"empirical": ["20m", "35m", "1h"]})
    assert {d.sample(rng) for _ in range(200)} == {1200.0, 2100.0, 3600.0}


def test_same_generator_state_gives_same_draws() -> None:
    d = parse_distribution({"lognormal": {"median": "20m", "p90": "1h"}})
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    assert [d.sample(a) for _ in range(5)] == [d.sample(b) for _ in range(5)]


def test_zero_allowed_only_where_asked() -> None:
    assert parse_distribution("0s", allow_zero=True) == fixed(0)
    with pytest.raises(ValueError, match="duration must be > 0, got 0s"):
        parse_distribution("0s")
    with pytest.raises(ValueError, match="must be > 0"):
        parse_distribution({"exponential": {"mean": "0s"}}, allow_zero=True)


@pytest.mark.parametrize("spec, message, key", [
    ({"lognormla": {"median": "1m", "p90": "2m"}},
     "unknown distribution 'lognormla' \\(did you mean 'lognormal'\\?\\); families: fixed",
     ("lognormla",)),
    ({"pareto": {"k": 1}}, "unknown distribution 'pareto'; families:", ("pareto",)),
    ({"gamma": {"k": 1}}, "gamma takes {shape, scale}, got \\['k'\\]", ("gamma",)),
    ({"gamma": {"shape": 0, "scale": "1h"}}, "gamma shape must be a number > 0",
     ("gamma", "shape")),
    ({"uniform": {"low": "1m", "high": "2m"}, "fixed": "3m"},
     "a distribution is one key naming its family, got \\['fixed', 'uniform'\\]", ()),
    ({}, "a distribution is one key", ()),
    ({"uniform": {"low": "1m", "hihg": "2m"}},
     "uniform takes {low, high}, got \\['hihg', 'low'\\] \\(did you mean 'high'\\?\\)",
     ("uniform",)),
    ({"uniform": {"low": "1h", "high": "10m"}}, "uniform needs low < high", ("uniform", "high")),
    ({"uniform": "1m"}, "uniform takes {low, high}, got '1m'", ("uniform",)),
    ({"triangular": {"low": "10m", "mode": "1h", "high": "20m"}},
     "triangular needs low ≤ mode ≤ high", ("triangular",)),
    ({"lognormal": {"median": "2h", "p90": "1h"}}, "lognormal needs p90 > median",
     ("lognormal", "p90")),
    ({"lognormal": {"median": "20m", "p09": "1h"}},
     "lognormal takes {median, p90} or {mean, sd}.*did you mean 'p90'", ("lognormal",)),
    ({"lognormal": {"median": 20, "p90": "1h"}}, "median: duration 20 has no unit",
     ("lognormal", "median")),
    ({"exponential": {"mean": "-1h"}}, "mean: '-1h' is negative", ("exponential", "mean")),
    ({"weibull": {"shape": 0, "scale": "1h"}}, "weibull shape must be a number > 0",
     ("weibull", "shape")),
    ({"weibull": {"shape": "2h", "scale": "1h"}}, "weibull shape must be a number > 0",
     ("weibull", "shape")),
    ({"weibull": {"shape": True, "scale": "1h"}}, "weibull shape", ("weibull", "shape")),
    ({"normal": {"mean": "1h", "sd": "0s"}}, "sd must be > 0", ("normal", "sd")),
    ({"empirical": []}, "empirical takes a non-empty list", ("empirical",)),
    ({"empirical": ["1m", "2x"]}, "unknown duration unit 'x'", ("empirical", 1)),
    ({"empirical": ["1m", "0s"]}, "observed duration must be > 0", ("empirical", 1)),
])
def test_bad_distributions(spec: object, message: str, key: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_distribution(spec)
    got = info.value.key if isinstance(info.value, FieldValueError) else ()
    assert got == key  # the part of the value the validator points at


@pytest.mark.parametrize("value, message", [
    ("1:30", "looks like a clock time"), (90, "has no unit"), (None, "no duration given"),
    ("-5m", "is negative"), ("soon", "is not a duration"),
])
def test_bad_plain_durations(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_distribution(value)


def test_describe_names_the_family_and_mean() -> None:
    text = parse_distribution({"exponential": {"mean": "90s"}}).describe()
    assert text == "exponential(mean 1m 30s)"
