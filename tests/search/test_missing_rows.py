"""``:missing`` on SQLite comes from the sort rows: one per parameter with a value.

A parameter can have a value that does not sort (an identifier with a system and no
value); it is still present. Databases written when presence had a table of its own
get their rows moved into the sort table when opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite_store import SqliteStore

pytestmark = pytest.mark.anyio


def _patient(id: str, **elements: object) -> Write:
    body = {"resourceType": "Patient", "id": id, **elements}
    stored = StoredVersion("Patient", id, 1, 0, Method.PUT, b"{}")
    return Write(stored, 0, extract_index(body, base_urls=()))


async def _ids(store: SqliteStore, query: str) -> list[str]:
    engine = SearchEngine(store, ())
    result = await engine.run(engine.parse("Patient", parse_qsl(query), lenient=False))
    return sorted(v.id for v in result.page.versions)


async def _write_both(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    await store.write(
        [
            _patient("system-only", identifier=[{"system": "urn:mrn"}]),
            _patient("none", gender="female"),
        ]
    )
    await store.close()


async def test_a_value_that_does_not_sort_is_present(tmp_path: Path) -> None:
    await _write_both(tmp_path / "db.sqlite3")
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    try:
        assert await _ids(store, "identifier:missing=false") == ["system-only"]
        assert await _ids(store, "identifier:missing=true") == ["none"]
        assert await _ids(store, "_sort=identifier") == ["none", "system-only"]
    finally:
        await store.close()


async def test_an_older_database_gets_its_presence_rows_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await _write_both(path)
    with sqlite3.connect(path) as conn:  # as written when presence had its own table
        conn.execute(
            "CREATE TABLE idx_present (p INTEGER NOT NULL, rid INTEGER NOT NULL, "
            "PRIMARY KEY (p, rid)) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO idx_present SELECT p, rid FROM idx_sort")
        conn.execute("DELETE FROM idx_sort WHERE value IS NULL")
    conn.close()

    reopened = SqliteStore(path)
    await reopened.open()
    try:
        assert await _ids(reopened, "identifier:missing=false") == ["system-only"]
        assert await _ids(reopened, "identifier:missing=true") == ["none"]
        tables = await reopened.readers.run(
            lambda c: {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        )
    finally:
        await reopened.close()

    assert "idx_present" not in tables
