"""The MLLP listener over real sockets on 127.0.0.1, and the client helper."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from hl7.ack import ack_bytes, ack_for_raw, build_ack, error_from_parse
from hl7.er7 import ParseError, parse
from hl7.framing import FrameDecoder, frame
from hl7.mllp import MllpServer, serve_mllp
from hl7.mllp_client import send_messages

pytestmark = pytest.mark.anyio

HOST = "127.0.0.1"


def adt(control_id: str, extra: str = "") -> str:
    return (
        f"MSH|^~\\&|LEGACY|GENHOSP|FHIRPORT|MIGRATION|20240131083000||ADT^A04|{control_id}|P|2.5"
        f"\rPID|1||MRN-{control_id}^^^GENHOSP^MR{extra}"
    )


async def acknowledge(payload: bytes) -> bytes:
    """AA for a readable message, AR for an unreadable one; a ZER segment makes it raise."""
    try:
        message = parse(payload)
    except ParseError as exc:
        return ack_bytes(ack_for_raw(payload, error_from_parse(exc)))
    if message.segment("ZER") is not None:
        raise RuntimeError("the handler broke")
    if message.message_code == "ACK":
        return b""  # an ACK is never acknowledged
    return ack_bytes(build_ack(message))


@pytest.fixture
async def server() -> AsyncIterator[MllpServer]:
    async with await serve_mllp(HOST, 0, acknowledge, max_frame_bytes=4096) as listening:
        yield listening


def msa(answer: bytes) -> tuple[str, str]:
    segment = parse(answer).segment("MSA")
    assert segment is not None
    return segment.get(1), segment.get(2)


async def read_frames(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    decoder = FrameDecoder(1 << 20)
    frames: list[bytes] = []
    while len(frames) < count:
        data = await reader.read(4096)
        assert data, "the listener closed the connection"
        frames += [f for f in decoder.feed(data) if isinstance(f, bytes)]
    return frames


async def exchange(server: MllpServer, pieces: list[bytes], answers: int) -> list[bytes]:
    """Write raw bytes piece by piece on a fresh connection and read ``answers`` frames."""
    reader, writer = await asyncio.open_connection(HOST, server.port)
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0)  # let the listener see each piece on its own
        async with asyncio.timeout(5):
            return await read_frames(reader, answers)
    finally:
        writer.close()
        await writer.wait_closed()


async def wait_until_idle(server: MllpServer) -> None:
    async with asyncio.timeout(5):
        await server.wait_idle()
    assert server.connection_count == 0


async def test_messages_on_one_connection_are_answered_in_order(server: MllpServer) -> None:
    answers = await send_messages(HOST, server.port, [adt(f"M{i}") for i in range(5)])

    assert [msa(a) for a in answers] == [("AA", f"M{i}") for i in range(5)]


async def test_many_concurrent_connections(server: MllpServer) -> None:
    async def client(n: int) -> list[tuple[str, str]]:
        answers = await send_messages(HOST, server.port, [adt(f"C{n}-{i}") for i in range(10)])
        return [msa(a) for a in answers]

    async with asyncio.timeout(30):
        results = await asyncio.gather(*(client(n) for n in range(25)))

    for n, result in enumerate(results):
        assert result == [("AA", f"C{n}-{i}") for i in range(10)]
    await wait_until_idle(server)


async def test_garbage_before_a_frame_is_skipped(server: MllpServer) -> None:
    garbage = b"GET / HTTP/1.1\r\n\r\n\x00\xff\x1c\r"

    answers = await exchange(server, [garbage + frame(adt("G1").encode())], answers=1)

    assert msa(answers[0]) == ("AA", "G1")


async def test_a_frame_sent_in_pieces_is_answered_once_complete(server: MllpServer) -> None:
    data = frame(adt("P1").encode())

    answers = await exchange(server, [data[i : i + 7] for i in range(0, len(data), 7)], answers=1)

    assert msa(answers[0]) == ("AA", "P1")


async def test_clients_that_vanish_do_not_hurt_the_listener(server: MllpServer) -> None:
    # One leaves in the middle of a frame, one without reading its answer, one resets.
    _, half = await asyncio.open_connection(HOST, server.port)
    half.write(b"\x0bMSH|^~\\&|half a message")
    await half.drain()
    half.close()
    _, rude = await asyncio.open_connection(HOST, server.port)
    rude.write(frame(adt("V1").encode()) * 20)
    await rude.drain()
    rude.transport.abort()

    await wait_until_idle(server)
    answers = await send_messages(HOST, server.port, [adt("AFTER")])

    assert msa(answers[0]) == ("AA", "AFTER")


async def test_oversized_frame_gets_an_ar_and_the_connection_goes_on(server: MllpServer) -> None:
    big = adt("BIG", extra="\rNTE|1||" + "x" * 10_000)

    answers = await send_messages(HOST, server.port, [big, adt("NEXT")])

    code, control_id = msa(answers[0])
    assert (code, control_id) == ("AR", "BIG")
    err = parse(answers[0]).segment("ERR")
    assert err is not None
    assert "accepts 4096" in err.get(8)
    assert msa(answers[1]) == ("AA", "NEXT")


async def test_handler_exception_becomes_ae_and_the_listener_lives(server: MllpServer) -> None:
    answers = await send_messages(HOST, server.port, [adt("E1", extra="\rZER|1"), adt("E2")])

    assert msa(answers[0]) == ("AE", "E1")
    err = parse(answers[0]).segment("ERR")
    assert err is not None
    assert err.get(3) == "207"
    assert "broke" not in answers[0].decode()  # the exception text is logged, never sent
    assert msa(answers[1]) == ("AA", "E2")


async def test_unreadable_payload_is_rejected(server: MllpServer) -> None:
    answers = await send_messages(HOST, server.port, [b"this is not HL7", adt("OK")])

    assert msa(answers[0]) == ("AR", "")
    assert msa(answers[1]) == ("AA", "OK")


async def test_an_empty_answer_sends_nothing(server: MllpServer) -> None:
    incoming_ack = build_ack(parse(adt("X")), control_id="ACK1")
    data = frame(incoming_ack.encode()) + frame(adt("AFTER-ACK").encode())

    answers = await exchange(server, [data], answers=1)

    assert [msa(a) for a in answers] == [("AA", "AFTER-ACK")]


async def test_close_ends_idle_connections(caplog: pytest.LogCaptureFixture) -> None:
    listening = await serve_mllp(HOST, 0, acknowledge)
    reader, writer = await asyncio.open_connection(HOST, listening.port)
    writer.write(frame(adt("OPEN").encode()))
    async with asyncio.timeout(5):
        await read_frames(reader, 1)  # answered, so the connection is surely open
    assert listening.connection_count == 1

    async with asyncio.timeout(5):
        await listening.close()
        assert await reader.read() == b""

    assert listening.connection_count == 0
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)  # asyncio reports a badly ended connection task on a later tick
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_idle_timeout_closes_a_silent_connection() -> None:
    async with await serve_mllp(HOST, 0, acknowledge, idle_timeout=0.2) as listening:
        reader, writer = await asyncio.open_connection(HOST, listening.port)
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()


async def test_client_raises_when_the_peer_closes_without_answering() -> None:
    async def silent(_: bytes) -> bytes:
        return b""

    async with await serve_mllp(HOST, 0, silent, idle_timeout=0.2) as listening:
        with pytest.raises(ConnectionError):
            await send_messages(HOST, listening.port, [adt("S1")])
