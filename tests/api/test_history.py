"""History at instance, type and system level: newest first, _count, _since, paging."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio


async def test_instance_history_is_newest_first(client: httpx.AsyncClient) -> None:
    created = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()
    url = f"/fhir/Patient/{created['id']}"
    await client.put(url, json={**created, "gender": "female"}, headers=FHIR_JSON)

    bundle = (await client.get(f"{url}/_history")).json()

    assert bundle["type"] == "history"
    versions = [e["resource"]["meta"]["versionId"] for e in bundle["entry"]]
    assert versions == ["2", "1"]
    assert bundle["entry"][1]["request"] == {"method": "POST", "url": "Patient"}
    assert bundle["entry"][0]["response"]["etag"] == 'W/"2"'


async def test_type_and_system_history_page_without_gaps(client: httpx.AsyncClient) -> None:
    for number in range(5):
        await client.post(
            "/fhir/Patient",
            json=make_patient(gender="female" if number % 2 else "male"),
            headers=FHIR_JSON,
        )
    await client.post(
        "/fhir/Organization", json={"resourceType": "Organization", "name": "X"}, headers=FHIR_JSON
    )

    seen: list[str] = []
    url: str | None = "/fhir/Patient/_history?_count=2"
    while url:
        bundle = (await client.get(url)).json()
        seen.extend(e["resource"]["id"] for e in bundle.get("entry", []))
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    system = (await client.get("/fhir/_history")).json()

    assert len(seen) == 5
    assert len(set(seen)) == 5
    assert len(system["entry"]) == 6
    assert system["entry"][0]["resource"]["resourceType"] == "Organization"


async def test_since_filters_older_versions(client: httpx.AsyncClient) -> None:
    first = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()
    second = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()

    since = second["meta"]["lastUpdated"]
    bundle = (await client.get("/fhir/Patient/_history", params={"_since": since})).json()

    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert ids == [second["id"]]
    assert first["id"] not in ids


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        pytest.param("_count=many", "_count", id="bad-count"),
        pytest.param("_since=yesterday", "_since", id="bad-since"),
        pytest.param("_page=@@@", "_page", id="bad-cursor"),
        pytest.param("_sinse=2020", "_sinse", id="misspelled"),
    ],
)
async def test_bad_history_parameters_are_400(
    client: httpx.AsyncClient, query: str, expression: str
) -> None:
    response = await client.get(f"/fhir/_history?{query}")

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_history_of_unknown_resource_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient/nope/_history")

    assert response.status_code == 404
