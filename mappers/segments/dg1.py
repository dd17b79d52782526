"""DG1 to Claim.diagnosis (fhirport's map, docs/mappings/FT1_Claim.md).

The IG maps DG1 to Condition, which fhirport does not hold; on a Claim the diagnosis
is coded (DG1-3, ICD-10-CM when the sender names no system) with its role (DG1-6).
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.codesystems import code_map
from mappers.components import code
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept

DIAGNOSIS_TYPES = code_map("DiagnosisType")
DEFAULT_DIAGNOSIS_SYSTEM = "I10"
HANDLED = frozenset({1, 3, 4, 6})


def diagnosis_concept(segment: Segment, field: int, ctx: MapContext) -> list[dict[str, Any]]:
    """Return each coded diagnosis of a field (DG1-3, FT1-19), ICD-10-CM by default."""
    concepts = []
    for rep in segment.reps(field):
        concept = cwe_concept(rep, ctx, DEFAULT_DIAGNOSIS_SYSTEM)
        if concept is not None and "coding" in concept:
            concepts.append(concept)
    return concepts


def map_dg1(dg1: Segment, sequence: int, ctx: MapContext) -> dict[str, Any] | None:
    """Return the Claim.diagnosis entry of a DG1 (None when it carries no code)."""
    ctx.fields_unmapped(dg1, HANDLED)
    concepts = diagnosis_concept(dg1, 3, ctx)
    if not concepts:
        ctx.warn("DG1-3 carries no diagnosis code; DG1 not mapped")
        return None
    concept = concepts[0]
    description = dg1.get(4)
    if description and "text" not in concept:
        concept["text"] = description
    entry: dict[str, Any] = {"sequence": sequence, "diagnosisCodeableConcept": concept}
    kind = dg1.reps(6)
    type_code = code(kind[0], 1) if kind else ""
    if type_code:
        mapped = DIAGNOSIS_TYPES.get(type_code)
        coding = (
            mapped.coding()
            if mapped
            else {"system": "http://terminology.hl7.org/CodeSystem/v2-0052", "code": type_code}
        )
        entry["type"] = [{"coding": [coding]}]
    return entry


def same_code(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two CodeableConcepts share their first coding's system and code."""
    first_a, first_b = a["coding"][0], b["coding"][0]
    return bool(
        first_a.get("code") == first_b.get("code")
        and first_a.get("system") == first_b.get("system")
    )
