"""The MongoDB store: current resources with their index entries, and a history collection.

Writes are compare-and-swap on ``version``, in one multi-document transaction
(resources, history, ledger entry, guards, date widths and type counts together) on a replica set
or a sharded cluster; a standalone server is refused at ``open``. ``memory://``
(mongomock, tests only) has no transactions: there the resource CAS comes first, so
a crash between the two steps can leave a history entry missing but never a current
version that is wrong. A conditional write's guard (see server.storage.port) is
claimed before its resource either way, inside the transaction when there is one.
Every document is measured before anything is sent (``mongo.limits``); every driver
failure becomes StoreUnavailable (``mongo.errors``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from server.search.query import SearchQuery
from server.storage.audit_rows import AUDIT_TYPE, is_audit
from server.storage.cursor import decode_cursor, encode_cursor
from server.storage.mongo.audit import COLLECTION as AUDIT_EVENTS
from server.storage.mongo.audit import event_history, event_key, move_events
from server.storage.mongo.client import MongoConnection, connect
from server.storage.mongo.errors import driver_errors
from server.storage.mongo.guard import ClaimRefused, claim_guard, give_back, holder_of
from server.storage.mongo.holds import COLLECTION as HELD_KEYS
from server.storage.mongo.holds import HoldRefused, apply_holds
from server.storage.mongo.holds import holder_of as key_holder
from server.storage.mongo.index import index_document
from server.storage.mongo.integrity import check_references
from server.storage.mongo.ledger import (
    ledger_counts,
    ledger_document,
    ledger_get,
    ledger_get_many,
    ledger_put,
)
from server.storage.mongo.limits import check_document
from server.storage.mongo.outbox import COLLECTION as OUTBOX
from server.storage.mongo.outbox import (
    LEASES,
    outbox_depth,
    outbox_due,
    outbox_insert,
    outbox_lease,
    outbox_list,
    outbox_purge,
    outbox_release,
    outbox_replace,
    outbox_requeue,
)
from server.storage.mongo.referrers import find_referrers
from server.storage.mongo.schema import (
    READINESS,
    create_collections,
    create_indexes,
    missing_collections,
)
from server.storage.mongo.search import run_search
from server.storage.mongo.type_counts import COLLECTION as TYPE_COUNTS
from server.storage.mongo.type_counts import (
    Tally,
    change_of,
    expunge,
    filled,
    in_transaction,
    live_count,
    refill,
)
from server.storage.mongo.widths import DateWidths, widths_of
from server.storage.port import (
    GuardTaken,
    HistoryPage,
    HistoryQuery,
    HoldTaken,
    InvalidCursor,
    LedgerEntry,
    Method,
    OutboxEntry,
    OutboxQuery,
    SearchPage,
    StoredVersion,
    StoreUnavailable,
    VersionConflict,
    Write,
)

_HISTORY_FIELDS = ("type", "id", "version", "updated", "method", "body", "event_time", "owners")
_VERSION_FIELDS = dict.fromkeys(_HISTORY_FIELDS, 1)


def _version(doc: dict[str, Any]) -> StoredVersion:
    body = doc.get("body")
    return StoredVersion(
        resource_type=doc["type"],
        id=doc["id"],
        version=doc["version"],
        last_updated=doc["updated"],
        method=Method(doc["method"]),
        body=bytes(body) if body is not None else None,
        event_time=doc.get("event_time"),
        owners=bytes(owners) if (owners := doc.get("owners")) is not None else None,
    )


def _documents(write: Write) -> tuple[dict[str, Any], dict[str, Any]]:
    """The resource document and the history document of a write, both measured."""
    new = write.version
    document: dict[str, Any] = {
        "type": new.resource_type,
        "id": new.id,
        "version": new.version,
        "updated": new.last_updated,
        "method": str(new.method),
        "deleted": new.deleted,
        "body": new.body,
        "event_time": new.event_time,
        "owners": new.owners,
        "idx": index_document(write.index) if write.index and not new.deleted else {},
    }
    what = f"{new.resource_type}/{new.id}"
    payload = len(new.body or b"")
    check_document({"_id": what, **document}, what, payload)
    history = {k: document[k] for k in _HISTORY_FIELDS}
    check_document(history, f"{what} (its history entry)", payload)
    return document, history


class MongoStore:
    """A Store on a MongoDB database (or mongomock for ``memory://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: MongoConnection | None = None
        self.widths = DateWidths()
        # A refill counts every document: the counts asked while one runs wait for it.
        self._refilling = asyncio.Lock()

    @property
    def conn(self) -> MongoConnection:
        if self._conn is None:
            raise StoreUnavailable("Store is not open")
        return self._conn

    @property
    def resources(self) -> Any:
        return self.conn.database["resources"]

    @property
    def versions(self) -> Any:
        return self.conn.database["history"]

    @property
    def ledger(self) -> Any:
        return self.conn.database["hl7_ledger"]

    @property
    def guards(self) -> Any:
        return self.conn.database["guards"]

    @property
    def held_keys(self) -> Any:
        return self.conn.database[HELD_KEYS]

    @property
    def date_widths(self) -> Any:
        return self.conn.database["date_widths"]

    @property
    def audit_events(self) -> Any:
        return self.conn.database[AUDIT_EVENTS]

    @property
    def type_counts(self) -> Any:
        return self.conn.database[TYPE_COUNTS]

    async def open(self) -> None:
        conn = await connect(self.url)
        try:
            async with driver_errors("create its collections and indexes"):
                await create_collections(conn.database)
                await create_indexes(conn.database)
                database = conn.database
                await move_events(
                    database["resources"], database["history"], database[AUDIT_EVENTS]
                )
            self._conn = conn
            async with driver_errors("count its resources per type"):
                if not await filled(self.type_counts):
                    await self._refill_counts()
        except BaseException:
            self._conn = None
            await conn.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def probe(self) -> None:
        database = self.conn.database
        async with driver_errors("answer a readiness probe"):
            missing = await missing_collections(database)
            await database[READINESS].update_one(
                {"_id": "probe"}, {"$set": {"at": time.time()}}, upsert=True
            )
        if missing:
            raise StoreUnavailable(f"MongoDB store lacks the collections {', '.join(missing)}")

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        collection = self.audit_events if resource_type == AUDIT_TYPE else self.resources
        async with driver_errors("read"):
            doc = await collection.find_one(
                {"_id": f"{resource_type}/{resource_id}"}, _VERSION_FIELDS
            )
        return _version(doc) if doc else None

    async def read_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredVersion | None]:
        found: dict[tuple[str, str], StoredVersion | None] = dict.fromkeys(keys)
        if not found:
            return found
        ids = [f"{resource_type}/{resource_id}" for resource_type, resource_id in found]
        events = [key for key in ids if key.startswith(f"{AUDIT_TYPE}/")]
        async with driver_errors("read"):
            for collection, wanted in ((self.resources, ids), (self.audit_events, events)):
                if not wanted:
                    continue
                async for doc in collection.find({"_id": {"$in": wanted}}, _VERSION_FIELDS):
                    found[(doc["type"], doc["id"])] = _version(doc)
        return found

    async def vread(
        self, resource_type: str, resource_id: str, version: int
    ) -> StoredVersion | None:
        if resource_type == AUDIT_TYPE:  # an event keeps its current version only
            current = await self.read(resource_type, resource_id)
            return current if current and current.version == version else None
        async with driver_errors("read"):
            doc = await self.versions.find_one(
                {"type": resource_type, "id": resource_id, "version": version}, _VERSION_FIELDS
            )
        if doc is None:
            # The current version, in case its history entry was not written (see module doc).
            current = await self.read(resource_type, resource_id)
            return current if current and current.version == version else None
        return _version(doc)

    async def write(
        self,
        writes: Sequence[Write],
        ledger: LedgerEntry | None = None,
        *,
        outbox: Sequence[OutboxEntry] = (),
    ) -> None:
        # Measured before anything is sent: a batch with one document too large writes none.
        documents = [(write, *_documents(write)) for write in writes]
        entry = ledger_document(ledger) if ledger is not None else None
        widths: dict[str, int] = {}
        for write in writes:
            if write.index is not None and not write.version.deleted and not is_audit(write):
                for key, width in widths_of(write.version.resource_type, write.index).items():
                    widths[key] = max(widths.get(key, 0), width)
        widths = self.widths.wider(widths)

        async def apply(session: Any) -> None:
            if any(w.requires or w.unreferenced is not None for w in writes):
                await check_references(self.resources, writes, session)
            tally = Tally(self.type_counts, session)  # a retried attempt counts afresh
            for write, document, history in documents:
                if is_audit(write):
                    key = event_key(write.version.id)
                    await self._swap(key, write, document, tally, self.audit_events)
                else:
                    await self._apply_one(write, document, history, session, tally)
            await tally.flush()
            await self.widths.widen(self.date_widths, widths, session)
            if entry is not None:
                await ledger_put(self.ledger, entry, session)
            await outbox_insert(self.outbox, outbox, session)

        async with driver_errors("write"):
            try:
                await in_transaction(self.conn, apply)
            except ClaimRefused as refused:
                raise GuardTaken(refused.key, await holder_of(self.guards, refused.key)) from None
            except HoldRefused as refused:
                raise HoldTaken(
                    refused.key, await key_holder(self.held_keys, refused.key)
                ) from None
        self.widths.committed(widths)

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None:
        async with driver_errors("read the HL7v2 ledger"):
            return await ledger_get(self.ledger, sender, control_id)

    async def ledger_counts(self, since: int) -> list[tuple[int, str, int]]:
        async with driver_errors("read the HL7v2 ledger"):
            return await ledger_counts(self.ledger, since)

    async def ledger_get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LedgerEntry | None]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        async with driver_errors("read the HL7v2 ledger"):
            return await ledger_get_many(self.ledger, wanted)

    async def append(self, writes: Sequence[Write]) -> None:
        await self.write(writes)

    @property
    def outbox(self) -> Any:
        return self.conn.database[OUTBOX]

    async def outbox_due(self, destination: str, limit: int) -> list[OutboxEntry]:
        async with driver_errors("read the HL7v2 outbox"):
            return await outbox_due(self.outbox, destination, limit)

    async def outbox_update(self, entries: Sequence[OutboxEntry]) -> None:
        async with driver_errors("update the HL7v2 outbox"):
            await outbox_replace(self.outbox, entries)

    async def outbox_list(self, query: OutboxQuery) -> list[OutboxEntry]:
        async with driver_errors("read the HL7v2 outbox"):
            return await outbox_list(self.outbox, query)

    async def outbox_purge(self, before: int) -> int:
        async with driver_errors("purge the HL7v2 outbox"):
            return await outbox_purge(self.outbox, before)

    async def outbox_requeue(self, ids: Sequence[str]) -> list[OutboxEntry]:
        async with driver_errors("requeue HL7v2 outbox entries"):
            return await outbox_requeue(self.outbox, ids)

    async def outbox_depth(self) -> dict[tuple[str, str], int]:
        async with driver_errors("count the HL7v2 outbox"):
            return await outbox_depth(self.outbox)

    async def outbox_lease(self, destination: str, owner: str, until: int, now: int) -> bool:
        async with driver_errors("take the HL7v2 outbox lease"):
            return await outbox_lease(self.conn.database[LEASES], destination, owner, until, now)

    async def outbox_release(self, destination: str, owner: str) -> None:
        async with driver_errors("release the HL7v2 outbox lease"):
            await outbox_release(self.conn.database[LEASES], destination, owner)

    @property
    def transactions(self) -> bool:
        """Whether a write's documents commit together (False on ``memory://``)."""
        return self.conn.transactions

    async def referrers(
        self,
        resource_type: str,
        resource_id: str,
        sources: Mapping[str, Sequence[str]],
        limit: int,
    ) -> list[tuple[str, str]]:
        async with driver_errors("find referring resources"):
            return await find_referrers(
                self.resources, (resource_type, resource_id), sources, limit
            )

    async def expunge_before(self, resource_type: str, before: int) -> int:
        where = {"type": resource_type, "updated": {"$lt": before}}
        if resource_type == AUDIT_TYPE:
            async with driver_errors("purge AuditEvents"):
                return await expunge(self.conn, self.audit_events, where, resource_type)
        removed = await expunge(self.conn, self.resources, where, resource_type)
        await self.versions.delete_many(where)
        return removed

    async def _apply_one(
        self,
        write: Write,
        document: dict[str, Any],
        history: dict[str, Any],
        session: Any,
        tally: Tally | None = None,
    ) -> None:
        """Write one resource and its history entry; its count change goes to ``tally``
        (by default, straight to the counters)."""
        new = write.version
        counted = Tally(self.type_counts, session) if tally is None else tally
        guard = write.guard
        if guard is not None:
            await claim_guard(self.guards, guard, new.resource_type, new.id, session)
        if write.holds is not None:
            await apply_holds(self.held_keys, write.holds, f"{new.resource_type}/{new.id}", session)
        try:
            await self._swap(f"{new.resource_type}/{new.id}", write, document, counted)
        except VersionConflict:
            if guard is not None and session is None:  # a transaction undoes the claim itself
                await give_back(self.guards, guard, new.id)
            raise
        # A copy: the driver sets ``_id`` on what it inserts, and a retried transaction
        # inserts again.
        await self.versions.insert_one(dict(history), session=session)
        if tally is None:
            await counted.flush()

    async def _swap(
        self,
        key: str,
        write: Write,
        document: dict[str, Any],
        tally: Tally,
        collection: Any = None,
    ) -> None:
        """Insert or replace the resource document if its version is the expected one
        (in ``collection``, by default the resources), and count the change."""
        new = write.version
        collection = self.resources if collection is None else collection
        session = tally.session
        if write.expected_version == 0:
            try:
                await collection.insert_one({"_id": key, **document}, session=session)
            except DuplicateKeyError:
                raise await self._conflict(new.resource_type, new.id) from None
            was_deleted = None
        else:
            # The replaced document's state: whether the type's count moves.
            before = await collection.find_one_and_replace(
                {"_id": key, "version": write.expected_version},
                document,
                projection={"deleted": 1},
                session=session,
            )
            if before is None:
                raise await self._conflict(new.resource_type, new.id)
            was_deleted = bool(before.get("deleted"))
        await tally.add(new.resource_type, change_of(new.deleted, was_deleted))

    async def _conflict(self, resource_type: str, resource_id: str) -> VersionConflict:
        # Read outside the session: a failed write has aborted its transaction.
        current = await self.read(resource_type, resource_id)
        return VersionConflict(resource_type, resource_id, current.version if current else 0)

    async def history(self, query: HistoryQuery) -> HistoryPage:
        if query.resource_type == AUDIT_TYPE:
            async with driver_errors("read history"):
                docs, cursor = await event_history(self.audit_events, query)
            return HistoryPage([_version(d) for d in docs], cursor)
        resource_type, resource_id = query.resource_type, query.resource_id
        since, count, cursor = query.since, query.count, query.cursor
        where: dict[str, Any] = {}
        if resource_type is not None:
            where["type"] = resource_type
        if resource_id is not None:
            where["id"] = resource_id
        if since is not None:
            where["updated"] = {"$gte": since}
        if cursor:
            position = decode_cursor(cursor, {"u": int, "o": str})
            if not ObjectId.is_valid(position["o"]):
                raise InvalidCursor("Malformed paging cursor")
            before = ObjectId(position["o"])
            where["$or"] = [
                {"updated": {"$lt": position["u"]}},
                {"updated": position["u"], "_id": {"$lt": before}},
            ]
        async with driver_errors("read history"):
            docs = (
                await self.versions.find(where)
                .sort([("updated", DESCENDING), ("_id", DESCENDING)])
                .limit(count + 1)
                .to_list(length=None)
            )
        more = len(docs) > count
        docs = docs[:count]
        next_cursor = (
            encode_cursor({"u": docs[-1]["updated"], "o": str(docs[-1]["_id"])})
            if more and docs
            else None
        )
        return HistoryPage([_version(d) for d in docs], next_cursor)

    async def search(self, query: SearchQuery) -> SearchPage:
        # A whole type's total is its count, kept with the writes: no count per request.
        whole = query.with_total and not query.clauses
        asked = replace(query, with_total=False) if whole else query
        async with driver_errors("search"):
            # AuditEvents are searched (and joined) in their own collection.
            page = await run_search(self.resources, self.date_widths, asked, self.audit_events)
        return replace(page, total=await self.count(query.resource_type)) if whole else page

    async def count(self, resource_type: str) -> int:
        async with driver_errors("count"):
            live = await live_count(self.type_counts, resource_type)
            if live is None:  # the counters went missing: from the data again
                await self._refill_counts()
                live = await live_count(self.type_counts, resource_type)
        return live or 0

    async def _refill_counts(self) -> None:
        async with self._refilling:
            if await filled(self.type_counts):  # refilled while this one waited
                return
            await create_collections(self.conn.database, (TYPE_COUNTS,))
            await refill(self.conn, (self.resources, self.audit_events))
