"""The CapabilityStatement, generated from the registry: it claims only what is implemented."""

from __future__ import annotations

from typing import Any

from server.fhir.clock import fhir_instant, now_us
from server.registry import HELD_TYPES, SYSTEM_OPERATIONS, Interaction, operations_of
from server.search.capabilities import search_capabilities

SOFTWARE_VERSION = "0.1.0"
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"

_INSTANCE_LEVEL = (
    Interaction.READ,
    Interaction.VREAD,
    Interaction.UPDATE,
    Interaction.PATCH,
    Interaction.DELETE,
    Interaction.HISTORY_INSTANCE,
    Interaction.HISTORY_TYPE,
    Interaction.CREATE,
    Interaction.SEARCH_TYPE,
)


def _resource_entry(name: str) -> dict[str, Any]:
    resource_type = HELD_TYPES[name]
    interactions = [i for i in _INSTANCE_LEVEL if resource_type.supports(i)]
    searchable = resource_type.supports(Interaction.SEARCH_TYPE)
    entry: dict[str, Any] = {
        "type": name,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{name}",
        "documentation": resource_type.documentation,
        "interaction": [{"code": i.value} for i in interactions],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": resource_type.supports(Interaction.UPDATE),
        "conditionalCreate": searchable and resource_type.supports(Interaction.CREATE),
        "conditionalRead": "not-supported",
        "conditionalUpdate": searchable and resource_type.supports(Interaction.UPDATE),
        "conditionalDelete": "single"
        if searchable and resource_type.supports(Interaction.DELETE)
        else "not-supported",
    }
    if searchable:
        entry.update(search_capabilities(name))
    if operations := operations_of(resource_type):
        entry["operation"] = [op.capability() for op in operations]
    return entry


def capability_statement(base: str) -> dict[str, Any]:
    """Return the server's CapabilityStatement for the given base URL."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": fhir_instant(now_us())[:10],
        "publisher": "fhirport",
        "kind": "instance",
        # Bulk Data export (server.bulk): system, Patient and Group level.
        "instantiates": [BULK_DATA],
        "software": {"name": "fhirport", "version": SOFTWARE_VERSION},
        "implementation": {"description": "fhirport FHIR R4 server", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "resource": [_resource_entry(name) for name in sorted(HELD_TYPES)],
                # transaction and batch: POST /fhir (server.transactions).
                "interaction": [
                    {"code": "transaction"},
                    {"code": "batch"},
                    {"code": "history-system"},
                ],
                "operation": [op.capability() for op in SYSTEM_OPERATIONS],
            }
        ],
    }
