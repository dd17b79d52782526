"""Write FHIR values as ER7 text: escaped leaves joined by one message's delimiters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hl7.encoding import Encoding
from hl7.escapes import escape


def trimmed(parts: Sequence[str], separator: str) -> str:
    """Parts already in ER7 joined by ``separator``, trailing empty ones left off."""
    end = len(parts)
    while end and not parts[end - 1]:
        end -= 1
    return separator.join(parts[:end])


def composite(values: Sequence[str], encoding: Encoding) -> str:
    """Plain values as the escaped components of one field (or sub-components' parent)."""
    return trimmed([escape(v, encoding) for v in values], encoding.component)


def sub_composite(values: Sequence[str], encoding: Encoding) -> str:
    """Plain values as the escaped sub-components of one component (an HD inside a CX)."""
    return trimmed([escape(v, encoding) for v in values], encoding.subcomponent)


def repeated(reps: Iterable[str], encoding: Encoding) -> str:
    """Repetitions already in ER7 joined by ``~``; empty ones left out."""
    return encoding.repetition.join(r for r in reps if r)


def segment(name: str, fields: dict[int, str], encoding: Encoding) -> str:
    """A segment from its fields by number (1-based, already in ER7); gaps stay empty."""
    last = max((n for n, v in fields.items() if v), default=0)
    return encoding.field.join([name, *(fields.get(n, "") for n in range(1, last + 1))])


def dtm(value: Any) -> str:
    """A FHIR date, dateTime or instant as an HL7 DTM (``YYYYMMDD[HHMM[SS]][+ZZZZ]``)."""
    if not isinstance(value, str) or not value:
        return ""
    day, _, clock = value.partition("T")
    text = day.replace("-", "")
    if not clock:
        return text
    zone = ""
    for marker in ("Z", "+", "-"):
        if marker in clock:
            clock, sign, offset = clock.partition(marker)
            zone = "+0000" if marker == "Z" else sign + offset.replace(":", "")
            break
    return text + clock.split(".")[0].replace(":", "") + zone


def first_code(concept: Any, system: str | None = None) -> str:
    """The first code of a CodeableConcept (of ``system`` when given); "" when none."""
    if not isinstance(concept, dict):
        return ""
    for coding in concept.get("coding", ()):
        if coding.get("code") and (system is None or coding.get("system") == system):
            return str(coding["code"])
    return ""


def text(value: Any) -> str:
    """A FHIR primitive as text; "" when absent."""
    return "" if value is None else str(value)
