"""XCN to a Practitioner reference and resource (datatypes/XCN_Practitioner_.csv)."""

from __future__ import annotations

from typing import Any

from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.identifiers import authority_system, identifier_type
from mappers.datatypes.names import human_name, name_text
from mappers.identity import deterministic_id
from mappers.rules import maps_components

PRACTITIONER_SYSTEM = "urn:fhirport:id:practitioner"
XCN_COMPONENTS = (1, 2, 3, 4, 5, 6, 7, 9, 10, 13)


@maps_components(*XCN_COMPONENTS)
def xcn_practitioner(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Emit the Practitioner an XCN names and return a Reference to it.

    The id comes from XCN.1 and its authority (XCN.9). An XCN with a name but no id
    number gives a display-only reference: a name alone does not identify a person.
    """
    value = comp(rep, 1)
    name = human_name(rep, 2, 10)
    if not value:
        return {"display": name_text(name)} if name else None
    type_code = comp(rep, 13)
    system = authority_system(rep, 9, ctx, type_code, fallback=PRACTITIONER_SYSTEM)
    identifier: dict[str, Any] = {"system": system, "value": value}
    kind = identifier_type(type_code)
    if kind:
        identifier["type"] = kind
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": deterministic_id("Practitioner", system, value),
        "identifier": [identifier],
    }
    if name:
        practitioner["name"] = [name]
    reference = ctx.share(practitioner, f"Practitioner {system}|{value}")
    if name:
        reference["display"] = name_text(name)
    return reference
