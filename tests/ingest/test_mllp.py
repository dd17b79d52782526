"""The MLLP listener started by the app: real sockets on 127.0.0.1, ACK after commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from hl7.framing import frame
from server.app import create_app
from server.hl7v2.listener import IngestRuntime
from server.settings import Settings
from server.storage.port import Store
from tests.ingest.messages import adt, unsupported, without_pid

pytestmark = pytest.mark.anyio


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update={"mllp_port": 0}))
    async with app.router.lifespan_context(app):
        yield app


async def exchange(port: int, payloads: list[bytes], expect: int | None = None) -> list[bytes]:
    """Send framed payloads on one connection; return ``expect`` ACK payloads (one a frame)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"".join(payloads))
        await writer.drain()
        acks = []
        count = expect if expect is not None else sum(p.count(b"\x1c") for p in payloads)
        for _ in range(count):
            answer = await asyncio.wait_for(reader.readuntil(b"\x1c\r"), 10)
            acks.append(answer.strip(b"\x0b\x1c\r"))
        return acks
    finally:
        writer.close()
        await writer.wait_closed()


async def test_ack_comes_after_the_resources_are_committed(running: FastAPI) -> None:
    runtime: IngestRuntime = running.state.hl7
    assert runtime.mllp is not None
    store: Store = running.state.store

    (ack,) = await exchange(runtime.mllp.port, [frame(adt("MLLP1"))])

    assert b"MSA|AA|MLLP1" in ack
    entry = await store.ledger_get("LEGACY|NORTH", "MLLP1")
    assert entry is not None
    assert entry.outcome == "applied"
    (reference,) = entry.touched
    resource_type, resource_id = reference.split("/")[:2]
    stored = await store.read(resource_type, resource_id)
    assert stored is not None
    assert stored.version == 1


async def test_many_messages_garbage_and_refusals_on_one_connection(running: FastAPI) -> None:
    runtime: IngestRuntime = running.state.hl7
    assert runtime.mllp is not None
    payloads = [
        b"garbage outside any frame",
        frame(adt("M1")),
        frame(unsupported("M2")),
        frame(adt("M1")),
        frame(adt("M3", event="A08", family="Roe", when="20240107")),
        frame(without_pid("M4")),
    ]

    acks = await exchange(runtime.mllp.port, payloads)

    assert [a.split(b"\r")[1].split(b"|")[1:3] for a in acks] == [
        [b"AA", b"M1"],
        [b"AR", b"M2"],
        [b"AA", b"M1"],
        [b"AA", b"M3"],
        [b"AE", b"M4"],
    ]
    assert b"ERR|" in acks[1]
    err = acks[4].split(b"\r")[2].split(b"|")
    assert err[0] == b"ERR"
    assert err[4] == b"E"
    assert b"PID" in err[8]  # ERR-8: the reason, for a person


async def test_listener_survives_a_client_that_vanishes_mid_frame(running: FastAPI) -> None:
    runtime: IngestRuntime = running.state.hl7
    assert runtime.mllp is not None
    _, writer = await asyncio.open_connection("127.0.0.1", runtime.mllp.port)
    writer.write(b"\x0bMSH|^~\\&|HALF")
    await writer.drain()
    writer.close()
    await writer.wait_closed()

    (ack,) = await exchange(runtime.mllp.port, [frame(adt("AFTER"))])

    assert b"MSA|AA|AFTER" in ack


async def test_an_incoming_ack_is_not_acknowledged(running: FastAPI) -> None:
    runtime: IngestRuntime = running.state.hl7
    assert runtime.mllp is not None
    ack_from_peer = b"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20240105||ACK^A04|A1|P|2.5.1\rMSA|AA|X1"

    acks = await exchange(runtime.mllp.port, [frame(ack_from_peer), frame(adt("AFTER-ACK"))], 1)

    assert acks[0].split(b"\r")[1].startswith(b"MSA|AA|AFTER-ACK")


async def test_many_connections_at_once(running: FastAPI) -> None:
    runtime: IngestRuntime = running.state.hl7
    assert runtime.mllp is not None
    store: Store = running.state.store

    async def client(number: int) -> list[bytes]:
        payloads = [
            frame(adt(f"C{number}-{n}", mrn=f"MRN{number}", family=f"F{n}", when=f"2024010{n + 1}"))
            for n in range(5)
        ]
        return await exchange(runtime.mllp.port, payloads)  # type: ignore[union-attr]

    answers = await asyncio.gather(*(client(number) for number in range(6)))

    assert all(b"MSA|AA|" in ack for acks in answers for ack in acks)
    assert sum(len(acks) for acks in answers) == 30
    for number in range(6):
        entry = await store.ledger_get("LEGACY|NORTH", f"C{number}-4")
        assert entry is not None
        resource_type, resource_id = entry.touched[0].split("/")[:2]
        latest = await store.read(resource_type, resource_id)
        assert latest is not None
        assert latest.version == 5  # each update applied once, in order
