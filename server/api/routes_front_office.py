"""Front-office operations: ``Claim/$scrub`` and ``Claim/$scrub-worklist``.

Included before the resource and search routes: ``POST /fhir/Claim/$scrub`` would
otherwise be a create, ``GET /fhir/Claim/$scrub-worklist`` a read of an id.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.criteria import query_criteria
from server.api.dependencies import Access, AppSettings, Engine, Scrubbing, Service, held_type
from server.api.negotiation import require_body_type, response_format
from server.api.path_ids import held_instance
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.api.routes_search import _respond as respond_search
from server.auth.operations import require_operation
from server.auth.visibility import read_visible
from server.fhir.validation import parse_json_object, validate_resource
from server.registry import Interaction
from server.scrub.on_write import strip_scrub
from server.scrub.scrubber import outcome


@serves(Interaction.READ, "Claim", "scrub")
async def scrub_posted(
    request: Request, scrubber: Scrubbing, settings: AppSettings, access: Access
) -> Response:
    held_type("Claim", Interaction.READ)
    require_operation(access, "scrub")
    fmt = response_format(request)
    require_body_type(request)
    claim = parse_json_object(await read_body(request, settings.max_body_bytes))
    validate_resource(claim, "Claim")
    strip_scrub(claim)
    claim_id = claim.get("id")
    edits = await scrubber.scrub(claim, claim_id if isinstance(claim_id, str) else None)
    return fhir_response(outcome(edits), fmt)


@serves(Interaction.READ, "Claim", "scrub")
async def scrub_stored(
    resource_id: str, request: Request, service: Service, scrubber: Scrubbing, access: Access
) -> Response:
    held_instance(request, "Claim", resource_id, Interaction.READ)
    require_operation(access, "scrub")
    fmt = response_format(request)
    current = await read_visible(access, service, "Claim", resource_id, "r")
    claim = orjson.loads(current.body or b"{}")
    strip_scrub(claim)
    edits = await scrubber.scrub(claim, resource_id)
    return fhir_response(outcome(edits), fmt)


@serves(Interaction.SEARCH_TYPE, "Claim", "scrub-worklist")
async def scrub_worklist(request: Request, engine: Engine, access: Access) -> Response:
    """The claims the last scrub found a payer would deny: ``Claim?scrub-status=denied``."""
    require_operation(access, "scrub-worklist")
    params = [p for p in query_criteria(request) if p[0].startswith("_")]
    params.append(("scrub-status", "denied"))
    return await respond_search(request, engine, access, "Claim", params, "Claim")


ROUTES = (
    Row("/Claim/$scrub", ("POST",), scrub_posted),
    Row("/Claim/$scrub-worklist", ("GET",), scrub_worklist),
    Row("/Claim/{resource_id:id}/$scrub", ("POST",), scrub_stored),
)
