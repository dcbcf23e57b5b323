"""pytest plugin for mutmut runs (`-p tests.mutation.mutmut_plugin` in `[tool.mutmut]`).

While mutmut 3.8 collects which tests reach which function ("Running stats"), its trampoline
keeps the caller chain in a ContextVar, set before and reset after each call. Under this
suite that crashes: hypothesis' replays end in `LookupError` from `ContextVar.reset`, and a
Monte Carlo comparison segfaults CPython 3.11 inside `ContextVar.set`; either stops the whole
run. The calls nest strictly (a trampoline sets, calls, resets in a `finally`), so a plain
module-level value holds the same chain: this plugin swaps it in.

It also bounds each test of a mutant's run (pytest-timeout, wall clock, 180 s unless
DRSIM_MUTANT_TEST_TIMEOUT says otherwise). mutmut's own limit is in CPU seconds, 30 × the
estimated time of every test that reaches the function: for the engine's `Drill.run` that is
about an hour of CPU, hours of wall clock on a shared machine, so a mutant that never ends a
simulation (`env.run(until=None)` under random failures) would stall the run. A test that
takes this long under a mutant fails: the mutant is detected, as mutmut's limit would say.
"""

from __future__ import annotations

import os

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


MUTANT_TEST_TIMEOUT_S = 180.0


@pytest.hookimpl(tryfirst=True)  # before pytest-timeout reads its settings
def pytest_configure(config: pytest.Config) -> None:
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        os.environ.setdefault("PYTEST_TIMEOUT", os.environ.get(
            "DRSIM_MUTANT_TEST_TIMEOUT", str(MUTANT_TEST_TIMEOUT_S)))
