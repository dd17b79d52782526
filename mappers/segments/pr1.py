"""PR1 to Claim.procedure (fhirport's map; the IG maps PR1 to Procedure, not held)."""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept

DEFAULT_PROCEDURE_SYSTEM = "C4"  # table 0088 (procedure code) is CPT-4
HANDLED = frozenset({1, 3, 4, 5})


def map_pr1(pr1: Segment, sequence: int, ctx: MapContext) -> dict[str, Any] | None:
    """Return the Claim.procedure entry of a PR1 (None when it carries no code)."""
    ctx.fields_unmapped(pr1, HANDLED)
    reps = pr1.reps(3)
    concept = cwe_concept(reps[0], ctx, DEFAULT_PROCEDURE_SYSTEM) if reps else None
    if concept is None:
        ctx.warn("PR1-3 carries no procedure code; PR1 not mapped")
        return None
    if pr1.get(4) and "text" not in concept:
        concept["text"] = pr1.get(4)
    entry: dict[str, Any] = {"sequence": sequence, "procedureCodeableConcept": concept}
    when = ctx.datetime(pr1.get(5), "PR1-5")
    if when:
        entry["date"] = when
    return entry
