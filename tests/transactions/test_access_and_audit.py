"""Each entry is checked against the token like the request it stands for; one AuditEvent
records the Bundle, naming every resource it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings
from tests.auth.smart_app import ADMIN, bearer, patient, smart_client
from tests.conftest import make_patient
from tests.transactions.conftest import (
    bundle,
    client_with,
    coverage,
    entry,
    post_bundle,
    transaction,
    urn,
)

pytestmark = pytest.mark.anyio


async def test_an_entry_outside_the_scopes_fails_the_transaction(
    store_url: str, tmp_path: Path
) -> None:
    async with smart_client(store_url, tmp_path) as http:
        document = transaction(
            entry("POST", "Patient", make_patient()),
            entry("POST", "Coverage", coverage("Patient/p1")),
        )
        response = await http.post(
            "/fhir", json=document, headers=bearer("system/Patient.c system/Patient.r")
        )
        assert response.status_code == 403, response.text
        assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1]"]
        admin = bearer(ADMIN)
        found = (await http.get("/fhir/Patient", headers=admin)).json()
        assert found.get("total", 0) == 0


async def test_a_patient_token_writes_only_into_its_compartment(
    store_url: str, tmp_path: Path
) -> None:
    async with smart_client(store_url, tmp_path) as http:
        admin = bearer(ADMIN)
        for pid in ("p1", "p2"):
            await http.put(f"/fhir/Patient/{pid}", json=patient(pid), headers=admin)
        mine = bearer("patient/Coverage.cr", patient="p1")
        ok = await http.post(
            "/fhir",
            json=transaction(entry("POST", "Coverage", coverage("Patient/p1"))),
            headers=mine,
        )
        assert ok.status_code == 200, ok.text
        theirs = await http.post(
            "/fhir",
            json=transaction(entry("POST", "Coverage", coverage("Patient/p2"))),
            headers=mine,
        )
        assert theirs.status_code == 403, theirs.text


async def test_one_audit_event_names_every_resource_written(settings: Settings) -> None:
    async with client_with(settings, audit="all") as http:
        pat = urn()
        response = await post_bundle(
            http,
            transaction(
                entry("POST", "Patient", make_patient(), full_url=pat),
                entry("POST", "Coverage", coverage(pat)),
            ),
        )
        assert response.status_code == 200, response.text
        written = {
            e["response"]["location"].split("/fhir/")[1].split("/_history")[0]
            for e in response.json()["entry"]
        }
        await http.app.state.runtime.audit.flush()  # type: ignore[attr-defined]
        events = (await http.get("/fhir/AuditEvent?_count=50")).json().get("entry", [])
        bundles = [
            e["resource"]
            for e in events
            if any(
                s.get("code") in ("batch", "transaction") for s in e["resource"].get("subtype", [])
            )
        ]
        assert len(bundles) == 1, events
        named = {
            x["what"]["reference"]
            for x in bundles[0]["entity"]
            if "what" in x and "reference" in x["what"]
        }
        assert written <= named


@pytest.mark.parametrize("kind", ["transaction", "batch"])
async def test_the_audit_event_says_transaction_or_batch(settings: Settings, kind: str) -> None:
    async with client_with(settings, audit="all") as http:
        response = await post_bundle(http, bundle(kind, entry("POST", "Patient", make_patient())))
        assert response.status_code == 200, response.text
        await http.app.state.runtime.audit.flush()  # type: ignore[attr-defined]
        events = (await http.get("/fhir/AuditEvent?_count=50")).json().get("entry", [])

    subtypes = {s["code"] for e in events for s in e["resource"].get("subtype", [])}
    assert kind in subtypes
    assert ({"batch", "transaction"} - {kind}).isdisjoint(subtypes)
