"""Search criteria of a request: its parameters minus those that only shape the format."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request

# Handled by content negotiation (server.api.negotiation), never search parameters.
FORMAT_PARAMS = frozenset({"_format", "_pretty"})


def criteria(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep the (name, value) pairs that are search criteria, in order."""
    return [(k, v) for k, v in pairs if k not in FORMAT_PARAMS]


def query_criteria(request: Request) -> list[tuple[str, str]]:
    """The search criteria in the URL's query string."""
    return criteria(request.query_params.multi_items())
