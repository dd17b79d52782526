"""An asyncio MLLP listener: framed messages in, the handler's framed answers out.

Each connection is read in a loop of its own; its messages are answered one by one,
in the order they arrived, so an ACK never overtakes the ACK of an earlier message.
Nothing a client does stops the listener: bytes outside frames are skipped, a frame
over ``max_frame_bytes`` is dropped while it streams in and answered with an AR, a
handler that raises is answered with an AE (and logged with its traceback), and a
client that vanishes mid-frame or mid-answer only ends its own connection. A client
silent for ``idle_timeout`` seconds is disconnected, and past ``max_connections`` open
ones a new connection is closed as soon as it is accepted, so that stuck or
too many clients cannot hold the listener's sockets.

The handler receives a frame's payload (bytes, framing removed) and returns the
answer's payload; returning ``b""`` sends nothing (for example for an incoming ACK,
which must not be acknowledged). ``serve_mllp_for_peers`` builds a handler per
connection from its :class:`Peer` (address, and the TLS client certificate's subject),
for receivers that decide by who is sending.

Given an ``ssl`` context (``hl7.tls.server_context``), the listener speaks MLLP over TLS;
a handshake that fails (under mutual TLS: no client certificate, or one from another
CA) ends that connection before any byte reaches the handler, and is logged and told
to ``on_tls_failure``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl as _ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypedDict, Unpack

from hl7.ack import AckCode, AckError, ack_bytes, ack_for_raw
from hl7.framing import FrameDecoder, FrameTooLarge, frame
from hl7.tls import peer_subject

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_FRAME_BYTES",
    "ConnectionHandler",
    "Handler",
    "ListenOptions",
    "MllpServer",
    "Peer",
    "TlsFailure",
    "serve_mllp",
    "serve_mllp_for_peers",
]

Handler = Callable[[bytes], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Peer:
    """Who is at the other end of one connection."""

    host: str  # the network address, as the socket reports it
    port: int
    certificate_subject: str | None  # RFC 4514, when TLS verified a client certificate


# Called when a connection opens; the handler it returns answers that connection's frames.
ConnectionHandler = Callable[[Peer], Handler]
# Told of each connection whose TLS handshake failed: the peer, and why.
TlsFailure = Callable[[Peer, str], None]

DEFAULT_MAX_FRAME_BYTES: Final = 8 << 20
DEFAULT_IDLE_TIMEOUT: Final = 60.0
_READ_BYTES: Final = 64 << 10
_BACKLOG: Final = 100  # as asyncio.start_server
_ACCEPT_RETRY_DELAY: Final = 1.0  # as asyncio.start_server after EMFILE

log = logging.getLogger("fhirport.mllp")


class MllpServer:
    """A running listener; ``close`` stops accepting and ends open connections.

    It accepts sockets itself rather than through ``asyncio.start_server``: a TLS
    connection is handed to TLS before anything reads from it (a ClientHello read by a
    plain stream first is lost), and a refused handshake still reaches
    ``on_tls_failure`` with its peer, which a server-side handshake would swallow.
    """

    def __init__(
        self, listener: socket.socket, handler_for: ConnectionHandler, options: ListenOptions
    ) -> None:
        self._listener = listener
        self._handler_for = handler_for
        self._options = options
        self._connections: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._accepting = asyncio.create_task(self._accept_forever())

    @property
    def port(self) -> int:
        """The port actually bound (useful when asked to listen on port 0)."""
        return int(self._listener.getsockname()[1])

    def is_serving(self) -> bool:
        """True while the listener accepts connections."""
        return not self._accepting.done()

    @property
    def connection_count(self) -> int:
        """Connections currently open."""
        return len(self._connections)

    async def wait_idle(self) -> None:
        """Return once no connection is open (at once if none is)."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop listening, cancel every connection and wait until all are gone."""
        self._accepting.cancel()
        await asyncio.gather(self._accepting, return_exceptions=True)
        self._listener.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def __aenter__(self) -> MllpServer:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _accept_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, address = await loop.sock_accept(self._listener)
            except OSError as exc:  # out of file descriptors, say: wait, then go on
                log.warning("MLLP listener could not accept a connection: %s", exc)
                await asyncio.sleep(_ACCEPT_RETRY_DELAY)
                continue
            task = asyncio.create_task(self._connection(sock, address))
            self._connections.add(task)
            self._idle.clear()
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._connections.discard(task)
        if not self._connections:
            self._idle.set()

    async def _connection(self, sock: socket.socket, address: object) -> None:
        max_connections = self._options.get("max_connections")
        if max_connections is not None and len(self._connections) > max_connections:
            log.warning(
                "MLLP connection from %s closed: %d connections are already open",
                address,
                max_connections,
            )
            sock.close()
            return
        try:
            stream = await _open_stream(sock, address, self._options)
            if stream is not None:
                await _serve_connection(*stream, self._handler_for, self._options)
        except asyncio.CancelledError:
            pass  # close() cancels connections; each ends quietly
        except Exception:
            log.exception("MLLP connection from %s failed", address)


