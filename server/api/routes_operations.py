"""Paths naming an operation (a ``$`` segment) that no operation route took.

Included after the operation routes (HL7v2, ROI) and before the resource and search
routes, which would read ``Patient/$export`` as a read of the id ``$export``, and
``Patient/1/$export`` as a compartment search. An operation the server has at that
path but not for the method is a 405; anything else is an unknown operation: a 404
``not-supported`` naming it. The CapabilityStatement lists the operations there are.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.allow import allowed_methods, fallback, method_not_allowed
from server.api.route_table import Row
from server.errors import NotFound
from server.registry import get_type

_ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _level(request: Request) -> str:
    resource_type = request.path_params.get("resource_type")
    if resource_type is None:
        return "at the system level"
    if "resource_id" in request.path_params:
        return f"on a {resource_type} instance"
    return f"on the {resource_type} type"


@fallback
async def unknown_operation(operation: str, request: Request) -> Response:
    allowed = allowed_methods(request)
    if allowed:
        raise method_not_allowed(request, allowed)
    resource_type = request.path_params.get("resource_type")
    if resource_type is not None and get_type(resource_type) is None:
        raise NotFound(
            f"Resource type {resource_type!r} is not supported by this server, "
            f"nor its operation ${operation}",
            code="not-supported",
        )
    raise NotFound(
        f"This server has no operation ${operation} {_level(request)} "
        "(GET /fhir/metadata lists the operations it has)",
        code="not-supported",
    )


ROUTES = (
    Row(
        "/{resource_type}/{resource_id}/${operation}",
        _ANY_METHOD,
        unknown_operation,
        documented=False,
    ),
    Row("/{resource_type}/${operation}", _ANY_METHOD, unknown_operation, documented=False),
    Row("/${operation}", _ANY_METHOD, unknown_operation, documented=False),
)
