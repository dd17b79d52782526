"""A clean professional claim and the resources it names, stored under fixed ids."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.conftest import make_claim

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"
NPI = "http://hl7.org/fhir/sid/us-npi"
EDIT_SYSTEM = "https://fhirport.dev/CodeSystem/claim-edit"
DAY = "2026-05-04"  # in force for the ICD-10-CM release the package ships

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "scrub-pat",
    "name": [{"family": "Rivera", "given": ["Ana"]}],
    "gender": "female",
    "birthDate": "1970-03-01",
    "address": [{"line": ["1 Main St"], "city": "Austin", "state": "TX", "postalCode": "78701"}],
}
COVERAGE: dict[str, Any] = {
    "resourceType": "Coverage",
    "id": "scrub-cov",
    "status": "active",
    "subscriberId": "XJH123456789",
    "beneficiary": {"reference": "Patient/scrub-pat"},
    "payor": [{"reference": "Organization/scrub-payer"}],
    "period": {"start": "2026-01-01", "end": "2026-12-31"},
}
PROVIDER: dict[str, Any] = {
    "resourceType": "Organization",
    "id": "scrub-billing",
    "name": "Good Health Clinic",
    "identifier": [{"system": NPI, "value": "1234567893"}],
}
PAYER: dict[str, Any] = {"resourceType": "Organization", "id": "scrub-payer", "name": "Payer"}


def clean_claim() -> dict[str, Any]:
    """A professional claim with no edits against the resources above."""
    return make_claim(
        "Patient/scrub-pat",
        created=DAY,
        billablePeriod={"start": DAY, "end": DAY},
        provider={"reference": "Organization/scrub-billing"},
        insurance=[{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/scrub-cov"}}],
        diagnosis=[
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": "E11.9"}]},
            }
        ],
        item=[
            {
                "sequence": 1,
                "productOrService": {"coding": [{"system": CPT, "code": "99213"}]},
                "modifier": [{"coding": [{"system": CPT, "code": "25"}]}],
                "diagnosisSequence": [1],
                "servicedDate": DAY,
                "quantity": {"value": 1},
                "unitPrice": {"value": 120, "currency": "USD"},
                "net": {"value": 120, "currency": "USD"},
            }
        ],
        total={"value": 120, "currency": "USD"},
    )


async def put(client: httpx.AsyncClient, resource: dict[str, Any]) -> None:
    response = await client.put(f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource)
    assert response.status_code in {200, 201}, response.text


async def store_world(client: httpx.AsyncClient) -> None:
    """Store the patient, the payer, the coverage and the billing provider."""
    for resource in (PATIENT, PAYER, COVERAGE, PROVIDER):
        await put(client, copy.deepcopy(resource))


def edit_codes(outcome: dict[str, Any]) -> list[str]:
    """The claim-edit codes of an OperationOutcome's issues, in order."""
    return [
        coding["code"]
        for issue in outcome["issue"]
        for coding in (issue.get("details") or {}).get("coding", [])
        if coding.get("system") == EDIT_SYSTEM
    ]
