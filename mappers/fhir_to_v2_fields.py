"""Write FHIR values as ER7 fields: escaped leaves joined by the message's delimiters.

The building blocks of the FHIR -> HL7v2 segment mappers (``fhir_to_v2_pid``,
``fhir_to_v2_in1``): pure functions, FHIR JSON in, ER7 text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hl7.encoding import Encoding
from hl7.escapes import escape


def components(values: Sequence[str], encoding: Encoding) -> str:
    """Escaped components joined by ``^``, trailing empty ones dropped."""
    parts = [escape(v, encoding) for v in values]
    while parts and not parts[-1]:
        parts.pop()
    return encoding.component.join(parts)


def repeated(reps: Sequence[str], encoding: Encoding) -> str:
    """Already-rendered repetitions joined by ``~`` (empty ones left out)."""
    return encoding.repetition.join(r for r in reps if r)


def segment(name: str, fields: Sequence[str], encoding: Encoding) -> str:
    """A segment from its fields (field 1 first), trailing empty fields dropped."""
    values = list(fields)
    while values and not values[-1]:
        values.pop()
    return encoding.field.join([name, *values])


def v2_date(value: Any) -> str:
    """A FHIR date or dateTime as an HL7 DTM (YYYYMMDD[HHMM[SS]]); "" when absent."""
    if not isinstance(value, str):
        return ""
    return value[:19].replace("-", "").replace("T", "").replace(":", "")


def reference_id(reference: Any) -> str:
    """The id of a literal ``Type/id`` reference, "" when there is none."""
    ref = reference.get("reference") if isinstance(reference, dict) else None
    return str(ref).rsplit("/", 1)[-1] if ref else ""


def first_code(concept: Any) -> str:
    """The first coding's code of a CodeableConcept, "" when none."""
    codings = concept.get("coding", ()) if isinstance(concept, dict) else ()
    return next((str(c["code"]) for c in codings if c.get("code")), "")
