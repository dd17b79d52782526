"""Apply many messages concurrently while keeping, per identity, the order they arrived in.

Concurrency is what lets the SQLite writer commit many messages per fsync (group
commit). Two messages that touch the same resource (or repeat the same MSH-10) must
still be applied in arrival order, so each message waits for the messages before it
that share one of its keys; messages about different patients overlap freely.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

from hl7.ingest_model import Prepared
from mappers.result import Action

T = TypeVar("T")


class OrderedScheduler:
    """Runs jobs concurrently (at most ``limit`` at once), in submission order per key."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._last: dict[Hashable, asyncio.Task[object]] = {}

    async def submit(
        self, keys: Iterable[Hashable], job: Callable[[], Awaitable[T]]
    ) -> asyncio.Task[T]:
        """Start ``job`` once a slot is free and every earlier job sharing a key has ended."""
        await self._slots.acquire()
        keys = set(keys)
        before = {self._last[k] for k in keys if k in self._last}

        async def run() -> T:
            try:
                if before:
                    await asyncio.wait(before)
                return await job()
            finally:
                self._slots.release()

        task: asyncio.Task[T] = asyncio.create_task(run())
        for key in keys:
            self._last[key] = task
        task.add_done_callback(lambda done: self._forget(keys, done))
        return task

    def _forget(self, keys: set[Hashable], done: asyncio.Task[T]) -> None:
        for key in keys:
            if self._last.get(key) is done:
                del self._last[key]


def message_keys(prepared: Prepared) -> set[Hashable]:
    """What a message touches: its ledger key and its resources (merged patients too)."""
    header = prepared.header
    keys: set[Hashable] = {("ledger", header.sender, header.control_id)}
    result = prepared.result
    if result is not None:
        # Create-only resources (a payer, a practitioner) are in nearly every message and
        # never overwritten: ordering on them would serialize everything. A race to
        # create one is settled by compare-and-swap and a retry.
        keys.update(
            (m.resource["resourceType"], m.resource["id"])
            for m in result.resources
            if m.action is not Action.CREATE_ONLY
        )
        for survivor, retired in result.merges:
            keys.update({("Patient", survivor), ("Patient", retired)})
    return keys
