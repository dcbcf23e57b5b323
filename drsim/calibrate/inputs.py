"""Reading drill logs, paging exports and status-page histories: what every reader shares.

Each format has its own module (`drill_log`, `paging`, `statuspage`, `mapping`); this one holds
the parts they share: reading a file as UTF-8 text (refusing UTF-16 and Latin-1 bytes with the
line they are on), rows of a CSV file or records of a JSON file each with the place they came
from, times and durations parsed with one-line messages, and the error every reader raises:
an InputError listing one InputIssue per problem (`drills.csv:14: end: ...`), which the CLI
prints one per line before exiting 2 with nothing written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from drsim.distributions import did_you_mean
from drsim.errors import Issue, ScenarioError, plain, show
from drsim.units import parse_duration

__all__ = ["FieldProblem", "InputError", "InputIssue", "Row", "did_you_mean", "parse_time",
           "parse_seconds", "read_rows", "read_text"]


@dataclass(frozen=True, order=True)
class InputIssue(Issue):
    """One problem in an input file: `where` is `drills.csv:14` (a line) or `pages.json[3]`
    (a record), `path` the field, `message` what is wrong and how to fix it."""

    where: str = ""

    def __str__(self) -> str:
        return f"{plain(self.where, cut=False)}: {plain(self.path) or '<record>'}: " \
               f"{plain(self.message)}"


class InputError(ScenarioError):
    """An input file has problems; every one is listed (the CLI prints them and exits 2)."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__(list(issues))


def issue(where: str, field: str, message: str, line: int = 0) -> InputIssue:
    return InputIssue(line, 0, field, message, where.split(":")[0].split("[")[0], where)


def fail(where: str, field: str, message: str, line: int = 0) -> InputError:
    """An InputError with a single problem (raise it)."""
    return InputError([issue(where, field, message, line)])


