"""HTTP responses carrying FHIR JSON, with the headers a versioned resource needs."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from server.api.negotiation import ResponseFormat
from server.errors import Issue, operation_outcome
from server.fhir.clock import http_date
from server.storage.port import StoredVersion


def render(payload: dict[str, Any] | bytes, fmt: ResponseFormat) -> bytes:
    """Serialize a document (or pass stored bytes through), indented when asked."""
    if fmt.pretty:
        document = orjson.loads(payload if isinstance(payload, bytes) else orjson.dumps(payload))
        return orjson.dumps(document, option=orjson.OPT_INDENT_2)
    return payload if isinstance(payload, bytes) else orjson.dumps(payload)


def fhir_response(
    payload: dict[str, Any] | bytes | None,
    fmt: ResponseFormat,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return a response with a FHIR JSON body (or none)."""
    if payload is None:
        return Response(status_code=status, headers=headers)
    return Response(render(payload, fmt), status, headers, media_type=fmt.content_type)


def version_headers(version: StoredVersion) -> dict[str, str]:
    """ETag and Last-Modified of a stored version."""
    return {
        "ETag": f'W/"{version.version}"',
        "Last-Modified": http_date(version.last_updated),
    }


def information(message: str) -> dict[str, Any]:
    """An OperationOutcome with one informational issue (Prefer: return=OperationOutcome)."""
    return operation_outcome([Issue(message, "informational", "information")])
