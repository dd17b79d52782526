"""An import's worker processes start from another thread while the importing process
opens its store (``import_worker.spawning``), one task each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from server.hl7v2.ingest.import_worker import spawning


class _Recording(Executor):
    """Records which thread submitted what; runs nothing."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.threads: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("cannot start a process")
        return Future()


def test_each_worker_gets_a_task_from_another_thread() -> None:
    pool = _Recording()

    with spawning(pool, 3):
        pass

    assert len(pool.threads) == 3
    assert threading.current_thread().name not in pool.threads


def test_a_pool_that_cannot_start_is_left_to_the_import() -> None:
    pool = _Recording(fail=True)

    with spawning(pool, 2):
        pass  # nothing raised here: the import's first task meets the error

    assert len(pool.threads) == 1


def test_no_pool_no_thread() -> None:
    before = threading.active_count()

    with spawning(None, 2):
        assert threading.active_count() == before
