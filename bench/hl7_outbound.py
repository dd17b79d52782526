"""Outbound HL7v2 feed throughput: outbox entries delivered to a local MLLP sink (not a test).

    .venv/bin/python -m bench.hl7_outbound [--patients 5000] [--store sqlite|memory] [--window 1]

Creates ``--patients`` Patients through the resource service (the REST write path
without HTTP) with the feed's destination down, so each leaves an ADT^A04 pending in
the outbox; then starts the sink (a separate process: an MLLP listener that parses each
message and answers AA) and the feed's sender, and times the drain until nothing is
pending. Every message is built from the stored version, sent, acknowledged and
recorded as sent, as in the server. ``--window`` is the destination's window (messages
on the wire before their ACKs are read; 1, the default, is one at a time). Target: 500
messages/s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import tempfile
import time
from functools import partial
from pathlib import Path

from hl7.ack import build_ack
from hl7.er7 import parse
from hl7.mllp import serve_mllp
from mappers.config import MappingConfig
from server.hl7v2.outbound.feed import outbound_feed
from server.interactions import ResourceService
from server.search.extract import extract_index
from server.storage.factory import store_from_url
from server.storage.port import OutboxQuery, Store


async def _sink(port: int, ready: multiprocessing.synchronize.Event) -> None:
    async def answer(payload: bytes) -> bytes:
        return build_ack(parse(payload)).encode()

    server = await serve_mllp("127.0.0.1", port, answer)
    ready.set()
    async with server:
        await asyncio.Event().wait()


def run_sink(port: int, ready: multiprocessing.synchronize.Event) -> None:
    """The sink process: answer AA to everything on ``port`` until terminated."""
    asyncio.run(_sink(port, ready))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def patient(number: int) -> dict[str, object]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": f"MRN{number}"}],
        "name": [{"family": f"Family{number}", "given": ["Ann", "Marie"]}],
        "gender": "female",
        "birthDate": "1980-02-14",
        "address": [{"line": [f"{number} Main St"], "city": "Springfield", "postalCode": "01101"}],
        "telecom": [{"system": "phone", "value": "555-0100", "use": "home"}],
    }


async def pending(store: Store) -> int:
    return len(await store.outbox_list(OutboxQuery("pending", None, 100_000)))


async def bench(patients: int, store_url: str, folder: Path, window: int) -> None:
    port = free_port()
    feed_file = folder / "outbound.yaml"
    feed_file.write_text(
        "destinations:\n"
        f"  - {{name: sink, host: 127.0.0.1, port: {port}, application: SINK,"
        f" messages: [ADT^A04], window: {window}}}\n"
    )
    store = store_from_url(store_url)
    await store.open()
    outbound = outbound_feed(store, feed_file, MappingConfig())
    indexer = partial(extract_index, base_urls=())
    service = ResourceService(store, indexer, outbound=outbound.writer)
    started = time.perf_counter()
    writers = asyncio.Semaphore(32)

    async def create(number: int) -> None:
        async with writers:
            await service.create("Patient", patient(number))

    await asyncio.gather(*(create(n) for n in range(patients)))
    wrote = time.perf_counter() - started
    print(
        f"created {patients} Patients with their outbox entries in {wrote:.1f} s "
        f"({patients / wrote:,.0f}/s)"
    )
    assert await pending(store) == patients

    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    sink = spawn.Process(target=run_sink, args=(port, ready), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        await outbound.sender.start()
        while await store.outbox_due("sink", 1):  # noqa: ASYNC110 - the store is the signal
            await asyncio.sleep(0.05)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        await outbound.sender.close()
    finally:
        sink.terminate()
        sink.join()
    sent = len(await store.outbox_list(OutboxQuery("sent", "sink", 100_000)))
    print(
        f"delivered {sent} of {patients} ADT^A04 (AA) in {took:.2f} s: "
        f"{sent / took:,.0f} messages/s (target 500); the server process's CPU (every "
        f"thread) {cpu / max(sent, 1) * 1e6:,.0f} µs a message"
    )
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    parser.add_argument("--window", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3" if args.store == "sqlite" else "memory://"
        asyncio.run(bench(args.patients, url, Path(folder), args.window))


if __name__ == "__main__":
    main()
