"""units.py: every unit string parser against hand-computed values, and its error messages."""

from __future__ import annotations

import pytest

from drsim.units import (
    SECONDS_PER_YEAR,
    format_duration,
    parse_bandwidth,
    parse_duration,
    parse_fraction,
    parse_size,
)


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90.0), ("15m", 900.0), ("4h", 14_400.0), ("2d", 172_800.0), ("1w", 604_800.0),
    ("1y", 31_536_000.0), ("250ms", 0.25), ("1h30m", 5_400.0), ("1h 30m 15s", 5_415.0),
    ("1.5h", 5_400.0), (".5m", 30.0), ("2.m", 120.0), ("1e3s", 1_000.0), ("3 min", 180.0),
    ("2hr", 7_200.0), ("10sec", 10.0), (" 2H ", 7_200.0), ("1D2H", 93_600.0), ("0s", 0.0),
    ("0m", 0.0),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


def test_bare_zero_needs_no_unit_but_other_numbers_do() -> None:
    assert parse_duration(0) == 0.0
    assert parse_duration(0.0) == 0.0
    with pytest.raises(ValueError, match="duration 90 has no unit; write it like '90s'"):
        parse_duration(90)


@pytest.mark.parametrize("value, message", [
    (None, "no duration given; write it like '90s'"),
    (True, "duration True has no unit"),
    (1.5, "duration 1.5 has no unit"),
    ([1], r"duration \[1\] has no unit"),
    ("", "empty duration"),
    ("   ", "is not a duration"),
    ("abc", "'abc' is not a duration; write it like '90s', '15m', '1h30m' or '2d'"),
    ("5", "'5' is not a duration"),
    ("5 parsecs", "unknown duration unit 'parsecs' in '5 parsecs'; known units: ms, s, sec, m"),
    ("2days", "unknown duration unit 'days'"),
    ("-5m", "'-5m' is negative; a duration is a positive amount"),
    ("1:30", "'1:30' looks like a clock time, not a duration; write units, e.g. '1h30m' or "
             "'1m30s'"),
    ("01:30:00", "'01:30:00' looks like a clock time.*'1h30m'"),
    ("0:00:45", "'0:00:45' looks like a clock time.*'0h0m45s'"),
    ("1h-5m", "'1h-5m' is not a duration"),
])
def test_parse_duration_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)


def test_huge_duration_is_refused_as_not_finite() -> None:
    with pytest.raises(ValueError, match="is not finite"):
        parse_duration("1" + "0" * 400 + "s")


@pytest.mark.parametrize("text, bps", [
    ("10Gbps", 1e10), ("100mbps", 1e8), ("1.5 Tbps", 1.5e12), ("64kbps", 64_000.0),
    ("9600bps", 9600.0), ("10GBPS", 1e10),
])
def test_parse_bandwidth(text: str, bps: float) -> None:
    assert parse_bandwidth(text) == pytest.approx(bps, rel=1e-12)


@pytest.mark.parametrize("value, message", [
    ("10GB", "unknown bandwidth unit 'GB' in '10GB'; known units: bps, kbps, mbps, gbps, tbps"),
    (1000, "bandwidth 1000 has no unit; write it like '10Gbps'"),
    (None, "no bandwidth given"),
    ("fast", "'fast' is not a bandwidth; write it like '10Gbps'"),
])
def test_parse_bandwidth_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_bandwidth(value)


@pytest.mark.parametrize("text, size", [
    ("500GB", 5e11), ("2TB", 2e12), ("1kb", 1e3), ("1KiB", 1024.0), ("1MiB", 1_048_576.0),
    ("2TiB", 2 * 2.0**40), ("3 PB", 3e15), ("12b", 12.0), ("1.5gib", 1.5 * 2.0**30),
])
def test_parse_size(text: str, size: float) -> None:
    assert parse_size(text) == pytest.approx(size, rel=1e-12)


@pytest.mark.parametrize("value, message", [
    ("2Tbps", "unknown data size unit 'Tbps'"), (2000, "data size 2000 has no unit"),
    (True, "data size True has no unit"), ("-5GB", "'-5GB' is not a data size"),
])
def test_parse_size_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_size(value)


@pytest.mark.parametrize("value, fraction", [
    ("99.95%", 0.9995), ("95%", 0.95), ("100%", 1.0), ("0%", 0.0), (" 50 % ", 0.5),
    (0.5, 0.5), (1, 1.0), (0, 0.0), (0.9995, 0.9995),
])
def test_parse_fraction(value: object, fraction: float) -> None:
    assert parse_fraction(value) == pytest.approx(fraction, rel=1e-12)


@pytest.mark.parametrize("value, message", [
    (1.5, r"1.5 is outside \[0, 1\]"), (-0.1, r"-0.1 is outside \[0, 1\]"),
    ("101%", r"'101%' is outside \[0, 1\]"), (2, "outside"),
    ("95", "'95' is not a probability; write 0.95 or '95%'"),
    ("-5%", "is not a probability"), (True, "True is not a probability"),
    (None, "None is not a probability"),
])
def test_parse_fraction_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fraction(value)


@pytest.mark.parametrize("seconds, text", [
    (None, "—"), (0, "0s"), (59.4, "59s"), (90, "1m 30s"), (3_725, "1h 02m 05s"),
    (90_061, "1d 01h 01m"),
])
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_seconds_per_year_is_365_days() -> None:
    assert SECONDS_PER_YEAR == 365 * 86_400 == parse_duration("1y")
