"""Replace a stored resource's index rows with a new version's, rewriting only what differs.

A new version of a resource mostly repeats the old one: its names, identifiers,
participants and dates stay, and only a few elements (a status, a time, ``meta``) change.
Deleting every index row of the resource and inserting them all again costs a B-tree
delete and insert in each of a table's indexes for every row; here the stored rows are
read by ``rid`` and compared with the new ones (as multisets: a resource may index the
same value twice), and only the stale ones are deleted and the missing ones inserted.
"""

from __future__ import annotations

import sqlite3
from collections import Counter

from server.storage.sqlite.index import DateWidths, insert_index_rows
from server.storage.sqlite.schema import INDEX_COLUMNS

# How a stale row is found again: by rowid, or by the primary key of a WITHOUT ROWID table.
_ROW_KEYS: dict[str, tuple[str, ...]] = {"idx_sort": ("p", "rid")}


def _statements(table: str) -> tuple[str, str, int]:
    """The SELECT of a rid's rows (each its key, then its values), the DELETE of one row
    by its key, and how many columns the key has."""
    columns = INDEX_COLUMNS[table]
    key = _ROW_KEYS.get(table, ("rowid",))
    select = f"SELECT {', '.join((*key, *columns))} FROM {table} WHERE rid = ?"  # noqa: S608 - fixed names
    delete = f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in key)}"  # noqa: S608
    return select, delete, len(key)


_STATEMENTS = {table: _statements(table) for table in INDEX_COLUMNS}


def replace_index(
    conn: sqlite3.Connection,
    widths: DateWidths,
    rid: int,
    rows: dict[str, list[tuple[object, ...]]],
) -> None:
    """Make the index rows of ``rid`` exactly ``rows`` (``index.resource_rows``)."""
    added: dict[str, list[tuple[object, ...]]] = {}
    for table, wanted_rows in rows.items():
        select, delete, width = _STATEMENTS[table]
        wanted = Counter(wanted_rows)
        stale: list[tuple[object, ...]] = []
        for stored in conn.execute(select, (rid,)).fetchall():
            values = tuple(stored[width:])
            if wanted[values] > 0:
                wanted[values] -= 1
            else:
                stale.append(tuple(stored[:width]))
        if stale:
            conn.executemany(delete, stale)
        added[table] = list(wanted.elements())
    insert_index_rows(conn, widths, added)
