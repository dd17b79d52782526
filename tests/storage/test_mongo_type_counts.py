"""MongoDB keeps counts per type with the writes, as SQLite's ``type_count`` does.

A type's count (``Store.count``, ``X?_summary=count``) is read from counter documents
moved in the write itself, refilled from the data when they are missing, and exact
under concurrent writes. On mongomock (``memory://``) and, with
FHIRPORT_TEST_MONGODB_URI set, on a real server (with transactions).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from server.search.query import SearchQuery
from server.storage.mongo.store import MongoStore
from server.storage.port import Method, StoredVersion, VersionConflict, Write
from tests.direct_store import indexed
from tests.mongodb_databases import URI_VARIABLE, fresh_database_url
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

COUNTERS = "type_counts"


@pytest.fixture(
    params=[
        "memory",
        pytest.param(
            "server",
            marks=pytest.mark.skipif(
                not os.environ.get(URI_VARIABLE), reason=f"{URI_VARIABLE} is not set"
            ),
        ),
    ]
)
async def mongo(request: pytest.FixtureRequest) -> AsyncIterator[MongoStore]:
    store = MongoStore("memory://" if request.param == "memory" else fresh_database_url())
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def _patient(n: int, version: int = 1) -> Write:
    return indexed({"resourceType": "Patient", "id": f"p{n}", "gender": "male"}, version)


def _deleted(resource_type: str, resource_id: str, version: int) -> Write:
    gone = StoredVersion(resource_type, resource_id, version, 0, Method.DELETE, None)
    return Write(gone, version - 1, None)


async def _stored(mongo: MongoStore, resource_type: str) -> int:
    """What the counter documents hold for a type."""
    docs = await mongo.conn.database[COUNTERS].find({"type": resource_type}).to_list(None)
    return sum(int(doc["live"]) for doc in docs)


async def _total(mongo: MongoStore, resource_type: str) -> int | None:
    return (await mongo.search(SearchQuery(resource_type, count=0, with_total=True))).total


async def test_counts_follow_creates_updates_deletes_and_revivals(mongo: MongoStore) -> None:
    await mongo.write([_patient(n) for n in range(4)])
    await mongo.write([_patient(0, 2), _deleted("Patient", "p1", 2)])
    await mongo.write([_deleted("Patient", "p1", 3)])  # deleting the deleted: no change
    await mongo.write([_deleted("Patient", "never", 1)])  # one never stored
    await mongo.write([_patient(1, 4)])  # back again
    await mongo.write([_deleted("Patient", "p3", 2)])
    await mongo.write([indexed({"resourceType": "AuditEvent", "id": f"a{n}"}) for n in (1, 2)])

    assert await _stored(mongo, "Patient") == 3
    assert await _stored(mongo, "AuditEvent") == 2
    assert await mongo.count("Patient") == 3
    assert await mongo.count("AuditEvent") == 2
    assert await mongo.count("Claim") == 0


async def test_a_refused_write_leaves_the_count_as_it_was(mongo: MongoStore) -> None:
    await mongo.write([_patient(0)])

    with pytest.raises(VersionConflict):
        await mongo.write([_patient(0)])  # already there: its version is not 0

    assert await mongo.count("Patient") == 1
    assert await _stored(mongo, "Patient") == 1


async def test_counts_and_totals_are_read_from_the_counters(mongo: MongoStore) -> None:
    await mongo.write([_patient(n) for n in range(3)])
    # Moved by hand: what a count answers now shows where it was read from.
    await mongo.conn.database[COUNTERS].insert_one({"_id": "by-hand", "type": "Patient", "live": 5})

    assert await mongo.count("Patient") == 8
    assert await _total(mongo, "Patient") == 8


async def test_missing_counters_are_refilled_from_the_data(mongo: MongoStore) -> None:
    await mongo.write([_patient(n) for n in range(3)])
    await mongo.write([_deleted("Patient", "p2", 2)])
    await mongo.write([indexed({"resourceType": "AuditEvent", "id": "a1"})])
    await mongo.conn.database.drop_collection(COUNTERS)

    assert await mongo.count("Patient") == 2
    assert await _total(mongo, "AuditEvent") == 1
    await mongo.write([_patient(7)])
    assert await mongo.count("Patient") == 3
    assert await _stored(mongo, "Patient") == 3


async def test_writes_released_together_are_each_counted(mongo: MongoStore) -> None:
    await mongo.write([_patient(n) for n in range(10)])

    creates = [lambda n=n: mongo.write([_patient(100 + n)]) for n in range(20)]
    deletes = [lambda n=n: mongo.write([_deleted("Patient", f"p{n}", 2)]) for n in range(10)]
    await released_together([*creates, *deletes])

    assert await mongo.count("Patient") == 20
    assert await _stored(mongo, "Patient") == 20


async def test_expunged_events_leave_the_count(mongo: MongoStore) -> None:
    def event(event_id: str, updated: int) -> Write:
        stored = StoredVersion("AuditEvent", event_id, 1, updated, Method.PUT, b"{}")
        return replace(indexed({"resourceType": "AuditEvent", "id": event_id}), version=stored)

    await mongo.write([event(f"a{n}", 10) for n in range(3)])
    await mongo.write([event("recent", 1000)])

    assert await mongo.expunge_before("AuditEvent", 100) == 3

    assert await mongo.count("AuditEvent") == 1
    assert await _stored(mongo, "AuditEvent") == 1
