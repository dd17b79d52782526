"""Headers every response carries: ``X-Content-Type-Options: nosniff`` everywhere, and
``Cache-Control: no-store`` on everything that may carry patient data,
``Strict-Transport-Security`` over HTTPS; and CORS, off
unless ``--cors-origins`` lists the exact origins allowed.

No-store covers every ``/fhir`` response (reads, searches, history, operations, and the
errors about them, which can name what exists) and every ``/auth/token`` answer (RFC
6749 section 5.1); only the CapabilityStatement and the SMART discovery documents, which
describe the server and hold no one's data, may be cached. server.api.envelope applies
them to every answer's start and touches nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware

__all__ = ["ANSWER_OUTSIDE_MIDDLEWARE", "install_cors", "no_store", "secured"]

_NOSNIFF: Final = (b"x-content-type-options", b"nosniff")
_NO_STORE: Final = (b"cache-control", b"no-store")
# RFC 6797: a year, without includeSubDomains (the server does not own its parent domain's
# other hosts) and sent over HTTPS only, where a browser heeds it.
_HSTS: Final = (b"strict-transport-security", b"max-age=31536000")
_DESCRIBE_THE_SERVER: Final = frozenset({"/fhir/metadata", "/fhir/.well-known/smart-configuration"})

# For the one answer Starlette builds outside every middleware: the 500 of an unexpected
# error (its handler adds these itself).
ANSWER_OUTSIDE_MIDDLEWARE: Final = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def no_store(path: str) -> bool:
    """True for the paths whose responses must not be kept by any cache."""
    if path == "/fhir" or path.startswith("/fhir/"):
        return path not in _DESCRIBE_THE_SERVER
    return path == "/auth/token"


def secured(
    headers: Iterable[tuple[bytes, bytes]], *, private: bool, secure: bool
) -> list[tuple[bytes, bytes]]:
    """An answer's ``headers`` with nosniff, no-store where ``private`` (``no_store``), and
    HSTS where ``secure`` (HTTPS, directly or through a trusted proxy's X-Forwarded-Proto)."""
    if private:
        # A route's own caching header cannot outlive the rule.
        kept = [h for h in headers if h[0].lower() != b"cache-control"]
        kept.append(_NO_STORE)
    else:
        kept = list(headers)
    kept.append(_NOSNIFF)
    if secure:
        kept.append(_HSTS)
    return kept


# What a browser app may send and read across origins (CORS): the FHIR REST headers.
_CORS_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
_CORS_REQUEST_HEADERS: Final = [
    "Accept",
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-Modified-Since",
    "If-None-Exist",
    "If-None-Match",
    "Prefer",
]
_CORS_RESPONSE_HEADERS: Final = [
    "Content-Location",
    "ETag",
    "Last-Modified",
    "Location",
    "WWW-Authenticate",
]


def install_cors(app: Starlette, origins: tuple[str, ...]) -> None:
    """Add CORS for ``origins`` (none: CORS stays off).

    Credentials mode stays off: a SMART app sends its token in ``Authorization``, which
    needs no cookies, so no origin can ride on a user's browser session.
    """
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=_CORS_METHODS,
            allow_headers=_CORS_REQUEST_HEADERS,
            expose_headers=_CORS_RESPONSE_HEADERS,
            allow_credentials=False,
            max_age=600,
        )
