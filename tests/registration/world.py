"""A fully registered patient (with coverage and consent) and the faults registration finds."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import httpx

CHECK_SYSTEM = "https://fhirport.dev/CodeSystem/registration-check"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"


def days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def make_patient(patient_id: str) -> dict[str, Any]:
    """A patient whose registration lacks nothing."""
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "identifier": [
            {
                "type": {"coding": [{"system": V2_0203, "code": "MR"}]},
                "system": "urn:oid:2.16.840.1.113883.3.9999.1",
                "value": f"MRN-{patient_id}",
            }
        ],
        "name": [{"family": "Rivera", "given": ["Ana"]}],
        "gender": "female",
        "birthDate": "1970-03-01",
        "telecom": [{"system": "phone", "value": "+1 512 555 0100"}],
        "address": [
            {"line": ["1 Main St"], "city": "Austin", "state": "TX", "postalCode": "78701"}
        ],
    }


def make_coverage(patient_id: str, **overrides: Any) -> dict[str, Any]:
    """A coverage of the patient, active from a year ago to a year on."""
    coverage = {
        "resourceType": "Coverage",
        "id": f"cov-{patient_id}",
        "status": "active",
        "subscriberId": "XJH123",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"reference": "Organization/reg-payer"}],
        "period": {"start": days(-365), "end": days(365)},
    }
    coverage.update(overrides)
    return coverage


def make_consent(patient_id: str, **overrides: Any) -> dict[str, Any]:
    """The patient's active consent to treatment."""
    consent = {
        "resourceType": "Consent",
        "id": f"consent-{patient_id}",
        "status": "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "treatment"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "dateTime": "2026-01-05",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                   "code": "OPTIN"}]},
    }  # fmt: skip
    consent.update(overrides)
    return consent


PAYER: dict[str, Any] = {"resourceType": "Organization", "id": "reg-payer", "name": "Payer"}


async def put(client: httpx.AsyncClient, resource: dict[str, Any]) -> None:
    response = await client.put(f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource)
    assert response.status_code in {200, 201}, response.text


async def register(
    client: httpx.AsyncClient,
    patient: dict[str, Any],
    coverage: dict[str, Any] | None,
    consent: dict[str, Any] | None,
) -> None:
    """Store the patient, and its coverage and consent when given."""
    await put(client, copy.deepcopy(PAYER))
    await put(client, patient)
    for resource in (coverage, consent):
        if resource is not None:
            await put(client, resource)


def check_codes(outcome: dict[str, Any]) -> list[str]:
    """The registration-check codes of an OperationOutcome's issues, in order."""
    return [
        coding["code"]
        for issue in outcome["issue"]
        for coding in (issue.get("details") or {}).get("coding", [])
        if coding.get("system") == CHECK_SYSTEM
    ]
