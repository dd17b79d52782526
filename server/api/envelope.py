"""What every HTTP answer gets on its way out, in one layer: its request id
(server.api.request_ids), its security headers (server.api.security_headers), its
metrics (server.metrics.http), its audit record (server.api.request_audit) and, with
``--access-log``, its log line.

The outermost middleware, so that an answer from any layer inside (the host guard,
CORS, the limits, a route, an error handler) has them. One layer rather than one each
because every layer costs each request a coroutine and each message a ``send`` wrapper.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.answers import new_answer
from server.api.request_audit import RequestAudit
from server.api.request_ids import REQUEST_ID_HEADER, AccessLog, request_id_for
from server.api.security_headers import no_store, secured
from server.logs import REQUEST_ID
from server.metrics.http import HttpMetrics


class Envelope:
    """ASGI middleware, outermost: see the module's docstring."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, access_log: AccessLog) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        private = no_store(scope["path"])
        answer = new_answer(scope)

        async def send_answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.start(message["status"])
                headers = secured(
                    message.get("headers", ()),
                    private=private,
                    # Read now: a trusted proxy's X-Forwarded-Proto set it on the way in.
                    secure=scope.get("scheme") == "https",
                )
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            audit = await RequestAudit.begin(scope)
            try:
                await self.app(scope, receive, send_answer)
            finally:
                if audit is not None:
                    audit.end(answer.status)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe(scope, answer.status, seconds)
            if self.access_log.enabled:
                self.access_log.log(scope, answer.status, seconds)
            REQUEST_ID.reset(token)
