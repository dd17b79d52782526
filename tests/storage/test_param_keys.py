"""SQLite's search parameter keys: created on first use, forgotten when a write rolls back."""

from __future__ import annotations

import pytest

from server.storage.port import LedgerEntry
from server.storage.sqlite.store import SqliteStore
from tests.direct_store import indexed, search_ids

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


async def test_a_key_created_by_a_failed_write_is_not_reused(store: SqliteStore) -> None:
    # Fails after the index rows (and the first Patient keys) are written.
    unrecordable = LedgerEntry("app", "1", 2**70, "ADT^A04", None, "applied", b"")
    with pytest.raises(OverflowError):
        await store.write([indexed({"resourceType": "Patient", "id": "p0"})], unrecordable)
    # The rolled-back keys' numbers go to another type's parameters now.
    booked = {"resourceType": "Appointment", "id": "a1", "status": "booked"}
    await store.write([indexed(booked)])

    await store.write([indexed({"resourceType": "Patient", "id": "p1", "gender": "female"})])

    assert await search_ids(store, "Patient", "gender=female") == ["p1"]
    assert await search_ids(store, "Appointment", "status=booked") == ["a1"]
    assert await search_ids(store, "Patient", "_id=p1") == ["p1"]
