"""Random streams are golden: the same (seed, trial, name) gives the same draws, forever.

Every stochastic result of drsim (and every golden row of the bundled scenarios) hangs on
these values, so they are pinned literally. They come from numpy's PCG64 seeded with
SeedSequence(root seed, spawn_key=(trial, blake2b-64 of the name, little-endian)).
"""

from __future__ import annotations

from test_streams_seeding import cold_caches_and_a_sound_seed  # noqa: F401 (autouse)

from drsim.sim.streams import LazyGenerator, Streams, stable_key


def test_stable_key_is_blake2b_64_little_endian():
    # blake2b(b"comp", digest_size=8) = 6b a0 2b 99 d7 10 cd 68; read little-endian
    assert stable_key("comp") == 0x68CD10D7992BA06B == 7551710668343976043
    assert stable_key("") == 13020603013274838756


def test_draws_of_a_named_stream_are_pinned():
    rng = Streams(7, 2)("comp")
    assert rng.random() == 0.5210001387160472
    assert rng.random() == 0.953210963998196  # the same stream continues; it does not restart


def test_each_seed_trial_and_name_has_its_own_stream():
    assert Streams(7)("comp").random() == 0.23076217891372142  # trial 0 by default
    assert Streams(7, 0)("comp").random() == 0.23076217891372142
    assert Streams(8, 2)("comp").random() == 0.08855537899594124
    assert Streams(7, 2)("other").random() == 0.2895654546109616


def test_a_stream_is_handed_out_once_and_built_on_first_draw():
    streams = Streams(7, 2)
    first = streams("comp")
    assert isinstance(first, LazyGenerator)
    assert streams("comp") is first
    assert streams.root_seed == 7 and streams.trial == 2
    assert first._gen is None  # nothing drawn yet: no Generator built
    first.random()
    built = first._gen
    assert built is not None
    first.random()
    assert first._gen is built  # built once


def test_the_purposes_of_an_element_are_streams_named_element_colon_purpose():
    streams = Streams(7, 2)
    ttf = streams.of("comp")("ttf")
    assert ttf is streams("comp:ttf") and streams.of("comp")("ttf") is ttf
    assert ttf is not streams.of("comp")("ttr")
    assert Streams(7, 2).of("comp")("ttf").random() == 0.4344739239429981  # pinned


def test_a_stream_is_not_seeded_before_its_first_draw():
    first = Streams(7, 2)("comp")
    assert first._gen is None and first._root == 7 and first._key[0] == 2
    assert first.random() == 0.5210001387160472
