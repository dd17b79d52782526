"""The AuditEvent of an HL7v2 message received over MLLP: what it touched, and whose data."""

from __future__ import annotations

from server.audit.trail import AuditTrail
from server.hl7v2.ingest.model import IngestOutcome


def record_message(trail: AuditTrail, outcome: IngestOutcome, address: str | None = None) -> None:
    """Queue the event of one ingested message: applied (0) or refused (4), with its resources."""
    touched = tuple(dict.fromkeys(t.reference for t in outcome.touched))
    patients = tuple(r.removeprefix("Patient/") for r in touched if r.startswith("Patient/"))
    trail.message_event(
        sender=outcome.header.sender,
        message_type=outcome.header.message_type,
        outcome="0" if outcome.outcome.accepted else "4",
        address=address,
        entities=touched,
        patients=patients,
        description=outcome.reason,
    )
