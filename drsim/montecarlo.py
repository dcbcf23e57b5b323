"""Many trials of one scenario: seed streams, batches, backends, stopping rules.

Trial i draws only from (root seed, i) — see sim/streams.py — so its row is the same on any
backend and any number of workers; rows are put back in trial order before anything is
computed from them. Work travels in batches of trials (a short trial costs less than its
dispatch), to a backend: in this process, a local process pool (the default), or a Dask
distributed cluster for scale-out.
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from queue import Empty
from typing import TYPE_CHECKING, Any, Protocol, cast

import pandas as pd

from drsim.errors import DrsimError, Terminated
from drsim.scenario.schema import Scenario
from drsim.stats import relative_half_width, resolve_metric
from drsim.topology import Topology
from drsim.trial import Row, columns, run_batch

if TYPE_CHECKING:
    from drsim.report.tidy import TidyKind

# called once per finished trial: (trials done, trials asked for, the rows so far)
Progress = Callable[[int, int, list[dict[str, Any]]], None]


@dataclass
class Trials:
    """The rows of a Monte Carlo run, in trial order, and whether it is complete: ran to the
    end (or to its --until target) with no trial failing."""

    scenario: Scenario
    seed: int
    frame: pd.DataFrame
    requested: int
    complete: bool = True
    interrupted: int = 0  # exit status owed: 130 after SIGINT, 143 after SIGTERM
    stopped_by: str = ""  # why it ended early on purpose (the --until target was reached)

    @property
    def failed(self) -> int:
        return int(self.frame["error"].notna().sum()) if len(self.frame) else 0

    def stop_if_interrupted(self) -> Trials:
        """These trials, unless Ctrl-C or SIGTERM stopped them: then re-raise that stop
        (KeyboardInterrupt or Terminated), for callers that cannot use part of a run (compare,
        sweep, invest); the CLI exits 130 or 143."""
        if self.interrupted == 143:
            raise Terminated()
        if self.interrupted:
            raise KeyboardInterrupt()
        return self

    def summary(self) -> Any:
        from drsim.stats import summarise

        return summarise(self.frame, self.scenario)

    def tidy(self, kind: TidyKind = "metrics") -> pd.DataFrame:
        """`frame` in long format: "metrics" → trial, metric, value; "groups" → trial, group,
        metric, value; "services" → trial, service, metric, value; "objectives" → trial,
        objective, kind, met (drsim/report/tidy.py). Failed trials are left out."""
        from drsim.report.tidy import tidy_trials

        return tidy_trials(self.frame, kind)

    def __repr__(self) -> str:
        from drsim.report.notebook import trials_repr

        return trials_repr(self)

    def _repr_html_(self) -> str:
        from drsim.report.notebook import trials_html

        return trials_html(self)


class Backend(Protocol):
    """Runs batches of trial indices; yields each batch's rows as it finishes."""

    def run(self, batches: list[list[int]]) -> Iterator[list[Row]]: ...

    def close(self, abort: bool = False) -> None: ...


@dataclass
class SerialBackend:
    """Every trial in this process: no start-up cost, no parallelism."""

    scenario: Scenario
    seed: int
    topology: Topology | None = field(default=None, repr=False)

    def run(self, batches: list[list[int]]) -> Iterator[list[Row]]:
        self.topology = self.topology or Topology(self.scenario)
        for i in (i for batch in batches for i in batch):  # trial by trial, for progress
            yield run_batch(self.scenario, self.seed, [i], self.topology)

    def close(self, abort: bool = False) -> None:
        pass


_WORKER: dict[str, Any] = {}


