"""ADT to Patient, RelatedPerson and Coverage; ADT merges to ``MappingResult.merges``.

A01/A04/A05/A28 create or update, A08/A31 update: all are complete upserts of what
the message says (an update for a patient never seen creates it, as HL7 receivers
commonly do, rather than lose the data; its Patient is ``Action.UPDATE``, so that the
ingest reports the creation: the archive lacks that patient's registration). A40/A34
merge: the surviving Patient (PID) gets a ``replaces`` link and the pair goes to
``merges``; marking the retired one inactive needs its stored version, so the ingest
pipeline does it.
"""

from __future__ import annotations

from collections.abc import Sequence

from hl7.er7 import Message, Segment
from mappers.context import MapContext
from mappers.identity import deterministic_id
from mappers.messages.groups import patient_groups
from mappers.messages.patient import map_patient
from mappers.messages.visits import VISIT_STATUS, map_visit
from mappers.result import Action, MappingError
from mappers.segments.coverage import map_insurance
from mappers.segments.gt1 import map_gt1
from mappers.segments.nk1 import map_nk1
from mappers.segments.pid import preferred_identifier

REGISTRATION_EVENTS = ("A01", "A04", "A05", "A08", "A28", "A31")
# Every ADT event with a PID applies its patient part; the visit events also their PV1.
PATIENT_EVENTS = tuple(dict.fromkeys((*REGISTRATION_EVENTS, *VISIT_STATUS)))
# Events that register a patient; every other ADT event expects it on file (an
# update for a patient not on file creates it, with a warning).
REGISTERING_EVENTS = frozenset({"A01", "A04", "A05", "A28"})
# A34/A40 merge patient ids, A39 person ids; A47 changes the identifier, which keys
# the Patient, so the record moves to the new id just as in a merge.
MERGE_EVENTS = ("A34", "A39", "A40", "A47")
# A24 links two patients' records (same person, kept apart), A37 undoes that link.
LINK_EVENTS = ("A24", "A37")
MRG_HANDLED = frozenset({1})


def map_registration(message: Message, ctx: MapContext) -> None:
    """Map A01/A04/A05/A08/A28/A31: demographics, next of kin, insurance, guarantors.

    NK1 and IN1 are snapshots (v2.5 2.10.4): a group carrying any replaces the
    patient's set (the Patient's report lists the new set), one carrying none keeps it.
    """
    registers = message.trigger_event.upper() in REGISTERING_EVENTS
    action = Action.UPSERT if registers else Action.UPDATE
    for group in patient_groups(message):
        patient, patient_ref = map_patient(group, ctx, action)
        map_visit(group, patient_ref, message.trigger_event.upper(), ctx)
        kin: list[dict[str, str] | None] = []
        for segment in group.following:
            if segment.name == "NK1":
                kin.append(map_nk1(segment, patient_ref, ctx))
            elif segment.name == "GT1":
                map_gt1(segment, patient_ref, ctx)
        coverages = map_insurance(group, patient_ref, ctx)
        report = ctx.fields_of(patient)
        if report is None:
            continue
        if kin:
            report.sets["NK1"] = _ids(kin)
        if group.named("IN1"):
            report.sets["IN1"] = _ids(coverages)


def _ids(references: Sequence[dict[str, str] | None]) -> list[str]:
    return [r["reference"].split("/", 1)[1] for r in references if r is not None]


def map_merge(message: Message, ctx: MapContext) -> None:
    """Map A40/A34: each PID (survivor) and the MRG after it (retired identifier)."""
    for group in patient_groups(message):
        mrg = next(iter(group.named("MRG")), None)
        if mrg is None:
            raise MappingError("a merge needs an MRG segment after each PID", location="MRG")
        patient, _ = map_patient(group, ctx)
        retired = _retired_id(mrg, ctx)
        if retired == patient["id"]:
            ctx.warn("MRG-1 names the surviving patient itself; nothing to merge")
            continue
        patient["link"] = [{"other": {"reference": f"Patient/{retired}"}, "type": "replaces"}]
        ctx.result.merges.append((patient["id"], retired))


def _retired_id(mrg: Segment, ctx: MapContext) -> str:
    ctx.fields_unmapped(mrg, MRG_HANDLED)
    chosen = preferred_identifier(mrg.reps(1), ctx)
    if chosen is None:
        raise MappingError("MRG-1 (prior patient identifier list) is empty", location="MRG^1^1")
    return deterministic_id("Patient", chosen["system"], chosen["value"])


def map_link(message: Message, ctx: MapContext) -> None:
    """Map A24 (link) and A37 (unlink): the first two PIDs, each applied as an update."""
    groups = list(patient_groups(message))
    if len(groups) < 2:
        raise MappingError(
            f"ADT^{message.trigger_event} needs two PID segments", code="101", location="PID^2"
        )
    first, _ = map_patient(groups[0], ctx, Action.UPDATE)
    second, _ = map_patient(groups[1], ctx, Action.UPDATE)
    if first["id"] == second["id"]:
        ctx.warn("Both PIDs name the same patient; nothing to link")
        return
    pairs = ctx.result.unlinks if message.trigger_event.upper() == "A37" else ctx.result.links
    pairs.append((first["id"], second["id"]))
