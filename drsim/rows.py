"""The rows of a Monte Carlo run, held as columns: in memory, or written to Parquet as they come.

A trial's row is made as a dict (trial.py), which costs about 1.5 KB of Python objects; where
the trial ran (a worker) its row is held as such only until its group is full (grouped: 1, 4,
16, then 64 rows), and the group travels as one Chunk: a float64 matrix and each column's dtype,
one message and no dict per trial. The coordinator takes groups in trial order and holds them
as arrays until CHUNK rows are in, then as one small DataFrame (8 bytes a number), so a run's
memory is its columns, not its dicts. With a Parquet file to write to,
each chunk is written as a row group and let go instead, and only the columns asked for (the
metric a progress bar or a --until target watches) stay in memory: the coordinator's memory
then does not grow with the number of trials. Statistics of such a run are computed a column
at a time from the file (summary_of), with the very functions used on a whole frame, so they
are the same numbers bit for bit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from drsim.errors import Terminated, WriteError
from drsim.scenario.schema import Scenario
from drsim.stats import is_boolean_column

Row = dict[str, Any]

CHUNK = 4096  # rows gathered before they become a frame (or a Parquet row group)
GROUP = 64  # rows a worker's group grows to (1, 4, 16, 64, 64, …): one message each
SERIAL_GROUP = 16  # in this process (no message to amortise): fewer rows held as dicts
FLUSH_S = 0.5  # a group is let go when a row finishes this long after the last group went


class Chunk:
    """The rows of some trials as columns. The trials that ran to the end are one float64
    matrix (a row per trial, a column per numeric column) with each column's dtype (bool,
    int64 or float64: what pandas infers from the column's values; bools and integers below
    2**53 are floats exactly), plus, rarely, columns pandas keeps as objects; the trials that
    raised are (trial, error) pairs. This is what travels from a worker to the coordinator:
    one small message of one array for a group of trials, not a dict per trial."""

    __slots__ = ("columns", "names", "kinds", "matrix", "others", "failed", "_trials", "_at")

    def __init__(self, columns: Sequence[str], names: list[str], kinds: list[str],
                 matrix: np.ndarray, others: dict[str, np.ndarray],
                 failed: list[tuple[int, str]]) -> None:
        self.columns, self.names, self.kinds, self.matrix = list(columns), names, kinds, matrix
        self.others, self.failed = others, failed
        self._trials: np.ndarray | None = None
        self._at: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.matrix) + len(self.failed)

    def __getstate__(self) -> tuple[Any, ...]:
        """The matrix travels as its bytes: a numpy array's own pickling costs tens of
        microseconds, the whole chunk's message should cost a few."""
        return ("\0".join(self.columns), "\0".join(self.names), "".join(self.kinds),
                self.matrix.shape, self.matrix.tobytes(), self.others, self.failed)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        columns, names, kinds, shape, data, self.others, self.failed = state
        self.columns, self.names = columns.split("\0"), names.split("\0") if names else []
        self.kinds = [kinds[i:i + 3] for i in range(0, len(kinds), 3)]  # "<i8", "|b1", "<f8"
        self._trials, self._at = None, None
        self.matrix = np.frombuffer(data, dtype=np.float64).reshape(shape)

    def ok(self, name: str) -> np.ndarray:
        """A column's values in the trials that ran to the end, with its dtype."""
        if name in self.others:
            return self.others[name]
        j = self.at()[name]
        return self.matrix[:, j].astype(self.kinds[j])

    def at(self) -> dict[str, int]:
        """Each numeric column's index in the matrix (a look-up, not a search: a 1,000-site
        estate's rows have thousands of columns)."""
        if self._at is None:
            self._at = {name: j for j, name in enumerate(self.names)}
        return self._at

    def trials(self) -> np.ndarray:
        """Its trial numbers, in order."""
        if self._trials is None:
            self._trials = np.sort(np.concatenate([
                self.ok("trial"), np.array([t for t, _ in self.failed], dtype=np.int64)]))
        return self._trials

    def rows(self) -> list[Row]:
        """The rows as dicts, in trial order: what trial.run_trial returned."""
        names = [c for c in self.columns if c in self.at() or c in self.others]
        ok = [{"error": None, **dict(zip(names, values, strict=True))}
              for values in zip(*(self.ok(c).tolist() for c in names), strict=True)]
        bad = [{"trial": t, "error": e} for t, e in self.failed]
        return sorted(ok + bad, key=lambda r: int(r["trial"]))

    def split(self, n: int) -> tuple[Chunk, Chunk]:
        """Its first n rows (in trial order) and the others."""
        cut = int(self.trials()[n - 1]) if n > 0 else -1
        first = self.ok("trial") <= cut
        return (self._part(first, [f for f in self.failed if f[0] <= cut]),
                self._part(~first, [f for f in self.failed if f[0] > cut]))

    def _part(self, mask: np.ndarray, failed: list[tuple[int, str]]) -> Chunk:
        return Chunk(self.columns, self.names, self.kinds, self.matrix[mask],
                     {c: a[mask] for c, a in self.others.items()}, failed)

    def floats(self, name: str) -> np.ndarray:
        """One column as floats: the finished trials' values, then NaN for the failed."""
        known = name in self.at() or name in self.others
        values = self.ok(name).astype(float) if known else np.full(len(self.matrix), np.nan)
        return np.concatenate([values, np.full(len(self.failed), np.nan)])

    def frame(self) -> pd.DataFrame:
        """The rows as one DataFrame in trial order, with the dtypes pandas gives a frame of
        their dicts (frame_of)."""
        return frame_of_chunks([self], self.columns)