def _init_worker(scenario: Scenario, seed: int, rows: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _WORKER.update(scenario=scenario, seed=seed, topology=Topology(scenario), rows=rows)


def _worker_batch(batch: list[int]) -> int:
    """Run a batch, sending each trial's row to the parent as soon as the trial ends (so
    progress moves trial by trial, not batch by batch); returns the number of trials."""
    for i in batch:
        _WORKER["rows"].put(run_batch(_WORKER["scenario"], _WORKER["seed"], [i],
                                      _WORKER["topology"])[0])
    return len(batch)


@dataclass
class PoolBackend:
    """A local process pool; the scenario is sent to each worker once, batches stream out,
    and rows stream back one trial at a time."""

    scenario: Scenario
    seed: int
    workers: int
    _pool: ProcessPoolExecutor | None = field(default=None, repr=False)
    _rows: Any = field(default=None, repr=False)  # the queue every worker puts its rows on

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = get_context("forkserver" if os.name == "posix" else "spawn")
            if os.name == "posix":
                ctx.set_forkserver_preload(["drsim.trial"])
            self._rows = ctx.Queue()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                             initializer=_init_worker,
                                             initargs=(self.scenario, self.seed, self._rows))
        return self._pool

    def run(self, batches: list[list[int]]) -> Iterator[list[Row]]:
        """Each trial's row as it arrives, while keeping 4 batches a worker in flight; a
        batch that failed (a worker died) raises here."""
        pool = self.pool()
        queue = iter(batches)
        pending = {pool.submit(_worker_batch, b) for b in _take(queue, 4 * self.workers)}
        expected, received = sum(map(len, batches)), 0
        while received < expected:
            for fut in [f for f in pending if f.done()]:
                pending.discard(fut)
                fut.result()
                pending.update(pool.submit(_worker_batch, b) for b in _take(queue, 1))
            try:
                row = self._rows.get(timeout=0.1)
            except Empty:
                continue
            received += 1
            yield [row]

    def close(self, abort: bool = False) -> None:
        if self._pool is None:
            return
        procs = list(getattr(self._pool, "_processes", {}).values()) if abort else []
        for proc in procs:
            proc.terminate()
        self._pool.shutdown(wait=not abort, cancel_futures=True)
        self._rows.close()
        self._pool = self._rows = None
        if abort:  # leave nothing behind: the workers reaped, then the forkserver stopped
            for proc in procs:
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
                    proc.join(5)
            _stop_forkserver()


