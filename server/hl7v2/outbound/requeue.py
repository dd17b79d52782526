"""``POST /fhir/$hl7v2-outbox-requeue``: dead letters sent again, once their cause is fixed.

The body is a Parameters resource with one ``id`` parameter (valueString) per entry, at
most ``MAX_IDS``. Each entry that is ``failed`` becomes pending again and goes out in
its place in its destination's order (its id, so its control id, is kept: the receiver
sees the same MSH-10 it refused). The answer names how many were requeued, each one's
entry (as ``$hl7v2-outbox`` lists it), and each id skipped because it names no entry,
or one that is not a dead letter.
"""

from __future__ import annotations

from typing import Any, Final

from server.errors import InvalidRequest
from server.hl7v2.outbound.listing import outbox_entry_parameter
from server.storage.port import OutboxEntry

MAX_IDS: Final = 500


def requeue_ids(parameters: Any) -> list[str]:
    """The entry ids a requeue names, in order, each once; 400 naming what is wrong."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise InvalidRequest(
            "$hl7v2-outbox-requeue takes a Parameters resource", expression="resourceType"
        )
    ids: list[str] = []
    for parameter in parameters.get("parameter") or ():
        if not isinstance(parameter, dict) or parameter.get("name") != "id":
            continue
        value = parameter.get("valueString")
        if not isinstance(value, str) or not value:
            raise InvalidRequest("Each id must be a non-empty valueString", expression="id")
        ids.append(value)
    if not 1 <= len(ids) <= MAX_IDS:
        raise InvalidRequest(f"Name 1 to {MAX_IDS} entries, each as an id", expression="id")
    return list(dict.fromkeys(ids))


def requeue_parameters(asked: list[str], requeued: list[OutboxEntry]) -> dict[str, Any]:
    """The answer: ``requeued`` (a count), an ``entry`` per requeued entry, a ``skipped``
    per id that was not a dead letter."""
    done = {entry.id for entry in requeued}
    parameters: list[dict[str, Any]] = [{"name": "requeued", "valueInteger": len(requeued)}]
    parameters += [outbox_entry_parameter(entry) for entry in requeued]
    parameters += [{"name": "skipped", "valueString": i} for i in asked if i not in done]
    return {"resourceType": "Parameters", "parameter": parameters}
