"""What booking needs to know of an Appointment, read from its JSON."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.fhir.clock import fhir_instant, parse_instant

OVERBOOK_URL = "https://fhirport.dev/fhir/StructureDefinition/overbook"
OVERBOOK_CAPACITY_URL = "https://fhirport.dev/fhir/StructureDefinition/overbook-capacity"

# Statuses in which an Appointment takes its participants' time (Appointment.status).
BUSY_STATUSES = frozenset({"booked", "arrived", "checked-in"})
# Participants whose time can be double-booked; devices and related persons are not.
BOOKED_TYPES = ("Practitioner", "Location", "Patient")
# Overlapping Appointments are found by their start (the ``date`` parameter): one that
# started up to this long before the time looked at is looked at.
LOOK_BACK_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class Participant:
    """A participant whose time the Appointment takes: ``Type/id`` and where it is."""

    reference: str
    expression: str


@dataclass(frozen=True, slots=True)
class Booking:
    """An Appointment's claim on time: who, from when to when (microseconds)."""

    participants: tuple[Participant, ...]
    start: int
    end: int
    overbook: bool

    def overlaps(self, other: Booking) -> bool:
        return self.start < other.end and other.start < self.end

    def shares(self, other: Booking) -> Participant | None:
        """The first of this booking's participants that ``other`` has too, or None."""
        theirs = {p.reference for p in other.participants}
        return next((p for p in self.participants if p.reference in theirs), None)


def extension_value(resource: dict[str, Any], url: str, kind: str) -> Any:
    """The ``value[kind]`` of the resource's first extension with ``url``, or None."""
    for extension in resource.get("extension") or ():
        if isinstance(extension, dict) and extension.get("url") == url:
            return extension.get(f"value{kind}")
    return None


def local_reference(reference: Any) -> str | None:
    """``Type/id`` of a literal reference (relative or absolute, without _history), or None."""
    if not isinstance(reference, str):
        return None
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) < 2 or not parts[-2][:1].isupper() or not parts[-1]:
        return None
    return f"{parts[-2]}/{parts[-1]}"


def participants_of(appointment: dict[str, Any]) -> tuple[Participant, ...]:
    """The Practitioners, Locations and Patients whose time the Appointment would take."""
    found: list[Participant] = []
    seen: set[str] = set()
    for index, participant in enumerate(appointment.get("participant") or ()):
        if not isinstance(participant, dict) or participant.get("status") == "declined":
            continue
        actor = participant.get("actor")
        reference = local_reference(actor.get("reference") if isinstance(actor, dict) else None)
        if reference is None or reference in seen or reference.split("/")[0] not in BOOKED_TYPES:
            continue
        seen.add(reference)
        found.append(Participant(reference, f"Appointment.participant[{index}].actor"))
    return tuple(found)


def booking_of(appointment: dict[str, Any]) -> Booking | None:
    """The time a busy Appointment takes, or None (not busy, no interval, no one booked)."""
    if appointment.get("status") not in BUSY_STATUSES:
        return None
    start, end = appointment.get("start"), appointment.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        low, high = parse_instant(start), parse_instant(end)
    except ValueError:
        return None
    participants = participants_of(appointment)
    if high <= low or not participants:
        return None
    overbook = extension_value(appointment, OVERBOOK_URL, "Boolean") is True
    return Booking(participants, low, high, overbook)


def overlap_params(actors: Iterable[str], start: int, end: int) -> list[tuple[str, str]]:
    """The search for busy Appointments of ``actors`` that may overlap ``[start, end)``."""
    return [
        ("actor", ",".join(actors)),
        ("date", f"ge{fhir_instant(start - LOOK_BACK_US)}"),
        ("date", f"lt{fhir_instant(end)}"),
        ("status", ",".join(sorted(BUSY_STATUSES))),
    ]
