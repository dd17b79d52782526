"""Coverage to IN1, the inverse of ``mappers.segments.coverage`` for a query answer.

IN1-1 set id; IN1-2 plan (Coverage.class ``plan``: value^name); IN1-3 the insurance
company's id and IN1-4 its name (the first payor: its identifier when the reference
carries one, else the Organization's id); IN1-8 group number and IN1-9 group name
(class ``group``); IN1-12 / IN1-13 plan effective and expiration dates (period);
IN1-15 plan type (Coverage.type); IN1-17 the insured's relationship to the patient
(table 0063); IN1-36 policy number (subscriberId); IN1-49 the insured's member ids (CX).
"""

from __future__ import annotations

from typing import Any, Final

from hl7.encoding import Encoding
from hl7.escapes import escape
from mappers.config import MappingConfig
from mappers.fhir_to_v2.er7_text import composite, dtm, first_code, repeated, segment, text
from mappers.fhir_to_v2.identifiers import cx

COVERAGE_CLASS: Final = "http://terminology.hl7.org/CodeSystem/coverage-class"
# subscriber-relationship -> table 0063 (the inverse of the IG's Relationship map).
RELATIONSHIP: Final = {
    "self": "SEL",
    "spouse": "SPO",
    "child": "CHD",
    "parent": "PAR",
    "common": "DOM",
    "other": "OTH",
    "injured": "OTH",
}
MEMBER_TYPE: Final = "MB"


def _class(coverage: dict[str, Any], kind: str) -> dict[str, Any]:
    for entry in coverage.get("class", ()):
        if first_code(entry.get("type"), COVERAGE_CLASS) == kind:
            return dict(entry)
    return {}


def _payor_id(payor: dict[str, Any], config: MappingConfig, encoding: Encoding) -> str:
    identifier = payor.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        return cx(identifier, config, encoding)
    reference = text(payor.get("reference"))
    return escape(reference.rsplit("/", 1)[-1], encoding) if reference else ""


def in1_segment(
    coverage: dict[str, Any], encoding: Encoding, config: MappingConfig, set_id: int = 1
) -> str:
    """The IN1 segment of a Coverage."""
    payors = [p for p in coverage.get("payor", ()) if isinstance(p, dict)] or [{}]
    plan, group = _class(coverage, "plan"), _class(coverage, "group")
    period = coverage.get("period") or {}
    members = [
        i
        for i in coverage.get("identifier", ())
        if first_code(i.get("type")) == MEMBER_TYPE and i.get("value")
    ]
    fields = {
        1: str(set_id),
        2: composite([text(plan.get("value")), text(plan.get("name"))], encoding),
        3: _payor_id(payors[0], config, encoding),
        4: composite([text(payors[0].get("display"))], encoding),
        8: escape(text(group.get("value")), encoding),
        9: composite([text(group.get("name"))], encoding),
        12: dtm(period.get("start")),
        13: dtm(period.get("end")),
        15: escape(first_code(coverage.get("type")), encoding),
        17: RELATIONSHIP.get(first_code(coverage.get("relationship")), ""),
        36: escape(text(coverage.get("subscriberId")), encoding),
        49: repeated((cx(i, config, encoding) for i in members), encoding),
    }
    return segment("IN1", fields, encoding)
