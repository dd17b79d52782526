"""The next stored version of a resource: the one way every writer builds it.

REST interactions (server.interactions), the server's own writes (server.roi.versions)
and HL7v2 ingest (server.hl7v2.ingest.service) all number, time, stamp and index a
version here, so a version means the same whichever way it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from server.fhir.clock import fhir_instant, now_us
from server.search.index_entries import IndexEntries
from server.storage.port import Guard, Holds, Method, StoredVersion, Write

Indexer = Callable[[dict[str, Any]], IndexEntries]


def stamp(resource: dict[str, Any], resource_id: str, version: int, updated: int) -> bytes:
    """Set the server-owned fields and serialize."""
    resource["id"] = resource_id
    meta = resource.get("meta")
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta["versionId"] = str(version)
    meta["lastUpdated"] = fhir_instant(updated)
    resource["meta"] = meta
    return orjson.dumps(resource)


def next_version(
    resource_type: str,
    resource_id: str,
    current: StoredVersion | None,
    body: dict[str, Any] | None,
    method: Method,
    indexer: Indexer,
    *,
    updated: int | None = None,
    event_time: int | None = None,
    client_write: bool = False,
    owners: bytes | None = None,
    guard: Guard | None = None,
    holds: Holds | None = None,
) -> Write:
    """The Write storing ``body`` as the version after ``current`` (None: a new resource).

    ``body`` None makes a delete marker (``method`` DELETE). The version keeps
    ``event_time`` (an HL7v2 message's, compared with later messages'); a
    ``client_write`` (REST) is its own event, at its own time, so an HL7v2 message
    from before it is stale. ``owners`` (which HL7v2 field owns which part) defaults
    to ``current``'s: a client's edit does not change who owns the parts it kept. The
    write expects ``current`` to still be the latest version (compare-and-swap).
    ``updated`` defaults to now, and is always after ``current``'s, so versions are
    ordered by time too. ``body`` is stamped in place (id, versionId, lastUpdated)
    before it is indexed. ``holds``: the exclusive keys the resource holds after it; a
    delete marker's default is none (a deleted booking's minutes and Slots are free at
    once, not left to be taken over from a holder that no longer exists).
    """
    if (body is None) != (method is Method.DELETE):
        raise ValueError("a delete marker, and only a delete marker, has no body")
    number = current.version + 1 if current else 1
    expected = current.version if current else 0
    if updated is None:
        updated = max(now_us(), current.last_updated + 1) if current else now_us()
    if client_write:
        event_time = updated
    if body is None:
        marker = StoredVersion(
            resource_type, resource_id, number, updated, method, None, event_time
        )
        released = Holds(frozenset()) if holds is None else holds
        return Write(marker, expected, None, guard, released, replaces=current)
    if owners is None and current is not None:
        owners = current.owners
    stored = stamp(body, resource_id, number, updated)
    version = StoredVersion(
        resource_type, resource_id, number, updated, method, stored, event_time, owners
    )
    return Write(version, expected, indexer(body), guard, holds, replaces=current)
