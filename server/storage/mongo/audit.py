"""AuditEvents on MongoDB: the ``audit_events`` collection (server.storage.audit_rows).

A document per event, shaped as a resource document (``_id`` ``AuditEvent/id``, the
bytes, the version and the ``idx`` arrays, so the resource search compiles over it
unchanged), but in a collection of its own with the few multikey indexes AuditEvent's
narrow search needs, and no history entries: an event keeps its current version only
(events are written once; the API refuses to change them). A database written before
this collection existed has its events moved here on open.
"""

from __future__ import annotations

from typing import Any, Final

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from server.storage.audit_rows import AUDIT_TYPE
from server.storage.cursor import decode_cursor, encode_cursor
from server.storage.port import HistoryQuery

COLLECTION: Final = "audit_events"
INDEXES: Final[list[tuple[list[tuple[str, int]], bool]]] = [
    ([(field, ASCENDING) for field in fields] + [("_id", ASCENDING)], False)
    for fields in (
        ("idx.r.p", "idx.r.i"),
        ("idx.t.p", "idx.t.c"),
        ("idx.s.p", "idx.s.f"),
        ("idx.d.p", "idx.d.l"),
        ("idx.o.date",),
        ("updated",),
    )
]
_MOVE_BATCH: Final = 1000
_DUPLICATE_KEY: Final = 11000


def event_key(event_id: str) -> str:
    """The ``_id`` of an event's document (as a resource document's)."""
    return f"{AUDIT_TYPE}/{event_id}"


async def event_history(
    events: Any, query: HistoryQuery
) -> tuple[list[dict[str, Any]], str | None]:
    """The documents of AuditEvent history, newest first, and the next page's cursor."""
    where: dict[str, Any] = {}
    if query.resource_id is not None:
        where["_id"] = event_key(query.resource_id)
    if query.since is not None:
        where["updated"] = {"$gte": query.since}
    if query.cursor:
        position = decode_cursor(query.cursor, {"u": int, "o": str})
        where["$or"] = [
            {"updated": {"$lt": position["u"]}},
            {"updated": position["u"], "_id": {"$lt": position["o"]}},
        ]
    docs = (
        await events.find(where)
        .sort([("updated", DESCENDING), ("_id", DESCENDING)])
        .limit(query.count + 1)
        .to_list(length=None)
    )
    more = len(docs) > query.count
    docs = docs[: query.count]
    cursor = (
        encode_cursor({"u": docs[-1]["updated"], "o": docs[-1]["_id"]}) if more and docs else None
    )
    return docs, cursor


async def move_events(resources: Any, history: Any, events: Any) -> int:
    """Move the AuditEvents an older database kept as resources here; return how many."""
    moved = 0
    while True:
        docs = await resources.find({"type": AUDIT_TYPE}).limit(_MOVE_BATCH).to_list(length=None)
        if not docs:
            return moved
        try:
            await events.insert_many(docs, ordered=False)
        except BulkWriteError as error:  # moved by another process starting meanwhile
            if any(e.get("code") != _DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
        keys = [doc["_id"] for doc in docs]
        await resources.delete_many({"_id": {"$in": keys}})
        await history.delete_many({"type": AUDIT_TYPE, "id": {"$in": [d["id"] for d in docs]}})
        moved += len(docs)
