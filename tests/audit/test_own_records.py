"""AuditEvents kept apart from the other resources: their own records on every store.

They answer reads, searches and their own history as before, but are not the data a
system history or ``_revinclude=*`` asks for, and on SQLite an event is a row and its
links, not resource, version and index rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.audit.events import EventBuilder
from server.search.engine import SearchEngine
from server.settings import Settings
from server.storage.factory import open_bulk_records
from server.storage.mongo.audit import move_events
from server.storage.mongo.store import MongoStore, _documents
from server.storage.port import Store, VersionConflict
from server.storage.sqlite.store import SqliteStore
from tests.audit.conftest import Audited, opened
from tests.audit.test_append import BASES, event
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio


async def read_once(audited: Audited) -> str:
    """Create a patient, read it (one read event), flush; return the patient's id."""
    created = await audited.http.post("/fhir/Patient", json=make_patient())
    patient = str(created.json()["id"])
    assert (await audited.http.get(f"/fhir/Patient/{patient}")).status_code == 200
    await audited.trail.flush()
    return patient


async def test_system_history_leaves_audit_events_out(audited: Audited) -> None:
    patient = await read_once(audited)

    history = (await audited.http.get("/fhir/_history?_count=100")).json()

    types = {e["resource"]["resourceType"] for e in history.get("entry", ())}
    assert types == {"Patient"}, types
    assert await audited.events(patient=f"Patient/{patient}")


async def test_revinclude_star_leaves_audit_events_out(audited: Audited) -> None:
    patient = await read_once(audited)

    found = (await audited.http.get(f"/fhir/Patient?_id={patient}&_revinclude=*")).json()

    types = [e["resource"]["resourceType"] for e in found.get("entry", ())]
    assert types == ["Patient"], types


async def test_an_audit_events_own_history_and_type_history_answer(audited: Audited) -> None:
    patient = await read_once(audited)
    (read,) = await audited.events(patient=f"Patient/{patient}", subtype="read")

    own = (await audited.http.get(f"/fhir/AuditEvent/{read['id']}/_history")).json()
    typed = (await audited.http.get("/fhir/AuditEvent/_history?_count=100")).json()
    version = await audited.http.get(f"/fhir/AuditEvent/{read['id']}/_history/1")

    assert [e["resource"]["id"] for e in own["entry"]] == [read["id"]]
    assert read["id"] in {e["resource"]["id"] for e in typed["entry"]}
    assert version.status_code == 200
    assert version.json() == read


