"""The HL7v2 message ledger in SQLite."""

from __future__ import annotations

import sqlite3

from server.storage.ledger_codec import details_json, entry_from
from server.storage.port import LedgerEntry

_MANY_CHUNK = 400  # keys per statement (two bound parameters each)

_COLUMNS = ("sender", "control_id", "received", "message_type", "event_time", "outcome", "raw")


def ledger_put(conn: sqlite3.Connection, entry: LedgerEntry) -> None:
    """Record (or replace) the entry of a message."""
    conn.execute(
        "INSERT OR REPLACE INTO hl7_ledger "
        "(sender, control_id, received, message_type, event_time, outcome, raw, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.sender,
            entry.control_id,
            entry.received,
            entry.message_type,
            entry.event_time,
            entry.outcome,
            entry.raw,
            details_json(entry),
        ),
    )


def ledger_get(conn: sqlite3.Connection, sender: str, control_id: str) -> LedgerEntry | None:
    """Return the entry of a message, or None."""
    row = conn.execute(
        f"SELECT {', '.join(_COLUMNS)}, details FROM hl7_ledger "  # noqa: S608 - fixed names
        "WHERE sender = ? AND control_id = ?",
        (sender, control_id),
    ).fetchone()
    if row is None:
        return None
    return entry_from(dict(zip(_COLUMNS, row[:-1], strict=True)), row[-1])


def ledger_get_many(
    conn: sqlite3.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], LedgerEntry | None]:
    """Return the entry of each key (None when absent), in the order asked."""
    found: dict[tuple[str, str], LedgerEntry | None] = dict.fromkeys(keys)
    for start in range(0, len(keys), _MANY_CHUNK):
        chunk = keys[start : start + _MANY_CHUNK]
        pairs = ", ".join(["(?, ?)"] * len(chunk))
        rows = conn.execute(
            f"WITH k(s, c) AS (VALUES {pairs}) SELECT {', '.join(_COLUMNS)}, details "  # noqa: S608
            "FROM k CROSS JOIN hl7_ledger ON sender = k.s AND control_id = k.c",
            [part for key in chunk for part in key],
        ).fetchall()
        for row in rows:
            found[(row[0], row[1])] = entry_from(
                dict(zip(_COLUMNS, row[:-1], strict=True)), row[-1]
            )
    return found


DAY_MICROSECONDS = 86_400_000_000


def ledger_counts(conn: sqlite3.Connection, since: int) -> list[tuple[int, str, int]]:
    """Messages received since ``since`` per UTC day and outcome (the received index)."""
    rows = conn.execute(
        "SELECT received - received % ? AS day, outcome, count(*) FROM hl7_ledger "
        "WHERE received >= ? GROUP BY day, outcome ORDER BY day, outcome",
        (DAY_MICROSECONDS, since),
    ).fetchall()
    return [(int(day), str(outcome), int(count)) for day, outcome, count in rows]