_INTEGERS = {int, np.int64}
_NUMBERS = {int, float, np.int64, np.float64}


def chunk_of(rows: Sequence[Row], columns: Sequence[str]) -> Chunk:
    """Rows (dicts) as a Chunk. A column whose values are all bool, or all numbers, goes
    into the matrix with the dtype pandas would infer (bool, int64, float64); anything else
    (a value missing or None) is left to pandas itself."""
    ok = [r for r in rows if r.get("error") is None]
    failed = [(int(r["trial"]), str(r["error"])) for r in rows if r.get("error") is not None]
    wanted = [c for c in columns if c != "error"]
    by_column = list(zip(*[[r.get(c) for c in wanted] for r in ok], strict=True)) if ok \
        else [() for _ in wanted]
    names, kinds, numbers, others = [], [], [], {}
    for c, values in zip(wanted, by_column, strict=True):
        seen = set(map(type, values))
        if seen == {bool}:
            kind = "|b1"
        elif seen <= _INTEGERS and (not values or max(map(abs, values)) < 2**53):
            kind = "<i8"
        elif seen <= _NUMBERS and not seen & _INTEGERS:
            kind = "<f8"
        elif seen <= _NUMBERS and max(map(abs, values)) < 2**53:  # ints and floats
            kind = "<f8"
        else:
            others[c] = pd.Series(list(values)).to_numpy()
            continue
        names.append(c)
        kinds.append(kind)
        numbers.append(values)
    matrix = np.array(numbers, dtype=float).T if numbers and ok else np.empty(
        (len(ok), len(names)))
    return Chunk(columns, names, kinds, np.ascontiguousarray(matrix), others, failed)


