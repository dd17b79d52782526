"""Coalesce the store reads of messages planned at the same time into one round trip.

The importer keeps many messages in flight; each plan reads its resources with one
``read_many``. Those asked for in the same turn of the event loop go to the store
together (server.storage.coalesce), and so do the messages' ledger lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from server.storage.coalesce import Coalesced
from server.storage.port import LedgerEntry, StoredVersion

Key = tuple[str, str]
Found = dict[Key, StoredVersion | None]


class Reader(Protocol):
    """What planning reads from a store."""

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None: ...

    async def read_many(self, keys: Sequence[Key]) -> Found: ...


class LedgerReader(Protocol):
    """What the ledger check of a message reads from a store."""

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None: ...

    async def ledger_get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LedgerEntry | None]: ...


class BatchedReader:
    """A Reader whose ``read_many`` calls of one event-loop turn share one store call."""

    def __init__(self, store: Reader, limit: int = 2_000) -> None:
        self.store = store
        self._reads: Coalesced[Key, StoredVersion | None] = Coalesced(store.read_many, limit)

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        return (await self.read_many([(resource_type, resource_id)]))[(resource_type, resource_id)]

    async def read_many(self, keys: Sequence[Key]) -> Found:
        return await self._reads.get_many(keys)


class BatchedLedger:
    """A LedgerReader whose lookups of one event-loop turn share one ``ledger_get_many``."""

    def __init__(self, store: LedgerReader) -> None:
        self._entries: Coalesced[tuple[str, str], LedgerEntry | None] = Coalesced(
            store.ledger_get_many
        )

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None:
        key = (sender, control_id)
        return (await self._entries.get_many([key]))[key]

    async def ledger_get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LedgerEntry | None]:
        return await self._entries.get_many(keys)
