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

import pytest

from server.storage.port import LedgerEntry, Write
from server.storage.sqlite.store import SqliteStore
from tests.direct_store import indexed, opened_sqlite, search_ids

pytestmark = pytest.mark.anyio

DAY_US = 86_400_000_000


def _patient(id: str, birth_date: str, version: int = 1) -> Write:
    return indexed({"resourceType": "Patient", "id": id, "birthDate": birth_date}, version)


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


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
    assert await search_ids(store, "Patient", "birthdate=ge1970-03-01&birthdate=lt1970-03-15") == [
        "year"
    ]
    assert await search_ids(store, "Patient", "birthdate=gt1970-03-01") == ["year"]


async def test_a_width_from_a_failed_write_is_not_remembered(store: SqliteStore) -> None:
    await store.write([_patient("day", "1970-02-20")])
    # Fails after the index rows are written: a time SQLite cannot hold.
    unrecordable = LedgerEntry("app", "1", 2**70, "ADT^A04", None, "applied", b"")
    with pytest.raises(OverflowError):
        await store.write([_patient("year", "1970")], unrecordable)

    await store.write([_patient("later", "1971")])

    assert await search_ids(store, "Patient", "birthdate=ge1971-06-01") == ["later"]


async def test_an_older_database_gets_its_widths_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with opened_sqlite(path) as store:
        await store.write([_patient("year", "1970")])
    with sqlite3.connect(path) as conn:  # as written before the table existed
        conn.execute("DROP TABLE date_width")
    conn.close()

    async with opened_sqlite(path) as reopened:
        assert await search_ids(reopened, "Patient", "birthdate=ge1970-03-01") == ["year"]
        assert await _widest(reopened) == (365 * DAY_US,)


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
    assert await search_ids(store, "Patient", "birthdate=1980-02-20") == []
    assert await search_ids(store, "Patient", "birthdate=1990-02-20") == ["p"]
