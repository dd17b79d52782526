"""AuditEvents on SQLite: the ``audit_event`` and ``audit_link`` tables (server.storage.audit_rows).

``audit_event`` has a row per event (``aid`` its row id, in the order events were
stored) with its bytes, version, time, date range and signature; ``audit_link`` a row
per value of the parameters that differ from event to event, the rest being the
signature's (``server.storage.sqlite.audit_signatures``). An event keeps its current
version only: AuditEvents are written once (the API refuses to change them), and a store
that is asked to replace one replaces it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from server.storage.audit_rows import AUDIT_TYPE, AuditRecord, Link, audit_record
from server.storage.cursor import decode_cursor, encode_cursor
from server.storage.port import (
    HistoryPage,
    HistoryQuery,
    Method,
    StoredVersion,
    VersionConflict,
    Write,
)
from server.storage.sqlite.audit_signatures import intern, split
from server.storage.sqlite.multirow import insert_rows
from server.storage.sqlite.type_counts import count_new_events

# Events per bucket of the link index, as a power of two: the more, the more leaves a
# flush's links are spread over; the fewer, the more buckets a search seeks its value in.
LINK_BUCKET_BITS: Final = 13
# An audit_link row's bucket, written alike in the index and in the searches that use it.
LINK_BUCKET: Final = f"(aid >> {LINK_BUCKET_BITS})"
# Named by its bucket size: an index of another size is another index (RETIRED), which
# the searches' expression would not match.
LINK_INDEX: Final = f"audit_link_b{LINK_BUCKET_BITS}"

DDL: Final = (
    """CREATE TABLE IF NOT EXISTS audit_event (
        aid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        method TEXT NOT NULL,
        body BLOB,
        date_low INTEGER,
        date_high INTEGER,
        sid INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS audit_event_date ON audit_event (date_low)",
    "CREATE INDEX IF NOT EXISTS audit_event_updated ON audit_event (updated)",
    """CREATE TABLE IF NOT EXISTS audit_link (
        aid INTEGER NOT NULL, p TEXT NOT NULL, system TEXT, code TEXT, text TEXT)""",
    # The event's bucket first, then the value, then the event. Keyed by the value
    # alone, each stored event's links went to a random leaf of one index spanning
    # every event (the patients read are any of them), and those leaves, written to the
    # WAL, to the statement journal and by the checkpoint, were most of what storing an
    # event cost. Within the newest bucket the links of a flush land in the few leaves
    # it has. An event's links naming one resource (a patient as ``entity`` and as
    # ``patient``) still sit side by side. A search by value seeks it in each bucket
    # (server.storage.sqlite.audit_where).
    f"CREATE INDEX IF NOT EXISTS {LINK_INDEX} ON audit_link ({LINK_BUCKET}, code, aid, p)",
    "CREATE INDEX IF NOT EXISTS audit_link_aid ON audit_link (aid)",
)

# Indexes of an older layout, dropped on open (their successors are built then).
RETIRED: Final = ("audit_link_value", "audit_link_code", "audit_link_bucket", "audit_link_b15")

COLUMNS: Final = "id, version, updated, method, body"
_EVENT_COLUMNS: Final = (
    "id",
    "version",
    "updated",
    "method",
    "body",
    "date_low",
    "date_high",
    "sid",
)
_INSERT = (
    f"INSERT INTO audit_event ({', '.join(_EVENT_COLUMNS)}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})"
)
_LINK_COLUMNS: Final = ("aid", "p", "system", "code", "text")
_LINK = "INSERT INTO audit_link (aid, p, system, code, text) VALUES (?, ?, ?, ?, ?)"
# Rows a multi-row INSERT carries (its parameters stay well under SQLite's limit).
_EVENTS_AT_ONCE: Final = 128
_LINKS_AT_ONCE: Final = 512
EXPUNGE_SLICE: Final = 5000


def version_of(row: Sequence[Any]) -> StoredVersion:
    """A StoredVersion from a row of ``COLUMNS``."""
    return StoredVersion(AUDIT_TYPE, row[0], row[1], row[2], Method(row[3]), row[4])


