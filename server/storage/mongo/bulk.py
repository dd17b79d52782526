"""Bulk Data export's snapshot reads and job records in MongoDB (server.storage.bulk_port).

A type's resources are a range of ``_id`` (``Type/id``), read in ``_id`` order; a
resource changed after the snapshot is read again from ``history`` (its unique
(type, id, version) index), newest version at or before the snapshot first. Jobs are
documents of ``bulk_jobs``, ``_id`` the job id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING

from server.storage.audit_rows import AUDIT_TYPE
from server.storage.bulk_port import JobRecord, SnapshotPage
from server.storage.mongo.audit import COLLECTION as AUDIT_EVENTS
from server.storage.mongo.errors import driver_errors
from server.storage.mongo.schema import create_collections
from server.storage.port import Method, StoredVersion

_JOBS = "bulk_jobs"
_FIELDS = {"id": 1, "version": 1, "updated": 1, "method": 1, "body": 1}


def _job(doc: dict[str, Any]) -> JobRecord:
    return JobRecord(doc["_id"], doc["state"], doc["created"], bytes(doc["document"]))


def _live(resource_type: str, doc: dict[str, Any] | None) -> StoredVersion | None:
    if doc is None or doc["method"] == Method.DELETE:
        return None
    body = doc.get("body")
    return StoredVersion(
        resource_type,
        doc["id"],
        doc["version"],
        doc["updated"],
        Method(doc["method"]),
        bytes(body) if body is not None else None,
    )


class MongoBulkRecords:
    """BulkRecords on the database of an open MongoStore."""

    def __init__(self, database: Any) -> None:
        self.database = database

    async def prepare(self) -> None:
        async with driver_errors("create the bulk job collection"):
            await create_collections(self.database, (_JOBS,))
            await self.database[_JOBS].create_index([("state", ASCENDING), ("created", ASCENDING)])

    async def close(self) -> None:
        """Nothing of its own to release: the store's client is the store's."""

    async def read_as_of(
        self, resource_type: str, as_of: int, after: str | None, count: int
    ) -> SnapshotPage:
        prefix = f"{resource_type}/"
        start = {"$gt": prefix + after} if after else {"$gte": prefix}
        # "0" follows "/": the range holds this type's ids and nothing else.
        where = {"_id": {**start, "$lt": f"{resource_type}0"}}
        async with driver_errors("read an export snapshot"):
            # AuditEvents have their own collection (server.storage.mongo.audit), and no
            # history: one changed since the snapshot is left out.
            collection = AUDIT_EVENTS if resource_type == AUDIT_TYPE else "resources"
            docs = (
                await self.database[collection]
                .find(where, _FIELDS)
                .sort("_id", ASCENDING)
                .limit(count)
                .to_list(length=None)
            )
            versions: list[StoredVersion] = []
            for doc in docs:
                if doc["updated"] > as_of:
                    doc = await self.database["history"].find_one(
                        {"type": resource_type, "id": doc["id"], "updated": {"$lte": as_of}},
                        _FIELDS,
                        sort=[("version", DESCENDING)],
                    )
                live = _live(resource_type, doc)
                if live is not None:
                    versions.append(live)
        next_after = docs[-1]["id"] if len(docs) == count else None
        return SnapshotPage(versions, next_after)

    async def add_job(self, job: JobRecord) -> None:
        async with driver_errors("keep an export job"):
            await self.database[_JOBS].insert_one(
                {
                    "_id": job.id,
                    "state": job.state,
                    "created": job.created,
                    "document": job.document,
                }
            )

    async def replace_job(self, job: JobRecord) -> bool:
        async with driver_errors("update an export job"):
            result = await self.database[_JOBS].update_one(
                {"_id": job.id}, {"$set": {"state": job.state, "document": job.document}}
            )
        return bool(result.matched_count)

    async def job(self, job_id: str) -> JobRecord | None:
        async with driver_errors("read an export job"):
            doc = await self.database[_JOBS].find_one({"_id": job_id})
        return _job(doc) if doc else None

    async def jobs(self, states: Sequence[str] = ()) -> list[JobRecord]:
        where: dict[str, Any] = {"state": {"$in": list(states)}} if states else {}
        async with driver_errors("read export jobs"):
            docs = (
                await self.database[_JOBS]
                .find(where)
                .sort([("created", ASCENDING), ("_id", ASCENDING)])
                .to_list(length=None)
            )
        return [_job(doc) for doc in docs]

    async def remove_job(self, job_id: str) -> bool:
        async with driver_errors("remove an export job"):
            result = await self.database[_JOBS].delete_one({"_id": job_id})
        return bool(result.deleted_count)

    async def claim_job(self, job_id: str, owner: str, until: int, now: int) -> bool:
        free = [{"lease_until": {"$lte": now}}, {"lease_until": None}, {"lease_owner": owner}]
        async with driver_errors("claim an export job"):
            result = await self.database[_JOBS].update_one(
                {"_id": job_id, "$or": free},
                {"$set": {"lease_owner": owner, "lease_until": until}},
            )
        return bool(result.matched_count)

    async def release_job(self, job_id: str, owner: str) -> None:
        async with driver_errors("release an export job"):
            await self.database[_JOBS].update_one(
                {"_id": job_id, "lease_owner": owner}, {"$set": {"lease_until": 0}}
            )
