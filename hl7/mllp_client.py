"""A small MLLP client: send messages over one connection and collect the answers."""

from __future__ import annotations

import asyncio
import contextlib
import ssl as _ssl
from collections.abc import Iterable
from typing import Final

from hl7.framing import FrameDecoder, FrameTooLarge, frame

__all__ = ["send_messages"]

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
    reader, writer = await asyncio.open_connection(host, port, ssl=ssl)
    try:
        decoder = FrameDecoder(_MAX_ANSWER_BYTES)
        pending: list[bytes] = []
        answers: list[bytes] = []
        for message in messages:
            payload = message.encode("utf-8") if isinstance(message, str) else message
            writer.write(frame(payload))
            await writer.drain()
            answers.append(await _next_frame(reader, decoder, pending))
        return answers
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
