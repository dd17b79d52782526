"""Field maps that wrap a value in one of the FHIR core extensions the IG names."""

from __future__ import annotations

from typing import Any

from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.codes import CWE_COMPONENTS, cwe_concept
from mappers.rules import Convert, maps_components

CORE = "http://hl7.org/fhir/StructureDefinition/"


def string_extension(name: str) -> Convert:
    """Return a map of a field's first component to ``{url, valueString}``."""

    @maps_components(1)
    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        value = comp(rep, 1)
        return {"url": CORE + name, "valueString": value} if value else None

    return convert


def concept_extension(name: str, table: str, part: str | None = None) -> Convert:
    """Return a map of a CWE field to ``{url, valueCodeableConcept}``.

    With ``part`` the concept sits in a sub-extension (e.g. patient-citizenship's ``code``).
    """

    @maps_components(*CWE_COMPONENTS)
    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        concept = cwe_concept(rep, ctx, f"HL7{table}")
        if concept is None:
            return None
        if part is None:
            return {"url": CORE + name, "valueCodeableConcept": concept}
        return {"url": CORE + name, "extension": [{"url": part, "valueCodeableConcept": concept}]}

    return convert
