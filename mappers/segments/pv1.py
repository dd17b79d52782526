"""PV1 and PV2 to Encounter (the IG's PV1[Encounter] and PV2[Encounter] rows, in part).

The Encounter id comes from the visit number (PV1-19) and its authority, so every event
of one visit updates one Encounter. A PV1 without a visit number makes no Encounter:
nothing would tell its events from another visit's. Fields feed the Encounter field by
field (mappers.fields): an update that leaves out the attending doctor keeps the one on
file. The status is the event's (``mappers.messages.visits``), not a field's.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import NULL, Segment
from mappers.codesystems import code_map
from mappers.components import Rep, code, comp
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept, cwe_in_table
from mappers.datatypes.identifiers import authority_system, identifier_type
from mappers.datatypes.locations import PL_COMPONENTS, pl_location
from mappers.datatypes.practitioners import XCN_COMPONENTS, xcn_practitioner
from mappers.fields import Feed, FieldReport, FieldState, combine
from mappers.identity import deterministic_id
from mappers.result import Action
from mappers.rules import (
    Convert,
    FieldRule,
    apply_rules,
    handled_fields,
    maps_components,
    rule_feeds,
)

ENCOUNTER_CLASS = code_map("PatientClass_EncounterClass_")
CLASS_STATUS = code_map("PatientClass_EncounterStatus_")
PATIENT_CLASS_TABLE = "0004"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
VISIT_SYSTEM = "urn:fhirport:id:visit"
# Encounter.class is required: a PV1 without PV1-2 is of unknown class.
UNKNOWN_CLASS = {"system": "http://terminology.hl7.org/CodeSystem/v2-0004", "code": "U"}


def _participant(type_code: str, display: str) -> Convert:
    @maps_components(*XCN_COMPONENTS)
    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        individual = xcn_practitioner(rep, ctx)
        if individual is None:
            return None
        kind = {"system": PARTICIPATION_TYPE, "code": type_code, "display": display}
        return {"type": [{"coding": [kind]}], "individual": individual}

    return convert


def _location(status: str) -> Convert:
    @maps_components(*PL_COMPONENTS)
    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        reference = pl_location(rep, ctx)
        return {"location": reference, "status": status} if reference is not None else None

    return convert


@maps_components(1, 4, 5)
def _visit_number(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    value = comp(rep, 1)
    if not value:
        return None
    system = authority_system(rep, 4, ctx, "VN", fallback=VISIT_SYSTEM)
    return {"type": identifier_type("VN"), "system": system, "value": value}


# The prior location (PV1-6) comes first: the location list is the visit's history.
RULES: tuple[FieldRule, ...] = (
    FieldRule(19, "identifier", _visit_number, many=True),
    FieldRule(4, "type", cwe_in_table("0007"), many=True),
    FieldRule(10, "serviceType", cwe_in_table("0069")),
    FieldRule(6, "location", _location("completed"), many=True),
    FieldRule(3, "location", _location("active"), many=True),
    FieldRule(7, "participant", _participant("ATND", "attender"), many=True),
    FieldRule(8, "participant", _participant("REF", "referrer"), many=True),
    FieldRule(9, "participant", _participant("CON", "consultant"), many=True),
    FieldRule(17, "participant", _participant("ADM", "admitter"), many=True),
)
HANDLED = handled_fields(RULES, 1, 2, 14, 36, 44, 45)
PV2_HANDLED = frozenset({3})
FEEDS = combine(
    rule_feeds("PV1", RULES),
    [
        Feed(("class",), ("PV1-2",)),
        Feed(("period",), ("PV1-44", "PV1-45")),
        Feed(("hospitalization",), ("PV1-14", "PV1-36")),
        Feed(("reasonCode",), ("PV2-3",)),
    ],
)


def visit_number(pv1: Segment, ctx: MapContext) -> dict[str, Any] | None:
    """Return the visit number (PV1-19) as an Identifier, or None when there is none."""
    return next(filter(None, (_visit_number(rep, ctx) for rep in pv1.reps(19))), None)


def encounter_id(identifier: dict[str, Any]) -> str:
    """Return the Encounter id of a visit number."""
    return deterministic_id("Encounter", identifier["system"], identifier["value"])


def status_from_fields(pv1: Segment) -> str:
    """The status a PV1 implies by itself (ADT^A08, DFT): discharged, admitted, or the
    IG's patient-class default."""
    if _sent(pv1.get(45)):
        return "finished"
    if _sent(pv1.get(44)):
        return "in-progress"
    return CLASS_STATUS.code(pv1.get(2)) or "unknown"


