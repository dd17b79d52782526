"""Run SQLite work off the event loop: one writer thread with group commit, a reader pool.

The writer drains whatever jobs are queued, runs them in one transaction, commits
them with one fsync, then resolves their futures. A failing job fails alone: the
batch then runs again with a SAVEPOINT per job (``WriterThread._run_together``). This keeps
``synchronous=FULL`` durability (nothing is acknowledged before it is on disk)
without paying one fsync per request under concurrency.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

_MAX_BATCH = 512


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


_Outcomes = list[tuple[Any, BaseException | None]]

_STOP = object()
# Upper bounds (seconds) of the commit-time histogram /metrics reports: an fsync is
# about a millisecond on a local disk, far more on a network volume.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


@dataclass(slots=True)
class CommitStats:
    """The writer's group commits so far: how many, how long each took, how many jobs.

    Written by the writer thread only; a reader may see one commit half-counted.
    """

    commits: int = 0
    jobs: int = 0
    seconds: float = 0.0
    # counts[i]: commits that took at most COMMIT_BUCKETS[i] (not cumulative); last: more
    counts: list[int] = field(default_factory=lambda: [0] * (len(COMMIT_BUCKETS) + 1))

    def add(self, seconds: float, jobs: int) -> None:
        self.commits += 1
        self.jobs += jobs
        self.seconds += seconds
        self.counts[bisect.bisect_left(COMMIT_BUCKETS, seconds)] += 1


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting request was cancelled; the write still happened
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _resolve_all(resolved: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in resolved:
        _resolve(future, result, error)


class WriterThread:
    """A single thread that owns the write connection and commits in groups."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        on_rollback: Callable[[], None] = lambda: None,
    ) -> None:
        self._connect = connect
        self._on_rollback = on_rollback
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.stats = CommitStats()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    async def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the next group transaction and return once it is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, future, loop))
        return await future

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start()
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch: list[_Job] = [first]
                stop_after = False
                while len(batch) < _MAX_BATCH:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        stop_after = True
                        break
                    batch.append(job)
                self._commit(conn, batch)
                if stop_after:
                    return
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            outcomes = self._run_together(conn, batch)
            if outcomes is None:
                outcomes = self._run_apart(conn, batch)
            conn.execute("COMMIT")
            self.stats.add(time.perf_counter() - started, len(batch))
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            self._on_rollback()
            outcomes = [(None, exc)] * len(batch)
        # One hand-off to each event loop for the whole batch: each wakes the loop through
        # a socket, and the send lets go of the GIL and waits to take it back.
        resolved: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for job, (result, error) in zip(batch, outcomes, strict=True):
            resolved.setdefault(job.loop, []).append((job.future, result, error))
        for loop, futures in resolved.items():
            loop.call_soon_threadsafe(_resolve_all, futures)

    def _run_together(self, conn: sqlite3.Connection, batch: list[_Job]) -> _Outcomes | None:
        """Run the jobs one after the other in one transaction, no savepoints; None (all
        rolled back) when one fails, unless it is the only one.

        A savepoint per job has SQLite copy every page a job changes to the statement
        journal first, which past its small in-memory threshold goes to a file: a write
        per page, most of a small job's cost. Jobs rarely fail, so the batch runs without
        them and only a batch with a failure runs again, job by job (``_run_apart``).
        """
        conn.execute("BEGIN IMMEDIATE")
        outcomes: _Outcomes = []
        for job in batch:
            try:
                outcomes.append((job.fn(conn), None))
            except Exception as exc:
                if conn.in_transaction:
                    conn.rollback()
                self._on_rollback()
                if len(batch) > 1:
                    return None
                conn.execute("BEGIN IMMEDIATE")  # the one job's error, nothing written
                return [(None, exc)]
        return outcomes

    def _run_apart(self, conn: sqlite3.Connection, batch: list[_Job]) -> _Outcomes:
        """Run each job in a savepoint of one transaction: a failing job rolls back alone."""
        conn.execute("BEGIN IMMEDIATE")
        outcomes: _Outcomes = []
        for job in batch:
            conn.execute("SAVEPOINT job")
            try:
                result = job.fn(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                self._on_rollback()
                outcomes.append((None, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((result, None))
        return outcomes


class ReaderPool:
    """Threads with one read-only connection each (WAL lets them read while a write commits).

    A job goes onto one queue the threads share, and its result goes back to its event
    loop in one call: an executor would wrap each job in a second future, chained to the
    loop's through callbacks and locks, which costs as much as a small read itself.
    """

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], size: int, name: str = "sqlite-reader"
    ) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._serve, name=f"{name}_{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only ``fn`` on a pool thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, future, loop))
        return await future

    def _serve(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            if job.future.cancelled():  # its awaiter is gone: nothing to read for
                continue
            try:
                if conn is None:
                    conn = self._open()
                outcome: tuple[Any, BaseException | None] = (job.fn(conn), None)
            except BaseException as exc:  # the awaiter's to handle, as an executor's would be
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: no awaiter
                job.loop.call_soon_threadsafe(_resolve, job.future, *outcome)

    def _open(self) -> sqlite3.Connection:
        conn = self._connect()
        with self._lock:
            self._connections.append(conn)
        return conn

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
