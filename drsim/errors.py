"""The exceptions drsim raises. The CLI catches DrsimError and nothing broader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a scenario file, placed at a line and column."""

    line: int
    col: int
    path: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file or '<scenario>'}:{self.line}:{self.col}"
        return f"{where}: {self.path or '<top>'}: {self.message}"


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
        self.why = error if isinstance(error, str) else _reason(error)
        super().__init__(f"{path}: cannot write: {self.why}")


def _reason(error: OSError) -> str:
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
