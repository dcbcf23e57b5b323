"""A results folder: one row per trial (Parquet, or CSV), summary.json and manifest.json.

The folder is written whole into a temporary sibling, flushed to disk and swapped in at the
end, so a reader never sees half a folder. While a run is under way the folder holds its
journal (journal.py: each finished batch's rows, appended and fsync'd), so a run killed
outright leaves a folder that --resume continues from its last complete batch. An existing
folder is replaced only with force, or extended with resume after its manifest and journal
prove they came from the same scenario, seed and versions.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

import pandas as pd

from drsim.errors import OutputError, WriteError
from drsim.montecarlo import Trials
from drsim.report import journal
from drsim.report.folder import FORMAT, ROWS, digest, read_folder
from drsim.report.output import check_parent_creatable, make_folder_like_mkdir, write_json
from drsim.rows import failed_rows, write_rows_file
from drsim.scenario.schema import Scenario
from drsim.trial import Row, columns

PINNED = ("scenario_hash", "seed", "drsim", "python", "numpy", "simpy")


def scenario_hash(scenario: Scenario) -> str:
    """Hash of the validated scenario (units resolved), so reformatting a file keeps it."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("drsim", "numpy", "simpy", "pandas", "scipy"):
        out[pkg] = version(pkg)
    return out


def failed_trials(trials: Trials) -> list[dict[str, Any]]:
    """Each failed trial's number and error, in trial order (summary and manifest)."""
    if not trials.done:
        return []
    if trials.rows_file is not None:  # a row group at a time
        return [{"trial": int(t), "error": str(e)}
                for t, e in sorted(failed_rows(trials.rows_file))]
    errors = trials.column("error")
    bad = errors.notna().to_numpy()
    numbers = trials.column("trial").to_numpy()[bad]
    found = sorted(zip(numbers.tolist(), errors[bad].tolist(), strict=True))
    return [{"trial": int(t), "error": str(e)} for t, e in found]


def manifest(trials: Trials, fmt: str, backend: str, source: Path | None = None
             ) -> dict[str, Any]:
    return {
        "format": FORMAT, "scenario": trials.scenario.name,
        "scenario_hash": scenario_hash(trials.scenario),
        "scenario_file": str(source.resolve()) if source is not None else None,
        "seed": trials.seed, "trials_requested": trials.requested,
        "trials_completed": trials.done, "trials_failed": trials.failed,
        "failed_trials": failed_trials(trials),
        "complete": trials.complete, "stopped_by": trials.stopped_by or None,
        "worker_lost": trials.lost or None,
        "rows": ROWS[fmt], "backend": backend, "method": "des",
        "written": datetime.now(UTC).isoformat(timespec="seconds"), **versions(),
    }


def check_out_dir(path: Path, force: bool, resume: bool) -> None:
    """Refuse before any work: an existing folder needs --force (replace) or --resume; a
    file there is never replaced by a folder."""
    if path.exists() and not path.is_dir():
        raise WriteError(path, "Not a directory (a file is there; --out names the results "
                               "folder)")
    if path.exists() and not (force or resume):
        raise OutputError(f"{path}: already exists; pass --force to replace it or --resume to "
                          "run only its missing trials")
    if resume and not (path / "manifest.json").is_file() \
            and not (path / journal.NAME).is_file():
        raise OutputError(f"{path}: no manifest.json or {journal.NAME} there, so nothing to "
                          "resume; run without --resume")
    check_parent_creatable(path)


def check_same_run(path: Path, man: dict[str, Any], scenario: Scenario, seed: int) -> None:
    """Refuse to resume from a manifest (or journal start record) of another run."""
    now = {"scenario_hash": scenario_hash(scenario), "seed": seed, **versions()}
    changed = [k for k in PINNED if man.get(k) != now[k]]
    if changed:
        what = "; ".join(f"{k} was {man.get(k)!r}, now {now[k]!r}" for k in changed)
        raise OutputError(f"{path}: cannot resume, the run differs ({what}); start a new "
                          "folder or pass --force to replace this one")


def load_previous(path: Path, scenario: Scenario, seed: int,
                  note: Callable[[str], None] | None = None) -> pd.DataFrame:
    """The finished trials of a folder to resume: its rows file (checked: read_folder) and
    its journal's complete batches (a torn last batch is left out, and `note` told why);
    refuses when either came from another run."""
    rows: list[Row] = []
    if (path / "manifest.json").is_file():
        results = read_folder(path)
        check_same_run(path, results.manifest, scenario, seed)
        rows = cast(list[Row], results.frame.to_dict("records"))
    found = journal.read(path / journal.NAME)
    if found.note and note is not None:
        note(found.note)
    if found.start is not None:
        check_same_run(path, found.start, scenario, seed)
    frame = pd.DataFrame(rows + found.rows, columns=columns(scenario))
    frame = frame[frame["error"].isna()]  # failed trials are run again
    return frame.drop_duplicates("trial").reset_index(drop=True)


