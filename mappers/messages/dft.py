"""DFT^P03/P11 (charges) to one Claim per message, with its Coverages.

fhirport's map (the IG has none): docs/mappings/FT1_Claim.md. The Claim id comes from
the patient account (PID-18) and the transactions: the batch id (FT1-3) when sent,
else the FT1-2 transaction ids, so re-sending the same charges updates one Claim.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Message, Segment
from mappers.context import MapContext
from mappers.datatypes.identifiers import cx_identifier, identifier_type
from mappers.datatypes.locations import pl_location
from mappers.datatypes.organizations import hd_organization, xon_organization
from mappers.datatypes.practitioners import xcn_practitioner
from mappers.identity import deterministic_id
from mappers.messages.groups import first_patient_group
from mappers.messages.patient import map_patient
from mappers.result import Action, MappingError
from mappers.segments.coverage import map_insurance
from mappers.segments.dg1 import map_dg1, same_code
from mappers.segments.ft1 import map_ft1, transaction_ids
from mappers.segments.money import total
from mappers.segments.pr1 import map_pr1
from mappers.segments.pv1 import HANDLED as VISIT_HANDLED
from mappers.segments.pv1 import map_pv1, status_from_fields, visit_number

CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
SELF_PAY = "http://terminology.hl7.org/CodeSystem/coverage-selfpay"
TRANSACTION_SYSTEM = "urn:fhirport:id:ft1-transaction"
_INSTITUTIONAL_CLASSES = frozenset({"I", "E"})  # PV1-2 inpatient, emergency
PV1_HANDLED = frozenset({2, 3})
PID_HANDLED = frozenset({18})  # the patient account keys the Claim
EVENTS = ("P03", "P11")


def map_charges(message: Message, ctx: MapContext) -> None:
    """Map a DFT message to its Claim (and the Patient and Coverages it names)."""
    ft1s = message.segments_named("FT1")
    if not ft1s:
        raise MappingError(
            "a DFT message needs at least one FT1 segment", code="101", location="FT1"
        )
    group = first_patient_group(message)
    _, patient_ref = map_patient(group, ctx, Action.CREATE_ONLY, PID_HANDLED)
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "status": "active",
        "use": "claim",
        "patient": patient_ref,
        "priority": {"coding": [{"system": PRIORITY, "code": "normal"}]},
    }
    claim["id"], key = _identity(message, group.pid, ft1s, patient_ref, claim, ctx)
    pv1 = message.segment("PV1")
    claim["type"] = _claim_type(pv1)
    claim["created"] = ctx.result.event_time or _required_time(message)
    diagnoses = _diagnoses(message, ctx)
    claim["item"] = _items(ft1s, diagnoses, claim, ctx)
    encounter = _encounter(pv1, patient_ref, ctx)
    if encounter is not None:
        for item in claim["item"]:
            item["encounter"] = [dict(encounter)]
    if diagnoses:
        claim["diagnosis"] = diagnoses
    procedures = [
        p for i, seg in enumerate(message.segments_named("PR1"), 1) if (p := map_pr1(seg, i, ctx))
    ]
    if procedures:
        claim["procedure"] = procedures
    claim["provider"] = _provider(ft1s, message, ctx)
    facility = _facility(ft1s, pv1, ctx)
    if facility:
        claim["facility"] = facility
    claim["insurance"] = _insurance(message, patient_ref, ctx)
    _billing(claim)
    ctx.emit(claim, Action.UPSERT, key)


def _identity(
    message: Message,
    pid: Segment,
    ft1s: list[Segment],
    patient_ref: dict[str, str],
    claim: dict[str, Any],
    ctx: MapContext,
) -> tuple[str, str]:
    account = next(filter(None, (cx_identifier(rep, ctx) for rep in pid.reps(18))), None)
    identifiers = []
    if account is not None:
        account["type"] = identifier_type("AN")
        identifiers.append(account)
        account_key = f"{account['system']}|{account['value']}"
    else:
        ctx.warn("PID-18 (patient account) is empty; the Claim is keyed by the patient")
        account_key = patient_ref["reference"]
    batch, transactions = transaction_ids(ft1s)
    identifiers.extend({"system": TRANSACTION_SYSTEM, "value": t} for t in transactions)
    if identifiers:
        claim["identifier"] = identifiers
    transaction_key = f"batch:{batch}" if batch else "+".join(sorted(set(transactions)))
    if not transaction_key:
        ctx.warn("no FT1-2/FT1-3 transaction id: the Claim is keyed by MSH-10")
        transaction_key = f"msh:{message.sending_application}|{message.control_id}"
    key = f"{account_key}|{transaction_key}"
    return deterministic_id("Claim", account_key, transaction_key), f"Claim {key}"


def _claim_type(pv1: Segment | None) -> dict[str, Any]:
    institutional = pv1 is not None and pv1.get(2).upper() in _INSTITUTIONAL_CLASSES
    code = "institutional" if institutional else "professional"
    return {"coding": [{"system": CLAIM_TYPE, "code": code}]}


def _required_time(message: Message) -> str:
    raise MappingError("the message has no valid time (EVN-2, MSH-7)", location="MSH^1^7")


def _diagnoses(message: Message, ctx: MapContext) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for segment in message.segments_named("DG1"):
        entry = map_dg1(segment, len(entries) + 1, ctx)
        if entry is not None:
            entries.append(entry)
    return entries


def _items(
    ft1s: list[Segment], diagnoses: list[dict[str, Any]], claim: dict[str, Any], ctx: MapContext
) -> list[dict[str, Any]]:
    def diagnosis_sequence(concept: dict[str, Any]) -> int:
        for entry in diagnoses:
            if same_code(entry["diagnosisCodeableConcept"], concept):
                return int(entry["sequence"])
        diagnoses.append({"sequence": len(diagnoses) + 1, "diagnosisCodeableConcept": concept})
        return len(diagnoses)

    items: list[dict[str, Any]] = []
    care_team: list[dict[str, Any]] = []
    for ft1 in ft1s:
        item = map_ft1(ft1, len(items) + 1, diagnosis_sequence, ctx)
        if item is None:
            continue
        performer = next(filter(None, (xcn_practitioner(r, ctx) for r in ft1.reps(20))), None)
        if performer is not None and "reference" in performer:
            item["careTeamSequence"] = [_care_team_sequence(care_team, performer)]
        items.append(item)
    if care_team:
        claim["careTeam"] = care_team
    return items


def _care_team_sequence(care_team: list[dict[str, Any]], provider: dict[str, str]) -> int:
    for member in care_team:
        if member["provider"]["reference"] == provider["reference"]:
            return int(member["sequence"])
    care_team.append(
        {
            "sequence": len(care_team) + 1,
            "provider": provider,
            "role": {"coding": [{"system": CARE_TEAM_ROLE, "code": "primary"}]},
        }
    )
    return len(care_team)


def _provider(ft1s: list[Segment], message: Message, ctx: MapContext) -> dict[str, str]:
    """The ordering (FT1-21) or performing (FT1-20) practitioner, else the performing
    facility (FT1-32), else the sending facility (MSH-4)."""
    for field, convert in ((21, xcn_practitioner), (20, xcn_practitioner), (32, xon_organization)):
        for ft1 in ft1s:
            for rep in ft1.reps(field):
                reference = convert(rep, ctx)
                if reference is not None and "reference" in reference:
                    return reference
    sender = message.msh.reps(4)
    reference = hd_organization(sender[0], ctx) if sender else None
    if reference is None:
        raise MappingError("no provider: FT1-20/21/32 and MSH-4 are empty", location="FT1^1^21")
    return reference


def _encounter(
    pv1: Segment | None, patient_ref: dict[str, str], ctx: MapContext
) -> dict[str, str] | None:
    """The Encounter of the charges' visit (PV1-19): created if not on file, never changed
    (ADT is the source of visits), so that the Claim can point to it."""
    if pv1 is None:
        return None
    if visit_number(pv1, ctx) is None:
        ctx.fields_unmapped(pv1, PV1_HANDLED)
        return None
    ctx.fields_unmapped(pv1, PV1_HANDLED | VISIT_HANDLED)
    status = status_from_fields(pv1)
    return map_pv1(pv1, None, patient_ref, status, ctx, action=Action.CREATE_ONLY)


def _facility(ft1s: list[Segment], pv1: Segment | None, ctx: MapContext) -> dict[str, Any] | None:
    candidates = [rep for f in ft1s for rep in f.reps(16)]
    candidates += pv1.reps(3) if pv1 is not None else []
    return next(filter(None, (pl_location(rep, ctx) for rep in candidates)), None)


def _insurance(
    message: Message, patient_ref: dict[str, str], ctx: MapContext
) -> list[dict[str, Any]]:
    coverages = map_insurance(first_patient_group(message), patient_ref, ctx)
    if not coverages:
        coverages = [_self_pay(patient_ref, ctx)]
    return [
        {"sequence": index, "focal": index == 1, "coverage": coverage}
        for index, coverage in enumerate(coverages, 1)
    ]


def _self_pay(patient_ref: dict[str, str], ctx: MapContext) -> dict[str, str]:
    """No IN1: the patient pays (coverage.html: a self-pay Coverage names the patient)."""
    patient_id = patient_ref["reference"].removeprefix("Patient/")
    coverage = {
        "resourceType": "Coverage",
        "id": deterministic_id("Coverage", "self-pay", patient_id),
        "status": "active",
        "type": {"coding": [{"system": SELF_PAY, "code": "pay", "display": "PAY"}]},
        "beneficiary": patient_ref,
        "payor": [patient_ref],
    }
    return ctx.emit(coverage, Action.CREATE_ONLY, f"Coverage self-pay|{patient_id}")


def _billing(claim: dict[str, Any]) -> None:
    items = claim["item"]
    nets = [item["net"] for item in items if "net" in item]
    if nets and len(nets) == len(items):
        summed = total(nets)
        if summed:
            claim["total"] = summed
    dates = sorted(
        d
        for item in items
        for d in (
            item.get("servicedDate"),
            item.get("servicedPeriod", {}).get("start"),
            item.get("servicedPeriod", {}).get("end"),
        )
        if d
    )
    if dates:
        claim["billablePeriod"] = {"start": dates[0], "end": dates[-1]}
