"""The exceptions drsim raises. The CLI catches DrsimError and nothing broader."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_SHOWN = 60  # characters of a value quoted in a message; longer values are cut


def show(value: Any, limit: int = MAX_SHOWN) -> str:
    """A value as a message quotes it: repr (so control characters and bidi overrides come out
    as escapes), cut to `limit` characters with the full length noted."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit - 1]}… ({len(str(value))} characters)"


_LONG_WORD = re.compile(r"\S{121,}")
# a quoted value (with spaces in it): the quote opens after a space or bracket, closes before
# one or before punctuation, so the text between two quoted values is never taken for one
_LONG_QUOTE = re.compile(r"(?<![^\s(\[])'([^'\n]{121,}?)'(?=[\s;,:)\]]|$)")


def plain(text: str, cut: bool = True) -> str:
    """Text safe to print on one terminal line: every character that is not printable
    (controls, ANSI escapes, bidi overrides, line breaks) written as an escape; any run of
    more than 120 characters without a space, and any quoted value longer than that, cut, so
    no value floods a message."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    if not cut:
        return text
    text = _LONG_QUOTE.sub(lambda m: f"'{m[1][:MAX_SHOWN]}…' ({len(m[1])} characters)", text)
    return _LONG_WORD.sub(lambda m: m[0][:MAX_SHOWN] + f"… ({len(m[0])} characters)", text)


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a scenario file, placed at a line and column."""

    line: int
    col: int
    path: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{plain(self.file, cut=False) or '<scenario>'}:{self.line}:{self.col}"
        return f"{where}: {plain(self.path) or '<top>'}: {plain(self.message)}"


class FieldValueError(ValueError):
    """A ValueError about one part of a value: `key` is the path below the value being parsed
    (('hours',) in a calendar, ('lognormal', 'p90') in a distribution), so the issue can point
    at that part's own line instead of the start of the whole value."""

    def __init__(self, message: str, *key: str | int) -> None:
        super().__init__(message)
        self.key = key


class DrsimError(Exception):
    """Base of every error drsim reports to a user without a traceback."""


class ScenarioError(DrsimError):
    """A scenario file has one or more problems; every problem is listed."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class SimulationError(DrsimError):
    """The engine reached a state the scenario should have made impossible."""


class OutputError(DrsimError):
    """An output could not be written (exists without --force, unwritable path)."""


class WriteError(OutputError):
    """The operating system refused to write an output (read-only folder, a file where a folder
    should be, disk full, standard output on a full device): exit 74 (EX_IOERR), one line
    naming the path and the OS error."""

    def __init__(self, path: object, error: OSError | str) -> None:
        self.path, self.why = path, error if isinstance(error, str) else reason(error)
        super().__init__(f"{path}: cannot write: {self.why}")


def reason(error: OSError) -> str:
    """The OS's words for an error ("No space left on device"), also when a library (pyarrow)
    put its errno into a message of its own."""
    import os
    import re

    found = re.search(r"\[errno (\d+)\]", str(error), re.IGNORECASE)
    code = error.errno or (int(found.group(1)) if found else None)
    return os.strerror(code) if code else (error.strerror or str(error))


class TrialsFailed(DrsimError):
    """A trial raised: the run is not complete (exit 70, EX_SOFTWARE)."""


class Terminated(BaseException):  # noqa: N818 — raised from the SIGTERM handler
    """SIGTERM arrived: stop like Ctrl-C (a run keeps every finished trial; the command exits
    143). A BaseException, like KeyboardInterrupt, so that no `except Exception` (a trial
    recording its error) swallows it."""