async def test_an_event_is_one_row_its_own_links_and_a_signature_on_sqlite(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    settings = Settings(
        store=f"sqlite:///{path}", host="127.0.0.1", allowed_hosts=("testserver",), auth="none"
    )
    async with opened(settings) as audited:
        await read_once(audited)
        (read,) = await audited.events(subtype="read")

    with sqlite3.connect(path) as conn:
        shared = conn.execute("SELECT count(*) FROM resource WHERE type = 'AuditEvent'").fetchone()
        aid, sid = conn.execute(
            "SELECT aid, sid FROM audit_event WHERE id = ?", (read["id"],)
        ).fetchone()
        own = conn.execute("SELECT p FROM audit_link WHERE aid = ?", (aid,)).fetchall()
        signed = conn.execute("SELECT p FROM audit_sig_link WHERE sid = ?", (sid,)).fetchall()
    assert shared == (0,)
    assert sorted(p for (p,) in own) == ["entity", "patient"]
    # What events of one kind from one client share: stored once, for all of them.
    assert sorted(p for (p,) in signed) == sorted(
        ("type", "subtype", "action", "outcome", "source:identifier", "address")
    )


async def test_events_an_older_database_kept_as_resources_move_on_open(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    older = SqliteStore(path)
    await older.open()
    builder = EventBuilder(BASES[0], BASES)
    writes = [builder.write(event(n), f"ev{n}") for n in range(6)]
    # As fhirport wrote them before: resources with versions and index rows.
    await older.writer.submit(lambda conn: [older._apply_one(conn, w) for w in writes])
    await older.close()

    store = SqliteStore(path)
    await store.open()
    try:
        stored = await store.read("AuditEvent", "ev3")
        engine = SearchEngine(store, BASES)
        found = await engine.run(
            engine.parse("AuditEvent", [("patient", "Patient/p2")], lenient=False)
        )
    finally:
        await store.close()

    assert stored is not None
    assert stored.body == writes[3].version.body
    assert [v.id for v in found.page.versions] == ["ev2"]
    with sqlite3.connect(path) as conn:
        left = conn.execute("SELECT count(*) FROM version WHERE type = 'AuditEvent'").fetchone()
    assert left == (0,)


async def test_events_an_older_mongodb_database_kept_as_resources_move(store_url: str) -> None:
    if store_url.startswith("sqlite"):
        pytest.skip("the MongoDB move (SQLite's is above)")
    store = MongoStore(store_url)
    await store.open()
    try:
        builder = EventBuilder(BASES[0], BASES)
        writes = [builder.write(event(n), f"ev{n}") for n in range(6)]
        for write in writes:  # as fhirport wrote them before: resources with history
            document, history = _documents(write)
            await store._apply_one(write, document, history, None)
        assert await store.read("AuditEvent", "ev3") is None  # not where they are now

        moved = await move_events(store.resources, store.versions, store.audit_events)

        engine = SearchEngine(store, BASES)
        parsed = engine.parse("AuditEvent", [("patient", "Patient/p2")], lenient=False)
        found = await engine.run(parsed)
        stored = await store.read("AuditEvent", "ev3")
        left = await store.resources.count_documents({"type": "AuditEvent"})
    finally:
        await store.close()

    assert moved == 6
    assert stored is not None
    assert stored.body == writes[3].version.body
    assert [v.id for v in found.page.versions] == ["ev2"]
    assert left == 0


async def test_an_export_snapshot_reads_the_events_stored_by_then(store: Store) -> None:
    builder = EventBuilder(BASES[0], BASES)
    writes = [builder.write(event(n), f"ev{n}") for n in range(5)]
    await store.append(writes)
    as_of = writes[2].version.last_updated  # ev0..ev2 were recorded by then
    records = await open_bulk_records(store)

    first = await records.read_as_of("AuditEvent", as_of, None, 2)
    rest = await records.read_as_of("AuditEvent", as_of, first.next_after, 10)

    assert [v.id for v in first.versions + rest.versions] == ["ev0", "ev1", "ev2"]
    assert rest.next_after is None


async def test_chains_from_events_and_has_onto_patients_join_the_other_resources(
    audited: Audited,
) -> None:
    patient = await read_once(audited)
    family = make_patient()["name"][0]["family"]
    (read,) = await audited.events(patient=f"Patient/{patient}", subtype="read")

    chained = await audited.events(**{"patient.family": family, "subtype": "read"})
    engine = audited.app.state.search
    has = [("_has:AuditEvent:patient:subtype", "read"), ("_id", patient)]
    having = await engine.run(engine.parse("Patient", has, lenient=False))
    none = [("_has:AuditEvent:patient:outcome", "8"), ("_id", patient)]
    having_none = await engine.run(engine.parse("Patient", none, lenient=False))

    assert read["id"] in {e["id"] for e in chained}
    assert [v.id for v in having.page.versions] == [patient]
    assert having_none.page.versions == []


async def test_a_batch_with_an_event_stored_already_stores_none_of_it(store: Store) -> None:
    builder = EventBuilder(BASES[0], BASES)
    await store.append([builder.write(event(1), "ev1")])

    with pytest.raises(VersionConflict) as conflict:
        await store.append([builder.write(event(n), f"ev{n}") for n in (2, 1, 3)])

    assert str(conflict.value) == "AuditEvent/ev1 is at version 1"
    if store.transactions:  # memory:// keeps what came before the conflict (port.py)
        assert await store.read("AuditEvent", "ev2") is None
        assert await store.count("AuditEvent") == 1
