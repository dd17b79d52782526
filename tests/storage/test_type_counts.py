"""Counts per type kept with the writes: a type's total is exact after every kind of write,
and on SQLite it is read from the counts, not counted from the type's rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from tests.conftest import FHIR_JSON, make_patient, running_app
from tests.direct_store import indexed, opened_sqlite

pytestmark = pytest.mark.anyio


async def _total(client: httpx.AsyncClient, query: str) -> int:
    answer = await client.get(f"/fhir/{query}")
    assert answer.status_code == 200, answer.text
    total = answer.json()["total"]
    assert isinstance(total, int)
    return total


async def _create(client: httpx.AsyncClient, value: str) -> str:
    patient = make_patient(identifier=[{"system": "urn:mrn", "value": value}])
    created = await client.post("/fhir/Patient", json=patient, headers=FHIR_JSON)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_types_total_follows_creates_updates_deletes_and_recreates(
    client: httpx.AsyncClient,
) -> None:
    ids = [await _create(client, f"M{n}") for n in range(3)]
    assert await _total(client, "Patient?_summary=count") == 3

    changed = make_patient(id=ids[0], gender="female")
    assert (await client.put(f"/fhir/Patient/{ids[0]}", json=changed)).status_code == 200
    assert (await client.delete(f"/fhir/Patient/{ids[1]}")).status_code in (200, 204)
    assert (await client.delete(f"/fhir/Patient/{ids[1]}")).status_code in (200, 204)
    assert await _total(client, "Patient?_summary=count") == 2
    assert await _total(client, "Patient?_total=accurate") == 2

    again = make_patient(id=ids[1])
    assert (await client.put(f"/fhir/Patient/{ids[1]}", json=again)).status_code in (200, 201)
    assert await _total(client, "Patient?_summary=count") == 3
    assert await _total(client, "Patient?_summary=count&gender=female") == 1
    assert await _total(client, "Practitioner?_summary=count") == 0


async def test_a_refused_transaction_leaves_the_total_as_it_was(
    client: httpx.AsyncClient,
) -> None:
    await _create(client, "M0")
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "POST", "url": "Patient"}, "resource": make_patient()},
            # Its version is not the current one: the whole transaction is refused.
            {
                "request": {"method": "PUT", "url": "Patient/nobody", "ifMatch": 'W/"7"'},
                "resource": make_patient(id="nobody"),
            },
        ],
    }
    refused = await client.post("/fhir", json=transaction, headers=FHIR_JSON)
    assert refused.status_code >= 400, refused.text
    assert await _total(client, "Patient?_summary=count") == 1


def _stored_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {row[0]: row[1] for row in conn.execute("SELECT type, live FROM type_count")}


async def test_sqlite_keeps_each_types_live_count_beside_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    settings = Settings(
        store=f"sqlite:///{path}", seed=False, allowed_hosts=("testserver",), auth="none"
    )
    async with running_app(settings) as client:
        ids = [await _create(client, f"M{n}") for n in range(3)]
        assert (await client.delete(f"/fhir/Patient/{ids[2]}")).status_code in (200, 204)

    assert _stored_counts(path) == {"Patient": 2}


async def test_an_older_sqlite_database_gets_its_counts_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite3"
    async with opened_sqlite(path) as store:
        await store.write([indexed({"resourceType": "Patient", "id": f"p{n}"}) for n in range(4)])
        await store.write([indexed({"resourceType": "Claim", "id": "c1"})])
        await store.write([indexed({"resourceType": "AuditEvent", "id": f"a{n}"}) for n in (1, 2)])
    with sqlite3.connect(path) as conn:  # as a database written before the counts
        for name, kind in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE name LIKE 'type_count%'"
        ).fetchall():
            conn.execute(f"DROP {kind.upper()} {name}")

    async with opened_sqlite(path) as store:
        assert await store.count("Patient") == 4
        await store.write([indexed({"resourceType": "Patient", "id": "p9"})])

    assert _stored_counts(path) == {"Patient": 5, "Claim": 1, "AuditEvent": 2}


async def test_the_audit_trails_total_is_kept_with_its_events(tmp_path: Path) -> None:
    path = tmp_path / "audited.sqlite3"
    settings = Settings(
        store=f"sqlite:///{path}",
        seed=False,
        allowed_hosts=("testserver",),
        auth="none",
        audit="all",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            patient = await _create(client, "M0")
            for _ in range(3):
                assert (await client.get(f"/fhir/Patient/{patient}")).status_code == 200
            await app.state.audit.flush()
            with sqlite3.connect(path) as conn:
                stored = conn.execute(
                    "SELECT count(*) FROM audit_event WHERE body IS NOT NULL"
                ).fetchone()[0]
            assert stored >= 4
            assert _stored_counts(path)["AuditEvent"] == stored
            assert await _total(client, "AuditEvent?_summary=count") == stored
