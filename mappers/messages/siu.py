"""SIU to Appointment: book, reschedule, modify, cancel, discontinue, delete, no-show.

The status comes from SCH-25 through the IG's filler-status map, except where the
event itself says what happened (table below). S16 (discontinue) has no FHIR status of
its own (the IG maps "Discontinued" to nothing): the appointment will not happen, so
it is ``cancelled``. S17 deletes the Appointment (Action.DELETE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hl7.er7 import Message, Segment
from mappers.components import comp
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept
from mappers.messages.groups import patient_groups
from mappers.messages.patient import map_patient
from mappers.result import Action, MappingError
from mappers.segments.dg1 import diagnosis_concept
from mappers.segments.sch import business_key, map_sch
from mappers.segments.scheduled_resources import SEGMENTS, map_resource


@dataclass(frozen=True, slots=True)
class SiuEvent:
    """What an SIU trigger event means for the Appointment."""

    status: str | None  # forced status; None: SCH-25, else ``default``
    default: str = "booked"
    action: Action = Action.UPSERT


EVENTS: dict[str, SiuEvent] = {
    "S12": SiuEvent(None),  # new appointment booked
    "S13": SiuEvent(None),  # rescheduled
    "S14": SiuEvent(None),  # modified
    "S15": SiuEvent("cancelled"),
    "S16": SiuEvent("cancelled"),  # discontinued
    "S17": SiuEvent("entered-in-error", action=Action.DELETE),
    "S26": SiuEvent("noshow"),
}
# Appointment statuses for which the participants have not yet accepted.
_UNCONFIRMED = frozenset({"proposed", "pending", "waitlist"})
# Statuses that may lack a start and end (Appointment invariant app-3).
_UNTIMED = frozenset({"proposed", "cancelled", "waitlist"})
TQ1_HANDLED = frozenset({1, 7, 8})
DG1_HANDLED = frozenset({1, 3})
EVENT_REASON = 6  # SCH-6
# What completes a partial FHIR dateTime (by its length: YYYY, YYYY-MM) to a date.
_PARTIAL_REST = {4: "-01-01", 7: "-01"}
# Statuses an event reason explains (Appointment.cancelationReason).
_CANCELLED = frozenset({"cancelled", "noshow"})


def map_schedule(message: Message, ctx: MapContext) -> None:
    """Map an SIU message to its Appointment (and the Patient, created when absent)."""
    event = EVENTS[message.trigger_event.upper()]
    sch = message.segment("SCH")
    if sch is None:
        raise MappingError("an SIU message needs an SCH segment", code="101", location="SCH")
    appointment = map_sch(sch, ctx)
    status = event.status or appointment.get("status") or event.default
    appointment["status"] = status
    participant_status = "needs-action" if status in _UNCONFIRMED else "accepted"
    for participant in appointment["participant"]:
        participant["status"] = participant_status
    if message.segment("PID") is not None:
        _, patient_ref = map_patient(next(patient_groups(message)), ctx, Action.CREATE_ONLY)
        appointment["participant"].insert(0, {"actor": patient_ref, "status": participant_status})
    _times(message, appointment, participant_status, ctx)
    _comments(message, appointment, ctx)
    _reasons(message, appointment, ctx)
    _cancelation_reason(sch, appointment, ctx)
    if not appointment["participant"]:
        raise MappingError("the appointment has no participant (no PID, AIG, AIL or AIP)")
    if status not in _UNTIMED and not ("start" in appointment and "end" in appointment):
        ctx.warn(f"a {status} appointment should have a start and an end; none was given")
    ctx.emit(appointment, event.action, business_key(appointment))


def _times(message: Message, appointment: dict[str, Any], status: str, ctx: MapContext) -> None:
    """Start/end from TQ1-7/8 (v2.5+), else SCH-11, else the scheduled resources."""
    tq1 = message.segment("TQ1")
    if tq1 is not None:
        for field, element in ((7, "start"), (8, "end")):
            moment = ctx.datetime(tq1.get(field), f"TQ1-{field}")
            if moment:
                appointment[element] = moment
        ctx.fields_unmapped(tq1, TQ1_HANDLED)
    periods = []
    for segment in message.segments:
        if segment.name in SEGMENTS:
            period = map_resource(segment, appointment, status, ctx)
            if period:
                periods.append(period)
        elif segment.name == "RGS":
            ctx.consume(segment)  # only groups the resources that follow it
    starts = [p["start"] for p in periods if "start" in p]
    ends = [p["end"] for p in periods if "end" in p]
    if starts:
        appointment.setdefault("start", min(starts, key=_moment))
    if ends:
        appointment.setdefault("end", max(ends, key=_moment))
    for element in ("start", "end"):
        moment = appointment.get(element)
        if moment is not None and "T" not in moment:  # instant: a time of day is required
            del appointment[element]
            ctx.warn(f"Appointment {element} {moment!r} has no time of day; left out")


def _moment(fhir_datetime: str) -> datetime:
    """Order FHIR dateTimes by the moment they name (offsets differ between resources);
    a partial one (a year, a month) by its first moment."""
    moment = datetime.fromisoformat(fhir_datetime + _PARTIAL_REST.get(len(fhir_datetime), ""))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reasons(message: Message, appointment: dict[str, Any], ctx: MapContext) -> None:
    """reasonCode: SCH-7, then each DG1's diagnosis; with neither, the service asked for
    (AIS-3): an appointment is made for it."""
    reasons = appointment.setdefault("reasonCode", [])
    for dg1 in message.segments_named("DG1"):
        ctx.fields_unmapped(dg1, DG1_HANDLED)
        reasons.extend(diagnosis_concept(dg1, 3, ctx))
    if not reasons:
        reasons.extend(dict(service) for service in appointment.get("serviceType", ()))
    if not reasons:
        del appointment["reasonCode"]


def _cancelation_reason(sch: Segment, appointment: dict[str, Any], ctx: MapContext) -> None:
    """SCH-6 (event reason) says why an appointment was cancelled or missed."""
    reps = sch.reps(EVENT_REASON)
    reason = cwe_concept(reps[0], ctx) if reps else None
    if reason is None:
        return
    if appointment["status"] in _CANCELLED:
        appointment["cancelationReason"] = reason
    else:
        ctx.unmapped(f"SCH-{EVENT_REASON}")


def _comments(message: Message, appointment: dict[str, Any], ctx: MapContext) -> None:
    notes: list[str] = []
    for nte in message.segments_named("NTE"):
        ctx.fields_unmapped(nte, frozenset({1, 2, 3}))
        notes.extend(comp(rep, 1) for rep in nte.reps(3) if comp(rep, 1))
    if notes:
        appointment["comment"] = "\n".join(notes)
