"""PID to Patient (segments/PID_Patient_.csv).

The Patient's id comes from its PID-3 identifier (the MR one when there are several)
and that identifier's system: the same person gets the same id in every message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hl7.er7 import NULL, Segment
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.addresses import xad_address
from mappers.datatypes.codes import mapped_code, mapped_concept
from mappers.datatypes.identifiers import cx_identifier, identifier_type
from mappers.datatypes.names import xpn_name
from mappers.datatypes.telecom import xtn_contact, xtn_with_use
from mappers.extensions import CORE, concept_extension, string_extension
from mappers.fields import Claim, Feed, FieldReport, attach_key
from mappers.identity import deterministic_id
from mappers.numbers import positive_int
from mappers.result import MappingError
from mappers.rules import FieldRule, apply_rules, handled_fields, maps_components, rule_feeds
from mappers.segments.pid_race import ETHNICITY, RACE, map_race_field
from mappers.segments.primitives import language, yes_no

SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
DRIVERS_LICENSE_SYSTEM = "urn:fhirport:id:drivers-license"


@maps_components(1)
def _birth_place(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    place = comp(rep, 1)
    return {"url": CORE + "patient-birthPlace", "valueAddress": {"text": place}} if place else None


@maps_components(1)
def _ssn(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    value = comp(rep, 1)
    if not value:
        return None
    return {"type": identifier_type("SS"), "system": SSN_SYSTEM, "value": value}


@maps_components(1, 2, 3)
def _drivers_license(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    value, state = comp(rep, 1), comp(rep, 2)
    if not value:
        return None
    system = f"{DRIVERS_LICENSE_SYSTEM}:{state.lower()}" if state else DRIVERS_LICENSE_SYSTEM
    identifier: dict[str, Any] = {"type": identifier_type("DL"), "system": system, "value": value}
    expiry = ctx.date(comp(rep, 3), "PID-20.3")
    if expiry:
        identifier["period"] = {"end": expiry}
    return identifier


# The IG's PID sheet, in its order; conditional rows are handled in ``map_pid``.
RULES: tuple[FieldRule, ...] = (
    FieldRule(2, "identifier", cx_identifier, many=True),
    FieldRule(3, "identifier", cx_identifier, many=True),
    FieldRule(4, "identifier", cx_identifier, many=True),
    FieldRule(5, "name", xpn_name, many=True),
    FieldRule(6, "extension", string_extension("patient-mothersMaidenName"), many=True),
    FieldRule(8, "gender", mapped_code("AdministrativeSex", "0001")),
    FieldRule(9, "name", xpn_name, many=True),
    FieldRule(11, "address", xad_address, many=True),
    FieldRule(13, "telecom", xtn_with_use("home"), many=True),
    FieldRule(14, "telecom", xtn_with_use("work"), many=True),
    FieldRule(15, "communication", language, many=True),
    FieldRule(16, "maritalStatus", mapped_concept("MaritalStatus", "0002")),
    FieldRule(17, "extension", concept_extension("patient-religion", "0006"), many=True),
    FieldRule(19, "identifier", _ssn, many=True),
    FieldRule(20, "identifier", _drivers_license, many=True),
    FieldRule(23, "extension", _birth_place, many=True),
    FieldRule(26, "extension", concept_extension("patient-citizenship", "0171", "code"), many=True),
    FieldRule(28, "extension", concept_extension("patient-nationality", "0212", "code"), many=True),
    FieldRule(39, "extension", concept_extension("patient-citizenship", "0171", "code"), many=True),
    FieldRule(40, "telecom", xtn_contact, many=True),
)
# PID-1 (set id) carries nothing; 7, 10, 12, 22, 24, 25, 29, 30 are conditional (below).
HANDLED = handled_fields(RULES, 1, 7, 10, 12, 22, 24, 25, 29, 30)
_CONDITIONAL = (7, 12, 24, 25, 29, 30)
# Race and ethnic group: one US Core extension each for all the field's repetitions.
_REALMS = ((10, RACE), (22, ETHNICITY))


def _feeds() -> list[Feed]:
    """What each PID field fills, for field-by-field updates (mappers.fields).

    A part a REST client added is taken over by the field that would have produced
    it: an address by PID-11, a work phone by PID-14, any other telecom by PID-13, a
    name by PID-5. Identifiers and extensions a client added belong to no field.
    """
    adjusted = {
        "name": lambda f: replace(f, claims=(Claim("PID-5"),)),
        "address": lambda f: replace(
            f,
            fields=("PID-11", "PID-12"),
            claims=(Claim("PID-11"),),
            attach=("PID-12", "district"),
        ),
        "telecom": lambda f: replace(f, claims=(Claim("PID-14", "use", "work"), Claim("PID-13"))),
        "extension": lambda f: replace(f, fields=(*f.fields, "PID-10", "PID-22")),
    }
    same: Callable[[Feed], Feed] = lambda f: f  # noqa: E731
    return [
        *(adjusted.get(f.keys[0], same)(f) for f in rule_feeds("PID", RULES)),
        Feed(("birthDate",), ("PID-7",)),
        Feed(("multipleBirthBoolean", "multipleBirthInteger"), ("PID-24", "PID-25")),
        Feed(("deceasedDateTime", "deceasedBoolean"), ("PID-29", "PID-30")),
    ]


FEEDS: tuple[Feed, ...] = tuple(_feeds())


def preferred_identifier(reps: list[Rep], ctx: MapContext) -> dict[str, Any] | None:
    """Return the MR identifier of a CX list, else its first valued one."""
    valued = [i for i in (cx_identifier(rep, ctx) for rep in reps) if i is not None]
    return next((i for i in valued if _type_code(i) == "MR"), valued[0] if valued else None)


def patient_key(pid: Segment, ctx: MapContext) -> tuple[str, str]:
    """Return (system, value) of the identifier that identifies the patient.

    PID-3's MR identifier, else its first; PID-2 (v2.3 and earlier) when PID-3 is empty.
    """
    for field in (3, 2, 4):
        chosen = preferred_identifier(pid.reps(field), ctx)
        if chosen is not None:
            return chosen["system"], chosen["value"]
    raise MappingError("PID-3 (patient identifier list) has no identifier", location="PID^1^3")


def _type_code(identifier: dict[str, Any]) -> str:
    return str(identifier.get("type", {}).get("coding", [{}])[0].get("code", ""))


def patient_id(pid: Segment, ctx: MapContext) -> str:
    """Return the deterministic Patient id of a PID segment."""
    return deterministic_id("Patient", *patient_key(pid, ctx))


def map_pid(
    pid: Segment,
    ctx: MapContext,
    also_handled: frozenset[int] = frozenset(),
    report: FieldReport | None = None,
) -> dict[str, Any]:
    """Return the Patient a PID segment describes (without meta, links or references).

    ``also_handled`` names PID fields the message's own mapper uses (DFT: PID-18);
    ``report`` notes which fields were sent and what they produced (see ``FEEDS``).
    """
    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_id(pid, ctx)}
    apply_rules(pid, RULES, patient, ctx, report)
    _race_and_ethnicity(pid, patient, ctx, report)
    _drop_repeated_identifiers(patient)
    _birth(pid, patient, ctx)
    county = _county(pid, patient)
    if report is not None:
        for number in _CONDITIONAL:
            report.saw(pid, number)
        if county:
            report.attached["address"] = county
    _multiple_birth(pid, patient)
    _deceased(pid, patient, ctx)
    ctx.fields_unmapped(pid, HANDLED | also_handled)
    return patient


def _race_and_ethnicity(
    pid: Segment, patient: dict[str, Any], ctx: MapContext, report: FieldReport | None
) -> None:
    for number, realm in _REALMS:
        label = report.saw(pid, number) if report is not None else ""
        extension = map_race_field(pid, number, realm, ctx)
        if extension is not None:
            patient.setdefault("extension", []).append(extension)
            if report is not None:
                report.produced(label, extension)


def _drop_repeated_identifiers(patient: dict[str, Any]) -> None:
    """Keep the first of identifiers sent twice (an SSN in PID-3 and in PID-19)."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for identifier in patient.get("identifier", ()):
        key = (identifier.get("system", ""), identifier["value"])
        if key not in seen:
            seen.add(key)
            unique.append(identifier)
    if unique:
        patient["identifier"] = unique


