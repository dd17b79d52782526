"""Referential integrity: references into this server resolve on every client write, and a
delete of a referenced resource is refused (409) or cascades (``_cascade=delete``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.conftest import FHIR_JSON, make_patient
from tests.transactions.conftest import client_with, coverage, entry, post_bundle, transaction

pytestmark = pytest.mark.anyio


async def put(client: httpx.AsyncClient, resource: dict[str, Any]) -> httpx.Response:
    url = f"/fhir/{resource['resourceType']}/{resource['id']}"
    return await client.put(url, json=resource, headers=FHIR_JSON)


async def patient(client: httpx.AsyncClient, pid: str = "p1") -> None:
    assert (await put(client, make_patient(id=pid))).status_code in (200, 201)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("Patient/nobody", id="relative"),
        pytest.param("Patient/nobody/_history/1", id="relative-versioned"),
        pytest.param("http://localhost:8080/fhir/Patient/nobody", id="absolute-of-this-server"),
    ],
)
async def test_a_dangling_reference_is_422_naming_the_element(
    client: httpx.AsyncClient, reference: str
) -> None:
    await patient(client)
    response = await client.post(
        "/fhir/Coverage",
        json={**coverage("Patient/p1"), "beneficiary": {"reference": reference}},
        headers=FHIR_JSON,
    )
    assert response.status_code == 422, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "business-rule"
    assert issue["expression"] == ["Coverage.beneficiary"]


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("#contained", id="contained"),
        pytest.param("urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7", id="urn-uuid"),
        pytest.param("https://elsewhere.example/fhir/Patient/1", id="external-absolute"),
    ],
)
async def test_references_outside_this_server_are_not_checked(
    client: httpx.AsyncClient, reference: str
) -> None:
    await patient(client)
    body = coverage("Patient/p1", payor=[{"reference": reference}])
    if reference == "#contained":
        body["contained"] = [{"resourceType": "Organization", "id": "contained", "name": "X"}]
    response = await client.post("/fhir/Coverage", json=body, headers=FHIR_JSON)
    assert response.status_code == 201, response.text


async def test_a_reference_to_a_deleted_resource_is_422(client: httpx.AsyncClient) -> None:
    await patient(client)
    assert (await client.delete("/fhir/Patient/p1")).status_code == 204
    response = await client.post("/fhir/Coverage", json=coverage("Patient/p1"), headers=FHIR_JSON)
    assert response.status_code == 422, response.text


async def test_update_and_patch_are_checked_too(client: httpx.AsyncClient) -> None:
    await patient(client)
    made = await put(client, {**coverage("Patient/p1"), "id": "c1"})
    assert made.status_code == 201, made.text
    updated = await put(client, {**coverage("Patient/nobody"), "id": "c1"})
    assert updated.status_code == 422, updated.text
    patched = await client.patch(
        "/fhir/Coverage/c1",
        json=[{"op": "replace", "path": "/beneficiary/reference", "value": "Patient/nobody"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 422, patched.text
    assert patched.json()["issue"][0]["expression"] == ["Coverage.beneficiary"]


async def test_deleting_a_referenced_resource_is_409_naming_the_referrers(
    client: httpx.AsyncClient,
) -> None:
    await patient(client)
    for n in range(25):
        assert (await put(client, {**coverage("Patient/p1"), "id": f"c{n}"})).status_code == 201
    response = await client.delete("/fhir/Patient/p1")
    assert response.status_code == 409, response.text
    diagnostics = response.json()["issue"][0]["diagnostics"]
    assert diagnostics.count("Coverage/c") == 20
    assert "_cascade=delete" in diagnostics
    assert (await client.get("/fhir/Patient/p1")).status_code == 200


async def test_cascade_deletes_the_referrers_and_says_which(client: httpx.AsyncClient) -> None:
    await patient(client)
    await patient(client, "p2")
    assert (await put(client, {**coverage("Patient/p1"), "id": "c1"})).status_code == 201
    assert (await put(client, {**coverage("Patient/p2"), "id": "c2"})).status_code == 201
    response = await client.delete("/fhir/Patient/p1?_cascade=delete")
    assert response.status_code == 200, response.text
    assert "Coverage/c1" in response.json()["issue"][0]["diagnostics"]
    assert (await client.get("/fhir/Patient/p1")).status_code == 410
    assert (await client.get("/fhir/Coverage/c1")).status_code == 410
    assert (await client.get("/fhir/Coverage/c2")).status_code == 200


async def test_an_unknown_cascade_mode_is_400(client: httpx.AsyncClient) -> None:
    await patient(client)
    response = await client.delete("/fhir/Patient/p1?_cascade=everything")
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == ["_cascade"]


async def test_a_transaction_with_a_dangling_reference_fails_naming_the_entry(
    client: httpx.AsyncClient, store_url: str
) -> None:
    if store_url == "memory://":
        pytest.skip("memory:// refuses transactions")
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", make_patient()),
            entry("POST", "Coverage", coverage("Patient/nobody")),
        ),
    )
    assert response.status_code == 422, response.text
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1].resource.beneficiary"]


async def test_a_transaction_deleting_a_referrer_with_its_target_succeeds(
    client: httpx.AsyncClient, store_url: str
) -> None:
    if store_url == "memory://":
        pytest.skip("memory:// refuses transactions")
    await patient(client)
    assert (await put(client, {**coverage("Patient/p1"), "id": "c1"})).status_code == 201
    alone = await post_bundle(client, transaction(entry("DELETE", "Patient/p1")))
    assert alone.status_code == 409, alone.text
    assert alone.json()["issue"][0]["expression"] == ["Bundle.entry[0].request.url"]
    both = await post_bundle(
        client, transaction(entry("DELETE", "Patient/p1"), entry("DELETE", "Coverage/c1"))
    )
    assert both.status_code == 200, both.text


@pytest.fixture
async def lenient(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(settings, referential_integrity="lenient") as http:
        yield http


async def test_lenient_accepts_dangling_references_and_reports_them(
    lenient: httpx.AsyncClient, store_url: str
) -> None:
    made = await lenient.post("/fhir/Coverage", json=coverage("Patient/nobody"), headers=FHIR_JSON)
    assert made.status_code == 201, made.text
    document = transaction(entry("POST", "Coverage", coverage("Patient/later")))
    if store_url == "memory://":
        document["type"] = "batch"
    response = await post_bundle(lenient, document)
    assert response.status_code == 200, response.text
    outcome = response.json()["entry"][0]["response"]["outcome"]
    assert outcome["issue"][0]["severity"] == "warning"
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[0].resource.beneficiary"]


async def test_audit_events_do_not_hold_a_delete_back(settings: Settings) -> None:
    async with client_with(settings, audit="all") as http:
        await patient(http)
        assert (await http.get("/fhir/Patient/p1")).status_code == 200
        await http.app.state.runtime.audit.flush()  # type: ignore[attr-defined]
        assert (await http.delete("/fhir/Patient/p1")).status_code == 204


async def test_a_transaction_delete_with_cascade_takes_the_referrers(
    client: httpx.AsyncClient, store_url: str
) -> None:
    if store_url == "memory://":
        pytest.skip("memory:// refuses transactions")
    await patient(client)
    assert (await put(client, {**coverage("Patient/p1"), "id": "c1"})).status_code == 201
    response = await post_bundle(client, transaction(entry("DELETE", "Patient/p1?_cascade=delete")))
    assert response.status_code == 200, response.text
    assert (await client.get("/fhir/Coverage/c1")).status_code == 410
