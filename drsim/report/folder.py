"""Reading a results folder (drsim run --trials N --out DIR), checked before anything uses it.

Every command that reads a folder (export, plot, run --resume, explain) calls read_folder:
a folder that is not what `drsim run` wrote — a truncated or non-object manifest.json, a
manifest without its rows, truncated rows, a summary that does not match the rows, a format
this drsim does not read — is refused with one line naming the file and what is wrong (a
DrsimError: exit 2), and nothing in the folder is changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.errors import DrsimError

ROWS = {"parquet": "trials.parquet", "csv": "trials.csv"}
FORMAT = 1  # the layout of a results folder, manifest.json "format" (absent: 1, the first)
AGAIN = "write the folder again (drsim run ... --out DIR --force)"


@dataclass(frozen=True)
class Results:
    """A results folder, read and checked."""

    frame: pd.DataFrame
    summary: dict[str, Any]
    manifest: dict[str, Any]


def digest(path: Path) -> str:
    """sha256 of a file, as manifest.json "sha256" records it for the rows and summary."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _document(path: Path) -> dict[str, Any]:
    """A JSON object file: refused when missing, unreadable, not JSON or not an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DrsimError(f"{path.parent}: no {path.name} there, so not a results folder; "
                         "write one with drsim run --trials N --out DIR") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DrsimError(f"{path}: cannot be read ({e}); {AGAIN}") from None
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise DrsimError(f"{path}: not valid JSON, truncated or damaged ({e}); {AGAIN}") from None
    if not isinstance(doc, dict):
        raise DrsimError(f"{path}: holds a JSON {type(doc).__name__}, not the object drsim "
                         f"writes; {AGAIN}")
    return doc


def _count(doc: dict[str, Any], key: str, path: Path) -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DrsimError(f"{path}: '{key}' is {value!r}, not a count of trials; {AGAIN}")
    return value


def check_format(manifest: dict[str, Any], path: Path) -> None:
    """The folder's layout is one this drsim reads (FORMAT)."""
    fmt = manifest.get("format", 1)
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise DrsimError(f"{path}: 'format' is {fmt!r}, not a format number; {AGAIN}")
    if fmt != FORMAT:
        who = "a newer" if fmt > FORMAT else "an older"
        raise DrsimError(f"{path}: written by {who} drsim (results format {fmt}; this drsim "
                         f"reads format {FORMAT}); read it with that drsim, or {AGAIN}")


def read_rows(path: Path) -> pd.DataFrame:
    """The trial rows (Parquet or CSV); refused when missing, truncated or unreadable."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            raise DrsimError(f"{path}: truncated (its last row has no line end); {AGAIN}")
        return pd.read_csv(path)
    except FileNotFoundError:
        raise DrsimError(f"{path}: missing, though manifest.json names it; {AGAIN}") from None
    except DrsimError:
        raise
    except Exception as e:  # pyarrow and the csv parser raise many kinds; all mean unreadable
        raise DrsimError(f"{path}: cannot be read, truncated or damaged ({type(e).__name__}: "
                         f"{e}); {AGAIN}") from None


def _check_rows(frame: pd.DataFrame, path: Path) -> int:
    """The rows have their trial and error columns, one row per trial; returns how many
    failed (an error recorded)."""
    missing = [c for c in ("trial", "error") if c not in frame.columns]
    if missing:
        raise DrsimError(f"{path}: no {' or '.join(missing)} column, so not drsim's trial rows; "
                         f"{AGAIN}")
    trial = pd.to_numeric(frame["trial"], errors="coerce")
    if trial.isna().any() or not all(math.isfinite(t) and t >= 0 and t == int(t) for t in trial):
        raise DrsimError(f"{path}: a 'trial' value is not a trial number; {AGAIN}")
    if trial.duplicated().any():
        dup = int(trial[trial.duplicated()].iloc[0])
        raise DrsimError(f"{path}: trial {dup} appears twice; {AGAIN}")
    return int(frame["error"].notna().sum())


def _mismatch(a: tuple[int, int], b: tuple[int, int]) -> tuple[str, int, int] | None:
    """The first of (trials, failed trials) on which two counts differ, with both values."""
    for what, x, y in zip(("trials", "failed trials"), a, b, strict=True):
        if x != y:
            return what, x, y
    return None


def read_folder(folder: Path) -> Results:
    """The rows, summary and manifest of a results folder, every part checked (see above)."""
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise DrsimError(f"{folder}: {what}; give a results folder written by "
                         "drsim run --trials N --out DIR")
    man_path, sum_path = folder / "manifest.json", folder / "summary.json"
    manifest = _document(man_path)
    check_format(manifest, man_path)
    rows_name = manifest.get("rows")
    if rows_name not in ROWS.values():
        raise DrsimError(f"{man_path}: 'rows' is {rows_name!r}, expected "
                         f"{' or '.join(ROWS.values())}; {AGAIN}")
    summary = _document(sum_path)
    rows = folder / str(rows_name)
    frame = read_rows(rows)
    has = (len(frame), _check_rows(frame, rows))
    said = (_count(manifest, "trials_completed", man_path),
            _count(manifest, "trials_failed", man_path))
    if (m := _mismatch(has, said)) is not None:
        raise DrsimError(f"{rows}: holds {m[1]} {m[0]}, but manifest.json says {m[2]}: "
                         f"truncated, damaged or from another run; {AGAIN}")
    said = (_count(summary, "trials", sum_path), _count(summary, "failed", sum_path))
    if (m := _mismatch(said, has)) is not None:
        raise DrsimError(f"{sum_path}: says {m[1]} {m[0]}, but {rows.name} holds {m[2]}: "
                         f"damaged or from another run; {AGAIN}")
    sums = manifest.get("sha256", {})  # absent in folders written before it was recorded
    if not isinstance(sums, dict):
        raise DrsimError(f"{man_path}: 'sha256' is {sums!r}, not a table of files; {AGAIN}")
    for path in (rows, sum_path):
        if path.name in sums and digest(path) != sums[path.name]:
            raise DrsimError(f"{path}: changed since drsim wrote it (its sha256 is not the one "
                             f"manifest.json records); {AGAIN}")
    return Results(frame, summary, manifest)
