"""Scrubbing when a client stores a Claim: warn keeps the edits, error refuses, off runs none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.scrub.claims import clean_claim, edit_codes, store_world

pytestmark = pytest.mark.anyio

STATUS = "https://fhirport.dev/fhir/StructureDefinition/scrub-status"
EDIT = "https://fhirport.dev/fhir/StructureDefinition/scrub-edit"


async def client_for(settings: Settings, mode: str) -> AsyncIterator[httpx.AsyncClient]:
    from server.app import create_app

    app = create_app(settings.model_copy(update={"scrub_on_create": mode}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await store_world(http)
            yield http


@pytest.fixture
async def warn(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_for(settings, "warn"):
        yield http


@pytest.fixture
async def error(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_for(settings, "error"):
        yield http


@pytest.fixture
async def off(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_for(settings, "off"):
        yield http


def faulty() -> dict[str, Any]:
    claim = clean_claim()
    claim["total"]["value"] = 100
    return claim


def stored_edits(claim: dict[str, Any]) -> list[str]:
    """The edit codes stored in a claim's scrub-edit extensions."""
    return [
        sub["valueCoding"]["code"]
        for e in claim.get("extension", [])
        if e["url"] == EDIT
        for sub in e["extension"]
        if sub["url"] == "code"
    ]


def status(claim: dict[str, Any]) -> str | None:
    return next((e["valueCode"] for e in claim.get("extension", []) if e["url"] == STATUS), None)


async def test_warn_stores_the_edits_with_the_claim_and_lists_it(
    warn: httpx.AsyncClient,
) -> None:
    bad = await warn.post("/fhir/Claim", json=faulty())
    good = await warn.post("/fhir/Claim", json={**clean_claim(), "created": "2026-05-05"})
    assert bad.status_code == 201, bad.text
    assert good.status_code == 201, good.text

    stored = (await warn.get(f"/fhir/Claim/{bad.json()['id']}")).json()
    worklist = await warn.get("/fhir/Claim/$scrub-worklist")

    assert status(stored) == "denied"
    assert stored_edits(stored) == ["total-mismatch"]
    assert status(good.json()) == "warnings"  # a probable duplicate of the first
    assert [e["resource"]["id"] for e in worklist.json()["entry"]] == [bad.json()["id"]]


async def test_an_update_that_fixes_the_claim_clears_its_edits(warn: httpx.AsyncClient) -> None:
    created = (await warn.post("/fhir/Claim", json=faulty())).json()
    created["total"]["value"] = 120

    updated = await warn.put(f"/fhir/Claim/{created['id']}", json=created)
    worklist = await warn.get("/fhir/Claim/$scrub-worklist")

    assert updated.status_code == 200, updated.text
    assert status(updated.json()) == "clean"
    assert stored_edits(updated.json()) == []
    assert worklist.json().get("entry", []) == []


async def test_error_refuses_a_claim_a_payer_would_deny(error: httpx.AsyncClient) -> None:
    refused = await error.post("/fhir/Claim", json=faulty())
    accepted = await error.post("/fhir/Claim", json=clean_claim())

    assert refused.status_code == 422
    assert edit_codes(refused.json()) == ["total-mismatch"]
    assert refused.json()["issue"][0]["expression"] == ["Claim.total"]
    assert accepted.status_code == 201


async def test_off_stores_the_claim_as_sent(off: httpx.AsyncClient) -> None:
    created = await off.post("/fhir/Claim", json=faulty())

    assert created.status_code == 201
    assert "extension" not in created.json()


async def test_a_stored_claim_is_scrubbed_by_id(off: httpx.AsyncClient) -> None:
    created = (await off.post("/fhir/Claim", json=faulty())).json()

    response = await off.post(f"/fhir/Claim/{created['id']}/$scrub")
    unknown = await off.post("/fhir/Claim/nope/$scrub")

    assert response.status_code == 200
    assert edit_codes(response.json()) == ["total-mismatch"]
    assert unknown.status_code == 404


async def test_a_body_that_is_not_a_claim_is_a_400(off: httpx.AsyncClient) -> None:
    response = await off.post("/fhir/Claim/$scrub", json={"resourceType": "Patient"})
    broken = await off.post(
        "/fhir/Claim/$scrub", content=b"{", headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code in {400, 422}
    assert response.json()["resourceType"] == "OperationOutcome"
    assert broken.status_code == 400


async def test_validate_gives_the_422_a_create_would_get_under_error(
    error: httpx.AsyncClient,
) -> None:
    refused = await error.post("/fhir/Claim/$validate", json=faulty(), params={"mode": "create"})
    clean = await error.post("/fhir/Claim/$validate", json=clean_claim(), params={"mode": "create"})

    assert refused.status_code == 422, refused.text
    assert "total-mismatch" in edit_codes(refused.json())
    assert clean.status_code == 200, clean.text
    assert (await error.get("/fhir/Claim")).json()["total"] == 0


async def test_a_claim_is_scrubbed_against_what_its_own_transaction_writes(
    settings: Settings, store_url: str
) -> None:
    if store_url.startswith("memory://"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")
    from server.app import create_app
    from tests.scrub.claims import COVERAGE, PATIENT, PAYER, PROVIDER

    app = create_app(settings.model_copy(update={"scrub_on_create": "warn"}))
    world = [PATIENT, PAYER, COVERAGE, PROVIDER, {**clean_claim(), "id": "scrub-claim"}]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
            for resource in world
        ],
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            applied = await http.post("/fhir", json=bundle)
            claim = (await http.get("/fhir/Claim/scrub-claim")).json()

    assert applied.status_code == 200, applied.text
    assert stored_edits(claim) == []
    assert status(claim) == "clean"
