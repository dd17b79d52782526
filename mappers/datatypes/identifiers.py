"""CX, EI and HD to FHIR Identifier (datatypes/CX_Identifier_.csv, EI_Identifier-*.csv)."""

from __future__ import annotations

from typing import Any

from mappers.codesystems import code_map
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.elements import put
from mappers.rules import maps_components

IDENTIFIER_TYPES = code_map("IdentifierType")
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def identifier_type(code: str) -> dict[str, Any] | None:
    """Return Identifier.type for a table 0203 code (unknown codes kept in v2-0203)."""
    if not code:
        return None
    concept = IDENTIFIER_TYPES.get(code)
    coding = concept.coding() if concept else {"system": V2_0203, "code": " ".join(code.split())}
    return {"coding": [coding]}


def sent_identifier_type(type_code: str, ctx: MapContext) -> dict[str, Any] | None:
    """Return Identifier.type for a sender's CX-5, through its vocabulary (table 0203).

    A local type nothing maps stays a coding of the sender's own system.
    """
    if not type_code:
        return None
    local = {"system": ctx.local_system("0203"), "code": " ".join(type_code.split())}
    standard = ctx.standard_code("0203", type_code)
    if standard is None:
        return {"coding": [local]}
    kind = identifier_type(standard)
    if kind is not None and standard != type_code:
        kind["coding"].append(local)
    return kind


def authority_system(
    rep: Rep, index: int, ctx: MapContext, type_code: str = "", fallback: str | None = None
) -> str:
    """Return the system URI of the HD assigning authority in component ``index``."""
    return ctx.config.identifier_system(
        comp(rep, index, 1) or None,
        comp(rep, index, 2) or None,
        type_code=type_code or None,
        fallback=fallback,
    )


@maps_components(1, 4, 5, 7, 8)
def cx_identifier(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Map CX: value CX.1, system from CX.4, type CX.5, period CX.7/CX.8."""
    value = comp(rep, 1)
    if not value:
        return None
    type_code = comp(rep, 5)
    identifier: dict[str, Any] = {
        "value": value,
        "system": authority_system(rep, 4, ctx, type_code),
    }
    put(identifier, "type", sent_identifier_type(type_code, ctx))
    put(identifier, "period", ctx.period(comp(rep, 7), comp(rep, 8), "CX.7/CX.8"))
    return identifier


def ei_identifier(
    rep: Rep, ctx: MapContext, type_code: str = "", fallback: str | None = None
) -> dict[str, Any] | None:
    """Map EI: value EI.1, system from EI.2 (namespace) / EI.3 (universal id)."""
    value = comp(rep, 1)
    if not value:
        return None
    system = ctx.config.identifier_system(
        comp(rep, 2) or None, comp(rep, 3) or None, type_code=type_code or None, fallback=fallback
    )
    identifier: dict[str, Any] = {"value": value, "system": system}
    kind = identifier_type(type_code)
    if kind:
        identifier["type"] = kind
    return identifier
