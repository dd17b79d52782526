"""Builders and checks for merge races: patients from HL7v2 registrations, their records over
REST, the racing requests, and what exactly one merge leaves behind.

Shared by the in-process races (tests/merge/test_merge_races.py, every store) and the
two-process ones (tests/merge/test_merge_races_two_servers.py, one SQLite file).
"""

from __future__ import annotations

from typing import Any

from mappers.identity import deterministic_id

ER7 = {"Content-Type": "x-application/hl7-v2+er7"}
FHIR_JSON = {"Content-Type": "application/fhir+json"}
AUTHORITY = "urn:fhirport:id:north"


def patient_id(mrn: str) -> str:
    """The id the HL7v2 mapper gives the patient of an MRN assigned by NORTH."""
    return deterministic_id("Patient", AUTHORITY, mrn)


def message(control_id: str, event: str, *segments: str, when: str = "20240101") -> bytes:
    structure = "ADT_A39" if event == "A40" else "ADT_A01"
    lines = [
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||ADT^{event}^{structure}|{control_id}|P|2.5.1",
        f"EVN|{event}|{when}",
        *segments,
    ]
    return "\r".join(lines).encode()


def registration(mrn: str) -> bytes:
    return message(f"REG-{mrn}", "A04", f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann||19800214|F")


def a40(control_id: str, survivor_mrn: str, retired_mrn: str) -> bytes:
    """ADT^A40 merging ``retired_mrn`` into ``survivor_mrn``; dated after the REST writes."""
    return message(
        control_id,
        "A40",
        f"PID|1||{survivor_mrn}^^^NORTH^MR||Doe^Ann||19800214|F",
        f"MRG|{retired_mrn}^^^NORTH^MR",
        when="20350101",
    )


def merge_parameters(source: str, target: str) -> dict[str, Any]:
    """A ``Patient/$merge`` body."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "source-patient", "valueReference": {"reference": f"Patient/{source}"}},
            {"name": "target-patient", "valueReference": {"reference": f"Patient/{target}"}},
        ],
    }


def records_of(patient: str, count: int) -> list[dict[str, Any]]:
    """``count`` appointments, coverages and consents of a patient (without ids)."""
    reference = {"reference": f"Patient/{patient}"}
    made: list[dict[str, Any]] = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            made.append(
                {
                    "resourceType": "Appointment",
                    "status": "booked",
                    "participant": [{"actor": reference, "status": "accepted"}],
                }
            )
        elif kind == 1:
            made.append(
                {
                    "resourceType": "Coverage",
                    "status": "active",
                    "beneficiary": reference,
                    "payor": [reference],
                }
            )
        else:
            made.append(
                {
                    "resourceType": "Consent",
                    "status": "active",
                    "scope": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                "code": "patient-privacy",
                            }
                        ]
                    },
                    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                    "patient": reference,
                }
            )
    return made


def mentions(resource: dict[str, Any], patient: str) -> bool:
    """Whether any reference in the resource points at the patient."""
    if isinstance(resource, dict):
        if resource.get("reference") == f"Patient/{patient}":
            return True
        return any(mentions(v, patient) for v in resource.values())
    if isinstance(resource, list):
        return any(mentions(v, patient) for v in resource)
    return False


def links(patient: dict[str, Any], link_type: str, other: str) -> int:
    """How many links of a type the patient has to the other."""
    return sum(
        1
        for link in patient.get("link", ())
        if link.get("type") == link_type
        and link.get("other", {}).get("reference") == f"Patient/{other}"
    )
