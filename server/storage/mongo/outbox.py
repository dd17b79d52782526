"""The outbound HL7v2 feed's outbox in MongoDB: the ``hl7_outbox`` collection.

A document per entry, ``_id`` the entry id, so a destination's pending entries come in
id order from the ``(destination, status, _id)`` index.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from server.storage.mongo.client import aggregate
from server.storage.outbox_codec import outbox_document, outbox_entry, requeued
from server.storage.port import OutboxEntry, OutboxQuery, outbox_time_key

COLLECTION = "hl7_outbox"
# Who delivers each destination's entries, until when (server.hl7v2.outbound.delivery):
# a document per destination, ``_id`` its name.
LEASES = "hl7_outbox_lease"
INDEXES = [
    ([("destination", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)], False),
    ([("status", ASCENDING), ("_id", ASCENDING)], False),
]


async def outbox_insert(outbox: Any, entries: Sequence[OutboxEntry], session: Any) -> None:
    """Insert new entries (in the write's transaction when there is one)."""
    if entries:
        await outbox.insert_many(
            [{"_id": entry.id, **outbox_document(entry)} for entry in entries], session=session
        )


async def outbox_replace(outbox: Any, entries: Sequence[OutboxEntry]) -> None:
    """Replace stored entries with their new delivery state, concurrently (mongomock has
    no ``bulk_write`` of replacements with the driver's current signature)."""
    await asyncio.gather(
        *(outbox.replace_one({"_id": entry.id}, outbox_document(entry)) for entry in entries)
    )


async def outbox_due(outbox: Any, destination: str, limit: int) -> list[OutboxEntry]:
    """A destination's first pending entries in id order."""
    found = outbox.find({"destination": destination, "status": "pending"})
    docs = await found.sort("_id", ASCENDING).limit(limit).to_list(length=None)
    return [outbox_entry(doc) for doc in docs]


async def outbox_list(outbox: Any, query: OutboxQuery) -> list[OutboxEntry]:
    """Entries of a status and destination (None: any) after ``query.after``, in id order."""
    where: dict[str, Any] = {"_id": {"$gt": query.after or ""}}
    if query.status is not None:
        where["status"] = query.status
    if query.destination is not None:
        where["destination"] = query.destination
    found = outbox.find(where).sort("_id", ASCENDING).limit(query.count)
    return [outbox_entry(doc) for doc in await found.to_list(length=None)]


async def outbox_purge(outbox: Any, before: int) -> int:
    """Remove the sent entries made before ``before``; return how many."""
    removed = await outbox.delete_many({"status": "sent", "_id": {"$lt": outbox_time_key(before)}})
    return int(removed.deleted_count)


async def outbox_depth(outbox: Any) -> dict[tuple[str, str], int]:
    """Pending and failed entries by (destination, status)."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"status": {"$in": ["pending", "failed"]}}},
        {"$group": {"_id": {"d": "$destination", "s": "$status"}, "n": {"$sum": 1}}},
    ]
    grouped = await aggregate(outbox, pipeline)
    return {(doc["_id"]["d"], doc["_id"]["s"]): int(doc["n"]) for doc in grouped}


async def outbox_requeue(outbox: Any, ids: Sequence[str]) -> list[OutboxEntry]:
    """Make the failed entries among ``ids`` pending again, each replaced only while it is
    still failed (one document's replacement is atomic); return them in id order."""
    found = outbox.find({"_id": {"$in": list(dict.fromkeys(ids))}, "status": "failed"})
    entries = [requeued(outbox_entry(doc)) for doc in await found.to_list(length=None)]
    replaced = await asyncio.gather(
        *(
            outbox.replace_one({"_id": entry.id, "status": "failed"}, outbox_document(entry))
            for entry in entries
        )
    )
    changed = [e for e, result in zip(entries, replaced, strict=True) if result.modified_count]
    return sorted(changed, key=lambda entry: entry.id)


async def outbox_lease(leases: Any, destination: str, owner: str, until: int, now: int) -> bool:
    """Take or renew a destination's delivery lease: one document's update is atomic, and
    an upsert that finds another owner's live lease collides with its ``_id``."""
    free = [{"until": {"$lte": now}}, {"owner": owner}]
    try:
        await leases.update_one(
            {"_id": destination, "$or": free},
            {"$set": {"owner": owner, "until": until}},
            upsert=True,
        )
    except DuplicateKeyError:
        return False
    return True


async def outbox_release(leases: Any, destination: str, owner: str) -> None:
    """Give a destination's delivery lease back, if ``owner`` holds it."""
    await leases.update_one({"_id": destination, "owner": owner}, {"$set": {"until": 0}})
