"""A pasted HL7v2 message as the workbench shows it: segments, fields and components named.

The message is read by the ingest path's own parser (``hl7.er7``), so the workbench
shows what fhirport will see, Z segments and all; the names come from hl7apy's
definitions for the message's version (MSH-12), or v2.5.1 when hl7apy lacks that
version. A segment hl7apy does not define (a Z segment) has numbered, unnamed fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from hl7.er7 import Message, ParseError, Segment, parse

__all__ = ["ComponentView", "FieldView", "MessageView", "SegmentView", "describe_message"]

DEFAULT_VERSION = "2.5.1"

# hl7apy's name of a component or field sits at this index of its reference tuple.
_NAME, _DATATYPE, _CHILDREN = 3, 2, 1


@dataclass(frozen=True, slots=True)
class ComponentView:
    """One component of one repetition: ``PID-5.1`` Family name = ``EVERYMAN``."""

    position: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field that holds something, with each repetition's named components."""

    position: str
    name: str
    datatype: str
    value: str  # as sent (ER7, escapes kept)
    repetitions: tuple[tuple[ComponentView, ...], ...]


@dataclass(frozen=True, slots=True)
class SegmentView:
    """One segment in message order (``number`` is 1-based)."""

    number: int
    name: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True, slots=True)
class MessageView:
    """The message's header facts and its segments; ``error`` when it cannot be read."""

    segments: tuple[SegmentView, ...] = ()
    message_type: str = ""
    control_id: str = ""
    sender: str = ""
    version: str = ""
    names_version: str = ""
    warnings: tuple[str, ...] = ()
    error: str | None = None


def readable(name: str) -> str:
    """``PATIENT_IDENTIFIER_LIST`` -> ``Patient identifier list``."""
    return name.replace("_", " ").strip().capitalize()


@cache
def _segment_reference(segment: str, version: str) -> dict[int, tuple[str, str, Any]]:
    """Field number -> (name, datatype, component references) for a segment, {} if unknown."""
    from hl7apy import load_reference  # imported here: hl7apy is slow to import
    from hl7apy.exceptions import ChildNotFound, UnsupportedVersion

    try:
        reference = load_reference(segment, "Segment", version)
    except (ChildNotFound, UnsupportedVersion, KeyError):
        return {}
    fields: dict[int, tuple[str, str, Any]] = {}
    for child_name, child, _cardinality, _kind in reference[1]:
        number = int(child_name.rsplit("_", 1)[1])
        components = child[_CHILDREN] if child[0] == "sequence" else None
        fields[number] = (readable(child[_NAME]), str(child[_DATATYPE]), components)
    return fields


@cache
def _supported(version: str) -> bool:
    from hl7apy import load_reference
    from hl7apy.exceptions import UnsupportedVersion

    try:
        load_reference("MSH", "Segment", version)
    except (UnsupportedVersion, KeyError):
        return False
    return True


def _component_names(components: Any) -> list[str]:
    return [readable(c[1][_NAME]) for c in components] if components else []


def _field(segment: Segment, number: int, version: str) -> FieldView:
    name, datatype, components = _segment_reference(segment.name, version).get(
        number, ("", "", None)
    )
    names = _component_names(components)
    position = f"{segment.name}-{number}"
    repetitions: list[tuple[ComponentView, ...]] = []
    for repetition in segment.reps(number):
        shown = [
            ComponentView(
                f"{position}.{index}",
                names[index - 1] if index <= len(names) else "",
                "&".join(subs),
            )
            for index, subs in enumerate(repetition, start=1)
            if any(subs)
        ]
        repetitions.append(tuple(shown))
    return FieldView(position, name, datatype, segment.raw_field(number), tuple(repetitions))


def _segment(number: int, segment: Segment, version: str) -> SegmentView:
    fields = tuple(
        _field(segment, n, version)
        for n in range(1, segment.field_count() + 1)
        if segment.raw_field(n)
    )
    return SegmentView(number, segment.name, fields)


def _names_version(message: Message) -> str:
    version = message.version
    return version if version and _supported(version) else DEFAULT_VERSION


def describe_message(text: str) -> MessageView:
    """Read one ER7 message into named segments and fields (``error`` when unreadable)."""
    if not text.strip():
        return MessageView(error="Paste an HL7v2 message: it starts with an MSH segment.")
    try:
        message = parse(text)
    except ParseError as exc:
        return MessageView(error=str(exc))
    names_version = _names_version(message)
    return MessageView(
        segments=tuple(
            _segment(n, s, names_version) for n, s in enumerate(message.segments, start=1)
        ),
        message_type="^".join(p for p in (message.message_code, message.trigger_event) if p),
        control_id=message.control_id,
        sender=f"{message.sending_application}|{message.sending_facility}",
        version=message.version,
        names_version=names_version,
        warnings=tuple(message.warnings),
    )
