"""Every collection and index of the MongoDB store, made in ``open``.

Nothing is created by a first write: a transaction that would have to create a
collection is refused on a sharded cluster (and before MongoDB 4.4 everywhere), and
an index built on a full collection blocks its writers. Creating what exists already
is a no-op, so every process does it at start.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import CollectionInvalid, OperationFailure

from server.storage.mongo.audit import COLLECTION as AUDIT_EVENTS
from server.storage.mongo.audit import INDEXES as AUDIT_EVENT_INDEXES
from server.storage.mongo.holds import COLLECTION as HELD_KEYS
from server.storage.mongo.holds import INDEXES as HELD_KEYS_INDEXES
from server.storage.mongo.index import MONGO_INDEXES
from server.storage.mongo.ledger import INDEXES as LEDGER_INDEXES
from server.storage.mongo.outbox import COLLECTION as OUTBOX
from server.storage.mongo.outbox import INDEXES as OUTBOX_INDEXES
from server.storage.mongo.type_counts import COLLECTION as TYPE_COUNTS

READINESS = "readiness"  # one document, upserted by the readiness probe
COLLECTIONS = (
    "resources",
    "history",
    "hl7_ledger",
    "guards",
    "date_widths",
    OUTBOX,
    HELD_KEYS,
    READINESS,
    AUDIT_EVENTS,
    TYPE_COUNTS,
)

_NAMESPACE_EXISTS = 48  # another process created the collection meanwhile

_INDEXES: dict[str, list[tuple[list[tuple[str, int]], bool]]] = {
    "history": [
        ([("type", ASCENDING), ("id", ASCENDING), ("version", ASCENDING)], True),
        ([("updated", DESCENDING), ("_id", DESCENDING)], False),
        ([("type", ASCENDING), ("updated", DESCENDING), ("_id", DESCENDING)], False),
    ],
    "resources": [(keys, False) for keys in MONGO_INDEXES],
    OUTBOX: OUTBOX_INDEXES,
    HELD_KEYS: HELD_KEYS_INDEXES,
    "hl7_ledger": LEDGER_INDEXES,
    AUDIT_EVENTS: AUDIT_EVENT_INDEXES,
}


async def create_collections(database: Any, names: tuple[str, ...] = COLLECTIONS) -> None:
    """Create each named collection that does not exist yet."""
    existing = set(await database.list_collection_names())
    for name in names:
        if name in existing:
            continue
        try:
            await database.create_collection(name)
        except CollectionInvalid:
            pass
        except OperationFailure as exc:
            if exc.code != _NAMESPACE_EXISTS:
                raise


async def missing_collections(database: Any) -> list[str]:
    """The collections ``open`` makes that this database lacks."""
    existing = set(await database.list_collection_names())
    return [name for name in COLLECTIONS if name not in existing]


async def create_indexes(database: Any) -> None:
    """Create the store's indexes (the guards and widths need only ``_id``)."""
    for collection, indexes in _INDEXES.items():
        for keys, unique in indexes:
            with suppress(CollectionInvalid):
                await database[collection].create_index(keys, unique=unique)
