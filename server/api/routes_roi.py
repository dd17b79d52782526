"""Release-of-information operations: ``Task/$release``, ``Task/$extend``, ``Patient/$disclosures``.

Included before the resource and search routers: ``GET /fhir/Patient/1/$disclosures``
would otherwise be read as a compartment search for a type named ``$disclosures``.
A method these paths do not take is answered by server.api.routes_operations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Engine, Service
from server.api.negotiation import require_body_type, response_format
from server.api.path_ids import held_instance
from server.api.public_urls import public_base, public_request_url
from server.api.request_body import read_body
from server.api.responses import fhir_response, version_headers
from server.api.route_table import Row
from server.auth.operations import require_operation
from server.auth.visibility import ensure_visible, hidden, read_visible, visible
from server.errors import InvalidRequest
from server.fhir.bundles import bundle, embedded
from server.fhir.validation import parse_json_object
from server.registry import Interaction
from server.roi.accounting import disclosures
from server.roi.extension import extend_due_date
from server.roi.release import release
from server.roi.summary import release_parameters


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise InvalidRequest(f"{name} must be true or false, not {value!r}", expression=name)
    return value == "true"


@serves(Interaction.UPDATE, "Task", "release")
async def release_task(
    resource_id: str, request: Request, service: Service, access: Access
) -> Response:
    held_instance(request, "Task", resource_id, Interaction.UPDATE)
    require_operation(access, "release")
    await ensure_visible(access, service, "Task", resource_id, "u")
    await _ensure_subject_visible(access, service, resource_id)
    fmt = response_format(request)
    outcome = await release(
        service, resource_id, public_base(request), explain=_flag(request, "_explain")
    )
    return fhir_response(release_parameters(outcome), fmt, 200, version_headers(outcome.task))


async def _ensure_subject_visible(access: Access, service: Service, task_id: str) -> None:
    """404 for the Task unless a confined token may read the patient whose records it releases.

    A Task is in a patient's compartment through ``for`` or ``focus``: one that names the
    token's patient only as its focus must not release another patient's records.
    """
    if not access.restrictions("Patient", "r"):
        return
    task = await service.read("Task", task_id)
    subject = (orjson.loads(task.body or b"{}").get("for") or {}).get("reference")
    kind, _, patient_id = str(subject or "").partition("/")
    current = await service.store.read("Patient", patient_id) if kind == "Patient" else None
    if current is None or not await visible(access, service, current, "r"):
        raise hidden("Task", task_id)


@serves(Interaction.UPDATE, "Task", "extend")
async def extend_task(
    resource_id: str, request: Request, service: Service, settings: AppSettings, access: Access
) -> Response:
    held_instance(request, "Task", resource_id, Interaction.UPDATE)
    require_operation(access, "extend")
    await ensure_visible(access, service, "Task", resource_id, "u")
    fmt = response_format(request)
    reason = request.query_params.get("reason")
    has_body = (
        request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    )
    if reason is None and has_body:
        require_body_type(request)
        reason = _reason(parse_json_object(await read_body(request, settings.max_body_bytes)))
    version = await extend_due_date(service, resource_id, reason or "")
    return fhir_response(version.body, fmt, 200, version_headers(version))


def _reason(parameters: dict[str, Any]) -> str:
    """The ``reason`` string of a Parameters body."""
    if parameters.get("resourceType") != "Parameters":
        raise InvalidRequest("$extend takes a Parameters resource", expression="resourceType")
    for parameter in parameters.get("parameter") or ():
        if isinstance(parameter, dict) and parameter.get("name") == "reason":
            value = parameter.get("valueString")
            if isinstance(value, str):
                return value
    raise InvalidRequest(
        "$extend needs a reason: a parameter named reason with a valueString",
        expression="Parameters.parameter",
    )


@serves(Interaction.READ, "Patient", "disclosures")
async def patient_disclosures(
    resource_id: str, request: Request, service: Service, engine: Engine, access: Access
) -> Response:
    held_instance(request, "Patient", resource_id, Interaction.READ)
    require_operation(access, "disclosures")
    fmt = response_format(request)
    include_exempt = _flag(request, "all")
    # 404 / 410 for an unknown patient, or one the token may not see
    await read_visible(access, service, "Patient", resource_id, "r")
    found = await disclosures(
        engine, resource_id, datetime.now(UTC).date(), include_exempt=include_exempt
    )
    found = [v for v in found if access.permits(v, "s")]
    base = public_base(request)
    links = {"self": public_request_url(request)}
    entries = [
        {
            "fullUrl": f"{base}/AuditEvent/{v.id}",
            "resource": embedded(v.body or b"{}"),
            "search": {"mode": "match"},
        }
        for v in found
    ]
    return fhir_response(bundle("searchset", entries, links, len(entries)), fmt)


ROUTES = (
    Row("/Task/{resource_id:id}/$release", ("POST",), release_task),
    Row("/Task/{resource_id:id}/$extend", ("POST",), extend_task),
    Row("/Patient/{resource_id:id}/$disclosures", ("GET",), patient_disclosures),
)
