"""The Prefer request header (RFC 7240) as FHIR uses it: return= and handling=."""

from __future__ import annotations

from enum import StrEnum

from starlette.requests import Request


class ReturnPreference(StrEnum):
    MINIMAL = "minimal"
    REPRESENTATION = "representation"
    OPERATION_OUTCOME = "OperationOutcome"


def _preferences(request: Request) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in request.headers.getlist("prefer"):
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def return_preference(request: Request) -> ReturnPreference:
    """What a write should answer with; representation unless the client says otherwise."""
    value = _preferences(request).get("return", "")
    for option in ReturnPreference:
        if value.lower() == option.value.lower():
            return option
    return ReturnPreference.REPRESENTATION


def lenient_handling(request: Request) -> bool:
    """True when the client sent ``Prefer: handling=lenient``."""
    return _preferences(request).get("handling", "").lower() == "lenient"


def respond_async(request: Request) -> bool:
    """True when the client sent ``Prefer: respond-async`` (RFC 7240, FHIR async.html)."""
    return "respond-async" in _preferences(request)
