"""Random streams: trial i of root seed r, element named n → its own numpy Generator.

Each source of randomness gets a child stream keyed by a stable hash of its name, so a
component's failures are the same in two variants of a scenario that share it (common random
numbers), and no result depends on worker count, dict order or Python's hash seed. A stream
is only built when first drawn from: fixed durations never pay for one.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

import numpy as np


def stable_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class LazyGenerator:
    """Stands in for a numpy Generator; builds it on the first draw."""

    __slots__ = ("_seed", "_gen")
    _gen: np.random.Generator | None

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._seed, self._gen = seed, None

    def __getattr__(self, name: str) -> Any:
        if self._gen is None:
            self._gen = np.random.Generator(np.random.PCG64(self._seed))
        return getattr(self._gen, name)


class Streams:
    """Hands out one (lazily built) Generator per named source for one trial."""

    def __init__(self, root_seed: int, trial: int = 0) -> None:
        self.root_seed, self.trial = root_seed, trial
        self._rngs: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        rng = self._rngs.get(name)
        if rng is None:
            seq = np.random.SeedSequence(self.root_seed, spawn_key=(self.trial, stable_key(name)))
            # a LazyGenerator is a Generator to its users: it forwards every attribute to one
            rng = self._rngs[name] = cast(np.random.Generator, LazyGenerator(seq))
        return rng
