"""Run the app under uvicorn, with limits that keep stuck and slow clients from holding it.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) and the
connections it serves at once (``limit_concurrency``: past it, requests get a 503),
but nothing bounds the time a client takes to send its request line and headers: a
connection that sends half a request, or nothing, is held for ever. The protocol
below gives each request ``header_timeout`` seconds from its first byte (or from the
connection's opening) to the end of its headers; a client that is too slow gets a
408 and the connection is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings

log = logging.getLogger("fhirport.http")

_TIMEOUT_BODY = b"The request headers did not arrive in time"
_REQUEST_TIMEOUT = b"".join(
    [
        b"HTTP/1.1 408 Request Timeout\r\n",
        b"content-type: text/plain; charset=utf-8\r\n",
        b"content-length: %d\r\n" % len(_TIMEOUT_BODY),
        b"connection: close\r\n\r\n",
        _TIMEOUT_BODY,
    ]
)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose headers come too slowly."""

    header_timeout: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a client that connects and sends nothing is bounded too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request is stuck behind a response still being written:
            # a 408 now would land inside that response. Look again later.
            self._arm()
            return
        if self._in_headers:
            self.transport.write(_REQUEST_TIMEOUT)
        log.info(
            "Closed a connection from %s: no complete request headers within %s s",
            self.client[0] if self.client else "?",
            self.header_timeout,
        )
        self.transport.close()


def protocol_with_header_timeout(seconds: float) -> type[asyncio.Protocol]:
    """The HTTP protocol class for uvicorn, with ``seconds`` to receive a request's headers."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})


def run(app: ASGIApp, settings: Settings) -> None:
    """Serve ``app`` on settings.host:settings.port until interrupted (HTTPS with tls_cert)."""
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        # The app applies X-Forwarded-* itself, from --forwarded-allow-ips only; uvicorn's
        # own default would believe any process on this machine.
        proxy_headers=False,
        http=protocol_with_header_timeout(settings.header_timeout),
        timeout_keep_alive=settings.timeout_keep_alive,
        limit_concurrency=settings.limit_concurrency,
        # HTTPS directly; behind a TLS-terminating proxy leave both unset (README).
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
