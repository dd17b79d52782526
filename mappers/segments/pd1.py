"""PD1 to Patient (segments/PD1_Patient_.csv): primary care, and the protection flag.

PD1-12 (protection indicator) = Y means the patient asked that their information be
withheld: it becomes the ``R`` (restricted) confidentiality label in ``meta.security``.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.context import MapContext
from mappers.datatypes.organizations import xon_organization
from mappers.datatypes.practitioners import xcn_practitioner
from mappers.extensions import concept_extension, string_extension
from mappers.rules import FieldRule, apply_rules, handled_fields
from mappers.segments.primitives import yes_no
from mappers.segments.security import RESTRICTED, add_security

RULES: tuple[FieldRule, ...] = (
    FieldRule(3, "generalPractitioner", xon_organization, many=True),
    FieldRule(4, "generalPractitioner", xcn_practitioner, many=True),
    FieldRule(6, "extension", concept_extension("patient-disability", "0295"), many=True),
    FieldRule(14, "extension", string_extension("patient-congregation"), many=True),
)
HANDLED = handled_fields(RULES, 12)


def map_pd1(pd1: Segment, patient: dict[str, Any], ctx: MapContext) -> None:
    """Add what PD1 says to ``patient``."""
    apply_rules(pd1, RULES, patient, ctx)
    if yes_no(pd1.get(12)):
        add_security(patient, RESTRICTED)
    ctx.fields_unmapped(pd1, HANDLED)
