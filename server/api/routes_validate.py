"""``POST /fhir/{type}/$validate`` and ``POST /fhir/{type}/{id}/$validate``: check, never write.

Included before the resource routes, which would read ``Patient/$validate`` as a create
and ``Patient/1/$validate`` as a compartment search. The token needs what the write
would need (create, update or delete on the type, within its compartment); the answer
is an OperationOutcome and nothing is written.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Service
from server.api.negotiation import require_body_type, response_format
from server.api.path_ids import require_id
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.api.routes_meta import offered
from server.api.routes_operations import unknown_operation
from server.auth.access import Access as AccessRules
from server.auth.visibility import check_write
from server.errors import Issue, operation_outcome
from server.fhir.validation import parse_json_object
from server.interactions import ResourceService
from server.operations.validate import LETTERS, validate_write, validation_request
from server.registry import Interaction

_ALL_OK = "All OK: the server would accept this write"


@serves(Interaction.CREATE)
async def validate_type(
    resource_type: str, request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    return await _validate(request, service, settings, access, resource_type, None)


@serves(Interaction.CREATE)
async def validate_instance(
    resource_type: str,
    resource_id: str,
    request: Request,
    service: Service,
    settings: AppSettings,
    access: Access,
) -> Response:
    require_id(request, resource_id)
    return await _validate(request, service, settings, access, resource_type, resource_id)


async def _validate(
    request: Request,
    service: ResourceService,
    settings: AppSettings,
    access: AccessRules,
    resource_type: str,
    resource_id: str | None,
) -> Response:
    if not offered(resource_type, Interaction.CREATE):
        return await unknown_operation("validate", request)
    fmt = response_format(request)
    has_body = (
        request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    )
    body = None
    if has_body:
        require_body_type(request)
        body = parse_json_object(await read_body(request, settings.max_body_bytes))
    validation = validation_request(
        body, request.query_params.get("mode"), instance=resource_id is not None
    )
    letter = LETTERS[validation.mode]
    current = None
    if resource_id is not None:
        current = await service.store.read(resource_type, resource_id)
        current = None if current is None or current.deleted else current
    check_write(access, resource_type, letter, current, validation.resource)
    warnings = await validate_write(service, resource_type, resource_id, validation, current)
    issues = [Issue(_ALL_OK, "informational", "information"), *warnings]
    return fhir_response(operation_outcome(issues), fmt)


ROUTES = (
    Row("/{resource_type}/$validate", ("POST",), validate_type),
    Row("/{resource_type}/{resource_id:id}/$validate", ("POST",), validate_instance),
)
