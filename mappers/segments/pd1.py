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
from mappers.fields import Feed, FieldReport
from mappers.rules import FieldRule, apply_rules, handled_fields, rule_feeds
from mappers.segments.primitives import yes_no
from mappers.segments.security import RESTRICTED, add_security

RULES: tuple[FieldRule, ...] = (
    FieldRule(3, "generalPractitioner", xon_organization, many=True),
    FieldRule(4, "generalPractitioner", xcn_practitioner, many=True),
    FieldRule(6, "extension", concept_extension("patient-disability", "0295"), many=True),
    FieldRule(14, "extension", string_extension("patient-congregation"), many=True),
)
HANDLED = handled_fields(RULES, 12)
# The restriction label is PD1-12's part of meta.security; an ARV's are the others.
SECURITY = Feed(("meta.security",), ("PD1-12", "ARV"), many=True)
FEEDS: tuple[Feed, ...] = (*rule_feeds("PD1", RULES), SECURITY)


def map_pd1(
    pd1: Segment, patient: dict[str, Any], ctx: MapContext, report: FieldReport | None = None
) -> None:
    """Add what PD1 says to ``patient`` (noting its fields in ``report``)."""
    apply_rules(pd1, RULES, patient, ctx, report)
    label = report.saw(pd1, 12) if report is not None else ""
    if yes_no(pd1.get(12)):
        added = add_security(patient, RESTRICTED)
        if report is not None and added is not None:
            report.produced(label, added)
    ctx.fields_unmapped(pd1, HANDLED)
