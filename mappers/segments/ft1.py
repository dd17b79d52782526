"""FT1 to Claim.item (fhirport's map: the IG has none; docs/mappings/FT1_Claim.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hl7.er7 import Segment
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.codes import cwe_concept, cwe_in_table
from mappers.datatypes.locations import pl_location
from mappers.numbers import decimal, json_number
from mappers.rules import FieldRule, apply_rules, handled_fields, maps_components
from mappers.segments.dg1 import diagnosis_concept
from mappers.segments.money import cp_money

DEFAULT_PROCEDURE_SYSTEM = "C4"  # FT1-25 uses table 0088: CPT-4 (HCPCS when the sender says)


@maps_components(1)
def _quantity(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    value = decimal(comp(rep, 1))
    if value is None:
        ctx.warn(f"FT1-10: quantity {comp(rep, 1)!r} is not a number; left out")
        return None
    return {"value": json_number(value)}


RULES: tuple[FieldRule, ...] = (
    FieldRule(10, "quantity", _quantity),
    FieldRule(11, "net", cp_money),
    FieldRule(12, "unitPrice", cp_money),
    FieldRule(22, "unitPrice", cp_money),
    FieldRule(16, "locationReference", pl_location),
    FieldRule(13, "locationCodeableConcept", cwe_in_table("0049")),
    FieldRule(26, "modifier", cwe_concept, many=True),
    FieldRule(41, "revenue", cwe_in_table("0456")),
)
# 2/3 give the Claim's id; 4 the service date; 6 charges only; 7/25 (and 8) the code;
# 19 the diagnoses; 20/21 the care team.
HANDLED = handled_fields(RULES, 1, 2, 3, 4, 6, 7, 8, 19, 20, 21, 25)
# Table 0017: CG charge; CD credit, PY payment, CO co-payment, AJ adjustment are not items.
CHARGE_TYPES = frozenset({"CG", ""})


def map_ft1(
    ft1: Segment,
    sequence: int,
    diagnosis_sequence: Callable[[dict[str, Any]], int],
    ctx: MapContext,
) -> dict[str, Any] | None:
    """Return the Claim.item of an FT1 (None, with a warning, when it has no code).

    ``diagnosis_sequence`` returns the Claim.diagnosis sequence of a coded diagnosis
    (adding it when the DG1 segments did not list it). Only charges are items: a credit,
    payment or adjustment (FT1-6) is not a claimed service, and the whole FT1 is then
    listed as unmapped.
    """
    kind = ft1.get(6).upper()
    if kind not in CHARGE_TYPES:
        ctx.warn(f"FT1 {ft1.get(1) or sequence}: transaction type {kind!r} is not a charge")
        return None
    ctx.fields_unmapped(ft1, HANDLED)
    product = _product(ft1, ctx)
    if product is None:
        ctx.warn(f"FT1 {ft1.get(1) or sequence}: no procedure (FT1-25) or transaction code (FT1-7)")
        return None
    item: dict[str, Any] = {"sequence": sequence, "productOrService": product}
    apply_rules(ft1, RULES, item, ctx)
    if "locationReference" in item:
        item.pop("locationCodeableConcept", None)  # location[x]: one choice only
    start = ctx.date(ft1.get(4, 1), "FT1-4")
    end = ctx.date(ft1.get(4, 2), "FT1-4.2")
    if start and end and end != start:
        item["servicedPeriod"] = {"start": start, "end": end}
    elif start:
        item["servicedDate"] = start
    sequences = sorted({diagnosis_sequence(c) for c in diagnosis_concept(ft1, 19, ctx)})
    if sequences:
        item["diagnosisSequence"] = sequences
    return item


def _product(ft1: Segment, ctx: MapContext) -> dict[str, Any] | None:
    for field, default_system in ((25, DEFAULT_PROCEDURE_SYSTEM), (7, "HL70132")):
        reps = ft1.reps(field)
        concept = cwe_concept(reps[0], ctx, default_system) if reps else None
        if concept is not None:
            description = ft1.get(8)
            if description and "text" not in concept:
                concept["text"] = description
            return concept
    return None


def transaction_ids(ft1s: list[Segment]) -> tuple[str, list[str]]:
    """Return (batch id FT1-3 of the first FT1 that has one, the FT1-2 transaction ids)."""
    batch = next((b for b in (f.get(3) for f in ft1s) if b), "")
    ids = [t for t in (f.get(2) for f in ft1s) if t]
    return batch, ids
