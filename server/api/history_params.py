"""The parameters of a history interaction: _count, _since, and the paging cursor."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from server.api.public_urls import public_request_url
from server.errors import InvalidRequest
from server.fhir.clock import parse_instant
from server.storage.port import HistoryQuery

DEFAULT_COUNT = 50
MAX_COUNT = 1000
_KNOWN = {"_count", "_since", "_page", "_format", "_pretty", "_at", "_list"}


def next_page_url(request: Request, cursor: str) -> str:
    """The request's URL with its ``_page`` replaced by ``cursor``."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "_page"]
    params.append(("_page", cursor))
    return public_request_url(request, urlencode(params))


def history_query(
    request: Request, resource_type: str | None, resource_id: str | None
) -> HistoryQuery:
    """Parse and check history parameters (400 with the parameter named on bad values)."""
    params = request.query_params
    unknown = sorted(set(params.keys()) - _KNOWN)
    if unknown:
        raise InvalidRequest(
            f"Unknown history parameter(s): {', '.join(unknown)}; "
            "history supports _count, _since and _page",
            expression=unknown,
        )
    unsupported = [p for p in ("_at", "_list") if p in params]
    if unsupported:
        raise InvalidRequest(
            f"History parameter {unsupported[0]} is not supported", expression=unsupported[0]
        )
    raw_count = params.get("_count", str(DEFAULT_COUNT))
    if not raw_count.isdigit():
        raise InvalidRequest(
            f"_count must be a non-negative integer, got {raw_count!r}", expression="_count"
        )
    count = min(int(raw_count), MAX_COUNT)
    since: int | None = None
    if "_since" in params:
        try:
            since = parse_instant(params["_since"])
        except ValueError:
            raise InvalidRequest(
                f"_since must be an instant, got {params['_since']!r}", expression="_since"
            ) from None
    return HistoryQuery(resource_type, resource_id, since, count, params.get("_page"))
