"""Duration distributions: draw with an injected numpy Generator; mean and quantiles from scipy.

A scenario writes a duration either as a plain unit string ('15m', a fixed value) or as a
one-key mapping naming the family, e.g. ``{lognormal: {median: 30m, p90: 2h}}``.
Sampling uses numpy directly (fast, on the hot path); summaries use scipy (exact, cold path).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drsim.errors import FieldValueError
from drsim.units import format_duration, parse_duration

if TYPE_CHECKING:
    import numpy as np

# scipy.stats.norm.ppf(0.9), written out so that reading a scenario does not import scipy
# (about two seconds); tests/test_startup.py checks it against scipy to the last bit
Z90 = 1.2815515655446004


@dataclass(frozen=True)
class Distribution:
    """A non-negative random duration in seconds."""

    family: str
    params: tuple[float, ...]

    def sample(self, rng: np.random.Generator) -> float:
        return _SAMPLERS[self.family](rng, *self.params)

    @property
    def is_fixed(self) -> bool:
        return self.family == "fixed"

    @property
    def mean(self) -> float:
        if self.family == "fixed":
            return self.params[0]
        if self.family == "empirical":
            import numpy as np

            return float(np.mean(self.params))
        return float(self._frozen().mean())

    def quantile(self, q: float) -> float:
        if self.family == "fixed":
            return self.params[0]
        if self.family == "empirical":
            import numpy as np

            return float(np.quantile(self.params, q, method="inverted_cdf"))
        return float(self._frozen().ppf(q))

    def _frozen(self) -> Any:
        from scipy import stats

        return _FROZEN[self.family](stats, *self.params)

    def describe(self) -> str:
        if self.is_fixed:
            return format_duration(self.params[0])
        return f"{self.family}(mean {format_duration(self.mean)})"


def _truncnorm(stats: Any, mean: float, sd: float) -> Any:
    return stats.truncnorm((0.0 - mean) / sd, math.inf, loc=mean, scale=sd)


def _truncnorm_ppf(mean: float, sd: float, u: float) -> float:
    """Quantile u of normal(mean, sd) cut at 0, in closed form: one uniform per draw, like
    scipy's truncnorm.ppf but without building a frozen distribution on the hot path."""
    from scipy import special

    lo = special.ndtr(-mean / sd)
    return max(0.0, float(mean + sd * special.ndtri(lo + u * (1.0 - lo))))


_SAMPLERS: dict[str, Callable[..., float]] = {
    "fixed": lambda rng, v: v,
    "uniform": lambda rng, lo, hi: float(rng.uniform(lo, hi)),
    "triangular": lambda rng, lo, mode, hi: float(rng.triangular(lo, mode, hi)),
    "exponential": lambda rng, mean: float(rng.exponential(mean)),
    "lognormal": lambda rng, mu, sigma: float(rng.lognormal(mu, sigma)),
    "weibull": lambda rng, shape, scale: float(scale * rng.weibull(shape)),
    "gamma": lambda rng, shape, scale: float(rng.gamma(shape, scale)),
    "normal": lambda rng, mean, sd: _truncnorm_ppf(mean, sd, rng.random()),
    "empirical": lambda rng, *values: float(values[int(rng.integers(len(values)))]),
}
# family → scipy.stats frozen distribution, given the scipy.stats module (imported on use)
_FROZEN: dict[str, Callable[..., Any]] = {
    "uniform": lambda stats, lo, hi: stats.uniform(lo, hi - lo),
    "triangular": lambda stats, lo, mode, hi: stats.triang(
        (mode - lo) / (hi - lo) if hi > lo else 0.5, loc=lo, scale=hi - lo),
    "exponential": lambda stats, mean: stats.expon(scale=mean),
    "lognormal": lambda stats, mu, sigma: stats.lognorm(sigma, scale=math.exp(mu)),
    "weibull": lambda stats, shape, scale: stats.weibull_min(shape, scale=scale),
    "gamma": lambda stats, shape, scale: stats.gamma(shape, scale=scale),
    "normal": _truncnorm,
}

FAMILIES = ("fixed", "uniform", "triangular", "exponential", "lognormal", "weibull", "normal",
            "empirical", "gamma")
_PARAMS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "exponential": ("mean",),
    "weibull": ("shape", "scale"),
    "gamma": ("shape", "scale"),
    "normal": ("mean", "sd"),
}


def fixed(seconds: float) -> Distribution:
    return Distribution("fixed", (float(seconds),))


def parse_distribution(value: object, allow_zero: bool = False) -> Distribution:
    """A scenario value → Distribution; ValueError says what is allowed."""
    if isinstance(value, Distribution):
        return value
    if not isinstance(value, dict):
        seconds = parse_duration(value)
        _check_positive(seconds, "duration", allow_zero)
        return fixed(seconds)
    if len(value) != 1:
        raise ValueError(f"a distribution is one key naming its family, got {sorted(value)}; "
                         f"families: {', '.join(FAMILIES)}")
    family, args = next(iter(value.items()))
    if family not in FAMILIES:
        raise FieldValueError(f"unknown distribution '{family}'"
                              f"{did_you_mean(str(family), FAMILIES)}; families: "
                              f"{', '.join(FAMILIES)}", str(family))
    try:
        return _BUILDERS[family](args, allow_zero)
    except FieldValueError as e:
        raise FieldValueError(str(e), family, *e.key) from None
    except ValueError as e:
        raise FieldValueError(str(e), family) from None


def _check_positive(seconds: float, what: str, allow_zero: bool) -> None:
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError(f"{what} must be {'≥' if allow_zero else '>'} 0, got {seconds:g}s; "
                         "write a positive duration like '15m'")


