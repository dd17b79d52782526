"""Scheduling operations: ``Schedule/{id}/$generate-slots`` and the Appointment operations.

Included before the resource and search routes: ``POST /fhir/Appointment/$find`` would
otherwise be a create, ``GET /fhir/Appointment/$no-show-worklist`` a read of an id.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Service
from server.api.negotiation import require_body_type, response_format
from server.api.path_ids import held_instance
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.auth.operations import require_operation
from server.auth.visibility import read_visible
from server.fhir.validation import parse_json_object
from server.registry import Interaction
from server.scheduling.generate import generate_slots
from server.scheduling.weekly import read_request


@serves(Interaction.CREATE, "Schedule", "generate-slots")
async def schedule_generate_slots(
    resource_id: str, request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    """Make the Schedule's free Slots from weekly hours (see server.scheduling.weekly)."""
    held_instance(request, "Schedule", resource_id, Interaction.READ)
    require_operation(access, "generate-slots")
    fmt = response_format(request)
    require_body_type(request)
    asked = read_request(parse_json_object(await read_body(request, settings.max_body_bytes)))
    current = await read_visible(access, service, "Schedule", resource_id, "r")
    schedule = orjson.loads(current.body or b"{}")
    generated = await generate_slots(service, resource_id, schedule, asked)
    return fhir_response(generated.parameters(), fmt)


ROUTES = (Row("/Schedule/{resource_id:id}/$generate-slots", ("POST",), schedule_generate_slots),)
