"""System-level endpoints: the CapabilityStatement and whole-system history."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.capability_security import with_security
from server.api.dependencies import Access, AppSettings, Service
from server.api.negotiation import response_format
from server.api.public_urls import public_base
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.api.routes_resources import history_response
from server.fhir.capability import capability_statement


async def metadata(request: Request, settings: AppSettings) -> Response:
    base = public_base(request)
    statement = with_security(capability_statement(base), base, secured=settings.auth == "smart")
    return fhir_response(statement, response_format(request))


async def system_history(request: Request, service: Service, access: Access) -> Response:
    access.require_any("s")
    return await history_response(request, service, access, None, None)


ROUTES = (
    Row("/metadata", ("GET",), metadata),
    Row("/_history", ("GET",), system_history),
)
