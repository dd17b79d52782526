"""Load the sandbox data set (fixtures/sandbox/) into an empty store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson

from server.interactions import ResourceService
from server.registry import HELD_TYPES
from server.transactions import apply_bundle

log = logging.getLogger("fhirport.seed")

# Referenced types first (the order the data set is read and listed in).
SEED_ORDER = (
    "Organization",
    "Practitioner",
    "Location",
    "Patient",
    "RelatedPerson",
    "Coverage",
    "Appointment",
    "Consent",
    "Claim",
)


def sandbox_resources(folder: Path) -> list[dict[str, Any]]:
    """Read the sandbox files in seed order; a missing file is an error, not an empty set."""
    resources: list[dict[str, Any]] = []
    for type_name in SEED_ORDER:
        path = folder / f"{type_name}.json"
        if not path.exists():
            raise FileNotFoundError(f"Sandbox file {path} is missing (FHIRPORT_SANDBOX_DIR)")
        resources.extend(orjson.loads(path.read_bytes()))
    return resources


async def seed_if_empty(service: ResourceService, folder: Path) -> int:
    """Load the sandbox when no held type has any resource; return how many were loaded."""
    for type_name in HELD_TYPES:
        if await service.store.count(type_name):
            return 0
    resources = sandbox_resources(folder)
    if service.store.transactions:
        # One transaction: the data set's references resolve within it (patients link
        # each other both ways), and a failed seed leaves the store empty.
        entries = [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ]
        document = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        await apply_bundle(service, document, max_entries=len(entries) or 1)
        return len(resources)
    # memory:// has no transactions: resource by resource, the data set trusted to
    # resolve once whole (its links go both ways, so no order would satisfy the check).
    integrity, service.integrity = service.integrity, None
    try:
        for resource in resources:
            await service.update(resource["resourceType"], resource["id"], resource)
    finally:
        service.integrity = integrity
    return len(resources)
