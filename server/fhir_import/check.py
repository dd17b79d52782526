"""Validation of import lines, the CPU-heavy step, run in worker processes.

A line is refused when it is not a strict JSON object, names a type this server does
not hold, or fails the validation a client write gets (server.fhir.validation); the
answer for each line is None or the OperationOutcome saying why.
"""

from __future__ import annotations

from typing import Any

from server.errors import FhirError, InvalidResource
from server.fhir.validation import parse_json_object, validate_resource
from server.registry import get_type


def check_resource(resource: dict[str, Any]) -> None:
    """Raise FhirError unless ``resource`` is a valid resource of a held type."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or get_type(resource_type) is None:
        raise InvalidResource(
            f"resourceType {resource_type!r} is not a type this server holds",
            expression="resourceType",
            code="not-supported",
        )
    validate_resource(resource, resource_type)


def check_lines(lines: list[bytes]) -> list[dict[str, Any] | None]:
    """For each raw line, None when it may be imported, else its OperationOutcome."""
    outcomes: list[dict[str, Any] | None] = []
    for raw in lines:
        try:
            check_resource(parse_json_object(raw))
        except FhirError as exc:
            outcomes.append(exc.outcome())
        else:
            outcomes.append(None)
    return outcomes
