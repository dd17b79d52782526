"""Read components of one decoded field repetition, treating explicit nulls as absent.

A repetition is what ``Segment.reps`` returns for one repetition: components, each a
list of sub-components. Mappers build complete resources (an upsert replaces the
stored version), so an explicit null (``""``) and an absent value both mean "no value".
"""

from __future__ import annotations

from hl7.er7 import NULL

Rep = list[list[str]]


def comp(rep: Rep, index: int, sub: int = 1) -> str:
    """Return component ``index``, sub-component ``sub`` (1-based), or "" when empty."""
    try:
        value = rep[index - 1][sub - 1]
    except IndexError:
        return ""
    return "" if value == NULL else value.strip()


def code(rep: Rep, index: int) -> str:
    """Return component ``index`` as a FHIR code: inner runs of whitespace become one space."""
    return " ".join(comp(rep, index).split())


def sub_parts(rep: Rep, index: int) -> list[str]:
    """Return the non-empty sub-components of component ``index``."""
    if index > len(rep):
        return []
    return [s.strip() for s in rep[index - 1] if s and s != NULL and s.strip()]


def is_empty(rep: Rep) -> bool:
    """True when no component of the repetition carries a value."""
    return not any(s and s != NULL for subs in rep for s in subs)
