"""Process a posted CoverageEligibilityRequest: store it and its response in one write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.eligibility.response import build_response
from server.eligibility.source import EligibilitySource
from server.fhir.clock import fhir_instant, now_us
from server.fhir.validation import validate_resource
from server.interactions import ResourceService, new_id
from server.storage.port import Method, StoredVersion
from server.versions import next_version

REQUEST = "CoverageEligibilityRequest"
RESPONSE = "CoverageEligibilityResponse"


@dataclass(frozen=True, slots=True)
class Processed:
    """The stored request and the stored response answering it."""

    request: StoredVersion
    response: StoredVersion


async def process(
    service: ResourceService, source: EligibilitySource, request: dict[str, Any]
) -> Processed:
    """Validate ``request``, answer it from ``source``, store both atomically (audited)."""
    validate_resource(request, REQUEST)
    request_id, response_id = new_id(), new_id()
    if service.integrity is not None:
        await service.integrity.check(request, REQUEST, {(REQUEST, request_id): True})
    eligibility = await source.check(request)
    response = build_response(
        request, f"{REQUEST}/{request_id}", eligibility, fhir_instant(now_us())
    )
    validate_resource(response, RESPONSE)
    writes = [
        next_version(REQUEST, request_id, None, request, Method.POST, service.indexer,
                     client_write=True),
        next_version(RESPONSE, response_id, None, response, Method.POST, service.indexer,
                     client_write=True),
    ]  # fmt: skip
    event = service.audit(writes[0]) if service.audit is not None else None
    await service.commit(writes if event is None else [*writes, event])
    return Processed(writes[0].version, writes[1].version)
