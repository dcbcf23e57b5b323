"""The journal of a results folder: the rows of every finished batch, appended as it finishes,
so that a run killed outright (SIGKILL, a power cut) resumes from its last complete batch.

`DIR/trials.journal` holds one record a line: `<sha256 of the payload, 64 hex digits> <payload>`,
the payload a JSON object. A start record (`{"journal": 1, ...}`: scenario hash, seed,
versions, trials asked for, the row columns) opens the file, and each resumed run appends
another; a batch record (`{"rows": [[...], ...]}`) holds the rows of one finished batch, each
a list of values in the start record's column order (floats as Python writes them, which
read back to the same bits; inf and NaN as the tokens Infinity and NaN). Each record is one
write() followed by fsync(), so a crash can tear only the last record: reading ignores a
torn last record, saying so in one line, and refuses a bad record with more after it (that
is damage, not a crash). Writing the finished folder (store.save) replaces the journal with
the Parquet rows.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drsim.errors import OutputError, WriteError
from drsim.trial import Row

NAME = "trials.journal"
FORMAT = 1


@dataclass
class Contents:
    """What a journal holds: its last start record (None when no start record is complete),
    the rows of its complete batch records, the length in bytes of its complete records
    (where the next one goes), and a one-line note when its end is torn."""

    start: dict[str, Any] | None = None
    rows: list[Row] = field(default_factory=list)
    good: int = 0
    note: str = ""


def encode(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, separators=(",", ":")).encode()
    return hashlib.sha256(text).hexdigest().encode() + b" " + text + b"\n"


def start_record(columns: list[str], **run: Any) -> dict[str, Any]:
    return {"journal": FORMAT, **run, "columns": columns}


def batch_record(columns: list[str], rows: list[Row]) -> dict[str, Any]:
    return {"rows": [[row.get(c) for c in columns] for row in rows]}


def _decode(line: bytes) -> dict[str, Any] | str:
    """A record's payload, or what is wrong with it."""
    digest, sep, text = line.partition(b" ")
    if not sep or len(digest) != 64:
        return "not a journal record (no checksum before the payload)"
    if hashlib.sha256(text).hexdigest().encode() != digest:
        return "checksum mismatch (the payload is not what was written)"
    try:
        payload = json.loads(text)
    except ValueError as e:
        return f"payload is not JSON ({e})"
    if not isinstance(payload, dict) or ("journal" in payload) == ("rows" in payload):
        return "neither a start record nor a batch record"
    return payload


def _check(payload: dict[str, Any], start: dict[str, Any] | None) -> str:
    """What is wrong with a well-formed record in its place, or ''."""
    if "journal" in payload:
        if payload["journal"] != FORMAT:
            return (f"journal format {payload['journal']!r}, but this drsim reads format "
                    f"{FORMAT}")
        cols = payload.get("columns")
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            return "start record without its list of columns"
        return ""
    if start is None:
        return "a batch record before any start record"
    width = len(start["columns"])
    rows = payload["rows"]
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == width
                                             for r in rows):
        return f"a batch record whose rows are not lists of {width} values (the columns)"
    return ""


def read(path: Path) -> Contents:
    """The complete records of the journal at `path` (an empty Contents when there is none).
    A torn or bad last record is left out with a note; a bad record followed by more is
    refused (OutputError naming the file, the line and what is wrong)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Contents()
    except OSError as e:
        raise OutputError(f"{path}: cannot be read ({e.strerror})") from None
    return parse(data, path)


def parse(data: bytes, path: Path) -> Contents:
    """The complete records of a journal's bytes (read from `path`, named in messages)."""
    out, pos = Contents(), 0
    lines = data.split(b"\n")  # the last item follows the last newline (b"" after a whole line)
    for number, line in enumerate(lines, 1):
        end = pos + len(line) + 1
        last = number == len(lines) - 1 and not lines[-1]  # nothing after it
        if number == len(lines):  # bytes after the last newline: a record torn mid-write
            if line:
                out.note = _torn(path, number, pos, len(data), "no newline at its end")
            break
        payload = _decode(line)
        wrong = payload if isinstance(payload, str) else _check(payload, out.start)
        if wrong and last:
            out.note = _torn(path, number, pos, len(data), wrong)
            break
        if wrong:
            raise OutputError(f"{path}:{number}: {wrong}; the journal is damaged before its "
                              "last record (a crash tears only the last), so this folder "
                              "cannot be resumed: move it aside, or run again with --force")
        assert isinstance(payload, dict)
        if "journal" in payload:
            out.start = payload
        else:
            assert out.start is not None
            cols = out.start["columns"]
            out.rows += [dict(zip(cols, values, strict=True)) for values in payload["rows"]]
        out.good = pos = end
    return out


def _torn(path: Path, line: int, start: int, size: int, wrong: str) -> str:
    return (f"{path}:{line}: its last record (bytes {start}–{size}) is torn, as a crash "
            f"mid-write leaves it ({wrong}); ignored: its trials run again")


class Writer:
    """Appends records to a journal file, each with one write() and an fsync()."""

    def __init__(self, path: Path, keep: int) -> None:
        """Open `path` for appending after its first `keep` bytes (its complete records; a
        torn end is cut off), creating it if needed."""
        self.path = path
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
            os.ftruncate(self.fd, keep)
            fsync_folder(path.parent)  # the file's name is as durable as its records
        except OSError as e:
            raise WriteError(path, e) from None

    def write(self, payload: dict[str, Any]) -> None:
        """Append one record whole, or raise WriteError with the file cut back to the records
        before it (so a resume finds no torn end)."""
        data = encode(payload)
        try:
            end = os.lseek(self.fd, 0, os.SEEK_END)
            written = os.write(self.fd, data)
            if written != len(data):  # a full disk
                with contextlib.suppress(OSError):
                    os.ftruncate(self.fd, end)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            os.fsync(self.fd)
        except OSError as e:
            raise WriteError(self.path, e) from None

    def close(self) -> None:
        os.close(self.fd)


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (a new file, a rename) durable, where the OS allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
