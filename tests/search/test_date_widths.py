"""SQLite's ``date_width``: how far before a date a search must look for wide values.

A search for birth dates from a day on starts scanning one "widest value" earlier (a
year-precision "1970" covers March 1970). The width is kept per parameter as values
are written, so these tests write a narrow value first and a wide one after, through
failed transactions and into databases written before the table existed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import LedgerEntry, Method, StoredVersion, Write
from server.storage.sqlite_store import SqliteStore

pytestmark = pytest.mark.anyio

DAY_US = 86_400_000_000


def _patient(id: str, birth_date: str, version: int = 1) -> Write:
    body = {"resourceType": "Patient", "id": id, "birthDate": birth_date}
    stored = StoredVersion("Patient", id, version, 0, Method.PUT, b"{}")
    return Write(stored, version - 1, extract_index(body, base_urls=()))


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


async def _ids(store: SqliteStore, query: str) -> list[str]:
    engine = SearchEngine(store, ())
    result = await engine.run(engine.parse("Patient", parse_qsl(query), lenient=False))
    return sorted(v.id for v in result.page.versions)


async def _widest(store: SqliteStore) -> Any:
    return await store.readers.run(
        lambda c: c.execute(
            "SELECT widest FROM date_width JOIN search_param USING (p) WHERE code = 'birthdate'"
        ).fetchone()
    )


async def test_a_wider_value_widens_the_search(store: SqliteStore) -> None:
    await store.write([_patient("day", "1970-02-20")])
    assert await _widest(store) == (DAY_US,)

    await store.write([_patient("year", "1970")])

    assert await _widest(store) == (365 * DAY_US,)
    assert await _ids(store, "birthdate=ge1970-03-01&birthdate=lt1970-03-15") == ["year"]
    assert await _ids(store, "birthdate=gt1970-03-01") == ["year"]


async def test_a_width_from_a_failed_write_is_not_remembered(store: SqliteStore) -> None:
    await store.write([_patient("day", "1970-02-20")])
    # Fails after the index rows are written: a time SQLite cannot hold.
    unrecordable = LedgerEntry("app", "1", 2**70, "ADT^A04", None, "applied", b"")
    with pytest.raises(OverflowError):
        await store.write([_patient("year", "1970")], unrecordable)

    await store.write([_patient("later", "1971")])

    assert await _ids(store, "birthdate=ge1971-06-01") == ["later"]


async def test_an_older_database_gets_its_widths_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.write([_patient("year", "1970")])
    await store.close()
    with sqlite3.connect(path) as conn:  # as written before the table existed
        conn.execute("DROP TABLE date_width")
    conn.close()

    reopened = SqliteStore(path)
    await reopened.open()
    try:
        assert await _ids(reopened, "birthdate=ge1970-03-01") == ["year"]
        assert await _widest(reopened) == (365 * DAY_US,)
    finally:
        await reopened.close()


async def test_an_update_replaces_every_index_row(store: SqliteStore) -> None:
    def rows(conn: sqlite3.Connection) -> int:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return sum(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in tables
            if t.startswith("idx_")
        )

    await store.write([_patient("p", "1970-02-20")])
    once = await store.readers.run(rows)
    await store.write([_patient("p", "1980-02-20", version=2)])
    await store.write([_patient("p", "1990-02-20", version=3)])

    assert await store.readers.run(rows) == once
    assert await _ids(store, "birthdate=1980-02-20") == []
    assert await _ids(store, "birthdate=1990-02-20") == ["p"]
