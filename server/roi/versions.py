"""Versions the server writes itself (release records, Task updates of its operations).

They bypass the client write rules (those are for clients) but not validation, except
for release Bundles: their entries are stored resources validated on the way in, and
re-validating thousands of them would cost more than the release itself.
"""

from __future__ import annotations

from typing import Any

from server.fhir.validation import validate_resource
from server.interactions import ResourceService, new_id
from server.storage.port import Method, StoredVersion, Write
from server.versions import next_version


def created(
    service: ResourceService, resource: dict[str, Any], updated: int, *, validate: bool = True
) -> Write:
    """A Write creating ``resource`` (its type from resourceType) with a fresh id."""
    resource_type = str(resource["resourceType"])
    if validate:
        validate_resource(resource, resource_type)
    resource_id = str(resource.get("id") or new_id())
    return next_version(
        resource_type, resource_id, None, resource, Method.POST, service.indexer, updated=updated
    )


def replaced(service: ResourceService, current: StoredVersion, resource: dict[str, Any]) -> Write:
    """A Write storing ``resource`` as the next version of ``current`` (compare-and-swap)."""
    validate_resource(resource, current.resource_type)
    return next_version(
        current.resource_type, current.id, current, resource, Method.PUT, service.indexer
    )
