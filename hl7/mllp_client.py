"""A small MLLP client: send messages over one connection and collect the answers."""

from __future__ import annotations

import asyncio
import contextlib
import ssl as _ssl
from collections.abc import Iterable
from typing import Final

from hl7.framing import FrameDecoder, FrameTooLarge, frame

__all__ = ["MllpConnection", "send_messages"]

_MAX_ANSWER_BYTES: Final = 8 << 20
_READ_BYTES: Final = 64 << 10


async def _next_frame(
    reader: asyncio.StreamReader, decoder: FrameDecoder, pending: list[bytes]
) -> bytes:
    while not pending:
        data = await reader.read(_READ_BYTES)
        if not data:
            raise ConnectionError("the MLLP peer closed the connection before answering")
        for item in decoder.feed(data):
            if isinstance(item, FrameTooLarge):
                raise ConnectionError(f"the MLLP peer sent an answer of {item.size} bytes")
            pending.append(item)
    return pending.pop(0)


class MllpConnection:
    """One open MLLP connection: send a message, wait for its answer, as often as needed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._decoder = FrameDecoder(_MAX_ANSWER_BYTES)
        self._pending: list[bytes] = []

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        ssl: _ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> MllpConnection:
        """Connect (over TLS with ``ssl``, checking the certificate against
        ``server_hostname``, default ``host``)."""
        reader, writer = await asyncio.open_connection(
            host, port, ssl=ssl, server_hostname=server_hostname if ssl else None
        )
        return cls(reader, writer)

    async def exchange(self, message: bytes | str) -> bytes:
        """Send one message framed and return the payload of the answer."""
        await self.send(message)
        return await self.receive()

    async def send(self, message: bytes | str) -> None:
        """Send one message framed (``str`` as UTF-8), not waiting for its answer."""
        payload = message.encode("utf-8") if isinstance(message, str) else message
        self._writer.write(frame(payload))
        await self._writer.drain()

    async def receive(self) -> bytes:
        """The payload of the next answer, in the order the messages were sent."""
        return await _next_frame(self._reader, self._decoder, self._pending)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, _ssl.SSLError):
            await self._writer.wait_closed()


async def send_messages(
    host: str,
    port: int,
    messages: Iterable[bytes | str],
    *,
    ssl: _ssl.SSLContext | None = None,
) -> list[bytes]:
    """Send each message framed, wait for its answer, and return the answers' payloads.

    ``str`` messages are sent as UTF-8; ``ssl`` (``hl7.tls.client_context``) sends them
    over TLS, checking the listener's certificate against ``host``. Raises ConnectionError
    when the peer closes early, ssl.SSLError when the TLS handshake fails; wrap the call in
    ``asyncio.timeout`` to bound how long it may take.
    """
    connection = await MllpConnection.open(host, port, ssl=ssl)
    try:
        return [await connection.exchange(message) for message in messages]
    finally:
        await connection.close()