def grouped(rows: Iterable[Row], columns: Sequence[str], most: int = GROUP
            ) -> Iterator[Chunk]:
    """The rows of a batch, as they finish, in Chunks of 1, 4, 16, then `most` rows (or
    fewer when a row finishes FLUSH_S after the last group went, so slow trials still show
    progress): the first row of a batch shows at once, a message carries up to `most` rows
    (the cost of a message, tens of microseconds, shared by them), rows held as dicts never
    exceed `most`, and a worker that dies loses at most the group under way. Ctrl-C or
    SIGTERM in this process (the serial backend) lets the finished rows out before it goes
    on. Which rows share a group never changes a number."""
    group: list[Row] = []
    size, since = 1, time.monotonic()
    try:
        for row in rows:
            group.append(row)
            if len(group) >= size or time.monotonic() - since >= FLUSH_S:
                out, group = chunk_of(group, columns), []
                size, since = min(most, 4 * size), time.monotonic()
                yield out
    except (KeyboardInterrupt, Terminated):
        if group:
            yield chunk_of(group, columns)
        raise
    if group:
        yield chunk_of(group, columns)


def frame_of_chunks(chunks: Sequence[Chunk], columns: Sequence[str]) -> pd.DataFrame:
    """The rows of the chunks as one frame in trial order, as pandas builds it from their
    dicts: a column whose chunks agree keeps their dtype, int64 and float64 make float64,
    other mixtures are inferred again from the values; with a failed trial among them the
    frame is built from the dicts themselves (the missing cells make pandas choose)."""
    if any(c.failed for c in chunks):
        rows = [r for c in chunks for r in c.rows()]
        return pd.DataFrame(rows, columns=list(columns)).sort_values(
            "trial", kind="stable").reset_index(drop=True)
    parts = [c for c in chunks if len(c)]
    if not parts:
        return pd.DataFrame([], columns=list(columns))
    data: dict[str, Any] = {}
    if all(p.names == parts[0].names and p.kinds == parts[0].kinds and not p.others
           for p in parts):  # the usual case: one stack, a cast per column
        matrix = np.concatenate([p.matrix for p in parts])
        for j, (name, kind) in enumerate(zip(parts[0].names, parts[0].kinds, strict=True)):
            data[name] = matrix[:, j].astype(kind)
    else:
        for name in columns:
            if name == "error":
                continue
            arrays = [p.ok(name) for p in parts]
            kinds = {a.dtype for a in arrays}
            if len(kinds) == 1 or kinds == {np.dtype(np.int64), np.dtype(np.float64)}:
                data[name] = np.concatenate(arrays)
            else:
                data[name] = pd.Series(np.concatenate([a.astype(object) for a in arrays]
                                                      ).tolist()).to_numpy()
    n = len(data["trial"])
    data["error"] = np.full(n, None, dtype=object)
    order = np.argsort(data["trial"], kind="stable")
    return pd.DataFrame({c: data[c][order] for c in columns}, columns=list(columns))


