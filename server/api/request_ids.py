"""The request id: taken from a caller's ``X-Request-Id`` when it is a plain token, made
otherwise; sent back on every answer, set for the request's log records
(``server.logs.REQUEST_ID``) and kept in the ASGI scope for the audit record and error
outcomes. With ``--access-log`` one line per request: method, path, status, time taken
and the id; the query string (which can hold names and birth dates) only when asked.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import REQUEST_ID
from server.random_ids import random_hex

access_log = logging.getLogger("fhirport.access")

# What a load balancer or tracing proxy sends (UUIDs, hex, dotted ids); anything else
# could forge log lines or outcomes, so it is replaced.
_PLAIN: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_HEADER: Final = b"x-request-id"


def request_id_of(scope: Scope) -> str | None:
    """The id the middleware gave this request (None outside it)."""
    state = scope.get("state") or {}
    found = state.get("request_id")
    return found if isinstance(found, str) else None


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER:
            text = value.decode("latin-1")
            return text if _PLAIN.fullmatch(text) else None
    return None


class RequestIds:
    """ASGI middleware, outermost: every answer below it has its request's id."""

    def __init__(self, app: ASGIApp, *, log_access: bool = False, queries: bool = False) -> None:
        self.app = app
        self.log_access = log_access
        self.queries = queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming(scope) or random_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client sees if nothing below answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_access:
                self._log(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
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