def _keys(args: object, family: str, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(args, dict) or set(args) != set(names):
        got = sorted(map(str, args)) if isinstance(args, dict) else repr(args)
        raise ValueError(f"{family} takes {{{', '.join(names)}}}, got {got}"
                         f"{_misspelt(args, names)}")
    return args


def _misspelt(args: object, names: tuple[str, ...]) -> str:
    unknown = sorted(str(k) for k in args if k not in names) if isinstance(args, dict) else []
    return did_you_mean(unknown[0], names) if unknown else ""


def _durations(args: dict[str, Any], names: tuple[str, ...], allow_zero: bool) -> list[float]:
    out = []
    for n in names:
        try:
            s = parse_duration(args[n])
        except ValueError as e:
            raise FieldValueError(f"{n}: {e}", n) from None
        try:
            _check_positive(s, n, allow_zero)
        except ValueError as e:
            raise FieldValueError(str(e), n) from None
        out.append(s)
    return out


def _build_fixed(args: object, allow_zero: bool) -> Distribution:
    seconds = parse_duration(args)
    _check_positive(seconds, "fixed", allow_zero)
    return fixed(seconds)


def _build_uniform(args: object, allow_zero: bool) -> Distribution:
    lo, hi = _durations(_keys(args, "uniform", _PARAMS["uniform"]), _PARAMS["uniform"], True)
    if not lo < hi:
        raise FieldValueError("uniform needs low < high; swap or fix them", "high")
    return Distribution("uniform", (lo, hi))


def _build_triangular(args: object, allow_zero: bool) -> Distribution:
    names = _PARAMS["triangular"]
    lo, mode, hi = _durations(_keys(args, "triangular", names), names, True)
    if not (lo <= mode <= hi and lo < hi):
        raise ValueError("triangular needs low ≤ mode ≤ high and low < high")
    return Distribution("triangular", (lo, mode, hi))


def _build_exponential(args: object, allow_zero: bool) -> Distribution:
    (mean,) = _durations(_keys(args, "exponential", ("mean",)), ("mean",), False)
    return Distribution("exponential", (mean,))


def _build_lognormal(args: object, allow_zero: bool) -> Distribution:
    if isinstance(args, dict) and set(args) == {"median", "p90"}:
        median, p90 = _durations(args, ("median", "p90"), False)
        if not p90 > median:
            raise FieldValueError("lognormal needs p90 > median; raise p90", "p90")
        mu = math.log(median)
        return Distribution("lognormal", (mu, (math.log(p90) - mu) / Z90))
    if isinstance(args, dict) and set(args) == {"mean", "sd"}:
        mean, sd = _durations(args, ("mean", "sd"), False)
        sigma2 = math.log1p((sd / mean) ** 2)
        return Distribution("lognormal", (math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))
    got = sorted(map(str, args)) if isinstance(args, dict) else repr(args)
    raise ValueError(f"lognormal takes {{median, p90}} or {{mean, sd}}, got {got}"
                     f"{_misspelt(args, ('median', 'p90', 'mean', 'sd'))}")


def _build_weibull(args: object, allow_zero: bool, family: str = "weibull") -> Distribution:
    a = _keys(args, family, _PARAMS[family])
    shape = a["shape"]
    if isinstance(shape, bool) or not isinstance(shape, int | float) or not shape > 0:
        raise FieldValueError(f"{family} shape must be a number > 0 (no unit), got {shape!r}",
                              "shape")
    (scale,) = _durations(a, ("scale",), False)
    return Distribution(family, (float(shape), scale))


def _build_gamma(args: object, allow_zero: bool) -> Distribution:
    """{gamma: {shape, scale}}: mean shape × scale (what `drsim calibrate` may fit)."""
    return _build_weibull(args, allow_zero, "gamma")


def _build_normal(args: object, allow_zero: bool) -> Distribution:
    mean, sd = _durations(_keys(args, "normal", _PARAMS["normal"]), _PARAMS["normal"], False)
    return Distribution("normal", (mean, sd))


def _build_empirical(args: object, allow_zero: bool) -> Distribution:
    if not isinstance(args, list) or not args:
        raise ValueError("empirical takes a non-empty list of observed durations, e.g. [20m, 35m]")
    values = []
    for i, v in enumerate(args):
        try:
            values.append(parse_duration(v))
            _check_positive(values[-1], "observed duration", allow_zero)
        except ValueError as e:
            raise FieldValueError(str(e), i) from None
    return Distribution("empirical", tuple(values))


_BUILDERS: dict[str, Callable[[object, bool], Distribution]] = {
    "fixed": _build_fixed, "uniform": _build_uniform, "triangular": _build_triangular,
    "exponential": _build_exponential, "lognormal": _build_lognormal, "weibull": _build_weibull,
    "normal": _build_normal, "empirical": _build_empirical, "gamma": _build_gamma,
}


def did_you_mean(word: str, known: Iterable[object]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''.

    Tries, in order: the same name in another case; the one name that `word` begins; the
    closest spelling; the one name sharing the first two letters ('chcago' → 'chi').
    """
    folded = {str(k).casefold(): str(k) for k in sorted(known, key=str)}
    w = word.casefold()
    match = [w] if w in folded else []
    if not match and len(w) >= 2:
        match = [k for k in folded if k.startswith(w)][:2]
        match = match if len(match) == 1 else []
    if not match:
        match = difflib.get_close_matches(w, list(folded), n=1, cutoff=0.6)
    if not match and len(w) >= 2:
        match = [k for k in folded if k[:2] == w[:2]][:2]
        match = match if len(match) == 1 else []
    return f" (did you mean '{folded[match[0]]}'?)" if match else ""
