"""SQLite's search parameter keys: created on first use, forgotten when a write rolls back."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import LedgerEntry, Method, StoredVersion, Write
from server.storage.sqlite_store import SqliteStore

pytestmark = pytest.mark.anyio


def _write(body: dict[str, Any]) -> Write:
    stored = StoredVersion(body["resourceType"], body["id"], 1, 0, Method.PUT, b"{}")
    return Write(stored, 0, extract_index(body, base_urls=()))


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


async def _ids(store: SqliteStore, resource_type: str, query: str) -> list[str]:
    engine = SearchEngine(store, ())
    result = await engine.run(engine.parse(resource_type, parse_qsl(query), lenient=False))
    return sorted(v.id for v in result.page.versions)


async def test_a_key_created_by_a_failed_write_is_not_reused(store: SqliteStore) -> None:
    # Fails after the index rows (and the first Patient keys) are written.
    unrecordable = LedgerEntry("app", "1", 2**70, "ADT^A04", None, "applied", b"")
    with pytest.raises(OverflowError):
        await store.write([_write({"resourceType": "Patient", "id": "p0"})], unrecordable)
    # The rolled-back keys' numbers go to another type's parameters now.
    booked = {"resourceType": "Appointment", "id": "a1", "status": "booked"}
    await store.write([_write(booked)])

    await store.write([_write({"resourceType": "Patient", "id": "p1", "gender": "female"})])

    assert await _ids(store, "Patient", "gender=female") == ["p1"]
    assert await _ids(store, "Appointment", "status=booked") == ["a1"]
    assert await _ids(store, "Patient", "_id=p1") == ["p1"]
