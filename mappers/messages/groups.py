"""Split a message into the runs of segments that belong to each patient (PID)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hl7.er7 import Message, Segment
from mappers.result import MappingError


@dataclass(frozen=True, slots=True)
class PatientGroup:
    """A PID and the segments after it, up to the next PID."""

    pid: Segment
    following: list[Segment]

    def named(self, name: str) -> list[Segment]:
        """Return the segments of this group named ``name``."""
        return [s for s in self.following if s.name == name]


def patient_groups(message: Message) -> Iterator[PatientGroup]:
    """Yield each PID with its segments; raise MappingError when there is no PID."""
    current: PatientGroup | None = None
    for segment in message.segments:
        if segment.name == "PID":
            if current is not None:
                yield current
            current = PatientGroup(segment, [])
        elif current is not None:
            current.following.append(segment)
    if current is None:
        raise MappingError("the message has no PID segment", code="101", location="PID")
    yield current


def first_patient_group(message: Message) -> PatientGroup:
    """Return the first PID group (messages about one patient)."""
    return next(patient_groups(message))
