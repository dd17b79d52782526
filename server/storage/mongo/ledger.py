"""The HL7v2 message ledger in MongoDB: one document per (sender, control id).

The key is a compound ``_id`` (``{"s": sender, "c": control_id}``), not the two
joined with a separator: MSH-3/MSH-4 are joined with the message's own field
separator, which need not be ``|``, so any joined form could make two messages one.

An entry is inserted if absent, and replaced only while its outcome was a refusal:
a message that one process applied is never overwritten by another process that
raced it (the per-process lock cannot see across processes).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from server.storage.ledger_codec import details_json, entry_from
from server.storage.mongo.client import aggregate
from server.storage.mongo.limits import check_document
from server.storage.port import ACCEPTED_OUTCOMES, LedgerEntry, LedgerTaken

DAY_MICROSECONDS = 86_400_000_000
# The day-by-day counts read a window of received times.
INDEXES = [([("received", ASCENDING)], False)]


def ledger_key(sender: str, control_id: str) -> dict[str, str]:
    """The ``_id`` of a message's entry."""
    return {"s": sender, "c": control_id}


def ledger_document(entry: LedgerEntry) -> dict[str, Any]:
    """The entry as stored (DocumentTooLarge if its raw message makes it too large)."""
    document = {
        "_id": ledger_key(entry.sender, entry.control_id),
        "sender": entry.sender,
        "control_id": entry.control_id,
        "received": entry.received,
        "message_type": entry.message_type,
        "event_time": entry.event_time,
        "outcome": entry.outcome,
        "raw": entry.raw,
        "details": details_json(entry),
    }
    check_document(document, "The HL7v2 message's ledger entry", len(entry.raw))
    return document


async def ledger_put(ledger: Any, document: dict[str, Any], session: Any) -> None:
    """Record an entry unless an accepted one is there (LedgerTaken)."""
    key = document["_id"]
    try:
        # An accepted entry does not match, so the upsert inserts and collides on _id.
        await ledger.replace_one(
            {"_id": key, "outcome": {"$nin": sorted(ACCEPTED_OUTCOMES)}},
            {k: v for k, v in document.items() if k != "_id"},
            upsert=True,
            session=session,
        )
    except DuplicateKeyError:
        raise LedgerTaken(key["s"], key["c"]) from None


async def ledger_get(ledger: Any, sender: str, control_id: str) -> LedgerEntry | None:
    """The entry of a message, or None."""
    doc = await ledger.find_one({"_id": ledger_key(sender, control_id)})
    return None if doc is None else entry_from(doc, bytes(doc["details"]))


async def ledger_get_many(
    ledger: Any, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], LedgerEntry | None]:
    """The entry of each key (None when absent), in the order asked: one query."""
    found: dict[tuple[str, str], LedgerEntry | None] = dict.fromkeys(keys)
    ids = [ledger_key(sender, control_id) for sender, control_id in keys]
    async for doc in ledger.find({"_id": {"$in": ids}}):
        found[(doc["sender"], doc["control_id"])] = entry_from(doc, bytes(doc["details"]))
    return found


async def ledger_counts(ledger: Any, since: int) -> list[tuple[int, str, int]]:
    """Messages received since ``since`` per UTC day and outcome: one aggregation."""
    day = {"$subtract": ["$received", {"$mod": ["$received", DAY_MICROSECONDS]}]}
    pipeline: list[dict[str, Any]] = [
        {"$match": {"received": {"$gte": since}}},
        {"$group": {"_id": {"day": day, "outcome": "$outcome"}, "n": {"$sum": 1}}},
    ]
    rows = [
        (int(doc["_id"]["day"]), str(doc["_id"]["outcome"]), int(doc["n"]))
        for doc in await aggregate(ledger, pipeline)
    ]
    return sorted(rows)
