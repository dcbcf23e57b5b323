"""Random streams: trial i of root seed r, source named n → its own numpy Generator.

Every purpose of randomness has its own stream, keyed by a stable hash of its name (never
Python's salted hash(), never a creation counter): `component:nyc.storage#2:ttf` is unit 2's
times to failure, `...#2:ttr` its repair times, `step:failover.verify:duration` one step's
durations (docs/monte-carlo.md lists them all). A stream depends only on (root seed, trial,
name), so two variants of a scenario draw the same numbers wherever they share a source of
randomness, whatever else differs: other purposes, other elements, the order elements are
listed in (common random numbers). No result depends on worker count, dict order or Python's
hash seed. A stream is only built when first drawn from: fixed durations never pay for one.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

import numpy as np


def stable_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class LazyGenerator:
    """Stands in for a numpy Generator; builds it on the first draw."""

    __slots__ = ("_root", "_key", "_gen")
    _gen: np.random.Generator | None

    def __init__(self, root_seed: int, spawn_key: tuple[int, int]) -> None:
        self._root, self._key, self._gen = root_seed, spawn_key, None

    def __getattr__(self, name: str) -> Any:
        if self._gen is None:
            seed = np.random.SeedSequence(self._root, spawn_key=self._key)
            self._gen = np.random.Generator(np.random.PCG64(seed))
        return getattr(self._gen, name)


class Streams:
    """Hands out one (lazily built) Generator per named source for one trial."""

    def __init__(self, root_seed: int, trial: int = 0) -> None:
        self.root_seed, self.trial = root_seed, trial
        self._rngs: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        rng = self._rngs.get(name)
        if rng is None:
            # a LazyGenerator is a Generator to its users: it forwards every attribute to one
            rng = self._rngs[name] = cast(np.random.Generator, LazyGenerator(
                self.root_seed, (self.trial, stable_key(name))))
        return rng

    def of(self, prefix: str) -> Substreams:
        """The streams of one element, one per purpose: `of("step:rb.s")("duration")` is
        the stream named `step:rb.s:duration`."""
        return Substreams(self, prefix)


class Substreams:
    """The purposes of one element: calling it with a purpose gives that purpose's stream."""

    __slots__ = ("streams", "prefix")

    def __init__(self, streams: Streams, prefix: str) -> None:
        self.streams, self.prefix = streams, prefix

    def __call__(self, purpose: str) -> np.random.Generator:
        return self.streams(f"{self.prefix}:{purpose}")
