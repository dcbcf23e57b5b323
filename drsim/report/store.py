"""A results folder: one row per trial (Parquet, or CSV), summary.json and manifest.json.

The folder is written whole into a temporary sibling and swapped in at the end, so a reader
never sees half a folder and an interrupted run leaves either the old folder or the new one.
An existing folder is replaced only with force, or extended with resume after its manifest
proves it came from the same scenario, seed and versions.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.errors import OutputError, WriteError
from drsim.montecarlo import Trials
from drsim.report.folder import FORMAT, ROWS, digest, read_folder
from drsim.report.output import check_parent_creatable, make_folder_like_mkdir, write_json
from drsim.scenario.schema import Scenario

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
    bad = trials.frame[trials.frame["error"].notna()] if len(trials.frame) else trials.frame
    return [{"trial": int(t), "error": str(e)} for t, e in zip(bad["trial"], bad["error"],
                                                                strict=True)]


def manifest(trials: Trials, fmt: str, backend: str) -> dict[str, Any]:
    return {
        "format": FORMAT, "scenario": trials.scenario.name,
        "scenario_hash": scenario_hash(trials.scenario),
        "seed": trials.seed, "trials_requested": trials.requested,
        "trials_completed": len(trials.frame), "trials_failed": trials.failed,
        "failed_trials": failed_trials(trials),
        "complete": trials.complete, "stopped_by": trials.stopped_by or None,
        "rows": ROWS[fmt], "backend": backend,
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
    if resume and not (path / "manifest.json").is_file():
        raise OutputError(f"{path}: no manifest.json there, so nothing to resume; run without "
                          "--resume")
    check_parent_creatable(path)


def load_previous(path: Path, scenario: Scenario, seed: int) -> pd.DataFrame:
    """The finished trials of a folder to resume; refuses when it came from another run."""
    results = read_folder(path)
    man = results.manifest
    now = {"scenario_hash": scenario_hash(scenario), "seed": seed, **versions()}
    changed = [k for k in PINNED if man.get(k) != now[k]]
    if changed:
        what = "; ".join(f"{k} was {man.get(k)!r}, now {now[k]!r}" for k in changed)
        raise OutputError(f"{path}: cannot resume, the run differs ({what}); start a new "
                          "folder or pass --force to replace this one")
    frame = results.frame
    return frame[frame["error"].isna()]  # failed trials are run again


def check_resume_count(path: Path, asked: int | None) -> int:
    """How many trials a resumed run asks for: `asked` (from --trials or --until), or when None
    the count the folder's run asked for (resume finishes that run). Refused when fewer than
    the folder already holds (its highest trial number + 1): those rows would be kept beyond
    the count asked for and a complete folder rewritten as partial."""
    results = read_folder(path)
    man, frame = results.manifest, results.frame
    held = int(frame["trial"].max()) + 1 if len(frame) else 0
    if asked is None:
        asked = int(man["trials_requested"])
    if asked < held:
        raise OutputError(f"{path}: already holds trials 0–{held - 1}; --trials {asked} would "
                          f"leave some out; ask for --trials {held} or more (or --force to "
                          "start again)")
    return asked


def save(path: Path, trials: Trials, summary: dict[str, Any], fmt: str = "parquet",
         backend: str = "local") -> None:
    """Write the whole folder beside `path`, then swap it in; a WriteError (naming `path`)
    when the OS refuses, and then any old folder is left as it was."""
    try:
        path.resolve().parent.mkdir(parents=True, exist_ok=True)  # --out makes its parents
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.resolve().parent))
    except OSError as e:
        raise WriteError(path, e) from None
    try:
        make_folder_like_mkdir(tmp)
        frame = trials.frame
        if fmt == "parquet":
            frame.to_parquet(tmp / ROWS[fmt], index=False)
        else:
            frame.to_csv(tmp / ROWS[fmt], index=False)
        write_json(tmp / "summary.json", summary)
        sums = {name: digest(tmp / name) for name in (ROWS[fmt], "summary.json")}
        write_json(tmp / "manifest.json", {**manifest(trials, fmt, backend), "sha256": sums})
        _swap(tmp, path)
    except (OSError, WriteError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WriteError(path, e.why if isinstance(e, WriteError) else e) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(new: Path, path: Path) -> None:
    """Put folder `new` at `path`; an old folder there is removed only once `new` is in."""
    if not path.exists():
        new.rename(path)
        return
    old = path.with_name(f".{path.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    path.rename(old)
    try:
        new.rename(path)
    except BaseException:
        old.rename(path)
        raise
    shutil.rmtree(old, ignore_errors=True)
