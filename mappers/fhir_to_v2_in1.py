"""Coverage to IN1 (insurance) for query answers: plan, insurer, group, dates, member id.

IN1-2 plan (Coverage.class plan value), IN1-3 insurer id and IN1-4 its name (the first
payor), IN1-8 group number and IN1-9 group name (class group), IN1-12/13 plan
effective and expiration dates (period), IN1-17 insured's relationship to the patient,
IN1-36 policy number (subscriberId). Pure: a Coverage dict in, ER7 text out.
"""

from __future__ import annotations

from typing import Any, Final

from hl7.encoding import Encoding
from mappers.fhir_to_v2_fields import components, first_code, reference_id, segment, v2_date

# FHIR subscriber-relationship -> HL7 table 0063.
_RELATIONSHIP: Final = {"self": "SEL", "spouse": "SPO", "child": "CHD", "parent": "PAR"}


def _class(coverage: dict[str, Any], kind: str) -> dict[str, Any]:
    for item in coverage.get("class", ()):
        if first_code(item.get("type")) == kind:
            return dict(item)
    return {}


def in1_segment(coverage: dict[str, Any], encoding: Encoding, set_id: int) -> str:
    """The IN1 segment of a Coverage."""
    payors = coverage.get("payor") or [{}]
    plan, group = _class(coverage, "plan"), _class(coverage, "group")
    period = coverage.get("period") or {}
    fields = [""] * 36
    fields[0] = str(set_id)
    fields[1] = components([str(plan.get("value", ""))], encoding)
    fields[2] = components([reference_id(payors[0])], encoding)
    fields[3] = components([str(payors[0].get("display", ""))], encoding)
    fields[7] = components([str(group.get("value", ""))], encoding)
    fields[8] = components([str(group.get("name", ""))], encoding)
    fields[11] = v2_date(period.get("start"))
    fields[12] = v2_date(period.get("end"))
    relationship = first_code(coverage.get("relationship"))
    fields[16] = components([_RELATIONSHIP.get(relationship, "")], encoding)
    fields[35] = components([str(coverage.get("subscriberId", ""))], encoding)
    return segment("IN1", fields, encoding)
