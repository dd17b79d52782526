"""Build test messages from segment lines, map them, and pick resources out of results."""

from __future__ import annotations

from typing import Any

from hl7.er7 import parse
from mappers import MappingConfig, MappingResult, map_message
from mappers.result import Action
from server.fhir.validation import validate_resource
from server.registry import hl7v2_write_order

MSH_ADT_A04 = "MSH|^~\\&|REG|HOSP|FHIRPORT|HOSP|20240131083000-0500||ADT^A04^ADT_A01|MSG001|P|2.5.1"


def msh(message_type: str, control_id: str = "MSG001", when: str = "20240131083000-0500") -> str:
    """Return an MSH line for ``message_type`` (e.g. "SIU^S12")."""
    return f"MSH|^~\\&|APP|HOSP|FHIRPORT|HOSP|{when}||{message_type}|{control_id}|P|2.5.1"


def er7(*lines: str) -> str:
    """Join segment lines into one ER7 message."""
    return "\r".join(lines)


def map_lines(*lines: str, config: MappingConfig | None = None) -> MappingResult:
    """Parse and map a message given as segment lines."""
    return map_message(
        parse(er7(*lines)), config or MappingConfig(), write_order=hl7v2_write_order()
    )


def only(result: MappingResult, resource_type: str) -> dict[str, Any]:
    """Return the single resource of ``resource_type`` in ``result``."""
    found = of_type(result, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, got {len(found)}"
    return found[0]


def of_type(result: MappingResult, resource_type: str) -> list[dict[str, Any]]:
    """Return every resource of ``resource_type`` in ``result``, in order."""
    return [m.resource for m in result.resources if m.resource["resourceType"] == resource_type]


def action_of(result: MappingResult, resource: dict[str, Any]) -> Action:
    """Return the action the result gives ``resource``."""
    return next(m.action for m in result.resources if m.resource is resource)


def validate_all(result: MappingResult) -> None:
    """Validate every mapped resource with the server's validator (raises on the first)."""
    for mapped in result.resources:
        validate_resource(mapped.resource, mapped.resource["resourceType"])


def by_reference(result: MappingResult, reference: str) -> dict[str, Any]:
    """Return the resource a "Type/id" reference points to."""
    kind, _, ident = reference.partition("/")
    return next(r for r in of_type(result, kind) if r["id"] == ident)


def seg(name: str, fields: dict[int, str]) -> str:
    """Return a segment line with ``fields`` (field number -> ER7 text) at their places."""
    last = max(fields, default=0)
    return "|".join([name, *(fields.get(n, "") for n in range(1, last + 1))])
