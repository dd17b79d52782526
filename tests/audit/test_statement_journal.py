"""Storing a batch of AuditEvents on SQLite keeps no statement journal.

The batch goes in multi-row INSERTs. Under SQLite's default conflict answer (ABORT) a
statement that fails part-way must undo its own rows, so SQLite copies every page each
such statement changes to a statement journal first: a third of the bytes the writer
wrote per event. The job's savepoint or the group's rollback undoes a failed batch
anyway (server.storage.sqlite.threads), so the statements need none.
"""

from __future__ import annotations

import os
import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from server.audit.events import EventBuilder
from server.storage.port import VersionConflict, Write
from server.storage.sqlite.audit import store_events
from server.storage.sqlite.store import SqliteStore
from tests.audit.test_append import BASES, event

pytestmark = pytest.mark.anyio


def _temporary_files() -> list[str]:
    """The deleted files this process holds open: SQLite's temporary files, once opened."""
    fds = Path("/proc/self/fd")
    names = []
    for fd in os.listdir(fds):
        try:
            names.append(os.readlink(fds / fd))
        except OSError:
            continue
    return [name for name in names if name.endswith("(deleted)") and "etilqs" in name]


async def test_a_batch_of_events_is_stored_without_a_statement_journal(
    sqlite_store: SqliteStore,
) -> None:
    builder = EventBuilder(BASES[0], BASES)
    patients = random.Random(5)

    def write(n: int) -> Write:
        access = replace(event(n), entities=(f"Patient/{patients.randrange(4000):021x}",))
        return builder.write(access, f"ev{n:06d}")

    await sqlite_store.append([write(n) for n in range(4000)])
    batch = [write(n) for n in range(4000, 5000)]

    def store_and_look(conn: sqlite3.Connection) -> list[str]:
        store_events(conn, batch)
        return _temporary_files()

    assert await sqlite_store.writer.submit(store_and_look) == []
    assert await sqlite_store.read("AuditEvent", "ev004999") is not None


async def test_a_taken_id_in_a_batch_stores_none_of_it(sqlite_store: SqliteStore) -> None:
    builder = EventBuilder(BASES[0], BASES)
    await sqlite_store.append([builder.write(event(0), "taken")])
    batch = [builder.write(event(n), f"ev{n}") for n in range(1, 300)]
    batch.insert(200, builder.write(event(300), "taken"))

    with pytest.raises(VersionConflict):
        await sqlite_store.append(batch)

    assert await sqlite_store.read("AuditEvent", "ev1") is None
    assert await sqlite_store.read("AuditEvent", "ev299") is None


async def test_an_older_database_counts_its_events_once(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite3"
    builder = EventBuilder(BASES[0], BASES)
    older = SqliteStore(path)
    await older.open()
    await older.append([builder.write(event(n), f"ev{n}") for n in range(3)])
    await older.close()
    with sqlite3.connect(path) as conn:  # as fhirport counted stored events before
        conn.execute(
            """CREATE TRIGGER type_count_event_insert AFTER INSERT ON audit_event
            WHEN NEW.body IS NOT NULL BEGIN
            INSERT INTO type_count (type, live) VALUES ('AuditEvent', 1)
            ON CONFLICT (type) DO UPDATE SET live = live + 1; END"""
        )

    store = SqliteStore(path)
    await store.open()
    try:
        await store.append([builder.write(event(n), f"ev{n}") for n in range(3, 7)])
        await store.write([builder.write(event(7), "ev7")])
        counted = await store.count("AuditEvent")
    finally:
        await store.close()

    assert counted == 8
