"""How many current resources of each type the MongoDB store holds, kept with the writes.

As SQLite's ``type_count`` (server.storage.sqlite.type_counts): counting a type's
documents walks its part of an index, so a count (``_summary=count``, the console's
home) grew with the store. ``type_counts`` holds counter documents moved by ``$inc``
in the write's own transaction, so a refused or retried write moves nothing. A type's
counters are spread over a few documents, each write moving one of them, so that
concurrent writers of one type seldom touch the same document (a write conflict
starts a transaction over). A type's count is the sum of its counters.

A ``filled`` marker says the counters cover the data. Without it (a database written
before the counters, the collection dropped) they are refilled from the data, in one
transaction: a write committed meanwhile either is in its snapshot and its counter
moved before the refill's delete, or conflicts with the refill, or moves a counter
the refill did not see and is not in its snapshot; each way it is counted once.
mongomock (``memory://``) has no transactions: there a write moves its counter right
after its document, and a refill is not atomic.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from server.storage.mongo.client import MongoConnection, aggregate

T = TypeVar("T")

COLLECTION: Final = "type_counts"
_FILLED: Final = "filled"
_SPREAD: Final = 8  # counter documents per type
_EXPUNGE_BATCH: Final = 1000
_turns = itertools.count()


async def in_transaction(conn: MongoConnection, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(session)`` in one transaction, retried on conflicts (no session on mock)."""
    if not conn.transactions:
        return await work(None)
    async with conn.client.start_session() as session:
        result: T = await session.with_transaction(work)
        return result


def change_of(deleted: bool, was_deleted: bool | None) -> int:
    """How a write moves its type's count; ``was_deleted`` None: there was no document."""
    return int(not deleted) - int(was_deleted is False)


async def move(counters: Any, changes: dict[str, int], session: Any) -> None:
    """Add ``changes`` (by type) to one counter document of each type."""
    slot = next(_turns) % _SPREAD
    for resource_type, change in changes.items():
        if change:
            await counters.update_one(
                {"_id": f"{resource_type}#{slot}"},
                {"$inc": {"live": change}, "$setOnInsert": {"type": resource_type}},
                upsert=True,
                session=session,
            )


class Tally:
    """The count changes of one write attempt: moved with each document without a
    transaction, at the end of the write (``flush``) inside one."""

    def __init__(self, counters: Any, session: Any) -> None:
        self.counters = counters
        self.session = session
        self.changes: dict[str, int] = {}

    async def add(self, resource_type: str, change: int) -> None:
        if self.session is None:
            await move(self.counters, {resource_type: change}, None)
        else:
            self.changes[resource_type] = self.changes.get(resource_type, 0) + change

    async def flush(self) -> None:
        await move(self.counters, self.changes, self.session)
        self.changes = {}


async def live_count(counters: Any, resource_type: str) -> int | None:
    """A type's count, or None when the counters are not filled."""
    filled = False
    live = 0
    async for doc in counters.find({"$or": [{"_id": _FILLED}, {"type": resource_type}]}):
        if doc["_id"] == _FILLED:
            filled = True
        else:
            live += int(doc.get("live", 0))
    return live if filled else None


async def filled(counters: Any) -> bool:
    """Whether the counters cover the data."""
    return await counters.find_one({"_id": _FILLED}) is not None


async def refill(conn: MongoConnection, sources: tuple[Any, ...]) -> None:
    """Count the live documents of ``sources`` by type into fresh counters."""
    counters = conn.database[COLLECTION]
    pipeline: list[dict[str, Any]] = [
        {"$match": {"deleted": False}},
        {"$group": {"_id": "$type", "n": {"$sum": 1}}},
    ]

    async def fill(session: Any) -> None:
        await counters.delete_many({}, session=session)
        found: dict[str, int] = {}
        for source in sources:
            for doc in await aggregate(source, pipeline, session):
                found[doc["_id"]] = found.get(doc["_id"], 0) + int(doc["n"])
        docs: list[dict[str, Any]] = [
            {"_id": f"{name}#0", "type": name, "live": n} for name, n in found.items()
        ]
        await counters.insert_many([*docs, {"_id": _FILLED}], session=session)

    await in_transaction(conn, fill)


async def expunge(
    conn: MongoConnection, collection: Any, where: dict[str, Any], resource_type: str
) -> int:
    """Delete the documents of ``collection`` matching ``where``; return how many.

    The live ones go a batch per transaction, each with its count change, so no
    transaction grows with the purge.
    """
    counters = conn.database[COLLECTION]
    live = {**where, "deleted": False}
    removed = 0
    while True:
        found = await collection.find(live, {"_id": 1}).limit(_EXPUNGE_BATCH).to_list(None)
        if not found:
            break
        keys = [doc["_id"] for doc in found]

        async def batch(session: Any, keys: list[Any] = keys) -> int:
            result = await collection.delete_many({**live, "_id": {"$in": keys}}, session=session)
            await move(counters, {resource_type: -int(result.deleted_count)}, session)
            return int(result.deleted_count)

        removed += await in_transaction(conn, batch)
    gone = await collection.delete_many({**where, "deleted": True})
    return removed + int(gone.deleted_count)
