"""PL to a Location reference and resource (datatypes/PL_Location_.csv, simplified).

The IG builds one Location per level (bed, room, floor, building, point of care,
facility) linked by ``partOf``. fhirport keeps one Location for the most specific
level, named by the whole path and identified by it, and records the level in
``physicalType``: it is what a reference from an Appointment or a Claim needs.
"""

from __future__ import annotations

from typing import Any

from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.identity import deterministic_id
from mappers.rules import maps_components

LOCATION_SYSTEM = "urn:fhirport:id:location"
_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
# From the largest level to the smallest: (PL component, physical type code, display).
_LEVELS = (
    (4, "si", "Site"),
    (7, "bu", "Building"),
    (8, "lvl", "Level"),
    (1, "area", "Area"),
    (2, "ro", "Room"),
    (3, "bd", "Bed"),
)

PL_COMPONENTS = (1, 2, 3, 4, 7, 8, 9)


@maps_components(*PL_COMPONENTS)
def pl_location(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Emit the Location a PL names and return a Reference to it."""
    path = [(comp(rep, index), code, display) for index, code, display in _LEVELS]
    valued = [(value, code, display) for value, code, display in path if value]
    if not valued:
        return None
    key = "^".join(value for value, _, _ in path)
    name = " / ".join(value for value, _, _ in valued)
    _, code, display = valued[-1]
    location: dict[str, Any] = {
        "resourceType": "Location",
        "id": deterministic_id("Location", key),
        "identifier": [{"system": LOCATION_SYSTEM, "value": key}],
        "status": "active",
        "name": name,
        "mode": "instance",
        "physicalType": {"coding": [{"system": _PHYSICAL_TYPE, "code": code, "display": display}]},
    }
    description = comp(rep, 9)
    if description:
        location["description"] = description
    reference = ctx.share(location, f"Location {key}")
    reference["display"] = name
    return reference
