"""Write a resource's search index entries into the SQLite ``idx_*`` tables."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from server.storage.sqlite_schema import INDEX_TABLES

if TYPE_CHECKING:
    from server.search.index_entries import IndexEntries


class ParamKeys:
    """Small integer keys for (type, search parameter), cached per connection owner."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], int] = {}

    def get(self, conn: sqlite3.Connection, resource_type: str, code: str) -> int | None:
        """Return the key of a parameter, or None if nothing was ever indexed under it."""
        key = self._keys.get((resource_type, code))
        if key is None:
            row = conn.execute(
                "SELECT p FROM search_param WHERE type = ? AND code = ?", (resource_type, code)
            ).fetchone()
            if row is None:
                return None
            key = int(row[0])
            self._keys[(resource_type, code)] = key
        return key

    def ensure(self, conn: sqlite3.Connection, resource_type: str, code: str) -> int:
        """Return the key of a parameter, creating it (inside the caller's transaction)."""
        key = self.get(conn, resource_type, code)
        if key is None:
            cursor = conn.execute(
                "INSERT INTO search_param (type, code) VALUES (?, ?)", (resource_type, code)
            )
            key = int(cursor.lastrowid or 0)
            # Not cached until committed: a rolled-back savepoint would leave a stale key.
        return key

    def forget_uncommitted(self) -> None:
        self._keys.clear()


def clear_index(conn: sqlite3.Connection, rid: int) -> None:
    """Remove every index row of a resource."""
    for table in INDEX_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))  # noqa: S608 - fixed names


def write_index(
    conn: sqlite3.Connection,
    keys: ParamKeys,
    resource_type: str,
    rid: int,
    entries: IndexEntries,
) -> None:
    """Insert the index rows of one resource version."""

    def p(code: str) -> int:
        return keys.ensure(conn, resource_type, code)

    if entries.strings:
        conn.executemany(
            "INSERT INTO idx_string (p, folded, exact, rid) VALUES (?, ?, ?, ?)",
            [(p(e.param), e.folded, e.exact, rid) for e in entries.strings],
        )
    if entries.tokens:
        conn.executemany(
            "INSERT INTO idx_token (p, system, code, text, rid) VALUES (?, ?, ?, ?, ?)",
            [(p(e.param), e.system, e.code, e.text, rid) for e in entries.tokens],
        )
    if entries.dates:
        conn.executemany(
            "INSERT INTO idx_date (p, low, high, rid) VALUES (?, ?, ?, ?)",
            [(p(e.param), e.low, e.high, rid) for e in entries.dates],
        )
    if entries.references:
        conn.executemany(
            "INSERT INTO idx_reference (p, target_type, target_id, url, rid) "
            "VALUES (?, ?, ?, ?, ?)",
            [(p(e.param), e.target_type, e.target_id, e.url, rid) for e in entries.references],
        )
    if entries.uris:
        conn.executemany(
            "INSERT INTO idx_uri (p, value, rid) VALUES (?, ?, ?)",
            [(p(e.param), e.value, rid) for e in entries.uris],
        )
    if entries.present:
        conn.executemany(
            "INSERT OR IGNORE INTO idx_present (p, rid) VALUES (?, ?)",
            [(p(code), rid) for code in sorted(entries.present)],
        )
    if entries.sort_keys:
        conn.executemany(
            "INSERT INTO idx_sort (p, rid, value) VALUES (?, ?, ?)",
            [(p(code), rid, value) for code, value in entries.sort_keys.items()],
        )
    dates = [e for e in entries.dates if not e.param.startswith("_")]
    if dates:
        conn.executemany(
            "INSERT INTO idx_ref_date (pr, pd, target_type, target_id, low, high, rid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (p(r.param), p(d.param), r.target_type, r.target_id, d.low, d.high, rid)
                for r in entries.references
                if r.target_id is not None and not r.param.startswith("_")
                for d in dates
            ],
        )
