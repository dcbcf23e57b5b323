"""Helpers of the fault tests (tests/test_faults_*.py): drsim as a real subprocess, with the
test-only faults of tests/fault_hooks/sitecustomize.py available, and a results folder's bytes
to compare before and after a command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOOKS = Path(__file__).resolve().parent / "fault_hooks"



def env(**faults: str) -> dict[str, str]:
    """The environment of a drsim subprocess: this worktree's drsim first, the fault hooks
    importable, and the given DRSIM_TEST_* variables set (see fault_hooks/sitecustomize.py)."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("DRSIM_TEST_")}
    out["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HOOKS)])
    out.update({f"DRSIM_TEST_{k.upper()}": v for k, v in faults.items()})
    return out


def drsim_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "drsim", *args]


def run_drsim(*args: str, faults: dict[str, str] | None = None,
              **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(drsim_command(*args), env=env(**(faults or {})), capture_output=True,
                          text=True, timeout=120, **kw)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder` and beside it (its parent's listing): name → bytes (None for
    a folder), so that a command that changes, adds or removes anything is seen."""
    out: dict[str, bytes | None] = {}
    for p in sorted(folder.parent.rglob("*")):
        out[str(p.relative_to(folder.parent))] = p.read_bytes() if p.is_file() else None
    return out
