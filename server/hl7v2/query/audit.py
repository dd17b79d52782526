"""The record of one answered HL7 v2 record query: one AuditEvent per answer.

An answer that carries patients is a disclosure: the IHE BALP PrivacyDisclosure event
the ROI workflow writes (``server.roi.audit.disclosure_event``: this server as source,
the querying system as recipient and requester, the purpose of use), with one patient
entity per patient disclosed, the answer message as the data entity, and the query
as a Query entity (role 24, the query message in ``entity.query``). The accounting of
disclosures (``Patient/{id}/$disclosures``) finds it under every patient it names.

An answer that finds nobody (QAK NF) disclosed nothing: it is recorded as a BALP query
event (DICOM 110112 Query, no ``disclose`` subtype) with the query entity alone, so the
query stays traceable without appearing in any patient's accounting.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from hl7.er7 import Message
from server.hl7v2.query.config import RECIPIENT_ROLE, REQUESTER_ROLE, QuerySender
from server.roi import codes
from server.roi.audit import Disclosure, disclosure_event

MESSAGE_SYSTEM: Final = "urn:fhirport:hl7v2:message"  # identifier system of v2 messages
QUERY_EVENT: Final = "110112"  # DICOM: Query
QUERY_ROLE: Final = ("24", "Query")  # object-role
PATIENT_ROLE: Final = ("1", "Patient")
DATA_ROLE: Final = ("4", "Domain Resource")


@dataclass(frozen=True, slots=True)
class AnsweredQuery:
    """What one answer to a record query carried, for its record."""

    query: Message
    raw: bytes
    sender: QuerySender
    answer_control_id: str  # MSH-10 of the answer
    patient_ids: Sequence[str]  # in answer order
    released: Counter[str]  # resource type -> how many went out
    recorded: str  # FHIR instant
    server: str  # this server's base URL


def _entity(what: dict[str, Any], kind: str, role: tuple[str, str]) -> dict[str, Any]:
    names = {"1": "Person", "2": "System Object"}
    return {
        "what": what,
        "type": {"system": codes.ENTITY_TYPE, "code": kind, "display": names[kind]},
        "role": {"system": codes.OBJECT_ROLE, "code": role[0], "display": role[1]},
    }


def _description(answered: AnsweredQuery) -> str:
    query = answered.query
    parts = ", ".join(f"{t} {n}" for t, n in sorted(answered.released.items())) or "nothing"
    recipient = answered.sender.reference or (
        answered.sender.identifier.code if answered.sender.identifier else ""
    )
    return (
        f"Answered {query.message_code}^{query.trigger_event} {query.control_id} from "
        f"{query.sending_application}|{query.sending_facility}: "
        f"{len(answered.patient_ids)} patient(s) ({parts}) to {recipient} "
        f"for {answered.sender.purpose}."
    )


def query_audit_event(answered: AnsweredQuery) -> dict[str, Any]:
    """The AuditEvent recording one answer (a disclosure when it carried patients)."""
    sender = answered.sender
    message = {"identifier": {"system": MESSAGE_SYSTEM, "value": answered.answer_control_id}}
    event = disclosure_event(
        Disclosure(
            patient_id="",  # the entities are replaced below: one per patient of the answer
            requester=sender.party(REQUESTER_ROLE),
            recipient=sender.party(RECIPIENT_ROLE),
            purpose=sender.purpose,
            released=answered.released,
            withheld=0,
            authorizations=(),
            recorded=answered.recorded,
            server=answered.server,
            data=message,
        )
    )
    sent = answered.query
    query = _entity(
        {"identifier": {"system": MESSAGE_SYSTEM, "value": sent.control_id}},
        "2",
        QUERY_ROLE,
    )
    query["query"] = base64.b64encode(answered.raw).decode("ascii")
    query["description"] = f"{sent.message_code}^{sent.trigger_event} {sent.control_id}"
    if not answered.patient_ids:
        del event["subtype"]
        event["type"] = {"system": codes.DICOM, "code": QUERY_EVENT, "display": "Query"}
        event["action"] = "E"
        event["entity"] = [query]
        return event
    patients = [
        _entity({"reference": f"Patient/{p}"}, "1", PATIENT_ROLE) for p in answered.patient_ids
    ]
    data = {**_entity(message, "2", DATA_ROLE), "description": _description(answered)}
    event["entity"] = [*patients, data, query]
    return event
