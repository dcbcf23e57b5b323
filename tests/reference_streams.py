"""drsim's random stream for a named source, rebuilt from numpy alone: an independent
reference for tests that pin which draws a mechanism takes (see drsim/sim/streams.py)."""

from __future__ import annotations

import numpy as np

from drsim.sim.streams import stable_key


def stream(seed: int, name: str, trial: int = 0) -> np.random.Generator:
    """The generator drsim gives the named source in this trial of this root seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(trial,
                                                                          stable_key(name))))
