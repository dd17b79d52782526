"""Start-up of an import worker process, its priority, and its end with the importer.

The workers come from a forkserver, so they are not the importing process's children
and the operating system does not end them with it: an import killed part-way (the
case a resumable import exists for) would leave them and the forkserver blocked on
their queue forever. Each worker watches the importer and exits once it is gone.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from server.gc_settle import settle

_WATCH_EVERY = 1.0  # seconds
# The import's pace is set by the importing process (its one SQLite writer thread and
# its event loop), not by the workers, which idle more than half the time: a worker
# that shares a core with them gives way (bench/hl7_ingest; bench/RESULTS.md).
_NICENESS = 10


def start_worker(importer_pid: int, bulk_import: bool = True) -> None:
    """The pool's initializer: settle the FHIR models, give way, watch the importer.

    Not for a ``bulk_import`` (a verification's workers, which map and validate
    nothing, and do most of its work): no models loaded, the priority kept.
    """
    if bulk_import:
        settle()
        os.nice(_NICENESS)
    watch = threading.Thread(
        target=_exit_without, args=(importer_pid,), name="importer-watch", daemon=True
    )
    watch.start()


@contextmanager
def spawning(executor: Executor | None, workers: int) -> Iterator[None]:
    """Start the pool's ``workers`` processes from another thread while the block runs.

    A process pool starts a process when a task is submitted, and the submitting thread
    waits meanwhile: the first time, until the forkserver has started and imported the
    main module. Submitted from here, that wait, the workers' own start (``start_worker``)
    and the block (the importing process opening its store, importing the server) overlap.
    """
    if executor is None:
        yield
        return
    thread = threading.Thread(
        target=_spawn, args=(executor, workers), name="worker-spawn", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _spawn(executor: Executor, workers: int) -> None:
    # A task each; the pool starts a process for a task while none is idle.
    try:
        for _ in range(workers):
            executor.submit(os.getpid)
    except Exception:  # noqa: S110 - the import's own first task meets the same error
        pass


def _exit_without(importer_pid: int) -> None:
    while alive(importer_pid):
        time.sleep(_WATCH_EVERY)
    os._exit(1)  # nothing to flush: results only ever go to the importer


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:  # no /proc: kill(0) is all there is to go by
        return True
