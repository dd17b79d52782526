"""JSON documents: transaction and batch Bundles through the transaction engine
(server.transactions), collection Bundles and single resources through the upserter.

A transaction is all or nothing: refused, every entry is reported rejected with the
engine's OperationOutcome. A batch reports each entry as the engine answered it. A
collection's (or other Bundle's) resources are upserted like ndjson lines, one entry a
line; a Bundle's entries are numbered from 1.
"""

from __future__ import annotations

from typing import Any

from server.errors import FhirError, InvalidRequest
from server.fhir_import.check import check_resource
from server.fhir_import.upsert import LineResult, Upserter
from server.runtime import Runtime
from server.transactions import apply_bundle

_ENGINE_TYPES = ("transaction", "batch")


async def apply_document(
    runtime: Runtime, upserter: Upserter, document: dict[str, Any]
) -> list[LineResult]:
    """Apply one parsed JSON document; a result per entry (one for a plain resource)."""
    if document.get("resourceType") != "Bundle":
        return await _upsert(upserter, [document])
    if document.get("type") in _ENGINE_TYPES:
        return await _through_engine(runtime, upserter, document)
    entries = document.get("entry")
    if not isinstance(entries, list):
        return []
    resources = [e.get("resource") if isinstance(e, dict) else None for e in entries]
    return await _upsert(upserter, resources)


async def _upsert(upserter: Upserter, resources: list[Any]) -> list[LineResult]:
    results: list[LineResult | None] = []
    valid: list[dict[str, Any]] = []
    for n, resource in enumerate(resources):
        try:
            if not isinstance(resource, dict):
                raise InvalidRequest("The entry has no resource", expression=f"Bundle.entry[{n}]")
            check_resource(resource)
        except FhirError as exc:
            results.append(LineResult("rejected", detail=exc.outcome()))
        else:
            results.append(None)
            valid.append(resource)
    applied = iter(await upserter.apply(valid))
    return [r if r is not None else next(applied) for r in results]


async def _through_engine(
    runtime: Runtime, upserter: Upserter, document: dict[str, Any]
) -> list[LineResult]:
    count = len(document.get("entry") or ())
    if upserter.dry_run:
        return await _checked_only(document)
    try:
        result = await apply_bundle(
            runtime.service,
            document,
            None,
            search=runtime.search,
            integrity=upserter.integrity,
            prefer="minimal",
        )
    except FhirError as exc:
        return [LineResult("rejected", detail=exc.outcome())] * count
    answers = result.bundle.get("entry") or []
    results: list[LineResult] = []
    for index, answer in enumerate(answers):
        failed = result.failed.get(index)
        if failed is not None:
            results.append(LineResult("rejected", detail=failed.outcome()))
            continue
        location = str(answer.get("response", {}).get("location") or "")
        parts = location.split("/_history/")[0].split("/")
        reference = "/".join(parts[-2:]) if len(parts) >= 2 else None
        for dangling in result.dangling.get(index, ()):
            target = dangling.reference.split("/_history/")[0].split("/")[-2:]
            if len(target) == 2 and reference:
                upserter.dangling.add(
                    (target[0], target[1]), reference, dangling.expression, dangling.reference
                )
        results.append(LineResult("applied", reference))
    return results


async def _checked_only(document: dict[str, Any]) -> list[LineResult]:
    """A dry run of an engine Bundle: each entry's resource validated, nothing applied."""
    results: list[LineResult] = []
    for entry in document.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        try:
            if isinstance(resource, dict):
                check_resource(resource)
        except FhirError as exc:
            results.append(LineResult("rejected", detail=exc.outcome()))
        else:
            results.append(LineResult("applied"))
    return results
