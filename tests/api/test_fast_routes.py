"""The fast routes (read, vread, create, update) and the FastAPI routes behind them."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio


async def test_read_and_vread_serve_the_stored_version(client: httpx.AsyncClient) -> None:
    created = await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)
    resource_id = created.json()["id"]

    read = await client.get(f"/fhir/Patient/{resource_id}")
    vread = await client.get(f"/fhir/Patient/{resource_id}/_history/1")
    head = await client.head(f"/fhir/Patient/{resource_id}")

    assert read.content == vread.content == created.content
    assert read.headers["etag"] == vread.headers["etag"] == 'W/"1"'
    assert head.status_code == 200
    assert head.headers["etag"] == 'W/"1"'


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/fhir/Patient/_history", 200, id="type-history-is-not-an-id"),
        pytest.param("/fhir/Patient/no_such", 400, id="id-outside-the-id-pattern"),
        pytest.param("/fhir/Patient/nope", 404, id="unknown-id"),
        pytest.param("/fhir/Observation/x", 404, id="type-not-held"),
        pytest.param("/fhir/patient/x", 404, id="lower-case-type"),
    ],
)
async def test_other_paths_fall_through_to_the_right_answer(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)

    assert response.status_code == status
    body = response.json()
    expected = "Bundle" if status == 200 else "OperationOutcome"
    assert body["resourceType"] == expected


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("POST", "/fhir/$hl7v2-convert", 415, id="system-operation-not-a-create"),
        pytest.param("POST", "/fhir/Observation", 404, id="create-of-a-type-not-held"),
        pytest.param("PATCH", "/fhir/Patient/nope", 415, id="patch-is-not-an-update"),
        pytest.param("DELETE", "/fhir/Patient/nope", 204, id="delete-is-not-an-update"),
    ],
)
async def test_writes_beside_the_fast_routes_reach_their_own_handlers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, content=b"{}", headers=FHIR_JSON)

    assert response.status_code == status
