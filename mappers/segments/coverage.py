"""IN1 (+ IN2) to Coverage and its payor Organization (segments/IN1_Coverage_.csv).

The Coverage id comes from the payor and the member id (IN1-49, else the policy
number IN1-36), so the same card seen in any message is one Coverage. IN1-17 = SEL
(self) makes the patient the subscriber; anyone else becomes a RelatedPerson.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import NULL, Segment
from mappers.context import MapContext
from mappers.datatypes.addresses import xad_address
from mappers.datatypes.codes import cwe_in_table, mapped_code, mapped_concept
from mappers.datatypes.identifiers import cx_identifier, identifier_type
from mappers.datatypes.names import xpn_name
from mappers.datatypes.organizations import organization, xon_organization
from mappers.datatypes.telecom import xtn_contact
from mappers.elements import put
from mappers.fields import Feed, FieldReport
from mappers.identity import deterministic_id
from mappers.messages.groups import PatientGroup
from mappers.numbers import positive_int
from mappers.result import Action
from mappers.rules import FieldRule, apply_rules, convert_all, handled_fields, rule_feeds
from mappers.segments.primitives import fhir_date
from mappers.segments.related_person import related_person

COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
POLICY_SYSTEM_BASE = "urn:fhirport:id:policy:"
SELF_CODES = frozenset({"SEL", "SLF", "SELF", "01"})
RELATIONSHIP = mapped_concept("Relationship", "0063")

RULES: tuple[FieldRule, ...] = (
    FieldRule(11, "policyHolder", xon_organization),
    FieldRule(15, "type", cwe_in_table("0086")),
    FieldRule(17, "relationship", RELATIONSHIP),
)
# The subscriber's own fields, mapped onto a RelatedPerson when IN1-17 is not "self".
SUBSCRIBER_RULES: tuple[FieldRule, ...] = (
    FieldRule(16, "name", xpn_name, many=True),
    FieldRule(17, "relationship", RELATIONSHIP, many=True),
    FieldRule(18, "birthDate", fhir_date),
    FieldRule(19, "address", xad_address, many=True),
    FieldRule(43, "gender", mapped_code("AdministrativeSex", "0001")),
)
HANDLED = handled_fields(RULES + SUBSCRIBER_RULES, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 22, 36, 43, 49)
IN2_HANDLED = frozenset({6, 8})
_MEMBER_FIELDS = ("IN1-49", "IN1-36", "IN2-6", "IN2-8")
# What each IN1/IN2 field fills in a Coverage (mappers.fields); the payor, which keys
# the Coverage, is always sent.
FEEDS = {
    f.keys[0]: f
    for f in (
        *rule_feeds("IN1", RULES),
        Feed(("period",), ("IN1-12", "IN1-13")),
        Feed(("class",), ("IN1-2", "IN1-8", "IN1-9"), many=True),
        Feed(("identifier",), _MEMBER_FIELDS, many=True),
        Feed(("subscriberId",), _MEMBER_FIELDS),
        Feed(("subscriber",), ("IN1-16", "IN1-17")),
        Feed(("order",), ("IN1-22", "IN1-1")),
    )
}
_SEEN_IN1 = (1, 2, 8, 9, 12, 13, 16, 22, 36, 49)


def map_insurance(
    group: PatientGroup, patient_ref: dict[str, str], ctx: MapContext
) -> list[dict[str, str]]:
    """Emit a Coverage per IN1 of the group (with its IN2); return references in order."""
    references = []
    segments = group.following
    for index, segment in enumerate(segments):
        if segment.name != "IN1":
            continue
        following = segments[index + 1] if index + 1 < len(segments) else None
        in2 = following if following is not None and following.name == "IN2" else None
        reference = map_in1(segment, in2, patient_ref, ctx)
        if reference is not None:
            references.append(reference)
    return references


def map_in1(
    in1: Segment, in2: Segment | None, patient_ref: dict[str, str], ctx: MapContext
) -> dict[str, str] | None:
    """Emit the Coverage of one IN1 (and its IN2); None when IN1 names no payor.

    An IN1 without a payor is left whole in ``unmapped``: FHIR requires Coverage.payor.
    """
    payor = _payor(in1, ctx)
    if payor is None:
        ctx.warn("IN1 names no insurance company (IN1-3, IN1-4); Coverage not mapped")
        return None
    ctx.fields_unmapped(in1, HANDLED)
    coverage: dict[str, Any] = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": patient_ref,
        "payor": [payor],
    }
    report = FieldReport(FEEDS)
    for number in _SEEN_IN1:
        report.saw(in1, number)
    if in2 is not None:
        report.saw(in2, 6)
        report.saw(in2, 8)
    apply_rules(in1, RULES, coverage, ctx, report)
    identifiers = _identifiers(in1, in2, payor, ctx, report)
    if identifiers:
        coverage["identifier"] = identifiers
        coverage["subscriberId"] = identifiers[0]["value"]
        member = identifiers[0]["value"]
    else:
        member = f"{patient_ref['reference']}|{in1.get(2)}"
    payor_id = payor["reference"].removeprefix("Organization/")
    coverage["id"] = deterministic_id("Coverage", payor_id, member)
    coverage["subscriber"] = _subscriber(in1, patient_ref, ctx)
    classes = _classes(in1, report)
    if classes:
        coverage["class"] = classes
    period = ctx.period(in1.get(12), in1.get(13), "IN1-12/13")
    if period:
        coverage["period"] = period
    order = positive_int(in1.get(22)) or positive_int(in1.get(1))
    if order:
        coverage["order"] = order
    return ctx.emit(coverage, Action.UPSERT, f"Coverage {payor_id}|{member}", report)


def _payor(in1: Segment, ctx: MapContext) -> dict[str, str] | None:
    identifiers = convert_all(in1, 3, cx_identifier, ctx)
    extra: dict[str, Any] = {
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "ins"}]}],
    }
    put(extra, "address", convert_all(in1, 5, xad_address, ctx))
    put(extra, "telecom", convert_all(in1, 7, xtn_contact, ctx))
    return organization(ctx, in1.get(4), identifiers[0] if identifiers else None, extra)


def _identifiers(
    in1: Segment, in2: Segment | None, payor: dict[str, str], ctx: MapContext, report: FieldReport
) -> list[dict[str, Any]]:
    identifiers = convert_all(in1, 49, cx_identifier, ctx)
    for member in identifiers:
        member.setdefault("type", identifier_type("MB"))  # IN1-49 is the member id
        report.produced("IN1-49", member)
    policy_system = POLICY_SYSTEM_BASE + payor["reference"].removeprefix("Organization/")
    policy = in1.get(36)
    if policy and policy != NULL:
        identifiers.append(
            {"type": {"text": "Policy number"}, "system": policy_system, "value": policy}
        )
        report.produced("IN1-36", identifiers[-1])
    if in2 is not None:
        ctx.fields_unmapped(in2, IN2_HANDLED)
        for field, code in ((6, "MC"), (8, "MA")):
            value = in2.get(field)
            if value and value != NULL:
                identifiers.append(
                    {"type": identifier_type(code), "system": policy_system, "value": value}
                )
                report.produced(f"IN2-{field}", identifiers[-1])
    return identifiers


def _subscriber(in1: Segment, patient_ref: dict[str, str], ctx: MapContext) -> dict[str, str]:
    relationship = in1.get(17).upper()
    standard = ctx.config.vocabulary.standard(ctx.sender, "0063", relationship)
    if relationship in SELF_CODES or standard in SELF_CODES or not in1.get(16):
        return patient_ref
    content: dict[str, Any] = {}
    apply_rules(in1, SUBSCRIBER_RULES, content, ctx)
    return related_person(ctx, patient_ref, content) or patient_ref


def _classes(in1: Segment, report: FieldReport) -> list[dict[str, Any]]:
    classes = []
    for field, code, value, name in (
        ("IN1-2", "plan", in1.get(2, 1), in1.get(2, 2)),
        ("IN1-8", "group", in1.get(8), in1.get(9)),
    ):
        if value and value != NULL:
            entry: dict[str, Any] = {
                "type": {"coding": [{"system": COVERAGE_CLASS, "code": code}]},
                "value": value,
            }
            if name and name != NULL:
                entry["name"] = name
            classes.append(entry)
            report.produced(field, entry)
    return classes
