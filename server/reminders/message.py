"""A reminder: the Communication recording it and the message a sender delivers.

The Communication's id is derived from its Appointment's, so each Appointment has at
most one reminder however many runs race to create it: the store's compare-and-swap on
a new resource lets exactly one create win.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.scheduling.appointment import local_reference

REMINDER_SYSTEM = "https://fhirport.dev/fhir/appointment-reminder"
ADDRESS_URL = "https://fhirport.dev/fhir/StructureDefinition/reminder-address"
CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/communication-category",
            "code": "reminder",
            "display": "Reminder",
        }
    ]
}
_ID_ROOM = 64 - len("reminder-")


def reminder_id(appointment_id: str) -> str:
    """The id of the Appointment's reminder Communication (a valid FHIR id)."""
    if len(appointment_id) <= _ID_ROOM:
        return f"reminder-{appointment_id}"
    return f"reminder-{hashlib.sha256(appointment_id.encode()).hexdigest()[:_ID_ROOM]}"


@dataclass(frozen=True, slots=True)
class Reminder:
    """What a sender delivers: to whom, where, the subject line and the text."""

    communication_id: str
    appointment_id: str
    patient_id: str
    to: dict[str, str] | None  # the ContactPoint (system, value); None: none in use
    start: str
    subject: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "communication": f"Communication/{self.communication_id}",
            "appointment": f"Appointment/{self.appointment_id}",
            "patient": f"Patient/{self.patient_id}",
            "to": self.to,
            "start": self.start,
            "subject": self.subject,
            "text": self.text,
        }


def actors(appointment: dict[str, Any]) -> dict[str, str]:
    """The first participant of each type: ``{"Patient": "Patient/1", ...}``."""
    found: dict[str, str] = {}
    for participant in appointment.get("participant") or ():
        actor = participant.get("actor") if isinstance(participant, dict) else None
        reference = local_reference(actor.get("reference")) if isinstance(actor, dict) else None
        if reference is not None:
            found.setdefault(reference.split("/")[0], reference)
    return found


def _when(start: str) -> str:
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        return start
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"{offset[:3]}:{offset[3:]}"
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M} ({zone})"


def person_name(resource: dict[str, Any] | None) -> str | None:
    """A person's first name in use as one line (its text, else prefix, given, family)."""
    for name in (resource or {}).get("name") or ():
        if name.get("text"):
            return str(name["text"])
        parts = [*name.get("prefix", ()), *name.get("given", ()), name.get("family", "")]
        if any(parts):
            return " ".join(p for p in parts if p)
    return None


def compose(
    appointment: dict[str, Any],
    patient_id: str,
    to: dict[str, str] | None,
    location: dict[str, Any] | None,
    practitioner: dict[str, Any] | None,
) -> Reminder:
    """The reminder of ``appointment``: its time, place, clinician and preparation notes."""
    start = str(appointment.get("start", ""))
    sentence = f"Reminder: you have an appointment on {_when(start)}"
    if (who := person_name(practitioner)) is not None:
        sentence += f" with {who}"
    if location is not None and location.get("name"):
        sentence += f" at {location['name']}"
    lines = [sentence + "."]
    notes = [appointment.get(k) for k in ("patientInstruction", "comment")]
    lines += [f"Preparation: {note}" for note in notes if isinstance(note, str) and note]
    return Reminder(
        reminder_id(str(appointment["id"])),
        str(appointment["id"]),
        patient_id,
        to,
        start,
        f"Appointment reminder: {_when(start)}",
        "\n".join(lines),
    )


def communication(reminder: Reminder) -> dict[str, Any]:
    """The Communication recording ``reminder``, in progress until its sender answers."""
    appointment = {"reference": f"Appointment/{reminder.appointment_id}"}
    patient = {"reference": f"Patient/{reminder.patient_id}"}
    body: dict[str, Any] = {
        "resourceType": "Communication",
        "id": reminder.communication_id,
        "identifier": [{"system": REMINDER_SYSTEM, "value": appointment["reference"]}],
        "basedOn": [appointment],
        "status": "in-progress",
        "category": [CATEGORY],
        "subject": patient,
        "about": [appointment],
        "recipient": [patient],
        "payload": [{"contentString": reminder.text}],
    }
    if reminder.to is not None:
        body["extension"] = [{"url": ADDRESS_URL, "valueContactPoint": reminder.to}]
    return body
