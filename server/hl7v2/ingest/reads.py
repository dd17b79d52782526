"""Coalesce the store reads of messages planned at the same time into one round trip.

The importer keeps many messages in flight; each plan reads its resources with one
``read_many``. Those asked for in the same turn of the event loop go to the store
together: one reader-thread hop (one query) for many messages instead of one each.
A read is sent after it was asked for, so it sees every write committed before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from server.storage.port import StoredVersion

Key = tuple[str, str]
Found = dict[Key, StoredVersion | None]


class Reader(Protocol):
    """What planning reads from a store."""

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None: ...

    async def read_many(self, keys: Sequence[Key]) -> Found: ...


class BatchedReader:
    """A Reader whose ``read_many`` calls of one event-loop turn share one store call."""

    def __init__(self, store: Reader, limit: int = 2_000) -> None:
        self.store = store
        self.limit = limit  # keys per store call
        self._pending: list[tuple[Sequence[Key], asyncio.Future[Found]]] = []
        self._serving: set[asyncio.Task[None]] = set()  # held until done (asyncio keeps weak refs)

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        return (await self.read_many([(resource_type, resource_id)]))[(resource_type, resource_id)]

    async def read_many(self, keys: Sequence[Key]) -> Found:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Found] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((keys, future))
        return await future

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        batch: list[tuple[Sequence[Key], asyncio.Future[Found]]] = []
        size = 0
        for keys, future in pending:
            if batch and size + len(keys) > self.limit:
                self._start(batch)
                batch, size = [], 0
            batch.append((keys, future))
            size += len(keys)
        if batch:
            self._start(batch)

    def _start(self, batch: list[tuple[Sequence[Key], asyncio.Future[Found]]]) -> None:
        task = asyncio.ensure_future(self._serve(batch))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _serve(self, batch: list[tuple[Sequence[Key], asyncio.Future[Found]]]) -> None:
        wanted = list(dict.fromkeys(key for keys, _ in batch for key in keys))
        try:
            found = await self.store.read_many(wanted)
        except Exception as exc:  # every caller gets the store's error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for keys, future in batch:
            if not future.done():  # the caller may have been cancelled
                future.set_result({key: found[key] for key in keys})
