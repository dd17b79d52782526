"""Exclusive holds in SQLite: one ``held_key`` row per key, naming its holder (see the port)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from server.storage.port import Holds, HoldTaken
from server.storage.sqlite.multirow import insert_rows

DDL = (
    """CREATE TABLE IF NOT EXISTS held_key (
        key TEXT PRIMARY KEY, holder TEXT NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS held_key_holder ON held_key (holder)",
)

# Bound parameters per statement, well under SQLite's limit.
_CHUNK = 500


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def apply_holds(conn: sqlite3.Connection, holds: Holds, holder: str) -> None:
    """Make ``holder``'s keys exactly ``holds.keys``, or raise HoldTaken naming another's.

    The writer thread serialises writes (across processes too), so looking first and
    writing after decides every key on one state.
    """
    keys = sorted(holds.keys)
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        # fetchall: a cursor left unfinished (by the raise below) would keep a read
        # transaction open on the writer's connection, and its next BEGIN IMMEDIATE would
        # fail at once when another process has written since.
        rows = conn.execute(
            f"SELECT key, holder FROM held_key WHERE key IN ({marks})",  # noqa: S608 - marks only
            chunk,
        ).fetchall()
        for key, other in rows:
            if other != holder and other not in holds.replaceable:
                raise HoldTaken(key, other)
    conn.execute("DELETE FROM held_key WHERE holder = ?", (holder,))
    rows = [(key, holder) for key in keys]
    insert_rows(conn, "held_key", ("key", "holder"), rows, verb="INSERT OR REPLACE")
