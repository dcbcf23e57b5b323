"""Many trials of one scenario: seed streams, batches, backends, stopping rules.

Trial i draws only from (root seed, i) — see sim/streams.py — so its row is the same on any
backend and any number of workers; rows are put back in trial order before anything is
computed from them. Work travels in batches of trials (a short trial costs less than its
dispatch), to a backend: in this process, a local process pool (the default), or a Dask
distributed cluster for scale-out.

A command starts its workers once (WorkerPool, a context manager: started on first use,
closed at the end, on Ctrl-C and SIGTERM too) and every run_trials call inside it reuses
them: each call is a Job (its scenario and seed, pickled once) that travels with its
batches, and a worker keeps the last few jobs it saw (scenario and topology) so it unpickles
and elaborates each only once.

A local worker killed outright (SIGKILL from the OOM killer, a crash) breaks its pool: the
rows already received are kept, the dead worker is named with the signal that ended it, and
the trials of the batch it was running are run again on a fresh pool, at most
MAX_BATCH_ATTEMPTS times in all before the run stops (WorkerLost). Finished batches can be
handed to `on_batch` (the results folder's journal) as they complete.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from drsim.errors import DrsimError, Terminated
from drsim.rows import SERIAL_GROUP, Chunk, Rows, chunk_of, grouped, read_column, summary_of
from drsim.scenario.schema import Scenario
from drsim.stats import completed, relative_half_width, resolve_metric
from drsim.topology import Topology
from drsim.trial import Row, columns, run_batch

if TYPE_CHECKING:
    from drsim.report.tidy import TidyKind

# called once per finished trial: (trials done, trials asked for, the rows so far: len() and
# .column(name))
Progress = Callable[[int, int, Rows], None]

# A batch whose worker dies is run again on a fresh pool; this many deaths on one batch (the
# first run and two re-runs) stop the run: a trial that kills its worker every time (out of
# memory) would otherwise be retried for ever.
MAX_BATCH_ATTEMPTS = 3


class WorkerLost(DrsimError):
    """A worker process died (killed by a signal: the OOM killer's SIGKILL, a crash) on the
    same batch MAX_BATCH_ATTEMPTS times; the run stops with its finished trials kept. The CLI
    exits with `exit_status` (75, EX_TEMPFAIL: --resume may succeed with more memory)."""

    exit_status = 75


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
    lost: str = ""  # why it stopped when a worker kept dying (WorkerLost's message)
    # run_trials(rows_to=PATH): the rows are in this Parquet file, and `frame` is left empty
    rows_file: Path | None = None
    count: int = 0  # rows in rows_file
    types: dict[str, str] = field(default_factory=dict)  # the dtypes of its whole frame
    failures: int = 0  # failed trials in rows_file

    def column(self, name: str) -> pd.Series:
        """One column of every row (read from rows_file when the rows are there)."""
        if self.rows_file is not None:
            return read_column(self.rows_file, name) if self.count else pd.Series([])
        return self.frame[name] if len(self.frame) else pd.Series([])

    def read_frame(self) -> pd.DataFrame:
        """Every row as one frame: `frame`, or rows_file read back (the same dtypes)."""
        if self.rows_file is None or not self.count:
            return self.frame
        from drsim.rows import frames_of_file

        return pd.concat(list(frames_of_file(self.rows_file, self.types)), ignore_index=True)

    def worst(self, n: int = 5) -> pd.DataFrame:
        """Rows that include the n finished trials that lost the most customer-minutes (all
        of `frame` when the rows are held; with rows_file, those n rows, read a row group at
        a time), for report.trials_text.worst_trials / render_worst."""
        if self.rows_file is None or not self.count:
            return self.frame
        from drsim.report.trials_text import worst_trials
        from drsim.rows import frames_of_file

        top = pd.DataFrame()
        for frame in frames_of_file(self.rows_file, self.types):
            both = pd.concat([top, frame]) if len(top) else frame
            top = both[both["trial"].isin(worst_trials(both, n))]
        return top.reset_index(drop=True)

    @property
    def done(self) -> int:
        """Trials finished (failed ones included)."""
        return self.count if self.rows_file is not None else len(self.frame)

    @property
    def failed(self) -> int:
        if self.rows_file is not None:
            return self.failures
        return int(self.frame["error"].notna().sum()) if len(self.frame) else 0

    def stop_if_interrupted(self) -> Trials:
        """These trials, unless Ctrl-C or SIGTERM stopped them: then re-raise that stop
        (KeyboardInterrupt or Terminated), for callers that cannot use part of a run (compare,
        sweep, invest); the CLI exits 130 or 143. A run stopped by dying workers raises
        WorkerLost."""
        if self.lost:
            raise WorkerLost(self.lost)
        if self.interrupted == 143:
            raise Terminated()
        if self.interrupted:
            raise KeyboardInterrupt()
        return self

    def summary(self) -> Any:
        from drsim.stats import summarise

        if self.rows_file is not None:  # a column at a time: the same numbers, less memory
            return summary_of(self.rows_file, self.scenario)
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


_JOB_KEYS = itertools.count(1)


@dataclass(eq=False)
class Job:
    """The work of one run_trials call: a scenario and its root seed. Its batches carry it
    pickled (once, here) with its key; a worker unpickles and elaborates it on first sight."""

    scenario: Scenario
    seed: int
    key: int = field(default_factory=lambda: next(_JOB_KEYS))
    _blob: bytes | None = field(default=None, repr=False)

    def columns(self) -> list[str]:
        return columns(self.scenario)

    def blob(self) -> bytes:
        if self._blob is None:
            self._blob = pickle.dumps((self.scenario, self.seed), pickle.HIGHEST_PROTOCOL)
        return self._blob


class Backend(Protocol):
    """Runs batches of trial indices of a job; yields their rows as columns (Chunks of a few
    trials of one batch each) as they finish."""

    def run(self, job: Job, batches: list[list[int]]) -> Iterator[Chunk]: ...

    def run_tasks(self, tasks: list[tuple[Job, list[int]]]) -> Iterator[tuple[int, Chunk]]:
        """Batches of several jobs at once: each Chunk with its task's index, as it
        arrives."""
        ...

    def close(self, abort: bool = False) -> None: ...


@dataclass
class SerialBackend:
    """Every trial in this process: no start-up cost, no parallelism."""

    _topology: tuple[int, Topology] | None = field(default=None, repr=False)

    def run(self, job: Job, batches: list[list[int]]) -> Iterator[Chunk]:
        for _, chunk in self.run_tasks([(job, b) for b in batches]):
            yield chunk

    def run_tasks(self, tasks: list[tuple[Job, list[int]]]) -> Iterator[tuple[int, Chunk]]:
        for k, (job, batch) in enumerate(tasks):
            if self._topology is None or self._topology[0] != job.key:
                self._topology = (job.key, Topology(job.scenario))
            topology = self._topology[1]
            trials = (run_batch(job.scenario, job.seed, [i], topology)[0] for i in batch)
            for chunk in grouped(trials, job.columns(), SERIAL_GROUP):
                yield k, chunk

    def close(self, abort: bool = False) -> None:
        self._topology = None


_WORKER: dict[str, Any] = {}
_JOBS: dict[int, tuple[Scenario, int, Topology]] = {}  # a worker's last jobs, oldest first
KEEP_JOBS = 4


def _init_worker(rows: Connection, lock: Any, alive: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    threading.Thread(target=_exit_with_coordinator, args=(alive,), daemon=True).start()
    _WORKER.update(rows=rows, lock=lock)


def _job(key: int, blob: bytes) -> tuple[Scenario, int, Topology]:
    """A job's scenario, seed and topology, unpickled and built the first time it is seen."""
    got = _JOBS.get(key)
    if got is None:
        scenario, seed = pickle.loads(blob)
        got = _JOBS[key] = (scenario, seed, Topology(scenario))
        while len(_JOBS) > KEEP_JOBS:
            del _JOBS[next(iter(_JOBS))]
    return got


def _exit_with_coordinator(alive: Connection) -> None:
    """End this worker once the process that runs the pool is gone: killed outright
    (SIGKILL), that process cannot stop its workers, which would otherwise wait for work for
    ever. It alone holds the writing end of `alive`, so this read ends when it dies."""
    try:
        alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(1)


def _send(message: tuple[Any, ...]) -> None:
    """One message to the coordinator, written whole before this returns (no feeder thread
    to lose it if this worker is killed a moment later)."""
    with _WORKER["lock"]:
        _WORKER["rows"].send(message)


def _worker_batch(key: int, blob: bytes, batch: int, trials: list[int]) -> int:
    """Run a batch of job `key`: say which worker starts it, then send its rows to the parent
    as columns, in groups of 1, 4, 16, 64 trials as they finish (rows.grouped: progress shows
    at once, one message carries many rows, a worker that dies loses only its group under
    way); returns the number of trials."""
    scenario, seed, topology = _job(key, blob)
    _send(("start", os.getpid(), batch))
    rows = (run_batch(scenario, seed, [i], topology)[0] for i in trials)
    for chunk in grouped(rows, columns(scenario)):
        _send(("rows", batch, chunk))
    return len(trials)


def death(exitcode: int | None) -> str:
    """How a worker process ended, from its exit code: 'killed by signal 9 (SIGKILL), likely
    out of memory' (the OOM killer sends SIGKILL), 'exited with status 3'."""
    if exitcode is None or exitcode >= 0:
        return f"exited with status {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = "unknown signal"
    oom = ", likely out of memory (the kernel's OOM killer sends SIGKILL)" \
        if -exitcode == signal.SIGKILL else ""
    return f"killed by signal {-exitcode} ({name}){oom}"


def span(trials: list[int]) -> str:
    return f"trial {trials[0]}" if len(trials) == 1 else f"trials {trials[0]}–{trials[-1]}"


@dataclass
class PoolBackend:
    """A local process pool, started on first use and reused by every job; batches stream
    out (each with its job), and rows stream back as columns in groups of 1, 4, 16, then 64
    trials (rows.grouped). A worker that dies breaks the pool: the rows received are kept
    and the unfinished batches run on a fresh pool (at most MAX_BATCH_ATTEMPTS times for the
    batch the dead worker was running)."""

    workers: int
    note: Callable[[str], None] | None = None  # told of each worker death and its re-run
    starts: int = 0  # pools of processes started (a fresh one after a worker died, or abort)
    _pool: ProcessPoolExecutor | None = field(default=None, repr=False)
    _rows: Connection | None = field(default=None, repr=False)  # every worker sends rows here
    _ends: tuple[Connection, ...] = field(default=(), repr=False)  # the pipes' other ends
    _started: dict[int, int] = field(default_factory=dict, repr=False)  # pid → its batch

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = get_context("forkserver" if os.name == "posix" else "spawn")
            if os.name == "posix":
                ctx.set_forkserver_preload(["drsim.trial"])
            self._rows, rows_w = ctx.Pipe(duplex=False)
            alive_r, alive_w = ctx.Pipe(duplex=False)
            self._ends = (rows_w, alive_r, alive_w)
            self._started = {}
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                             initializer=_init_worker,
                                             initargs=(rows_w, ctx.Lock(), alive_r))
            self.starts += 1
        return self._pool

    def run(self, job: Job, batches: list[list[int]]) -> Iterator[Chunk]:
        for _, chunk in self.run_tasks([(job, b) for b in batches]):
            yield chunk

    def run_tasks(self, tasks: list[tuple[Job, list[int]]]) -> Iterator[tuple[int, Chunk]]:
        """Each group of rows as it arrives, with the index of its task (a batch of a job),
        while keeping 4 batches a worker in flight. When a worker dies, the rows it and the
        others sent are kept and every batch not yet finished goes to a fresh pool;
        WorkerLost once one batch has lost its worker MAX_BATCH_ATTEMPTS times."""
        whole = {k: list(b) for k, (_, b) in enumerate(tasks) if b}
        left = {k: list(b) for k, b in whole.items()}  # batch → its trials not received
        jobs = {k: job for k, (job, _) in enumerate(tasks)}
        lost: dict[int, int] = {}  # batch → times its worker died (-1: between batches)
        while left:
            try:
                yield from self._stream(jobs, left)
            except BrokenProcessPool:
                yield from self._recover(left, whole, lost)

    def _stream(self, jobs: dict[int, Job], left: dict[int, list[int]]
                ) -> Iterator[tuple[int, Chunk]]:
        pool = self.pool()
        queue = iter(list(left))

        def submit(ks: list[int]) -> set[Any]:
            return {pool.submit(_worker_batch, jobs[k].key, jobs[k].blob(), k, left[k])
                    for k in ks}

        pending = submit(_take(queue, 4 * self.workers))
        while left:
            for fut in [f for f in pending if f.done()]:
                pending.discard(fut)
                fut.result()  # BrokenProcessPool when a worker died
                pending |= submit(_take(queue, 1))
            if self._rows is not None and self._rows.poll(0.1):
                got = self._receive(self._rows.recv(), left)
                if got is not None:
                    yield got

    def _receive(self, message: tuple[Any, ...], left: dict[int, list[int]]
                 ) -> tuple[int, Chunk] | None:
        """A worker's message: ('start', pid, batch) notes who runs what; ('rows', batch,
        chunk) is returned after its trials are struck off its batch (a worker runs a batch
        in order, so they are the first of those left)."""
        if message[0] == "start":
            self._started[message[1]] = message[2]
            return None
        k, chunk = message[1], message[2]
        left[k] = left[k][len(chunk):]
        if not left[k]:
            del left[k]
        return k, chunk

    def _recover(self, left: dict[int, list[int]], whole: dict[int, list[int]],
                 lost: dict[int, int]) -> Iterator[tuple[int, Chunk]]:
        """After a worker died: wait for the broken pool to stop, keep every row its workers
        sent, name the dead worker and the batch it was running, and charge that batch one
        attempt (a death between batches is charged to them all together)."""
        assert self._pool is not None and self._rows is not None
        procs = dict(getattr(self._pool, "_processes", None) or {})
        self._pool.shutdown(wait=True)  # the broken pool has stopped its other workers
        self._ends[0].close()  # no writer left: a half-sent message reads as EOF, not a hang
        while True:
            try:
                if not self._rows.poll(0):
                    break
                got = self._receive(self._rows.recv(), left)
            except (EOFError, OSError):
                break
            if got is not None:
                yield got
        started, self._started = self._started, {}
        self.close()
        codes = {pid: p.exitcode for pid, p in procs.items() if p.exitcode not in (0, None)}
        # the pool itself stops the other workers with SIGTERM once one has died
        killed = {pid: c for pid, c in codes.items() if c != -signal.SIGTERM} or codes
        for pid, code in sorted(killed.items()) or [(0, None)]:
            who = f"worker {pid} {death(code)}" if pid else "a worker died"
            k = started.get(pid, -1)
            if k not in left:  # between batches, or before its first: no trial was running
                k = -1
                doing = "between batches"
            else:
                kept = len(whole[k]) - len(left[k])
                doing = (f"while running {span(whole[k])} ({kept} finished and kept, trial "
                         f"{left[k][0]} unfinished)")
            lost[k] = lost.get(k, 0) + 1
            if lost[k] >= MAX_BATCH_ATTEMPTS:
                again = "that batch lost its worker" if k >= 0 else "workers died"
                raise WorkerLost(f"{who}, {doing}; {again} {MAX_BATCH_ATTEMPTS} times, so the "
                                 f"run stops (a batch is tried at most {MAX_BATCH_ATTEMPTS} "
                                 "times)")
            if self.note:
                self.note(f"{who}, {doing}; the unfinished batches run again on a fresh pool "
                          f"(attempt {lost[k] + 1} of {MAX_BATCH_ATTEMPTS})")

    def close(self, abort: bool = False) -> None:
        if self._pool is None:
            return
        procs = list((getattr(self._pool, "_processes", None) or {}).values()) if abort else []
        for proc in procs:
            proc.terminate()
        self._pool.shutdown(wait=not abort, cancel_futures=True)
        for end in (self._rows, *self._ends):
            if end is not None:
                end.close()
        self._pool, self._rows, self._ends = None, None, ()
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


