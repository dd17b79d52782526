"""Search routes: type search by GET and POST ``_search``, and Patient compartment search."""

from __future__ import annotations

from functools import partial
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.criteria import criteria, query_criteria
from server.api.dependencies import Access, AppSettings, Engine, held_type
from server.api.negotiation import response_format
from server.api.path_ids import require_id
from server.api.prefer import lenient_handling
from server.api.public_urls import public_base
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.audit.draft import audit_returned
from server.auth.access import Access as AccessRules
from server.errors import NotFound, UnsupportedMediaType
from server.registry import Interaction
from server.search.compartments import compartment_clause, compartment_params
from server.search.engine import SearchEngine, search_bundle
from server.search.query import Clause

_FORM = "application/x-www-form-urlencoded"


async def _respond(
    request: Request,
    engine: SearchEngine,
    access: AccessRules,
    resource_type: str,
    params: list[tuple[str, str]],
    path: str,
    restrict: tuple[Clause, ...] = (),
) -> Response:
    """The searchset, confined to what the token may search (joins and includes too)."""
    held_type(resource_type, Interaction.SEARCH_TYPE)
    confined = access.restrictions(resource_type, "s")
    fmt = response_format(request)
    parsed = engine.parse(resource_type, params, lenient=lenient_handling(request))
    access.confine_joins(parsed)
    admit = None if access.claims is None else partial(access.permits, letter="r")
    result = await engine.run(parsed, (*restrict, *confined), admit)
    audit_returned((*result.page.versions, *result.included))
    return fhir_response(search_bundle(result, public_base(request), path), fmt)


@serves(Interaction.SEARCH_TYPE)
async def search_type(
    resource_type: str, request: Request, engine: Engine, access: Access
) -> Response:
    params = query_criteria(request)
    return await _respond(request, engine, access, resource_type, params, resource_type)


@serves(Interaction.SEARCH_TYPE)
async def search_post(
    resource_type: str, request: Request, engine: Engine, settings: AppSettings, access: Access
) -> Response:
    content_type = request.headers.get("content-type", _FORM).split(";")[0].strip().lower()
    if content_type != _FORM:
        raise UnsupportedMediaType(f"POST _search takes {_FORM}, not {content_type}")
    has_body = (
        request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    )
    raw = await read_body(request, settings.max_body_bytes) if has_body else b""
    body = raw.decode("utf-8", errors="replace")
    params = query_criteria(request) + criteria(parse_qsl(body, keep_blank_values=True))
    return await _respond(request, engine, access, resource_type, params, resource_type)


@serves(Interaction.SEARCH_TYPE)
async def search_compartment(
    compartment: str,
    compartment_id: str,
    resource_type: str,
    request: Request,
    engine: Engine,
    access: Access,
) -> Response:
    members = compartment_params(compartment)
    if resource_type not in members:
        raise NotFound(f"{resource_type} is not in the {compartment} compartment")
    require_id(request, compartment_id)
    restrict = (compartment_clause(compartment, compartment_id, resource_type),)
    path = f"{compartment}/{compartment_id}/{resource_type}"
    params = query_criteria(request)
    return await _respond(request, engine, access, resource_type, params, path, restrict)


ROUTES = (
    Row("/{resource_type}", ("GET",), search_type),
    Row("/{resource_type}/_search", ("POST",), search_post),
    Row("/{compartment}/{compartment_id:id}/{resource_type}", ("GET",), search_compartment),
)
