"""``POST /fhir/CoverageEligibilityRequest``: stored with the CoverageEligibilityResponse
answering it (server.eligibility), in one write.

The answer is 201 with the response in the body; ``Location`` names the stored request
(what the POST created), ``Content-Location`` the stored response. A fast row, ahead of
the generic create's.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Service, held_type
from server.api.negotiation import require_body_type, response_format
from server.api.public_urls import public_base
from server.api.request_body import read_body
from server.api.responses import fhir_response, version_headers
from server.api.route_table import Row
from server.auth.visibility import check_write
from server.eligibility import OnFileEligibility, process
from server.eligibility.process import REQUEST, RESPONSE
from server.errors import InvalidRequest
from server.fhir.validation import parse_json_object
from server.registry import Interaction


@serves(Interaction.CREATE, REQUEST)
async def eligibility(
    request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    """Answer an eligibility request from the coverage on file; store both."""
    held_type(REQUEST, Interaction.CREATE)
    fmt = response_format(request)
    if "if-none-exist" in request.headers:
        raise InvalidRequest(
            "A CoverageEligibilityRequest is processed as it is created: no conditional create",
            expression="If-None-Exist",
        )
    require_body_type(request)
    body = parse_json_object(await read_body(request, settings.max_body_bytes))
    check_write(access, REQUEST, "c", None, body)
    access.require(RESPONSE, "c")
    access.require("Coverage", "r")
    processed = await process(service, OnFileEligibility(service.store), body)
    base = public_base(request)
    headers = version_headers(processed.response)
    for header, version in (
        ("Location", processed.request),
        ("Content-Location", processed.response),
    ):
        headers[header] = f"{base}/{version.resource_type}/{version.id}/_history/{version.version}"
    return fhir_response(processed.response.body, fmt, 201, headers)


ROUTES = (Row(f"/{REQUEST}", ("POST",), eligibility, fast=True),)
