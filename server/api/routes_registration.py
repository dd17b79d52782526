"""``GET /fhir/Patient/{id}/$registration-check`` and ``GET /fhir/Patient/$registration-worklist``.

Included before the resource and search routes, which would read the paths as a
compartment search and a read of an id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.dependencies import Access, Engine, Service, held_type
from server.api.negotiation import response_format
from server.api.path_ids import held_instance
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.auth.access import Access as AccessRules
from server.auth.operations import require_operation
from server.auth.visibility import read_visible
from server.errors import InvalidRequest
from server.registration import check, gather, outcome, worklist
from server.registry import Interaction
from server.search.query import Clause


def _restrictions(access: AccessRules, types: Sequence[str]) -> dict[str, Sequence[Clause]]:
    """The clauses the token confines each type's search to (403 when not granted)."""
    return {t: access.restrictions(t, "s") for t in types}


@serves(Interaction.READ, "Patient", "registration-check")
async def registration_check(
    resource_id: str, request: Request, service: Service, engine: Engine, access: Access
) -> Response:
    """What the patient's registration lacks or has wrong, as an OperationOutcome."""
    held_instance(request, "Patient", resource_id, Interaction.READ)
    require_operation(access, "registration-check")
    fmt = response_format(request)
    current = await read_visible(access, service, "Patient", resource_id, "r")
    patient = orjson.loads(current.body or b"{}")
    restrict = _restrictions(access, ("Coverage", "Consent"))
    [facts] = await gather(service.store, engine, [patient], restrict)
    return fhir_response(outcome(check(facts)), fmt)


def _day(request: Request) -> str:
    value = request.query_params.get("date", "")
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else ""
    except ValueError:
        return ""


@serves(Interaction.SEARCH_TYPE, "Patient", "registration-worklist")
async def registration_worklist(request: Request, engine: Engine, access: Access) -> Response:
    """The patients with appointments on ``date`` whose registration check fails."""
    held_type("Patient", Interaction.SEARCH_TYPE)
    require_operation(access, "registration-worklist")
    fmt = response_format(request)
    day = _day(request)
    if not day:
        raise InvalidRequest("date is required, as YYYY-MM-DD", expression="date")
    restrict = _restrictions(access, ("Appointment", "Coverage", "Consent"))
    return fhir_response(await worklist(engine.store, engine, day, restrict), fmt)


ROUTES = (
    Row("/Patient/$registration-worklist", ("GET",), registration_worklist),
    Row("/Patient/{resource_id:id}/$registration-check", ("GET",), registration_check),
)
