"""Load the sandbox data set (fixtures/sandbox/) into an empty store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson

from server.interactions import ResourceService
from server.registry import HELD_TYPES

log = logging.getLogger("fhirport.seed")

# Referenced types first, so every reference resolves as soon as it is written.
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
    loaded = 0
    for resource in sandbox_resources(folder):
        await service.update(resource["resourceType"], resource["id"], resource)
        loaded += 1
    return loaded
