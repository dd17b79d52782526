"""Bundles assembled around stored JSON bytes (orjson.Fragment: no re-parsing)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from server.fhir.clock import fhir_instant, now_us
from server.storage.port import Method, StoredVersion

_STATUS_BY_METHOD: dict[Method, str] = {
    Method.POST: "201 Created",
    Method.PUT: "200 OK",
    Method.PATCH: "200 OK",
    Method.DELETE: "204 No Content",
}


def embedded(body: bytes) -> orjson.Fragment:
    """Embed stored JSON bytes into a document without parsing them."""
    return orjson.Fragment(body)


def history_entry(base: str, version: StoredVersion) -> dict[str, Any]:
    """Return a history Bundle entry for one version (http.html#history)."""
    url = f"{version.resource_type}/{version.id}"
    status = _STATUS_BY_METHOD[version.method]
    if version.method is Method.PUT and version.version == 1:
        status = "201 Created"
    entry: dict[str, Any] = {"fullUrl": f"{base}/{url}"}
    if version.body is not None:
        entry["resource"] = embedded(version.body)
    entry["request"] = {
        "method": str(version.method),
        "url": url if version.method is not Method.POST else version.resource_type,
    }
    entry["response"] = {
        "status": status,
        "etag": f'W/"{version.version}"',
        "lastModified": fhir_instant(version.last_updated),
    }
    return entry


def bundle(
    kind: str,
    entries: Iterable[dict[str, Any]],
    links: dict[str, str],
    total: int | None = None,
) -> dict[str, Any]:
    """Return a Bundle of ``kind`` (history, searchset, ...) with links and entries."""
    document: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "meta": {"lastUpdated": fhir_instant(now_us())},
    }
    if total is not None:
        document["total"] = total
    document["link"] = [{"relation": rel, "url": url} for rel, url in links.items()]
    document["entry"] = list(entries)
    if not document["entry"]:
        del document["entry"]
    return document
