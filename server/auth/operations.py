"""What each operation needs from an access token: the scopes of what it reads and writes.

The CapabilityStatement documents these (server.api.capability_security); the operation
routes check them before they act. "Unconfined" means granted by ``user/`` or
``system/`` scopes without granular criteria: an operation that reads or writes many
patients' data at once (HL7v2 ingest, record queries) cannot be confined to one
patient's compartment. The records a release writes about itself (its Bundle, its
disclosure AuditEvent and Provenance) are the server's, not the client's: they need
no scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from server.auth.access import NAMES, Access
from server.errors import Forbidden
from server.registry import HELD_TYPES
from server.search.compartments import compartment_params

# What a claim scrub reads: the claim, its patient, coverages and billing provider.
_SCRUB_READS = ("Claim", "Patient", "Coverage", "Organization", "Practitioner")

# What a reminder reads: the appointment and the patient, place and clinician it names.
_REMINDER_READS = ("Appointment", "Patient", "Location", "Practitioner")

# In a Needs' letters: the type of the path (``Patient/1/$meta`` needs read on Patient).
INVOKED_ON = "the type invoked on"


@dataclass(frozen=True, slots=True)
class Needs:
    """The letters an operation needs on each type, and whether they may be confined."""

    letters: tuple[tuple[str, str], ...]  # (type, letters)
    unconfined: bool

    def describe(self) -> str:
        """The needs as the CapabilityStatement says them."""
        by_letters: dict[str, list[str]] = {}
        for resource_type, letters in self.letters:
            by_letters.setdefault(letters, []).append(resource_type)
        parts = [
            f"{'/'.join(NAMES[letter] for letter in letters)} ({letters}) on "
            f"{', '.join(sorted(types))}"
            for letters, types in by_letters.items()
        ]
        confined = (
            "user/ or system/ scopes without granular criteria"
            if self.unconfined
            else "patient/, user/ or system/ scopes; under patient/ scopes only the "
            "launch patient's records"
        )
        return f"Scopes needed: {'; '.join(parts)}, by {confined}."


def hl7v2_types() -> tuple[str, ...]:
    """The types HL7v2 ingest writes."""
    return tuple(sorted(n for n, t in HELD_TYPES.items() if t.hl7v2_write_rank is not None))


def referenced_types() -> tuple[str, ...]:
    """The held types outside the Patient compartment (directories a record refers to)."""
    members = compartment_params("Patient")
    return tuple(sorted(t for t in HELD_TYPES if t not in members))


def patient_record_types() -> tuple[str, ...]:
    """The types of a patient's record: the held members of the Patient compartment."""
    return tuple(sorted(t for t in compartment_params("Patient") if t in HELD_TYPES))


@cache
def operation_needs() -> dict[str, Needs]:
    """Every operation's needs, by operation name (without the $)."""
    hl7, record = hl7v2_types(), patient_record_types()
    return {
        "release": Needs((("Task", "u"), *((t, "r") for t in record)), unconfined=False),
        "extend": Needs((("Task", "u"),), unconfined=False),
        "disclosures": Needs((("Patient", "r"), ("AuditEvent", "s")), unconfined=False),
        "hl7v2-ingest": Needs(tuple((t, "cu") for t in hl7), unconfined=True),
        "hl7v2-convert": Needs(tuple((t, "c") for t in hl7), unconfined=True),
        "hl7v2-ledger": Needs(tuple((t, "r") for t in hl7), unconfined=True),
        "hl7v2-ledger-summary": Needs(tuple((t, "r") for t in hl7), unconfined=True),
        "hl7v2-outbox": Needs(tuple((t, "r") for t in hl7), unconfined=True),
        # Sends again what announces writes already made: an operator's work on the feed.
        "hl7v2-outbox-requeue": Needs(tuple((t, "ru") for t in hl7), unconfined=True),
        "hl7v2-query": Needs(tuple((t, "rs") for t in record), unconfined=True),
        # Moves every resource of one patient to another: two compartments at once.
        "merge": Needs(tuple((t, "ru") for t in record), unconfined=True),
        # Each type the token may not search is left out of the record (403 if _type names it).
        "everything": Needs(
            (("Patient", "r"), *((t, "s") for t in (*record, *referenced_types()))),
            unconfined=False,
        ),
        # Each type the token may not read is left out of the export (403 if none is left);
        # under patient/ scopes only Patient and Group exports, of that patient's record.
        "export": Needs(tuple((t, "r") for t in sorted(HELD_TYPES)), unconfined=False),
        # A billing office's work: a claim and what it names, and the other claims of its
        # patient (duplicates); the worklist lists every patient's claims.
        "scrub": Needs(tuple((t, "r") for t in _SCRUB_READS), unconfined=True),
        "scrub-worklist": Needs((("Claim", "s"),), unconfined=True),
        # One patient's registration: under patient/ scopes, the launch patient's.
        "registration-check": Needs(
            (("Patient", "r"), ("Coverage", "s"), ("Consent", "s")), unconfined=False
        ),
        # Every patient seen on a day.
        "registration-worklist": Needs(
            (("Appointment", "s"), ("Patient", "r"), ("Coverage", "s"), ("Consent", "s")),
            unconfined=True,
        ),
        # A front desk's batch over every patient booked in the window.
        "send-reminders": Needs(
            (*((t, "r") for t in _REMINDER_READS), ("Appointment", "s"), ("Communication", "cu")),
            unconfined=True,
        ),
        # A scheduler's set-up of a practitioner's or a room's bookable time.
        "generate-slots": Needs((("Schedule", "r"), ("Slot", "c")), unconfined=True),
        # A front desk's or a patient's booking: what a proposal is made of, and the booking.
        "find": Needs((("Schedule", "s"), ("Slot", "s")), unconfined=False),
        "hold": Needs((("Slot", "u"), ("Appointment", "c")), unconfined=False),
        "book": Needs((("Appointment", "c"), ("Slot", "u")), unconfined=False),
        # The desk's list over every patient's bookings.
        "no-show-worklist": Needs((("Appointment", "s"),), unconfined=True),
        # The operations every type has act on the type they are invoked on.
        "meta": Needs(((INVOKED_ON, "rs"),), unconfined=False),
        "meta-add": Needs(((INVOKED_ON, "u"),), unconfined=False),
        "meta-delete": Needs(((INVOKED_ON, "u"),), unconfined=False),
        # The scope the write would need: create (no mode, create), update or delete.
        "validate": Needs(((INVOKED_ON, "cud"),), unconfined=False),
    }


def require_operation(access: Access, name: str) -> None:
    """403 unless the token has what operation ``name`` needs."""
    if access.claims is None:
        return
    needs = operation_needs()[name]
    for resource_type, letters in needs.letters:
        for letter in letters:
            if access.restrictions(resource_type, letter) and needs.unconfined:
                raise Forbidden(
                    f"${name} needs {NAMES[letter]} on every {resource_type}: "
                    "user/ or system/ scopes without granular criteria"
                )
