"""``POST /fhir/Appointment/$send-reminders`` (server.reminders).

``within`` (default 48 hours) in the query (``?within=24h``) or in a Parameters body
(valueDuration, valueString, or valueInteger hours). Included before the resource
routes: the path would otherwise be a create of a type named ``Appointment``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Reminding, held_type
from server.api.negotiation import require_body_type, response_format
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.auth.operations import require_operation
from server.errors import Conflict, InvalidRequest
from server.fhir.validation import parse_json_object
from server.registry import Interaction
from server.reminders import DEFAULT_WITHIN_S, within_parameter, within_text
from server.settings import Settings


async def _within(request: Request, settings: Settings) -> float:
    """The window's length in seconds, from the query or the Parameters body."""
    if "within" in request.query_params:
        return within_text(request.query_params["within"])
    if request.headers.get("content-length", "0") == "0" and (
        "transfer-encoding" not in request.headers
    ):
        return DEFAULT_WITHIN_S
    require_body_type(request)
    body = parse_json_object(await read_body(request, settings.max_body_bytes))
    if body.get("resourceType") != "Parameters":
        raise InvalidRequest("The body must be a Parameters resource", expression="resourceType")
    for parameter in body.get("parameter") or ():
        if isinstance(parameter, dict) and parameter.get("name") == "within":
            return within_parameter(parameter)
    return DEFAULT_WITHIN_S


@serves(Interaction.READ, "Appointment", "send-reminders")
async def send_reminders(
    request: Request, settings: AppSettings, reminders: Reminding, access: Access
) -> Response:
    """Create and send the reminders of the booked Appointments in the window."""
    held_type("Appointment", Interaction.READ)
    require_operation(access, "send-reminders")
    fmt = response_format(request)
    within = await _within(request, settings)
    if reminders is None:
        raise Conflict(
            "No reminder sender is configured: start the server with --reminder-sender "
            "file:DIR, webhook:URL or smtp://HOST:PORT"
        )
    tally = await reminders.run(within)
    return fhir_response(tally.parameters(), fmt)


ROUTES = (Row("/Appointment/$send-reminders", ("POST",), send_reminders),)