def _take(it: Iterator[int], n: int) -> list[int]:
    return list(islice(it, n))


def _dask_batch(job: tuple[Scenario, int], batch: list[int]) -> Chunk:
    return chunk_of(run_batch(job[0], job[1], batch), columns(job[0]))


@dataclass
class DaskBackend:
    """Dask distributed: the client (and a LocalCluster) started once, each job's scenario
    scattered once; batches are tasks, retried by Dask on another worker if one dies (a batch
    is pure, so a retry changes nothing)."""

    scheduler: str | None = None
    workers: int = 2
    starts: int = 0
    _client: Any = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)
    _job: tuple[int, Any] | None = field(default=None, repr=False)  # the scattered job

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
            self.starts += 1
        return self._client

    def run(self, job: Job, batches: list[list[int]]) -> Iterator[Chunk]:
        from distributed import as_completed

        client = self.client()
        if self._job is None or self._job[0] != job.key:
            self._job = (job.key, client.scatter((job.scenario, job.seed), broadcast=True))
        futures = [client.submit(_dask_batch, self._job[1], b, pure=False, retries=3)
                   for b in batches]
        for fut in as_completed(futures):
            yield fut.result()

    def run_tasks(self, tasks: list[tuple[Job, list[int]]]) -> Iterator[tuple[int, Chunk]]:
        for k, (job, batch) in enumerate(tasks):
            for chunk in self.run(job, [batch]):
                yield k, chunk

    def close(self, abort: bool = False) -> None:
        self._job = None
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


