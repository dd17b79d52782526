"""SCH to Appointment (segments/SCH_Appointment_.csv).

The Appointment id comes from the placer appointment id (SCH-1), else the filler's
(SCH-2): the placer's id exists from the first request and never changes.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.codesystems import code_map
from mappers.components import Rep, code
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept, cwe_in_table
from mappers.datatypes.identifiers import ei_identifier
from mappers.datatypes.practitioners import xcn_practitioner
from mappers.identity import deterministic_id
from mappers.result import MappingError
from mappers.rules import Convert, FieldRule, apply_rules, handled_fields, maps_components
from mappers.segments.schedule_times import duration_seconds, minutes
from mappers.vocabulary import original_code_extension, table_codes

FILLER_STATUS = code_map("FillerStatusCodes_Appointment_")
FILLER_STATUS_TABLE = "0278"
APPOINTMENT_SYSTEM = "urn:fhirport:id:appointment"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ENTERER_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _appointment_id(type_code: str) -> Convert:
    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        return ei_identifier(rep, ctx, type_code, fallback=APPOINTMENT_SYSTEM)

    return maps_components(1, 2, 3, 4)(convert)


RULES: tuple[FieldRule, ...] = (
    FieldRule(1, "identifier", _appointment_id("PLAC"), many=True),
    FieldRule(2, "identifier", _appointment_id("FILL"), many=True),
    FieldRule(7, "reasonCode", cwe_concept, many=True),
    FieldRule(8, "appointmentType", cwe_in_table("0277")),
)
# The IG's participant rows: SCH field -> participant type (the IG has no code for
# placer/filler contact, so those carry text).
CONTACTS: tuple[tuple[int, dict[str, Any]], ...] = (
    (12, {"text": "placer contact person"}),
    (16, {"text": "filler contact person"}),
    (20, {"coding": [{"system": ENTERER_TYPE, "code": "enterer", "display": "Enterer"}]}),
)
# SCH-6 (event reason) is the SIU mapper's: it explains a cancellation.
HANDLED = handled_fields(RULES, 6, 9, 10, 11, 12, 16, 20, 25)


def map_sch(sch: Segment, ctx: MapContext) -> dict[str, Any]:
    """Return the Appointment an SCH segment describes (status, times, contacts)."""
    appointment: dict[str, Any] = {"resourceType": "Appointment"}
    apply_rules(sch, RULES, appointment, ctx)
    identifiers = appointment.get("identifier", [])
    if not identifiers:
        raise MappingError("SCH-1 and SCH-2 (appointment ids) are both empty", location="SCH^1^1")
    key = identifiers[0]
    appointment["id"] = deterministic_id("Appointment", key["system"], key["value"])
    _filler_status(sch, appointment, ctx)
    duration = minutes(duration_seconds(sch.get(9), sch.get(10), ctx, "SCH-9"))
    if duration:
        appointment["minutesDuration"] = duration
    for field, where in ((4, "SCH-11.4"), (5, "SCH-11.5")):
        moment = ctx.datetime(sch.get(11, field), where)
        if moment:
            appointment["start" if field == 4 else "end"] = moment
    participants = appointment.setdefault("participant", [])
    for field, participant_type in CONTACTS:
        for rep in sch.reps(field):
            actor = xcn_practitioner(rep, ctx)
            if actor is not None:
                participants.append(
                    {"type": [participant_type], "actor": actor, "status": "accepted"}
                )
    ctx.fields_unmapped(sch, HANDLED)
    return appointment


def _filler_status(sch: Segment, appointment: dict[str, Any], ctx: MapContext) -> None:
    """Status from SCH-25 (table 0278, through the sender's vocabulary); a code that gives
    none is kept in the status's v2-original-code extension."""
    sent = code(sch.reps(25)[0], 1) if sch.reps(25) else ""
    if not sent:
        return
    standard = ctx.standard_code(FILLER_STATUS_TABLE, sent)
    status = FILLER_STATUS.code(standard) if standard else None
    if status:
        appointment["status"] = status
        return
    if standard:
        ctx.warn(f"SCH-25: filler status {sent!r} has no FHIR equivalent")
    system = table_codes(FILLER_STATUS_TABLE).system if standard else ctx.local_system("0278")
    appointment["_status"] = {"extension": [original_code_extension(system, sent)]}


def business_key(appointment: dict[str, Any]) -> str:
    """Return the readable key the Appointment id was made from."""
    key = appointment["identifier"][0]
    return f"Appointment {key['system']}|{key['value']}"
