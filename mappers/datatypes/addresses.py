"""XAD to FHIR Address (datatypes/XAD_Address_.csv, SAD_Address_.csv)."""

from __future__ import annotations

from typing import Any

from mappers.codesystems import code_map
from mappers.components import Rep, comp, sub_parts
from mappers.context import MapContext
from mappers.elements import put
from mappers.rules import maps_components

ADDRESS_USES = code_map("AddressType_Use_")
ADDRESS_TYPES = code_map("AddressType_Type_")


@maps_components(1, 2, 3, 4, 5, 6, 7, 9, 13, 14)
def xad_address(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Map XAD: lines (SAD parts, XAD.2), city, state, postal code, country, use/type."""
    address: dict[str, Any] = {}
    put(address, "line", [*sub_parts(rep, 1), *filter(None, [comp(rep, 2)])])
    for index, element in ((3, "city"), (4, "state"), (5, "postalCode"), (6, "country")):
        put(address, element, comp(rep, index))
    put(address, "district", comp(rep, 9))
    if not address:
        return None
    kind = comp(rep, 7)
    put(address, "use", ADDRESS_USES.code(kind))
    put(address, "type", ADDRESS_TYPES.code(kind))
    put(address, "period", ctx.period(comp(rep, 13), comp(rep, 14), "XAD.13/14"))
    return address
