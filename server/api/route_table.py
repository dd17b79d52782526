"""The route table: each path once, with its methods, its handler, and whether it is fast.

A table generates both kinds of route. Its FastAPI routes are the documented ones
(OpenAPI) and answer every request the fast routes leave. Its fast rows also become
plain Starlette routes, registered before every FastAPI route: FastAPI's per-route
machinery (matching a long route list in order, solving dependencies, validating
parameters) costs more than serving the stored bytes of a read (bench/rest.py
compares the two). A fast route's pattern is the row's, narrowed to well-formed type
names and FHIR ids (the ``id`` datatype, server.fhir.ids), so ``_history``,
``_search`` and ``$operation`` paths and malformed ids fall through to the FastAPI
routes; its handler is the row's, given the same dependencies (server.api.dependencies),
awaited directly.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import APIRouter
from fastapi.params import Depends
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api import convertors as _convertors  # noqa: F401  (registers the segment types)
from server.api.allow import serves_as
from server.api.public_urls import FHIR_PREFIX

Handler = Callable[..., Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Row:
    """One route: a path under ``prefix`` (id segments typed ``{name:id}``) and its handler."""

    path: str
    methods: tuple[str, ...]
    handler: Handler
    fast: bool = False  # also served by a plain Starlette route, ahead of FastAPI's
    documented: bool = True  # listed in OpenAPI
    prefix: str = FHIR_PREFIX  # "" for the few routes outside the FHIR API (/auth, /.well-known)


def api_router(table: Iterable[Row]) -> APIRouter:
    """The FastAPI routes of the table, in its order."""
    router = APIRouter()
    for row in table:
        router.add_api_route(
            row.prefix + row.path,
            row.handler,
            methods=list(row.methods),
            include_in_schema=row.documented,
        )
    return router


def fast_routes(table: Iterable[Row]) -> tuple[Route, ...]:
    """The plain Starlette routes of the table's fast rows."""
    return tuple(
        Route(
            row.prefix + _fast_path(row.path),
            _fast_endpoint(row.handler),
            methods=row.methods,
            name=f"{row.handler.__name__}_fast",
        )
        for row in table
        if row.fast
    )


def _fast_path(path: str) -> str:
    path = re.sub(r"\{resource_type\}", "{resource_type:fhirtype}", path)
    return re.sub(r"\{(\w+):id\}", r"{\1:fhirid}", path)


def _fast_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` called with the request, its path parameters and awaited dependencies."""
    hints = get_type_hints(handler, include_extras=True)
    requests: list[str] = []
    dependencies: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
    path_params: list[str] = []
    for name in inspect.signature(handler).parameters:
        hint = hints[name]
        if hint is Request:
            requests.append(name)
        elif get_origin(hint) is Annotated:
            (depends,) = (m for m in get_args(hint)[1:] if isinstance(m, Depends))
            dependencies.append((name, depends.dependency))  # type: ignore[arg-type]
        else:
            path_params.append(name)

    async def endpoint(request: Request) -> Response:
        arguments: dict[str, Any] = {name: request.path_params[name] for name in path_params}
        arguments.update((name, request) for name in requests)
        for name, dependency in dependencies:
            arguments[name] = await dependency(request)
        return await handler(**arguments)

    endpoint.__name__ = handler.__name__  # the interaction, as metrics and logs name it
    return serves_as(handler)(endpoint)
