"""The outbound HL7v2 feed's outbox in SQLite: the ``hl7_outbox`` table.

A row per entry keyed by its id; the destination and status are columns (what the
sender and the listing select on), the rest one JSON document.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from server.storage.outbox_codec import outbox_document, outbox_entry, requeued
from server.storage.port import OutboxEntry, OutboxQuery, outbox_time_key

DDL = (
    """CREATE TABLE IF NOT EXISTS hl7_outbox (
        id TEXT PRIMARY KEY,
        destination TEXT NOT NULL,
        status TEXT NOT NULL,
        doc BLOB NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS hl7_outbox_due ON hl7_outbox (destination, status, id)",
    "CREATE INDEX IF NOT EXISTS hl7_outbox_status ON hl7_outbox (status, id)",
    # Who delivers each destination's entries, until when (server.hl7v2.outbound.delivery).
    """CREATE TABLE IF NOT EXISTS hl7_outbox_lease (
        destination TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until INTEGER NOT NULL
    ) WITHOUT ROWID""",
)


def _row(entry: OutboxEntry) -> tuple[str, str, str, bytes]:
    return entry.id, entry.destination, entry.status, orjson.dumps(outbox_document(entry))


def outbox_put(conn: sqlite3.Connection, entries: Sequence[OutboxEntry]) -> None:
    """Insert new entries, or replace stored ones (same id) with their new state."""
    conn.executemany(
        "INSERT OR REPLACE INTO hl7_outbox (id, destination, status, doc) VALUES (?, ?, ?, ?)",
        [_row(entry) for entry in entries],
    )


def outbox_due(conn: sqlite3.Connection, destination: str, limit: int) -> list[OutboxEntry]:
    """A destination's first pending entries in id order."""
    rows = conn.execute(
        "SELECT doc FROM hl7_outbox WHERE destination = ? AND status = 'pending' "
        "ORDER BY id LIMIT ?",
        (destination, limit),
    )
    return [outbox_entry(orjson.loads(doc)) for (doc,) in rows]


def outbox_list(conn: sqlite3.Connection, query: OutboxQuery) -> list[OutboxEntry]:
    """Entries of a status and destination (None: any) after ``query.after``, in id order."""
    where, values = ["id > ?"], [query.after or ""]
    for column, value in (("status", query.status), ("destination", query.destination)):
        if value is not None:
            where.append(f"{column} = ?")
            values.append(value)
    params: list[Any] = [*values, query.count]
    rows = conn.execute(
        f"SELECT doc FROM hl7_outbox WHERE {' AND '.join(where)} "  # noqa: S608 - fixed names
        "ORDER BY id LIMIT ?",
        params,
    )
    return [outbox_entry(orjson.loads(doc)) for (doc,) in rows]


def outbox_depth(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    """Pending and failed entries by (destination, status)."""
    rows = conn.execute(
        "SELECT destination, status, count(*) FROM hl7_outbox "
        "WHERE status IN ('pending', 'failed') GROUP BY destination, status"
    )
    return {(destination, status): count for destination, status, count in rows}


def outbox_requeue(conn: sqlite3.Connection, ids: Sequence[str]) -> list[OutboxEntry]:
    """Make the failed entries among ``ids`` pending again (in the writer's transaction,
    so the read and the change are one); return them in id order."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT doc FROM hl7_outbox WHERE status = 'failed' AND id IN ({marks}) "  # noqa: S608
        "ORDER BY id",
        list(ids),
    )
    entries = [requeued(outbox_entry(orjson.loads(doc))) for (doc,) in rows]
    outbox_put(conn, entries)
    return entries


PURGE_SLICE = 5000  # entries removed per transaction


def outbox_purge_slice(conn: sqlite3.Connection, before: int) -> int:
    """Remove up to PURGE_SLICE sent entries made before ``before``; return how many."""
    cursor = conn.execute(
        "DELETE FROM hl7_outbox WHERE id IN (SELECT id FROM hl7_outbox "
        "WHERE status = 'sent' AND id < ? LIMIT ?)",
        (outbox_time_key(before), PURGE_SLICE),
    )
    return cursor.rowcount


def outbox_lease(
    conn: sqlite3.Connection, destination: str, owner: str, until: int, now: int
) -> bool:
    """Take or renew a destination's delivery lease (in the writer's transaction)."""
    cursor = conn.execute(
        "INSERT INTO hl7_outbox_lease (destination, owner, until) VALUES (?, ?, ?) "
        "ON CONFLICT (destination) DO UPDATE SET owner = excluded.owner, until = excluded.until "
        "WHERE hl7_outbox_lease.until <= ? OR hl7_outbox_lease.owner = excluded.owner",
        (destination, owner, until, now),
    )
    return cursor.rowcount == 1


def outbox_release(conn: sqlite3.Connection, destination: str, owner: str) -> None:
    """Give a destination's delivery lease back, if ``owner`` holds it."""
    conn.execute(
        "UPDATE hl7_outbox_lease SET until = 0 WHERE destination = ? AND owner = ?",
        (destination, owner),
    )