def store_events(conn: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """Store AuditEvent versions (new ones, or the next version of one), links included.

    Raise VersionConflict when a write's expected version is not the stored one.
    """
    records = [audit_record(w) for w in writes]
    split_links = [split(r.links) for r in records]
    sids = intern(conn, [key for _, key in split_links])
    if all(w.expected_version == 0 for w in writes):
        _insert_new(conn, records, [(own, sids[key]) for own, key in split_links])
        return
    known = _versions(conn, [r.write.version.id for r in records])
    links: list[tuple[Any, ...]] = []
    for record, (own, key) in zip(records, split_links, strict=True):
        new = record.write.version
        current = known.get(new.id, (None, 0))
        if current[1] != record.write.expected_version:
            raise VersionConflict(AUDIT_TYPE, new.id, current[1])
        aid = _put(conn, record, sids[key], current[0])
        known[new.id] = (aid, new.version)
        links += [(aid, *link) for link in own]
    conn.executemany(_LINK, links)


def _insert_new(
    conn: sqlite3.Connection, records: list[AuditRecord], parts: list[tuple[list[Link], int]]
) -> None:
    """Insert new events and their own links, a few multi-row statements for the batch.

    Multi-row ``INSERT ... VALUES`` rather than ``executemany``: each row of an
    ``executemany`` lets go of the GIL for its step and waits to take it back, and on a
    server answering reads meanwhile those waits cost more than the rows; and rather
    than ``json_each``, which parses each element again for every column it reads.
    Writers are serialised, so the row ids this numbers from the largest one are free.
    """
    (last,) = conn.execute("SELECT coalesce(max(aid), 0) FROM audit_event").fetchone()
    events: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    for aid, (record, (own, sid)) in enumerate(zip(records, parts, strict=True), last + 1):
        new = record.write.version
        low, high = record.date or (None, None)
        events.append(
            (aid, new.id, new.version, new.last_updated, new.method, new.body, low, high, sid)
        )
        links += [(aid, *link) for link in own]
    try:
        _insert_rows(conn, "audit_event", ("aid", *_EVENT_COLUMNS), events, _EVENTS_AT_ONCE)
    except sqlite3.IntegrityError:  # an id stored already (the job's savepoint undoes the rest)
        ids = [r.write.version.id for r in records]
        known = _versions(conn, ids)
        # Stored before this batch (a lower row id), or twice in it.
        taken = next((i for i in ids if known.get(i, (last + 1,))[0] <= last), None)
        taken = taken or next(i for n, i in enumerate(ids) if i in ids[:n])
        raise VersionConflict(AUDIT_TYPE, taken, known[taken][1]) from None
    _insert_rows(conn, "audit_link", _LINK_COLUMNS, links, _LINKS_AT_ONCE)
    count_new_events(conn, sum(1 for r in records if r.write.version.body is not None))


def _insert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    at_once: int,
) -> None:
    # FAIL, not the default ABORT: a statement that ABORTs undoes its own rows, so SQLite
    # first copies each page a multi-row statement changes to a statement journal. A
    # failing batch is undone whole by its job's savepoint or the group's rollback
    # (server.storage.sqlite.threads), which makes that copy wasted work.
    insert_rows(conn, table, columns, rows, verb="INSERT OR FAIL", largest=at_once)


def _versions(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[int | None, int]]:
    found: dict[str, tuple[int | None, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for aid, event_id, version in conn.execute(
            f"SELECT aid, id, version FROM audit_event WHERE id IN ({marks})",  # noqa: S608 - placeholders
            chunk,
        ):
            found[event_id] = (aid, version)
    return found


def _put(conn: sqlite3.Connection, record: AuditRecord, sid: int, aid: int | None) -> int:
    new = record.write.version
    low, high = record.date or (None, None)
    values = (new.id, new.version, new.last_updated, new.method, new.body, low, high, sid)
    if aid is None:
        inserted = int(conn.execute(_INSERT, values).lastrowid or 0)
        count_new_events(conn, int(new.body is not None))
        return inserted
    conn.execute("DELETE FROM audit_link WHERE aid = ?", (aid,))
    conn.execute(
        "UPDATE audit_event SET id = ?, version = ?, updated = ?, method = ?, body = ?, "
        "date_low = ?, date_high = ?, sid = ? WHERE aid = ?",
        (*values, aid),
    )
    return aid


def read_events(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, StoredVersion]:
    """The stored version of each of ``ids`` that exists."""
    found: dict[str, StoredVersion] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT {COLUMNS} FROM audit_event WHERE id IN ({marks})",  # noqa: S608 - placeholders
            chunk,
        ):
            found[row[0]] = version_of(row)
    return found


def event_history(conn: sqlite3.Connection, query: HistoryQuery) -> HistoryPage:
    """AuditEvent history, newest first: one event's version, or every event's."""
    clauses: list[str] = []
    args: list[Any] = []
    if query.resource_id is not None:
        clauses.append("id = ?")
        args.append(query.resource_id)
    if query.since is not None:
        clauses.append("updated >= ?")
        args.append(query.since)
    if query.cursor:
        clauses.append("aid < ?")
        args.append(decode_cursor(query.cursor, {"seq": int})["seq"])
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT {COLUMNS}, aid FROM audit_event {where} ORDER BY aid DESC LIMIT ?",  # noqa: S608 - fixed fragments
        (*args, query.count + 1),
    ).fetchall()
    more = len(rows) > query.count
    rows = rows[: query.count]
    cursor = encode_cursor({"seq": rows[-1][5]}) if more and rows else None
    return HistoryPage([version_of(r) for r in rows], cursor)


