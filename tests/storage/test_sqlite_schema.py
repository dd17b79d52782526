"""SQLite schema facts: which index tables there are, which indexes are partial, and how
often the writer checkpoints."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from server.storage.sqlite.schema import INDEX_COLUMNS, apply_schema
from server.storage.sqlite.store import SqliteStore


def _indexes(conn: sqlite3.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
    return {name: sql for name, sql in rows if sql}


def test_an_older_database_trades_its_whole_table_indexes_for_partial_ones() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    conn.execute("DROP INDEX idx_token_texts")
    conn.execute("DROP INDEX idx_reference_urls")
    conn.execute("CREATE INDEX idx_token_text ON idx_token (p, text, rid)")  # as before
    conn.execute("CREATE INDEX idx_reference_url ON idx_reference (p, url, rid)")

    apply_schema(conn)

    indexes = _indexes(conn)
    assert "idx_token_text" not in indexes
    assert "idx_reference_url" not in indexes
    assert indexes["idx_token_texts"].endswith("WHERE text IS NOT NULL")
    assert indexes["idx_reference_urls"].endswith("WHERE url IS NOT NULL")


def test_text_and_url_searches_use_the_partial_indexes() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    plans = [
        conn.execute(f"EXPLAIN QUERY PLAN {query}").fetchall()[0][3]
        for query in (
            "SELECT rid FROM idx_token WHERE p = 1 AND text >= 'ab' AND text < 'ac'",
            "SELECT rid FROM idx_reference WHERE p = 1 AND url = 'http://x.org/a'",
        )
    ]
    assert "idx_token_texts" in plans[0]
    assert "idx_reference_urls" in plans[1]


def test_index_rows_are_written_with_the_columns_their_tables_have() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    for table, columns in INDEX_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        assert set(columns) == have, table
    (trigger,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'resource_unindex'"
    ).fetchone()
    assert all(f"DELETE FROM {table} " in trigger for table in INDEX_COLUMNS)


def test_an_older_database_gets_the_event_time_column_empty() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    conn.execute(
        "INSERT INTO version (rid, type, id, version, updated, method) "
        "VALUES (1, 'Patient', 'a', 1, 5, 'DELETE')"
    )
    conn.execute("ALTER TABLE version DROP COLUMN event_time")  # as written before it

    apply_schema(conn)

    assert conn.execute("SELECT id, event_time FROM version").fetchall() == [("a", None)]


def test_an_upgrade_that_rebuilds_says_so_and_a_current_database_does_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    conn.execute("DROP INDEX idx_token_texts")
    conn.execute("DROP TABLE date_width")

    with caplog.at_level(logging.WARNING, logger="fhirport.storage"):
        apply_schema(conn)
        upgraded = [r.getMessage() for r in caplog.records]
        caplog.clear()
        apply_schema(conn)

    assert len(upgraded) == 2
    assert "(index idx_token_texts, date widths) in one transaction" in upgraded[0]
    assert upgraded[1].startswith("Upgraded :memory: in ")
    assert caplog.records == []


@pytest.mark.anyio
async def test_the_writer_checkpoints_every_ten_thousand_pages(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "checkpoints.sqlite3")
    await store.open()
    try:
        pages = await store.writer.submit(
            lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        )
    finally:
        await store.close()

    assert pages == 10_000
