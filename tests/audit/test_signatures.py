"""AuditEvent signatures on SQLite: what events share is stored once, and found as before.

An event's links of the parameters events share (type, subtype, action, outcome, the
client, the source, the address) are its signature's, a row for every event of that
kind; searches on them find the same events as when every
event kept its own (server.storage.sqlite.audit_signatures).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from server.audit.events import EventBuilder
from server.search.engine import SearchEngine
from server.storage.audit_rows import audit_record
from server.storage.port import VersionConflict
from server.storage.sqlite.store import SqliteStore
from tests.audit.test_append import BASES, event

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


async def _ids(store: SqliteStore, *params: tuple[str, str]) -> list[str]:
    engine = SearchEngine(store, BASES)
    query = engine.parse("AuditEvent", [*params, ("_count", "100")], lenient=False)
    return sorted(v.id for v in (await engine.run(query)).page.versions)


async def test_events_of_one_kind_share_one_signature(store: SqliteStore) -> None:
    builder = EventBuilder(BASES[0], BASES)
    # event(n): three clients by n % 3; the rest of what they share is the same.
    await store.append([builder.write(event(n), f"ev{n}") for n in range(30)])
    await store.append([builder.write(event(n), f"ev{n}") for n in range(30, 36)])

    def counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
        signatures = conn.execute("SELECT count(*) FROM audit_signature").fetchone()[0]
        sids = conn.execute("SELECT count(DISTINCT sid) FROM audit_event").fetchone()[0]
        links = conn.execute("SELECT count(*) FROM audit_link").fetchone()[0]
        return signatures, sids, links

    # Its own: the Appointment, and the patient as an entity and as the patient.
    assert await store.readers.run(counts) == (3, 3, 36 * 3)


async def test_searches_on_shared_parameters_find_each_event(store: SqliteStore) -> None:
    builder = EventBuilder(BASES[0], BASES)
    failed = replace(event(7), outcome="4", action="E")
    writes = [builder.write(event(n), f"ev{n}") for n in range(6)]
    await store.append([*writes, builder.write(failed, "ev7")])

    assert await _ids(store, ("outcome", "4")) == ["ev7"]
    assert await _ids(store, ("outcome", "0"), ("agent:identifier", "client-1")) == [
        "ev1",
        "ev4",
    ]
    assert await _ids(store, ("action", "E"), ("patient", "Patient/p2")) == ["ev7"]
    assert await _ids(store, ("subtype", "read"), ("outcome:not", "0")) == ["ev7"]


async def test_a_signature_added_by_a_refused_batch_is_not_left_behind(
    store: SqliteStore,
) -> None:
    builder = EventBuilder(BASES[0], BASES)
    await store.append([builder.write(event(1), "ev1")])
    new_kind = replace(event(2), outcome="8")

    with pytest.raises(VersionConflict):
        await store.append([builder.write(new_kind, "ev2"), builder.write(event(1), "ev1")])
    await store.append([builder.write(new_kind, "ev3")])

    assert await _ids(store, ("outcome", "8")) == ["ev3"]


async def test_an_older_database_s_links_move_to_signatures_on_open(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    older = SqliteStore(path)
    await older.open()
    await older.close()
    builder = EventBuilder(BASES[0], BASES)
    writes = [builder.write(event(n), f"ev{n}") for n in range(9)]
    with sqlite3.connect(path) as conn:  # as fhirport kept them before: every link per event
        conn.execute("DROP INDEX audit_event_sid")
        conn.execute("ALTER TABLE audit_event DROP COLUMN sid")
        for aid, write in enumerate(writes, 1):
            version = write.version
            conn.execute(
                "INSERT INTO audit_event (aid, id, version, updated, method, body, date_low, "
                "date_high) VALUES (?, ?, 1, ?, 'POST', ?, ?, ?)",
                (aid, version.id, version.last_updated, version.body, 0, 1),
            )
            conn.executemany(
                "INSERT INTO audit_link (aid, p, system, code, text) VALUES (?, ?, ?, ?, ?)",
                [(aid, *link) for link in audit_record(write).links],
            )

    store = SqliteStore(path)
    await store.open()
    try:
        by_client = await _ids(store, ("agent:identifier", "client-2"))
        by_patient = await _ids(store, ("patient", "Patient/p3"), ("subtype", "read"))
        await store.append([builder.write(event(9), "ev9")])
        after = await _ids(store, ("agent:identifier", "client-0"))

        def layout(conn: sqlite3.Connection) -> tuple[set[str], int]:
            own = {row[0] for row in conn.execute("SELECT DISTINCT p FROM audit_link")}
            signatures = conn.execute("SELECT count(*) FROM audit_signature").fetchone()[0]
            return own, signatures

        own, signatures = await store.readers.run(layout)
    finally:
        await store.close()

    assert by_client == ["ev2", "ev5", "ev8"]
    assert by_patient == ["ev3", "ev8"]
    assert after == ["ev0", "ev3", "ev6", "ev9"]  # a new event joins a moved signature
    assert own == {"entity", "patient"}
    assert signatures == 3
