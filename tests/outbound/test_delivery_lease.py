"""One sender per destination on a shared store: the outbox's delivery lease.

Two runtimes on one store (two servers on one SQLite file, or two senders on one
``memory://`` database) each run a sender; each entry reaches the destination once.
A server killed while it held the lease leaves its entries pending: another takes them
over once the lease expires, not before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
import pytest

from server.fhir.clock import now_us
from server.hl7v2.outbound.delivery import OutboundSender
from server.hl7v2.outbound.feed import outbound_feed
from server.runtime import Runtime
from server.settings import Settings
from server.storage.factory import store_from_url
from server.storage.port import Store
from tests.conftest import make_patient, running_app
from tests.outbound.sink import Sink
from tests.outbound.test_feed import create, outbox
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

PATIENTS = 12
LEASE_S = 1.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The feed's settings, with a short lease."""
    assert settings.hl7_outbound is not None
    feed = settings.hl7_outbound
    feed.write_text(feed.read_text() + f"lease_seconds: {LEASE_S}\n")
    return settings


@asynccontextmanager
async def app_with_runtime(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    async with running_app(settings) as http:
        yield http, http.app.state.runtime  # type: ignore[attr-defined]


@asynccontextmanager
async def second_sender(runtime: Runtime, settings: Settings) -> AsyncIterator[OutboundSender]:
    """Another runtime's sender: on a store of its own on the same SQLite file; on the
    same store where the data lives in this process only (``memory://``)."""
    assert settings.hl7_outbound is not None
    shared = settings.store.startswith("sqlite")
    store: Store = store_from_url(settings.store) if shared else runtime.store
    if shared:
        await store.open()
    outbound = outbound_feed(store, settings.hl7_outbound, runtime.ingestor.config)
    await outbound.sender.start()
    try:
        yield outbound.sender
    finally:
        await outbound.sender.close()
        if shared:
            await store.close()


async def _all_settled(http: httpx.AsyncClient, count: int) -> None:
    async with asyncio.timeout(10):
        while len([e for e in await outbox(http) if e["status"] == "sent"]) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_two_senders_on_one_store_deliver_each_entry_once(
    settings: Settings, sink: Sink
) -> None:
    async with app_with_runtime(settings) as (http, runtime):
        await runtime.outbound.sender.close()  # type: ignore[union-attr]
        patients = [make_patient(identifier=[{"value": f"MRN-{n}"}]) for n in range(PATIENTS)]
        await released_together([partial(create, http, p) for p in patients])
        async with second_sender(runtime, settings), second_sender(runtime, settings):
            await _all_settled(http, PATIENTS)
            await asyncio.sleep(0.3)  # a second delivery, if any, has arrived by now

    control_ids = [m.segment("MSH").get(10) for m in sink.received]  # type: ignore[union-attr]
    assert len(control_ids) == PATIENTS, sorted(control_ids)
    assert len(set(control_ids)) == PATIENTS


async def test_a_dead_senders_entries_are_taken_over_once_its_lease_expires(
    settings: Settings, sink: Sink
) -> None:
    async with app_with_runtime(settings) as (http, runtime):
        await runtime.outbound.sender.close()  # type: ignore[union-attr]
        dead_until = now_us() + int(LEASE_S * 1_000_000)
        assert await runtime.store.outbox_lease("legacy", "killed-server", dead_until, now_us())
        await create(http, make_patient())
        async with second_sender(runtime, settings):
            await asyncio.sleep(LEASE_S / 2)
            assert sink.received == [], "delivered while the dead server's lease ran"
            received = await sink.wait_for(1)
        arrived = now_us()

    assert arrived >= dead_until
    assert [m.segment("MSH").get(9, 2) for m in received] == ["A04"]  # type: ignore[union-attr]
