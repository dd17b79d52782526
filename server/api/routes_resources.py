"""REST interactions on resources: create, read, vread, update, patch, delete, history.

Thin: each route negotiates the format, asks the ResourceService, and shapes the
HTTP answer (status codes and headers per FHIR R4 http.html). ``ROUTES`` is their
table; the hot interactions (read, vread, create, update) are also fast routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.cascade_delete import cascade_delete
from server.api.criteria import query_criteria
from server.api.dependencies import Access, AppSettings, Service, held_type
from server.api.history_params import history_query, next_page_url
from server.api.negotiation import JSON_PATCH, require_body_type, response_format
from server.api.path_ids import held_instance, require_id
from server.api.prefer import ReturnPreference, return_preference
from server.api.public_urls import public_base, public_request_url
from server.api.query_values import query_value
from server.api.request_body import read_body
from server.api.responses import fhir_response, information, version_headers
from server.api.route_table import Row
from server.audit.draft import audit_returned
from server.auth.visibility import (
    check_write,
    hidden,
    hide_unseen,
    read_visible,
    refuse_conditional,
    visible,
    visible_history,
)
from server.errors import Gone, InvalidRequest
from server.fhir.bundles import bundle, history_entry
from server.fhir.strict_parse import parse_json
from server.fhir.subsetting import Summary, parse_elements, parse_summary, subset
from server.fhir.validation import parse_json_object
from server.interactions import ResourceService, WriteResult
from server.registry import Interaction
from server.storage.port import StoredVersion


def _if_match(request: Request) -> int | None:
    header = request.headers.get("if-match")
    if header is None:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidRequest(
            f'If-Match {header!r} is not a version ETag like W/"3"', expression="If-Match"
        )
    return int(value)


def _write_response(request: Request, result: WriteResult) -> Response:
    fmt = response_format(request)
    base = public_base(request)
    version = result.version
    headers = version_headers(version)
    location = f"{base}/{version.resource_type}/{version.id}/_history/{version.version}"
    status = 201 if result.created else 200
    if result.created:
        headers["Location"] = location
    else:
        headers["Content-Location"] = location
    preference = return_preference(request)
    if preference is ReturnPreference.MINIMAL:
        return fhir_response(None, fmt, status, headers)
    if preference is ReturnPreference.OPERATION_OUTCOME:
        verb = "created" if result.created else "updated"
        message = f"{version.resource_type}/{version.id} {verb} as version {version.version}"
        return fhir_response(information(message), fmt, status, headers)
    return fhir_response(version.body, fmt, status, headers)


def _subsetted(request: Request, version: StoredVersion) -> bytes | dict[str, Any] | None:
    """The stored bytes, or the part ``_summary``/``_elements`` ask for (marked SUBSETTED)."""
    summary = parse_summary(query_value(request, "_summary"))
    elements = parse_elements(query_value(request, "_elements"))
    if version.body is None or (summary in (None, Summary.FALSE) and elements is None):
        return version.body
    return subset(orjson.loads(version.body), summary, elements)


async def _written(
    request: Request,
    settings: AppSettings,
    write: Callable[[dict[str, Any]], Awaitable[WriteResult]],
) -> Response:
    """Read the request's resource, ``write`` it, and answer as http.html says."""
    response_format(request)  # a 406 must come before anything is written
    require_body_type(request)
    resource = parse_json_object(await read_body(request, settings.max_body_bytes))
    return _write_response(request, await write(resource))