class Rows:
    """The rows of a run so far; len() is how many. They are taken in trial order (0, 1, 2,
    …): a group that arrives before a lower trial waits for it (a few batches in flight at
    most), so a Parquet file is written in trial order, and at the end whatever is left
    (after an interruption) follows in order. `frame()` gives them all as one DataFrame in
    trial order (only without a file: with one, they are on disk)."""

    def __init__(self, columns: Sequence[str], path: Path | None = None,
                 keep: Iterable[str] = ()) -> None:
        self.columns = list(columns)
        self.sink = ParquetRows(path, self.columns) if path is not None else None
        self.keep = [c for c in dict.fromkeys(keep) if c in self.columns]
        self._early: dict[int, Chunk] = {}  # groups waiting for a lower trial, by their first
        self._next = 0  # the lowest trial not yet taken
        self._pending: list[Chunk] = []  # groups taken since the last frame chunk
        self._waiting = 0  # rows in them
        self._kinds: dict[str, set[str]] = {}  # the dtypes each column had in the groups
        self._seen: set[tuple[Any, ...]] = set()  # the groups' (names, kinds, others) so far
        self._failed = 0
        self._chunks: list[pd.DataFrame] = []  # in memory (no file)
        self._kept: list[pd.DataFrame] = []  # with a file: the `keep` columns only
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, chunk: Chunk) -> None:
        """A group of rows from a worker: taken once every lower trial is in."""
        self._count += len(chunk)
        if len(chunk):
            self._early[int(chunk.trials()[0])] = chunk
        self._release()

    def _release(self, everything: bool = False) -> None:
        """Take the groups that continue the trials taken so far (the part of a group up to
        a gap in its trial numbers: a resumed run's earlier trials fill it); with
        `everything`, then every group left, in order (the run has ended)."""
        while self._next in self._early:
            chunk = self._early.pop(self._next)
            trials = chunk.trials()
            if trials[-1] - trials[0] + 1 != len(trials):  # a gap: take the part before it
                gaps = np.flatnonzero(trials != self._next + np.arange(len(trials)))
                chunk, rest = chunk.split(int(gaps[0]))
                self._early[int(rest.trials()[0])] = rest
            self._next += len(chunk)
            self._take(chunk)
        if everything:
            for first in sorted(self._early):
                self._take(self._early[first])
            self._early = {}

    def _take(self, chunk: Chunk) -> None:
        """Rows in order, held as their arrays until CHUNK rows are in: then they become a
        frame chunk (a row group of exactly CHUNK rows on disk)."""
        self._failed += len(chunk.failed)
        shape = (tuple(chunk.names), tuple(chunk.kinds), tuple(chunk.others))
        if (len(chunk.matrix) or chunk.others) and shape not in self._seen:
            self._seen.add(shape)
            for c, k in [*zip(chunk.names, chunk.kinds, strict=True),
                         *((c, "|O") for c in chunk.others)]:
                self._kinds.setdefault(c, set()).add(k)
        while self._waiting + len(chunk) >= CHUNK:
            head, chunk = chunk.split(CHUNK - self._waiting)
            self._pending.append(head)
            self._waiting = CHUNK
            self.flush()
        if len(chunk):
            self._pending.append(chunk)
            self._waiting += len(chunk)

    def extend(self, frame: pd.DataFrame) -> None:
        """Rows already made (a resumed run's previous trials), taken in order with the
        new ones."""
        if len(frame):
            records = cast(list[Row], frame.reindex(columns=self.columns).to_dict("records"))
            for r in records:  # as a trial returned it: a cell read back as NaN was None
                if isinstance(r.get("error"), float):
                    r["error"] = None
            self.add(chunk_of(records, self.columns))

    def flush(self) -> None:
        """The groups received become a frame chunk (or a row group on disk)."""
        if self._pending:
            chunk = frame_of_chunks(self._pending, self.columns)
            self._pending, self._waiting = [], 0
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
        parts += [g.floats(name) for g in (*self._pending, *self._early.values())]
        return np.concatenate(parts) if parts else np.array([], dtype=float)

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
        self._release(everything=True)
        self.flush()
        if not self._chunks:
            return frame_of_chunks([], self.columns)
        frame = _concat(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        if len(self._chunks) > 1:  # chunks are kept: a later round may add to them
            self._chunks = [frame]
        return frame.sort_values("trial", kind="stable").reset_index(drop=True)

    @property
    def failed(self) -> int:
        """Failed trials among the rows taken."""
        return self._failed

    def types(self) -> dict[str, str]:
        """The dtype each column has in the frame of every row (as pandas infers it from
        their dicts): with a failed trial, numbers are float64 and yes/no columns object
        (their cells are missing); else int64 where every trial gave an int."""
        self._release(everything=True)
        out = {}
        for c in self.columns:
            kinds = self._kinds.get(c, set())
            if c == "error":  # pandas makes None and messages a str column, None alone object
                out[c] = "str" if self._failed else "object"
            elif c == "trial" or (not self._failed and kinds == {"<i8"}):
                out[c] = "int64"
            elif kinds == {"|b1"}:
                out[c] = "object" if self._failed else "bool"
            elif kinds <= {"<i8", "<f8"}:
                out[c] = "float64"
            else:
                out[c] = "object"
        return out

    def abandon(self) -> None:
        """Stop without writing the rows still held (the run is failing for another reason;
        a rows file that cannot be written either must not hide it)."""
        if self.sink is not None:
            with contextlib.suppress(WriteError):
                self.sink.close()

    def close(self) -> None:
        self._release(everything=True)
        self.flush()
        if self.sink is not None:
            self.sink.close()


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
    """Rows written to a Parquet file, a row group at a time (pyarrow's ParquetWriter); a
    WriteError naming the file when the OS refuses (a full disk)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.schema = arrow_schema(columns)
        try:
            self.writer: Any = pq.ParquetWriter(path, self.schema)
        except OSError as e:
            raise WriteError(path, e) from None

    def write(self, chunk: pd.DataFrame) -> None:
        import pyarrow as pa

        arrays = [_arrow_column(chunk[f.name], f.type) for f in self.schema]
        try:
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        except OSError as e:
            raise WriteError(self.path, e) from None

    def close(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                writer.close()
            except OSError as e:
                raise WriteError(self.path, e) from None


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


def frames_of_file(path: Path, types: dict[str, str]) -> Iterator[pd.DataFrame]:
    """The rows of a ParquetRows file a row group at a time, each with the dtypes the whole
    frame has (`types`: Rows.types()), as the in-memory frame's slices would be."""
    import pyarrow.parquet as pq

    for i in range(pq.ParquetFile(path).num_row_groups):
        frame = pq.ParquetFile(path).read_row_group(i).to_pandas()
        for c, kind in types.items():
            if kind == "str":
                continue  # read back as pandas' str column, as the frame has it
            if c == "error":  # no message: None, as in a frame of the dicts
                frame[c] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            elif kind == "object":  # yes/no with empty cells: True, False, NaN
                frame[c] = pd.Series([np.nan if v is None else v for v in frame[c]],
                                     index=frame.index, dtype=object)
            else:
                frame[c] = frame[c].astype(np.dtype(kind))
        yield frame


def write_rows_file(path: Path, out: Path, fmt: str, types: dict[str, str]) -> None:
    """The results folder's rows file `out` (parquet or csv) from a ParquetRows file, a row
    group at a time: the same values, and the same dtypes when read back, as the whole
    frame's to_parquet / to_csv (the CSV is the same bytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: Any = None
    failed = types.get("error") == "str"
    try:
        for n, frame in enumerate(frames_of_file(path, types)):
            if fmt == "csv":
                frame.to_csv(out, index=False, header=n == 0, mode="w" if n == 0 else "a")
                continue
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                schema = table.schema
                if not failed:  # an error column of None only is Arrow's null type
                    schema = schema.set(schema.get_field_index("error"),
                                        pa.field("error", pa.null()))
                else:
                    schema = schema.set(schema.get_field_index("error"),
                                        pa.field("error", pa.large_string()))
                writer = pq.ParquetWriter(out, schema)
            writer.write_table(table.cast(writer.schema))
        if writer is None and fmt == "parquet":  # no row: what an empty frame writes
            pd.DataFrame(columns=list(types)).to_parquet(out, index=False)
        elif n_rows(path) == 0 and fmt == "csv":
            pd.DataFrame(columns=list(types)).to_csv(out, index=False)
    finally:
        if writer is not None:
            writer.close()


# ---- statistics a column at a time ---------------------------------------------------------


def n_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def failed_rows(path: Path) -> list[tuple[int, str]]:
    """The failed trials in a ParquetRows file (trial, error), read a row group at a time."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    found: list[tuple[int, str]] = []
    for batch in pq.ParquetFile(path).iter_batches(columns=["trial", "error"]):
        bad = batch.filter(pc.is_valid(batch.column(1)))
        trials: list[Any] = bad.column(0).to_pylist()
        found += [(int(t), str(e)) for t, e in zip(trials, bad.column(1).to_pylist(),
                                                    strict=True)]
    return found


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
