"""One query parameter's value, without parsing the query string when there is none.

Most reads and writes carry no query string; Starlette's ``query_params`` would still
parse the empty string into a multi-dict on each of them.
"""

from __future__ import annotations

from starlette.requests import Request


def query_value(request: Request, name: str) -> str | None:
    """The last value of ``name`` in the request's query string, or None."""
    if not request.scope["query_string"]:
        return None
    return request.query_params.get(name)
