"""Write a resource's search index entries into the SQLite ``idx_*`` tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from server.storage.sqlite.schema import INDEX_COLUMNS, INDEX_TABLES

if TYPE_CHECKING:
    from server.search.index_entries import IndexEntries
    from server.storage.port import Write


class ParamKeys:
    """Small integer keys for (type, search parameter), cached per connection owner."""

    def __init__(self) -> None:
        self._types: dict[str, _TypeKeys] = {}

    def _of(self, resource_type: str) -> _TypeKeys:
        known = self._types.get(resource_type)
        if known is None:
            known = self._types[resource_type] = _TypeKeys(self, resource_type)
        return known

    def get(self, conn: sqlite3.Connection, resource_type: str, code: str) -> int | None:
        """Return the key of a parameter, or None if nothing was ever indexed under it."""
        known = self._of(resource_type)
        key = known.get(code)
        if key is None:
            row = conn.execute(
                "SELECT p FROM search_param WHERE type = ? AND code = ?", (resource_type, code)
            ).fetchone()
            if row is None:
                return None
            key = known[code] = int(row[0])
        return key

    def ensure(self, conn: sqlite3.Connection, resource_type: str, code: str) -> int:
        """Return the key of a parameter, creating it (inside the caller's transaction)."""
        key = self.get(conn, resource_type, code)
        if key is None:
            cursor = conn.execute(
                "INSERT INTO search_param (type, code) VALUES (?, ?)", (resource_type, code)
            )
            key = self._of(resource_type)[code] = int(cursor.lastrowid or 0)
        return key

    def writable(self, conn: sqlite3.Connection, resource_type: str) -> Mapping[str, int]:
        """A type's keys by code, a code not seen yet created on first use (``ensure``).

        For the writer, which builds some forty index rows a write: a subscript each
        instead of a call.
        """
        known = self._of(resource_type)
        known.conn = conn
        return known

    def forget_uncommitted(self) -> None:
        """Forget every key: a rolled-back write may have created some of them."""
        self._types.clear()


class _TypeKeys(dict[str, int]):
    """One type's parameter keys by code; a missing code goes to ``ParamKeys.ensure``."""

    def __init__(self, owner: ParamKeys, resource_type: str) -> None:
        super().__init__()
        self.owner = owner
        self.resource_type = resource_type
        self.conn: sqlite3.Connection | None = None

    def __missing__(self, code: str) -> int:
        if self.conn is None:
            raise KeyError(code)
        return self.owner.ensure(self.conn, self.resource_type, code)


class DateWidths:
    """Keeps ``date_width`` an upper bound of each date parameter's ``high - low``.

    Remembers the widths it read or wrote so that a write of a value no wider than
    before costs no statement; forgotten on any rollback, since what it remembers may
    then never have been committed.
    """

    def __init__(self) -> None:
        self._widest: dict[int, int] = {}

    def widen(self, conn: sqlite3.Connection, p: int, width: int) -> None:
        widest = self._widest.get(p)
        if widest is None:
            row = conn.execute("SELECT widest FROM date_width WHERE p = ?", (p,)).fetchone()
            widest = -1 if row is None else int(row[0])
        if width > widest:
            conn.execute(
                "INSERT INTO date_width (p, widest) VALUES (?, ?) "
                "ON CONFLICT (p) DO UPDATE SET widest = max(widest, excluded.widest)",
                (p, width),
            )
            widest = width
        self._widest[p] = widest

    def forget_uncommitted(self) -> None:
        self._widest.clear()


def _insert(table: str) -> str:
    columns = INDEX_COLUMNS[table]
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names


_INSERTS = {table: _insert(table) for table in INDEX_COLUMNS}


def resource_rows(
    conn: sqlite3.Connection,
    keys: ParamKeys,
    resource_type: str,
    rid: int,
    entries: IndexEntries,
) -> dict[str, list[tuple[object, ...]]]:
    """The index rows of one resource version, by table (``index_rows``)."""
    rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in INDEX_COLUMNS}
    index_rows(rows, keys.writable(conn, resource_type), rid, entries)
    return rows


def insert_index_rows(
    conn: sqlite3.Connection, widths: DateWidths, rows: Mapping[str, list[tuple[object, ...]]]
) -> None:
    """Insert index rows (by table, as ``index_rows`` builds them), one ``executemany``
    per table, widening the dates'.

    (One INSERT ... SELECT FROM json_each per table was tried: it costs more SQLite time
    per row than it saves in GIL hand-offs, and the HL7 import was slower; bench/RESULTS.md.)
    """
    for table, table_rows in rows.items():
        if table_rows:
            conn.executemany(_INSERTS[table], table_rows)
    for key, low, high, _ in rows.get("idx_date", ()):
        widths.widen(conn, cast(int, key), cast(int, high) - cast(int, low))


def index_rows(
    rows: dict[str, list[tuple[object, ...]]],
    p: Mapping[str, int],
    rid: int,
    entries: IndexEntries,
) -> None:
    """Add the index rows of ``entries`` for ``rid`` to ``rows``, by table, each row's
    values in the order of the table's ``INDEX_COLUMNS``."""
    rows["idx_string"] += [(p[e.param], e.folded, e.exact, rid) for e in entries.strings]
    rows["idx_token"] += [(p[e.param], e.system, e.code, e.text, rid) for e in entries.tokens]
    rows["idx_date"] += [(p[e.param], e.low, e.high, rid) for e in entries.dates]
    rows["idx_reference"] += [
        (p[e.param], e.target_type, e.target_id, e.url, rid) for e in entries.references
    ]
    rows["idx_uri"] += [(p[e.param], e.value, rid) for e in entries.uris]
    # Every parameter with a value gets a sort row (NULL when its values do not sort,
    # a system-only token say): the rows also answer :missing.
    sort_keys = entries.sort_keys
    rows["idx_sort"] += [
        (p[code], rid, sort_keys.get(code)) for code in sorted(entries.present | sort_keys.keys())
    ]
    rows["idx_ref_date"] += [
        (p[r.param], p[d.param], r.target_type, r.target_id, d.low, d.high, rid)
        for r in entries.references
        if r.target_id is not None and not r.param.startswith("_")
        for d in entries.dates
        if not d.param.startswith("_")
    ]


# A job with at least this many writes clears its resources' index rows up front.
BULK_UNINDEX = 32


def clear_replaced(conn: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """Delete the index rows of every stored resource the writes replace, one
    ``executemany`` per index table.

    Otherwise each write would clear its own, one resource at a time (a delete through
    the ``resource_unindex`` trigger, an update row by row, ``index_update``); in a job
    of thousands of writes (a merge repointing a large record) those runs cost most of
    the job. Cleared first, each finds nothing left to delete. Same transaction: a write
    of the job that fails rolls these deletes back with it.
    """
    rids: list[tuple[int]] = []
    for write in writes:
        if write.expected_version == 0:
            continue
        row = conn.execute(
            "SELECT rid FROM resource WHERE type = ? AND id = ?",
            (write.version.resource_type, write.version.id),
        ).fetchone()
        if row is not None:
            rids.append((int(row[0]),))
    if rids:
        for table in INDEX_TABLES:
            conn.executemany(f"DELETE FROM {table} WHERE rid = ?", rids)  # noqa: S608 - fixed names
