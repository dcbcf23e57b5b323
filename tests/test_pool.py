"""One pool of workers per command: started on first use, reused by every run of the command
(sweep cells, compare and invest scenarios, verify cases and seeds, sensitivity points),
closed at its end, on Ctrl-C too; the numbers are those of one worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
from test_cli_options import TINY, ok

from drsim import montecarlo, verification
from drsim.analysis.sensitivity import sensitivity
from drsim.montecarlo import WorkerPool, run_trials
from drsim.scenario import parse_scenario


class Made:
    """How many process pools and worker processes were created."""

    pools = 0
    processes = 0


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Made]]:
    """Counts every ProcessPoolExecutor montecarlo creates and every worker process it
    starts (ProcessPoolExecutor._spawn_process, called once per process)."""

    class Counting(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            Made.pools += 1
            super().__init__(*args, **kwargs)

        def _spawn_process(self) -> None:
            Made.processes += 1
            super()._spawn_process()  # type: ignore[misc]

    Made.pools = Made.processes = 0
    monkeypatch.setattr(montecarlo, "ProcessPoolExecutor", Counting)
    yield Made
    assert workers() == [], "workers left behind"


def pool_processes() -> list[psutil.Process]:
    """This process's forkservers and their workers still alive."""
    out = []
    for p in psutil.Process().children():
        try:
            if "forkserver" in " ".join(p.cmdline()):
                out += [p, *p.children()]
        except psutil.NoSuchProcess:
            pass
    return out


def workers() -> list[psutil.Process]:
    """Worker processes alive (the forkserver outlives a pool closed normally, as it outlives
    any command: multiprocessing stops it when this process ends)."""
    return [p for p in pool_processes() if "forkserver" not in " ".join(p.cmdline())]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_cli_options' tiny scenario: one site, a box failing every 5 days, 4 h repairs."""
    path = tmp_path_factory.mktemp("pool") / "tiny.yaml"
    path.write_text(TINY % ("4h", 100))
    return path


def invoke(*args: Any) -> Any:
    return ok(list(args))


def test_sweep_of_three_cells_starts_one_pool_of_two_workers(made, tiny, tmp_path):
    invoke("sweep", tiny, "--set", "simulation.horizon=10d,20d,30d", "--trials", 8,
           "--workers", 2, "--csv", tmp_path / "two.csv")
    # three cells, one run each: one pool, two processes (not three pools and six processes)
    assert (made.pools, made.processes) == (1, 2)
    invoke("sweep", tiny, "--set", "simulation.horizon=10d,20d,30d", "--trials", 8,
           "--workers", 1, "--csv", tmp_path / "one.csv")
    assert (made.pools, made.processes) == (1, 2)  # one worker: in this process, no pool
    assert (tmp_path / "two.csv").read_text() == (tmp_path / "one.csv").read_text()


def test_compare_and_invest_start_one_pool_each(made, tiny, tmp_path):
    fast = tmp_path / "fast.yaml"
    fast.write_text(TINY % ("1h", 300))
    faster = tmp_path / "faster.yaml"
    faster.write_text(TINY % ("30m", 500))
    invoke("compare", tiny, fast, faster, "--trials", 6, "--workers", 2)
    assert (made.pools, made.processes) == (1, 2)
    invoke("invest", tiny, "--option", fast, "--option", faster, "--trials", 6, "--workers", 2)
    assert (made.pools, made.processes) == (2, 4)  # a second command: its own pool


def test_verify_of_two_cases_on_two_seeds_starts_one_pool(made):
    invoke("verify", "--case", "unit", "--case", "series", "--seeds", 2, "--trials", 30,
           "--workers", 2)
    # four runs (2 cases × 2 seeds), one pool
    assert (made.pools, made.processes) == (1, 2)


def test_sensitivity_points_share_one_pool_and_give_the_same_numbers(made, tiny, tmp_path):
    invoke("sensitivity", tiny, "--trials", 5, "--samples", 2, "--repeats", 2, "--workers", 2,
           "--json", tmp_path / "two.json")
    # 2 Morris trajectories of 3 points, a median and 2 ends of 2 inputs: 11 points, one pool
    assert (made.pools, made.processes) == (1, 2)
    invoke("sensitivity", tiny, "--trials", 5, "--samples", 2, "--repeats", 2,
           "--json", tmp_path / "one.json")
    two, one = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("two", "one"))
    assert two["evaluations"] == one["evaluations"] == 2 * 3 + 1 + 2 * 2
    assert two == one


def test_a_pool_is_started_lazily_and_reused_by_every_run_in_its_block(made, tiny):
    from drsim.scenario import load_scenario

    sc = load_scenario(tiny)
    with WorkerPool(2) as pool:
        assert pool.starts == 0 and made.pools == 0  # nothing started before the first run
        a = run_trials(sc, 10, seed=1, workers=2, batch_size=3)
        b = run_trials(sc, 10, seed=2, workers=2, batch_size=3)
        assert pool.starts == 1 and (made.pools, made.processes) == (1, 2)
        assert len(pool_processes()) == 3  # the forkserver and its two workers, still up
        solo = run_trials(sc, 4, seed=1, workers=3)  # other settings: a pool of its own
        assert (made.pools, made.processes) == (2, 5)
    assert workers() == []  # closed at the end of the block
    pd.testing.assert_frame_equal(a.frame, run_trials(sc, 10, seed=1, workers=1).frame)
    pd.testing.assert_frame_equal(b.frame, run_trials(sc, 10, seed=2, workers=1).frame)
    pd.testing.assert_frame_equal(solo.frame, a.frame.head(4))


def test_ctrl_c_inside_a_command_leaves_no_worker_and_the_next_run_starts_afresh(made, tiny):
    from drsim.scenario import load_scenario

    sc = load_scenario(tiny)

    def stop(done: int, total: int, rows: Any) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), WorkerPool(2):
        run_trials(sc, 10, seed=1, workers=2, batch_size=2)
        assert made.pools == 1
        run_trials(sc, 40, seed=1, workers=2, batch_size=2, progress=stop).stop_if_interrupted()
    assert pool_processes() == [] and made.pools == 1


def test_ctrl_c_stops_verify_not_just_the_case_it_was_running(monkeypatch):
    """Before, the interrupted case was recorded as short of trials and verify went on to the
    next case; now the interrupt ends verify (the CLI exits 130)."""
    ran: list[int] = []
    real = montecarlo.run_batch

    def run_batch(scenario: Any, seed: int, trials: list[int], topology: Any = None) -> Any:
        ran.extend(trials)
        if len(ran) == 3:
            raise KeyboardInterrupt
        return real(scenario, seed, trials, topology)

    monkeypatch.setattr(montecarlo, "run_batch", run_batch)
    with pytest.raises(KeyboardInterrupt):
        verification.verify(verification.select(["unit", "series"]), trials=20, workers=1,
                            seeds=1)
    assert ran == [0, 1, 2]  # the second case never started


def test_worker_pool_refuses_an_unknown_backend():
    with pytest.raises(Exception, match="unknown backend 'ray'; use one of local, dask"):
        WorkerPool(2, "ray")


def test_sensitivity_api_default_is_one_worker_in_this_process(made, tiny):
    sc = parse_scenario(tiny.read_text())
    result = sensitivity(sc, trials=3, samples=2)
    assert made.pools == 0 and result.evaluations == 2 * 3 + 1 + 2 * 2
