"""Insert many rows in a few statements: ``INSERT ... VALUES (...), (...), ...``.

Each statement the sqlite3 module runs lets go of the GIL while SQLite steps and resets
it, and takes the GIL back after. ``executemany`` does that for every row. A booking
holds each minute of each participant (server.scheduling.holds), some ninety keys, and
while the event loop is busy (an HL7v2 import planning the next messages) each of those
hand-offs waits for the event loop to let go of the GIL; an audit trail's flush stores
thousands of events and links. Here rows go in chunks of a power of two (a few
statements, each one of a handful of texts that SQLite's statement cache keeps
prepared), the same rows in the same order.

Not for the index rows: a resource has a few of each kind, and for them SQLite spent
more on multi-row statements than the hand-offs cost (bench/RESULTS.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cache
from itertools import chain


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
    largest: int = 32,
) -> None:
    """Insert ``rows`` (each a value per column) into ``table``, in order.

    ``verb``: ``INSERT``, ``INSERT OR REPLACE`` or ``INSERT OR FAIL``. ``largest``: the
    most rows a statement binds, a power of two (its rows times the columns must stay
    under SQLite's limit on bound parameters, 32,766).
    """
    if largest <= 0 or largest & (largest - 1):
        raise ValueError(f"largest must be a power of two, not {largest}")
    start, size = 0, largest
    while size:
        while len(rows) - start >= size:
            chunk = rows[start : start + size]
            conn.execute(_statement(verb, table, columns, size), list(chain.from_iterable(chunk)))
            start += size
        size //= 2