BACKENDS = ("local", "dask")


def make_backend(backend: str = "local", workers: int | None = None,
                 scheduler: str | None = None) -> Backend:
    workers = workers or os.cpu_count() or 1
    if backend == "dask":
        return DaskBackend(scheduler, workers)
    if backend != "local":
        raise DrsimError(f"unknown backend '{backend}'; use one of {', '.join(BACKENDS)}")
    return SerialBackend() if workers == 1 else PoolBackend(workers)


_ACTIVE: contextvars.ContextVar[WorkerPool | None] = contextvars.ContextVar("drsim_pool",
                                                                            default=None)


class WorkerPool:
    """The workers of one command: a backend started on first use, reused by every
    run_trials call made while it is open (`with WorkerPool(...)`, or passed as `pool=`),
    and closed when the block ends — aborted (workers killed, nothing left behind) when it
    ends by an exception, Ctrl-C or SIGTERM included. A run_trials call with other settings
    (another worker count or backend) than the open pool's starts its own."""

    def __init__(self, workers: int | None = None, backend: str = "local",
                 scheduler: str | None = None) -> None:
        if backend not in BACKENDS:
            raise DrsimError(f"unknown backend '{backend}'; use one of {', '.join(BACKENDS)}")
        self.settings = (workers or os.cpu_count() or 1, backend, scheduler)
        self.asked = workers  # as given (None: all cores)
        self._backend: Backend | None = None
        self._token: contextvars.Token[WorkerPool | None] | None = None

    @classmethod
    def shared(cls, workers: int | None = None, backend: str = "local",
               scheduler: str | None = None) -> WorkerPool:
        """The open pool if it has these settings, else a new one (to open with `with`:
        entering an already open pool does nothing, and neither does leaving it)."""
        pool = active_pool(workers, backend, scheduler)
        return pool if pool is not None else cls(workers, backend, scheduler)

    def backend(self) -> Backend:
        if self._backend is None:
            _, backend, scheduler = self.settings
            self._backend = make_backend(backend, self.asked, scheduler)
        return self._backend

    @property
    def starts(self) -> int:
        """Pools of processes (or Dask clients) started so far: 1 for a command whose
        workers all lived, 0 for one that ran in this process."""
        return int(getattr(self._backend, "starts", 0))

    def close(self, abort: bool = False) -> None:
        if self._backend is not None:
            self._backend.close(abort=abort)

    def __enter__(self) -> WorkerPool:
        if _ACTIVE.get() is not self:
            self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._token is None:  # entered while already open: its owner closes it
            return
        _ACTIVE.reset(self._token)
        self._token = None
        self.close(abort=kind is not None)


