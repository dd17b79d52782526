"""The request id: taken from a caller's ``X-Request-Id`` when it is a plain token, made
otherwise; sent back on every answer, set for the request's log records
(``server.logs.REQUEST_ID``) and kept in the ASGI scope for the audit record and error
outcomes (server.api.envelope does all three). With ``--access-log`` one line per
request: method, path, status, time taken and the id; the query string (which can hold
names and birth dates) only when asked.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from starlette.types import Scope

from server.random_ids import random_hex

access_log = logging.getLogger("fhirport.access")

# What a load balancer or tracing proxy sends (UUIDs, hex, dotted ids); anything else
# could forge log lines or outcomes, so it is replaced.
_PLAIN: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")
REQUEST_ID_HEADER: Final = b"x-request-id"


def request_id_of(scope: Scope) -> str | None:
    """The id the middleware gave this request (None outside it)."""
    state = scope.get("state") or {}
    found = state.get("request_id")
    return found if isinstance(found, str) else None


def request_id_for(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token, a new random id otherwise."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            text: str = value.decode("latin-1")
            if _PLAIN.fullmatch(text):
                return text
            break
    return random_hex(16)


class AccessLog:
    """With ``--access-log``: one line per request; the query string only when asked."""

    def __init__(self, *, enabled: bool = False, queries: bool = False) -> None:
        self.enabled = enabled
        self.queries = queries

    def log(self, scope: Scope, status: int, seconds: float) -> None:
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        access_log.info(
            "%s %s %d",
            scope["method"],
            f"{path}?{query}" if self.queries and query else path,
            status,
            extra={
                "method": scope["method"],
                "path": path,
                **({"query": query} if self.queries and query else {}),
                "status": status,
                "ms": round(seconds * 1000, 1),
                "client": (scope.get("client") or ("", 0))[0],
            },
        )
