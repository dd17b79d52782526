"""CON (v2.5.1+) to Consent: fhirport's map, written down in docs/mappings/CON_Consent.md.

The IG's CON sheet is unfinished. Status (CON-11, table 0498) and scope (CON-2, table
0496) come from ``tables/ConsentStatus.csv`` and ``tables/ConsentScope.csv``.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.codesystems import code_map
from mappers.components import Rep, code, comp
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_in_table
from mappers.datatypes.identifiers import ei_identifier
from mappers.datatypes.names import name_text, xpn_name
from mappers.identity import deterministic_id
from mappers.result import Action
from mappers.rules import FieldRule, apply_rules, handled_fields, maps_components
from mappers.segments.related_person import related_person

STATUS = code_map("ConsentStatus")
SCOPE = code_map("ConsentScope")
SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
TREATMENT = {"system": SCOPE_SYSTEM, "code": "treatment", "display": "Treatment"}
PATIENT_CONSENT = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
CONSENT_SYSTEM = "urn:fhirport:id:consent-form"
CONSENTER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/v2-0548"
SELF = "1"
PRACTITIONER_CONSENTERS = frozenset({"6", "7"})  # emergent / non-emergent practitioner
_CONSENT_TYPE = cwe_in_table("0496")


@maps_components(1, 2, 3, 4)
def _form_number(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    return ei_identifier(rep, ctx, fallback=CONSENT_SYSTEM)


@maps_components(1)
def _form_id(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    value = comp(rep, 1)
    return {"system": CONSENT_SYSTEM, "value": value} if value else None


RULES: tuple[FieldRule, ...] = (
    FieldRule(4, "identifier", _form_number, many=True),
    FieldRule(3, "identifier", _form_id, many=True),
)
HANDLED = handled_fields(RULES, 1, 2, 5, 11, 12, 13, 14, 15, 24, 25)


def map_con(con: Segment, patient_ref: dict[str, str], ctx: MapContext) -> None:
    """Emit the Consent a CON segment records for the patient."""
    consent: dict[str, Any] = {"resourceType": "Consent", "patient": patient_ref}
    apply_rules(con, RULES, consent, ctx)
    consent["status"] = _status(con, ctx)
    type_reps = con.reps(2)
    consent_type = _CONSENT_TYPE(type_reps[0], ctx) if type_reps else None
    scope = SCOPE.get(con.get(2))
    consent["scope"] = {"coding": [scope.coding() if scope else TREATMENT]}
    consent["category"] = [{"coding": [PATIENT_CONSENT]}]
    if consent_type:
        consent["category"].append(consent_type)
    when = ctx.datetime(con.get(13), "CON-13") or ctx.datetime(con.get(12), "CON-12")
    if when:
        consent["dateTime"] = when
    period = ctx.period(con.get(14), con.get(15), "CON-14/15")
    if period:
        consent["provision"] = {"period": period}
    rule_text = con.get(5) or (consent_type or {}).get("text") or con.get(2, 2)
    if rule_text:
        consent["policyRule"] = {"text": rule_text}
    else:
        ctx.warn("CON-5 (consent text) and CON-2 are empty: the Consent names no policy")
    consenter = _consenter(con, patient_ref, ctx)
    if consenter:
        consent["performer"] = [consenter]
    patient_id = patient_ref["reference"].removeprefix("Patient/")
    form = consent.get("identifier", [{}])[0]
    key = [form.get("system", ""), form.get("value", "")] if form else [con.get(2), when or ""]
    consent["id"] = deterministic_id("Consent", patient_id, *key)
    ctx.fields_unmapped(con, HANDLED)
    ctx.emit(consent, Action.UPSERT, f"Consent {patient_id}|{'|'.join(key)}")


def _status(con: Segment, ctx: MapContext) -> str:
    code = con.get(11)
    status = STATUS.code(code)
    if status is None:
        if code:
            ctx.warn(f"CON-11: consent status {code!r} is not in table 0498; taken as active")
        return "active"
    return status


def _consenter(con: Segment, patient_ref: dict[str, str], ctx: MapContext) -> dict[str, Any] | None:
    relationship = code(con.reps(25)[0], 1) if con.reps(25) else ""
    reps = con.reps(24)
    name = xpn_name(reps[0], ctx) if reps else None
    if relationship == SELF or name is None:
        return patient_ref
    if relationship in PRACTITIONER_CONSENTERS:
        return {"display": name_text(name)}  # a name alone does not identify a Practitioner
    content: dict[str, Any] = {"name": [name]}
    if relationship:
        content["relationship"] = [
            {"coding": [{"system": CONSENTER_RELATIONSHIP, "code": relationship}]}
        ]
    return related_person(ctx, patient_ref, content)
