"""The MongoDB store: current resources with their index entries, and a history collection.

Writes are compare-and-swap on ``version``; with a replica set they run in a
multi-document transaction (resource and history together). Without one (mongomock
in tests) the resource CAS comes first, so a crash between the two steps can leave a
history entry missing but never a current version that is wrong. A conditional
write's guard (see server.storage.port) is claimed before its resource either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import CollectionInvalid, DuplicateKeyError

from server.search.query import SearchQuery
from server.storage.cursor import decode_cursor, encode_cursor
from server.storage.ledger_codec import details_json, entry_from
from server.storage.mongo.client import MongoConnection, connect
from server.storage.mongo.guard import ClaimRefused, claim_guard, give_back, holder_of
from server.storage.mongo.index import MONGO_INDEXES, index_document
from server.storage.mongo.search import run_search
from server.storage.port import (
    GuardTaken,
    HistoryPage,
    HistoryQuery,
    InvalidCursor,
    LedgerEntry,
    Method,
    SearchPage,
    StoredVersion,
    StoreUnavailable,
    VersionConflict,
    Write,
)

_HISTORY_FIELDS = ("type", "id", "version", "updated", "method", "body", "event_time")
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
    )


class MongoStore:
    """A Store on a MongoDB database (or mongomock for ``memory://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: MongoConnection | None = None

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

    async def open(self) -> None:
        self._conn = await connect(self.url)
        await self.versions.create_index(
            [("type", ASCENDING), ("id", ASCENDING), ("version", ASCENDING)], unique=True
        )
        await self.versions.create_index([("updated", DESCENDING), ("_id", DESCENDING)])
        await self.versions.create_index(
            [("type", ASCENDING), ("updated", DESCENDING), ("_id", DESCENDING)]
        )
        await self.resources.create_index([("type", ASCENDING), ("deleted", ASCENDING)])
        for keys in MONGO_INDEXES:
            await self.resources.create_index(keys)
        # A transaction's first write to a collection that does not exist yet may fail
        # (it would have to create it), so the guards' collection is made here.
        if "guards" not in await self.conn.database.list_collection_names():
            with suppress(CollectionInvalid):  # another process made it meanwhile
                await self.conn.database.create_collection("guards")

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        doc = await self.resources.find_one(
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
        async for doc in self.resources.find({"_id": {"$in": ids}}, _VERSION_FIELDS):
            found[(doc["type"], doc["id"])] = _version(doc)
        return found

    async def vread(
        self, resource_type: str, resource_id: str, version: int
    ) -> StoredVersion | None:
        doc = await self.versions.find_one(
            {"type": resource_type, "id": resource_id, "version": version}, _VERSION_FIELDS
        )
        if doc is None:
            # The current version, in case its history entry was not written (see module doc).
            current = await self.read(resource_type, resource_id)
            return current if current and current.version == version else None
        return _version(doc)

    async def write(self, writes: Sequence[Write], ledger: LedgerEntry | None = None) -> None:
        try:
            if self.conn.transactions:
                async with self.conn.client.start_session() as session:
                    await session.with_transaction(lambda s: self._apply_all(writes, ledger, s))
            else:
                await self._apply_all(writes, ledger, None)
        except ClaimRefused as refused:
            raise GuardTaken(refused.key, await holder_of(self.guards, refused.key)) from None

    async def _apply_all(
        self, writes: Sequence[Write], ledger: LedgerEntry | None, session: Any
    ) -> None:
        for write in writes:
            await self._apply_one(write, session)
        if ledger is not None:
            document = {
                "sender": ledger.sender,
                "control_id": ledger.control_id,
                "received": ledger.received,
                "message_type": ledger.message_type,
                "event_time": ledger.event_time,
                "outcome": ledger.outcome,
                "raw": ledger.raw,
                "details": details_json(ledger),
            }
            await self.ledger.replace_one(
                {"_id": f"{ledger.sender}|{ledger.control_id}"},
                document,
                upsert=True,
                session=session,
            )

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None:
        doc = await self.ledger.find_one({"_id": f"{sender}|{control_id}"})
        if doc is None:
            return None
        return entry_from(doc, bytes(doc["details"]))

    async def _apply_one(self, write: Write, session: Any) -> None:
        new = write.version
        key = f"{new.resource_type}/{new.id}"
        document: dict[str, Any] = {
            "type": new.resource_type,
            "id": new.id,
            "version": new.version,
            "updated": new.last_updated,
            "method": str(new.method),
            "deleted": new.deleted,
            "body": new.body,
            "event_time": new.event_time,
            "idx": index_document(write.index) if write.index and not new.deleted else {},
        }
        guard = write.guard
        if guard is not None:
            await claim_guard(self.guards, guard, new.resource_type, new.id, session)
        try:
            await self._swap(key, write, document, session)
        except VersionConflict:
            if guard is not None and session is None:  # a transaction undoes the claim itself
                await give_back(self.guards, guard, new.id)
            raise
        history = {k: document[k] for k in _HISTORY_FIELDS}
        await self.versions.insert_one(history, session=session)

    async def _swap(self, key: str, write: Write, document: dict[str, Any], session: Any) -> None:
        """Insert or replace the resource document if its version is the expected one."""
        new = write.version
        if write.expected_version == 0:
            try:
                await self.resources.insert_one({"_id": key, **document}, session=session)
            except DuplicateKeyError:
                raise await self._conflict(new.resource_type, new.id) from None
        else:
            result = await self.resources.replace_one(
                {"_id": key, "version": write.expected_version}, document, session=session
            )
            if result.matched_count == 0:
                raise await self._conflict(new.resource_type, new.id)

    async def _conflict(self, resource_type: str, resource_id: str) -> VersionConflict:
        current = await self.read(resource_type, resource_id)
        return VersionConflict(resource_type, resource_id, current.version if current else 0)

    async def history(self, query: HistoryQuery) -> HistoryPage:
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
        return await run_search(self.resources, query)

    async def count(self, resource_type: str) -> int:
        return int(await self.resources.count_documents({"type": resource_type, "deleted": False}))
