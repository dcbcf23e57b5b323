"""pytest plugin for mutmut runs (`-p tests.mutation.mutmut_plugin` in `[tool.mutmut]`).

While mutmut 3.8 collects which tests reach which function ("Running stats"), its trampoline
keeps the caller chain in a ContextVar, set before and reset after each call. Under this
suite that crashes: hypothesis' replays end in `LookupError` from `ContextVar.reset`, and a
Monte Carlo comparison segfaults CPython 3.11 inside `ContextVar.set`; either stops the whole
run. The calls nest strictly (a trampoline sets, calls, resets in a `finally`), so a plain
module-level value holds the same chain: this plugin swaps it in.

It also bounds each test of a mutant run. mutmut 3.8 times a mutant out only when ALL the
tests that reach it overrun ((their summed clean durations + 1 s) x 15, wall clock). An
engine module is reached by nearly every test, so that budget is tens of minutes to hours,
and a mutant that loops forever at one simulated instant (simpy never advances time: e.g. a
wait that returns at once, re-armed by a check at the same instant) held the run that long.
Here each test of a mutant gets mutmut's own formula applied to that test alone ((its clean
duration + 1 s) x 15, from mutmut's recorded durations); a test over it ends the mutant's
process with exit status 36, which mutmut counts as "timeout". Only mutant runs are bounded:
the stats and clean runs (which record the durations) and plain pytest runs are untouched.

Last, a mutant's run starts its own multiprocessing fork server. The clean and stats runs
(in mutmut's own process) start one for the tests that run trials on several workers; every
mutant's process is forked from there and inherits that server's handle, but the server is
not its child: the next pool fails (`ChildProcessError` in `os.waitpid`), so every mutant
whose tests reach such a test counted as killed whatever it changed; and workers forked by
that server would run the unmutated code.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Generator, Mapping

import pytest

try:
    from mutmut.core import MutmutCallStack
except ImportError:  # not under mutmut: nothing to fix
    MutmutCallStack = None

_current: list[tuple[str | None, int]] = [(None, 0)]


def _get(cls):
    return _current[0]


def _set(cls, value):
    old, _current[0] = _current[0], value
    return old


def _reset(cls, token):
    _current[0] = token


if MutmutCallStack is not None:
    MutmutCallStack.get = classmethod(_get)
    MutmutCallStack.set = classmethod(_set)
    MutmutCallStack.reset = classmethod(_reset)

TIMEOUT_EXIT = 36  # mutmut's exit status for "timeout" (mutmut.stats.status_by_exit_code)
MULTIPLIER, CONSTANT_S = 15.0, 1.0  # mutmut's timeout_multiplier and timeout_constant defaults
LIMIT_ENV = "DRSIM_MUTANT_TEST_LIMIT_S"  # a fixed per-test limit instead (tests of this plugin)


def under_mutant() -> bool:
    """In a mutant's run (mutmut sets the mutant's name), not the stats, clean or forced-fail
    runs (empty, "stats", "fail") nor a plain pytest run (unset)."""
    return "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", "")


def limit_s(nodeid: str, durations: Mapping[str, float]) -> float:
    """Seconds a test of a mutant run may take: mutmut's timeout formula for this one test."""
    fixed = os.environ.get(LIMIT_ENV)
    if fixed:
        return float(fixed)
    return (durations.get(nodeid, 0.0) + CONSTANT_S) * MULTIPLIER



def _recorded_durations() -> Mapping[str, float]:
    try:
        from mutmut.state import state
    except ImportError:
        return {}
    return state().duration_by_test


def _time_out(signum: int, frame: object) -> None:
    os._exit(TIMEOUT_EXIT)  # mid-test: no cleanup can be trusted; mutmut reads the status


def forget_inherited_fork_server() -> None:
    """Make the next process pool start a fork server of this process (with its mutant)."""
    from multiprocessing import forkserver

    server = forkserver._forkserver  # the module's singleton (its functions are bound to it)
    with server._lock:
        if server._forkserver_pid is not None and server._forkserver_pid != os.getpid():
            try:
                os.waitpid(server._forkserver_pid, os.WNOHANG)
                return  # our own child after all: keep it
            except ChildProcessError:
                pass
        if server._forkserver_alive_fd is not None:
            os.close(server._forkserver_alive_fd)
        server._forkserver_address = server._forkserver_alive_fd = None
        server._forkserver_pid = server._inherited_fds = None


def pytest_sessionstart(session: pytest.Session) -> None:
    if under_mutant():
        forget_inherited_fork_server()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: object) -> Generator[None, None, None]:
    if not under_mutant():
        yield
        return
    old = signal.signal(signal.SIGALRM, _time_out)
    signal.setitimer(signal.ITIMER_REAL, limit_s(item.nodeid, _recorded_durations()))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
