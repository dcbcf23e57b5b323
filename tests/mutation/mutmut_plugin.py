"""pytest plugin for mutmut runs (`-p tests.mutation.mutmut_plugin` in `[tool.mutmut]`).

While mutmut 3.8 collects which tests reach which function ("Running stats"), its trampoline
keeps the caller chain in a ContextVar, set before and reset after each call. Under this
suite that crashes: hypothesis' replays end in `LookupError` from `ContextVar.reset`, and a
Monte Carlo comparison segfaults CPython 3.11 inside `ContextVar.set`; either stops the whole
run. The calls nest strictly (a trampoline sets, calls, resets in a `finally`), so a plain
module-level value holds the same chain: this plugin swaps it in. Nothing else changes.
"""

from __future__ import annotations

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
