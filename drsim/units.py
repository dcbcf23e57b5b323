"""Unit strings to floats in base units: seconds, bits per second, bytes, fractions.

The only module that parses unit strings. Each parser raises ValueError with a message
that says what is allowed, so the validator can put it on one line.
"""

from __future__ import annotations

import math
import re

from drsim.errors import show

DURATION_UNITS = {
    "ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0,
    "d": 86400.0, "w": 604800.0, "y": 31_536_000.0,
}
BANDWIDTH_UNITS = {"bps": 1.0, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9, "tbps": 1e12}
SIZE_UNITS = {
    "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
    "kib": 2.0**10, "mib": 2.0**20, "gib": 2.0**30, "tib": 2.0**40,
}
SECONDS_PER_YEAR = DURATION_UNITS["y"]

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TERM = re.compile(rf"\s*({_NUMBER})\s*([a-zA-Z]+)\s*")


def _number_unit(text: object, units: dict[str, float], what: str, example: str) -> float:
    if text is None:
        raise ValueError(f"no {what} given; write it like '{example}'")
    if isinstance(text, bool) or not isinstance(text, str):
        raise ValueError(f"{what} {text!r} has no unit; write it like '{example}'"
                         f" (units: {', '.join(units)})")
    m = re.fullmatch(rf"\s*({_NUMBER})\s*([a-zA-Z]+)\s*", text)
    if not m:
        raise ValueError(f"'{text}' is not a {what}; write it like '{example}'")
    unit = m.group(3).lower()
    if unit not in units:
        raise ValueError(f"unknown {what} unit '{m.group(3)}' in '{text}'; "
                         f"known units: {', '.join(units)} (any case)")
    base = next(iter(units))  # the first unit is the base unit (factor 1)
    return in_range(_nonzero(m.group(2)), float(m.group(1)) * units[unit], text, what,
                    units[base], {"b": "bytes"}.get(base, base))


def _nonzero(mantissa: str) -> bool:
    """Whether a written number is not zero (even when it underflows to 0.0: '1e-400')."""
    return any(c in "123456789" for c in mantissa)


MAX_AMOUNT = 1e30  # base units (seconds, bytes, bits per second): beyond anything real
MIN_DURATION_S = 1e-9


def in_range(nonzero: bool, value: float, text: str, what: str, least: float,
             least_unit: str) -> float:
    """`value` (converted from `text`) unless the conversion overflowed past MAX_AMOUNT (or to
    infinity) or a non-zero amount underflowed below the smallest meaningful one, `least`."""
    if not math.isfinite(value) or value > MAX_AMOUNT:
        how = "is not finite" if not math.isfinite(value) else "is too large"
        raise ValueError(f"{what} {show(text)} {how} (over {MAX_AMOUNT:g} {least_unit}); "
                         "check the exponent and the unit")
    if nonzero and value < least:
        raise ValueError(f"{what} {show(text)} is too small (under {least:g} {least_unit}, so "
                         "it would count as zero); check the exponent and the unit, or write 0")
    return value


_CLOCK = re.compile(r"\s*(\d+):([0-5]\d)(?::([0-5]\d))?\s*")


def parse_duration(text: object) -> float:
    """'90s', '15m', '4h', '2d', '1h30m' → seconds (> 0 is checked by the caller)."""
    if isinstance(text, bool) or not isinstance(text, str):
        if isinstance(text, int | float) and text == 0:
            return 0.0
        if text is None:
            raise ValueError("no duration given; write it like '90s', '15m', '4h' or '2d'")
        raise ValueError(f"duration {text!r} has no unit; write it like '90s', '15m', '4h' or '2d'")
    _refuse_look_alikes(text)
    pos, total, parts, nonzero = 0, 0.0, 0, False
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m:
            raise ValueError(f"'{text}' is not a duration; write it like '90s', '15m', '1h30m' "
                             "or '2d'")
        unit = m.group(3).lower()
        if unit not in DURATION_UNITS:
            raise ValueError(f"unknown duration unit '{m.group(3)}' in '{text}'; "
                             f"known units: {', '.join(DURATION_UNITS)}")
        total += float(m.group(1)) * DURATION_UNITS[unit]
        nonzero = nonzero or _nonzero(m.group(2))
        pos, parts = m.end(), parts + 1
    if parts == 0:
        raise ValueError("empty duration; write it like '90s', '15m', '4h' or '2d'")
    return in_range(nonzero, total, text, "duration", MIN_DURATION_S, "s")


def _refuse_look_alikes(text: str) -> None:
    """Negative values and clock times ('1:30', which YAML 1.1 reads as 90) get their own hint."""
    if text.strip().startswith("-"):
        raise ValueError(f"'{text}' is negative; a duration is a positive amount like '15m'")
    clock = _CLOCK.fullmatch(text)
    if clock:
        a, b, c = clock.groups()
        secs = f"{int(c)}s" if c and int(c) else ""
        guess = f"'{int(a)}h{int(b)}m{secs}'" if c else f"'{int(a)}h{b}m' or '{int(a)}m{b}s'"
        raise ValueError(f"'{text}' looks like a clock time, not a duration; write units, "
                         f"e.g. {guess}")


def parse_bandwidth(text: object) -> float:
    """'10Gbps' → bits per second."""
    return _number_unit(text, BANDWIDTH_UNITS, "bandwidth", "10Gbps")


def parse_size(text: object) -> float:
    """'500GB' → bytes."""
    return _number_unit(text, SIZE_UNITS, "data size", "500GB")


def parse_fraction(text: object) -> float:
    """'99.95%' or 0.9995 → 0.9995; must lie in [0, 1]."""
    if isinstance(text, str):
        m = re.fullmatch(rf"\s*({_NUMBER})\s*%\s*", text)
        if not m:
            raise ValueError(f"'{text}' is not a probability; write 0.95 or '95%'")
        value = float(m.group(1)) / 100.0
    elif isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        raise ValueError(f"{text!r} is not a probability; write 0.95 or '95%'")
    if not (0.0 <= value <= 1.0):
        raise ValueError(f"{text!r} is outside [0, 1]; write a probability like 0.95 or '95%'")
    return value


def format_duration(seconds: float | None) -> str:
    """Seconds → '2h 05m 30s' for people; None → '—'."""
    if seconds is None:
        return "—"
    s = int(round(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d {h:02d}h {m:02d}m"
    if h:
        return f"{h}h {m:02d}m {s:02d}s" if s else f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s" if s else f"{m}m"
    return f"{s}s"
