"""NK1 to RelatedPerson (segments/NK1_RelatedPerson_.csv)."""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.context import MapContext
from mappers.datatypes.addresses import xad_address
from mappers.datatypes.codes import mapped_code, mapped_concept
from mappers.datatypes.identifiers import cx_identifier
from mappers.datatypes.names import xpn_name
from mappers.datatypes.telecom import xtn_contact, xtn_with_use
from mappers.fields import Feed, FieldReport
from mappers.result import Action
from mappers.rules import FieldRule, apply_rules, handled_fields, rule_feeds
from mappers.segments.primitives import fhir_date, language
from mappers.segments.related_person import related_person

RULES: tuple[FieldRule, ...] = (
    FieldRule(2, "name", xpn_name, many=True),
    FieldRule(3, "relationship", mapped_concept("Relationship", "0063"), many=True),
    FieldRule(4, "address", xad_address, many=True),
    FieldRule(5, "telecom", xtn_contact, many=True),
    FieldRule(6, "telecom", xtn_with_use("work"), many=True),
    FieldRule(7, "relationship", mapped_concept("ContactRole", "0131"), many=True),
    FieldRule(12, "identifier", cx_identifier, many=True),
    FieldRule(15, "gender", mapped_code("AdministrativeSex", "0001")),
    FieldRule(16, "birthDate", fhir_date),
    FieldRule(20, "communication", language, many=True),
    FieldRule(30, "name", xpn_name, many=True),
    FieldRule(31, "telecom", xtn_contact, many=True),
    FieldRule(32, "address", xad_address, many=True),
    FieldRule(33, "identifier", cx_identifier, many=True),
    FieldRule(40, "telecom", xtn_contact, many=True),
    FieldRule(41, "telecom", xtn_contact, many=True),
)
HANDLED = handled_fields(RULES, 1, 8, 9)
FEEDS = {f.keys[0]: f for f in (*rule_feeds("NK1", RULES), Feed(("period",), ("NK1-8", "NK1-9")))}


def map_nk1(nk1: Segment, patient_ref: dict[str, str], ctx: MapContext) -> dict[str, str] | None:
    """Emit the RelatedPerson an NK1 segment describes; None when it names nobody."""
    content: dict[str, Any] = {}
    report = FieldReport(FEEDS)
    apply_rules(nk1, RULES, content, ctx, report)
    report.saw(nk1, 8)
    report.saw(nk1, 9)
    period = ctx.period(nk1.get(8), nk1.get(9), "NK1-8/9")
    if period:
        content["period"] = period
    ctx.fields_unmapped(nk1, HANDLED)
    reference = related_person(ctx, patient_ref, content, Action.UPSERT, report)
    if reference is None:
        ctx.warn("NK1 names no person (no NK1-2, NK1-12, NK1-30 or NK1-33); not mapped")
    return reference
