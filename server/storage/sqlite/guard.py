"""Conditional-write guards in SQLite: one row per key, claimed in the write's transaction."""

from __future__ import annotations

import sqlite3

from server.storage.port import Guard, GuardTaken

# The claim's compare-and-swap in one statement: insert a free key, or move it from
# the expected holder (``IS``: a NULL expectation never matches a stored holder).
_CLAIM = (
    "INSERT INTO conditional_guard (key, type, id) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET type = excluded.type, id = excluded.id "
    "WHERE conditional_guard.id IS ?"
)


def claim_guard(conn: sqlite3.Connection, guard: Guard, resource_type: str, holder: str) -> None:
    """Name ``holder`` under the guard's key, or raise GuardTaken with whom it names."""
    claimed = conn.execute(_CLAIM, (guard.key, resource_type, holder, guard.expected_holder))
    if claimed.rowcount == 0:
        row = conn.execute("SELECT id FROM conditional_guard WHERE key = ?", (guard.key,))
        raise GuardTaken(guard.key, str(row.fetchone()[0]))
