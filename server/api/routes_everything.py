"""``GET /fhir/Patient/{id}/$everything`` and ``GET /fhir/Patient/$everything``.

A searchset Bundle of the record (server.everything), paged by ``next`` links to its
end. Included before the compartment search route, which would read
``Patient/1/$everything`` as a search of a type named ``$everything``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.criteria import query_criteria
from server.api.dependencies import Access, Engine, Service, held_type
from server.api.negotiation import response_format
from server.api.path_ids import held_instance
from server.api.prefer import lenient_handling
from server.api.public_urls import public_base
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.audit.draft import audit_returned
from server.auth.visibility import read_visible
from server.errors import InvalidRequest
from server.everything.pages import EverythingPage, patients_page, record_page
from server.everything.params import EverythingParams, everything_params
from server.everything.sources import Source, record_sources, require_named
from server.fhir.bundles import bundle, embedded
from server.registry import Interaction
from server.storage.port import InvalidCursor


@serves(Interaction.READ, "Patient", "everything")
async def patient_everything(
    resource_id: str, request: Request, service: Service, engine: Engine, access: Access
) -> Response:
    held_instance(request, "Patient", resource_id, Interaction.READ)
    fmt = response_format(request)
    params = everything_params(query_criteria(request), lenient=lenient_handling(request))
    await read_visible(access, service, "Patient", resource_id, "r")
    sources = record_sources(resource_id, params, access)
    try:
        page = await record_page(engine.store, sources, params.cursor, params.count)
    except InvalidCursor as exc:
        raise InvalidRequest(str(exc), expression="_page") from None
    path = f"Patient/{resource_id}/$everything"
    return _answer(request, page, params, path, fmt)


@serves(Interaction.SEARCH_TYPE, "Patient", "everything")
async def patients_everything(request: Request, engine: Engine, access: Access) -> Response:
    held_type("Patient", Interaction.SEARCH_TYPE)
    fmt = response_format(request)
    params = everything_params(query_criteria(request), lenient=lenient_handling(request))
    patients = access.restrictions("Patient", "s")

    require_named(access, params)

    def sources_of(patient_id: str) -> list[Source]:
        return record_sources(patient_id, params, access)

    try:
        page = await patients_page(engine.store, patients, sources_of, params.cursor, params.count)
    except InvalidCursor as exc:
        raise InvalidRequest(str(exc), expression="_page") from None
    return _answer(request, page, params, "Patient/$everything", fmt)


def _answer(
    request: Request, page: EverythingPage, params: EverythingParams, path: str, fmt: Any
) -> Response:
    audit_returned(page.versions)
    base = public_base(request)
    self_url = f"{base}/{path}?{urlencode(params.applied)}"
    links = {"self": self_url + (f"&_page={params.cursor}" if params.cursor else "")}
    if page.next_cursor is not None:
        links["next"] = f"{self_url}&_page={page.next_cursor}"
    whole = params.cursor is None and page.next_cursor is None
    entries = [
        {
            "fullUrl": f"{base}/{v.resource_type}/{v.id}",
            "resource": embedded(v.body or b"{}"),
            "search": {"mode": "match"},
        }
        for v in page.versions
    ]
    return fhir_response(bundle("searchset", entries, links, len(entries) if whole else None), fmt)


ROUTES = (
    Row("/Patient/{resource_id:id}/$everything", ("GET",), patient_everything),
    Row("/Patient/$everything", ("GET",), patients_everything),
)
