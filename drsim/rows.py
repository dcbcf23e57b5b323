"""The rows of a Monte Carlo run, held as columns: in memory, or written to Parquet as they come.

A row arrives as a dict (one per trial: trial.py), which costs about 1.5 KB of Python objects;
rows are held as such only until CHUNK of them are in, then become one small DataFrame (8 bytes
a number), so a run's memory is its columns, not its dicts. With a Parquet file to write to,
each chunk is written as a row group and let go instead, and only the columns asked for (the
metric a progress bar or a --until target watches) stay in memory: the coordinator's memory
then does not grow with the number of trials. Statistics of such a run are computed a column
at a time from the file (summary_of), with the very functions used on a whole frame, so they
are the same numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drsim.scenario.schema import Scenario
from drsim.stats import is_boolean_column

Row = dict[str, Any]

CHUNK = 4096  # rows gathered as dicts before they become a frame (or a Parquet row group)


class Rows:
    """The rows of a run so far, in arrival order; len() is how many. `frame()` gives them
    all as one DataFrame in trial order (only without a file: with one, they are on disk)."""

    def __init__(self, columns: Sequence[str], path: Path | None = None,
                 keep: Iterable[str] = ()) -> None:
        self.columns = list(columns)
        self.sink = ParquetRows(path, self.columns) if path is not None else None
        self.keep = [c for c in dict.fromkeys(keep) if c in self.columns]
        self._pending: list[Row] = []
        self._chunks: list[pd.DataFrame] = []  # in memory (no file)
        self._kept: list[pd.DataFrame] = []  # with a file: the `keep` columns only
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, row: Row) -> None:
        self._pending.append(row)
        self._count += 1
        if len(self._pending) >= CHUNK:
            self.flush()

    def extend(self, frame: pd.DataFrame) -> None:
        """Rows already made (a resumed run's previous trials)."""
        if len(frame):
            self._store(frame.reindex(columns=self.columns))
            self._count += len(frame)

    def flush(self) -> None:
        """The rows gathered as dicts become a frame chunk (or a row group on disk)."""
        if self._pending:
            chunk, self._pending = _frame(self._pending, self.columns), []
            self._store(chunk)

    def _store(self, chunk: pd.DataFrame) -> None:
        if self.sink is None:
            self._chunks.append(chunk)
            return
        self.sink.write(chunk)
        if self.keep:
            self._kept.append(chunk[self.keep])

    def column(self, name: str) -> np.ndarray:
        """One column's values so far as floats (NaN where missing), in arrival order (with
        a file: only the columns kept)."""
        chunks = self._chunks if self.sink is None else self._kept
        parts = [_floats(c[name]) for c in chunks if name in c.columns]
        parts.append(np.array([r.get(name, np.nan) for r in self._pending], dtype=float))
        return np.concatenate(parts)

    def watched(self) -> pd.DataFrame:
        """Every row so far (with a file: its kept columns), for a stopping rule."""
        if self.sink is None:
            return self.frame()
        self.flush()
        if not self._kept:
            return pd.DataFrame(columns=self.keep)
        self._kept = [_concat(self._kept)] if len(self._kept) > 1 else self._kept
        return self._kept[0]

    def frame(self) -> pd.DataFrame:
        """Every row, in trial order, as frame_of would build it from the dicts."""
        if self.sink is not None:
            raise ValueError("the rows of this run are in a Parquet file, not in memory")
        self.flush()
        if not self._chunks:
            return _frame([], self.columns)
        frame = _concat(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        if len(self._chunks) > 1:  # chunks are kept: a later round may add to them
            self._chunks = [frame]
        return frame.sort_values("trial", kind="stable").reset_index(drop=True)

    def close(self) -> None:
        self.flush()
        if self.sink is not None:
            self.sink.close()


def _frame(rows: list[Row], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _floats(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def _concat(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks as one frame with the dtypes one frame of all their dicts would have: a
    column whose chunks disagree (bool in one, object in another where a trial failed) is
    inferred again from its values, as pandas infers it from the dicts."""
    frame = pd.concat(chunks, ignore_index=True)
    for c in frame.columns:
        if len({str(ch[c].dtype) for ch in chunks}) > 1:
            frame[c] = pd.Series(frame[c].astype(object).tolist(), index=frame.index)
    return frame


# ---- Parquet, a row group per chunk ------------------------------------------------------


def arrow_schema(columns: Sequence[str]) -> Any:
    """One schema for every row group: trial an integer, error text, yes/no columns bool,
    incidents an integer, every other column float (nullable all, for failed trials)."""
    import pyarrow as pa

    def kind(c: str) -> Any:
        if c in ("trial", "incidents"):
            return pa.int64()
        if c == "error":
            return pa.string()
        return pa.bool_() if is_boolean_column(c) else pa.float64()

    return pa.schema([(c, kind(c)) for c in columns])


class ParquetRows:
    """Rows written to a Parquet file, a row group at a time (pyarrow's ParquetWriter)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.schema = arrow_schema(columns)
        self.writer: Any = pq.ParquetWriter(path, self.schema)

    def write(self, chunk: pd.DataFrame) -> None:
        import pyarrow as pa

        arrays = [_arrow_column(chunk[f.name], f.type) for f in self.schema]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _arrow_column(values: pd.Series, kind: Any) -> Any:
    """A column as Arrow: None and NaN become nulls (the cells of failed trials)."""
    import pyarrow as pa

    if pa.types.is_integer(kind):
        floats = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        return pa.array(floats, type=pa.float64(), from_pandas=True).cast(kind)
    if pa.types.is_floating(kind):
        return pa.array(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float),
                        type=kind)
    return pa.array(values.to_numpy(dtype=object), type=kind, from_pandas=True)


# ---- statistics a column at a time ---------------------------------------------------------


def read_column(path: Path, name: str) -> pd.Series:
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=[name]).column(name).to_pandas()


def summary_of(path: Path, scenario: Scenario, level: float = 0.95) -> Any:
    """The Summary of the rows in a Parquet file (ParquetRows), read one column at a time:
    the same numbers stats.summarise gives for the whole frame, without holding it."""
    import pyarrow.parquet as pq

    from drsim import stats

    names = pq.read_schema(path).names
    errors = read_column(path, "error")
    failed = errors.notna().to_numpy()
    ok = ~failed
    counts = errors[failed].value_counts()
    error_counts = tuple(stats.ErrorCount(str(msg), int(n)) for msg, n in sorted(
        counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    metrics, proportions = [], []
    for name in names:
        if name in stats._NOT_METRICS:
            continue
        values = read_column(path, name)[ok].reset_index(drop=True)
        if is_boolean_column(name, values):
            proportions.append(stats.summarise_proportion(name, values, level))
        else:
            metrics.append(stats.summarise_metric(name, values, level))
    annual = None
    if stats.is_horizon_based(scenario):
        wanted = [c for c in ("unavailability", "downtime_s", "customer_minutes_lost",
                              "incidents") if c in names]
        cols = {c: read_column(path, c)[ok].reset_index(drop=True) for c in wanted}
        annual = stats.annualise(pd.DataFrame(cols), scenario.simulation.horizon, level)
    summary = stats.Summary(scenario=scenario.name, level=level, trials=len(errors),
                            failed=int(failed.sum()), errors=error_counts,
                            metrics=tuple(metrics), proportions=tuple(proportions),
                            annual=annual, notes=())
    return replace(summary, notes=tuple(stats._notes(summary)))
