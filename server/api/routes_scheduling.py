"""Scheduling operations: ``Schedule/{id}/$generate-slots`` and the Appointment operations.

Included before the resource and search routes: ``POST /fhir/Appointment/$find`` would
otherwise be a create, ``GET /fhir/Appointment/$no-show-worklist`` a read of an id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.criteria import query_criteria
from server.api.dependencies import Access, AppSettings, Engine, Service
from server.api.negotiation import require_body_type, response_format
from server.api.path_ids import held_instance
from server.api.public_urls import public_base
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.auth.operations import require_operation
from server.auth.visibility import check_write, read_visible
from server.errors import FhirError, operation_outcome
from server.fhir.validation import parse_json_object
from server.registry import Interaction
from server.scheduling.booking import BookingRule
from server.scheduling.find import Finder, read_find
from server.scheduling.generate import generate_slots
from server.scheduling.hold import SlotHolds, appointment_parameter
from server.scheduling.no_show import no_shows, worklist_count
from server.scheduling.parameters import parameters_of
from server.scheduling.slot_link import SlotLink
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


def booking_rule(service: Service) -> tuple[BookingRule, SlotLink]:
    """The Appointment booking rule the service runs, and its Slot link (with the clock)."""
    rule = service.hold_rules.get("Appointment")
    if not isinstance(rule, BookingRule) or rule.slots is None:
        raise FhirError("This server does not link Appointments to Slots")
    return rule, rule.slots


async def _find_params(request: Request, settings: AppSettings) -> list[tuple[str, str]]:
    params = [(n, v) for n, v in request.query_params.multi_items()]
    if request.method == "POST":
        require_body_type(request)
        body = parse_json_object(await read_body(request, settings.max_body_bytes))
        params.extend((p.name, _text(p.body)) for p in parameters_of(body))
    return params


def _text(parameter: dict[str, Any]) -> str:
    """A Parameters value as the query string would give it."""
    for key, value in parameter.items():
        if key == "valueReference" and isinstance(value, dict):
            return str(value.get("reference", ""))
        if key == "valueCoding" and isinstance(value, dict):
            return f"{value.get('system', '')}|{value.get('code', '')}"
        if key.startswith("value") and isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return ""


@serves(Interaction.SEARCH_TYPE, "Appointment", "find")
async def appointment_find(
    request: Request, service: Service, engine: Engine, settings: AppSettings, access: Access
) -> Response:
    """Proposed Appointments from free Slots, earliest first (server.scheduling.find)."""
    require_operation(access, "find")
    fmt = response_format(request)
    _, link = booking_rule(service)
    asked = read_find(await _find_params(request, settings), link.clock())
    found = await Finder(service.store, engine, link.clock).find(asked)
    base = public_base(request)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [{"relation": "self", "url": _find_url(base, request, asked.cursor)}],
        "entry": [{"resource": p, "search": {"mode": "match"}} for p in found.proposals],
    }
    if found.warnings:
        outcome = operation_outcome(found.warnings)
        bundle["entry"].append({"resource": outcome, "search": {"mode": "outcome"}})
    if found.next_cursor:
        bundle["link"].append(
            {"relation": "next", "url": _find_url(base, request, found.next_cursor)}
        )
    return fhir_response(bundle, fmt)


def _find_url(base: str, request: Request, cursor: str | None) -> str:
    kept = [(n, v) for n, v in query_criteria(request) if n != "_page"]
    if cursor:
        kept.append(("_page", cursor))
    query = urlencode(kept)
    return f"{base}/Appointment/$find" + (f"?{query}" if query else "")


async def _proposal(
    request: Request, settings: AppSettings, access: Access, *, overbook_allowed: bool
) -> dict[str, Any]:
    """The ``appt-resource`` of $hold or $book, if the token may create that Appointment."""
    require_body_type(request)
    appointment = appointment_parameter(
        parse_json_object(await read_body(request, settings.max_body_bytes)),
        overbook_allowed=overbook_allowed,
    )
    check_write(access, "Appointment", "c", None, appointment)
    return appointment


@serves(Interaction.UPDATE, "Appointment", "hold")
async def appointment_hold(
    request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    """Hold a proposal's Slots for ``--slot-hold-minutes``; the pending Appointment."""
    require_operation(access, "hold")
    fmt = response_format(request)
    appointment = await _proposal(request, settings, access, overbook_allowed=False)
    holds = SlotHolds(service, booking_rule(service)[0], settings.slot_hold_minutes)
    return fhir_response(_collection(await holds.hold(appointment)), fmt)


@serves(Interaction.CREATE, "Appointment", "book")
async def appointment_book(
    request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    """Book a proposal (or a held one): the stored, booked Appointment; 409 if taken."""
    require_operation(access, "book")
    fmt = response_format(request)
    appointment = await _proposal(request, settings, access, overbook_allowed=True)
    holds = SlotHolds(service, booking_rule(service)[0], settings.slot_hold_minutes)
    result = await holds.book(appointment)
    return fhir_response(_collection(orjson.loads(result.version.body or b"{}")), fmt)


@serves(Interaction.SEARCH_TYPE, "Appointment", "no-show-worklist")
async def appointment_no_shows(
    request: Request, service: Service, engine: Engine, access: Access
) -> Response:
    """Booked Appointments that ended over an hour ago, earliest first (paged)."""
    require_operation(access, "no-show-worklist")
    fmt = response_format(request)
    _, link = booking_rule(service)
    count = worklist_count(request.query_params.get("_count"))
    cursor = request.query_params.get("_page")
    found = await no_shows(service.store, engine, link.clock, count, cursor)
    base = public_base(request)
    path = f"{base}/Appointment/$no-show-worklist"
    links = [{"relation": "self", "url": _paged(path, count, cursor)}]
    if found.next_cursor:
        links.append({"relation": "next", "url": _paged(path, count, found.next_cursor)})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/Appointment/{v.id}",
                "resource": orjson.Fragment(v.body or b"{}"),
                "search": {"mode": "match"},
            }
            for v in found.appointments
        ],
    }
    return fhir_response(bundle, fmt)


def _paged(path: str, count: int, cursor: str | None) -> str:
    query = [("_count", str(count))] + ([("_page", cursor)] if cursor else [])
    return f"{path}?{urlencode(query)}"


def _collection(resource: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}


ROUTES = (
    Row("/Schedule/{resource_id:id}/$generate-slots", ("POST",), schedule_generate_slots),
    *(Row("/Appointment/$find", (method,), appointment_find) for method in ("GET", "POST")),
    Row("/Appointment/$hold", ("POST",), appointment_hold),
    Row("/Appointment/$book", ("POST",), appointment_book),
    Row("/Appointment/$no-show-worklist", ("GET",), appointment_no_shows),
)
