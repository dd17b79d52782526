"""Limits on what one HTTP request may ask: the length of its URL, the number of its
query parameters, and the time a read may take. Each refusal is an OperationOutcome.

- A request target (path and query) longer than ``max_url_length`` bytes: 414 URI Too
  Long, issue ``too-long``.
- More than ``max_query_params`` query parameters: 400, issue ``too-costly``.
- A read (GET, HEAD, ``POST .../_search``) still running after ``timeout`` seconds (give
  or take a second) is cancelled and answered 503 with ``Retry-After``, issue
  ``timeout``: the server, not the client, ran out of time (408 is for a client too
  slow to send its request, which server.serving answers). Writes are never cut off:
  their store work runs on a thread or a server that a cancelled coroutine cannot stop,
  so a write answered 503 might still commit, and a client that retried would write
  twice. A response whose first bytes were already sent cannot become a 503: that
  connection is closed.

Chain and ``_has`` depth are bounded where searches are parsed (server.search.parse),
``_include:iterate`` depth where includes are resolved (server.search.includes).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from server.api.answers import answer_of
from server.api.negotiation import FHIR_JSON
from server.errors import Issue, operation_outcome

__all__ = ["RETRY_AFTER_SECONDS", "RequestLimits", "send_outcome"]

log = logging.getLogger("fhirport.http")

RETRY_AFTER_SECONDS: Final = 5
_READS: Final = frozenset({"GET", "HEAD"})
_CHECK_EVERY: Final = 1.0


async def send_outcome(
    send: Send, status: int, issues: list[Issue], extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Answer with an OperationOutcome holding ``issues``."""
    body = orjson.dumps(operation_outcome(issues))
    headers = [
        (b"content-type", f"{FHIR_JSON}; charset=utf-8".encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_read(scope: Scope) -> bool:
    method = scope["method"]
    return method in _READS or (method == "POST" and str(scope["path"]).endswith("/_search"))


class RequestLimits:
    """The limits above, for ``server.api.admission`` to apply to each request."""

    def __init__(self, *, max_url_length: int, max_query_params: int, timeout: float) -> None:
        self.max_url_length = max_url_length
        self.max_query_params = max_query_params
        self.timeout = timeout
        self._deadlines = _Deadlines(timeout)

    def refusal(self, scope: Scope) -> tuple[int, Issue] | None:
        """The status and issue refusing the request of ``scope`` outright, or None."""
        query: bytes = scope["query_string"]
        path: bytes = scope.get("raw_path") or str(scope["path"]).encode()
        length = len(path) + (len(query) + 1 if query else 0)
        if length > self.max_url_length:
            reason = (
                f"The request URL is {length} bytes long; this server takes at most "
                f"{self.max_url_length}. Send long searches as POST [type]/_search."
            )
            return 414, Issue(reason, "too-long")
        # Counting separators first keeps the common short query free of a split.
        if query.count(b"&") >= self.max_query_params:
            count = sum(1 for part in query.split(b"&") if part)
            if count > self.max_query_params:
                reason = (
                    f"The request has {count} query parameters; this server takes at most "
                    f"{self.max_query_params} query parameters in one request"
                )
                return 400, Issue(reason, "too-costly")
        return None

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``app`` for the request, within the time budget when it is a read."""
        if not _is_read(scope):
            await app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None  # an ASGI app always runs in a task
        self._deadlines.enter(task)
        try:
            await app(scope, receive, send)
        except asyncio.CancelledError:
            # Someone else's cancellation (shutdown, a client gone) goes on up.
            if not self._deadlines.expired(task) or task.uncancel() > 0:
                raise
            timed_out = True
        else:
            timed_out = False
            if self._deadlines.expired(task):
                task.uncancel()  # the app finished although it was cancelled
        finally:
            self._deadlines.leave(task)
        if not timed_out:
            return
        log.warning("%s %s took longer than %s s", scope["method"], scope["path"], self.timeout)
        if answer_of(scope).started:
            # The answer's first bytes are out: the server can only close the connection.
            raise TimeoutError(f"the response took longer than {self.timeout} s")
        reason = (
            f"The request took longer than this server allows ({self.timeout} s); "
            "narrow it (fewer results per page, fewer _include) or try again later"
        )
        retry = ((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),)
        await send_outcome(send, 503, [Issue(reason, "timeout")], retry)


class _Deadlines:
    """The reads running and when each must end.

    One timer per event loop fires at most every second, while reads run, and cancels
    those past their deadline: a read costs a dict entry rather than a timer of its own,
    and may run up to a second past its budget.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._interval = min(_CHECK_EVERY, timeout / 4)
        self._running: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._armed_on: asyncio.AbstractEventLoop | None = None

    def enter(self, task: asyncio.Task[Any]) -> None:
        loop = task.get_loop()
        self._running[task] = loop.time() + self.timeout
        if self._armed_on is not loop:
            self._arm(loop)

    def expired(self, task: asyncio.Task[Any]) -> bool:
        return task in self._expired

    def leave(self, task: asyncio.Task[Any]) -> None:
        self._running.pop(task, None)
        self._expired.discard(task)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        self._armed_on = loop
        loop.call_later(self._interval, self._check, loop)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for task, deadline in list(self._running.items()):
            if deadline <= now and task not in self._expired and task.get_loop() is loop:
                self._expired.add(task)
                task.cancel()
        if self._running:
            self._arm(loop)
        else:
            self._armed_on = None
