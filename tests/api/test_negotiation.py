"""_format, _pretty, Accept and Content-Type negotiation."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("params", "headers", "media"),
    [
        pytest.param({}, {}, "application/fhir+json", id="default"),
        pytest.param({"_format": "json"}, {}, "application/fhir+json", id="format-json"),
        pytest.param({"_format": "application/json"}, {}, "application/json", id="format-plain"),
        pytest.param({}, {"Accept": "application/json"}, "application/json", id="accept-plain"),
        pytest.param({}, {"Accept": "*/*"}, "application/fhir+json", id="accept-any"),
        pytest.param(
            {"_format": "json"},
            {"Accept": "application/xml"},
            "application/fhir+json",
            id="format-wins",
        ),
    ],
)
async def test_response_media_type(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], media: str
) -> None:
    response = await client.get("/fhir/metadata", params=params, headers=headers)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({"_format": "xml"}, {}, id="format-xml"),
        pytest.param({}, {"Accept": "application/fhir+xml"}, id="accept-xml"),
        pytest.param({}, {"Accept": "text/turtle"}, id="accept-turtle"),
    ],
)
async def test_unsupported_formats_are_406(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str]
) -> None:
    # Twice: the second answer must not come from a remembered choice.
    for _ in range(2):
        response = await client.get("/fhir/metadata", params=params, headers=headers)

        assert response.status_code == 406
        assert response.json()["resourceType"] == "OperationOutcome"


async def test_a_read_with_and_without_a_query_string(client: httpx.AsyncClient) -> None:
    created = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()
    url = f"/fhir/Patient/{created['id']}"

    plain = await client.get(url, headers={"Accept": "application/json"})
    summary = await client.get(url, params={"_elements": "gender"})

    assert plain.headers["Content-Type"] == "application/json; charset=utf-8"
    assert plain.json()["name"] == created["name"]
    assert "name" not in summary.json()
    assert summary.json()["meta"]["tag"][0]["code"] == "SUBSETTED"


async def test_pretty_indents_the_stored_resource(client: httpx.AsyncClient) -> None:
    created = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()

    compact = await client.get(f"/fhir/Patient/{created['id']}")
    pretty = await client.get(f"/fhir/Patient/{created['id']}", params={"_pretty": "true"})

    assert b"\n" not in compact.content
    assert b'\n  "resourceType"' in pretty.content
    assert pretty.json() == compact.json()


async def test_accepts_plain_json_bodies(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/Patient",
        json=make_patient(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 201


async def test_capability_statement_lists_held_types(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()

    assert statement["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert types == {
        "Patient",
        "Appointment",
        "Encounter",
        "Coverage",
        "Consent",
        "Claim",
        "Organization",
        "Practitioner",
        "Location",
        "Group",
        "Schedule",
        "Slot",
        "Communication",
        "CoverageEligibilityRequest",
        "CoverageEligibilityResponse",
        "RelatedPerson",
        "Task",
        "AuditEvent",
        "Provenance",
        "Bundle",
    }
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    codes = {i["code"] for i in patient["interaction"]}
    assert {"read", "vread", "update", "patch", "delete", "create", "history-instance"} <= codes


async def test_capability_statement_claims_conditional_writes_only_where_writes_exist(
    client: httpx.AsyncClient,
) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    by_type = {r["type"]: r for r in statement["rest"][0]["resource"]}

    for read_only in ("AuditEvent", "Provenance", "Bundle"):
        entry = by_type[read_only]
        assert not entry["conditionalCreate"], read_only
        assert not entry["conditionalUpdate"], read_only
        assert entry["conditionalDelete"] == "not-supported", read_only
    assert by_type["Patient"]["conditionalCreate"] is True