@serves(Interaction.CREATE)
async def create(
    resource_type: str, request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    held_type(resource_type, Interaction.CREATE)
    if_none_exist = request.headers.get("if-none-exist")
    if if_none_exist is not None:
        refuse_conditional(access, resource_type, "c")

    async def write(resource: dict[str, Any]) -> WriteResult:
        check_write(access, resource_type, "c", None, resource)
        return await service.create(resource_type, resource, if_none_exist=if_none_exist)

    return await _written(request, settings, write)


@serves(Interaction.UPDATE)
async def conditional_update(
    resource_type: str, request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    held_type(resource_type, Interaction.UPDATE)
    refuse_conditional(access, resource_type, "u")
    criteria, if_match = query_criteria(request), _if_match(request)
    return await _written(
        request,
        settings,
        lambda resource: service.conditional_update(
            resource_type, criteria, resource, if_match=if_match
        ),
    )


@serves(Interaction.DELETE)
async def conditional_delete(
    resource_type: str, request: Request, service: Service, access: Access
) -> Response:
    held_type(resource_type, Interaction.DELETE)
    refuse_conditional(access, resource_type, "d")
    marker = await service.conditional_delete(resource_type, query_criteria(request))
    headers = {"ETag": f'W/"{marker.version}"'} if marker else None
    return Response(status_code=204, headers=headers)


@serves(Interaction.HISTORY_TYPE)
async def type_history(
    resource_type: str, request: Request, service: Service, access: Access
) -> Response:
    held_type(resource_type, Interaction.HISTORY_TYPE)
    access.require(resource_type, "s")
    return await history_response(request, service, access, resource_type, None)


@serves(Interaction.READ)
async def read(
    resource_type: str, resource_id: str, request: Request, service: Service, access: Access
) -> Response:
    held_instance(request, resource_type, resource_id, Interaction.READ)
    fmt = response_format(request)
    version = await read_visible(access, service, resource_type, resource_id, "r")
    audit_returned((version,))
    return fhir_response(_subsetted(request, version), fmt, 200, version_headers(version))


@serves(Interaction.VREAD)
async def vread(
    resource_type: str,
    resource_id: str,
    version_id: str,
    request: Request,
    service: Service,
    access: Access,
) -> Response:
    held_instance(request, resource_type, resource_id, Interaction.VREAD)
    require_id(request, version_id, "vid")
    fmt = response_format(request)
    try:
        version = await service.vread(resource_type, resource_id, version_id)
    except Gone as gone:  # a deletion: visible when what it deleted was
        raise await hide_unseen(access, service, resource_type, resource_id, "r", gone) from None
    if access.restrictions(resource_type, "r") and not await visible(access, service, version, "r"):
        raise hidden(resource_type, resource_id)
    audit_returned((version,))
    return fhir_response(_subsetted(request, version), fmt, 200, version_headers(version))


@serves(Interaction.UPDATE)
async def update(
    resource_type: str,
    resource_id: str,
    request: Request,
    service: Service,
    settings: AppSettings,
    access: Access,
) -> Response:
    held_instance(request, resource_type, resource_id, Interaction.UPDATE)
    if_match = _if_match(request)

    async def write(resource: dict[str, Any]) -> WriteResult:
        current = await _current_for(access, service, resource_type, resource_id, "u")
        check_write(access, resource_type, "u", current, resource)
        return await service.update(resource_type, resource_id, resource, if_match=if_match)

    return await _written(request, settings, write)


@serves(Interaction.PATCH)
async def patch(
    resource_type: str,
    resource_id: str,
    request: Request,
    service: Service,
    settings: AppSettings,
    access: Access,
) -> Response:
    held_instance(request, resource_type, resource_id, Interaction.PATCH)
    response_format(request)
    require_body_type(request, {JSON_PATCH})
    operations = parse_json(await read_body(request, settings.max_body_bytes))
    current = await _current_for(access, service, resource_type, resource_id, "u")
    if current is not None and current.body is not None and isinstance(operations, list):
        patched = ResourceService._apply_patch(current.body, operations)
        check_write(access, resource_type, "u", current, patched)
    result = await service.patch(
        resource_type, resource_id, operations, if_match=_if_match(request)
    )
    return _write_response(request, result)


@serves(Interaction.DELETE)
async def delete(
    resource_type: str, resource_id: str, request: Request, service: Service, access: Access
) -> Response:
    held_instance(request, resource_type, resource_id, Interaction.DELETE)
    current = await _current_for(access, service, resource_type, resource_id, "d")
    check_write(access, resource_type, "d", current, None)
    cascade = request.query_params.get("_cascade")
    if cascade is not None:
        return await cascade_delete(request, service, access, resource_type, resource_id, cascade)
    marker = await service.delete(resource_type, resource_id)
    headers = {"ETag": f'W/"{marker.version}"'} if marker else None
    return Response(status_code=204, headers=headers)


@serves(Interaction.HISTORY_INSTANCE)
async def instance_history(
    resource_type: str, resource_id: str, request: Request, service: Service, access: Access
) -> Response:
    held_instance(request, resource_type, resource_id, Interaction.HISTORY_INSTANCE)
    access.require(resource_type, "r")
    return await history_response(request, service, access, resource_type, resource_id)


async def _current_for(
    access: Access, service: Service, resource_type: str, resource_id: str, letter: str
) -> StoredVersion | None:
    """The current version a confined write must check (None when unconfined or new)."""
    if not access.restrictions(resource_type, letter):
        return None
    return await service.store.read(resource_type, resource_id)


async def history_response(
    request: Request,
    service: Service,
    access: Access,
    resource_type: str | None,
    resource_id: str | None,
) -> Response:
    """A history Bundle of the versions the token may see (the instance's: letter r)."""
    fmt = response_format(request)
    query = history_query(request, resource_type, resource_id)
    page = await service.history(query)
    letter = "s" if resource_id is None else "r"
    versions = await visible_history(access, service, page.versions, letter)
    audit_returned(versions)
    base = public_base(request)
    if resource_id is not None and not versions and query.cursor is None:
        if page.versions:
            raise hidden(resource_type or "", resource_id)
        await service.read(resource_type or "", resource_id)  # 404 for an unknown resource
    links = {"self": public_request_url(request)}
    if page.next_cursor:
        links["next"] = next_page_url(request, page.next_cursor)
    entries = [history_entry(base, v) for v in versions]
    return fhir_response(bundle("history", entries, links), fmt)


ROUTES = (
    Row("/{resource_type}", ("POST",), create, fast=True),
    Row("/{resource_type}", ("PUT",), conditional_update),
    Row("/{resource_type}", ("DELETE",), conditional_delete),
    Row("/{resource_type}/_history", ("GET",), type_history),
    Row("/{resource_type}/{resource_id:id}", ("GET",), read, fast=True),
    Row("/{resource_type}/{resource_id:id}/_history/{version_id:id}", ("GET",), vread, fast=True),
    Row("/{resource_type}/{resource_id:id}", ("PUT",), update, fast=True),
    Row("/{resource_type}/{resource_id:id}", ("PATCH",), patch),
    Row("/{resource_type}/{resource_id:id}", ("DELETE",), delete),
    Row("/{resource_type}/{resource_id:id}/_history", ("GET",), instance_history),
)
