"""The feed over MLLP with mutual TLS: delivered to a destination that checks the client,
held (pending, with the reason) by one whose certificate the feed does not trust."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hl7.tls import server_context
from server.settings import Settings
from tests.conftest import make_patient, running_app
from tests.hl7.certificates import Authority
from tests.outbound.sink import Sink, field, outbound_file
from tests.outbound.test_feed import create, outbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return Authority(tmp_path, "hospital")


@pytest.fixture
async def sink(authority: Authority) -> AsyncIterator[Sink]:
    """A destination requiring a client certificate from ``authority``."""
    server = authority.issue("adt.hospital.test", server=True)
    running = Sink(server_context(server.cert, server.key, client_ca=authority.cert))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def tls_settings(
    settings: Settings, port: int, folder: Path, ca: Path, client: Authority
) -> Settings:
    issued = client.issue("fhirport-feed")
    tls = f"    tls: {{ca: '{ca}', cert: '{issued.cert}', key: '{issued.key}'}}\n"
    feed = outbound_file(folder / "outbound.yaml", port, tls=tls)
    return settings.model_copy(update={"hl7_outbound": feed})


@pytest.fixture
def settings(settings: Settings, sink: Sink, tmp_path: Path, authority: Authority) -> Settings:
    return tls_settings(settings, sink.port, tmp_path, authority.cert, authority)


async def test_a_patient_is_delivered_over_mutual_tls(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    await create(client, make_patient())

    [message] = await sink.wait_for(1)

    assert field(message, "PID", 3) == "MRN-1"


async def test_an_untrusted_destination_keeps_the_entry_pending(
    settings: Settings, sink: Sink, tmp_path: Path, authority: Authority
) -> None:
    stranger = Authority(tmp_path, "elsewhere")
    untrusting = tls_settings(settings, sink.port, tmp_path, stranger.cert, authority)
    async with running_app(untrusting) as client:
        await create(client, make_patient())
        await asyncio.sleep(0.5)
        [entry] = await outbox(client)

    assert entry["status"] == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in entry["lastError"]
    assert sink.received == []
