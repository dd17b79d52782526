"""Create, read, vread, update, patch and delete over HTTP, on every store."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio


async def create_patient(client: httpx.AsyncClient, **overrides: object) -> dict[str, object]:
    response = await client.post("/fhir/Patient", json=make_patient(**overrides), headers=FHIR_JSON)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_create_assigns_id_and_answers_201_with_headers(client: httpx.AsyncClient) -> None:
    sent = make_patient(
        id="client-chosen", meta={"versionId": "99", "lastUpdated": "2001-01-01T00:00:00Z"}
    )
    response = await client.post("/fhir/Patient", json=sent, headers=FHIR_JSON)

    assert response.status_code == 201
    body = response.json()
    assert body["id"] != "client-chosen"
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"] != "2001-01-01T00:00:00Z"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Location"].endswith(f"/fhir/Patient/{body['id']}/_history/1")
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Content-Type"].startswith("application/fhir+json")


async def test_read_returns_stored_resource_with_etag(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)
    response = await client.get(f"/fhir/Patient/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["ETag"] == 'W/"1"'


async def test_read_unknown_is_404_outcome(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient/does-not-exist")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "not-found"


async def test_update_makes_new_version_and_vread_keeps_old(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)
    changed = {**created, "gender": "female"}
    response = await client.put(f"/fhir/Patient/{created['id']}", json=changed, headers=FHIR_JSON)

    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"
    assert response.headers["ETag"] == 'W/"2"'
    old = await client.get(f"/fhir/Patient/{created['id']}/_history/1")
    assert old.json()["gender"] == "male"
    new = await client.get(f"/fhir/Patient/{created['id']}/_history/2")
    assert new.json()["gender"] == "female"


async def test_update_as_create_with_client_id_is_201(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/fhir/Patient/chosen-id", json=make_patient(id="chosen-id"), headers=FHIR_JSON
    )

    assert response.status_code == 201
    assert response.json()["id"] == "chosen-id"
    assert response.headers["Location"].endswith("/fhir/Patient/chosen-id/_history/1")


async def test_update_with_mismatched_id_is_400(client: httpx.AsyncClient) -> None:
    response = await client.put("/fhir/Patient/a", json=make_patient(id="b"), headers=FHIR_JSON)

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Patient.id"]


async def test_if_match_stale_version_is_412(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)
    url = f"/fhir/Patient/{created['id']}"
    first = await client.put(url, json=created, headers={**FHIR_JSON, "If-Match": 'W/"1"'})
    assert first.status_code == 200

    stale = await client.put(url, json=created, headers={**FHIR_JSON, "If-Match": 'W/"1"'})

    assert stale.status_code == 412
    assert stale.json()["issue"][0]["expression"] == ["If-Match"]


async def test_delete_is_204_then_read_is_410_and_delete_again_is_idempotent(
    client: httpx.AsyncClient,
) -> None:
    created = await create_patient(client)
    url = f"/fhir/Patient/{created['id']}"

    first = await client.delete(url)
    assert first.status_code == 204
    assert first.headers["ETag"] == 'W/"2"'
    assert (await client.get(url)).status_code == 410
    again = await client.delete(url)
    assert again.status_code == 204
    history = (await client.get(f"{url}/_history")).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]


async def test_update_after_delete_recreates(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)
    url = f"/fhir/Patient/{created['id']}"
    await client.delete(url)

    response = await client.put(url, json=created, headers=FHIR_JSON)

    assert response.status_code == 201
    assert response.json()["meta"]["versionId"] == "3"


async def test_vread_of_deleted_version_is_410(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)
    await client.delete(f"/fhir/Patient/{created['id']}")

    response = await client.get(f"/fhir/Patient/{created['id']}/_history/2")

    assert response.status_code == 410


@pytest.mark.parametrize("version", ["9", "abc", "-1"])
async def test_vread_unknown_version_is_404(client: httpx.AsyncClient, version: str) -> None:
    created = await create_patient(client)

    response = await client.get(f"/fhir/Patient/{created['id']}/_history/{version}")

    assert response.status_code == 404


async def test_json_patch_is_applied_and_validated(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)
    url = f"/fhir/Patient/{created['id']}"
    headers = {"Content-Type": "application/json-patch+json"}

    ok = await client.patch(
        url, json=[{"op": "replace", "path": "/gender", "value": "other"}], headers=headers
    )
    assert ok.status_code == 200
    assert ok.json()["gender"] == "other"
    assert ok.json()["meta"]["versionId"] == "2"

    invalid = await client.patch(
        url, json=[{"op": "replace", "path": "/gender", "value": "robot"}], headers=headers
    )
    assert invalid.status_code == 400
    assert invalid.json()["issue"][0]["expression"] == ["Patient.gender"]


@pytest.mark.parametrize(
    "operations",
    [
        pytest.param({"op": "replace"}, id="not-an-array"),
        pytest.param([{"op": "jump", "path": "/gender"}], id="unknown-op"),
        pytest.param([{"op": "remove", "path": "/nothing/here"}], id="missing-path"),
        pytest.param([{"op": "replace", "path": "/id", "value": "other"}], id="changes-id"),
    ],
)
async def test_bad_json_patch_is_rejected(client: httpx.AsyncClient, operations: object) -> None:
    created = await create_patient(client)

    response = await client.patch(
        f"/fhir/Patient/{created['id']}",
        json=operations,
        headers={"Content-Type": "application/json-patch+json"},
    )

    assert response.status_code in (400, 422)
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("prefer", "has_body", "resource_type"),
    [
        pytest.param("return=minimal", False, None, id="minimal"),
        pytest.param("return=representation", True, "Patient", id="representation"),
        pytest.param("return=OperationOutcome", True, "OperationOutcome", id="outcome"),
    ],
)
async def test_prefer_return(
    client: httpx.AsyncClient, prefer: str, has_body: bool, resource_type: str | None
) -> None:
    response = await client.post(
        "/fhir/Patient", json=make_patient(), headers={**FHIR_JSON, "Prefer": prefer}
    )

    assert response.status_code == 201
    assert "Location" in response.headers
    if has_body:
        assert response.json()["resourceType"] == resource_type
    else:
        assert response.content == b""


async def test_unknown_resource_type_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Observation/1")

    assert response.status_code == 404
    assert "Observation" in response.json()["issue"][0]["diagnostics"]


async def test_every_held_type_round_trips(client: httpx.AsyncClient) -> None:
    # The patient the coverage below is for (references must resolve).
    await client.put("/fhir/Patient/p1", json=make_patient(id="p1"), headers=FHIR_JSON)
    organization = {"resourceType": "Organization", "name": "Blue Payer"}
    response = await client.post("/fhir/Organization", json=organization, headers=FHIR_JSON)
    assert response.status_code == 201
    org_id = response.json()["id"]
    coverage = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": "Patient/p1"},
        "payor": [{"reference": f"Organization/{org_id}"}],
    }

    created = await client.post("/fhir/Coverage", json=coverage, headers=FHIR_JSON)

    assert created.status_code == 201
    read = await client.get(f"/fhir/Coverage/{created.json()['id']}")
    assert read.json()["payor"] == coverage["payor"]


@pytest.mark.parametrize(
    ("params", "present", "absent"),
    [
        pytest.param({"_summary": "true"}, {"name", "gender", "birthDate"}, {"text"}, id="summary"),
        pytest.param({"_summary": "data"}, {"name"}, {"text"}, id="data"),
        pytest.param({"_elements": "gender"}, {"gender"}, {"name", "birthDate"}, id="elements"),
    ],
)
async def test_read_subsets_are_marked(
    client: httpx.AsyncClient, params: dict[str, str], present: set[str], absent: set[str]
) -> None:
    created = await create_patient(
        client,
        text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
    )

    body = (await client.get(f"/fhir/Patient/{created['id']}", params=params)).json()

    assert present <= body.keys()
    assert not absent & body.keys()
    subsetted = {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "code": "SUBSETTED",
    }
    assert subsetted in body["meta"]["tag"]


async def test_bad_summary_value_is_400(client: httpx.AsyncClient) -> None:
    created = await create_patient(client)

    response = await client.get(f"/fhir/Patient/{created['id']}", params={"_summary": "maybe"})

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_summary"]
