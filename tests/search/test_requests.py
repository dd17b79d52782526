"""Bad requests, lenient handling, conditional interactions and the CapabilityStatement."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON
from tests.search.conftest import create, matched_ids, search

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        pytest.param("famly=smith", "famly", id="misspelled"),
        pytest.param("family:fuzzy=smith", "family:fuzzy", id="unknown-modifier"),
        pytest.param("_text=smith", "_text", id="declared-unsupported"),
        pytest.param("birthdate=1990-13-01", "birthdate", id="bad-date"),
        pytest.param("birthdate=xy1990", "birthdate", id="bad-prefix"),
        pytest.param("birthdate:missing=maybe", "birthdate:missing", id="bad-missing"),
        pytest.param("identifier:of-type=a|b", "identifier:of-type", id="bad-of-type"),
        pytest.param("_count=-1", "_count", id="bad-count"),
        pytest.param("_total=most", "_total", id="bad-total"),
        pytest.param("_sort=colour", "_sort", id="bad-sort"),
        pytest.param("_summary=maybe", "_summary", id="bad-summary"),
        pytest.param("_include=Claim:nothing", "_include", id="bad-include"),
        pytest.param("organization.colour=x", "organization.colour", id="bad-chain"),
        pytest.param("_has:Claim:status:status=x", "_has:Claim:status:status", id="bad-has"),
    ],
)
async def test_bad_parameters_are_400_naming_them(
    client: httpx.AsyncClient, query: str, expression: str
) -> None:
    response = await client.get(f"/fhir/Patient?{query}")

    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["expression"] == [expression]


async def test_unknown_parameter_400_lists_the_valid_ones(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient?famly=smith")

    assert "family" in response.json()["issue"][0]["diagnostics"]


async def test_lenient_handling_ignores_and_reports_unknown_parameters(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    bundle = await search(client, "Patient?famly=x&gender=male", Prefer="handling=lenient")

    assert matched_ids(bundle) == ["alvarez"]
    outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert outcomes[0]["resource"]["issue"][0]["expression"] == ["famly"]
    assert "famly" not in bundle["link"][0]["url"]


async def test_a_value_that_looks_like_an_operator_is_only_a_value(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    for hostile in ("$ne", '{"$gt":""}', ".*", "a%", "^"):
        bundle = await search(client, f"Patient?family={hostile}&_total=accurate")
        contains = await search(client, f"Patient?family:contains={hostile}")
        assert matched_ids(bundle) == []
        assert matched_ids(contains) == []


async def test_search_on_an_unknown_type_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Observation?code=x")

    assert response.status_code == 404


async def test_if_none_exist_uses_the_engine(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    body = {"resourceType": "Patient", "name": [{"family": "New"}]}

    existing = await client.post(
        "/fhir/Patient", json=body, headers={**FHIR_JSON, "If-None-Exist": "identifier=urn:mrn|A1"}
    )
    fresh = await client.post(
        "/fhir/Patient", json=body, headers={**FHIR_JSON, "If-None-Exist": "identifier=urn:mrn|Z9"}
    )
    ambiguous = await client.post(
        "/fhir/Patient", json=body, headers={**FHIR_JSON, "If-None-Exist": "gender=female"}
    )

    assert (existing.status_code, existing.json()["id"]) == (200, "alvarez")
    assert fresh.status_code == 201
    assert ambiguous.status_code == 412


async def test_conditional_update(client: httpx.AsyncClient, patients: dict[str, str]) -> None:
    body = {
        "resourceType": "Patient",
        "name": [{"family": "Updated"}],
        "identifier": [{"system": "urn:mrn", "value": "A1"}],
    }

    one = await client.put("/fhir/Patient?identifier=urn:mrn|A1", json=body, headers=FHIR_JSON)
    other = {**body, "identifier": [{"system": "urn:mrn", "value": "Q7"}]}
    none = await client.put("/fhir/Patient?identifier=urn:mrn|Q7", json=other, headers=FHIR_JSON)
    many = await client.put("/fhir/Patient?gender=female", json=body, headers=FHIR_JSON)
    wrong_id = await client.put(
        "/fhir/Patient?identifier=urn:mrn|A1", json={**body, "id": "smith"}, headers=FHIR_JSON
    )

    assert (one.status_code, one.json()["id"], one.json()["meta"]["versionId"]) == (
        200,
        "alvarez",
        "2",
    )
    assert none.status_code == 201
    assert none.json()["id"] not in patients
    assert many.status_code == 412
    assert wrong_id.status_code == 400


async def test_conditional_delete(client: httpx.AsyncClient, patients: dict[str, str]) -> None:
    many = await client.delete("/fhir/Patient?gender=female")
    one = await client.delete("/fhir/Patient?identifier=urn:mrn|A1")
    none = await client.delete("/fhir/Patient?identifier=urn:mrn|A1")
    no_criteria = await client.delete("/fhir/Patient")

    assert many.status_code == 412
    assert one.status_code == 204
    assert (await client.get("/fhir/Patient/alvarez")).status_code == 410
    assert none.status_code == 204
    assert no_criteria.status_code == 400


async def test_conditional_write_on_an_unknown_parameter_is_400(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    response = await client.delete("/fhir/Patient?identifer=urn:mrn|A1")

    assert response.status_code == 400
    assert (await client.get("/fhir/Patient/alvarez")).status_code == 200


async def test_capability_statement_lists_search_from_the_definitions(
    client: httpx.AsyncClient,
) -> None:
    statement = (await client.get("/fhir/metadata")).json()

    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    names = {p["name"] for p in patient["searchParam"]}
    assert {"family", "birthdate", "identifier", "_id", "_lastUpdated", "_tag"} <= names
    assert "_text" not in names
    assert "_content" not in names
    assert patient["conditionalUpdate"] is True
    assert patient["conditionalDelete"] == "single"
    assert "Claim:patient" in patient["searchRevInclude"]
    assert "Patient:general-practitioner" in patient["searchInclude"]


async def test_created_resources_are_found_by_last_updated(client: httpx.AsyncClient) -> None:
    created = await create(client, {"resourceType": "Patient", "name": [{"family": "Now"}]})
    day = created["meta"]["lastUpdated"][:10]

    bundle = await search(client, f"Patient?_lastUpdated={day}")
    before = await search(client, f"Patient?_lastUpdated=lt{day}")

    assert matched_ids(bundle) == [created["id"]]
    assert matched_ids(before) == []


async def test_post_search_takes_only_form_bodies(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/Patient/_search", content="{}", headers=FHIR_JSON)

    assert response.status_code == 415


async def test_post_search_without_a_body_uses_the_url(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    response = await client.post(
        "/fhir/Patient/_search?gender=male",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert matched_ids(response.json()) == ["alvarez"]
