"""GT1 (guarantor) to RelatedPerson, when the guarantor is not the patient.

FHIR keeps guarantors on Account, which fhirport does not hold; the guarantor is kept
as a RelatedPerson with the v3 role ``GUAR`` (guarantor) beside their relationship.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.context import MapContext
from mappers.datatypes.addresses import xad_address
from mappers.datatypes.codes import mapped_code, mapped_concept
from mappers.datatypes.identifiers import cx_identifier
from mappers.datatypes.names import xpn_name
from mappers.datatypes.telecom import xtn_with_use
from mappers.rules import FieldRule, apply_rules, handled_fields
from mappers.segments.coverage import SELF_CODES
from mappers.segments.primitives import fhir_date
from mappers.segments.related_person import related_person

GUARANTOR = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
            "code": "GUAR",
            "display": "guarantor",
        }
    ]
}
RULES: tuple[FieldRule, ...] = (
    FieldRule(2, "identifier", cx_identifier, many=True),
    FieldRule(3, "name", xpn_name, many=True),
    FieldRule(5, "address", xad_address, many=True),
    FieldRule(6, "telecom", xtn_with_use("home"), many=True),
    FieldRule(7, "telecom", xtn_with_use("work"), many=True),
    FieldRule(8, "birthDate", fhir_date),
    FieldRule(9, "gender", mapped_code("AdministrativeSex", "0001")),
    FieldRule(11, "relationship", mapped_concept("Relationship", "0063"), many=True),
)
HANDLED = handled_fields(RULES, 1)


def map_gt1(gt1: Segment, patient_ref: dict[str, str], ctx: MapContext) -> None:
    """Emit the guarantor of a GT1 as a RelatedPerson (nothing when it is the patient)."""
    ctx.fields_unmapped(gt1, HANDLED)
    if gt1.get(11).upper() in SELF_CODES:
        return
    content: dict[str, Any] = {}
    apply_rules(gt1, RULES, content, ctx)
    content.setdefault("relationship", []).append(GUARANTOR)
    related_person(ctx, patient_ref, content)
