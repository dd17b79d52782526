"""AIS, AIG, AIL and AIP (the scheduled resources) to Appointment parts.

segments/AI*_Appointment_.csv: AIS names the service (``serviceType``); AIG a general
resource (equipment: a Device reference by identifier, Device is not held); AIL a
Location; AIP a Practitioner. Each has a start and a duration that give the
participant's period and, together, the Appointment's start and end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hl7.er7 import Segment
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept
from mappers.datatypes.locations import pl_location
from mappers.datatypes.practitioners import xcn_practitioner
from mappers.rules import Convert
from mappers.segments.schedule_times import duration_seconds, end_after

DEVICE_SYSTEM = "urn:fhirport:id:device"


def _device(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    value = comp(rep, 1)
    if not value:
        return None
    actor: dict[str, Any] = {
        "type": "Device",
        "identifier": {"system": DEVICE_SYSTEM, "value": value},
    }
    if comp(rep, 2):
        actor["display"] = comp(rep, 2)
    return actor


@dataclass(frozen=True, slots=True)
class ResourceSegment:
    """Where a scheduled-resource segment keeps its actor, type, start and duration."""

    actor: int | None
    convert_actor: Convert | None  # None for AIS: a service, not a participant
    role: int | None
    start: int
    duration: int
    unit: int

    @property
    def handled(self) -> frozenset[int]:
        """The fields this table maps (set id and segment action code carry no data)."""
        fields = {1, 2, self.start, self.duration, self.unit}
        return frozenset(f for f in (*fields, self.actor, self.role) if f is not None)


SEGMENTS: dict[str, ResourceSegment] = {
    "AIS": ResourceSegment(None, None, None, start=4, duration=7, unit=8),
    "AIG": ResourceSegment(3, _device, 4, start=8, duration=11, unit=12),
    "AIL": ResourceSegment(3, pl_location, 4, start=6, duration=9, unit=10),
    "AIP": ResourceSegment(3, xcn_practitioner, 4, start=6, duration=9, unit=10),
}
AIS_SERVICE = 3


def map_resource(
    segment: Segment, appointment: dict[str, Any], status: str, ctx: MapContext
) -> dict[str, str] | None:
    """Add a scheduled resource to ``appointment``; return its period (start/end)."""
    spec = SEGMENTS[segment.name]
    start = segment.get(spec.start)
    seconds = duration_seconds(
        segment.get(spec.duration), segment.get(spec.unit), ctx, f"{segment.name}-{spec.duration}"
    )
    period = {
        key: value
        for key, value in (
            ("start", ctx.datetime(start, f"{segment.name}-{spec.start}")),
            ("end", end_after(start, seconds, ctx)),
        )
        if value
    }
    handled = spec.handled
    if segment.name == "AIS":
        handled = handled | {AIS_SERVICE}
        for rep in segment.reps(AIS_SERVICE):
            service = cwe_concept(rep, ctx)
            if service:
                appointment.setdefault("serviceType", []).append(service)
    else:
        _add_participant(segment, spec, appointment, status, period, ctx)
    ctx.fields_unmapped(segment, handled)
    return period or None


def _add_participant(
    segment: Segment,
    spec: ResourceSegment,
    appointment: dict[str, Any],
    status: str,
    period: dict[str, str],
    ctx: MapContext,
) -> None:
    assert spec.actor is not None
    assert spec.role is not None
    assert spec.convert_actor is not None
    actor = next(
        filter(None, (spec.convert_actor(rep, ctx) for rep in segment.reps(spec.actor))), None
    )
    roles = [r for r in (cwe_concept(rep, ctx) for rep in segment.reps(spec.role)) if r]
    if actor is None and not roles:
        return
    participant: dict[str, Any] = {"status": status}
    if roles:
        participant["type"] = roles
    if actor is not None:
        participant["actor"] = actor
    if period:
        participant["period"] = period
    appointment.setdefault("participant", []).append(participant)
