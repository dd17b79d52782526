"""A small data set with known answers, loaded through the API into each store."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_claim
from tests.referenced import provide_targets

LOCAL = "http://localhost:8080/fhir"  # one of the app's own base URLs in the test settings
MR = {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}

PATIENTS: dict[str, dict[str, Any]] = {
    "alvarez": {
        "name": [{"family": "Álvarez", "given": ["José"]}],
        "birthDate": "1980-02-29",
        "gender": "male",
        "active": True,
        "identifier": [
            {"system": "urn:mrn", "value": "A1", "type": {"coding": [MR], "text": "MRN"}},
            {"system": "urn:ssn", "value": "111"},
        ],
        "telecom": [{"system": "email", "value": "jose@example.org"}],
        "generalPractitioner": [{"identifier": {"system": "urn:npi", "value": "NPI-7"}}],
        "address": [{"city": "Bogotá", "postalCode": "110111"}],
        "meta": {
            "tag": [{"system": "urn:tags", "code": "vip"}],
            "profile": ["http://example.org/fhir/StructureDefinition/pat"],
        },
    },
    "smith": {
        "name": [{"family": "Smith", "given": ["Anna", "Marie"]}],
        "birthDate": "1990",
        "gender": "female",
        "active": False,
        "identifier": [{"system": "urn:mrn", "value": "S1"}],
        "deceasedDateTime": "2020-05-01T01:30:00+02:00",
        "maritalStatus": {"coding": [{"system": "urn:ms", "code": "M", "display": "Married"}]},
    },
    "smithson": {
        "name": [{"family": "Smithson", "given": ["Zoë"]}],
        "birthDate": "1990-12-31",
        "gender": "female",
        "identifier": [{"system": "urn:mrn", "value": "S2"}],
        "managingOrganization": {"reference": f"{LOCAL}/Organization/org1"},
        "generalPractitioner": [{"reference": "Practitioner/pr1"}],
    },
    "oneil": {
        "name": [{"family": "O'Neil", "given": ["Seán"]}],
        "gender": "unknown",
        "generalPractitioner": [{"reference": "http://other.example/fhir/Practitioner/9"}],
    },
}


async def create(client: httpx.AsyncClient, resource: dict[str, Any]) -> dict[str, Any]:
    """POST a resource and return what the server stored."""
    await provide_targets(client, resource)
    response = await client.post(
        f"/fhir/{resource['resourceType']}", json=resource, headers=FHIR_JSON
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def put(client: httpx.AsyncClient, resource: dict[str, Any]) -> dict[str, Any]:
    """PUT a resource with a client-chosen id."""
    await provide_targets(client, resource)
    url = f"/fhir/{resource['resourceType']}/{resource['id']}"
    response = await client.put(url, json=resource, headers=FHIR_JSON)
    assert response.status_code in (200, 201), response.text
    stored: dict[str, Any] = response.json()
    return stored


async def search(client: httpx.AsyncClient, path: str, **headers: str) -> dict[str, Any]:
    """GET a search and return the Bundle (asserting 200)."""
    response = await client.get(f"/fhir/{path}", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def matched_ids(bundle: dict[str, Any]) -> list[str]:
    """The ids of the entries with search.mode match, in order."""
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.fixture
async def patients(client: httpx.AsyncClient) -> dict[str, str]:
    """Create PATIENTS under ids equal to their keys (PUT): name -> id; first the
    organization and practitioner smithson refers to, and the coverage claims name."""
    await put(client, {"resourceType": "Organization", "id": "org1", "name": "Acme Health"})
    await put(client, {"resourceType": "Practitioner", "id": "pr1", "name": [{"family": "House"}]})
    for key, body in PATIENTS.items():
        await put(client, {"resourceType": "Patient", "id": key, **body})
    await put(
        client,
        {
            "resourceType": "Coverage",
            "id": "cov1",
            "status": "active",
            "beneficiary": {"reference": "Patient/oneil"},
            "payor": [{"reference": "Organization/org1"}],
        },
    )
    return {key: key for key in PATIENTS}


def appointment(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2024-03-01T09:00:00Z",
        "end": "2024-03-01T09:30:00Z",
        "participant": [{"actor": {"reference": "Patient/alvarez"}, "status": "accepted"}],
    }
    body.update(overrides)
    return body


def claim(patient: str, **overrides: Any) -> dict[str, Any]:
    return make_claim(f"Patient/{patient}", **overrides)