def _stop_forkserver() -> None:
    """Stop the forkserver process multiprocessing keeps for new workers (it would otherwise
    outlive an interrupted run until this process exits); the next pool starts a new one."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        stop()


def _take(it: Iterator[list[int]], n: int) -> list[list[int]]:
    out = []
    for _ in range(n):
        nxt = next(it, None)
        if nxt is None:
            break
        out.append(nxt)
    return out


def _dask_batch(scenario: Scenario, seed: int, batch: list[int]) -> list[Row]:
    return run_batch(scenario, seed, batch)


@dataclass
class DaskBackend:
    """Dask distributed: the scenario is scattered once; batches are tasks, retried by Dask
    on another worker if one dies (a batch is pure, so a retry changes nothing)."""

    scenario: Scenario
    seed: int
    scheduler: str | None = None
    workers: int = 2
    _client: Any = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)
    _scenario: Any = field(default=None, repr=False)  # the scattered scenario, kept alive

    def client(self) -> Any:
        if self._client is None:
            try:
                from distributed import Client, LocalCluster
            except ImportError:
                raise DrsimError("the dask backend needs Dask distributed: "
                                 "pip install 'drsim[dask]'") from None
            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout="10s")
                except OSError as e:
                    raise DrsimError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                     f"{e}") from None
            else:
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, host="127.0.0.1",
                                             dashboard_address=None)
                self._client = Client(self._cluster)
        return self._client

    def run(self, batches: list[list[int]]) -> Iterator[list[Row]]:
        from distributed import as_completed

        client = self.client()
        if self._scenario is None:
            self._scenario = client.scatter(self.scenario, broadcast=True)
        futures = [client.submit(_dask_batch, self._scenario, self.seed, b, pure=False,
                                 retries=3) for b in batches]
        for fut in as_completed(futures):
            yield fut.result()

    def close(self, abort: bool = False) -> None:
        self._scenario = None
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


BACKENDS = ("local", "dask")


def make_backend(scenario: Scenario, seed: int, backend: str = "local",
                 workers: int | None = None, scheduler: str | None = None) -> Backend:
    workers = workers or os.cpu_count() or 1
    if backend == "dask":
        return DaskBackend(scenario, seed, scheduler, workers)
    if backend != "local":
        raise DrsimError(f"unknown backend '{backend}'; use one of {', '.join(BACKENDS)}")
    return SerialBackend(scenario, seed) if workers == 1 else PoolBackend(scenario, seed, workers)


def default_batch_size(trials: int, workers: int) -> int:
    """About eight batches per worker, within [1, 250] trials a batch."""
    return max(1, min(250, math.ceil(trials / (8 * max(1, workers)))))


def batches_of(indices: list[int], size: int) -> list[list[int]]:
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def rounds(todo: list[int], first: int = 200) -> Iterator[list[int]]:
    """Rounds for a stopping rule: 200 trials, then as many again each time (doubling).
    Fixed sizes, so where a run stops never depends on the number of workers."""
    done, size = 0, first
    while done < len(todo):
        yield todo[done:done + size]
        done += size
        size = done


def frame_of(scenario: Scenario, rows: Iterable[Row]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=columns(scenario))
    return frame.sort_values("trial", kind="stable").reset_index(drop=True)


def run_trials(scenario: Scenario, trials: int = 1000, seed: int | None = None,
               workers: int | None = None, backend: str = "local",
               scheduler: str | None = None, batch_size: int | None = None,
               until: tuple[str, float] | None = None, progress: Progress | None = None,
               previous: pd.DataFrame | None = None) -> Trials:
    """Run trials 0..trials-1 (those not already in `previous`) and collect their rows.

    `until=(metric, 0.02)` stops at the end of the first round whose 95% CI half-width of the
    metric's mean is within 2% of the mean (trials is then the cap). Ctrl-C or SIGTERM stop
    the run and return every finished trial, marked incomplete.
    """
    seed = scenario.simulation.seed if seed is None else seed
    if until is not None:
        try:
            until = (resolve_metric(pd.DataFrame(columns=columns(scenario)), until[0]),
                     until[1])
        except ValueError as e:
            raise DrsimError(f"--until: {e}") from None
    # column labels are metric names (str), which pandas-stubs cannot know
    have = cast(list[Row], previous.to_dict("records")) if previous is not None else []
    done_ids = {int(r["trial"]) for r in have}
    todo = [i for i in range(trials) if i not in done_ids]
    engine = make_backend(scenario, seed, backend, workers, scheduler)
    nworkers = workers or os.cpu_count() or 1
    rows = list(have)
    result = Trials(scenario, seed, frame_of(scenario, rows), trials)
    try:
        for part in (rounds(todo) if until else [todo]):
            size = batch_size or default_batch_size(len(part), nworkers)
            for batch_rows in engine.run(batches_of(part, size)):
                for row in batch_rows:  # once per trial, whatever the batch size
                    rows.append(row)
                    if progress:
                        progress(len(rows), trials, rows)
            result.frame = frame_of(scenario, rows)
            if until and relative_half_width(result.frame, until[0]) <= until[1]:
                result.stopped_by = f"{until[0]} within ±{until[1]:.1%} after {len(rows)} trials"
                break
        engine.close()
    except (KeyboardInterrupt, Terminated) as stop:
        engine.close(abort=True)
        result.interrupted = 143 if isinstance(stop, Terminated) else 130
    result.frame = frame_of(scenario, rows)
    result.complete = not result.interrupted and not result.failed and (
        len(result.frame) == trials or bool(result.stopped_by))
    return result
