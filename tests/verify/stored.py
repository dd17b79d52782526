"""Read a stored resource, and change one behind the API's back (no REST time, no message)."""

from __future__ import annotations

from typing import Any

import orjson

from server.search.extract import extract_index
from server.storage.port import Method, Store, StoredVersion, Write


async def current(store: Store, resource_type: str, resource_id: str) -> tuple[StoredVersion, Any]:
    """The current version of a resource and its body."""
    stored = await store.read(resource_type, resource_id)
    assert stored is not None
    assert stored.body is not None
    return stored, orjson.loads(stored.body)


async def write_without_provenance(
    store: Store, resource_type: str, resource_id: str, **changes: Any
) -> None:
    """Store a new version with ``changes``, as no REST write nor message would."""
    stored, body = await current(store, resource_type, resource_id)
    body.update(changes)
    version = StoredVersion(
        resource_type, resource_id, stored.version + 1, stored.last_updated + 1, Method.PUT,
        orjson.dumps(body), None, stored.owners,
    )  # fmt: skip
    await store.write([Write(version, stored.version, extract_index(body, base_urls=()))])
