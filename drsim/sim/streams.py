"""Random streams: trial i of root seed r, source named n → its own numpy Generator.

Every purpose of randomness has its own stream, keyed by a stable hash of its name (never
Python's salted hash(), never a creation counter): `component:nyc.storage#2:ttf` is unit 2's
times to failure, `...#2:ttr` its repair times, `step:failover.verify:duration` one step's
durations (docs/monte-carlo.md lists them all). A stream depends only on (root seed, trial,
name), so two variants of a scenario draw the same numbers wherever they share a source of
randomness, whatever else differs: other purposes, other elements, the order elements are
listed in (common random numbers). No result depends on worker count, dict order or Python's
hash seed. A stream is only built when first drawn from: fixed durations never pay for one.

A stream is numpy's PCG64 seeded by SeedSequence(root, spawn_key=(trial, key)). Building a
SeedSequence costs more than most streams' draws (a trial of a year builds hundreds), so the
seed words are computed here, bit for bit as SeedSequence computes them: the root's and the
trial's words are mixed once per trial, each stream mixes only its own key's words
(tests/test_streams_seeding.py checks the words against numpy's own on thousands of keys).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, cast

import numpy as np
from numpy.random.bit_generator import ISeedSequence

_KEYS: dict[str, int] = {}  # name → stable_key(name): names recur in every trial
_KEYS_LIMIT = 1 << 16


def stable_key(name: str) -> int:
    key = _KEYS.get(name)
    if key is None:
        if len(_KEYS) >= _KEYS_LIMIT:
            _KEYS.clear()
        key = _KEYS[name] = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8)
                                           .digest(), "little")
    return key


# numpy's SeedSequence (numpy/random/bit_generator.pyx): a pool of 4 uint32 words, its
# hash and mix functions and their constants
_M = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715


def _words(n: int) -> list[int]:
    """An int as little-endian uint32 words (0 is one word), as SeedSequence coerces it."""
    out = [n & _M]
    n >>= 32
    while n:
        out.append(n & _M)
        n >>= 32
    return out


def _mix(pool: list[int], d: int, w: int, h: int) -> int:
    """Hash word `w` into pool[d] (SeedSequence's hashmix, then mix); the next constant."""
    v = w ^ h
    h = (h * _MULT_A) & _M
    v = (v * h) & _M
    v ^= v >> 16
    r = (_MIX_L * pool[d] - _MIX_R * v) & _M
    pool[d] = r ^ (r >> 16)
    return h


def _mix_in(pool: list[int], h: int, words: list[int]) -> int:
    """Mix entropy words after the first four into the pool; the hash constant after."""
    for w in words:
        for d in range(4):
            h = _mix(pool, d, w, h)
    return h


def _hash_constants(h: int, n: int, mult: int) -> tuple[tuple[int, int], ...]:
    """SeedSequence's hash constant steps from `h` on: (xor, multiplier) of the next n."""
    out = []
    for _ in range(n):
        nxt = (h * mult) & _M
        out.append((h, nxt))
        h = nxt
    return tuple(out)


@lru_cache(maxsize=64)
def _trial_pool(root_seed: int, trial: int) -> tuple[tuple[int, ...], int]:
    """The pool and hash constant once the root seed's words (padded to the pool's four, as
    a spawn key makes SeedSequence do) and the trial's are mixed in."""
    if root_seed < 0 or trial < 0:
        raise ValueError("expected non-negative integer")  # as SeedSequence says
    entropy = _words(root_seed)
    entropy += [0] * (4 - len(entropy))
    entropy += _words(trial)
    h, pool = _INIT_A, []
    for w in entropy[:4]:
        v = w ^ h
        h = (h * _MULT_A) & _M
        v = (v * h) & _M
        pool.append(v ^ (v >> 16))
    for s in range(4):
        for d in range(4):
            if s != d:
                h = _mix(pool, d, pool[s], h)
    h = _mix_in(pool, h, entropy[4:])
    return tuple(pool), h


_HASHED: dict[tuple[int, int], tuple[int, ...]] = {}  # (key, hash constant) → hashed words


def _hashed_key(key: int, h: int) -> tuple[int, ...]:
    """The key's words as SeedSequence hashes them before mixing each into the pool's four
    words (word by word, pool word by pool word). The hash constant `h` depends only on how
    many words came before (not on their values), so these are the same in every trial."""
    got = _HASHED.get((key, h))
    if got is None:
        at, out = h, []
        for w in _words(key):
            for _ in range(4):
                v = w ^ at
                at = (at * _MULT_A) & _M
                v = (v * at) & _M
                out.append(v ^ (v >> 16))
        if len(_HASHED) >= _KEYS_LIMIT:
            _HASHED.clear()
        got = _HASHED[key, h] = tuple(out)
    return got


_OUT = _hash_constants(_INIT_B, 8, _MULT_B)  # (xor, multiplier) of the 8 output words


def seed_state(root_seed: int, trial: int, key: int) -> np.ndarray:
    """SeedSequence(root_seed, spawn_key=(trial, key)).generate_state(4, np.uint64): the
    trial's pool (cached) with the key's hashed words (cached) mixed in, then hashed out."""
    (p0, p1, p2, p3), h = _trial_pool(int(root_seed), int(trial))  # numpy ints would wrap
    hashed = _hashed_key(int(key), h)
    for at in range(0, len(hashed), 4):
        v0, v1, v2, v3 = hashed[at:at + 4]
        r = (_MIX_L * p0 - _MIX_R * v0) & _M
        p0 = r ^ (r >> 16)
        r = (_MIX_L * p1 - _MIX_R * v1) & _M
        p1 = r ^ (r >> 16)
        r = (_MIX_L * p2 - _MIX_R * v2) & _M
        p2 = r ^ (r >> 16)
        r = (_MIX_L * p3 - _MIX_R * v3) & _M
        p3 = r ^ (r >> 16)
    out = []
    for p, (x, m) in zip((p0, p1, p2, p3, p0, p1, p2, p3), _OUT, strict=True):
        v = ((p ^ x) * m) & _M
        out.append(v ^ (v >> 16))
    return np.array([out[0] | out[1] << 32, out[2] | out[3] << 32,
                     out[4] | out[5] << 32, out[6] | out[7] << 32], dtype=np.uint64)


class _Seed(ISeedSequence):
    """Hands PCG64 the state words computed by seed_state."""

    __slots__ = ("state",)

    def __init__(self, state: np.ndarray) -> None:
        self.state = state

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        assert n_words == 4 and np.dtype(dtype) == np.uint64  # what PCG64 asks for
        return self.state


class LazyGenerator:
    """Stands in for a numpy Generator; builds it on the first draw (and then keeps the
    attributes it forwarded, so later draws go straight to the Generator's methods)."""

    _gen: np.random.Generator | None

    def __init__(self, root_seed: int, spawn_key: tuple[int, int]) -> None:
        self._root, self._key, self._gen = root_seed, spawn_key, None

    def __getattr__(self, name: str) -> Any:
        if self._gen is None:
            # numpy takes any ISeedSequence (its stubs name only SeedSequence)
            seed = cast(np.random.SeedSequence, _Seed(seed_state(self._root, *self._key)))
            self._gen = np.random.Generator(np.random.PCG64(seed))
        value = getattr(self._gen, name)
        self.__dict__[name] = value
        return value


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
