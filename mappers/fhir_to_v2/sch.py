"""Appointment to SCH, the inverse of ``mappers.segments.sch`` for the outbound feed.

SCH-1 placer and SCH-2 filler appointment ids (EI, from the identifiers typed PLAC and
FILL; an Appointment with neither is named by its id in the placer's place); SCH-6
event reason (cancelationReason); SCH-7 reason (the first reasonCode); SCH-8
appointment type; SCH-9/SCH-10 duration in minutes; SCH-11 timing (TQ: start in
component 4, end in 5); SCH-25 filler status (table 0278).
"""

from __future__ import annotations

from typing import Any, Final

from hl7.encoding import Encoding
from hl7.escapes import escape
from mappers.config import MappingConfig
from mappers.fhir_to_v2.er7_text import composite, dtm, first_code, segment, text
from mappers.fhir_to_v2.identifiers import authority

# appointmentstatus -> table 0278, the inverse of the IG's FillerStatusCodes map.
FILLER_STATUS: Final = {
    "pending": "Pending",
    "waitlist": "Waitlist",
    "booked": "Booked",
    "checked-in": "Started",
    "arrived": "Started",
    "fulfilled": "Complete",
    "cancelled": "Cancelled",
    "entered-in-error": "Deleted",
    "noshow": "Noshow",
}
LOCAL_NAMESPACE: Final = "FHIRPORT"


def _ei(identifier: dict[str, Any], config: MappingConfig, encoding: Encoding) -> str:
    """EI: entity id, then the assigning authority's namespace, universal id and its type."""
    hd = authority(text(identifier.get("system")), config)
    return composite([text(identifier.get("value")), *hd], encoding)


def _typed(appointment: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for identifier in appointment.get("identifier", ()):
        if first_code(identifier.get("type")) == kind and identifier.get("value"):
            return dict(identifier)
    return None


def _concept(concept: Any, encoding: Encoding) -> str:
    if not isinstance(concept, dict):
        return ""
    coding: dict[str, Any] = next(iter(concept.get("coding") or ()), {})
    return composite(
        [text(coding.get("code")), text(coding.get("display") or concept.get("text"))],
        encoding,
    )


def sch_segment(appointment: dict[str, Any], encoding: Encoding, config: MappingConfig) -> str:
    """The SCH segment of an Appointment."""
    placer, filler = _typed(appointment, "PLAC"), _typed(appointment, "FILL")
    if placer is None and filler is None:
        placer = {"value": text(appointment.get("id")), "system": ""}
    minutes = appointment.get("minutesDuration")
    reasons = appointment.get("reasonCode") or [None]
    fields = {
        1: _ei(placer, config, encoding) if placer else "",
        2: _ei(filler, config, encoding) if filler else "",
        6: _concept(appointment.get("cancelationReason"), encoding),
        7: _concept(reasons[0], encoding),
        8: _concept(appointment.get("appointmentType"), encoding),
        9: str(minutes) if isinstance(minutes, int) else "",
        10: "min" if isinstance(minutes, int) else "",
        11: encoding.component.join(
            ["", "", "", dtm(appointment.get("start")), dtm(appointment.get("end"))]
        ).rstrip(encoding.component),
        25: escape(FILLER_STATUS.get(text(appointment.get("status")), ""), encoding),
    }
    return segment("SCH", fields, encoding)
