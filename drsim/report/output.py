"""Writing outputs safely: refuse to overwrite without force, write atomically."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drsim.errors import OutputError


def check_writable(path: Path, force: bool) -> None:
    """Fail before any work is done if `path` exists (without force) or cannot be written."""
    if path.exists() and not force:
        raise OutputError(f"{path}: already exists; pass --force to overwrite it")
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name")
    check_parent_creatable(path)


def check_parent_creatable(path: Path) -> None:
    """Fail before any work if path's folder cannot be made: missing folders are created when
    the output is written (like mkdir -p), but a file standing where a folder should be is not
    replaced."""
    folder = path.resolve().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: {folder} is a file, not a folder; give another path")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic_with(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(temporary path) in path's folder, then rename it to path: readers never see
    half a file, and a failure leaves any old file untouched. The file gets the usual
    permissions (0666 less the umask), not the private ones of a temporary file."""
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write text atomically (see write_atomic_with)."""
    write_atomic_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def make_folder_like_mkdir(folder: Path) -> None:
    """Give a folder made by tempfile.mkdtemp the permissions mkdir would (0777 less umask)."""
    os.chmod(folder, 0o777 & ~_umask())


def is_stdout(path: Path | None) -> bool:
    """`--json -`: the JSON goes to standard output (and the command's other output to
    standard error, so that stdout parses)."""
    return path is not None and str(path) == "-"


def write_json(path: Path, data: Any) -> None:
    """Strict JSON (no NaN tokens), atomically; to standard output for '-'."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(path, text)
