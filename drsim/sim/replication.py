"""Data replication decides how much data a failover loses (the achieved RPO)."""

from __future__ import annotations

import numpy as np

from drsim.scenario.schema import Replication


def data_lost_s(replication: Replication | None, failed_at_s: float,
                rng: np.random.Generator) -> float:
    """Seconds of writes lost when the copy at the replica is all that survives `failed_at_s`.

    sync: nothing; async: one draw of the lag; backup: the time since the last backup, backups
    being taken at the simulation start and every `interval` after it. A service without
    replication is stateless: it has no data to lose.
    """
    if replication is None or replication.mode == "sync":
        return 0.0
    if replication.mode == "async":
        assert replication.lag is not None
        return replication.lag.sample(rng)
    assert replication.interval is not None
    return failed_at_s % replication.interval
