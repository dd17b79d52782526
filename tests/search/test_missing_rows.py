"""``:missing`` on SQLite comes from the sort rows: one per parameter with a value.

A parameter can have a value that does not sort (an identifier with a system and no
value); it is still present. Databases written when presence had a table of its own
get their rows moved into the sort table when opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.storage.port import Write
from tests.direct_store import indexed, opened_sqlite, search_ids

pytestmark = pytest.mark.anyio


def _patient(id: str, **elements: object) -> Write:
    return indexed({"resourceType": "Patient", "id": id, **elements})


async def _write_both(path: Path) -> None:
    async with opened_sqlite(path) as store:
        await store.write(
            [
                _patient("system-only", identifier=[{"system": "urn:mrn"}]),
                _patient("none", gender="female"),
            ]
        )


async def test_a_value_that_does_not_sort_is_present(tmp_path: Path) -> None:
    await _write_both(tmp_path / "db.sqlite3")
    async with opened_sqlite(tmp_path / "db.sqlite3") as store:
        assert await search_ids(store, "Patient", "identifier:missing=false") == ["system-only"]
        assert await search_ids(store, "Patient", "identifier:missing=true") == ["none"]
        assert await search_ids(store, "Patient", "_sort=identifier") == ["none", "system-only"]


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

    async with opened_sqlite(path) as reopened:
        assert await search_ids(reopened, "Patient", "identifier:missing=false") == ["system-only"]
        assert await search_ids(reopened, "Patient", "identifier:missing=true") == ["none"]
        tables = await reopened.readers.run(
            lambda c: {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        )

    assert "idx_present" not in tables
