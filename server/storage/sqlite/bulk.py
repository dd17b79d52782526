"""Bulk Data export's snapshot reads and job records in SQLite (server.storage.bulk_port)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from server.storage.audit_rows import AUDIT_TYPE
from server.storage.bulk_port import JobRecord, SnapshotPage
from server.storage.port import Method, StoredVersion
from server.storage.sqlite.audit import events_as_of

if TYPE_CHECKING:
    from server.storage.sqlite.store import SqliteStore

BULK_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS bulk_job (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        created INTEGER NOT NULL,
        document BLOB NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS bulk_job_state ON bulk_job (state, created)",
)

_LEASE_COLUMNS = {
    "lease_owner": "lease_owner TEXT",
    "lease_until": "lease_until INTEGER NOT NULL DEFAULT 0",
}

# The (type, id) unique index gives the key order; the current version is taken as it
# is when it is old enough, else the latest version at or before the snapshot (the
# (rid, version) index), which is NULL for a resource created after it.
_AS_OF = """SELECT r.id, v.version, v.updated, v.method, v.body
    FROM resource r LEFT JOIN version v ON v.seq = CASE WHEN r.updated <= :t THEN r.seq
        ELSE (SELECT max(o.seq) FROM version o WHERE o.rid = r.rid AND o.updated <= :t) END
    WHERE r.type = :type AND r.id > :after ORDER BY r.id LIMIT :n"""


def _job(row: tuple[Any, ...]) -> JobRecord:
    return JobRecord(row[0], row[1], row[2], bytes(row[3]))


# The snapshot's own connection: no memory map and a small page cache, so an export's
# resident memory stays the same whatever the size of the database it reads through
# (a mapped file's pages count as the process's own, up to the whole file).
_SNAPSHOT_PRAGMAS = (
    "PRAGMA busy_timeout=10000",
    "PRAGMA query_only=ON",
    "PRAGMA mmap_size=0",
    "PRAGMA cache_size=-8192",
)


class SqliteBulkRecords:
    """BulkRecords on an open SqliteStore: job writes through its writer, job reads on its
    readers, snapshot reads on a connection of their own (one at a time)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self._snapshot: sqlite3.Connection | None = None
        self._snapshot_lock = threading.Lock()

    async def close(self) -> None:
        with self._snapshot_lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None

    def _snapshot_connection(self) -> sqlite3.Connection:
        if self._snapshot is None:
            conn = sqlite3.connect(self.store.path, isolation_level=None, check_same_thread=False)
            for pragma in _SNAPSHOT_PRAGMAS:
                conn.execute(pragma)
            self._snapshot = conn
        return self._snapshot

    async def prepare(self) -> None:
        def create(conn: sqlite3.Connection) -> None:
            for statement in BULK_DDL:
                conn.execute(statement)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(bulk_job)")}
            for column, ddl in _LEASE_COLUMNS.items():
                if column not in columns:  # a store made before job leases
                    conn.execute(f"ALTER TABLE bulk_job ADD COLUMN {ddl}")

        await self.store.writer.submit(create)

    async def read_as_of(
        self, resource_type: str, as_of: int, after: str | None, count: int
    ) -> SnapshotPage:
        def select() -> SnapshotPage:
            if resource_type == AUDIT_TYPE:  # their own table (server.storage.sqlite.audit)
                with self._snapshot_lock:
                    events = events_as_of(self._snapshot_connection(), as_of, after, count)
                return SnapshotPage(*events)
            with self._snapshot_lock:
                rows = (
                    self._snapshot_connection()
                    .execute(
                        _AS_OF,
                        {"t": as_of, "type": resource_type, "after": after or "", "n": count},
                    )
                    .fetchall()
                )
            versions = [
                StoredVersion(resource_type, row[0], row[1], row[2], Method(row[3]), row[4])
                for row in rows
                if row[1] is not None and row[3] != Method.DELETE
            ]
            return SnapshotPage(versions, rows[-1][0] if len(rows) == count else None)

        return await asyncio.to_thread(select)

    async def add_job(self, job: JobRecord) -> None:
        await self.store.writer.submit(
            lambda conn: conn.execute(
                "INSERT INTO bulk_job (id, state, created, document) VALUES (?, ?, ?, ?)",
                (job.id, job.state, job.created, job.document),
            )
        )

    async def replace_job(self, job: JobRecord) -> bool:
        changed = await self.store.writer.submit(
            lambda conn: (
                conn.execute(
                    "UPDATE bulk_job SET state = ?, document = ? WHERE id = ?",
                    (job.state, job.document, job.id),
                ).rowcount
            )
        )
        return bool(changed)

    async def job(self, job_id: str) -> JobRecord | None:
        row = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT id, state, created, document FROM bulk_job WHERE id = ?", (job_id,)
            ).fetchone()
        )
        return _job(row) if row else None

    async def jobs(self, states: Sequence[str] = ()) -> list[JobRecord]:
        wanted = tuple(states)

        def select(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            if not wanted:
                return conn.execute(
                    "SELECT id, state, created, document FROM bulk_job ORDER BY created, id"
                ).fetchall()
            marks = ", ".join("?" * len(wanted))
            return conn.execute(
                "SELECT id, state, created, document FROM bulk_job "  # noqa: S608 - placeholders
                f"WHERE state IN ({marks}) ORDER BY created, id",
                wanted,
            ).fetchall()

        return [_job(row) for row in await self.store.readers.run(select)]

    async def remove_job(self, job_id: str) -> bool:
        removed = await self.store.writer.submit(
            lambda conn: conn.execute("DELETE FROM bulk_job WHERE id = ?", (job_id,)).rowcount
        )
        return bool(removed)

    async def claim_job(self, job_id: str, owner: str, until: int, now: int) -> bool:
        claimed = await self.store.writer.submit(
            lambda conn: (
                conn.execute(
                    "UPDATE bulk_job SET lease_owner = ?, lease_until = ? "
                    "WHERE id = ? AND (lease_until <= ? OR lease_owner = ?)",
                    (owner, until, job_id, now, owner),
                ).rowcount
            )
        )
        return bool(claimed)

    async def release_job(self, job_id: str, owner: str) -> None:
        await self.store.writer.submit(
            lambda conn: conn.execute(
                "UPDATE bulk_job SET lease_until = 0 WHERE id = ? AND lease_owner = ?",
                (job_id, owner),
            )
        )
