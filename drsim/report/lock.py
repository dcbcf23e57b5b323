"""One run at a time per results folder: an exclusive lock beside the folder.

The lock is the file `.NAME.lock` in the folder's parent (the folder itself is swapped whole
at the end of a run, so a lock inside it would be swapped away). It is made by linking a
finished temporary file to that name, which succeeds for one process only (also on NFS), so
a reader always finds the owner's pid, host, start time and command in it. A run removes its
lock when it ends, however it ends; a run killed with SIGKILL (or a machine that lost power)
leaves it behind. Such a stale lock — its pid no longer running on this host — is reported
with how to remove it, never broken silently: only a person can know that no run is still
writing (a pid can be reused, a host name shared).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drsim.errors import OutputError, WriteError


def lock_path(folder: Path) -> Path:
    folder = folder.resolve()
    return folder.parent / f".{folder.name}.lock"


def owner() -> dict[str, Any]:
    """What a lock records about the run holding it."""
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": shlex.join(["drsim", *sys.argv[1:]])}


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def holder(folder: Path) -> str:
    """Why `folder` is locked, as one line: its holder, or a stale lock and how to remove it."""
    path = lock_path(folder)
    rm = f"rm {shlex.quote(str(path))}"
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
        pid, host = int(held["pid"]), str(held["host"])
        since, command = str(held.get("since", "?")), str(held.get("command", "drsim"))
    except FileNotFoundError:
        return f"{folder}: its lock {path} came and went; run again"
    except (OSError, ValueError, TypeError, KeyError) as e:
        return (f"{folder}: locked by {path}, which cannot be read ({type(e).__name__}); if no "
                f"drsim run is writing {folder}, remove the lock ({rm}) and run again")
    if host == socket.gethostname() and not _running(pid):
        return (f"{folder}: stale lock {path}: pid {pid} on {host} took it at {since} and is no "
                f"longer running (killed?); if no drsim run is writing {folder}, remove the lock "
                f"({rm}) and run again (--resume keeps its finished trials)")
    return (f"{folder}: in use by another drsim run (pid {pid} on {host}, since {since}: "
            f"{command}); wait for it to end, or write to another folder")


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of results folder `folder` (its parent folders made as needed) while the
    block runs; an OutputError (exit 2) naming the holder when another run has it, a
    WriteError (exit 74) when the parent cannot be written (read-only, a file, disk full)."""
    path = lock_path(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    except OSError as e:
        raise WriteError(folder, e) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(owner(), f)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(holder(folder)) from None
    except OSError as e:
        raise WriteError(folder, e) from None
    finally:
        with suppress(OSError):
            os.unlink(tmp)
    try:
        yield
    finally:
        with suppress(OSError):
            path.unlink()
