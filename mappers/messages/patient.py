"""The Patient of a PID group, with PD1 and patient-level ARV applied."""

from __future__ import annotations

from typing import Any

from mappers.context import MapContext
from mappers.fields import FieldReport, combine
from mappers.messages.groups import PatientGroup
from mappers.result import Action
from mappers.segments import pd1, pid
from mappers.segments.pd1 import map_pd1
from mappers.segments.pid import map_pid
from mappers.segments.security import map_arv

# What the fields of PID, PD1 and a patient-level ARV fill in a Patient.
FEEDS = combine(pid.FEEDS, pd1.FEEDS)

# Segments after which an ARV restricts the visit rather than the patient.
_VISIT_SEGMENTS = frozenset({"PV1", "PV2", "ORC", "OBR", "SCH", "TXA", "FT1"})


def map_patient(
    group: PatientGroup,
    ctx: MapContext,
    action: Action = Action.UPSERT,
    also_handled: frozenset[int] = frozenset(),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Emit the group's Patient and return it with a Reference to it.

    Messages whose subject is something else (an appointment, a charge, a consent)
    pass ``Action.CREATE_ONLY``: their PID makes sure the Patient exists, while ADT
    stays the source of demographics.
    """
    # A create-only Patient never updates a stored one: nothing to merge field by field.
    report = FieldReport(FEEDS) if action is not Action.CREATE_ONLY else None
    patient = map_pid(group.pid, ctx, also_handled, report)
    reference = ctx.emit(patient, action, f"Patient {patient['id']}", report)
    in_visit = False
    for segment in group.following:
        in_visit = in_visit or segment.name in _VISIT_SEGMENTS
        if segment.name == "PD1":
            map_pd1(segment, patient, ctx, report)
        elif segment.name == "ARV" and not in_visit:
            map_arv(segment, patient, ctx, report)
    return patient, {"reference": reference["reference"]}
