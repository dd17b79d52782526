"""SQLite: a new version of a stored resource rewrites only the index rows that changed,
and leaves exactly the rows a first write of the same body would have."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from server.search.extract import extract_index
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.schema import INDEX_COLUMNS
from server.storage.sqlite.store import SqliteStore

pytestmark = pytest.mark.anyio


def _patient(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:mrn", "value": "A1"}, {"system": "urn:mrn", "value": "A1"}],
        "name": [{"family": "Alvarez", "given": ["Maria", "Luisa"]}],
        "gender": "female",
        "birthDate": "1970-03-05",
        "address": [{"line": ["1 Main St"], "city": "Springfield", "postalCode": "01101"}],
        "telecom": [{"system": "phone", "value": "555-0100"}],
        "generalPractitioner": [{"reference": "Practitioner/pr1"}],
        "meta": {"versionId": "1", "lastUpdated": "2024-05-01T00:00:00Z"},
    }
    body.update(changes)
    return body


def _write(body: dict[str, Any], version: int) -> Write:
    stored = StoredVersion("Patient", body["id"], version, version, Method.PUT, b"{}")
    return Write(stored, version - 1, extract_index(body, base_urls=()))


async def _rows(store: SqliteStore, resource_id: str) -> dict[str, list[tuple[object, ...]]]:
    """The resource's index rows by table, each parameter by its code rather than its key
    and without the rid (both differ from store to store)."""

    def read(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
        (rid,) = conn.execute("SELECT rid FROM resource WHERE id = ?", (resource_id,)).fetchone()
        codes = dict(conn.execute("SELECT p, code FROM search_param").fetchall())
        found = {}
        for table, columns in INDEX_COLUMNS.items():
            kept = [c for c in columns if c != "rid"]
            query = f"SELECT {', '.join(kept)} FROM {table} WHERE rid = ?"
            keyed = [c in ("p", "pr", "pd") for c in kept]
            rows = [
                tuple(codes[v] if k else v for k, v in zip(keyed, row, strict=True))
                for row in conn.execute(query, (rid,)).fetchall()
            ]
            found[table] = sorted(rows, key=repr)
        return found

    return await store.readers.run(read)


async def _changes(store: SqliteStore, write: Write) -> int:
    """Rows the write inserts, updates or deletes, its trigger's included."""
    before = await store.writer.submit(lambda conn: conn.total_changes)
    await store.write([write])
    return int(await store.writer.submit(lambda conn: conn.total_changes)) - int(before)


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    opened = SqliteStore(tmp_path / "updates.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


async def test_an_update_rewrites_only_the_rows_that_changed(store: SqliteStore) -> None:
    await store.write([_write(_patient(), 1)])
    moved = _patient(address=[{"line": ["2 Elm St"], "city": "Springfield"}])

    changed = await _changes(store, _write(moved, 2))

    # The version and resource rows, and the address's rows out and in: not the fifty
    # or so index rows of the names, identifiers, telecom, gender and dates again.
    assert changed < 20, changed


@pytest.mark.parametrize(
    "changes",
    [
        {"name": [{"family": "Alvarez-Smith", "given": ["Maria"]}], "gender": "other"},
        {"identifier": [{"system": "urn:mrn", "value": "A1"}]},  # a repeated value goes once
        {"birthDate": "1970", "telecom": []},
        {"generalPractitioner": [{"reference": "Practitioner/pr2"}] * 2},
    ],
)
async def test_an_updated_resource_has_the_rows_of_its_new_body_alone(
    tmp_path: Path, store: SqliteStore, changes: dict[str, Any]
) -> None:
    await store.write([_write(_patient(), 1)])
    await store.write([_write(_patient(**changes), 2)])
    fresh = SqliteStore(tmp_path / "fresh.sqlite3")
    await fresh.open()
    try:
        await fresh.write([_write(_patient(**changes), 1)])
        expected = await _rows(fresh, "p1")
    finally:
        await fresh.close()

    assert await _rows(store, "p1") == expected


async def test_a_deleted_then_recreated_resource_has_the_rows_of_its_new_body(
    store: SqliteStore,
) -> None:
    await store.write([_write(_patient(), 1)])
    marker = StoredVersion("Patient", "p1", 2, 2, Method.DELETE, None)
    await store.write([Write(marker, 1, None)])
    deleted = await _rows(store, "p1")
    await store.write([_write(_patient(gender="male"), 3)])

    assert all(rows == [] for rows in deleted.values())
    assert ("gender", None, "male", None) in (await _rows(store, "p1"))["idx_token"]
