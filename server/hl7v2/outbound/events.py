"""Which HL7v2 event a stored write means, and the outbox entries it owes each destination.

Pure: a batch of writes (the versions one request or message stores together) in, the
entries out, nothing read. The events (HL7 v2.5.1 chapters 3 and 10):

    Patient created                      ADT^A04 register
    Patient changed                      ADT^A08 update
    Patient merged (the batch holds the  ADT^A40 merge: the survivor's PID, the retired
      retired, ``replaced-by`` the       Patient's identifiers in MRG; the batch's other
      survivor, and the survivor)        writes (the record moved) are part of it
    Coverage created or changed          ADT^A08 of its beneficiary, with IN1
    Appointment created                  SIU^S12 new
    Appointment changed                  SIU^S14 modification, SIU^S15 when it cancels
                                         (the version it replaces was not cancelled)
    Appointment deleted                  SIU^S17 deletion (of its last content)

A deleted Patient or Coverage sends nothing (A08 has no way to say so). A write whose
origin (the MSH-3|MSH-4 of the HL7v2 message that made it) is a destination's own
identity is not sent back to that destination.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from server.fhir.clock import now_us
from server.hl7v2.ingest.identity import replaced_by
from server.hl7v2.outbound.config import OutboundFeed
from server.storage.port import OutboxEntry, StoredVersion, Write, outbox_time_key

_PATIENT_PREFIX = "Patient/"


@dataclass(frozen=True, slots=True)
class Event:
    """A message a write means: its type, the version it is built from, its patient."""

    message_type: str
    resource_type: str
    resource_id: str
    version: int
    patient: str


class OutboxIds:
    """Entry ids that sort in the order they were made: the time in microseconds, made
    to increase in this process, then random digits for entries made by other processes
    in the same microsecond. Twenty characters: MSH-10's length in v2.5.1."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> str:
        self._last = max(now_us(), self._last + 1)
        return outbox_time_key(self._last) + secrets.token_hex(4)[:7]


def _body(write: Write) -> dict[str, Any] | None:
    body = write.version.body
    return orjson.loads(body) if body is not None else None


def _patient_of(reference: Any) -> str:
    text = reference.get("reference") if isinstance(reference, dict) else None
    if isinstance(text, str) and text.startswith(_PATIENT_PREFIX):
        return text.removeprefix(_PATIENT_PREFIX).split("/", 1)[0]
    return ""


def _appointment_patient(appointment: dict[str, Any]) -> str:
    for participant in appointment.get("participant", ()):
        found = _patient_of(participant.get("actor") if isinstance(participant, dict) else None)
        if found:
            return found
    return ""


def _merge(writes: Sequence[Write], bodies: dict[int, dict[str, Any]]) -> Event | None:
    """The A40 of a batch that retires a Patient into another Patient it also writes."""
    patients = {w.version.id for w in writes if w.version.resource_type == "Patient"}
    for number, write in enumerate(writes):
        body = bodies.get(number)
        if write.version.resource_type != "Patient" or body is None:
            continue
        survivor = replaced_by(body)
        if survivor is not None and survivor in patients:
            new = write.version
            return Event("ADT^A40", "Patient", new.id, new.version, survivor)
    return None


def _cancels(body: dict[str, Any], replaced: StoredVersion | None) -> bool:
    """Whether an update cancels the appointment: it is cancelled now and was not before
    (a change of one already cancelled, a reason added, is a modification)."""
    if body.get("status") != "cancelled":
        return False
    if replaced is None or replaced.body is None:
        return True
    before: dict[str, Any] = orjson.loads(replaced.body)
    return before.get("status") != "cancelled"


def _event(write: Write, body: dict[str, Any] | None) -> Event | None:
    new = write.version
    created = write.expected_version == 0
    if new.resource_type == "Patient" and body is not None:
        return Event("ADT^A04" if created else "ADT^A08", "Patient", new.id, new.version, new.id)
    if new.resource_type == "Coverage" and body is not None:
        beneficiary = _patient_of(body.get("beneficiary"))
        if not beneficiary:
            return None
        return Event("ADT^A08", "Coverage", new.id, new.version, beneficiary)
    if new.resource_type == "Appointment":
        if body is None:  # the last content is what the deletion names
            return Event("SIU^S17", "Appointment", new.id, new.version - 1, "")
        kind = "SIU^S12" if created else "SIU^S14"
        if not created and _cancels(body, write.replaces):
            kind = "SIU^S15"
        return Event(kind, "Appointment", new.id, new.version, _appointment_patient(body))
    return None


_TYPES = frozenset({"Patient", "Coverage", "Appointment"})


def events_of(writes: Sequence[Write]) -> Iterator[Event]:
    """The events a batch of writes means, in the batch's order."""
    bodies = {
        number: body
        for number, write in enumerate(writes)
        if write.version.resource_type in _TYPES and (body := _body(write)) is not None
    }
    merge = _merge(writes, bodies)
    if merge is not None:
        yield merge
        return
    for number, write in enumerate(writes):
        if write.version.resource_type in _TYPES:
            event = _event(write, bodies.get(number))
            if event is not None:
                yield event


class OutboxWriter:
    """The resource service's hook: the entries a batch owes the feed's destinations."""

    def __init__(self, feed: OutboundFeed) -> None:
        self.feed = feed
        self.ids = OutboxIds()

    def __call__(self, writes: Sequence[Write], origin: str | None) -> list[OutboxEntry]:
        """``origin``: MSH-3|MSH-4 of the HL7v2 message the writes came from, else None."""
        entries = []
        created = now_us()
        for event in events_of(writes):
            for destination in self.feed.destinations:
                if event.message_type not in destination.messages:
                    continue
                if origin is not None and origin == destination.identity:
                    continue
                entries.append(
                    OutboxEntry(
                        id=self.ids(),
                        destination=destination.name,
                        created=created,
                        message_type=event.message_type,
                        resource_type=event.resource_type,
                        resource_id=event.resource_id,
                        version=event.version,
                        patient=event.patient,
                    )
                )
        return entries
