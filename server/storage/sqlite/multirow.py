"""Insert many rows in a few statements: ``INSERT ... VALUES (...), (...), ...``.

Each statement the sqlite3 module runs lets go of the GIL while SQLite steps and resets
it, and takes the GIL back after. ``executemany`` does that for every row. A booking
holds each minute of each participant (server.scheduling.holds), some ninety keys, and
while the event loop is busy (an HL7v2 import planning the next messages) each of those
hand-offs waits for the event loop to let go of the GIL. Here rows go in chunks of a
power of two (a few statements, each one of a handful of texts that SQLite's statement
cache keeps prepared), the same rows in the same order.

Not for the index rows: a resource has a few of each kind, and for them SQLite spent
more on multi-row statements than the hand-offs cost (bench/RESULTS.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cache
from itertools import chain

# Chunk sizes, largest first: a statement binds at most 32 rows (7 columns: 224 values,
# well under SQLite's limit on bound parameters).
_SIZES = (32, 16, 8, 4, 2, 1)


@cache
def _statement(verb: str, table: str, columns: tuple[str, ...], rows: int) -> str:
    row = f"({', '.join('?' * len(columns))})"
    values = ", ".join([row] * rows)
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES {values}"


def insert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Sequence[tuple[object, ...]],
    *,
    verb: str = "INSERT",
) -> None:
    """Insert ``rows`` (each a value per column) into ``table``, in order.

    ``verb``: ``INSERT``, or ``INSERT OR REPLACE``.
    """
    start = 0
    for size in _SIZES:
        while len(rows) - start >= size:
            chunk = rows[start : start + size]
            conn.execute(_statement(verb, table, columns, size), list(chain.from_iterable(chunk)))
            start += size