def _birth(pid: Segment, patient: dict[str, Any], ctx: MapContext) -> None:
    value = pid.get(7)
    birth_date = ctx.date(value, "PID-7")
    if not birth_date:
        return
    patient["birthDate"] = birth_date
    if len(value) > 8:  # a time of birth: kept in the IG's patient-birthTime extension
        moment = ctx.datetime(value, "PID-7")
        patient["_birthDate"] = {
            "extension": [{"url": CORE + "patient-birthTime", "valueDateTime": moment}]
        }


def _county(pid: Segment, patient: dict[str, Any]) -> str | None:
    county = pid.get(12)
    if not county or county == NULL:
        return None
    attach_key(patient.setdefault("address", []), "district", county)
    return county


def _multiple_birth(pid: Segment, patient: dict[str, Any]) -> None:
    order = positive_int(pid.get(25))
    if order is not None:
        patient["multipleBirthInteger"] = order
        return
    flag = yes_no(pid.get(24))
    if flag is not None:
        patient["multipleBirthBoolean"] = flag


def _deceased(pid: Segment, patient: dict[str, Any], ctx: MapContext) -> None:
    when = ctx.datetime(pid.get(29), "PID-29")
    if when:
        patient["deceasedDateTime"] = when
        return
    flag = yes_no(pid.get(30))
    if flag is not None:
        patient["deceasedBoolean"] = flag
