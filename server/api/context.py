"""What a route needs from the running app, declared once (FastAPI dependencies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from server.api.public_urls import public_base
from server.errors import MethodNotAllowed, NotFound
from server.hl7v2.ingest.bundles import CAPABILITY_OPERATIONS
from server.interactions import ResourceService
from server.registry import Interaction, ResourceType, get_type
from server.settings import Settings


# Dependencies are coroutines: FastAPI runs a plain ``def`` dependency on a worker
# thread, two thread hops per request that cost more than the read itself.
async def get_service(request: Request) -> ResourceService:
    service: ResourceService = request.app.state.service
    return service


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Service = Annotated[ResourceService, Depends(get_service)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def base_url(request: Request) -> str:
    """The FHIR base URL as clients see it (``--base-url``, or an allowed Host)."""
    return public_base(request)


# System-level endpoints that a type-level route pattern also matches: a wrong verb on
# them is a 405 (the endpoint exists), not a 404 for an unknown resource type.
SYSTEM_ENDPOINTS = frozenset(
    {"metadata", "_history"} | {f"${op['name']}" for op in CAPABILITY_OPERATIONS}
)


def held_type(name: str, interaction: Interaction) -> ResourceType:
    """Return the held type, or 404 for an unknown type and 405 for an unoffered interaction."""
    resource_type = get_type(name)
    if resource_type is None and name in SYSTEM_ENDPOINTS:
        raise MethodNotAllowed(f"{interaction.value} is not allowed on /{name}")
    if resource_type is None:
        raise NotFound(f"Resource type {name!r} is not supported by this server")
    if not resource_type.supports(interaction):
        raise MethodNotAllowed(f"{interaction.value} is not allowed on {name}")
    return resource_type
