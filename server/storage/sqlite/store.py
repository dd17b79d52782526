"""The embedded store: SQLite in WAL mode, durable commits, queries off the event loop."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from server.search.query import SearchQuery
from server.storage.audit_rows import AUDIT_TYPE, is_audit
from server.storage.coalesce import Coalesced
from server.storage.cursor import decode_cursor, encode_cursor
from server.storage.port import (
    HistoryPage,
    HistoryQuery,
    LedgerEntry,
    Method,
    OutboxEntry,
    OutboxQuery,
    SearchPage,
    StoredVersion,
    StoreUnavailable,
    VersionConflict,
    Write,
)
from server.storage.sqlite.append import append_new
from server.storage.sqlite.audit import (
    EXPUNGE_SLICE,
    event_history,
    expunge_slice,
    read_events,
    store_events,
)
from server.storage.sqlite.audit_search import run_audit_search
from server.storage.sqlite.guard import claim_guard
from server.storage.sqlite.holds import apply_holds
from server.storage.sqlite.index import (
    BULK_UNINDEX,
    DateWidths,
    ParamKeys,
    clear_replaced,
    insert_index_rows,
    resource_rows,
)
from server.storage.sqlite.index_update import replace_index
from server.storage.sqlite.integrity import check_references
from server.storage.sqlite.ledger import ledger_counts, ledger_get, ledger_get_many, ledger_put
from server.storage.sqlite.outbox import (
    PURGE_SLICE,
    outbox_depth,
    outbox_due,
    outbox_lease,
    outbox_list,
    outbox_purge_slice,
    outbox_put,
    outbox_release,
    outbox_requeue,
)
from server.storage.sqlite.referrers import select_referrers
from server.storage.sqlite.schema import (
    INDEX_TABLES,
    PRAGMAS,
    READER_PRAGMAS,
    apply_schema,
    missing_objects,
)
from server.storage.sqlite.search import run_search
from server.storage.sqlite.threads import CommitStats, ReaderPool, WriterThread
from server.storage.sqlite.type_counts import live_count

_VERSION_COLUMNS = "v.type, v.id, v.version, v.updated, v.method, v.body, v.event_time, v.owners"
_EXPUNGE_SLICE = 5000  # resources removed per transaction
_READ_MANY_CHUNK = 400  # keys per statement (two bound parameters each)


def _version(row: tuple[Any, ...]) -> StoredVersion:
    return StoredVersion(
        resource_type=row[0],
        id=row[1],
        version=row[2],
        last_updated=row[3],
        method=Method(row[4]),
        body=row[5],
        event_time=row[6],
        owners=row[7],
    )


class SqliteStore:
    """A Store on one SQLite database file."""

    def __init__(self, path: str | Path, *, readers: int = 4) -> None:
        self.path = Path(path)
        self._reader_count = readers
        self._write_keys = ParamKeys()
        self._widths = DateWidths()
        self._read_keys = ParamKeys()  # keys are never removed, so readers may cache them
        self._writer: WriterThread | None = None
        self._readers: ReaderPool | None = None
        self._key_reader: ReaderPool | None = None
        self._point_reads: Coalesced[tuple[str, str], StoredVersion | None] = Coalesced(
            self.read_many, _READ_MANY_CHUNK
        )

    def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in PRAGMAS:
            conn.execute(pragma)
        if read_only:
            for pragma in READER_PRAGMAS:
                conn.execute(pragma)
        else:
            # Every job runs inside the group's transaction (threads.py), so each UPDATE
            # that fires resource_unindex (a delete) also journals its statement; an
            # in-memory statement journal made one job of thousands of such updates
            # quadratic. From a file, past SQLite's spill threshold, it stays linear;
            # small jobs never reach the threshold and never touch the file.
            conn.execute("PRAGMA temp_store=FILE")
        return conn

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(self.path, isolation_level=None) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                apply_schema(conn)
            conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"Cannot open SQLite store at {self.path}: {exc}") from None
        self._writer = WriterThread(
            lambda: self._connect(read_only=False), self._forget_uncommitted
        )
        self._writer.start()
        self._readers = ReaderPool(lambda: self._connect(read_only=True), self._reader_count)
        # Reads by key (the requests' reads, coalesced a turn at a time) on a thread and
        # connection of their own. Every commit empties each reader connection's page
        # cache (SQLite drops it when another connection changed the database): spread
        # over the pool, each read re-read its pages on whichever connection it woke, and
        # woke threads in turn; on one, one cache fills again between the audit trail's
        # commits. Searches, which may take long, stay on the pool and hold none of them up.
        self._key_reader = ReaderPool(lambda: self._connect(read_only=True), 1, "sqlite-key-reader")

    def _forget_uncommitted(self) -> None:
        self._write_keys.forget_uncommitted()
        self._widths.forget_uncommitted()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        for pool in (self._readers, self._key_reader):
            if pool is not None:
                pool.close()
        self._readers = self._key_reader = None

    @property
    def readers(self) -> ReaderPool:
        if self._readers is None:
            raise StoreUnavailable("Store is not open")
        return self._readers

    @property
    def key_reader(self) -> ReaderPool:
        if self._key_reader is None:
            raise StoreUnavailable("Store is not open")
        return self._key_reader

    @property
    def commit_stats(self) -> CommitStats | None:
        """The writer's group commits so far (None while closed)."""
        return self._writer.stats if self._writer is not None else None

    async def probe(self) -> None:
        try:
            missing = await self.readers.run(missing_objects)
            await self.writer.submit(_nothing)  # BEGIN IMMEDIATE ... COMMIT
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store at {self.path}: {exc}") from None
        if missing:
            raise StoreUnavailable(f"SQLite store at {self.path} lacks {', '.join(missing)}")

    @property
    def writer(self) -> WriterThread:
        if self._writer is None:
            raise StoreUnavailable("Store is not open")
        return self._writer

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        if resource_type == AUDIT_TYPE:
            found = await self.key_reader.run(lambda conn: read_events(conn, [resource_id]))
            return found.get(resource_id)

        # The reads of one event-loop turn (concurrent requests) share one reader hop.
        key = (resource_type, resource_id)
        return (await self._point_reads.get_many((key,)))[key]

    async def read_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredVersion | None]:
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], StoredVersion | None] = dict.fromkeys(wanted)
        if not wanted:
            return found

        events = [i for t, i in wanted if t == AUDIT_TYPE]
        wanted = [key for key in wanted if key[0] != AUDIT_TYPE]

        def query(conn: sqlite3.Connection) -> None:
            if events:
                found.update(((AUDIT_TYPE, i), v) for i, v in read_events(conn, events).items())
            # Well under SQLite's limit of bound parameters per statement.
            for start in range(0, len(wanted), _READ_MANY_CHUNK):
                chunk = wanted[start : start + _READ_MANY_CHUNK]
                pairs = ", ".join(["(?, ?)"] * len(chunk))
                # CROSS JOIN keeps the keys outermost: one index lookup per key, no scan.
                rows = conn.execute(
                    f"WITH k(t, i) AS (VALUES {pairs}) SELECT {_VERSION_COLUMNS} FROM k "  # noqa: S608
                    "CROSS JOIN resource r ON r.type = k.t AND r.id = k.i "
                    "JOIN version v ON v.seq = r.seq",
                    [part for key in chunk for part in key],
                ).fetchall()
                for row in rows:
                    found[(row[0], row[1])] = _version(row)

        await self.key_reader.run(query)
        return found

    async def vread(
        self, resource_type: str, resource_id: str, version: int
    ) -> StoredVersion | None:
        if resource_type == AUDIT_TYPE:  # an event keeps its current version only
            current = await self.read(resource_type, resource_id)
            return current if current is not None and current.version == version else None

        def query(conn: sqlite3.Connection) -> StoredVersion | None:
            row = conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM resource r JOIN version v ON v.rid = r.rid "  # noqa: S608
                "WHERE r.type = ? AND r.id = ? AND v.version = ?",
                (resource_type, resource_id, version),
            ).fetchone()
            return _version(row) if row else None

        return await self.key_reader.run(query)

    async def write(
        self,
        writes: Sequence[Write],
        ledger: LedgerEntry | None = None,
        *,
        outbox: Sequence[OutboxEntry] = (),
    ) -> None:
        events = [w for w in writes if is_audit(w)]
        resources = [w for w in writes if not is_audit(w)] if events else writes

        def apply(conn: sqlite3.Connection) -> None:
            if any(w.requires or w.unreferenced is not None for w in writes):
                check_references(conn, writes)
            if len(resources) >= BULK_UNINDEX:
                clear_replaced(conn, resources)
            for write in resources:
                self._apply_one(conn, write)
            if events:
                store_events(conn, events)
            if ledger is not None:
                ledger_put(conn, ledger)
            if outbox:
                outbox_put(conn, outbox)

        await self.writer.submit(apply)

    async def outbox_due(self, destination: str, limit: int) -> list[OutboxEntry]:
        return await self.readers.run(lambda conn: outbox_due(conn, destination, limit))

    async def outbox_update(self, entries: Sequence[OutboxEntry]) -> None:
        await self.writer.submit(lambda conn: outbox_put(conn, entries))

    async def outbox_list(self, query: OutboxQuery) -> list[OutboxEntry]:
        return await self.readers.run(lambda conn: outbox_list(conn, query))

    async def outbox_purge(self, before: int) -> int:
        # In slices, each its own commit: a long purge must not hold the writer.
        total = 0
        while True:
            removed = await self.writer.submit(lambda conn: outbox_purge_slice(conn, before))
            total += removed
            if removed < PURGE_SLICE:
                return total

    async def outbox_requeue(self, ids: Sequence[str]) -> list[OutboxEntry]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        return await self.writer.submit(lambda conn: outbox_requeue(conn, wanted))

    async def outbox_depth(self) -> dict[tuple[str, str], int]:
        return await self.readers.run(outbox_depth)

    async def outbox_lease(self, destination: str, owner: str, until: int, now: int) -> bool:
        return await self.writer.submit(
            lambda conn: outbox_lease(conn, destination, owner, until, now)
        )

    async def outbox_release(self, destination: str, owner: str) -> None:
        await self.writer.submit(lambda conn: outbox_release(conn, destination, owner))

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None:
        return await self.readers.run(lambda conn: ledger_get(conn, sender, control_id))

    async def ledger_counts(self, since: int) -> list[tuple[int, str, int]]:
        return await self.readers.run(lambda conn: ledger_counts(conn, since))

    async def ledger_get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LedgerEntry | None]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        return await self.readers.run(lambda conn: ledger_get_many(conn, wanted))

    async def append(self, writes: Sequence[Write]) -> None:
        events = sum(is_audit(w) for w in writes)
        if events == len(writes):  # the audit trail's batches: one executemany
            await self.writer.submit(lambda conn: store_events(conn, writes))
        elif events:
            await self.write(writes)
        else:
            await self.writer.submit(
                lambda conn: append_new(conn, self._write_keys, self._widths, writes)
            )

    # One SQLite transaction per write, always.
    transactions = True

    async def referrers(
        self,
        resource_type: str,
        resource_id: str,
        sources: Mapping[str, Sequence[str]],
        limit: int,
    ) -> list[tuple[str, str]]:
        target = (resource_type, resource_id)
        return await self.readers.run(lambda conn: select_referrers(conn, target, sources, limit))

    async def expunge_before(self, resource_type: str, before: int) -> int:
        # In slices, each its own commit: a long purge must not hold the writer.
        total = 0
        audit = resource_type == AUDIT_TYPE
        while True:
            removed = await self.writer.submit(
                lambda conn: (
                    expunge_slice(conn, before)
                    if audit
                    else _expunge_slice(conn, resource_type, before)
                )
            )
            total += removed
            if removed < (EXPUNGE_SLICE if audit else _EXPUNGE_SLICE):
                return total

    def _apply_one(self, conn: sqlite3.Connection, write: Write) -> None:
        new = write.version
        if write.guard is not None:
            claim_guard(conn, write.guard, new.resource_type, new.id)
        if write.holds is not None:
            apply_holds(conn, write.holds, f"{new.resource_type}/{new.id}")
        row = conn.execute(
            "SELECT rid, version FROM resource WHERE type = ? AND id = ?",
            (new.resource_type, new.id),
        ).fetchone()
        current = row[1] if row else 0
        if current != write.expected_version:
            raise VersionConflict(new.resource_type, new.id, current)
        if row is None:
            rid = int(
                conn.execute(
                    "INSERT INTO resource (type, id, version, seq, deleted, updated) "
                    "VALUES (?, ?, ?, 0, 0, ?)",
                    (new.resource_type, new.id, new.version, new.last_updated),
                ).lastrowid
                or 0
            )
        else:
            rid = int(row[0])  # a delete's index rows go with the UPDATE below (resource_unindex)
        seq = conn.execute(
            "INSERT INTO version (rid, type, id, version, updated, method, body, event_time, "
            "owners) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rid,
                new.resource_type,
                new.id,
                new.version,
                new.last_updated,
                new.method,
                new.body,
                new.event_time,
                new.owners,
            ),
        ).lastrowid
        conn.execute(
            "UPDATE resource SET version = ?, seq = ?, deleted = ?, updated = ? WHERE rid = ?",
            (new.version, seq, int(new.deleted), new.last_updated, rid),
        )
        if write.index is None or new.deleted:
            return
        rows = resource_rows(conn, self._write_keys, new.resource_type, rid, write.index)
        if row is None:
            insert_index_rows(conn, self._widths, rows)
        else:
            replace_index(conn, self._widths, rid, rows)

    async def history(self, query: HistoryQuery) -> HistoryPage:
        if query.resource_type == AUDIT_TYPE:
            return await self.readers.run(lambda conn: event_history(conn, query))
        resource_type, resource_id = query.resource_type, query.resource_id
        since, count, cursor = query.since, query.count, query.cursor
        before = decode_cursor(cursor, {"seq": int})["seq"] if cursor else None

        def select(conn: sqlite3.Connection) -> HistoryPage:
            clauses: list[str] = []
            args: list[Any] = []
            if resource_id is not None:
                # Through the resource's rid: the (rid, version) index, not a scan of the type.
                clauses.append("v.rid = (SELECT rid FROM resource WHERE type = ? AND id = ?)")
                args.extend((resource_type, resource_id))
            elif resource_type is not None:
                clauses.append("v.type = ?")
                args.append(resource_type)
            if since is not None:
                clauses.append("v.updated >= ?")
                args.append(since)
            if before is not None:
                clauses.append("v.seq < ?")
                args.append(before)
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            rows = conn.execute(
                f"SELECT {_VERSION_COLUMNS}, v.seq FROM version v {where} "  # noqa: S608
                "ORDER BY v.seq DESC LIMIT ?",
                (*args, count + 1),
            ).fetchall()
            more = len(rows) > count
            rows = rows[:count]
            next_cursor = encode_cursor({"seq": rows[-1][8]}) if more and rows else None
            return HistoryPage([_version(r) for r in rows], next_cursor)

        return await self.readers.run(select)

    async def search(self, query: SearchQuery) -> SearchPage:
        run = run_audit_search if query.resource_type == AUDIT_TYPE else run_search
        return await self.readers.run(lambda conn: run(conn, self._read_keys, query))

    async def count(self, resource_type: str) -> int:
        return await self.readers.run(lambda conn: live_count(conn, resource_type))


def _expunge_slice(conn: sqlite3.Connection, resource_type: str, before: int) -> int:
    rids = [
        (row[0],)
        for row in conn.execute(
            "SELECT rid FROM resource WHERE type = ? AND updated < ? LIMIT ?",
            (resource_type, before, _EXPUNGE_SLICE),
        )
    ]
    for table in ("version", "resource", *INDEX_TABLES):
        conn.executemany(f"DELETE FROM {table} WHERE rid = ?", rids)  # noqa: S608 - fixed names
    return len(rids)


def sqlite_path_from_url(url: str) -> str:
    """Return the file path of a ``sqlite:///PATH`` URL (relative or absolute)."""
    path = url.removeprefix("sqlite:///")
    return os.path.expanduser(path)


def _nothing(conn: sqlite3.Connection) -> None:
    """A write job that writes nothing: its group still takes the lock and commits."""
