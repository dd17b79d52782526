"""MDM (T01-T11) to Consent, when it carries CON segments (v2.5.1+).

fhirport does not hold documents (DocumentReference): an MDM message without a CON
segment is out of scope and answered AR.
"""

from __future__ import annotations

from hl7.er7 import Message
from mappers.context import MapContext
from mappers.messages.groups import first_patient_group
from mappers.messages.patient import map_patient
from mappers.result import Action, UnsupportedMessage
from mappers.segments.con import map_con

EVENTS: tuple[str, ...] = tuple(f"T{n:02d}" for n in range(1, 12))


def map_consents(message: Message, ctx: MapContext) -> None:
    """Map each CON segment of an MDM message to a Consent of its patient."""
    cons = message.segments_named("CON")
    if not cons:
        raise UnsupportedMessage(
            f"MDM^{message.trigger_event} carries documents only (no CON segment); "
            "documents are not held by fhirport"
        )
    _, patient_ref = map_patient(first_patient_group(message), ctx, Action.CREATE_ONLY)
    for con in cons:
        map_con(con, patient_ref, ctx)
