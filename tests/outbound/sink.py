"""A local MLLP destination for the outbound feed's tests: it records and acknowledges."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from hl7.ack import AckCode, AckError, build_ack
from hl7.er7 import Message, parse
from hl7.mllp import MllpServer, serve_mllp

WAIT_S = 10.0  # how long a test waits for what the feed delivers

# The identity the sink is known by (MSH-3/MSH-4 of its own messages).
APPLICATION, FACILITY = "LEGACY", "NORTH"


class Sink:
    """Listens on one port (kept across ``stop``/``start``), answers AA or AE."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.received: list[Message] = []
        self.answer = AckCode.ACCEPT
        self.port = 0
        self._server: MllpServer | None = None
        self._arrived = asyncio.Condition()

    async def start(self) -> None:
        self._server = await serve_mllp("127.0.0.1", self.port, self._handle, ssl=self.tls)
        self.port = self._server.port

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def _handle(self, payload: bytes) -> bytes:
        message = parse(payload)
        async with self._arrived:
            self.received.append(message)
            self._arrived.notify_all()
        errors = [] if self.answer is AckCode.ACCEPT else [AckError("Unknown patient class")]
        return build_ack(message, self.answer, errors, text="sink says so").encode()

    async def wait_for(self, count: int) -> list[Message]:
        """The first ``count`` messages received, waiting for them up to ``WAIT_S``."""
        async with asyncio.timeout(WAIT_S), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return self.received[:count]

    def types(self) -> list[str]:
        return [f"{m.message_code}^{m.trigger_event}" for m in self.received]


def field(message: Message, name: str, number: int, component: int = 1) -> str:
    """A field (component) of a message's first segment ``name``, which must be there."""
    segment = message.segment(name)
    assert segment is not None, f"no {name} in {message.segments_named('MSH')}"
    return segment.get(number, component)


def outbound_file(
    path: Path,
    port: int,
    tls: str = "",
    window: int = 1,
    messages: tuple[str, ...] = (
        "ADT^A04",
        "ADT^A08",
        "ADT^A40",
        "SIU^S12",
        "SIU^S14",
        "SIU^S15",
        "SIU^S17",
    ),
) -> Path:
    """A feed file with one destination, the sink on ``port``, retrying fast."""
    path.write_text(
        "sender: {application: FHIRPORT, facility: MAIN}\n"
        "retry_initial_seconds: 0.05\n"
        "retry_max_seconds: 0.2\n"
        "destinations:\n"
        "  - name: legacy\n"
        "    host: 127.0.0.1\n"
        f"    port: {port}\n"
        f"    application: {APPLICATION}\n"
        f"    facility: {FACILITY}\n"
        f"    messages: [{', '.join(messages)}]\n"
        "    timeout: 2\n"
        f"    window: {window}\n"
        f"{tls}"
    )
    return path
