"""PID-10 (race) and PID-22 (ethnic group) to the US Core race and ethnicity extensions.

The IG's PID sheet maps both to "the local extension": for the US realm, us-core-race
and us-core-ethnicity. Each is one complex extension for the whole field (every
repetition): ``ombCategory`` codings for the OMB categories, ``detailed`` codings for
the other codes, and the ``text`` US Core requires.

A code whose coding system (CWE.3) is the HL7 table, none or a local one goes through
the sender's vocabulary (tables 0005, 0189); a table code that is an OMB category is
one, any other code of the CDC race and ethnicity system is ``detailed``. A code
nothing maps is kept, never dropped: a ``detailed`` coding in the sender's own code
system (its binding is extensible), reported as a vocabulary gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hl7.er7 import Segment
from mappers.codesystems import Concept, coding_system_uri
from mappers.components import Rep, code, comp, is_empty
from mappers.context import MapContext
from mappers.datatypes.codes import in_table

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
CDC_RACE_ETHNICITY = "urn:oid:2.16.840.1.113883.6.238"
_NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
_USED = frozenset({1, 2, 3, 9})  # code, text, coding system, original text
_CDC_NAMES = frozenset({"CDCREC", CDC_RACE_ETHNICITY.upper(), "2.16.840.1.113883.6.238"})


@dataclass(frozen=True, slots=True)
class Realm:
    """One of the two extensions: its URL, HL7 table, and which table codes are categories."""

    url: str
    table: str
    # The table's standard code (or a CDC code sent as such) -> its OMB category.
    categories: dict[str, Concept]
    most_categories: int


def _cdc(code: str, display: str) -> Concept:
    return Concept(code, display, CDC_RACE_ETHNICITY)


_OMB_RACES = {
    c.code: c
    for c in (
        _cdc("1002-5", "American Indian or Alaska Native"),
        _cdc("2028-9", "Asian"),
        _cdc("2054-5", "Black or African American"),
        _cdc("2076-8", "Native Hawaiian or Other Pacific Islander"),
        _cdc("2106-3", "White"),
    )
}
_HISPANIC = _cdc("2135-2", "Hispanic or Latino")
_NOT_HISPANIC = _cdc("2186-5", "Not Hispanic or Latino")

RACE = Realm(US_CORE + "us-core-race", "0005", _OMB_RACES, 5)
ETHNICITY = Realm(
    US_CORE + "us-core-ethnicity",
    "0189",
    {
        "H": _HISPANIC,
        "N": _NOT_HISPANIC,
        "U": Concept("UNK", "Unknown", _NULL_FLAVOR),
        _HISPANIC.code: _HISPANIC,
        _NOT_HISPANIC.code: _NOT_HISPANIC,
    },
    1,
)


def map_race_field(
    segment: Segment, number: int, realm: Realm, ctx: MapContext
) -> dict[str, Any] | None:
    """Return the realm's extension for every repetition of field ``number``, or None."""
    categories: list[dict[str, Any]] = []
    detailed: list[dict[str, Any]] = []
    texts: list[str] = []
    for rep in segment.reps(number):
        if is_empty(rep):
            continue
        _unused_components(segment.name, number, rep, ctx)
        category, coding = _coded(rep, realm, ctx)
        if category is not None and len(categories) < realm.most_categories:
            categories.append({"url": "ombCategory", "valueCoding": category.coding()})
        elif coding is not None:
            detailed.append({"url": "detailed", "valueCoding": coding})
        text = comp(rep, 9) or comp(rep, 2) or (category.display if category else code(rep, 1))
        if text:
            texts.append(text)
    if not texts:
        return None
    parts = [*categories, *detailed, {"url": "text", "valueString": ", ".join(texts)}]
    return {"url": realm.url, "extension": parts}


def _unused_components(segment: str, number: int, rep: Rep, ctx: MapContext) -> None:
    for component, subs in enumerate(rep, 1):
        if component not in _USED and not is_empty([subs]):
            ctx.unmapped(f"{segment}-{number}.{component}")


def _coded(rep: Rep, realm: Realm, ctx: MapContext) -> tuple[Concept | None, Any]:
    """The OMB category of one repetition, else the coding it is kept as (None: no code)."""
    value = code(rep, 1)
    if not value:
        return None, None
    system_name = comp(rep, 3)
    display = comp(rep, 2)
    if system_name.upper() in _CDC_NAMES:
        system, standard = CDC_RACE_ETHNICITY, value
    elif in_table(system_name, realm.table):
        # The table's codes are CDC codes (0005) or categories (0189).
        standard = ctx.standard_code(realm.table, value) or ""
        system = CDC_RACE_ETHNICITY if standard else ctx.local_system(realm.table)
    else:
        system, standard = coding_system_uri(system_name), ""
    category = realm.categories.get(standard.upper())
    if category is not None:
        return category, None
    if standard:
        value = standard  # a table code that is no OMB category: a detailed CDC code
    coding = {"system": system, "code": value}
    if display:
        coding["display"] = display
    return None, coding