def active_pool(workers: int | None = None, backend: str = "local",
                scheduler: str | None = None) -> WorkerPool | None:
    """The open WorkerPool, if its settings are these."""
    pool = _ACTIVE.get()
    if pool is not None and pool.settings == (workers or os.cpu_count() or 1, backend,
                                              scheduler):
        return pool
    return None


def default_batch_size(trials: int, workers: int) -> int:
    """About eight batches per worker, within [1, 250] trials a batch."""
    return max(1, min(250, math.ceil(trials / (8 * max(1, workers)))))


def batches_of(indices: Sequence[int], size: int) -> list[list[int]]:
    return [list(indices[i:i + size]) for i in range(0, len(indices), size)]


WINDOW = 1 << 16  # trials handed to the backend at a time (batches listed, rows awaited)


def windows(part: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    """The trials of a run a whole number of batches at a time, about WINDOW trials each, so
    the bookkeeping of batches in flight never grows with the number of trials (a range
    stays a range: nothing is listed for trials not yet run)."""
    step = max(1, WINDOW // size) * size
    for i in range(0, len(part), step):
        yield part[i:i + step]


def rounds(todo: Sequence[int], first: int = 200) -> Iterator[Sequence[int]]:
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
               previous: pd.DataFrame | None = None,
               on_batch: Callable[[list[Row]], None] | None = None,
               note: Callable[[str], None] | None = None, pool: WorkerPool | None = None,
               rows_to: Path | None = None) -> Trials:
    """Run trials 0..trials-1 (those not already in `previous`) and collect their rows.

    `until=(metric, 0.02)` stops at the end of the first round whose 95% CI half-width of the
    metric's mean is within 2% of the mean (trials is then the cap). Ctrl-C or SIGTERM stop
    the run and return every finished trial, marked incomplete; so does a batch whose worker
    died MAX_BATCH_ATTEMPTS times (`lost` says which and how). `on_batch` gets the rows of
    each batch once all of them are in (in trial order); `note` is told of each worker death
    that is survived by running its batch again.

    The workers are `pool`'s, or the open WorkerPool's when it has these settings, else
    started for this call alone. With `rows_to`, the rows are written to that Parquet file
    (a row group every CHUNK trials, in trial order) instead of being kept:
    the Trials' frame is then empty, and its summary() is read from the file.
    """
    seed = scenario.simulation.seed if seed is None else seed
    if until is not None:
        try:
            until = (resolve_metric(pd.DataFrame(columns=columns(scenario)), until[0]),
                     until[1])
        except ValueError as e:
            raise DrsimError(f"--until: {e}") from None
    job = Job(scenario, seed)
    shared = pool or active_pool(workers, backend, scheduler)
    if shared is not None:  # the command's: it closes it
        return _run(shared, job, trials, batch_size, until, progress, previous, on_batch, note,
                    rows_to)
    with WorkerPool(workers, backend, scheduler) as own:
        return _run(own, job, trials, batch_size, until, progress, previous, on_batch, note,
                    rows_to)


def _run(pool: WorkerPool, job: Job, trials: int, batch_size: int | None,
         until: tuple[str, float] | None, progress: Progress | None,
         previous: pd.DataFrame | None, on_batch: Callable[[list[Row]], None] | None,
         note: Callable[[str], None] | None, rows_to: Path | None) -> Trials:
    scenario = job.scenario
    done_ids = set() if previous is None else {int(t) for t in previous["trial"]}
    todo: Sequence[int] = range(trials) if not done_ids else [
        i for i in range(trials) if i not in done_ids]
    engine = pool.backend()
    if isinstance(engine, PoolBackend):
        engine.note = note
    nworkers = pool.settings[0]
    rows = Rows(columns(scenario), rows_to, ("error", until[0]) if until else ())
    if previous is not None:
        rows.extend(previous)
    result = Trials(scenario, job.seed, pd.DataFrame(columns=columns(scenario)), trials,
                    rows_file=rows_to)
    try:
        for part in (rounds(todo) if until else [todo]):
            size = batch_size or default_batch_size(len(part), nworkers)
            for window in windows(part, size):
                batches = batches_of(window, size)
                finished = gather_batches(batches, on_batch)
                for chunk in engine.run(job, batches):
                    before = len(rows)
                    rows.add(chunk)
                    finished(chunk)
                    if progress:  # once per trial, whatever the size of the group
                        for done in range(before + 1, len(rows) + 1):
                            progress(done, trials, rows)
            watched = rows.watched() if until else None
            # more trials cannot help a metric no trial gives (or all give as 0): say so
            if until and watched is not None and len(rows) < trials and \
                    (never := unreachable(watched, until[0])):
                raise DrsimError(f"--until {until[0]}: {never}")
            if until and watched is not None and relative_half_width(watched, until[0]) <= until[1]:
                result.stopped_by = f"{until[0]} within ±{until[1]:.1%} after {len(rows)} trials"
                break
    except (KeyboardInterrupt, Terminated) as stop:
        pool.close(abort=True)
        result.interrupted = 143 if isinstance(stop, Terminated) else 130
    except WorkerLost as e:
        pool.close(abort=True)
        result.lost = str(e)
    except BaseException:  # a journal that cannot be written, a bug: no worker left behind
        pool.close(abort=True)
        rows.abandon()  # that error is the one to tell, not the rows file's
        raise
    rows.close()
    result.count = len(rows)
    result.types, result.failures = rows.types(), rows.failed
    if rows_to is None:
        result.frame = rows.frame()
    result.complete = not result.interrupted and not result.lost and not result.failed and (
        result.done == trials or bool(result.stopped_by))
    return result


def unreachable(frame: pd.DataFrame, metric: str) -> str:
    """Why no number of trials can bring `metric` within a relative precision, judged on the
    trials so far ('' when it can): none gave it a value, or every one gave 0 (a precision
    relative to 0 is undefined)."""
    values = pd.to_numeric(completed(frame)[metric], errors="coerce").dropna()
    n = len(completed(frame))
    if n and values.empty:
        return (f"none of the first {n:,} trials gave it a value (it did not apply in any), so "
                "its precision can never be reached; watch a metric every trial has (e.g. "
                "rto_full or customer_minutes_lost), or run a fixed --trials N")
    if len(values) == n and n >= 2 and (values == 0).all():
        return (f"every one of the first {n:,} trials gave 0, so a precision relative to its "
                "mean is undefined; watch another metric, or run a fixed --trials N")
    return ""


def gather_batches(batches: list[list[int]],
                   on_batch: Callable[[list[Row]], None] | None) -> Callable[[Chunk], None]:
    """A function to call with each group of rows received (all of one batch): once every
    row of a batch is in, whatever order they came in, it calls on_batch with them (as
    dicts) in trial order."""
    if on_batch is None:
        return lambda chunk: None
    batch_of = {i: k for k, b in enumerate(batches) for i in b}
    got: dict[int, list[Row]] = {}

    def finished(chunk: Chunk) -> None:
        rows = chunk.rows()
        k = batch_of[int(rows[0]["trial"])]
        got.setdefault(k, []).extend(rows)
        if len(got[k]) == len(batches[k]):
            on_batch(sorted(got.pop(k), key=lambda r: int(r["trial"])))

    return finished
