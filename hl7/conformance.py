"""Compare a parsed message's segments with its standard structure, on request.

The structure definitions are hl7apy's (one module per HL7 version, 2.1 to 2.8.2): a
message structure is a sequence of segments and groups, each with a cardinality.
Only the definitions are used, not hl7apy's parser, so the check costs a few set
operations once a structure has been flattened (flattening is cached).

The check is by name, not by position: a segment the structure does not mention at
all is *unexpected*, and a segment the structure requires (at the top level, or in
a required group) that does not occur anywhere is *missing*. Z segments are never
unexpected. This is what a migration report needs ("ZPI and OBR were not expected in
ADT_A01"); a full order-aware validation is hl7apy's ``parse_message`` with strict
validation, which is far too slow for the ingest path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from hl7.er7 import Message

__all__ = ["StructureCheck", "check_structure", "structure_segments"]


@dataclass(frozen=True, slots=True)
class StructureCheck:
    """The outcome of comparing a message with a standard structure."""

    structure: str  # the structure used, "" when none is known for this message and version
    version: str  # the HL7 version whose definitions were used
    unexpected: tuple[str, ...] = ()  # "OBR (segment 4)", in message order
    missing: tuple[str, ...] = ()  # required segment names absent from the message

    @property
    def conforms(self) -> bool:
        """True when nothing is unexpected or missing (vacuously so without a structure)."""
        return not self.unexpected and not self.missing


def _walk(children: Any, required: bool, allowed: set[str], needed: set[str]) -> None:
    for name, reference, (minimum, _), kind in children:
        if kind == "SEG":
            allowed.add(name)
            if required and minimum >= 1:
                needed.add(name)
        elif kind == "GRP":
            # In a choice group no single member is required.
            group_required = required and minimum >= 1 and reference[0] == "sequence"
            _walk(reference[1], group_required, allowed, needed)


@cache
def structure_segments(
    structure: str, version: str
) -> tuple[frozenset[str], frozenset[str]] | None:
    """(allowed, required) segment names of a structure, or None when hl7apy lacks it."""
    from hl7apy import load_reference  # imported here: hl7apy is slow to import
    from hl7apy.exceptions import ChildNotFound, UnsupportedVersion

    try:
        reference = load_reference(structure, "Message", version)
    except (ChildNotFound, UnsupportedVersion, KeyError):
        return None
    allowed: set[str] = set()
    needed: set[str] = set()
    _walk(reference[1], True, allowed, needed)
    return frozenset(allowed), frozenset(needed)


def _candidates(message: Message) -> list[str]:
    sent = message.msh.get(9, 3)
    fallback = f"{message.message_code}_{message.trigger_event}"
    return [s for s in (sent, message.standard_structure, fallback) if s]


def check_structure(message: Message) -> StructureCheck:
    """List the segments of ``message`` its structure does not allow, and those it lacks."""
    version = message.version
    for structure in _candidates(message):
        segments = structure_segments(structure, version)
        if segments is None:
            continue
        allowed, needed = segments
        present = {s.name for s in message.segments}
        unexpected = tuple(
            f"{s.name} (segment {position})"
            for position, s in enumerate(message.segments, start=1)
            if s.name not in allowed and not s.name.startswith("Z")
        )
        missing = tuple(sorted(needed - present))
        return StructureCheck(structure, version, unexpected, missing)
    return StructureCheck("", version)
