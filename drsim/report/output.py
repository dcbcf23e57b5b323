"""Writing outputs safely: refuse to overwrite without force, write atomically."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drsim.errors import OutputError, WriteError


class GuardedStream:
    """A text stream whose failed writes (a full device, an I/O error) raise WriteError naming
    it, after pointing its file descriptor at /dev/null so that Python's own flush at exit
    does not fail again. Everything else is the stream's own."""

    def __init__(self, stream: Any, name: str) -> None:
        self._stream, self._name = stream, name

    def _guard(self, act: Callable[[], Any]) -> Any:
        try:
            return act()
        except BrokenPipeError:
            raise
        except OSError as e:
            null_stdout(self._stream)
            raise WriteError(self._name, e) from None

    def write(self, text: str) -> int:
        return int(self._guard(lambda: self._stream.write(text)))

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def null_stdout(stream: Any = None) -> None:
    """Point `stream`'s descriptor (standard output by default) at /dev/null, so that a device
    that refused a write is not written again by Python's flush at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, (stream or sys.stdout).fileno())
        os.close(null)


def is_device(path: Path) -> bool:
    """True for an output that is written into, never replaced: a character device, FIFO or
    socket (/dev/null, /dev/full, a named pipe), or anything under /dev or /proc (/dev/stdout
    may lead to a regular file, but replacing it would replace the link in /dev)."""
    if str(path).startswith(("/dev/", "/proc/")):
        return True
    return path.exists() and not path.is_file() and not path.is_dir()


def check_writable(path: Path, force: bool) -> None:
    """Fail before any work is done if `path` exists (without force) or cannot be written.
    A device or pipe is written into as it is, so it needs no force."""
    if is_device(path):
        return
    if path.exists() and not force:
        raise OutputError(f"{path}: already exists; pass --force to overwrite it")
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name")
    check_parent_creatable(path)


def check_parent_creatable(path: Path) -> None:
    """Fail before any work if path's folder cannot be made: missing folders are created when
    the output is written (like mkdir -p), but a file standing where a folder should be is not
    replaced, and a folder that cannot be written (read-only) is a WriteError (exit 74)."""
    folder = path.resolve().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: {folder} is a file, not a folder; give another path")
    if not os.access(folder, os.W_OK | os.X_OK):  # access(2) knows read-only mounts and root
        code = errno.EROFS if os.statvfs(folder).f_flag & os.ST_RDONLY else errno.EACCES
        raise WriteError(path, OSError(code, os.strerror(code)))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic_with(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(temporary path) in path's folder, then rename it to path: readers never see
    half a file, and a failure leaves any old file untouched. The file gets the usual
    permissions (0666 less the umask), not the private ones of a temporary file. A device
    or pipe (is_device) is written into directly. An error of the OS is a WriteError
    naming the path (exit 74)."""
    try:
        if is_device(path):
            write(path)
            return
        folder = path.parent if str(path.parent) else Path(".")
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise WriteError(path, e) from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(path, e) from None
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
        out = GuardedStream(sys.stdout, "standard output")
        out.write(text)
        out.flush()
    else:
        write_atomic(path, text)