async def _answer(item: bytes | FrameTooLarge, handler: Handler, max_frame_bytes: int) -> bytes:
    """The answer to one frame; never raises for anything the peer or the handler did."""
    if isinstance(item, FrameTooLarge):
        reason = f"the message is {item.size} bytes; this listener accepts {max_frame_bytes}"
        return ack_bytes(ack_for_raw(item.head, AckError(reason, "207")))
    try:
        return await handler(item)
    except Exception:
        log.exception("the MLLP handler failed; answering AE")
        error = AckError("the receiver failed while processing this message", "207")
        return ack_bytes(ack_for_raw(item, error, AckCode.ERROR))


async def _serve_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handler_for: ConnectionHandler,
    options: ListenOptions,
) -> None:
    peer = writer.get_extra_info("peername")
    idle_timeout = options.get("idle_timeout", DEFAULT_IDLE_TIMEOUT)
    max_frame_bytes = options.get("max_frame_bytes", DEFAULT_MAX_FRAME_BYTES)
    decoder = FrameDecoder(max_frame_bytes)
    try:
        handler = handler_for(_peer_of(peer, writer.get_extra_info("peercert")))
        while True:
            async with asyncio.timeout(idle_timeout):
                data = await reader.read(_READ_BYTES)
            if not data:
                break
            for item in decoder.feed(data):
                answer = await _answer(item, handler, max_frame_bytes)
                if answer:
                    writer.write(frame(answer))
                    await writer.drain()
    except (ConnectionError, TimeoutError) as exc:
        log.info("MLLP connection from %s ended: %s", peer, type(exc).__name__)
    finally:
        if decoder.in_frame:
            log.warning("MLLP connection from %s closed in the middle of a frame", peer)
        if decoder.skipped_bytes or decoder.abandoned_frames:
            log.warning(
                "MLLP connection from %s: %d bytes outside frames, %d frames abandoned",
                peer,
                decoder.skipped_bytes,
                decoder.abandoned_frames,
            )
        writer.close()
        with contextlib.suppress(ConnectionError, _ssl.SSLError):
            await writer.wait_closed()


async def _open_stream(
    sock: socket.socket, address: object, options: ListenOptions
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """Streams over an accepted socket, after the TLS handshake when the listener speaks TLS.

    None (logged, and told) when the handshake fails: under mutual TLS, a client with no
    certificate or one from another CA, which must be seen, not dropped silently.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    context = options.get("ssl")
    if context is None:
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock)
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)
    timeout = options.get("idle_timeout", DEFAULT_IDLE_TIMEOUT)
    try:
        transport, _ = await loop.connect_accepted_socket(
            lambda: protocol, sock, ssl=context, ssl_handshake_timeout=timeout
        )
    except (_ssl.SSLError, ConnectionError, TimeoutError) as exc:
        peer = _peer_of(address, None)
        reason = f"TLS handshake failed: {getattr(exc, 'reason', None) or type(exc).__name__}"
        log.warning("MLLP connection from %s refused: %s", peer.host, reason)
        on_failure = options.get("on_tls_failure")
        if on_failure is not None:
            on_failure(peer, reason)
        return None
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


def _peer_of(address: object, peercert: dict[str, Any] | None) -> Peer:
    host, port = (str(address[0]), int(address[1])) if isinstance(address, tuple) else ("", 0)
    return Peer(host, port, peer_subject(peercert))


class ListenOptions(TypedDict, total=False):
    """How a listener bounds its clients, and whether it speaks TLS."""

    max_frame_bytes: int  # default DEFAULT_MAX_FRAME_BYTES
    idle_timeout: float | None  # default DEFAULT_IDLE_TIMEOUT; also bounds a TLS handshake
    max_connections: int | None  # default: no cap
    ssl: _ssl.SSLContext | None  # hl7.tls.server_context; default: plain TCP
    on_tls_failure: TlsFailure  # e.g. to record a client refused under mutual TLS


async def serve_mllp(
    host: str, port: int, handler: Handler, **options: Unpack[ListenOptions]
) -> MllpServer:
    """Listen for MLLP connections on host:port (port 0 picks a free one)."""
    return await serve_mllp_for_peers(host, port, lambda _: handler, **options)


async def serve_mllp_for_peers(
    host: str, port: int, handler_for: ConnectionHandler, **options: Unpack[ListenOptions]
) -> MllpServer:
    """Like ``serve_mllp``, with each connection answered by ``handler_for(its peer)``."""
    listener = socket.create_server((host, port), backlog=_BACKLOG)
    listener.setblocking(False)
    return MllpServer(listener, handler_for, options)
