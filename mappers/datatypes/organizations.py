"""XON and HD to an Organization reference and resource (datatypes/XON_Organization_.csv)."""

from __future__ import annotations

from typing import Any

from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.identifiers import authority_system, identifier_type
from mappers.identity import deterministic_id
from mappers.rules import maps_components

ORGANIZATION_SYSTEM = "urn:fhirport:id:organization"


def organization(
    ctx: MapContext,
    name: str,
    identifier: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, str] | None:
    """Emit an Organization keyed by its identifier (else its name); return a Reference."""
    if identifier is None and not name:
        return None
    if identifier is not None:
        key = f"{identifier['system']}|{identifier['value']}"
        org_id = deterministic_id("Organization", identifier["system"], identifier["value"])
    else:
        key = f"name|{name}"
        org_id = deterministic_id("Organization", "name", name)
    resource: dict[str, Any] = {"resourceType": "Organization", "id": org_id, "active": True}
    if identifier is not None:
        resource["identifier"] = [identifier]
    if name:
        resource["name"] = name
    resource.update(extra or {})
    reference = ctx.share(resource, f"Organization {key}")
    if name:
        reference["display"] = name
    return reference


@maps_components(1, 3, 6, 7, 10)
def xon_organization(rep: Rep, ctx: MapContext) -> dict[str, str] | None:
    """Map XON: name XON.1, identifier XON.10 (else XON.3) with authority XON.6, type XON.7."""
    value = comp(rep, 10) or comp(rep, 3)
    identifier: dict[str, Any] | None = None
    if value:
        type_code = comp(rep, 7)
        system = authority_system(rep, 6, ctx, type_code, fallback=ORGANIZATION_SYSTEM)
        identifier = {"system": system, "value": value}
        kind = identifier_type(type_code)
        if kind:
            identifier["type"] = kind
    return organization(ctx, comp(rep, 1), identifier)


def hd_organization(rep: Rep, ctx: MapContext) -> dict[str, str] | None:
    """Map an HD (e.g. MSH-4 sending facility): name HD.1, identifier HD.2."""
    universal = comp(rep, 2)
    identifier = None
    if universal:
        system = ctx.config.identifier_system(None, universal, fallback=ORGANIZATION_SYSTEM)
        identifier = {"system": system, "value": universal}
    return organization(ctx, comp(rep, 1), identifier)
