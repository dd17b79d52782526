"""Coalesce the store lookups of one event-loop turn into one store call.

Many callers in flight (the importer's messages, the requests a server is answering)
each ask a store for a few keys at a time. Those asked for in the same turn go to the
store together: one reader-thread hop for many callers instead of one each, the hop
costing more than a lookup by key. A lookup is sent after it was asked for, so it sees
every write committed before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalesced(Generic[K, V]):
    """``get_many`` calls of one event-loop turn share one call of ``fetch``."""

    def __init__(
        self, fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]], limit: int = 2_000
    ) -> None:
        self.fetch = fetch
        self.limit = limit  # keys per store call
        self._pending: list[tuple[Sequence[K], asyncio.Future[dict[K, V]]]] = []
        self._serving: set[asyncio.Task[None]] = set()  # held until done (asyncio keeps weak refs)

    async def get_many(self, keys: Sequence[K]) -> dict[K, V]:
        """What ``fetch`` answers for ``keys``, in the order asked."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[K, V]] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((keys, future))
        return await future

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        batch: list[tuple[Sequence[K], asyncio.Future[dict[K, V]]]] = []
        size = 0
        for keys, future in pending:
            if batch and size + len(keys) > self.limit:
                self._start(batch)
                batch, size = [], 0
            batch.append((keys, future))
            size += len(keys)
        if batch:
            self._start(batch)

    def _start(self, batch: list[tuple[Sequence[K], asyncio.Future[dict[K, V]]]]) -> None:
        task = asyncio.ensure_future(self._serve(batch))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _serve(self, batch: list[tuple[Sequence[K], asyncio.Future[dict[K, V]]]]) -> None:
        wanted = list(dict.fromkeys(key for keys, _ in batch for key in keys))
        try:
            found = await self.fetch(wanted)
        except Exception as exc:  # every caller gets the store's error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for keys, future in batch:
            if not future.done():  # the caller may have been cancelled
                future.set_result({key: found[key] for key in keys})