def expunge_slice(conn: sqlite3.Connection, before: int) -> int:
    """Remove up to EXPUNGE_SLICE events last updated before ``before``; return how many."""
    aids = [
        (row[0],)
        for row in conn.execute(
            "SELECT aid FROM audit_event WHERE updated < ? LIMIT ?", (before, EXPUNGE_SLICE)
        )
    ]
    conn.executemany("DELETE FROM audit_link WHERE aid = ?", aids)
    conn.executemany("DELETE FROM audit_event WHERE aid = ?", aids)
    return len(aids)


def events_as_of(
    conn: sqlite3.Connection, as_of: int, after: str | None, count: int
) -> tuple[list[StoredVersion], str | None]:
    """The events stored at or before ``as_of`` (bulk export's snapshot), in id order.

    An event's only version is its current one: one updated since the snapshot is
    left out, as a resource created after it would be.
    """
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM audit_event WHERE id > ? ORDER BY id LIMIT ?",  # noqa: S608 - fixed fragments
        (after or "", count),
    ).fetchall()
    versions = [
        version_of(r) for r in rows if r[2] <= as_of and r[3] != Method.DELETE and r[4] is not None
    ]
    return versions, rows[-1][0] if len(rows) == count else None


# Databases written before AuditEvents had tables of their own kept them as resources:
# each current version moves here with the links its index rows give, and its rows
# there go. Older versions of an event are not kept (events are written once).
_MOVE_EVENTS = f"""INSERT INTO audit_event ({COLUMNS}, date_low, date_high)
    SELECT r.id, v.version, v.updated, v.method, v.body,
        (SELECT min(d.low) FROM idx_date d JOIN search_param s ON s.p = d.p
            WHERE d.rid = r.rid AND s.code = 'date'),
        (SELECT max(d.high) FROM idx_date d JOIN search_param s ON s.p = d.p
            WHERE d.rid = r.rid AND s.code = 'date')
    FROM resource r JOIN version v ON v.seq = r.seq
    WHERE r.type = '{AUDIT_TYPE}' ORDER BY r.rid"""  # noqa: S608 - fixed names
_LINKS_FROM = {
    "idx_token": "x.system, x.code, x.text",
    "idx_reference": "x.target_type, x.target_id, x.url",
    "idx_string": "NULL, x.folded, x.exact",
    "idx_uri": "NULL, x.value, NULL",
}
_MOVE_LINKS = [
    f"""INSERT INTO audit_link (aid, p, system, code, text)
    SELECT a.aid, s.code, {columns} FROM resource r JOIN audit_event a ON a.id = r.id
    JOIN {table} x ON x.rid = r.rid JOIN search_param s ON s.p = x.p
    WHERE r.type = '{AUDIT_TYPE}' AND s.code <> '_id'"""  # noqa: S608 - fixed names
    for table, columns in _LINKS_FROM.items()
]


def move_events(conn: sqlite3.Connection, index_tables: Sequence[str]) -> int:
    """Move the AuditEvents an older database kept as resources here; return how many.

    Runs inside the caller's transaction (the schema upgrade's).
    """
    if (
        conn.execute("SELECT 1 FROM resource WHERE type = ? LIMIT 1", (AUDIT_TYPE,)).fetchone()
        is None
    ):
        return 0
    (last,) = conn.execute("SELECT coalesce(max(aid), 0) FROM audit_event").fetchone()
    moved = conn.execute(_MOVE_EVENTS).rowcount
    (live,) = conn.execute(
        "SELECT count(*) FROM audit_event WHERE aid > ? AND body IS NOT NULL", (last,)
    ).fetchone()
    count_new_events(conn, int(live))
    for statement in _MOVE_LINKS:
        conn.execute(statement)
    rids = f"SELECT rid FROM resource WHERE type = '{AUDIT_TYPE}'"  # noqa: S608 - fixed names
    for table in index_tables:
        conn.execute(f"DELETE FROM {table} WHERE rid IN ({rids})")  # noqa: S608 - fixed names
    conn.execute("DELETE FROM version WHERE type = ?", (AUDIT_TYPE,))
    conn.execute("DELETE FROM resource WHERE type = ?", (AUDIT_TYPE,))
    return int(moved)