def map_pv1(
    pv1: Segment,
    pv2: Segment | None,
    patient_ref: dict[str, str],
    status: str,
    ctx: MapContext,
    *,
    action: Action = Action.UPSERT,
    ends_discharge: bool = False,
) -> dict[str, str] | None:
    """Emit the Encounter of a visit and return a Reference to it (None: no visit number).

    ``ends_discharge`` (A13, cancel discharge): the stored end of the period goes even
    when the message does not send PV1-45.
    """
    identifier = visit_number(pv1, ctx)
    if identifier is None:
        ctx.warn("PV1-19 (visit number) is empty: the visit is not kept as an Encounter")
        return None
    report = FieldReport(FEEDS) if action is not Action.CREATE_ONLY else None
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": encounter_id(identifier),
        "status": status,
    }
    apply_rules(pv1, RULES, encounter, ctx, report)
    encounter["class"] = _encounter_class(pv1, ctx)
    encounter["subject"] = patient_ref
    _period(pv1, encounter, status, ctx)
    _hospitalization(pv1, encounter, ctx)
    _location_status(encounter, status)
    if report is not None:
        for number in (2, 14, 36, 44, 45):
            report.saw(pv1, number)
        if ends_discharge:
            report.states["PV1-45"] = FieldState.NULL
    if pv2 is not None:
        _reasons(pv2, encounter, ctx, report)
    ctx.fields_unmapped(pv1, HANDLED)
    return ctx.emit(
        encounter, action, f"Encounter {identifier['system']}|{identifier['value']}", report
    )


def _sent(value: str) -> bool:
    return bool(value) and value != NULL


def _encounter_class(pv1: Segment, ctx: MapContext) -> dict[str, Any]:
    """PV1-2 through the sender's vocabulary (table 0004) and the IG's class map."""
    reps = pv1.reps(2)
    sent = code(reps[0], 1) if reps else ""
    if not sent:
        return dict(UNKNOWN_CLASS)
    standard = ctx.standard_code(PATIENT_CLASS_TABLE, sent)
    mapped = ENCOUNTER_CLASS.get(standard) if standard else None
    if mapped is not None:
        return mapped.coding()
    return {"system": ctx.local_system(PATIENT_CLASS_TABLE), "code": sent}


def _period(pv1: Segment, encounter: dict[str, Any], status: str, ctx: MapContext) -> None:
    period = ctx.period(pv1.get(44), pv1.get(45), "PV1-44/PV1-45") or {}
    if status == "finished" and "end" not in period and ctx.result.event_time:
        period["end"] = ctx.result.event_time  # a discharge without PV1-45 ends now
    if period:
        encounter["period"] = period


_HOSPITALIZATION = ((14, "admitSource", "0023"), (36, "dischargeDisposition", "0112"))


def _hospitalization(pv1: Segment, encounter: dict[str, Any], ctx: MapContext) -> None:
    hospitalization: dict[str, Any] = {}
    for field, element, table in (
        (14, "admitSource", "0023"),
        (36, "dischargeDisposition", "0112"),
    ):
        reps = pv1.reps(field)
        concept = cwe_concept(reps[0], ctx, f"HL7{table}") if reps else None
        if concept is not None:
            hospitalization[element] = concept
    if hospitalization:
        encounter["hospitalization"] = hospitalization


def _location_status(encounter: dict[str, Any], status: str) -> None:
    """A finished visit is in none of its locations; a planned one in none yet."""
    now = {"finished": "completed", "cancelled": "completed", "planned": "planned"}.get(status)
    if now is not None:
        for entry in encounter.get("location", ()):
            if entry["status"] == "active":
                entry["status"] = now


def _reasons(
    pv2: Segment, encounter: dict[str, Any], ctx: MapContext, report: FieldReport | None
) -> None:
    """PV2-3 (admit reason) to reasonCode."""
    if report is not None:
        report.saw(pv2, 3)
    reasons = [c for c in (cwe_concept(rep, ctx) for rep in pv2.reps(3)) if c is not None]
    if reasons:
        encounter["reasonCode"] = reasons
    ctx.fields_unmapped(pv2, PV2_HANDLED)
