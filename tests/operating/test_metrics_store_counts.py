"""``/metrics`` reads the store's queues at scrape time: export jobs by state, and the
outbound HL7v2 feed's outbox depth (pending and dead letters) per destination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hl7.ack import AckCode
from server.settings import Settings
from tests.bulk.conftest import ASYNC, export, finished, patient, put
from tests.conftest import make_patient, running_app
from tests.operating.test_metrics import sample
from tests.outbound.sink import Sink, outbound_file
from tests.outbound.test_feed import create, settled

pytestmark = pytest.mark.anyio

OUTBOX = "fhirport_hl7v2_outbox_entries"
JOBS = "fhirport_export_jobs"


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    running = Sink()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_the_outbox_depth_counts_pending_and_dead_letters(
    settings: Settings, sink: Sink, tmp_path: Path
) -> None:
    feed = outbound_file(tmp_path / "outbound.yaml", sink.port)
    async with running_app(settings.model_copy(update={"hl7_outbound": feed})) as http:
        sink.answer = AckCode.ERROR
        for number in range(2):
            await create(http, make_patient(identifier=[{"value": f"DEAD-{number}"}]))
        await settled(http, 2)
        await sink.stop()
        for number in range(3):
            await create(http, make_patient(identifier=[{"value": f"OWED-{number}"}]))

        text = (await http.get("/metrics")).text

    assert sample(text, OUTBOX, destination="legacy", status="pending") == 3
    assert sample(text, OUTBOX, destination="legacy", status="failed") == 2


async def test_without_an_outbound_feed_there_is_no_outbox_gauge(
    client: httpx.AsyncClient,
) -> None:
    text = (await client.get("/metrics")).text

    assert OUTBOX not in text


async def test_export_jobs_are_counted_by_state(settings: Settings, tmp_path: Path) -> None:
    exporting = settings.model_copy(update={"export_dir": tmp_path / "exports"})
    async with running_app(exporting) as http:
        await put(http, patient("p1"))
        for _ in range(2):
            await export(http)
        kicked = await http.get("/fhir/$export", headers=ASYNC)
        await finished(http, kicked.headers["Content-Location"])
        removed = await http.delete(kicked.headers["Content-Location"])
        assert removed.status_code == 202

        text = (await http.get("/metrics")).text

    assert sample(text, JOBS, state="completed") == 2  # the deleted one is gone
    assert sample(text, JOBS, state="in-progress") == 0
    assert sample(text, JOBS, state="accepted") == 0
    assert sample(text, JOBS, state="failed") == 0
