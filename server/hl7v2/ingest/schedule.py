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

from mappers.result import Action
from server.hl7v2.ingest.model import Prepared

T = TypeVar("T")

_DIRECTORY = frozenset({"Organization", "Practitioner", "Location"})


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


class MessageKeys:
    """What a message touches: its ledger key and its resources (merged patients too).

    Remembers the merges it has seen, so that a later message about a retired patient,
    which the pipeline redirects to the survivor, is also ordered with the survivor's
    own messages: otherwise two messages about one survivor could be applied out of
    arrival order.
    """

    def __init__(self) -> None:
        self._survivor: dict[str, str] = {}

    def __call__(self, prepared: Prepared) -> set[Hashable]:
        header = prepared.header
        keys: set[Hashable] = {("ledger", header.sender, header.control_id)}
        result = prepared.result
        if result is None:
            return keys
        # Directory entries a message only creates if absent (a payer, a practitioner, a
        # location) are in nearly every message and never overwritten: ordering on them
        # would serialize everything, and a race to create one is settled by
        # compare-and-swap and a retry. A create-only Patient (from SIU or DFT) is keyed:
        # whether it lands before or after its ADT registration decides its versions.
        keys.update(
            (m.resource["resourceType"], m.resource["id"])
            for m in result.resources
            if not (m.action is Action.CREATE_ONLY and m.resource["resourceType"] in _DIRECTORY)
        )
        for survivor, retired in result.merges:
            keys.update({("Patient", survivor), ("Patient", retired)})
            if survivor != retired:
                self._survivor[retired] = survivor
        for key in list(keys):
            keys.update(("Patient", p) for p in self._survivors_of(key))
        return keys

    def _survivors_of(self, key: Hashable) -> list[str]:
        if not (isinstance(key, tuple) and key[0] == "Patient"):
            return []
        found: list[str] = []
        current = key[1]
        while current in self._survivor and len(found) <= len(self._survivor):
            current = self._survivor[current]
            found.append(current)
        return found