class FieldProblem(Exception):
    """What is wrong with one field of one row or record; the reader reports it at the row
    (Row.issue) and goes on to the next, so every problem of a file is listed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Row:
    """One CSV row or JSON record: its fields (strings for CSV, JSON values otherwise), the
    place it came from (`drills.csv:14`, `drills.json[3]`) and the number sorted on."""

    fields: dict[str, Any]
    where: str
    line: int

    def issue(self, field: str, message: str) -> InputIssue:
        return issue(self.where, field, message, self.line)

    def problem(self, e: FieldProblem) -> InputIssue:
        return self.issue(e.field, e.message)

    def text(self, name: str) -> str | None:
        """The field as stripped text, None when absent or empty."""
        value = self.fields.get(name)
        if value is None:
            return None
        text = str(value).strip()
        return text or None


# ---- the bytes of a file ---------------------------------------------------------------------

MAX_INPUT_BYTES = 50_000_000

_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
         (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def read_text(path: str | Path) -> str:
    """The file's text, decoded as UTF-8 (a UTF-8 byte-order mark is allowed); InputError for
    a missing, unreadable, empty or too large file and for any other encoding, naming the line
    of the first byte that is not UTF-8."""
    from drsim.scenario.loader import read_regular

    name = str(path)
    try:
        data = read_regular(Path(path))
    except FileNotFoundError:
        raise fail(name, "<file>", "no such file; check the path") from None
    except IsADirectoryError:
        raise fail(name, "<file>", "is a directory; name a file") from None
    except OSError as e:
        raise fail(name, "<file>", f"cannot read: {e.strerror}") from None
    except ScenarioError as e:  # not a regular file, or too large
        raise fail(name, "<file>", e.issues[0].message) from None
    if len(data) > MAX_INPUT_BYTES:
        raise fail(name, "<file>", f"larger than {MAX_INPUT_BYTES // 1_000_000} MB; split it")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise fail(name, "<file>", f"is {encoding} text; save it as UTF-8")
    if b"\x00" in data[:4096]:
        raise fail(name, "<file>", "has NUL bytes (UTF-16 text without a byte-order mark?); "
                                   "save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise fail(f"{name}:{line}", "<encoding>",
                   f"byte 0x{data[e.start]:02x} is not UTF-8 (Latin-1 or Windows-1252 text?); "
                   "save the file as UTF-8", line) from None
    if not text.strip():
        raise fail(name, "<file>", "is empty; see docs/calibration.md for the format")
    return text


# ---- rows of a CSV file, records of a JSON file ----------------------------------------------


def is_json(path: str | Path, text: str) -> bool:
    return str(path).lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")


def load_json(path: str | Path, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise fail(f"{path}:{e.lineno}", "<json>", f"not valid JSON: {e.msg} (column {e.colno})",
                   e.lineno) from None
    except ValueError as e:
        raise fail(str(path), "<json>", str(e)) from None
    except RecursionError:
        raise fail(str(path), "<json>", "nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value; write a number or null")


def read_csv(path: str | Path, text: str, required: Sequence[str],
             optional: Sequence[str]) -> list[Row]:
    """The rows of a CSV file with a header line; InputError for missing or unknown columns,
    rows with too many fields, and a file with no rows."""
    name = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as e:
        raise fail(f"{name}:1", "<header>", f"not CSV: {e}", 1) from None
    check_columns(f"{name}:1", header, required, optional, 1)
    rows, line = [], reader.line_num
    try:
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            where = f"{name}:{start}"
            if len(values) > len(header):
                raise fail(where, "<row>", f"{len(values)} fields but the header has "
                                           f"{len(header)}; quote values that hold commas",
                           start)
            rows.append(Row(dict(zip(header, values, strict=False)), where, start))
    except csv.Error as e:
        raise fail(f"{name}:{line + 1}", "<row>", f"not CSV: {e}", line + 1) from None
    if not rows:
        raise fail(f"{name}:1", "<file>", "has a header but no rows", 1)
    return rows


def check_columns(where: str, names: Iterable[str], required: Sequence[str],
                  optional: Sequence[str], line: int = 0, what: str = "column") -> None:
    """InputError listing every required column (JSON: field) that is missing and every
    unknown one."""
    names = list(names)
    known = [*required, *optional]
    problems = [issue(where, c, f"missing {what} '{c}'{did_you_mean(c, names)}; required: "
                                f"{', '.join(required)}", line)
                for c in required if c not in names]
    problems += [issue(where, c, f"unknown {what} {show(c)}{did_you_mean(c, known)}; known: "
                                 f"{', '.join(known)}", line)
                 for c in names if c not in known]
    seen: set[str] = set()
    for c in names:
        if c in seen:
            problems.append(issue(where, c, f"{what} '{c}' appears twice; keep one", line))
        seen.add(c)
    if problems:
        raise InputError(problems)


def json_records(path: str | Path, data: Any, key: str) -> Iterator[tuple[str, int, Any]]:
    """The records of a JSON file written as a list or as {key: [...]}: (where, index, record)."""
    name = str(path)
    records = data.get(key) if isinstance(data, dict) else data
    if not isinstance(records, list):
        keys = f" with keys {', '.join(map(str, data))}" if isinstance(data, dict) else ""
        raise fail(name, "<json>", f"expected a list of records or {{\"{key}\": [...]}}, got "
                                   f"{type(data).__name__}{keys}")
    if not records:
        raise fail(name, key, "has no records")
    for i, record in enumerate(records):
        yield f"{name}[{i}]", i, record


def read_rows(path: str | Path, key: str, required: Sequence[str],
              optional: Sequence[str]) -> list[Row]:
    """The rows of a CSV file or the records of a JSON file (a list, or {key: [...]}), each a
    Row; JSON records are checked for the same fields as the CSV columns."""
    text = read_text(path)
    if not is_json(path, text):
        return read_csv(path, text, required, optional)
    rows: list[Row] = []
    problems: list[Issue] = []
    for where, i, record in json_records(path, load_json(path, text), key):
        if not isinstance(record, dict):
            problems.append(issue(where, "<record>", f"expected an object, got "
                                                     f"{type(record).__name__}", i))
            continue
        try:
            check_columns(where, record, required, optional, i, "field")
        except InputError as e:
            problems += e.issues
            continue
        rows.append(Row(record, where, i))
    if problems:
        raise InputError(problems)
    return rows


# ---- values --------------------------------------------------------------------------------


def parse_time(value: object, tz: tzinfo = UTC) -> datetime:
    """An ISO 8601 time ('2026-03-10T10:42:00Z', '2026-03-10 10:42', with or without an
    offset; a time without one is read in `tz`) → an aware datetime; ValueError says how to
    write it."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"{show(value)} is not a time; write it like '2026-03-10T10:42:00Z'")
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{show(value)} is not a time; write it like '2026-03-10T10:42:00Z' "
                         "(ISO 8601, offset optional)") from None
    # in UTC: Python subtracts two times of the same zone on the wall clock, which would count
    # a daylight-saving change (01:30 → 03:30 the night clocks spring forward is one hour)
    return (t if t.tzinfo is not None else t.replace(tzinfo=tz)).astimezone(UTC)


def parse_seconds(value: object) -> float:
    """A duration written with a unit ('20m', '1h30m') or a number of seconds → seconds ≥ 0."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        seconds = parse_duration(value)
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{show(value)} is not a duration ≥ 0; write it like '20m'")
    return seconds
