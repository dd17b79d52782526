"""Every failure becomes an OperationOutcome: FHIR errors, HTTP errors, and the unexpected."""

from __future__ import annotations

import logging
import uuid

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.api.allow import allowed_methods, method_not_allowed
from server.api.negotiation import FHIR_JSON
from server.api.request_ids import request_id_of
from server.api.security_headers import ANSWER_OUTSIDE_MIDDLEWARE
from server.errors import FhirError, Issue, operation_outcome
from server.logs import REQUEST_ID_EXTENSION
from server.storage.port import DocumentTooLarge, QueryTooCostly, StoreUnavailable

log = logging.getLogger("fhirport.errors")

# Seconds a client is asked to wait when the store is down or failing over: about a
# replica set's election, which is what most such answers wait on.
STORE_RETRY_AFTER = 5

_CODE_BY_STATUS: dict[int, str] = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "business-rule",
}


def _outcome_response(
    request: Request, status: int, issues: list[Issue], headers: dict[str, str] | None = None
) -> Response:
    outcome = operation_outcome(issues)
    request_id = request_id_of(request.scope)
    if request_id is not None:  # what a caller quotes when asking what went wrong
        outcome = {
            "resourceType": "OperationOutcome",
            "extension": [{"url": REQUEST_ID_EXTENSION, "valueString": request_id}],
            **outcome,
        }
    return Response(
        orjson.dumps(outcome),
        status,
        headers,
        media_type=f"{FHIR_JSON}; charset=utf-8",
    )


async def _fhir_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FhirError)
    headers = exc.headers
    if exc.status == 405 and "Allow" not in headers:
        headers = {**headers, "Allow": ", ".join(allowed_methods(request))}
    return _outcome_response(request, exc.status, exc.issues, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # The router's 405 lists the methods of the first route whose pattern matched;
    # the path may take more, or none at all (a type the server does not hold).
    allowed = allowed_methods(request) if exc.status_code == 405 else []
    if allowed:
        return await _fhir_error(request, method_not_allowed(request, allowed))
    if exc.status_code in (404, 405):
        message = f"No FHIR endpoint at {request.method} {request.url.path}"
        return _outcome_response(request, 404, [Issue(message, "not-found")])
    message = str(exc.detail)
    code = _CODE_BY_STATUS.get(exc.status_code, "processing")
    return _outcome_response(
        request, exc.status_code, [Issue(message, code)], dict(exc.headers or {})
    )


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues = [
        Issue(
            str(error.get("msg", "Invalid request")),
            "invalid",
            expression=(".".join(str(p) for p in error.get("loc", ())[1:]),),
        )
        for error in exc.errors()
    ]
    return _outcome_response(request, 400, issues or [Issue("Invalid request")])


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("Store unavailable on %s %s: %s", request.method, request.url.path, exc)
    message = "The store is unavailable (down, failing over or too slow); retry later"
    headers = {"Retry-After": str(STORE_RETRY_AFTER)}
    return _outcome_response(request, 503, [Issue(message, "transient")], headers)


async def _document_too_large(request: Request, exc: Exception) -> Response:
    return _outcome_response(request, 422, [Issue(str(exc), "too-long")])


async def _query_too_costly(request: Request, exc: Exception) -> Response:
    return _outcome_response(request, 400, [Issue(str(exc), "too-costly")])


async def _unexpected(request: Request, exc: Exception) -> Response:
    correlation = request_id_of(request.scope) or uuid.uuid4().hex
    log.error(
        "Unhandled error %s on %s %s",
        correlation,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    # Starlette re-raises after this response and uvicorn then drops the connection:
    # saying so lets a keep-alive client open a new one instead of meeting a reset.
    return _outcome_response(
        request,
        500,
        [Issue(f"Internal server error (correlation id {correlation})", "exception", "fatal")],
        {"Connection": "close", **ANSWER_OUTSIDE_MIDDLEWARE},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into an OperationOutcome."""
    app.add_exception_handler(FhirError, _fhir_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(DocumentTooLarge, _document_too_large)
    app.add_exception_handler(QueryTooCostly, _query_too_costly)
    app.add_exception_handler(Exception, _unexpected)
