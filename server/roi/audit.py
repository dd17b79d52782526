"""The records a release leaves: the disclosure AuditEvent and the release Bundle's Provenance.

The AuditEvent follows the IHE Basic Audit Log Patterns (BALP) PrivacyDisclosure pattern
as recorded at the source: type DICOM 110106 Export, subtype ISO 21089 ``disclose``;
agents for this server (Source Role ID), the recipient (Destination Role ID, with the
authorizing Consents in ``policy``) and the requester; the patient and the released data
as entities; the purpose of use in ``purposeOfEvent``. The accounting of disclosures
(``server.roi.accounting``) reads nothing else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from server.consent import Party
from server.consent import codes as consent_codes
from server.roi import codes


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One disclosure of a patient's records, as its audit trail describes it."""

    patient_id: str
    requester: Party
    recipient: Party
    purpose: str
    released: Counter[str]  # resource type -> how many
    withheld: int
    authorizations: tuple[str, ...]  # ids of the Consents that authorized it (164.508)
    recorded: str  # FHIR instant
    server: str  # this server's base URL
    data: dict[str, Any]  # a Reference to what went out: the release Bundle, or the answer
    request: str | None = None  # the Task (or message) that asked for it

    def description(self) -> str:
        """One sentence for the accounting: what went to whom, for what, under what."""
        parts = ", ".join(f"{t} {n}" for t, n in sorted(self.released.items()))
        text = (
            f"Released {sum(self.released.values())} resource(s) of Patient/{self.patient_id}"
            f" ({parts}) to {_name(self.recipient)} for {self.purpose}"
        )
        if self.authorizations:
            text += " under " + ", ".join(f"Consent/{c}" for c in self.authorizations)
        return f"{text}; {self.withheld} withheld."


def disclosure_event(disclosure: Disclosure) -> dict[str, Any]:
    """The BALP PrivacyDisclosure (source) AuditEvent of a disclosure."""
    recipient = {
        "type": _concept(codes.DICOM, codes.DESTINATION_ROLE, "Destination Role ID"),
        "who": _reference(disclosure.recipient),
        "requestor": False,
    }
    if disclosure.authorizations:
        recipient["policy"] = [f"Consent/{c}" for c in disclosure.authorizations]
    entities = [
        _entity({"reference": f"Patient/{disclosure.patient_id}"}, "1", "Person", "1", "Patient"),
        {
            **_entity(disclosure.data, "2", "System Object", "4", "Domain Resource"),
            "description": disclosure.description(),
        },
    ]
    if disclosure.request is not None:
        job = {"reference": disclosure.request}
        entities.append(_entity(job, "2", "System Object", "20", "Job"))
    return {
        "resourceType": "AuditEvent",
        "type": {"system": codes.DICOM, "code": codes.EXPORT, "display": "Export"},
        "subtype": [{"system": codes.LIFECYCLE, "code": codes.DISCLOSE, "display": "Disclose"}],
        "action": "R",
        "recorded": disclosure.recorded,
        "outcome": "0",
        "purposeOfEvent": [_purpose(disclosure.purpose)],
        "agent": [
            {
                "type": _concept(codes.DICOM, codes.SOURCE_ROLE, "Source Role ID"),
                "who": _server(disclosure.server),
                "requestor": False,
                "network": {"address": disclosure.server, "type": "5"},
            },
            recipient,
            {
                "type": _concept(codes.PARTICIPATION_TYPE, codes.REQUESTER_ROLE, "author"),
                "who": _reference(disclosure.requester),
                "requestor": True,
            },
        ],
        "source": {
            "observer": _server(disclosure.server),
            "type": [{"system": codes.SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
        "entity": entities,
    }


def release_provenance(disclosure: Disclosure) -> dict[str, Any]:
    """The Provenance of a release Bundle: assembled by this server from the request."""
    sources = [disclosure.request] if disclosure.request else []
    sources += [f"Consent/{c}" for c in disclosure.authorizations]
    return {
        "resourceType": "Provenance",
        "target": [disclosure.data],
        "recorded": disclosure.recorded,
        "activity": {"coding": [{"system": codes.LIFECYCLE, "code": codes.DISCLOSE}]},
        "reason": [_purpose(disclosure.purpose)],
        "agent": [
            {
                "type": _concept(codes.PROVENANCE_PARTICIPANT, "assembler", "Assembler"),
                "who": _server(disclosure.server),
            }
        ],
        "entity": [{"role": "source", "what": {"reference": ref}} for ref in sources],
    }


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _purpose(code: str) -> dict[str, Any]:
    return {"coding": [{"system": consent_codes.V3_ACT_REASON, "code": code}]}


def _server(base: str) -> dict[str, Any]:
    return {"identifier": {"system": codes.URI_SYSTEM, "value": base}, "display": "fhirport"}


def _entity(
    what: dict[str, Any], kind: str, kind_name: str, role: str, role_name: str
) -> dict[str, Any]:
    return {
        "what": what,
        "type": {"system": codes.ENTITY_TYPE, "code": kind, "display": kind_name},
        "role": {"system": codes.OBJECT_ROLE, "code": role, "display": role_name},
    }


def _reference(party: Party) -> dict[str, Any]:
    if party.reference is not None:
        return {"reference": party.reference}
    assert party.identifier is not None  # a Party has one or the other (request.py)
    system, value = party.identifier.system, party.identifier.code
    return {"identifier": {"system": system, "value": value} if system else {"value": value}}


def _name(party: Party) -> str:
    if party.reference is not None:
        return party.reference
    assert party.identifier is not None
    return f"{party.identifier.system}|{party.identifier.code}"
