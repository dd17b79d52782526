"""CWE/CE/CNE to FHIR CodeableConcept and code (datatypes/CWE_CodeableConcept_.csv)."""

from __future__ import annotations

from typing import Any

from mappers.codesystems import code_map, coding_system_uri
from mappers.components import Rep, code, comp
from mappers.context import MapContext
from mappers.elements import PrimitiveExtensions
from mappers.rules import Convert, maps_components
from mappers.vocabulary import original_code_extension, table_codes

# (code, display, system, version) component numbers of the three CWE triplets.
_TRIPLETS = ((1, 2, 3, 7), (4, 5, 6, 8), (10, 11, 12, 13))
CWE_COMPONENTS = tuple(range(1, 14))  # CWE.14-22 (v2.7 OIDs, value sets) are not mapped


def cwe_codings(rep: Rep, default_system: str = "") -> list[dict[str, Any]]:
    """Return the Codings of the CWE triplets that carry a code."""
    codings = []
    for code_at, display_at, system_at, version_at in _TRIPLETS:
        value = code(rep, code_at)
        if not value:
            continue
        coding: dict[str, Any] = {}
        system = comp(rep, system_at) or default_system
        if system:
            coding["system"] = coding_system_uri(system)
        if comp(rep, version_at):
            coding["version"] = comp(rep, version_at)
        coding["code"] = value
        if comp(rep, display_at):
            coding["display"] = comp(rep, display_at)
        codings.append(coding)
    return codings


@maps_components(*CWE_COMPONENTS)
def cwe_concept(rep: Rep, ctx: MapContext, default_system: str = "") -> dict[str, Any] | None:
    """Map CWE: a Coding per triplet, text from CWE.9 (or CWE.2 when nothing is coded)."""
    concept: dict[str, Any] = {}
    codings = cwe_codings(rep, default_system)
    if codings:
        concept["coding"] = codings
    text = comp(rep, 9) or ("" if codings else comp(rep, 2))
    if text:
        concept["text"] = text
    return concept or None


def cwe_in_table(table: str) -> Convert:
    """Return a CWE map whose codes default to v2 table ``table`` (e.g. "0063")."""

    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        return cwe_concept(rep, ctx, f"HL7{table}")

    return maps_components(*CWE_COMPONENTS)(convert)


def in_table(system_name: str, table: str) -> bool:
    """Whether a CWE's coding system (CWE.3) leaves its code to the table or the sender:
    none named, the table itself, or a local system (``L``, ``99zzz``)."""
    name = system_name.upper()
    return name in ("", f"HL7{table}", "L", "LOCAL") or name.startswith("99")


def mapped_concept(map_name: str, table: str) -> Convert:
    """Return a CWE map that puts the IG map's FHIR coding first, then the v2 codings.

    A code of HL7 table ``table`` (or the sender's local code for one, through its
    vocabulary) gets the IG's coding; a local code stays as a coding of the sender's own
    system, never as a code of the table it is not in.
    """
    concepts = code_map(map_name)

    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        concept = cwe_concept(rep, ctx, f"HL7{table}")
        v2_code = code(rep, 1)
        standard = v2_code
        if concept is not None and v2_code and in_table(comp(rep, 3), table):
            standard = ctx.standard_code(table, v2_code) or ""
            if standard != v2_code:
                concept["coding"][0] = {**concept["coding"][0], "system": ctx.local_system(table)}
        mapped = concepts.get(standard)
        if mapped is None:
            return concept
        concept = concept or {}
        originals = [
            c
            for c in concept.get("coding", ())
            if (c.get("system"), c.get("code")) != (mapped.system, mapped.code)
        ]
        concept["coding"] = [mapped.coding(), *originals]
        return concept

    return maps_components(*CWE_COMPONENTS)(convert)


def mapped_code(map_name: str, table: str) -> Convert:
    """Return a map from a coded field of HL7 table ``table`` to the FHIR code of the IG
    map ``map_name``, through the sender's vocabulary.

    A code nothing maps is kept, in the v2-original-code extension of the element
    (``_gender``): a ``code`` with a required binding cannot hold it.
    """
    concepts = code_map(map_name)

    def convert(rep: Rep, ctx: MapContext) -> str | PrimitiveExtensions | None:
        v2_code = code(rep, 1)
        if not v2_code:
            return None
        standard = ctx.standard_code(table, v2_code)
        found = concepts.code(standard) if standard else None
        if found is not None:
            return found
        system = table_codes(table).system if standard else ctx.local_system(table)
        extension = original_code_extension(system, v2_code, comp(rep, 2))
        return PrimitiveExtensions({"extension": [extension]})

    # Only the code is kept: its text and coding system only restate it.
    return maps_components(1, 2, 3)(convert)
