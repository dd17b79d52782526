"""``GET /fhir/$hl7v2-outbox``: the outbound feed's entries as a Parameters resource.

    ?status=pending|sent|failed  &destination=NAME  &_count=N (1..500, default 50)
    &after=ID (the paging cursor: the last id of the previous page)

One ``entry`` parameter per entry, in id order (the delivery order), with parts
``id``, ``status``, ``destination``, ``messageType``, ``controlId``, ``resource`` (the
version it announces), ``patient``, ``created``, ``attempts`` and, when there are,
``lastError``, ``ack`` and ``settled``; then ``next``, the URL of the next page, when
the page is full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from server.errors import InvalidRequest
from server.fhir.clock import fhir_instant
from server.storage.port import OUTBOX_STATUSES, OutboxEntry, OutboxQuery

DEFAULT_COUNT: Final = 50
MAX_COUNT: Final = 500


def outbox_query(params: Mapping[str, str]) -> OutboxQuery:
    """The query a request's parameters ask for; 400 naming the parameter if one is bad."""
    status = params.get("status") or None
    if status is not None and status not in OUTBOX_STATUSES:
        raise InvalidRequest(
            f"status must be one of {', '.join(OUTBOX_STATUSES)}", expression="status"
        )
    text = params.get("_count") or str(DEFAULT_COUNT)
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise InvalidRequest(f"_count must be 1 to {MAX_COUNT}", expression="_count")
    return OutboxQuery(
        status, params.get("destination") or None, int(text), params.get("after") or None
    )


def outbox_entry_parameter(entry: OutboxEntry) -> dict[str, Any]:
    """One entry as the ``entry`` parameter, its state in parts."""
    resource = f"{entry.resource_type}/{entry.resource_id}/_history/{entry.version}"
    parts: list[dict[str, Any]] = [
        {"name": "id", "valueString": entry.id},
        {"name": "status", "valueCode": entry.status},
        {"name": "destination", "valueString": entry.destination},
        {"name": "messageType", "valueString": entry.message_type},
        {"name": "controlId", "valueString": entry.id},
        {"name": "resource", "valueReference": {"reference": resource}},
        {"name": "created", "valueInstant": fhir_instant(entry.created)},
        {"name": "attempts", "valueInteger": entry.attempts},
    ]
    if entry.patient:
        parts.append(
            {"name": "patient", "valueReference": {"reference": f"Patient/{entry.patient}"}}
        )
    if entry.last_error:
        parts.append({"name": "lastError", "valueString": entry.last_error})
    if entry.ack:
        parts.append({"name": "ack", "valueString": entry.ack})
    if entry.settled is not None:
        parts.append({"name": "settled", "valueInstant": fhir_instant(entry.settled)})
    return {"name": "entry", "part": parts}


def outbox_parameters(entries: list[OutboxEntry], query: OutboxQuery, base: str) -> dict[str, Any]:
    """The page as Parameters, with ``next`` when it is full."""
    parameters = [outbox_entry_parameter(entry) for entry in entries]
    if len(entries) == query.count:
        following = {"_count": str(query.count), "after": entries[-1].id}
        if query.status is not None:
            following["status"] = query.status
        if query.destination is not None:
            following["destination"] = query.destination
        parameters.append(
            {"name": "next", "valueUri": f"{base}/$hl7v2-outbox?{urlencode(following)}"}
        )
    return {"resourceType": "Parameters", "parameter": parameters}
