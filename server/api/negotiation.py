"""Content negotiation: which JSON flavour a response uses, and which bodies are accepted.

FHIR R4 http.html#mime-type: ``_format`` overrides ``Accept``; the server speaks JSON
only (the CapabilityStatement says so), so an XML or Turtle request is a 406 and
an XML body a 415.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request

from server.api.query_values import query_value
from server.errors import NotAcceptable, UnsupportedMediaType

FHIR_JSON = "application/fhir+json"
PLAIN_JSON = "application/json"
JSON_PATCH = "application/json-patch+json"

_FORMAT_ALIASES: dict[str, str] = {
    "json": FHIR_JSON,
    "application/json": PLAIN_JSON,
    "application/fhir+json": FHIR_JSON,
    "application/json+fhir": FHIR_JSON,  # DSTU2 clients still send it
}
_ACCEPTABLE = {FHIR_JSON, PLAIN_JSON, "application/json+fhir", "*/*", "application/*"}
_BODY_TYPES = {FHIR_JSON, PLAIN_JSON, "application/json+fhir"}


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """The media type and layout of a response body."""

    media_type: str
    pretty: bool

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


def _media_types(header: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((pieces[0].lower(), quality))
    return ranges


def response_format(request: Request) -> ResponseFormat:
    """Choose the response format from ``_format``, ``_pretty`` and ``Accept``."""
    pretty = (query_value(request, "_pretty") or "false").lower() == "true"
    requested = query_value(request, "_format")
    if requested is not None:
        media = _FORMAT_ALIASES.get(requested.strip().lower())
        if media is None:
            raise NotAcceptable(
                f"_format {requested!r} is not supported; this server speaks JSON",
                expression="_format",
            )
        return ResponseFormat(media, pretty)
    accept = request.headers.get("accept")
    if not accept:
        return ResponseFormat(FHIR_JSON, pretty)
    return ResponseFormat(_accepted(accept), pretty)


# A client sends the same Accept header with every request.
@lru_cache(maxsize=256)
def _accepted(accept: str) -> str:
    candidates = sorted(((m, q) for m, q in _media_types(accept) if q > 0), key=lambda mq: -mq[1])
    for media, _ in candidates:
        if media in _ACCEPTABLE:
            return PLAIN_JSON if media == PLAIN_JSON else FHIR_JSON
    raise NotAcceptable(f"None of the Accept types {accept!r} can be produced; use {FHIR_JSON}")


def require_body_type(request: Request, allowed: set[str] | None = None) -> None:
    """Raise 415 unless the request's Content-Type is one the interaction accepts."""
    allowed = allowed or _BODY_TYPES
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media not in allowed:
        expected = ", ".join(sorted(allowed))
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'!r} is not supported here; send {expected}"
        )
