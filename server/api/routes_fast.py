"""The hot interactions (read, vread, create, update) as plain Starlette routes, first.

FastAPI's per-route machinery (matching a long route list in order, solving
dependencies, validating parameters) costs more than serving the stored bytes:
measured on the same store, 2,068 reads/s through the APIRoute against 4,435 through
these routes (bench/rest.py; the bare-endpoint ceiling was 4,649). These routes match
only well-formed type names and FHIR ids (the ``id`` datatype, server.fhir.ids),
so ``_history``, ``_search`` and ``$operation`` paths fall through to the FastAPI routes,
which stay the documented ones and answer everything else. The handlers are the same.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api import convertors as _convertors  # noqa: F401  (registers fhirtype, fhirid)
from server.api.allow import serves
from server.api.dependencies import get_service, get_settings
from server.api.routes_resources import create, read, update, vread
from server.registry import Interaction


@serves(Interaction.READ)
async def _read(request: Request) -> Response:
    params = request.path_params
    service = await get_service(request)
    return await read(params["resource_type"], params["resource_id"], request, service)


@serves(Interaction.VREAD)
async def _vread(request: Request) -> Response:
    params = request.path_params
    service = await get_service(request)
    return await vread(
        params["resource_type"], params["resource_id"], params["version_id"], request, service
    )


@serves(Interaction.CREATE)
async def _create(request: Request) -> Response:
    service, settings = await get_service(request), await get_settings(request)
    return await create(request.path_params["resource_type"], request, service, settings)


@serves(Interaction.UPDATE)
async def _update(request: Request) -> Response:
    params = request.path_params
    service, settings = await get_service(request), await get_settings(request)
    return await update(params["resource_type"], params["resource_id"], request, service, settings)


FAST_ROUTES: tuple[Route, ...] = (
    Route("/fhir/{resource_type:fhirtype}", _create, methods=["POST"]),
    Route("/fhir/{resource_type:fhirtype}/{resource_id:fhirid}", _update, methods=["PUT"]),
    Route("/fhir/{resource_type:fhirtype}/{resource_id:fhirid}", _read, methods=["GET"]),
    Route(
        "/fhir/{resource_type:fhirtype}/{resource_id:fhirid}/_history/{version_id:fhirid}",
        _vread,
        methods=["GET"],
    ),
)
