"""A results folder: one row per trial (Parquet, or CSV), summary.json and manifest.json.

The folder is written whole into a temporary sibling and swapped in at the end, so a reader
never sees half a folder and an interrupted run leaves either the old folder or the new one.
An existing folder is replaced only with force, or extended with resume after its manifest
proves it came from the same scenario, seed and versions.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.errors import OutputError
from drsim.montecarlo import Trials
from drsim.report.output import check_parent_creatable, make_folder_like_mkdir, write_json
from drsim.scenario.schema import Scenario

ROWS = {"parquet": "trials.parquet", "csv": "trials.csv"}
PINNED = ("scenario_hash", "seed", "drsim", "python", "numpy", "simpy")


def scenario_hash(scenario: Scenario) -> str:
    """Hash of the validated scenario (units resolved), so reformatting a file keeps it."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("drsim", "numpy", "simpy", "pandas", "scipy"):
        out[pkg] = version(pkg)
    return out


def manifest(trials: Trials, fmt: str, backend: str, source: Path | None = None
             ) -> dict[str, Any]:
    return {
        "scenario": trials.scenario.name, "scenario_hash": scenario_hash(trials.scenario),
        "scenario_file": str(source.resolve()) if source is not None else None,
        "seed": trials.seed, "trials_requested": trials.requested,
        "trials_completed": len(trials.frame), "trials_failed": trials.failed,
        "complete": trials.complete, "stopped_by": trials.stopped_by or None,
        "rows": ROWS[fmt], "backend": backend,
        "written": datetime.now(UTC).isoformat(timespec="seconds"), **versions(),
    }


def check_out_dir(path: Path, force: bool, resume: bool) -> None:
    """Refuse before any work: an existing folder needs --force (replace) or --resume."""
    if path.exists() and not (force or resume):
        raise OutputError(f"{path}: already exists; pass --force to replace it or --resume to "
                          "run only its missing trials")
    if resume and not (path / "manifest.json").is_file():
        raise OutputError(f"{path}: no manifest.json there, so nothing to resume; run without "
                          "--resume")
    check_parent_creatable(path)


def load_previous(path: Path, scenario: Scenario, seed: int) -> pd.DataFrame:
    """The finished trials of a folder to resume; refuses when it came from another run."""
    man = json.loads((path / "manifest.json").read_text())
    now = {"scenario_hash": scenario_hash(scenario), "seed": seed, **versions()}
    changed = [k for k in PINNED if man.get(k) != now[k]]
    if changed:
        what = "; ".join(f"{k} was {man.get(k)!r}, now {now[k]!r}" for k in changed)
        raise OutputError(f"{path}: cannot resume, the run differs ({what}); start a new "
                          "folder or pass --force to replace this one")
    rows = path / man["rows"]
    frame = pd.read_parquet(rows) if rows.suffix == ".parquet" else pd.read_csv(rows)
    return frame[frame["error"].isna()]  # failed trials are run again


def check_resume_count(path: Path, asked: int | None) -> int:
    """How many trials a resumed run asks for: `asked` (from --trials or --until), or when None
    the count the folder's run asked for (resume finishes that run). Refused when fewer than
    the folder already holds (its highest trial number + 1): those rows would be kept beyond
    the count asked for and a complete folder rewritten as partial."""
    man = json.loads((path / "manifest.json").read_text())
    rows = path / man["rows"]
    frame = pd.read_parquet(rows, columns=["trial"]) if rows.suffix == ".parquet" \
        else pd.read_csv(rows, usecols=["trial"])
    held = int(frame["trial"].max()) + 1 if len(frame) else 0
    if asked is None:
        asked = int(man["trials_requested"])
    if asked < held:
        raise OutputError(f"{path}: already holds trials 0–{held - 1}; --trials {asked} would "
                          f"leave some out; ask for --trials {held} or more (or --force to "
                          "start again)")
    return asked


def save(path: Path, trials: Trials, summary: dict[str, Any], fmt: str = "parquet",
         backend: str = "local", source: Path | None = None) -> None:
    """Write the whole folder beside `path`, then swap it in; `source` is the scenario file
    (drsim explain finds it there)."""
    path.resolve().parent.mkdir(parents=True, exist_ok=True)  # --out creates missing parents
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.resolve().parent))
    make_folder_like_mkdir(tmp)
    try:
        frame = trials.frame
        if fmt == "parquet":
            frame.to_parquet(tmp / ROWS[fmt], index=False)
        else:
            frame.to_csv(tmp / ROWS[fmt], index=False)
        write_json(tmp / "summary.json", summary)
        write_json(tmp / "manifest.json", manifest(trials, fmt, backend, source))
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
