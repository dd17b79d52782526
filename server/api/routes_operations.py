"""Paths naming an operation (a ``$`` segment) that no operation route took.

Included after the operation routes (HL7v2, ROI) and before the resource and search
routes, which would read ``Patient/$export`` as a read of the id ``$export``, and
``Patient/1/$export`` as a compartment search. An operation the server has at that
path but not for the method is a 405; anything else is an unknown operation: a 404
``not-supported`` naming it. The CapabilityStatement lists the operations there are.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from server.api.allow import allowed_methods, fallback, method_not_allowed
from server.errors import NotFound
from server.registry import get_type

router = APIRouter(prefix="/fhir")

_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _level(request: Request) -> str:
    resource_type = request.path_params.get("resource_type")
    if resource_type is None:
        return "at the system level"
    if "resource_id" in request.path_params:
        return f"on a {resource_type} instance"
    return f"on the {resource_type} type"


@router.api_route("/${operation}", methods=_ANY_METHOD, include_in_schema=False)
@router.api_route("/{resource_type}/${operation}", methods=_ANY_METHOD, include_in_schema=False)
@router.api_route(
    "/{resource_type}/{resource_id}/${operation}", methods=_ANY_METHOD, include_in_schema=False
)
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
