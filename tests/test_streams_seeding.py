"""Streams compute SeedSequence's seed words themselves (drsim/sim/streams.py, issue 13: a
SeedSequence per stream cost more than the draws): the words, and so every draw, must be
numpy's own, bit for bit, for every root seed, trial and key."""

from __future__ import annotations

import numpy as np
import pytest

from drsim.sim import streams
from drsim.sim.streams import LazyGenerator, Streams, seed_state, stable_key


def forget_keys_and_words() -> None:
    streams._KEYS.clear()
    streams._HASHED.clear()
    streams._trial_pool.cache_clear()


@pytest.fixture(autouse=True)
def cold_caches_and_a_sound_seed(monkeypatch):
    """Before each test (here and in test_mut_streams.py, which imports this fixture): the
    seed LazyGenerator hands PCG64 gives numpy's own SeedSequence words. A seed without them
    does not fail in numpy, it crashes the interpreter (PCG64 reads its words in C), so it
    must be caught before any test draws. Then the keys and words remembered are forgotten:
    each test computes its own anew (a remembered answer would hide a wrong computation)."""
    key = 7551710668343976043  # stable_key("comp"), see test_mut_streams.py
    state = seed_state(7, 2, key)
    assert streams._Seed(state).state is state
    handed, pcg64 = [], np.random.PCG64
    with monkeypatch.context() as m:
        m.setattr(np.random, "PCG64", lambda seed: handed.append(seed.generate_state(
            4, np.uint64)) or pcg64(np.random.SeedSequence(7, spawn_key=(2, key))))
        LazyGenerator(7, (2, key)).random()
    assert handed[0].tolist() == numpy_state(7, 2, key)
    forget_keys_and_words()


def numpy_state(root: int, trial: int, key: int) -> list[int]:
    seq = np.random.SeedSequence(root, spawn_key=(trial, key))
    return seq.generate_state(4, np.uint64).tolist()


def cases() -> list[tuple[int, int, int]]:
    """Keys of one and two words (and 0), roots of one to five words, trials of one and two."""
    rng = np.random.default_rng(13)
    out = []
    for i in range(600):
        root = int(rng.integers(0, 2**63)) if i % 3 else int(rng.integers(0, 100))
        if i % 7 == 0:
            root = root * 2**90 + 5  # four and more words: longer than the pool
        trial = int(rng.integers(0, 10**6)) if i % 2 else int(rng.integers(0, 5))
        if i % 13 == 0:
            trial *= 2**40  # two words
        key = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
        if i % 11 == 0:
            key = int(rng.integers(0, 2**31))  # one word
        if i % 17 == 0:
            key = 0
        if i % 19 == 0:
            key = key * 2**64 + 3  # three words (no stable_key is; the rule holds anyway)
        out.append((root, trial, key))
    return out


def test_seed_words_are_numpys_for_every_kind_of_seed_trial_and_key():
    for root, trial, key in cases():
        assert seed_state(root, trial, key).tolist() == numpy_state(root, trial, key), \
            (root, trial, key)


def test_seed_words_of_the_names_drsim_uses_are_numpys():
    for name in ["component:nyc.storage#2:ttf", "component:nyc.storage#2:ttr", "",
                 "step:failover.verify:duration", "detection:declare", "standby:svc:works"]:
        for root, trial in [(0, 0), (7, 2), (2**64 - 1, 10**9), (123456789, 999_999)]:
            key = stable_key(name)
            assert seed_state(root, trial, key).tolist() == numpy_state(root, trial, key)


def test_draws_are_those_of_numpys_pcg64_seeded_by_seedsequence():
    for root, trial, key in cases()[:50]:
        ours = LazyGenerator(root, (trial, key))
        theirs = np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(root, spawn_key=(trial, key))))
        assert ours.random(5).tolist() == theirs.random(5).tolist()
        assert ours.exponential(3.0) == theirs.exponential(3.0)  # the same stream goes on
        assert ours.integers(0, 10**9) == theirs.integers(0, 10**9)


def test_numpy_integer_seeds_give_the_same_words_as_python_ints():
    # a numpy int64 would wrap in the 32-bit arithmetic; the words must not depend on type
    assert seed_state(np.int64(7), np.int64(2), np.uint64(stable_key("comp"))).tolist() == \
        numpy_state(7, 2, stable_key("comp"))


def test_a_negative_seed_is_refused_as_numpy_refuses_it():
    with pytest.raises(ValueError, match="non-negative"):
        Streams(-1, 0)("comp").random()
    with pytest.raises(ValueError, match="non-negative"):
        np.random.SeedSequence(-1, spawn_key=(0, 1))


def test_stable_key_remembers_names_without_changing_them():
    assert stable_key("comp") == stable_key("comp") == 7551710668343976043
    assert stable_key("comp ") != stable_key("comp")


def test_hash_constants_step_by_the_multiplier_modulo_two_to_the_32():
    # 3, 3*5 = 15, 15*5 = 75: pairs of (this constant, the next)
    assert streams._hash_constants(3, 2, 5) == ((3, 15), (15, 75))
    # 0x80000001 * 2 = 0x1_00000002, of which the low 32 bits are 2
    assert streams._hash_constants(0x80000001, 1, 2) == ((0x80000001, 2),)
    assert streams._hash_constants(7, 0, 5) == ()


def test_the_remembered_names_and_words_stay_bounded(monkeypatch):
    monkeypatch.setattr(streams, "_KEYS_LIMIT", 3)
    keys = [stable_key(f"n{i}") for i in range(4)]  # the fourth finds 3 kept: they go
    assert len(streams._KEYS) == 1 and stable_key("n3") == keys[3]
    h = 0x12345678
    words = [streams._hashed_key(k, h) for k in keys]
    assert len(streams._HASHED) == 1
    assert [streams._hashed_key(k, h) for k in keys] == words  # the same words, recomputed


def test_the_seed_hands_pcg64_only_the_four_64_bit_words_it_asks_for():
    seed = streams._Seed(seed_state(7, 2, stable_key("comp")))
    assert seed.generate_state(4, np.uint64) is seed.state
    with pytest.raises(AssertionError):
        seed.generate_state(2, np.uint64)
    with pytest.raises(AssertionError):
        seed.generate_state(4, np.uint32)
