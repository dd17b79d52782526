"""Which methods a path takes: the route table, narrowed by the registry (a 405's ``Allow``).

Each route handler that serves a FHIR interaction is marked with it (``@serves``); a
path takes a route's methods when the route's pattern matches it and the registry
offers that interaction (and operation) on the path's resource type. Unmarked routes
(metadata, system history, the HL7v2 operations) take their methods as declared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import Match

from server.api.convertors import IdSegment
from server.errors import MethodNotAllowed
from server.registry import Interaction, get_type

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

# The order methods are listed in; one not named here goes last.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True, slots=True)
class Serves:
    """The interaction a route serves, on its path's type or on a type the path fixes."""

    interaction: Interaction
    resource_type: str | None = None
    operation: str | None = None  # without the $

    def offered(self, path_params: Mapping[str, Any]) -> bool:
        held = get_type(self.resource_type or str(path_params.get("resource_type", "")))
        if held is None or not held.supports(self.interaction):
            return False
        return self.operation is None or any(op.name == self.operation for op in held.operations)


_SERVES: dict[Callable[..., Any], Serves] = {}
_FALLBACKS: set[Callable[..., Any]] = set()


def serves(
    interaction: Interaction, resource_type: str | None = None, operation: str | None = None
) -> Callable[[Endpoint], Endpoint]:
    """Mark a route handler with the interaction it serves (and the operation it is)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        _SERVES[endpoint] = Serves(interaction, resource_type, operation)
        return endpoint

    return mark


def serves_as(handler: Callable[..., Any]) -> Callable[[Endpoint], Endpoint]:
    """Mark a route handler that serves what ``handler`` serves (a fast route's)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        if handler in _SERVES:
            _SERVES[endpoint] = _SERVES[handler]
        return endpoint

    return mark


def fallback(endpoint: Endpoint) -> Endpoint:
    """Mark a handler that answers paths no other route takes: it adds no method."""
    _FALLBACKS.add(endpoint)
    return endpoint


def _is_path_word(value: str) -> bool:
    # An id has neither character, so "_history", "_search" and "$op" in an id
    # position are the path words of other routes, not malformed ids.
    return value[:1] in ("_", "$")


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path takes, in the conventional order."""
    scope = {**request.scope, "path_params": {}}
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        methods: set[str] | None = route.methods
        if not methods or route.endpoint in _FALLBACKS:
            continue
        match, child_scope = route.matches(scope)
        if match is Match.NONE:
            continue
        params: dict[str, Any] = child_scope["path_params"]
        convertors: dict[str, Any] = route.param_convertors
        if any(
            isinstance(convertors.get(name), IdSegment) and _is_path_word(str(value))
            for name, value in params.items()
        ):
            continue
        need = _SERVES.get(route.endpoint) if route.endpoint is not None else None
        if need is None or need.offered(params):
            allowed |= methods
    return sorted(allowed, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))


def method_not_allowed(request: Request, allowed: list[str]) -> MethodNotAllowed:
    """The 405 for the request's method on its path, with ``Allow``."""
    listed = ", ".join(allowed)
    return MethodNotAllowed(
        f"{request.method} is not allowed on {request.url.path} (it takes {listed or 'none'})",
        headers={"Allow": listed},
    )
