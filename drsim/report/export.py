"""Exports of a results folder: its trials (and summary) as CSV, strict JSON or Parquet.

- csv: the trial rows (+inf written as `inf`, NaN as an empty field).
- json: one strict document {"manifest", "summary", "trials": [row, ...]}; NaN and ±inf are
  null (the summary's counts say why: not applicable or never reached), so any JSON parser
  reads it.
- parquet: the trial rows, with the summary and manifest as JSON in the file's metadata
  (keys `drsim.summary`, `drsim.manifest`).
Every file is written to a temporary sibling and renamed, and an existing file is replaced
only with force.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.errors import DrsimError
from drsim.report.folder import read_folder
from drsim.report.output import check_writable, write_atomic_with

FORMATS = ("csv", "json", "parquet")
SUMMARY_KEY = b"drsim.summary"
MANIFEST_KEY = b"drsim.manifest"


def read_results(folder: Path) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """(trials frame, summary, manifest) of a results folder written by `drsim run --out`,
    checked by drsim/report/folder.py (one line naming the file and what is wrong)."""
    results = read_folder(folder)
    return results.frame, results.summary, results.manifest


def _plain(value: Any) -> Any:
    """A cell as a strict-JSON value: numpy scalars → Python, NaN/±inf/NA → None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as strict-JSON-ready dicts (NaN and ±inf → None)."""
    cols = [frame[c].tolist() for c in frame.columns]
    names = [str(c) for c in frame.columns]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in zip(*cols,
                                                                                   strict=True)]


def to_json_text(frame: pd.DataFrame, summary: Any = None, manifest: Any = None) -> str:
    """Strict JSON (json.dumps with allow_nan=False) of the manifest, summary and trials."""
    doc = {"manifest": manifest, "summary": summary, "trials": records(frame)}
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def write_frame(frame: pd.DataFrame, path: Path, fmt: str, summary: Any = None,
                manifest: Any = None, force: bool = False) -> None:
    """Write a frame of trials (with the summary and manifest where the format has room) to
    `path` as csv, json or parquet; atomically, refusing an existing file without force."""
    if fmt not in FORMATS:
        raise DrsimError(f"format '{fmt}': use one of {', '.join(FORMATS)}")
    check_writable(path, force)
    if fmt == "csv":
        write_atomic_with(path, lambda tmp: frame.to_csv(tmp, index=False))
    elif fmt == "json":
        text = to_json_text(frame, summary, manifest)
        write_atomic_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        for key, doc in ((SUMMARY_KEY, summary), (MANIFEST_KEY, manifest)):
            if doc is not None:
                meta[key] = json.dumps(doc, allow_nan=False).encode()
        table = table.replace_schema_metadata(meta)
        write_atomic_with(path, lambda tmp: pq.write_table(table, tmp))


def default_export_path(folder: Path, fmt: str) -> Path:
    """results/x → results/x.csv (beside the folder)."""
    folder = folder.resolve()
    return folder.with_name(f"{folder.name}.{fmt}")


def export_results(folder: Path, fmt: str, out: Path | None = None,
                   force: bool = False) -> Path:
    """Export a results folder's trials (and summary) to `out` (default: beside the folder,
    named after it); returns the path written."""
    if fmt not in FORMATS:
        raise DrsimError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    path = out if out is not None else default_export_path(folder, fmt)
    check_writable(path, force)
    frame, summary, manifest = read_results(folder)
    write_frame(frame, path, fmt, summary, manifest, force=True)
    return path
