"""What each ADT visit event means for the Encounter of its PV1 (status transitions).

The IG's Event[EncounterStatus] sheet covers A01-A13; fhirport extends it to every ADT
event that carries a visit (table below). Two rows differ from the sheet: A04 registers
a patient who "has arrived or checked in" (v2.5 chapter 3, 3.3.4), so ``arrived``, not
``planned``; A08 conveys no status (the sheet's ``unknown``), so the PV1 itself is read:
discharged (PV1-45) is ``finished``, admitted (PV1-44) ``in-progress``, else the IG's
patient-class default.
"""

from __future__ import annotations

from mappers.context import MapContext
from mappers.messages.groups import PatientGroup
from mappers.segments.pv1 import map_pv1, status_from_fields

# ADT event -> Encounter.status; None: read it from the PV1 (A08).
VISIT_STATUS: dict[str, str | None] = {
    "A01": "in-progress",  # admit
    "A02": "in-progress",  # transfer
    "A03": "finished",  # discharge
    "A04": "arrived",  # register an outpatient or emergency visit
    "A05": "planned",  # pre-admit
    "A06": "in-progress",  # outpatient becomes inpatient
    "A07": "in-progress",  # inpatient becomes outpatient
    "A08": None,  # update
    "A11": "cancelled",  # cancel admit
    "A12": "in-progress",  # cancel transfer: still in the visit, back where it was
    "A13": "in-progress",  # cancel discharge
    "A16": "in-progress",  # pending discharge
    "A17": "in-progress",  # swap beds
    "A21": "onleave",  # leave of absence
    "A22": "in-progress",  # back from leave
    "A25": "in-progress",  # cancel pending discharge
    "A26": "in-progress",  # cancel pending transfer
    "A27": "cancelled",  # cancel pending admit
    "A38": "cancelled",  # cancel pre-admit
}
CANCEL_DISCHARGE = "A13"


def map_visit(
    group: PatientGroup, patient_ref: dict[str, str], event: str, ctx: MapContext
) -> None:
    """Emit the Encounter of the group's PV1 (with its PV2), if the event carries a visit."""
    if event not in VISIT_STATUS:
        return
    pv1 = next(iter(group.named("PV1")), None)
    if pv1 is None:
        return
    pv2 = next(iter(group.named("PV2")), None)
    status = VISIT_STATUS[event] or status_from_fields(pv1)
    map_pv1(pv1, pv2, patient_ref, status, ctx, ends_discharge=event == CANCEL_DISCHARGE)
