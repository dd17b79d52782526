"""Short builders for consent-engine tests: Consents (always validated), records, requests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from server.consent import Coding, DisclosureRequest, Party, Scope, TimeRange
from server.consent import codes as c
from server.fhir.validation import validate_resource
from tests.conftest import make_claim as shared_claim

PATIENT_ID = "pat-1"
PATIENT_REF = f"Patient/{PATIENT_ID}"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RECIPIENT_ROLE = Coding(PARTICIPATION, "IRCP")
LAW_FIRM = "Organization/law-firm"
INSURER = "Organization/insurer"
CLINIC = "Organization/clinic"
RESEARCHER = "Organization/university"
LOINC_CODE = "http://loinc.org"


def label(code: str) -> dict[str, str]:
    """A v3 ActCode security label Coding dict."""
    return {"system": c.V3_ACT_CODE, "code": code}


def make_provision(
    effect: str | None = None,
    *,
    actors: Sequence[str] = (),
    purposes: Sequence[str] = (),
    classes: Sequence[str] = (),
    labels: Sequence[str] = (),
    data_period: tuple[str | None, str | None] | None = None,
    period: tuple[str | None, str | None] | None = None,
    data: Sequence[str] = (),
    codes: Sequence[tuple[str, str]] = (),
    actions: Sequence[str] = (),
    children: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A Consent.provision; actors are references in the recipient role (IRCP)."""
    provision: dict[str, Any] = {}
    if effect is not None:
        provision["type"] = effect
    if period is not None:
        provision["period"] = _period(period)
    if actors:
        provision["actor"] = [
            {"role": {"coding": [RECIPIENT_ROLE.to_fhir()]}, "reference": {"reference": ref}}
            for ref in actors
        ]
    if actions:
        provision["action"] = [
            {"coding": [{"system": c.CONSENT_ACTION, "code": a}]} for a in actions
        ]
    if labels:
        provision["securityLabel"] = [label(code) for code in labels]
    if purposes:
        provision["purpose"] = [{"system": c.V3_ACT_REASON, "code": p} for p in purposes]
    if classes:
        provision["class"] = [{"system": c.RESOURCE_TYPES, "code": t} for t in classes]
    if codes:
        provision["code"] = [{"coding": [{"system": s, "code": v}]} for s, v in codes]
    if data_period is not None:
        provision["dataPeriod"] = _period(data_period)
    if data:
        provision["data"] = [{"meaning": "instance", "reference": {"reference": r}} for r in data]
    if children:
        provision["provision"] = list(children)
    return provision


def make_consent(
    consent_id: str,
    rule: str = c.OPT_IN,
    provision: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An active patient-privacy Consent for PATIENT_ID; fails the test unless it validates."""
    consent: dict[str, Any] = {
        "resourceType": "Consent",
        "id": consent_id,
        "status": "active",
        "scope": {"coding": [{"system": c.CONSENT_SCOPE, "code": c.PATIENT_PRIVACY}]},
        "category": [{"coding": [{"system": LOINC_CODE, "code": "59284-0"}]}],
        "patient": {"reference": PATIENT_REF},
        "dateTime": "2024-01-01",
        "policyRule": {"coding": [{"system": c.V3_ACT_CODE, "code": rule}]},
    }
    if provision is not None:
        consent["provision"] = provision
    consent.update(overrides)
    validate_resource(consent, "Consent")
    return consent


def make_claim(claim_id: str, created: str, labels: Iterable[str] = ()) -> dict[str, Any]:
    """A Claim for PATIENT_ID created on ``created``, with optional v3 security labels."""
    claim = shared_claim(
        PATIENT_REF,
        id=claim_id,
        created=created,
        provider={"reference": CLINIC},
        insurance=[{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov-1"}}],
    )
    return _labelled(claim, labels)


def make_note(note_id: str, date: str, labels: Iterable[str] = ()) -> dict[str, Any]:
    """A DocumentReference (a clinical note) for PATIENT_ID written on ``date`` (a day)."""
    note: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": note_id,
        "status": "current",
        "subject": {"reference": PATIENT_REF},
        "date": f"{date}T09:00:00Z",
        "content": [{"attachment": {"contentType": "text/plain", "data": "bm90ZQ=="}}],
    }
    return _labelled(note, labels)


def make_coverage(coverage_id: str = "cov-1") -> dict[str, Any]:
    """A Coverage for PATIENT_ID paid by INSURER, in force 2023-2025."""
    return {
        "resourceType": "Coverage",
        "id": coverage_id,
        "status": "active",
        "beneficiary": {"reference": PATIENT_REF},
        "payor": [{"reference": INSURER}],
        "period": {"start": "2023-01-01", "end": "2025-12-31"},
    }


def make_patient_record() -> dict[str, Any]:
    """The Patient resource itself (undated data)."""
    return {"resourceType": "Patient", "id": PATIENT_ID, "gender": "female"}


def party(reference: str, role: Coding = RECIPIENT_ROLE) -> Party:
    return Party(role=role, reference=reference)


def make_request(
    purpose: str,
    recipient: str,
    *,
    requester: str | None = None,
    types: Iterable[str] | None = None,
    period: tuple[str | None, str | None] | None = None,
    now: datetime = NOW,
    action: str = c.DISCLOSE,
) -> DisclosureRequest:
    """A request for PATIENT_ID's records; the requester defaults to the recipient."""
    return DisclosureRequest(
        patient_id=PATIENT_ID,
        requester=party(requester or recipient),
        recipient=party(recipient),
        purpose=purpose,
        now=now,
        scope=Scope(
            resource_types=frozenset(types) if types is not None else None,
            data_period=TimeRange.from_period(_period(period)) if period else None,
        ),
        action=action,
    )


def _period(bounds: tuple[str | None, str | None]) -> dict[str, str]:
    start, end = bounds
    return {k: v for k, v in (("start", start), ("end", end)) if v is not None}


def _labelled(resource: dict[str, Any], labels: Iterable[str]) -> dict[str, Any]:
    security = [label(code) for code in labels]
    if security:
        resource["meta"] = {"security": security}
    return resource
