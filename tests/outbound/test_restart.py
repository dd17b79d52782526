"""Nothing the REST API acknowledged is lost when the server stops before delivering it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.settings import Settings
from tests.conftest import STORE_KINDS, make_patient, running_app, store_url_for
from tests.outbound.sink import Sink, field, outbound_file
from tests.outbound.test_feed import create, outbox, settled

pytestmark = pytest.mark.anyio

DURABLE = [kind for kind in STORE_KINDS if kind != "memory"]  # memory:// ends with its process


@pytest.mark.parametrize("kind", DURABLE)
async def test_pending_entries_are_sent_after_a_restart(
    kind: str, sink: Sink, tmp_path: Path
) -> None:
    settings = Settings(
        store=store_url_for(kind, tmp_path),
        allowed_hosts=("testserver",),
        auth="none",
        hl7_outbound=outbound_file(tmp_path / "outbound.yaml", sink.port),
    )
    await sink.stop()
    async with running_app(settings) as client:
        await create(client, make_patient())
        await create(client, make_patient(identifier=[{"value": "MRN-2"}]))
        assert [e["status"] for e in await outbox(client)] == ["pending", "pending"]

    await sink.start()
    async with running_app(settings) as client:
        received = await sink.wait_for(2)
        await settled(client, 2)

    assert [field(m, "PID", 3) for m in received] == ["MRN-1", "MRN-2"]


@pytest.mark.parametrize("kind", DURABLE)
async def test_sent_entries_older_than_kept_are_purged_at_start(
    kind: str, sink: Sink, tmp_path: Path
) -> None:
    feed = outbound_file(tmp_path / "outbound.yaml", sink.port)
    settings = Settings(
        store=store_url_for(kind, tmp_path),
        allowed_hosts=("testserver",),
        auth="none",
        hl7_outbound=feed,
    )
    async with running_app(settings) as client:
        await create(client, make_patient())
        await settled(client, 1)
    feed.write_text(feed.read_text() + "keep_sent_days: 0.000001\n")

    async with running_app(settings) as client:
        await asyncio.sleep(0.3)
        assert await outbox(client) == []
