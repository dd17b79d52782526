"""Ids in request paths: held to the id datatype (server.fhir.ids) before any work is done."""

from __future__ import annotations

from starlette.requests import Request

from server.api.allow import allowed_methods, method_not_allowed
from server.api.dependencies import held_type
from server.errors import InvalidRequest
from server.fhir.ids import is_fhir_id
from server.registry import Interaction

_SHOWN = 64  # characters of a refused id echoed back, as many as an id may have


def require_id(request: Request, value: str, expression: str = "id") -> str:
    """Return ``value`` if it is an id; else 400, or 405 if another route takes the path.

    ``expression`` names the id in the outcome: ``id`` for a resource id, ``vid`` for a
    version (the names of http.html's URL templates).
    """
    if is_fhir_id(value):
        return value
    if value[:1] in ("_", "$") and (allowed := allowed_methods(request)):
        raise method_not_allowed(request, allowed)  # e.g. PUT on [type]/_history
    shown = value if len(value) <= _SHOWN else f"{value[:_SHOWN]}... ({len(value)} characters)"
    raise InvalidRequest(
        f"{shown!r} is not a valid {'version ' if expression == 'vid' else ''}id: an id is 1 to"
        " 64 characters of A-Z, a-z, 0-9, '-' and '.', and neither '.' nor '..'",
        expression=expression,
    )


def held_instance(
    request: Request, resource_type: str, resource_id: str, interaction: Interaction
) -> None:
    """404/405 unless the type is held and offers ``interaction``; 400 for a malformed id."""
    held_type(resource_type, interaction)
    require_id(request, resource_id)
