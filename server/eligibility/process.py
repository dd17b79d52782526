"""Process a posted CoverageEligibilityRequest: store it and its response in one write.

``respond`` builds the response's write; ``POST /fhir/CoverageEligibilityRequest``
(``process``) and a POST entry of a transaction or batch (server.transactions.plan)
store it with the request, so the request is answered however it is posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.eligibility.response import build_response
from server.eligibility.source import EligibilitySource
from server.fhir.clock import fhir_instant, now_us
from server.fhir.validation import validate_resource
from server.interactions import ResourceService, new_id
from server.storage.port import Method, StoredVersion, Write
from server.versions import next_version

REQUEST = "CoverageEligibilityRequest"
RESPONSE = "CoverageEligibilityResponse"


@dataclass(frozen=True, slots=True)
class Processed:
    """The stored request and the stored response answering it."""

    request: StoredVersion
    response: StoredVersion


async def respond(
    service: ResourceService, source: EligibilitySource, request: dict[str, Any], request_id: str
) -> Write:
    """The write of the CoverageEligibilityResponse answering ``request`` (a validated
    request, stored as ``request_id`` in the same batch) from ``source``."""
    eligibility = await source.check(request)
    response = build_response(
        request, f"{REQUEST}/{request_id}", eligibility, fhir_instant(now_us())
    )
    validate_resource(response, RESPONSE)
    return next_version(
        RESPONSE, new_id(), None, response, Method.POST, service.indexer, client_write=True
    )


async def process(
    service: ResourceService, source: EligibilitySource, request: dict[str, Any]
) -> Processed:
    """Validate ``request``, answer it from ``source``, store both atomically (audited)."""
    validate_resource(request, REQUEST)
    request_id = new_id()
    if service.integrity is not None:
        await service.integrity.check(request, REQUEST, {(REQUEST, request_id): True})
    answer = await respond(service, source, request, request_id)
    writes = [
        next_version(REQUEST, request_id, None, request, Method.POST, service.indexer,
                     client_write=True),
        answer,
    ]  # fmt: skip
    event = service.audit(writes[0]) if service.audit is not None else None
    await service.commit(writes if event is None else [*writes, event])
    return Processed(writes[0].version, writes[1].version)