def check_resume_count(path: Path, asked: int | None) -> int:
    """How many trials a resumed run asks for: `asked` (from --trials or --until), or when None
    the count the folder's run asked for (resume finishes that run). Refused when fewer than
    the folder already holds (its highest trial number + 1, in its rows file or its
    journal): those rows would be kept beyond the count asked for and a complete folder
    rewritten as partial. A journal's count is the newer: it belongs to the run that was
    killed after the manifest was written."""
    man: dict[str, Any] = {}
    trials: list[int] = []
    if (path / "manifest.json").is_file():
        results = read_folder(path)
        man = results.manifest
        trials = [int(t) for t in results.frame["trial"]]
    found = journal.read(path / journal.NAME)
    trials += [int(r["trial"]) for r in found.rows]
    held = max(trials) + 1 if trials else 0
    if found.start is not None:
        man = found.start
    if asked is None and "trials_requested" not in man:
        raise OutputError(f"{path / journal.NAME}: torn before its first record ends, so the "
                          "number of trials its run asked for is unknown; give --trials N")
    if asked is None:
        asked = int(man["trials_requested"])
    if asked < held:
        raise OutputError(f"{path}: already holds trials 0–{held - 1}; --trials {asked} would "
                          f"leave some out; ask for --trials {held} or more (or --force to "
                          "start again)")
    return asked


STREAM = ".rows.parquet"  # the rows as a run streams them, in the folder being made


def stream_to(path: Path) -> Path:
    """Where a run writes its rows as they come (run_trials' rows_to): a file in a new
    temporary folder beside `path`, the folder save() then completes and swaps in (or
    discard() removes). A WriteError when the OS refuses."""
    try:
        return _temporary_sibling(path) / STREAM
    except OSError as e:
        raise WriteError(path, e) from None


def discard(stream: Path | None) -> None:
    """Remove a stream_to folder that will not be saved (nothing left behind)."""
    if stream is not None and stream.parent.is_dir():
        shutil.rmtree(stream.parent, ignore_errors=True)


def save(path: Path, trials: Trials, summary: dict[str, Any], fmt: str = "parquet",
         backend: str = "local", source: Path | None = None) -> None:
    """Write the whole folder beside `path`, then swap it in; a WriteError (naming `path`)
    when the OS refuses, and then any old folder is left as it was. `source` is the scenario
    file (drsim explain finds it there). Rows streamed to a stream_to file are written out a
    row group at a time (the same file the whole frame would give), in that file's folder."""
    streamed = trials.rows_file is not None and trials.rows_file.name == STREAM
    try:
        if streamed:
            assert trials.rows_file is not None
            tmp = trials.rows_file.parent
        else:
            path.resolve().parent.mkdir(parents=True, exist_ok=True)  # --out makes parents
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.resolve().parent))
    except OSError as e:
        raise WriteError(path, e) from None
    try:
        make_folder_like_mkdir(tmp)
        man = manifest(trials, fmt, backend, source)  # read from the rows before they move
        if streamed:
            assert trials.rows_file is not None
            write_rows_file(trials.rows_file, tmp / ROWS[fmt], fmt, trials.types)
            trials.rows_file.unlink()
        elif fmt == "parquet":
            trials.frame.to_parquet(tmp / ROWS[fmt], index=False)
        else:
            trials.frame.to_csv(tmp / ROWS[fmt], index=False)
        write_json(tmp / "summary.json", summary)
        sums = {name: digest(tmp / name) for name in (ROWS[fmt], "summary.json")}
        write_json(tmp / "manifest.json",
                   {**man, "sha256": sums})
        for name in (ROWS[fmt], "summary.json", "manifest.json"):
            _fsync_file(tmp / name)  # on disk before the journal they replace is dropped
        _swap(tmp, path)
    except (OSError, WriteError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WriteError(path, e.why if isinstance(e, WriteError) else e) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _temporary_sibling(path: Path) -> Path:
    path.resolve().parent.mkdir(parents=True, exist_ok=True)  # --out creates missing parents
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.resolve().parent))
    make_folder_like_mkdir(tmp)
    return tmp


def _swap(new: Path, path: Path) -> None:
    """Put folder `new` at `path`, on disk; an old folder there is removed only once `new`
    is in."""
    journal.fsync_folder(new)
    if path.exists():
        old = path.with_name(f".{path.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        path.rename(old)
        try:
            new.rename(path)
        except BaseException:
            old.rename(path)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(path)
    journal.fsync_folder(path.resolve().parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RunJournal:
    """Journals a run's finished batches in its results folder, from the first finished batch
    on (a run that finishes none writes nothing). A new run, or one with --force, starts the
    folder afresh holding just the journal (swapped in whole, replacing any folder there);
    --resume appends to the folder's journal, after its complete records."""

    def __init__(self, path: Path, scenario: Scenario, seed: int, requested: int,
                 resume: bool) -> None:
        self.path, self.resume = path, resume
        self.columns = columns(scenario)
        self.start = journal.start_record(
            self.columns, scenario=scenario.name, scenario_hash=scenario_hash(scenario),
            seed=seed, trials_requested=requested, **versions())
        self.writer: journal.Writer | None = None

    def add(self, rows: list[Row]) -> None:
        """Append a finished batch (run_trials' on_batch)."""
        if self.writer is None:
            try:
                self.writer = self._open()
            except WriteError as e:
                raise WriteError(self.path / journal.NAME, f"{e.why}; nothing of this run was "
                                 f"saved and {self.path} is as it was") from None
        try:
            self.writer.write(journal.batch_record(self.columns, rows))
        except WriteError as e:
            raise WriteError(e.path, f"{e.why}; the batches journalled before it are kept "
                             "(--resume continues from them)") from None

    def _open(self) -> journal.Writer:
        name = self.path / journal.NAME
        if self.resume and self.path.is_dir():
            writer = journal.Writer(name, journal.read(name).good)
            writer.write(self.start)
            return writer
        tmp = _temporary_sibling(self.path)
        try:
            writer = journal.Writer(tmp / journal.NAME, 0)
            writer.write(self.start)
            _swap(tmp, self.path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        writer.path = name  # the open file moved with its folder
        return writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
