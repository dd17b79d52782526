"""Builders for HL7 v2 record-query tests: records, Consents, configurations, queries."""

from __future__ import annotations

from typing import Any

from server.consent import codes as c
from server.hl7v2.query.config import QueryConfig, QuerySender
from tests.conftest import make_patient
from tests.consent.factories import make_consent

MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.9999.1"  # the default patient system (MappingConfig)
MERCY = "Organization/org-mercy"
UNITY = "Organization/org-unity"
CLINIC = QuerySender(c.TREAT, reference=MERCY)
PAYER = QuerySender(c.HPAYMT, reference=UNITY)
CONFIG = QueryConfig(senders={"MERCY": CLINIC, "CLAIMS|UNITY": PAYER})
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def patient(patient_id: str, mrn: str, family: str, given: str, **overrides: Any) -> dict[str, Any]:
    """A Patient with one MRN in the default patient system; ``overrides`` replace elements."""
    mr = {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "system": MRN_SYSTEM}
    fields: dict[str, Any] = {
        "id": patient_id,
        "identifier": [{**mr, "value": mrn}],
        "name": [{"use": "official", "family": family, "given": [given]}],
    }
    return make_patient(**{**fields, **overrides})


def coverage(coverage_id: str, patient_id: str, **overrides: Any) -> dict[str, Any]:
    """An active Coverage of ``patient_id`` with Unity Mutual Health: plan, group, member id."""
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": coverage_id,
        "status": "active",
        "identifier": [
            {
                "type": {"coding": [{"system": V2_0203, "code": "MB"}]},
                "system": "urn:oid:2.16.840.1.113883.3.9999.2.11",
                "value": f"MB-{coverage_id}",
            }
        ],
        "subscriberId": f"SUB-{coverage_id}",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "relationship": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                    "code": "self",
                }
            ]
        },
        "period": {"start": "2023-01-01", "end": "2026-12-31"},
        "payor": [{"reference": UNITY, "display": "Unity Mutual Health"}],
        "class": [
            {
                "type": {"coding": [{"system": COVERAGE_CLASS, "code": "group"}]},
                "value": "GRP-18284",
                "name": "Acme Tool & Die employees",
            },
            {
                "type": {"coding": [{"system": COVERAGE_CLASS, "code": "plan"}]},
                "value": "UNITY-CORE-HMO",
                "name": "Unity Core HMO",
            },
        ],
    }
    resource.update(overrides)
    return resource


def privacy_consent(
    consent_id: str, patient_id: str, provision: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An active opt-out privacy Consent (TPO permitted) with an optional root provision."""
    patient_ref = {"reference": f"Patient/{patient_id}"}
    return make_consent(consent_id, c.OPT_OUT, provision, patient=patient_ref)


def deny_purpose(purpose: str) -> dict[str, Any]:
    """A provision denying every disclosure for ``purpose`` (an opt-out of that use)."""
    return {"type": "deny", "purpose": [{"system": c.V3_ACT_REASON, "code": purpose}]}


def deny_type(resource_type: str) -> dict[str, Any]:
    """A provision denying every resource of one type."""
    return {"type": "deny", "class": [{"system": c.RESOURCE_TYPES, "code": resource_type}]}


def msh(sender: str, event: str, control_id: str, version: str = "2.5") -> str:
    """An MSH from ``APP|FACILITY`` to fhirport."""
    return f"MSH|^~\\&|{sender}|FHIRPORT|HIM|20261125090000||{event}|{control_id}|P|{version}"


def qry_a19(
    mrn: str, *, sender: str = "EHR|MERCY", version: str = "2.5", control_id: str = "Q1"
) -> bytes:
    """A QRY^A19 for the patient with this MRN (QRD-8.1), query id QT-1."""
    return "\r".join(
        [
            msh(sender, "QRY^A19^QRY_A19", control_id, version),
            f"QRD|20261125090000|R|I|QT-1|||10^RD|{mrn}|DEM",
            "QRF|FHIRPORT",
        ]
    ).encode()


def qbp_q22(criteria: str, *, sender: str = "EHR|MERCY", control_id: str = "Q2") -> bytes:
    """A QBP^Q22 with QPD-3 ``criteria`` (``@PID.5.1^SMITH~...``), tag PDQ-7, 5 at most."""
    return "\r".join(
        [
            msh(sender, "QBP^Q22^QBP_Q21", control_id),
            f"QPD|Q22^Find Candidates^HL70471|PDQ-7|{criteria}",
            "RCP|I|5^RD",
        ]
    ).encode()
