"""``/metrics`` counts the outbox at scrape time: pending entries and dead letters per
destination (the feed sends to the sink, tests/outbound/conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from hl7.ack import AckCode
from tests.conftest import make_patient
from tests.operating.test_metrics import sample
from tests.outbound.sink import Sink
from tests.outbound.test_feed import create, settled

pytestmark = pytest.mark.anyio

OUTBOX = "fhirport_hl7v2_outbox_entries"


async def test_the_outbox_depth_counts_pending_and_dead_letters(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    sink.answer = AckCode.ERROR
    for number in range(2):
        await create(client, make_patient(identifier=[{"value": f"DEAD-{number}"}]))
    await settled(client, 2)
    await sink.stop()
    for number in range(3):
        await create(client, make_patient(identifier=[{"value": f"OWED-{number}"}]))

    text = (await client.get("/metrics")).text

    assert sample(text, OUTBOX, destination="legacy", status="pending") == 3
    assert sample(text, OUTBOX, destination="legacy", status="failed") == 2
