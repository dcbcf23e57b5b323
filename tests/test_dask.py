"""The Dask backend on a two-worker LocalCluster on loopback: the same numbers bit for bit
as the local backend, and a worker killed mid-run loses and duplicates no trial."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest
from conftest import ROOT

from drsim.montecarlo import run_trials
from drsim.scenario import load_scenario

distributed = pytest.importorskip("distributed")
# another Dask on this machine may hold the default ports; ours binds to free ones anyway
pytestmark = pytest.mark.filterwarnings("ignore:Port .* is already in use")

YEAR = ROOT / "scenarios" / "random-failures-year.yaml"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", scheduler_port=0,
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def year():
    return load_scenario(YEAR)


def test_dask_gives_the_local_numbers_bit_for_bit(cluster, year):
    local = run_trials(year, 80, seed=21, workers=1).frame
    dask = run_trials(year, 80, seed=21, backend="dask", scheduler=cluster.scheduler_address,
                      batch_size=6).frame
    pd.testing.assert_frame_equal(local, dask)


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(cluster, year):
    with distributed.Client(cluster.scheduler_address) as client:
        pids = sorted(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_once(done: int, total: int, rows: list) -> None:
        if not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)  # the nanny restarts it; its tasks are retried

    local = run_trials(year, 200, seed=22, workers=1).frame
    dask = run_trials(year, 200, seed=22, backend="dask", scheduler=cluster.scheduler_address,
                      batch_size=4, progress=kill_once).frame
    assert killed
    assert list(dask["trial"]) == list(range(200))
    pd.testing.assert_frame_equal(local, dask)
