"""The MLLP listener's connection cap, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from hl7.framing import frame
from hl7.mllp import MllpServer, serve_mllp
from tests.hl7.test_mllp import HOST, acknowledge, adt, msa, read_frames

pytestmark = pytest.mark.anyio

CAP = 2
CLIENTS = 6
ROUNDS = 3


async def answered(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tag: str) -> bool:
    """Send one message; True if it was acknowledged, False if the listener had closed."""
    try:
        writer.write(frame(adt(tag).encode()))
        await writer.drain()
        async with asyncio.timeout(5):
            (answer,) = await read_frames(reader, 1)
    except (AssertionError, ConnectionError):  # read_frames asserts on a closed connection
        return False
    return msa(answer) == ("AA", tag)


async def wait_idle(listening: MllpServer) -> None:
    async with asyncio.timeout(5):
        await listening.wait_idle()


async def released_together(
    go: asyncio.Event, pair: tuple[asyncio.StreamReader, asyncio.StreamWriter], tag: str
) -> bool:
    await go.wait()
    return await answered(*pair, tag)


async def test_connections_past_the_cap_are_closed_and_the_rest_served() -> None:
    async with await serve_mllp(HOST, 0, acknowledge, max_connections=CAP) as listening:
        for round_number in range(ROUNDS):
            # Accepted in the order they connect: the first CAP are the ones served.
            connections = [
                await asyncio.open_connection(HOST, listening.port) for _ in range(CLIENTS)
            ]
            go = asyncio.Event()
            tasks = [
                asyncio.create_task(released_together(go, pair, f"R{round_number}C{index}"))
                for index, pair in enumerate(connections)
            ]
            go.set()
            results = await asyncio.gather(*tasks)
            for _, writer in connections:
                writer.close()
            await wait_idle(listening)

            assert results == [True] * CAP + [False] * (CLIENTS - CAP), round_number


async def test_a_freed_slot_takes_a_new_connection() -> None:
    async with await serve_mllp(HOST, 0, acknowledge, max_connections=1) as listening:
        first = await asyncio.open_connection(HOST, listening.port)
        assert await answered(*first, "FIRST")
        refused = await asyncio.open_connection(HOST, listening.port)
        async with asyncio.timeout(5):
            assert await refused[0].read() == b""
        first[1].close()
        await wait_idle(listening)

        later = await asyncio.open_connection(HOST, listening.port)

        assert await answered(*later, "LATER")
        for _, writer in (refused, later):
            writer.close()
