"""What a route needs from the running app, declared once: every FastAPI dependency.

The app's parts (set on ``app.state`` by server.app) are read here and nowhere else;
a route takes them as annotated parameters (``service: Service``). The fast Starlette
routes (server.api.route_table) resolve the same dependencies by awaiting them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from server.audit import AuditTrail
from server.auth import access as access_rules
from server.auth.gate import AccessGate
from server.auth.token_endpoint import TokenService
from server.bulk.manifest import FILE_SEGMENT, STATUS_SEGMENT
from server.bulk.runner import Exporter
from server.errors import MethodNotAllowed, NotFound
from server.hl7v2.ingest.service import Ingestor
from server.hl7v2.query.service import RecordQueries
from server.hl7v2.senders import SenderAllowlist
from server.interactions import ResourceService
from server.registry import SYSTEM_OPERATIONS, Interaction, ResourceType, get_type
from server.reminders import Reminders
from server.scrub import Scrubber
from server.search.engine import SearchEngine
from server.settings import Settings


# Dependencies are coroutines: FastAPI runs a plain ``def`` dependency on a worker
# thread, two thread hops per request that cost more than the read itself.
async def get_service(request: Request) -> ResourceService:
    service: ResourceService = request.app.state.service
    return service


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> SearchEngine:
    engine: SearchEngine = request.app.state.search
    return engine


async def get_ingestor(request: Request) -> Ingestor:
    ingestor: Ingestor = request.app.state.hl7.ingestor
    return ingestor


async def get_record_queries(request: Request) -> RecordQueries:
    queries: RecordQueries = request.app.state.hl7.queries
    return queries


async def get_hl7_senders(request: Request) -> SenderAllowlist | None:
    senders: SenderAllowlist | None = request.app.state.hl7.senders
    return senders


async def get_audit_trail(request: Request) -> AuditTrail:
    trail: AuditTrail = request.app.state.runtime.audit
    return trail


async def get_token_service(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.runtime.token_service
    return tokens


async def get_exporter(request: Request) -> Exporter:
    exporter: Exporter = request.app.state.bulk
    return exporter


async def get_reminders(request: Request) -> Reminders | None:
    reminders: Reminders | None = request.app.state.runtime.reminders
    return reminders


async def get_scrubber(request: Request) -> Scrubber:
    """The runtime's Scrubber: ``$scrub`` requests at the same time share their reads."""
    scrubber: Scrubber | None = request.app.state.runtime.scrubber
    if scrubber is None:  # a Runtime built without one
        service: ResourceService = request.app.state.service
        scrubber = Scrubber(service.store)
    return scrubber


async def get_access(request: Request) -> access_rules.Access:
    """The request's access (401 without a usable token), kept on ``request.state.access``."""
    gate: AccessGate = request.app.state.runtime.access
    access = await gate.access(request.headers.get("authorization"))
    request.state.access = access
    return access


Service = Annotated[ResourceService, Depends(get_service)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Engine = Annotated[SearchEngine, Depends(get_engine)]
Hl7Ingestor = Annotated[Ingestor, Depends(get_ingestor)]
Hl7Queries = Annotated[RecordQueries, Depends(get_record_queries)]
# Who may send HL7v2 (MLLP and $hl7v2-ingest); None when no allowlist is configured.
Hl7Senders = Annotated[SenderAllowlist | None, Depends(get_hl7_senders)]
Audit = Annotated[AuditTrail, Depends(get_audit_trail)]
TokenServer = Annotated[TokenService, Depends(get_token_service)]
Exports = Annotated[Exporter, Depends(get_exporter)]
# Appointment reminders; None when no --reminder-sender is configured.
Reminding = Annotated[Reminders | None, Depends(get_reminders)]
Scrubbing = Annotated[Scrubber, Depends(get_scrubber)]
# What the request's token allows (server.auth.access); every route but /metadata takes it.
Access = Annotated[access_rules.Access, Depends(get_access)]


# System-level endpoints that a type-level route pattern also matches: a wrong verb on
# them is a 405 (the endpoint exists), not a 404 for an unknown resource type.
SYSTEM_ENDPOINTS = frozenset(
    {"metadata", "_history", STATUS_SEGMENT, FILE_SEGMENT}
    | {f"${op.name}" for op in SYSTEM_OPERATIONS}
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
